//! Transfers end to end on a devnet: three chains, every agent its own OS process, used through the
//! SDK as an integrator would. Each transfer takes the path its circumstances call for (fast, shared
//! by two routers, slow, with calldata, waiting for a fee bump), forged bids are refused with their
//! reasons, killed agents neither lose nor repeat a transfer, and after each batch every unit of
//! `DEMO` is where it must be.

#[allow(dead_code)]
mod transfers;

use alloy::{
    primitives::{Bytes, U256},
    signers::local::PrivateKeySigner,
};
use nxtp_api::sequencer::{BidRequest, ErrorCode, TransferState};
use nxtp_bindings::{Connext, DemoReceiver};
use nxtp_devnet::default_agents;
use nxtp_primitives::{sign_digest, ConnextSigningDomain, Domain};
use nxtp_sdk::Stage;
use std::collections::BTreeSet;
use transfers::{
    agents::{self, Paused},
    eventually,
    ledger::{assert_conserved, Ledger},
    plan::{complete_all, send_all, Path, Plan, Sent},
    World, COMPLETION_TIMEOUT, TIMEOUT,
};

/// Fast, multipath, slow, calldata delivered, calldata reverting, a low fee bumped, and forged bids,
/// all in flight at once on distinct routes so that no two compete for the same liquidity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_transfer_takes_its_path_and_every_unit_is_accounted_for() {
    let world = World::start(default_agents).await;
    let [d1, d2, d3] = world.domains()[..] else {
        panic!("three domains");
    };
    assert_eq!(d1, world.home);
    assert_conserved(&world).await;

    let beneficiary = PrivateKeySigner::random().address();
    let plans = [
        // Each router has 1,000 DEMO on every domain.
        Plan::plain("fast", d1, d2, 100, Path::Fast(1)),
        Plan::plain("multipath", d1, d3, 1_500, Path::Fast(2)),
        Plan::call(
            &world,
            "calldata",
            (d1, d2),
            10,
            (beneficiary, "fast and called"),
            Path::Fast(1),
        ),
        Plan::call(
            &world,
            "reverting calldata",
            (d1, d3),
            10,
            (alloy::primitives::Address::ZERO, "reverts"),
            Path::Slow,
        ),
        // Beyond both routers together: only the slow path can deliver it. From a remote domain,
        // so a representation is burned and the home escrow released.
        Plan::plain("slow", d2, d1, 5_000, Path::Slow),
    ];
    let quote = world.quote(d3, d1).await;
    let mut low_fee = Plan::plain("low fee", d3, d1, 50, Path::Fast(1));
    low_fee.fee = Some(quote / U256::from(2));

    // The low-fee transfer must still be unreconciled when its fee is bumped, however slow the
    // machine: nothing from its origin is delivered until the fast execute is in.
    let paused = world.hold_messages_from(d3).await;
    let plans = [&plans[..], &[low_fee]].concat();
    let mut ledger = Ledger::open(&world, &plans).await;
    let mut sent = send_all(&world, &plans).await;
    let low_fee = sent.pop().expect("low-fee transfer sent");

    let (reports, ()) = tokio::join!(
        complete_all(&world, &sent),
        bump_a_low_fee_past_forged_bids(&world, &low_fee, quote, paused)
    );
    let low_fee_report = complete_all(&world, std::slice::from_ref(&low_fee)).await;
    sent.push(low_fee);
    let reports = [reports, low_fee_report].concat();

    for (transfer, report) in sent.iter().zip(&reports) {
        ledger.settle(&world, transfer, report);
        world
            .assert_executed_and_reconciled_once(transfer.id, transfer.plan.destination)
            .await;
    }
    ledger.check(&world).await;
    assert_conserved(&world).await;

    let [fast, multipath, called, reverted, slow, _] = &sent[..] else {
        panic!("six transfers");
    };
    let routers = world.routers();
    assert!(
        routers.contains(&reports[0].routers[0]),
        "fast: fronted by a devnet router"
    );
    assert_eq!(
        reports[1].routers.iter().collect::<BTreeSet<_>>(),
        routers.iter().collect(),
        "multipath: both routers share it"
    );
    assert_called(&world, called, d2, "fast and called").await;
    assert_reverted_call_kept_by_receiver(&world, reverted, d3).await;
    let view = world.view(slow.id).await;
    assert!(
        view.bids.is_empty(),
        "nobody bids beyond its liquidity: {view:?}"
    );
    assert!(view.selected.is_none(), "slow: never decided: {view:?}");

    // Decided auctions take no more bids, however valid.
    for transfer in [fast, multipath] {
        let bid = signed_bid(&world, &world.key("router_a"), transfer, &[1, 2]);
        assert_refused(&world, &bid, ErrorCode::AuctionClosed).await;
    }
    world.devnet.stop().await;
}

