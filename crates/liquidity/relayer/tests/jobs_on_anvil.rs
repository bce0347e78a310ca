//! The relayer against real contracts: a transfer's message delivered by a process job, its slow
//! path executed by an execute job (refused in simulation first, with the contract's error,
//! then retried when posted again), and a fast-path execute that survives two crashes of the
//! relayer; every job sends exactly one transaction however often it is posted.

mod common;

use alloy::primitives::{Bytes, U256};
use common::{eventually, process, Net, RelayerProcess, HOME, REMOTE};
use futures::future::join_all;
use nxtp_api::relayer::{job_id, JobRequest, JobState};
use nxtp_bindings::{execute_calldata, Fronting};
use nxtp_devnet::{liquidity::demo_units, Role};
use nxtp_primitives::{sign_digest, transfer_id, Domain, TransferInfo, TransferStatus};
use nxtp_testnet::TIMEOUT;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_is_sent_once_across_reposts_failures_and_crashes() {
    let net = Net::start().await;
    let db = net.path("relayer.sqlite");
    let relayer = RelayerProcess::start(net.relayer_config(&db));
    let client = relayer.client();
    let user = net.accounts.address(Role::User);
    let amount = demo_units(10);

    // --- The slow path, 1000 -> 2000.
    let (params, message, index) = net.xcall(HOME, REMOTE, user, amount).await;
    let id = transfer_id(&params);
    let sent_before = net.sent_txs(REMOTE, Role::Relayer).await;

    // Before the message arrives, the execute reverts in simulation: the job fails, naming the
    // contract's error, and nothing is sent.
    let execute = JobRequest::execute(Domain(REMOTE), slow_execute(&params));
    let execute_id = client.submit(&execute).await.expect("accepted");
    assert_eq!(
        execute_id,
        job_id(Domain(REMOTE), net.connext(REMOTE), &execute.calldata)
    );
    let failed = client.wait(execute_id, TIMEOUT).await.expect("ends");
    assert_eq!(failed.state, JobState::Failed);
    let reason = failed.reason.expect("a reason");
    assert!(reason.starts_with("InvalidTransferStatus"), "{reason}");
    assert_eq!((failed.tx_hash, failed.block), (None, None));
    assert_eq!(net.sent_txs(REMOTE, Role::Relayer).await, sent_before);
    eventually("the failure to be counted", || async {
        relayer.counter(
            "nxtp_relayer_jobs_finished_total",
            &[
                ("domain", "2000"),
                ("kind", "execute"),
                ("outcome", "reverted"),
            ],
        ) == 1
    })
    .await;

    // The message, delivered by a process job, reconciles the transfer.
    net.prove(HOME, REMOTE, index).await;
    let delivery = JobRequest::process(Domain(REMOTE), Domain(HOME), process(&message));
    let delivery_id = client.submit(&delivery).await.expect("accepted");
    assert_eq!(
        delivery_id,
        job_id(
            Domain(REMOTE),
            net.replica(REMOTE, HOME),
            &delivery.calldata
        )
    );
    let delivered = client.wait(delivery_id, TIMEOUT).await.expect("ends");
    assert_eq!(delivered.state, JobState::Confirmed, "{delivered:?}");
    assert!(delivered.tx_hash.is_some() && delivered.block.is_some());
    assert_eq!(net.status(REMOTE, id).await, TransferStatus::Reconciled);

    // The failed execute, posted again three times at once: one new attempt, one transaction.
    let posts = join_all((0..3).map(|_| client.submit(&execute))).await;
    for post in posts {
        assert_eq!(post.expect("accepted"), execute_id, "one job, one id");
    }
    let executed = client.wait(execute_id, TIMEOUT).await.expect("ends");
    assert_eq!(executed.state, JobState::Confirmed, "{executed:?}");
    assert_eq!(executed.reason, None);
    assert_eq!(net.status(REMOTE, id).await, TransferStatus::Completed);
    assert_eq!(net.balance(REMOTE, user).await, amount);
    // A confirmed job posted again stays as it is.
    assert_eq!(client.submit(&execute).await.expect("accepted"), execute_id);
    assert_eq!(
        client.job(execute_id).await.expect("reads"),
        Some(executed.clone())
    );
    assert_eq!(
        net.sent_txs(REMOTE, Role::Relayer).await,
        sent_before + 2,
        "one process and one execute"
    );
    let execute_labels = [("domain", "2000"), ("kind", "execute")];
    assert_eq!(
        relayer.counter("nxtp_relayer_jobs_retried_total", &execute_labels),
        1
    );
    assert_eq!(
        relayer.counter("nxtp_relayer_jobs_repeated_total", &execute_labels),
        3
    );
    eventually("both confirmations to be counted", || async {
        relayer.counter(
            "nxtp_relayer_jobs_finished_total",
            &[
                ("domain", "2000"),
                ("kind", "execute"),
                ("outcome", "confirmed"),
            ],
        ) == 1
            && relayer.counter(
                "nxtp_relayer_jobs_finished_total",
                &[
                    ("domain", "2000"),
                    ("kind", "process"),
                    ("outcome", "confirmed"),
                ],
            ) == 1
    })
    .await;

    // --- The fast path, 2000 -> 1000, fronted by router A on the home domain, with the relayer
    // killed once right after accepting the job and once with its transaction broadcast but
    // not mined (blocks are paused on 1000 meanwhile).
    let back = amount / U256::from(2);
    let (params, _, _) = net.xcall(REMOTE, HOME, user, back).await;
    let calldata = fast_execute(&net, &params);
    let fast = JobRequest::execute(Domain(HOME), calldata);
    let home_before = net.balance(HOME, user).await;
    let sent_before = net.sent_txs(HOME, Role::Relayer).await;
    net.mining(HOME, false).await;

    let fast_id = client.submit(&fast).await.expect("accepted");
    relayer.crash();
    let relayer = RelayerProcess::start(net.relayer_config(&db));
    let client = relayer.client();
    let reader = client.clone();
    eventually("the transaction to be broadcast", || async {
        reader
            .job(fast_id)
            .await
            .expect("reads")
            .expect("known")
            .state
            == JobState::Submitted
    })
    .await;
    relayer.crash();

    let relayer = RelayerProcess::start(net.relayer_config(&db));
    let client = relayer.client();
    assert_eq!(client.submit(&fast).await.expect("accepted"), fast_id);
    net.mining(HOME, true).await;
    let fronted = client.wait(fast_id, TIMEOUT).await.expect("ends");
    assert_eq!(fronted.state, JobState::Confirmed, "{fronted:?}");
    assert_eq!(
        net.status(HOME, transfer_id(&params)).await,
        TransferStatus::Executed
    );
    let fee_free = back * U256::from(9_995) / U256::from(10_000);
    assert_eq!(net.balance(HOME, user).await, home_before + fee_free);
    assert_eq!(
        net.sent_txs(HOME, Role::Relayer).await,
        sent_before + 1,
        "two crashes and two posts, one transaction"
    );
    relayer.stop().await;
}

/// `Connext.execute` calldata fronting `params` with router A alone, signed by it and the
/// sequencer.
fn fast_execute(net: &Net, params: &TransferInfo) -> Bytes {
    let id = transfer_id(params);
    let router = net.accounts.address(Role::RouterA);
    let connext = net.connext_signing(Domain(params.destinationDomain));
    let bid = sign_digest(
        net.accounts.signer(Role::RouterA),
        connext.router_bid_digest(id, 1),
    )
    .expect("router signs");
    let selection = sign_digest(
        net.accounts.signer(Role::Sequencer),
        connext.router_selection_digest(id, &[router]),
    )
    .expect("sequencer signs");
    let fronting = Fronting {
        routers: vec![router],
        router_signatures: vec![Bytes::copy_from_slice(&bid)],
        sequencer: net.accounts.address(Role::Sequencer),
        sequencer_signature: Bytes::copy_from_slice(&selection),
    };
    execute_calldata(params, fronting)
}

/// `Connext.execute` calldata of the slow path of `params`.
fn slow_execute(params: &TransferInfo) -> Bytes {
    execute_calldata(params, Fronting::default())
}
