//! The sequencer on real anvil chains with the liquidity layer deployed: bids from the devnet's
//! routers, every refusal of the bids API, the auction's decision executed on chain (through a
//! stand-in relayer, see `common::relayer_stub`), a low fee waiting for a bump, a transfer no
//! router can cover, and a restart between the decision and the relayer's acknowledgement.

mod common;

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    sol_types::SolCall,
};

use common::{bid, eventually, relayer_stub::RelayerStub, Net, Running, HOME, QUOTE, REMOTE};
use nxtp_api::{
    relayer::JobRequest,
    sequencer::{BidRequest, ErrorCode, SequencerClientError, TransferState, TransferView},
};
use nxtp_bindings::{Connext, DemoToken};
use nxtp_devnet::{liquidity::demo_units, Role};
use nxtp_primitives::{
    recover_digest, transfer_id, ConnextSigningDomain, Domain, TransferInfo, TransferStatus,
};
use std::time::{Duration, Instant};

const WINDOW_MS: u64 = 1_000;

fn code(result: Result<impl std::fmt::Debug, SequencerClientError>) -> ErrorCode {
    result.expect_err("refused").code().expect("a refusal code")
}

/// The jobs posted for `id`, with their decoded arguments.
fn jobs_for(posts: &[JobRequest], id: B256) -> Vec<(JobRequest, Connext::ExecuteArgs)> {
    posts
        .iter()
        .filter_map(|job| {
            let args = Connext::executeCall::abi_decode(&job.calldata).ok()?.args;
            (transfer_id(&TransferInfo::from(args.params.clone())) == id)
                .then(|| (job.clone(), args))
        })
        .collect()
}

fn executed(view: &TransferView) -> bool {
    matches!(view.state, TransferState::Executed { .. })
}

async fn status_on(net: &Net, domain: Domain, id: B256) -> TransferStatus {
    let status = Connext::new(net.connext(domain), net.reader(domain))
        .transferStatus(id)
        .call()
        .await
        .expect("transferStatus");
    TransferStatus::try_from(status).expect("known status")
}

