//! The sequencer against relayers that fail, over anvil (one-second blocks; stand-in relayers,
//! see `common::relayer_stub`): a relayer in a crash loop holds back only its own jobs and is
//! used again as soon as it answers; with two relayers and one down, every transfer completes at
//! once through the other; a job posted to both is executed once on chain; and what the
//! destination records is the transfer's final outcome, whatever a relayer reported. A relayer
//! is asked about the jobs it holds sparingly: about the oldest every poll interval (so a dead
//! relayer is noticed), about the others only once their execute is late.

mod common;

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::SolEvent,
};
use common::{bid, eventually, relayer_stub::RelayerStub, Net, Running, HOME, QUOTE, REMOTE};
use nxtp_api::{
    relayer::{job_id, JobState},
    sequencer::{TransferState, TransferView},
};
use nxtp_bindings::Connext;
use nxtp_devnet::Role;
use std::time::{Duration, Instant};

/// Decide as soon as a valid bid is in: these tests are about what comes after.
const WINDOW_MS: u64 = 0;

/// How soon after a relayer answers again, or after the decision when another relayer is up, a
/// transfer must be executed: the probe interval, a block for the execute, a poll of the job,
/// and room for a loaded machine; far below what a global backoff reached (up to 30 s).
const PROMPT: Duration = Duration::from_secs(6);

fn executed(view: &TransferView) -> bool {
    matches!(view.state, TransferState::Executed { .. })
}

fn decided(view: &TransferView) -> bool {
    view.selected.is_some()
}

/// A transfer without tokens from `REMOTE` to `HOME` (any approved router covers it), bid on by
/// router B; returns its id once the sequencer holds the bid.
async fn transfer_with_bid(net: &Net, sequencer: &Running) -> B256 {
    let id = net
        .xcall(REMOTE, HOME, Address::ZERO, U256::ZERO, U256::from(QUOTE))
        .await;
    let router = net.signer(Role::RouterB);
    let bid = bid(
        &net.connext_signing(HOME),
        &router,
        router.address(),
        id,
        &[1],
    );
    sequencer
        .wait_for(id, "the transfer to be confirmed", |view| {
            view.origin.is_some()
        })
        .await;
    sequencer.client.post_bid(&bid).await.expect("bid accepted");
    id
}

/// Waits until `blocks` more blocks are mined on `HOME`: time for a backoff to grow.
async fn blocks_pass(net: &Net, blocks: u64) {
    let reader = net.reader(HOME);
    let start = reader.get_block_number().await.expect("head");
    eventually("blocks to pass", || async {
        let head = reader.get_block_number().await.ok()?;
        (head >= start + blocks).then_some(())
    })
    .await;
}

/// Every `Executed` of `transfer_id` on `HOME`.
async fn executes_on_home(net: &Net, transfer_id: B256) -> usize {
    let filter = Filter::new()
        .address(net.connext(HOME))
        .event_signature(Connext::Executed::SIGNATURE_HASH)
        .topic1(transfer_id)
        .from_block(0);
    net.reader(HOME)
        .get_logs(&filter)
        .await
        .expect("logs")
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn relayers_that_fail_stall_nothing() {
    let net = Net::start().await;
    let first = RelayerStub::start(&net).await;

    // --- One relayer in a crash loop: each job is posted as soon as it answers again. ----------
    let sequencer = Running::start(net.sequencer_config(&first.url, WINDOW_MS)).await;
    eventually("the API", || async {
        sequencer.client.quote(REMOTE, HOME).await.ok()
    })
    .await;
    let warm_up = transfer_with_bid(&net, &sequencer).await;
    sequencer
        .wait_for(warm_up, "a transfer executed", executed)
        .await;
    for round in 0..3 {
        first.go_down().await;
        let id = transfer_with_bid(&net, &sequencer).await;
        sequencer
            .wait_for(id, "the routers to be chosen", decided)
            .await;
        // Long enough down for a global backoff to have grown to several seconds.
        blocks_pass(&net, 6).await;
        let view = sequencer.view(id).await.expect("view");
        assert!(
            matches!(view.state, TransferState::Sent { .. }),
            "round {round}: waits for the relayer: {view:?}"
        );
        first.come_back().await;
        let back = Instant::now();
        sequencer
            .wait_for(
                id,
                "the job to be executed once the relayer is back",
                executed,
            )
            .await;
        assert!(
            back.elapsed() < PROMPT,
            "round {round}: executed {:?} after the relayer came back",
            back.elapsed()
        );
    }
    assert_eq!(
        sequencer.counter("nxtp_sequencer_executions_total"),
        4.0,
        "every execute ended"
    );
    assert_eq!(sequencer_failed(&sequencer), 0.0, "none failed");
    sequencer.stop().await;

    // --- Two relayers, the preferred one down: every transfer completes at once. --------------
    let second = RelayerStub::start(&net).await;
    first.go_down().await;
    let config = net.sequencer_config_with_relayers(&[&first.url, &second.url], WINDOW_MS);
    let sequencer = Running::start(config.clone()).await;
    eventually("the API", || async {
        sequencer.client.quote(REMOTE, HOME).await.ok()
    })
    .await;
    for _ in 0..3 {
        let id = transfer_with_bid(&net, &sequencer).await;
        let bid_in = Instant::now();
        sequencer
            .wait_for(id, "the transfer executed by the second relayer", executed)
            .await;
        assert!(
            bid_in.elapsed() < PROMPT,
            "executed {:?} after its bid",
            bid_in.elapsed()
        );
        let job = id_job(&sequencer, id).await;
        assert!(
            second.posts().iter().any(|post| job_of(&net, post) == job),
            "the second relayer took the job"
        );
    }

    // --- A job the first relayer took, then died holding: the second executes it, once. -------
    first.hold(true);
    first.come_back().await;
    let id = transfer_with_bid(&net, &sequencer).await;
    let job = eventually("the first relayer to acknowledge the job", || async {
        let job = id_job(&sequencer, id).await?;
        first
            .posts()
            .iter()
            .any(|post| job_of(&net, post) == Some(job))
            .then_some(job)
    })
    .await;
    first.go_down().await;
    sequencer
        .wait_for(id, "the job executed through the second relayer", executed)
        .await;
    let posted = second
        .posts()
        .into_iter()
        .find(|post| job_of(&net, post) == Some(job))
        .expect("the same job posted to the second relayer");
    assert_eq!(
        job,
        job_id(HOME, net.connext(HOME), &posted.calldata),
        "the job id is the hash of domain, target and calldata, at every relayer"
    );
    // The first relayer, back, sends what it held: the destination refuses a second execute.
    first.come_back().await;
    let late = first.send_held().await;
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0].state, JobState::Failed, "{late:?}");
    assert_eq!(
        executes_on_home(&net, id).await,
        1,
        "executed once on chain"
    );
    assert!(executed(&sequencer.view(id).await.expect("view")));
    first.hold(false);

    // --- A relayer that reports a failure for an execute that went through: the chain wins. --
    first.go_down().await;
    second.report_failed(true);
    let id = transfer_with_bid(&net, &sequencer).await;
    let view = sequencer
        .wait_for(id, "the executed transfer to read executed", executed)
        .await;
    assert_eq!(executes_on_home(&net, id).await, 1);
    let TransferState::Executed { tx_hash } = view.state else {
        unreachable!("waited for it");
    };
    assert_ne!(tx_hash, B256::ZERO, "the destination's transaction");
    sequencer.stop().await;
}

