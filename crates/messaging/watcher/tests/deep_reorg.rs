//! A reorg of the origin deeper than the finality its agents assume, under the watcher, over
//! real anvils (issue #16): a root signed honestly and copied to every Replica of the origin
//! loses its messages and its checkpoint to a 5-block reorg. The watcher, which judged the root
//! produced when it first saw it, judges it again at the origin's new heads, finds the Home no
//! longer holds it, and halts every Replica of the origin before the root's window ends. The
//! Home is not proven against (the updater signed a root the Home did produce), so its bond is
//! whole, and nothing of the dropped message can be processed.

// Each test binary uses its own part of the fixture.
#[allow(unused_imports)]
mod common;

use alloy::{
    primitives::U256,
    providers::{ext::AnvilApi, Provider},
    rpc::types::anvil::ReorgOptions,
};
use common::{eventually, two_more_rounds, watcher_config, Net, Running};
use nxtp_agent::Store;
use nxtp_bindings::{Home, Replica};
use nxtp_devnet::Role;

/// `Replica.State.Halted`.
const HALTED: u8 = 2;
/// The optimistic window, in seconds.
const WINDOW: u32 = 30;
/// The depth of the reorg.
const DEPTH: u64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_root_lost_to_a_deep_reorg_halts_every_replica_of_the_origin() {
    let net = Net::with_window(&[1000, 2000, 3000], WINDOW).await;
    let origin = net.reader(1000);
    // The origin mines one block per transaction and otherwise only when the test says.
    origin
        .anvil_set_interval_mining(0)
        .await
        .expect("interval mining off");
    origin
        .anvil_set_auto_mine(true)
        .await
        .expect("mines each transaction");
    let db = net.path("watcher.sqlite");
    let config = watcher_config(&net, &db);
    let ops = config.telemetry.listen;
    let watcher = Running::start(config);

    // An honest message, update and relay, kept by the reorg.
    net.dispatch(1000, &[(2000, "kept".to_owned())]).await;
    let (kept_root, _) = net.honest_update(1000, &[2000, 3000]).await;

    // The message to be lost: dispatched, checkpointed, signed, accepted by the Home and
    // copied to both Replicas, all in the blocks the reorg replaces.
    let fork = origin.get_block_number().await.expect("head") + 1;
    let lost = net.dispatch(1000, &[(2000, "lost".to_owned())]).await;
    let (lost_root, confirm_at) = net.honest_update(1000, &[2000, 3000]).await;
    let store = Store::open(&db, &[]).expect("opens the watcher's database");
    eventually("the watcher to judge the root on both Replicas", || async {
        let judged: i64 = store
            .with(|conn| {
                conn.query_row(
                    "SELECT COUNT(*) FROM watcher_updates WHERE new_root = ?1 AND produced = 1",
                    [lost_root.as_slice()],
                    |row| row.get(0),
                )
            })
            .expect("counts");
        (judged == 1).then_some(())
    })
    .await;
    // Let the watcher see both Replicas' updates (it tracks each Replica's copy): two more
    // rounds of each Replica's domain read them.
    two_more_rounds(ops, "updates on 2000").await;
    two_more_rounds(ops, "updates on 3000").await;
    let head = origin.get_block_number().await.expect("head");
    assert!(head < fork + DEPTH, "the lost blocks fit in the reorg");
    if head + 1 < fork + DEPTH {
        origin
            .anvil_mine(Some(fork + DEPTH - head - 1), None)
            .await
            .expect("mines");
    }
    let head = origin.get_block_number().await.expect("head");
    assert_eq!(head + 1 - fork, DEPTH);
    origin
        .anvil_reorg(ReorgOptions {
            depth: DEPTH,
            tx_block_pairs: Vec::new(),
        })
        .await
        .expect("reorgs");
    let home = Home::new(net.home(1000), &origin);
    assert!(
        !home
            .checkpoints(lost_root)
            .call()
            .await
            .expect("reads")
            .produced
    );
    assert!(
        home.checkpoints(kept_root)
            .call()
            .await
            .expect("reads")
            .produced
    );

    // The origin goes on; the watcher halts every Replica of it, well within the window.
    eventually("every Replica of the origin halted", || async {
        origin.anvil_mine(Some(1), None).await.expect("mines");
        let mut halted = true;
        for domain in [2000, 3000] {
            let state = Replica::new(net.replica(domain, 1000), net.reader(domain))
                .state()
                .call()
                .await
                .expect("state");
            halted &= state == HALTED;
        }
        halted.then_some(())
    })
    .await;
    let now = net.chain_time(2000).await;
    assert!(
        now < confirm_at[0],
        "halted at {now}, before the window ends at {}",
        confirm_at[0]
    );
    eprintln!(
        "every Replica of 1000 halted {}s before the unbacked root ripened",
        confirm_at[0] - now
    );

    // A threat, not fraud: no proof at the Home, the updater's bond whole, the Home working.
    let (threats, frauds): (i64, i64) = store
        .with(|conn| {
            Ok((
                conn.query_row(
                    "SELECT COUNT(*) FROM watcher_threats WHERE new_root = ?1",
                    [lost_root.as_slice()],
                    |row| row.get(0),
                )?,
                conn.query_row("SELECT COUNT(*) FROM watcher_frauds", [], |row| row.get(0))?,
            ))
        })
        .expect("counts");
    assert_eq!((threats, frauds), (1, 0));
    assert!(!home.failed().call().await.expect("failed"));
    let bond = U256::from(10u64).pow(U256::from(18u64));
    assert_eq!(
        home.bonds(net.accounts.address(Role::Updater))
            .call()
            .await
            .expect("bond"),
        bond
    );
    assert_eq!(net.sent_txs(1000, Role::Watcher).await, 0);

    // Nothing of the lost message can be delivered, even once its root has ripened.
    let replica = Replica::new(net.replica(2000, 1000), net.reader(2000));
    let leaf = lost[0].leaf();
    let proven = replica.provenIndex(leaf).call().await.expect("reads");
    assert!(!proven.proven);
    watcher.stop().await;
}
