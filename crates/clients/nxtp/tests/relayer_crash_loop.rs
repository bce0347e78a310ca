//! The real relayer in a crash loop on a devnet (three chains, every agent its own OS process):
//! SIGKILLed as soon as the sequencer chose the routers of the transfers in flight, restarted by
//! the supervisor after a growing outage (1 s, 2 s, 4 s), killed again while more transfers flow.
//! No transfer stalls: each one sent while the relayer was down is executed fast within a bounded
//! number of destination blocks once it is back (the sequencer notices it without a long global
//! backoff), the sequencer's API reports each final outcome as `executed`, and each is executed
//! exactly once, on its destination only.

#[allow(dead_code)]
mod transfers;

use alloy::providers::Provider;
use nxtp_api::sequencer::TransferState;
use nxtp_bindings::Connext;
use nxtp_devnet::{default_agents, relayer_agent};
use transfers::{
    agents, eventually,
    plan::{complete_all, send_all, Path, Plan, Sent},
    World, TIMEOUT,
};

/// Kills of the relayer.
const CRASHES: usize = 3;
/// The most destination blocks (half a second each) between the relayer's return and the execute
/// of a transfer sent while it was down: the sequencer's largest per-job backoff (4 s), a block for
/// the execute, and room for a loaded machine; far below what a global backoff reaches.
const BLOCKS_AFTER_RETURN: u64 = 20;

/// Whether the sequencer chose routers for every transfer of `sent` (it knows a transfer only
/// once a bid or its `XCalled` came).
async fn all_decided(world: &World, sent: &[Sent]) -> Option<()> {
    for transfer in sent {
        let view = world.sequencer.transfer(transfer.id).await.ok()?;
        if !view.state.is_decided() {
            return None;
        }
    }
    Some(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relayer_in_a_crash_loop_stalls_no_transfer() {
    let world = World::start(default_agents).await;
    let [d1, d2, d3] = world.domains()[..] else {
        panic!("three domains");
    };
    let relayer = relayer_agent::NAME;
    let mut every = Vec::new();
    // Transfers sent while the relayer was down, with the destination's head once it was back.
    let mut sent_while_down = Vec::new();
    for crash in 0..CRASHES {
        let flowing = send_all(
            &world,
            &[
                Plan::plain("flowing to d2", d1, d2, 10, Path::Fast(1)),
                Plan::plain("flowing to d3", d1, d3, 10, Path::Fast(1)),
            ],
        )
        .await;
        eventually("the routers of the flowing transfers", TIMEOUT, || {
            all_decided(&world, &flowing)
        })
        .await;
        let starts = world.agent_starts(relayer);
        agents::sigkill(world.agent_pid(relayer).await, relayer);
        let down = send_all(
            &world,
            &[Plan::plain("sent while down", d1, d2, 10, Path::Fast(1))],
        )
        .await;
        eventually(
            &format!("the relayer back after crash {crash}"),
            TIMEOUT,
            || async { (world.agent_starts(relayer) > starts).then_some(()) },
        )
        .await;
        let back_at = world
            .reader(d2)
            .get_block_number()
            .await
            .expect("reads d2's head");
        sent_while_down.extend(down.iter().map(|sent| (sent.clone(), back_at)));
        every.extend(flowing);
        every.extend(down);
    }

    // Every transfer fast, by one router (`complete_all` checks the path).
    complete_all(&world, &every).await;
    for (sent, back_at) in &sent_while_down {
        let executes = world
            .connext_logs::<Connext::Executed>(sent.plan.destination, sent.id)
            .await;
        let block = executes
            .first()
            .and_then(|log| log.block_number)
            .expect("an Executed log");
        assert!(
            block <= back_at + BLOCKS_AFTER_RETURN,
            "{} executed in block {block}, the relayer back at {back_at}",
            sent.id
        );
    }
    for sent in &every {
        let view = eventually("the sequencer's final outcome", TIMEOUT, || async {
            let view = world.view(sent.id).await;
            matches!(
                view.state,
                TransferState::Executed { .. } | TransferState::ExecuteFailed { .. }
            )
            .then_some(view)
        })
        .await;
        assert!(
            matches!(view.state, TransferState::Executed { .. }),
            "{}: the sequencer reports {:?}",
            sent.id,
            view.state
        );
        for domain in world.domains() {
            let executes = world
                .connext_logs::<Connext::Executed>(domain, sent.id)
                .await
                .len();
            let expected = usize::from(domain == sent.plan.destination);
            assert_eq!(executes, expected, "{}: executes on {domain}", sent.id);
        }
    }
    assert!(
        world.agent_starts(relayer) > u32::try_from(CRASHES).expect("few"),
        "the supervisor restarted the relayer after each crash"
    );
}
