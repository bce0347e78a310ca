//! The router over real anvil chains (one-second blocks, both layers deployed by the devnet) and a
//! stand-in sequencer: it bids the path lengths its on-chain balance covers with signatures that
//! recover to it, records a bid before posting it and posts it after a crash, never posts an
//! acknowledged bid again when it re-reads the same logs, skips what it must with the reason, waits
//! for a low fee to be bumped, and does not retry a refused bid.

mod common;

use alloy::primitives::U256;
use common::{
    cursor, demo, eventually, free_addr, metric, metrics, rewind, stub::Stub, Crashable, Net,
    REMOTE,
};
use nxtp_devnet::Role;
use nxtp_primitives::{recover_digest, Domain};
use nxtp_router::store::{self, BidState};

/// The stub's quote: what each transfer must have paid in native wei.
const QUOTE: u64 = 1_000_000_000_000_000;

fn state(net: &Net, id: alloy::primitives::B256) -> Option<(String, Option<String>)> {
    net.store()
        .with(|conn| store::transfer_state(conn, id))
        .expect("reads")
}

fn bid(net: &Net, id: alloy::primitives::B256) -> Option<store::StoredBid> {
    net.store()
        .with(|conn| store::bid(conn, id))
        .expect("reads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bids_once_per_transfer_across_crashes_and_skips_with_reasons() {
    let net = Net::start().await;
    net.mint_remote_demo(demo(10_000)).await;
    let (sequencer, sequencer_addr) = Stub::start(U256::from(QUOTE)).await;
    let router = net.accounts.address(Role::RouterA);
    let quote = U256::from(QUOTE);

    // router_a has 1,000 DEMO on HOME; keeping 950 back leaves 50 to bid with.
    // Each run gets its own ops port: a crashed run's listener may linger a moment.
    let mut config = net.router_config(sequencer_addr, free_addr(), demo(500), demo(950));
    let ops = config.telemetry.listen;
    sequencer.set_unavailable(true);
    let running = Crashable::start(config.clone());

    // A 100 DEMO transfer: x = 99.95 DEMO, so a single router would need 99.95 (more than the
    // 50 available) but each of two needs 49.975 + 1 wei, and each of four less.
    let served = net.xcall_home(demo(100), quote).await;
    let above_limit = net.xcall_home(demo(600), quote).await;

    eventually("the bid recorded, and posted in vain", || async {
        bid(&net, served.id).is_some() && !sequencer.answered(served.id, 503).is_empty()
    })
    .await;
    eventually("the transfer above the limit skipped", || async {
        state(&net, above_limit.id).is_some()
    })
    .await;
    assert_eq!(
        state(&net, above_limit.id),
        Some(("skipped".to_owned(), Some("above_limit".to_owned())))
    );
    assert!(bid(&net, above_limit.id).is_none());
    assert!(sequencer.posts(above_limit.id).is_empty());
    let text = metrics(ops).await;
    assert_eq!(
        metric(
            &text,
            "nxtp_router_transfers_skipped_total",
            &[("destination", "1000"), ("reason", "above_limit")]
        ),
        Some(1.0),
        "{text}"
    );
    let recorded = bid(&net, served.id).expect("recorded");
    assert_eq!(recorded.state, BidState::Recorded);

    // Killed while the sequencer is down, its logs lost: the bid recorded before the crash is the
    // one posted after it, and re-reading the logs does not make another.
    running.crash();
    let store = net.store();
    let start = net.manifest.domains[&REMOTE].deploy_block;
    rewind(&store, REMOTE, start);
    // Meanwhile another transfer is fronted by router_b alone, before router_a sees it.
    let executed = net.xcall_home(demo(10), quote).await;
    net.execute_with_router_b(&executed).await;
    sequencer.set_unavailable(false);
    config.telemetry.listen = free_addr();
    let ops = config.telemetry.listen;
    let running = Crashable::start(config.clone());

    eventually("the recorded bid acknowledged", || async {
        !sequencer.answered(served.id, 202).is_empty()
    })
    .await;
    eventually("the lost logs read again", || async {
        cursor(&store, REMOTE).is_some_and(|position| position > executed.block)
    })
    .await;
    // Recorded `pending` as its log is read, then decided by the bidder.
    eventually("the executed transfer decided", || async {
        state(&net, executed.id).is_some_and(|(state, _)| state != "pending")
    })
    .await;
    assert_eq!(
        state(&net, executed.id),
        Some(("skipped".to_owned(), Some("already_handled".to_owned())))
    );
    assert!(sequencer.posts(executed.id).is_empty());

    let posted = bid(&net, served.id).expect("recorded");
    assert_eq!(posted.state, BidState::Posted);
    assert_eq!(posted.signatures, recorded.signatures, "the same bid");
    let accepted = sequencer.answered(served.id, 202);
    assert_eq!(accepted.len(), 1, "posted once: {accepted:?}");
    let lengths: Vec<u32> = accepted[0].bid.signatures.keys().copied().collect();
    assert_eq!(lengths, [2, 4], "the path lengths 50 DEMO covers");
    assert_eq!(accepted[0].bid.router, router);
    for (&n, signature) in &accepted[0].bid.signatures {
        // Signed for the destination's Connext: its chain id and address.
        let digest = net
            .connext_signing(Domain(served.params.destinationDomain))
            .router_bid_digest(served.id, n as usize);
        assert_eq!(
            recover_digest(digest, signature).expect("a valid signature"),
            router,
            "path length {n}"
        );
    }

    // A fee below the quote waits; once bumped the transfer is bid on. The sequencer refuses that
    // bid (409): recorded with its reason, never retried.
    let underpaid = net.xcall_home(demo(100), quote / U256::from(2)).await;
    eventually("the underpaid transfer waiting", || async {
        state(&net, underpaid.id).is_some_and(|(state, _)| state == "waiting")
    })
    .await;
    assert_eq!(
        state(&net, underpaid.id).and_then(|(_, label)| label),
        Some("fee_too_low".to_owned())
    );
    assert!(sequencer.posts(underpaid.id).is_empty());
    sequencer.refuse(underpaid.id);
    net.bump(underpaid.id, quote / U256::from(2)).await;
    eventually("the bumped transfer bid on and refused", || async {
        bid(&net, underpaid.id).is_some_and(|bid| bid.state == BidState::Rejected)
    })
    .await;
    let refused = bid(&net, underpaid.id).expect("recorded");
    assert!(
        refused
            .reason
            .as_deref()
            .is_some_and(|reason| reason.contains("auction_closed")),
        "{refused:?}"
    );

    // Metrics since the restart, and the balances: 1,000 DEMO on HOME, none on REMOTE.
    let balance = |text: &str, domain: &str| {
        metric(
            text,
            "nxtp_router_balance",
            &[("asset", "demo"), ("domain", domain)],
        )
    };
    eventually("balances exported", || async {
        let text = metrics(ops).await;
        balance(&text, "1000").is_some() && balance(&text, "2000").is_some()
    })
    .await;
    let text = metrics(ops).await;
    assert_eq!(
        balance(&text, "1000"),
        Some(1e21),
        "1,000 DEMO of 18 decimals"
    );
    assert_eq!(balance(&text, "2000"), Some(0.0));
    for (name, labels) in [
        (
            "nxtp_router_bids_posted_total",
            vec![("destination", "1000")],
        ),
        (
            "nxtp_router_bids_rejected_total",
            vec![("destination", "1000"), ("code", "auction_closed")],
        ),
        (
            "nxtp_router_transfers_skipped_total",
            vec![("destination", "1000"), ("reason", "already_handled")],
        ),
        (
            "nxtp_router_transfers_skipped_total",
            vec![("destination", "1000"), ("reason", "fee_too_low")],
        ),
    ] {
        assert_eq!(
            metric(&text, name, &labels),
            Some(1.0),
            "{name} {labels:?} in {text}"
        );
    }

    // Killed again once everything is answered, every log read again from the start: a later
    // transfer is bid on and posted (the router has caught up), and nothing earlier is posted again.
    running.crash();
    rewind(&store, REMOTE, start);
    config.telemetry.listen = free_addr();
    let running = Crashable::start(config);
    let marker = net.xcall_home(demo(100), quote).await;
    eventually("the later transfer posted", || async {
        !sequencer.answered(marker.id, 202).is_empty()
    })
    .await;
    assert!(cursor(&store, REMOTE).is_some_and(|position| position > marker.block));
    assert_eq!(
        sequencer
            .posts(served.id)
            .iter()
            .filter(|post| post.status == 202)
            .count(),
        1
    );
    assert_eq!(
        sequencer.posts(underpaid.id).len(),
        1,
        "the refused bid is not retried"
    );
    assert!(sequencer.posts(above_limit.id).is_empty());
    assert!(sequencer.posts(executed.id).is_empty());
    running.crash();
}