/// Router `router_a` dies twice: once with its bid in (mid-auction), once before a transfer it would
/// have bid on, which `router_b` serves alone; then the sequencer and the relayer are SIGKILLed with
/// transfers in flight. Nothing is lost and nothing is executed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_agents_neither_lose_nor_repeat_a_transfer() {
    let world = World::start(agents::all_but_own_router).await;
    let [d1, d2, d3] = world.domains()[..] else {
        panic!("three domains");
    };
    let [router_a, router_b] = world.routers();
    let mut router = agents::start_own_router(&world.manifest, world.devnet.run_dir());
    assert_conserved(&world).await;

    // A transfer only both routers together can front, so the auction waits for router_a's bid
    // (however long router_a takes to start, with nothing from the origin delivered meanwhile);
    // router_a is killed once its bid is in, and the auction goes on without it.
    let shared = Plan::plain("router_a killed mid-auction", d1, d2, 1_500, Path::Fast(2));
    let replaced = Plan::plain("router_a down", d1, d2, 100, Path::Fast(1));
    let mut ledger = Ledger::open(&world, &[shared.clone(), replaced.clone()]).await;
    let held = world.hold_messages_from(d1).await;
    let sent = send_all(&world, &[shared]).await;
    eventually("router_a's bid", TIMEOUT, || async {
        let view = world.sequencer.transfer(sent[0].id).await.ok()?;
        view.bids
            .iter()
            .any(|bid| bid.router == router_a)
            .then_some(())
    })
    .await;
    router.kill();
    let executed = world
        .sdk
        .wait_for(sent[0].id, Stage::Executed, COMPLETION_TIMEOUT, |_| {})
        .await
        .expect("executed without router_a running");
    assert_eq!(
        executed.report.stage,
        Stage::Executed,
        "fronted before delivery"
    );
    drop(held);
    let reports = complete_all(&world, &sent).await;
    ledger.settle(&world, &sent[0], &reports[0]);

    // With router_a down, router_b alone bids and serves.
    let replaced = send_all(&world, &[replaced]).await;
    let report = complete_all(&world, &replaced).await;
    assert_eq!(report[0].routers, [router_b], "router_b served it");
    let view = world.view(replaced[0].id).await;
    let bidders: Vec<_> = view.bids.iter().map(|bid| bid.router).collect();
    assert_eq!(bidders, [router_b], "only router_b bid: {view:?}");
    ledger.settle(&world, &replaced[0], &report[0]);
    for transfer in [&sent[0], &replaced[0]] {
        world
            .assert_executed_and_reconciled_once(transfer.id, d2)
            .await;
    }
    ledger.check(&world).await;
    assert_conserved(&world).await;

    // router_a back; the sequencer and the relayer are killed once an auction is decided.
    router.restart();
    let plans = [
        Plan::plain("to d2", d1, d2, 200, Path::Any),
        Plan::plain("shared by both routers", d1, d3, 1_500, Path::Any),
        Plan::plain("to home", d2, d1, 300, Path::Any),
        Plan::plain("between remotes", d3, d2, 300, Path::Any),
    ];
    let mut ledger = Ledger::open(&world, &plans).await;
    let sent = send_all(&world, &plans).await;
    eventually("an auction decided", TIMEOUT, || async {
        for transfer in &sent {
            let view = world.sequencer.transfer(transfer.id).await.ok()?;
            if view.state.is_decided() {
                return Some(());
            }
        }
        None
    })
    .await;
    let starts_before = (
        world.agent_starts("sequencer"),
        world.agent_starts("relayer"),
    );
    agents::sigkill(world.agent_pid("sequencer").await, "sequencer");
    agents::sigkill(world.agent_pid("relayer").await, "relayer");

    let reports = complete_all(&world, &sent).await;
    for (transfer, report) in sent.iter().zip(&reports) {
        ledger.settle(&world, transfer, report);
        world
            .assert_executed_and_reconciled_once(transfer.id, transfer.plan.destination)
            .await;
        if report.stage == Stage::CompletedFast {
            // A decision is final: the restarted sequencer re-sent it rather than choosing again.
            let view = world.view(transfer.id).await;
            assert_eq!(
                view.selected.as_ref(),
                Some(&report.routers),
                "{}: the routers on chain are the sequencer's one selection",
                transfer.plan.name
            );
        }
    }
    ledger.check(&world).await;
    assert_conserved(&world).await;
    assert!(
        world.agent_starts("sequencer") > starts_before.0
            && world.agent_starts("relayer") > starts_before.1,
        "the supervisor restarted the killed sequencer and relayer"
    );
    drop(router);
    world.devnet.stop().await;
}