#[tokio::test(flavor = "multi_thread")]
async fn auctions_on_anvil() {
    let net = Net::start().await;
    let stub = RelayerStub::start(&net).await;
    let config = net.sequencer_config(&stub.url, WINDOW_MS);
    let sequencer = Running::start(config.clone()).await;
    let client = sequencer.client.clone();
    let router_a = net.signer(Role::RouterA);
    let router_b = net.signer(Role::RouterB);
    let user = net.signer(Role::User);
    let quote = U256::from(QUOTE);
    // What bids are signed for: the destination Connext's EIP-712 domain.
    let to_home = net.connext_signing(HOME);
    let to_remote = net.connext_signing(REMOTE);

    // Quotes, and what the sequencer does not know.
    eventually("the API", || async {
        client.quote(REMOTE, HOME).await.ok()
    })
    .await;
    assert_eq!(
        client.quote(REMOTE, HOME).await.expect("quote").relayer_fee,
        quote
    );
    assert_eq!(
        code(client.quote(REMOTE, Domain(9)).await),
        ErrorCode::UnknownDomain
    );
    assert!(matches!(
        client.transfer(B256::repeat_byte(9)).await,
        Err(SequencerClientError::UnknownTransfer(_))
    ));

    // --- Bids before the transfer exists: kept, approval checked once it is known. -------------
    // The user's next transfer from REMOTE (no tokens: the routers front nothing, so path length
    // 1 is covered by any approved router) has a predictable id.
    let params = TransferInfo {
        originDomain: REMOTE.get(),
        destinationDomain: HOME.get(),
        canonicalDomain: 0,
        to: user.address(),
        delegate: Address::ZERO,
        receiveLocal: false,
        callData: Bytes::new(),
        slippage: U256::from(100),
        originSender: user.address(),
        bridgedAmt: U256::ZERO,
        normalizedIn: U256::ZERO,
        nonce: U256::from(net.next_nonce(REMOTE).await),
        canonicalId: B256::ZERO,
    };
    let first = transfer_id(&params);
    // Naming its destination, an early bid is checked against that destination's Connext only.
    let named = |destination, signing| BidRequest {
        destination: Some(destination),
        ..bid(signing, &router_a, router_a.address(), first, &[1, 2])
    };
    assert_eq!(
        code(client.post_bid(&named(HOME, &to_remote)).await),
        ErrorCode::InvalidSignature,
        "signed for another served destination than the one it names"
    );
    assert_eq!(
        code(client.post_bid(&named(Domain(9), &to_home)).await),
        ErrorCode::UnknownDomain
    );
    let early = client
        .post_bid(&named(HOME, &to_home))
        .await
        .expect("an early bid is kept");
    assert_eq!(early.state, TransferState::AwaitingXcall);
    // The user is no router: approved on no served domain, refused before the transfer is known
    // (`early_bids_on_anvil` tests the bounds of early bids).
    assert_eq!(
        code(
            client
                .post_bid(&bid(&to_home, &user, user.address(), first, &[1]))
                .await
        ),
        ErrorCode::RouterNotApproved
    );
    let view = client.transfer(first).await.expect("known by its bids");
    assert_eq!(view.state, TransferState::AwaitingXcall);
    assert_eq!(view.bids.len(), 1);
    assert_eq!(view.origin, None);

    // Refusals that need no chain.
    let forged = bid(&to_home, &user, router_b.address(), first, &[1]);
    assert_eq!(
        code(client.post_bid(&forged).await),
        ErrorCode::InvalidSignature
    );
    // Signed for a Connext the sequencer does not serve (same chain as HOME, another address):
    // worthless even before the transfer is known.
    let home_chain = net.manifest.domain(HOME).expect("deployed").chain_id;
    let foreign = ConnextSigningDomain::new(home_chain, Address::repeat_byte(0x77));
    assert_eq!(
        code(
            client
                .post_bid(&bid(&foreign, &router_b, router_b.address(), first, &[1]))
                .await
        ),
        ErrorCode::InvalidSignature
    );
    for lengths in [&[3][..], &[0], &[8]] {
        let odd = bid(&to_home, &router_b, router_b.address(), first, lengths);
        assert_eq!(
            code(client.post_bid(&odd).await),
            ErrorCode::InvalidPathLength,
            "{lengths:?}"
        );
    }
    let http = reqwest::Client::new();
    let url = format!("http://{}/v1/bids", sequencer.addr);
    for body in [
        "{not json",
        r#"{"router":"0x01","transfer_id":"0x02","signatures":{}}"#,
    ] {
        let response = http.post(&url).body(body).send().await.expect("answers");
        assert_eq!(response.status(), 400);
        let error: nxtp_api::sequencer::ApiError = response.json().await.expect("error body");
        assert_eq!(error.error, ErrorCode::Malformed);
    }
    let empty = BidRequest {
        signatures: Default::default(),
        ..bid(&to_home, &router_b, router_b.address(), first, &[1])
    };
    assert_eq!(code(client.post_bid(&empty).await), ErrorCode::Malformed);
    let bad_id = http
        .get(format!("http://{}/v1/transfers/0x1234", sequencer.addr))
        .send()
        .await
        .expect("answers");
    assert_eq!(bad_id.status(), 400);

    // --- The transfer: decided once its window closes, executed on chain. ----------------------
    let sent = net
        .xcall(REMOTE, HOME, Address::ZERO, U256::ZERO, quote)
        .await;
    assert_eq!(sent, first, "the predicted id");
    let view = sequencer
        .wait_for(first, "the transfer to be confirmed", |view| {
            view.origin.is_some()
        })
        .await;
    assert_eq!(view.destination, Some(HOME));
    let unapproved = bid(&to_home, &user, user.address(), first, &[1]);
    assert_eq!(
        code(client.post_bid(&unapproved).await),
        ErrorCode::RouterNotApproved
    );
    // Once the destination is known, a bid naming another is malformed, and one signed for the
    // other served Connext (another chain) is refused.
    let misnamed = BidRequest {
        destination: Some(REMOTE),
        ..bid(&to_home, &router_b, router_b.address(), first, &[1])
    };
    assert_eq!(code(client.post_bid(&misnamed).await), ErrorCode::Malformed);
    assert_eq!(
        code(
            client
                .post_bid(&bid(&to_remote, &router_b, router_b.address(), first, &[1]))
                .await
        ),
        ErrorCode::InvalidSignature
    );
    client
        .post_bid(&bid(
            &to_home,
            &router_b,
            router_b.address(),
            first,
            &[1, 2],
        ))
        .await
        .expect("router B bids");
    let view = sequencer
        .wait_for(first, "the first transfer to execute", executed)
        .await;
    let selected = view.selected.clone().expect("routers chosen");
    assert_eq!(
        selected.len(),
        1,
        "one router covers a transfer without tokens"
    );
    assert!([router_a.address(), router_b.address()].contains(&selected[0]));
    assert!(
        view.bids.iter().all(|bids| bids.router != user.address()),
        "the unapproved bid was never kept: {:?}",
        view.bids
    );
    // GET /v1/routers: both routers' bids, the refused user's none, the auction that opened.
    let activity = client.routers().await.expect("router activity");
    let bidders: Vec<Address> = activity.routers.iter().map(|r| r.router).collect();
    assert!(bidders.contains(&router_a.address()) && bidders.contains(&router_b.address()));
    assert!(!bidders.contains(&user.address()), "{bidders:?}");
    assert!(activity
        .routers
        .iter()
        .all(|r| r.transfers_bid == 1 && r.last_bid_ms <= activity.now_ms));
    assert!(activity.last_auction_ms.is_some());
    assert_eq!(status_on(&net, HOME, first).await, TransferStatus::Executed);
    let jobs = jobs_for(&stub.posts(), first);
    assert_eq!(jobs.len(), 1, "one job posted");
    let (job, args) = &jobs[0];
    assert_eq!(job.domain, HOME);
    assert_eq!(args.routers, selected);
    assert_eq!(args.sequencer, net.accounts.address(Role::Sequencer));
    assert_eq!(
        recover_digest(
            to_home.router_selection_digest(first, &selected),
            &args.sequencerSignature
        )
        .expect("recovers"),
        args.sequencer
    );
    assert_eq!(
        recover_digest(
            to_home.router_bid_digest(first, 1),
            &args.routerSignatures[0]
        )
        .expect("recovers"),
        selected[0]
    );
    assert_eq!(
        code(
            client
                .post_bid(&bid(&to_home, &router_a, router_a.address(), first, &[1]))
                .await
        ),
        ErrorCode::AuctionClosed
    );
    assert_eq!(
        sequencer.counter("nxtp_sequencer_auctions_decided_total"),
        1.0
    );
    assert!(sequencer.counter("nxtp_sequencer_bids_rejected_total") >= 8.0);

    // --- A fee below the quote waits for a bump. --------------------------------------------
    let half = quote / U256::from(2);
    let low = net
        .xcall(REMOTE, HOME, Address::ZERO, U256::ZERO, half)
        .await;
    let bid_at = Instant::now();
    client
        .post_bid(&bid(&to_home, &router_a, router_a.address(), low, &[1]))
        .await
        .expect("bid on a low-fee transfer");
    sequencer
        .wait_for(low, "the low fee to be seen", |view| {
            view.state == TransferState::AwaitingFee { paid: half, quote }
        })
        .await;
    // Past the window the transfer still waits, and nothing went to the relayer: checked once the
    // auction has looked at its destination twice since the window (with margin) closed, so the
    // assertion follows a round that could have dispatched it.
    eventually("the window to pass", || async {
        (bid_at.elapsed() > Duration::from_millis(WINDOW_MS * 3)).then_some(())
    })
    .await;
    let auction_stream = format!("auction {HOME}");
    let rounds = sequencer.health.rounds(&auction_stream);
    eventually("two auction rounds past the window", || async {
        (sequencer.health.rounds(&auction_stream) >= rounds + 2).then_some(())
    })
    .await;
    let view = client.transfer(low).await.expect("known");
    assert_eq!(view.state, TransferState::AwaitingFee { paid: half, quote });
    assert!(jobs_for(&stub.posts(), low).is_empty());
    let wallet = net.wallet(REMOTE, Role::User);
    let bump = Connext::new(net.connext(REMOTE), &wallet)
        .bumpTransfer(low, Address::ZERO, U256::ZERO)
        .value(quote - half)
        .send()
        .await
        .expect("bumps")
        .get_receipt()
        .await
        .expect("bump receipt");
    assert!(bump.status());
    sequencer
        .wait_for(low, "the bumped transfer to execute", executed)
        .await;
    assert_eq!(status_on(&net, HOME, low).await, TransferStatus::Executed);

    // --- Tokens to a domain where no router holds liquidity: waits for liquidity. --------------
    let demo = net.demo_on(HOME);
    let amount = demo_units(10);
    let user_home = net.wallet(HOME, Role::User);
    DemoToken::new(demo, &user_home)
        .approve(net.connext(HOME), amount)
        .send()
        .await
        .expect("approves")
        .get_receipt()
        .await
        .expect("approve receipt");
    let short = net.xcall(HOME, REMOTE, demo, amount, quote).await;
    for router in [&router_a, &router_b] {
        client
            .post_bid(&bid(&to_remote, router, router.address(), short, &[1, 2]))
            .await
            .expect("bids");
    }
    // Until the bids are verified the state is also `awaiting_liquidity` ("no valid bid ... yet"):
    // wait for the shortfall itself.
    sequencer
        .wait_for(short, "the shortfall to be reported", |view| {
            view.state == TransferState::AwaitingLiquidity && view.reason.contains("covers")
        })
        .await;
    assert!(jobs_for(&stub.posts(), short).is_empty());

    // --- A restart between the decision and the relayer's acknowledgement. ---------------------
    stub.refuse(true);
    let restarted = net
        .xcall(REMOTE, HOME, Address::ZERO, U256::ZERO, quote)
        .await;
    for router in [&router_a, &router_b] {
        client
            .post_bid(&bid(&to_home, router, router.address(), restarted, &[1]))
            .await
            .expect("bids");
    }
    let view = sequencer
        .wait_for(restarted, "the decision", |view| view.selected.is_some())
        .await;
    let chosen = view.selected.clone().expect("chosen");
    eventually("the relayer to refuse a post", || async {
        (!jobs_for(&stub.posts(), restarted).is_empty()).then_some(())
    })
    .await;
    sequencer.stop().await;
    stub.refuse(false);

    let sequencer = Running::start(config).await;
    let view = sequencer
        .wait_for(restarted, "the re-sent job to execute", executed)
        .await;
    assert_eq!(
        view.selected,
        Some(chosen),
        "the same selection after the restart"
    );
    let jobs = jobs_for(&stub.posts(), restarted);
    assert!(jobs.len() >= 2, "posted before and after the restart");
    assert!(
        jobs.iter().all(|(job, _)| job == &jobs[0].0),
        "every post is the same job"
    );
    assert_eq!(
        status_on(&net, HOME, restarted).await,
        TransferStatus::Executed
    );
    assert_eq!(
        sequencer.counter("nxtp_sequencer_auctions_decided_total"),
        0.0,
        "nothing chosen again after the restart"
    );
    // The earlier transfers stay as they were.
    assert!(executed(
        &sequencer.client.transfer(first).await.expect("known")
    ));
    sequencer.stop().await;
}