/// The executions the sequencer counted as failed.
fn sequencer_failed(sequencer: &Running) -> f64 {
    sequencer
        .metrics
        .gather()
        .iter()
        .filter(|family| family.name() == "nxtp_sequencer_executions_total")
        .flat_map(|family| family.get_metric().iter())
        .filter(|metric| {
            metric
                .get_label()
                .iter()
                .any(|label| label.value() == "execute_failed")
        })
        .map(|metric| metric.get_counter().get_value())
        .sum()
}

/// The job id of a posted job.
fn job_of(net: &Net, post: &nxtp_api::relayer::JobRequest) -> Option<B256> {
    Some(job_id(
        post.domain,
        net.connext(post.domain),
        &post.calldata,
    ))
}

/// The job the sequencer recorded for `transfer_id`, once decided.
async fn id_job(sequencer: &Running, transfer_id: B256) -> Option<B256> {
    sequencer.view(transfer_id).await?.relayer_job
}

/// The sequencer's pause between two looks at the jobs in flight.
const DISPATCH_INTERVAL: Duration = Duration::from_millis(500);
/// How many intervals after its acknowledgement a job is first asked about, unless it is the
/// oldest its relayer holds (`dispatch::FIRST_LOOK_INTERVALS`).
const FIRST_LOOK_INTERVALS: u32 = 10;

#[tokio::test(flavor = "multi_thread")]
async fn a_relayer_is_asked_about_its_oldest_job_each_interval_and_the_others_only_when_late() {
    let net = Net::start().await;
    let relayer = RelayerStub::start(&net).await;
    relayer.hold(true);
    let sequencer = Running::start(net.sequencer_config(&relayer.url, WINDOW_MS)).await;
    eventually("the API", || async {
        sequencer.client.quote(REMOTE, HOME).await.ok()
    })
    .await;
    let oldest = transfer_with_bid(&net, &sequencer).await;
    let oldest_job = eventually("the oldest job acknowledged", || async {
        id_job(&sequencer, oldest).await
    })
    .await;
    // Before the younger transfer's bid: its job is acknowledged after this.
    let before_younger = Instant::now();
    let younger = transfer_with_bid(&net, &sequencer).await;
    let younger_job = eventually("the younger job acknowledged", || async {
        id_job(&sequencer, younger).await
    })
    .await;
    let first_look = eventually("the younger job asked about", || async {
        relayer.lookups_of(younger_job).first().copied()
    })
    .await;
    let quiet_for = first_look.duration_since(before_younger);
    assert!(
        quiet_for >= DISPATCH_INTERVAL * FIRST_LOOK_INTERVALS,
        "the younger job was asked about {quiet_for:?} after its bid"
    );
    let probes = relayer
        .lookups_of(oldest_job)
        .into_iter()
        .filter(|at| *at < first_look)
        .count();
    assert!(
        probes >= 3,
        "the oldest job, asked about every interval meanwhile, was asked {probes} times"
    );
    // Sent at last, both complete; neither is posted twice.
    assert_eq!(relayer.send_held().await.len(), 2);
    for id in [oldest, younger] {
        sequencer
            .wait_for(id, "the held job executed", executed)
            .await;
        assert_eq!(executes_on_home(&net, id).await, 1);
    }
    assert_eq!(relayer.posts().len(), 2, "each job posted once");
    sequencer.stop().await;
}