/// The low-fee transfer waits, and says why; forged and unapproved bids on it are refused with
/// their reasons and leave no trace; a bump has it executed by a router. `paused` holds its origin's
/// updater until then.
async fn bump_a_low_fee_past_forged_bids(world: &World, sent: &Sent, quote: U256, paused: Paused) {
    let paid = sent.plan.fee.expect("a chosen fee");
    let waiting = eventually("the sequencer's reason", TIMEOUT, || async {
        let report = world.sdk.status(sent.id).await.ok()?;
        report.waiting.filter(|why| why.contains("below the quote"))
    })
    .await;
    assert!(
        waiting.contains(&paid.to_string()) && waiting.contains(&quote.to_string()),
        "the reason names what was paid and the quote: {waiting}"
    );
    let view = world.view(sent.id).await;
    assert_eq!(view.state, TransferState::AwaitingFee { paid, quote });

    let forger = PrivateKeySigner::random();
    let router_a = world.key("router_a");
    let mut impersonation = signed_bid(world, &forger, sent, &[1]);
    impersonation.router = router_a.address();
    assert_refused(world, &impersonation, ErrorCode::InvalidSignature).await;
    // router_a's own signature, but for another path length than it claims.
    let mut swapped = signed_bid(world, &router_a, sent, &[2]);
    let signature = swapped.signatures.remove(&2).expect("signed for 2");
    swapped.signatures.insert(1, signature);
    assert_refused(world, &swapped, ErrorCode::InvalidSignature).await;
    assert_refused(
        world,
        &signed_bid(world, &router_a, sent, &[3]),
        ErrorCode::InvalidPathLength,
    )
    .await;
    assert_refused(
        world,
        &signed_bid(world, &forger, sent, &[1]),
        ErrorCode::RouterNotApproved,
    )
    .await;
    let mut empty = signed_bid(world, &router_a, sent, &[1]);
    empty.signatures.clear();
    assert_refused(world, &empty, ErrorCode::Malformed).await;
    let view = world.view(sent.id).await;
    assert!(
        view.bids.is_empty(),
        "no bid kept while the fee is low: {view:?}"
    );

    world
        .sdk
        .bump_fee(&world.user, sent.plan.origin, sent.id, quote - paid)
        .await
        .expect("bumps the fee");
    let followed = world
        .sdk
        .wait_for(sent.id, Stage::Executed, COMPLETION_TIMEOUT, |_| {})
        .await
        .expect("executed once bumped");
    assert_eq!(
        followed.report.stage,
        Stage::Executed,
        "fronted, not yet reconciled"
    );
    drop(paused);
    let view = world.view(sent.id).await;
    assert!(
        view.bids
            .iter()
            .all(|bid| world.routers().contains(&bid.router)),
        "only the devnet routers' bids were kept: {view:?}"
    );
}

/// `router`'s bid on `sent` for each of `lengths`, signed as the contracts check it: for the
/// destination's Connext.
fn signed_bid(
    world: &World,
    router: &PrivateKeySigner,
    sent: &Sent,
    lengths: &[u32],
) -> BidRequest {
    let destination = sent.plan.destination;
    let chain_id = world
        .manifest
        .domain(destination)
        .expect("deployed")
        .chain_id;
    let connext = world
        .manifest
        .liquidity(destination)
        .expect("liquidity")
        .connext;
    let signing = ConnextSigningDomain::new(chain_id, connext);
    let transfer_id = sent.id;
    let signatures = lengths
        .iter()
        .map(|&n| {
            let digest = signing.router_bid_digest(transfer_id, n as usize);
            let signature = sign_digest(router, digest).expect("signs");
            (n, Bytes::copy_from_slice(&signature))
        })
        .collect();
    BidRequest {
        router: router.address(),
        transfer_id,
        destination: Some(destination),
        signatures,
    }
}

async fn assert_refused(world: &World, bid: &BidRequest, code: ErrorCode) {
    match world.sequencer.post_bid(bid).await {
        Ok(accepted) => panic!("bid accepted, expected {code}: {bid:?} -> {accepted:?}"),
        Err(err) => assert_eq!(err.code(), Some(code), "{err}"),
    }
}

/// The receiver forwarded the fast transfer to the beneficiary and recorded its note.
async fn assert_called(world: &World, sent: &Sent, destination: Domain, note: &str) {
    let reader = world.reader(destination);
    let receiver = DemoReceiver::new(world.receiver(destination), &reader);
    let recorded = receiver.notes(sent.id).call().await.expect("notes");
    assert_eq!(recorded, note);
}

/// The fast execute of a reverting call failed, so the slow path delivered it: the call's failure
/// recorded, the funds left with the receiver (`to`).
async fn assert_reverted_call_kept_by_receiver(world: &World, sent: &Sent, destination: Domain) {
    // The sequencer reports the failed job until it sees the slow path's execute on the
    // destination; wait for the latter, which names the transaction that ran the call.
    let (view, tx_hash) = eventually(
        "the slow execute seen by the sequencer",
        TIMEOUT,
        || async {
            let view = world.view(sent.id).await;
            match view.state {
                TransferState::Executed { tx_hash } => Some((view, tx_hash)),
                _ => None,
            }
        },
    )
    .await;
    assert!(
        view.reason.contains("slow path"),
        "the fast execute reverted: {view:?}"
    );
    let logs = world
        .connext_logs::<Connext::ExternalCalldataExecuted>(destination, sent.id)
        .await;
    let [log] = &logs[..] else {
        panic!("one ExternalCalldataExecuted: {logs:?}");
    };
    assert_eq!(
        log.transaction_hash,
        Some(tx_hash),
        "the view names the slow execute"
    );
    let event = log
        .log_decode::<Connext::ExternalCalldataExecuted>()
        .expect("decodes")
        .inner
        .data;
    assert!(!event.success, "the call failed on the slow path too");
    let reader = world.reader(destination);
    let receiver = DemoReceiver::new(world.receiver(destination), &reader);
    let note = receiver.notes(sent.id).call().await.expect("notes");
    assert!(note.is_empty(), "no note for a failed call: {note:?}");
}
