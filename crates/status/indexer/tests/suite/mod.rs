//! The store suite both backends pass: each function takes a fresh, empty store.
//! `store_tests!(open)` instantiates every one as a `#[test]` over the backend `open()` gives
//! (`open` returns the store and a guard that keeps its database alive).

#![allow(dead_code, clippy::unwrap_used)]

use alloy::primitives::{Address, Bytes, B256, U256};
use nxtp_bindings::XCalled;
use nxtp_indexer::{
    api::{routers::routers_view, stats::stats_view},
    ingest::{Event, LogMeta},
    status::{Path, Stage, TransferView, WaitReason},
    store::{Change, Page, Recorded, StatusStore, TransferFilter, TransferKey},
};
use nxtp_primitives::{transfer_id, Domain, TransferInfo};

/// The origin of the suite's transfers.
pub const ORIGIN: Domain = Domain(1000);
/// Their destination.
pub const DESTINATION: Domain = Domain(2000);

/// Instantiates the suite over a backend.
#[macro_export]
macro_rules! store_tests {
    ($open:expr) => {
        $crate::store_tests!(@each $open;
            xcall_is_found_by_id_and_by_origin_tx,
            fast_transfer_completes_with_router_shares,
            slow_transfer_shows_every_messaging_sub_stage,
            delivering_a_batch_twice_stores_it_once,
            a_deep_reorg_forgets_what_replaced_blocks_wrote,
            list_filters_and_pages,
            transfer_events_show_fees_slippage_and_calldata,
            a_batch_of_many_events_keeps_each_once,
            routers_liquidity_and_volume_replay_the_events,
            stats_count_stages_volume_and_median_times,
            waiting_reasons_from_the_store_and_the_sequencer,
        );
    };
    (@each $open:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                let (store, _guard) = $open;
                suite::$name(store.as_ref());
            }
        )+
    };
}

/// A transfer's params from `origin` to `destination` with `nonce`.
pub fn params(nonce: u64, sender: Address, to: Address) -> TransferInfo {
    TransferInfo {
        originDomain: ORIGIN.get(),
        destinationDomain: DESTINATION.get(),
        canonicalDomain: ORIGIN.get(),
        to,
        delegate: to,
        receiveLocal: false,
        callData: Bytes::new(),
        slippage: U256::from(30),
        originSender: sender,
        bridgedAmt: U256::from(1_000),
        normalizedIn: U256::from(1_000),
        nonce: U256::from(nonce),
        canonicalId: B256::repeat_byte(0xcc),
    }
}

/// The leaf of transfer `nonce`'s message (any distinct hash will do).
pub fn leaf(nonce: u64) -> B256 {
    B256::left_padding_from(&(0xa000 + nonce).to_be_bytes())
}

/// A tx hash distinct per `(domain, block, index)`.
pub fn tx(domain: Domain, block: u64, index: u64) -> B256 {
    let mut bytes = [0u8; 32];
    bytes[..4].copy_from_slice(&domain.get().to_be_bytes());
    bytes[8..16].copy_from_slice(&block.to_be_bytes());
    bytes[24..].copy_from_slice(&index.to_be_bytes());
    B256::from(bytes)
}

/// `event` at `(domain, block, index)`, its time 1000 + 10 × block.
pub fn at(domain: Domain, block: u64, index: u64, event: Event) -> Recorded {
    Recorded {
        meta: LogMeta {
            domain,
            block,
            log_index: index,
            tx_hash: tx(domain, block, index),
            timestamp: 1_000 + 10 * block,
        },
        event,
    }
}

/// The `XCalled` of `params`, whose message is `leaf(nonce)`.
pub fn xcalled(params: &TransferInfo) -> Event {
    let id = transfer_id(params);
    let nonce = u64::try_from(params.nonce).unwrap();
    Event::XCalled {
        transfer_id: id,
        event: Box::new(XCalled {
            transfer_id: id,
            params: params.clone(),
            message_hash: leaf(nonce),
            asset: Address::repeat_byte(0xaa),
            amount: params.bridgedAmt,
            local: Address::repeat_byte(0xaa),
        }),
    }
}

/// Applies `records` of `domain` (no cursor).
pub fn apply(store: &dyn StatusStore, domain: Domain, records: Vec<Recorded>) {
    let change = Change {
        domain,
        forget_from: None,
        records,
    };
    store.apply(&change, None).unwrap();
}

fn view(store: &dyn StatusStore, id: B256, now: u64) -> TransferView {
    let record = store
        .transfer(TransferKey::Id(id))
        .unwrap()
        .expect("the transfer is stored");
    TransferView::new(&record, now)
}

fn router(n: u8) -> Address {
    Address::repeat_byte(0x10 + n)
}

pub fn xcall_is_found_by_id_and_by_origin_tx(store: &dyn StatusStore) {
    let params = params(1, Address::repeat_byte(1), Address::repeat_byte(2));
    let id = transfer_id(&params);
    apply(store, ORIGIN, vec![at(ORIGIN, 5, 0, xcalled(&params))]);

    let view = view(store, id, 1_100);
    assert_eq!(view.stage, Stage::XCalled);
    assert_eq!(view.path, None);
    assert_eq!(view.sender, Some(Address::repeat_byte(1)));
    assert_eq!(view.to, Some(Address::repeat_byte(2)));
    assert_eq!(view.bridged_amount, Some(U256::from(1_000)));
    let xcalled = view.xcalled.expect("xcall step");
    assert_eq!(
        (xcalled.domain, xcalled.block, xcalled.timestamp),
        (1000, 5, 1_050)
    );
    assert_eq!(
        view.waiting.map(|waiting| waiting.reason),
        Some(WaitReason::AwaitingRouters)
    );

    let by_tx = store
        .transfer(TransferKey::OriginTx(tx(ORIGIN, 5, 0)))
        .unwrap()
        .expect("found by its origin tx");
    assert_eq!(by_tx.row.transfer_id, id);
    assert!(store
        .transfer(TransferKey::Id(B256::repeat_byte(9)))
        .unwrap()
        .is_none());
}

pub fn fast_transfer_completes_with_router_shares(store: &dyn StatusStore) {
    let params = params(2, Address::repeat_byte(1), Address::repeat_byte(2));
    let id = transfer_id(&params);
    apply(store, ORIGIN, vec![at(ORIGIN, 5, 0, xcalled(&params))]);
    let routers = vec![router(1), router(2)];
    apply(
        store,
        DESTINATION,
        vec![at(
            DESTINATION,
            7,
            3,
            Event::Executed {
                transfer_id: id,
                to: params.to,
                local: Address::repeat_byte(0xbb),
                routers: routers.clone(),
                amount: U256::from(999),
                caller: Address::repeat_byte(0xee),
            },
        )],
    );
    let executed = view(store, id, 2_000);
    assert_eq!(executed.stage, Stage::Executed);
    assert_eq!(executed.path, Some(Path::Fast));
    assert_eq!(executed.waiting, None);
    assert_eq!(executed.delivered_amount, Some(U256::from(999)));
    assert_eq!(executed.liquidity_fee, Some(U256::from(1)));
    let shares: Vec<(Address, U256)> = executed
        .routers
        .iter()
        .map(|share| (share.router, share.amount))
        .collect();
    assert_eq!(
        shares,
        vec![(router(1), U256::from(499)), (router(2), U256::from(500))]
    );
    assert_eq!(
        executed.executed.expect("execute step").tx_hash,
        tx(DESTINATION, 7, 3)
    );

    apply(
        store,
        DESTINATION,
        vec![at(
            DESTINATION,
            20,
            0,
            Event::Reconciled {
                transfer_id: id,
                origin: ORIGIN.get(),
                local: Address::repeat_byte(0xbb),
                routers,
                amount: U256::from(1_000),
                caller: Address::repeat_byte(0xef),
            },
        )],
    );
    let done = view(store, id, 2_000);
    assert_eq!(done.stage, Stage::CompletedFast);
    assert_eq!(done.path, Some(Path::Fast));
    assert_eq!(done.reconciled.expect("reconcile step").block, 20);
}

/// Records the slow path of `params` through every messaging step, returning its id.
pub fn slow_path(store: &dyn StatusStore, params: &TransferInfo, leaf_index: u64) -> B256 {
    let id = transfer_id(params);
    let nonce = u64::try_from(params.nonce).unwrap();
    let root = B256::repeat_byte(0x77);
    apply(
        store,
        ORIGIN,
        vec![
            at(
                ORIGIN,
                10,
                0,
                Event::Dispatch {
                    leaf: leaf(nonce),
                    leaf_index,
                    destination: DESTINATION.get(),
                    nonce: 0,
                },
            ),
            at(ORIGIN, 10, 1, xcalled(params)),
            // An older checkpoint that does not hold the leaf yet.
            at(
                ORIGIN,
                10,
                2,
                Event::Checkpointed {
                    root: B256::repeat_byte(0x66),
                    count: leaf_index,
                },
            ),
            at(
                ORIGIN,
                11,
                0,
                Event::Checkpointed {
                    root,
                    count: leaf_index + 1,
                },
            ),
            at(
                ORIGIN,
                12,
                0,
                Event::Update {
                    origin: ORIGIN.get(),
                    old_root: B256::repeat_byte(0x66),
                    new_root: root,
                    confirm_at: None,
                },
            ),
        ],
    );
    apply(
        store,
        DESTINATION,
        vec![
            at(
                DESTINATION,
                30,
                0,
                Event::Update {
                    origin: ORIGIN.get(),
                    old_root: B256::repeat_byte(0x66),
                    new_root: root,
                    confirm_at: Some(5_000),
                },
            ),
            at(
                DESTINATION,
                40,
                0,
                Event::Reconciled {
                    transfer_id: id,
                    origin: ORIGIN.get(),
                    local: Address::repeat_byte(0xbb),
                    routers: vec![],
                    amount: U256::from(1_000),
                    caller: Address::repeat_byte(0xef),
                },
            ),
            at(
                DESTINATION,
                40,
                1,
                Event::Processed {
                    origin: ORIGIN.get(),
                    leaf: leaf(nonce),
                    leaf_index,
                },
            ),
        ],
    );
    id
}

pub fn slow_transfer_shows_every_messaging_sub_stage(store: &dyn StatusStore) {
    let params = params(3, Address::repeat_byte(1), Address::repeat_byte(2));
    let id = slow_path(store, &params, 4);
    let reconciled = view(store, id, 6_000);
    assert_eq!(reconciled.stage, Stage::Reconciled);
    assert_eq!(reconciled.path, Some(Path::Slow));
    assert_eq!(
        reconciled.waiting.map(|waiting| waiting.reason),
        Some(WaitReason::AwaitingSlowExecute)
    );
    let m = &reconciled.messaging;
    assert_eq!(m.leaf_index, Some(4));
    assert_eq!(m.dispatched.as_ref().map(|step| step.block), Some(10));
    let checkpointed = m.checkpointed.as_ref().expect("checkpointed");
    assert_eq!(
        (checkpointed.step.block, checkpointed.root),
        (11, B256::repeat_byte(0x77))
    );
    assert_eq!(m.signed.as_ref().map(|step| step.step.block), Some(12));
    let relayed = m.root_relayed.as_ref().expect("relayed");
    assert_eq!((relayed.step.domain, relayed.step.block), (2000, 30));
    assert_eq!(m.acceptable_at, Some(5_000));
    assert_eq!(m.processed.as_ref().map(|step| step.block), Some(40));

    apply(
        store,
        DESTINATION,
        vec![at(
            DESTINATION,
            41,
            0,
            Event::Executed {
                transfer_id: id,
                to: params.to,
                local: Address::repeat_byte(0xbb),
                routers: vec![],
                amount: U256::from(1_000),
                caller: Address::repeat_byte(0xee),
            },
        )],
    );
    let done = view(store, id, 6_000);
    assert_eq!(done.stage, Stage::CompletedSlow);
    assert_eq!(done.path, Some(Path::Slow));
    assert_eq!(done.waiting, None);
    assert!(done.routers.is_empty());
    assert_eq!(done.liquidity_fee, None);
}

pub fn delivering_a_batch_twice_stores_it_once(store: &dyn StatusStore) {
    let params = params(4, Address::repeat_byte(1), Address::repeat_byte(2));
    slow_path(store, &params, 0);
    slow_path(store, &params, 0);
    let rows = store
        .transfers(
            &TransferFilter::default(),
            Page {
                before: None,
                limit: 10,
            },
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    let record = store
        .transfer(TransferKey::Id(transfer_id(&params)))
        .unwrap()
        .unwrap();
    assert!(record.messaging.processed.is_some());
}

pub fn a_deep_reorg_forgets_what_replaced_blocks_wrote(store: &dyn StatusStore) {
    let kept = params(5, Address::repeat_byte(1), Address::repeat_byte(2));
    let dropped = params(6, Address::repeat_byte(1), Address::repeat_byte(2));
    let kept_id = slow_path(store, &kept, 0);
    // A transfer xcalled in block 50 of the origin, then reorged out.
    apply(store, ORIGIN, vec![at(ORIGIN, 50, 0, xcalled(&dropped))]);
    // Only the destination's reconcile (block 40) and the Replica's events are reorged.
    let change = Change {
        domain: DESTINATION,
        forget_from: Some(35),
        records: vec![],
    };
    store.apply(&change, None).unwrap();
    let record = store
        .transfer(TransferKey::Id(kept_id))
        .unwrap()
        .expect("its xcall stays");
    assert_eq!(record.row.stage, Stage::XCalled);
    assert!(record.row.reconciled.is_none());
    assert!(record.messaging.processed.is_none());
    assert!(
        record.messaging.relayed.is_some(),
        "block 30 is before the fork"
    );

    let change = Change {
        domain: ORIGIN,
        forget_from: Some(50),
        records: vec![],
    };
    store.apply(&change, None).unwrap();
    assert!(store
        .transfer(TransferKey::Id(transfer_id(&dropped)))
        .unwrap()
        .is_none());
    assert!(store.transfer(TransferKey::Id(kept_id)).unwrap().is_some());

    // A transfer only the destination knew (its origin not indexed yet) goes entirely.
    let orphan = params(7, Address::repeat_byte(1), Address::repeat_byte(2));
    apply(
        store,
        DESTINATION,
        vec![at(
            DESTINATION,
            60,
            0,
            Event::Reconciled {
                transfer_id: transfer_id(&orphan),
                origin: ORIGIN.get(),
                local: Address::repeat_byte(0xbb),
                routers: vec![],
                amount: U256::from(1),
                caller: Address::repeat_byte(0xef),
            },
        )],
    );
    let change = Change {
        domain: DESTINATION,
        forget_from: Some(60),
        records: vec![],
    };
    store.apply(&change, None).unwrap();
    assert!(store
        .transfer(TransferKey::Id(transfer_id(&orphan)))
        .unwrap()
        .is_none());
}

pub fn list_filters_and_pages(store: &dyn StatusStore) {
    let alice = Address::repeat_byte(0xa1);
    let bob = Address::repeat_byte(0xb0);
    let mut ids = Vec::new();
    for nonce in 0..5u64 {
        let sender = if nonce % 2 == 0 { alice } else { bob };
        let params = params(100 + nonce, sender, Address::repeat_byte(2));
        apply(
            store,
            ORIGIN,
            vec![at(ORIGIN, 100 + nonce, 0, xcalled(&params))],
        );
        ids.push(transfer_id(&params));
    }
    // The newest one is fronted by router 1.
    apply(
        store,
        DESTINATION,
        vec![at(
            DESTINATION,
            200,
            0,
            Event::Executed {
                transfer_id: ids[4],
                to: Address::repeat_byte(2),
                local: Address::repeat_byte(0xbb),
                routers: vec![router(1)],
                amount: U256::from(999),
                caller: Address::repeat_byte(0xee),
            },
        )],
    );
    let list = |filter: TransferFilter, before: Option<u64>, limit: usize| {
        store
            .transfers(&filter, Page { before, limit })
            .unwrap()
            .iter()
            .map(|row| (row.transfer_id, row.seq))
            .collect::<Vec<_>>()
    };
    let all = list(TransferFilter::default(), None, 10);
    let newest_first: Vec<B256> = ids.iter().rev().copied().collect();
    assert_eq!(
        all.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        newest_first
    );
    // Two pages of three and two.
    let first = list(TransferFilter::default(), None, 3);
    let second = list(TransferFilter::default(), Some(first[2].1), 3);
    assert_eq!(first.len(), 3);
    assert_eq!(
        first
            .iter()
            .chain(&second)
            .map(|(id, _)| *id)
            .collect::<Vec<_>>(),
        newest_first
    );

    let by_alice = list(
        TransferFilter {
            sender: Some(alice),
            ..TransferFilter::default()
        },
        None,
        10,
    );
    assert_eq!(
        by_alice.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![ids[4], ids[2], ids[0]]
    );
    let by_router = list(
        TransferFilter {
            router: Some(router(1)),
            ..TransferFilter::default()
        },
        None,
        10,
    );
    assert_eq!(by_router.len(), 1);
    assert_eq!(by_router[0].0, ids[4]);
    let executed = list(
        TransferFilter {
            stage: Some(Stage::Executed),
            origin: Some(ORIGIN),
            destination: Some(DESTINATION),
            ..TransferFilter::default()
        },
        None,
        10,
    );
    assert_eq!(executed.len(), 1);
    let none = list(
        TransferFilter {
            to: Some(alice),
            ..TransferFilter::default()
        },
        None,
        10,
    );
    assert!(none.is_empty());
}

pub fn transfer_events_show_fees_slippage_and_calldata(store: &dyn StatusStore) {
    let params = params(8, Address::repeat_byte(1), Address::repeat_byte(2));
    let id = transfer_id(&params);
    let fee = |increase: u64, asset: Address| Event::TransferRelayerFeesIncreased {
        transfer_id: id,
        increase: U256::from(increase),
        asset,
        caller: Address::repeat_byte(1),
    };
    apply(
        store,
        ORIGIN,
        vec![
            at(ORIGIN, 5, 0, xcalled(&params)),
            at(ORIGIN, 5, 1, fee(10, Address::ZERO)),
            at(ORIGIN, 9, 0, fee(5, Address::ZERO)),
        ],
    );
    apply(
        store,
        DESTINATION,
        vec![
            at(
                DESTINATION,
                3,
                0,
                Event::SlippageUpdated {
                    transfer_id: id,
                    slippage: U256::from(100),
                },
            ),
            at(
                DESTINATION,
                3,
                1,
                Event::ForceReceiveLocal { transfer_id: id },
            ),
            at(
                DESTINATION,
                4,
                0,
                Event::ExternalCalldataExecuted {
                    transfer_id: id,
                    success: false,
                    return_data: Bytes::from_static(&[0xde, 0xad]),
                },
            ),
        ],
    );
    let view = view(store, id, 2_000);
    assert_eq!(view.relayer_fees.len(), 1);
    assert_eq!(view.relayer_fees[0].amount, U256::from(15));
    assert_eq!(view.slippage, Some(U256::from(100)));
    assert_eq!(view.receive_local, Some(true));
    let calldata = view.calldata.expect("calldata outcome");
    assert!(!calldata.success);
    assert_eq!(calldata.return_data, "0xdead");
}

/// A batch longer than one `INSERT` of events (they are written several rows a statement),
/// delivered twice: every event kept once, in chain order.
pub fn a_batch_of_many_events_keeps_each_once(store: &dyn StatusStore) {
    const BUMPS: u64 = 150;
    let params = params(9, Address::repeat_byte(1), Address::repeat_byte(2));
    let id = transfer_id(&params);
    let records: Vec<Recorded> = std::iter::once(at(ORIGIN, 5, 0, xcalled(&params)))
        .chain((1..=BUMPS).map(|n| {
            at(
                ORIGIN,
                5 + n / 40,
                n,
                Event::TransferRelayerFeesIncreased {
                    transfer_id: id,
                    increase: U256::from(n),
                    asset: Address::ZERO,
                    caller: Address::repeat_byte(1),
                },
            )
        }))
        .collect();
    apply(store, ORIGIN, records.clone());
    apply(store, ORIGIN, records);
    let record = store
        .transfer(TransferKey::Id(id))
        .unwrap()
        .expect("the transfer is stored");
    assert_eq!(record.events.len(), BUMPS as usize);
    let increases: Vec<U256> = record
        .events
        .iter()
        .map(|event| serde_json::from_value(event.data["increase"].clone()).unwrap())
        .collect();
    assert_eq!(increases, (1..=BUMPS).map(U256::from).collect::<Vec<_>>());
    let view = view(store, id, 2_000);
    assert_eq!(
        view.relayer_fees[0].amount,
        U256::from(BUMPS * (BUMPS + 1) / 2)
    );
}

/// A fast transfer fronted by routers 1 and 2 (999 delivered, 1,000 reconciled), a slow one
/// still waiting, and liquidity added and removed around them.
fn routers_and_transfers(store: &dyn StatusStore) {
    let local = Address::repeat_byte(0xbb);
    let added = |router: Address, amount: u64| Event::RouterLiquidityAdded {
        router,
        local,
        amount: U256::from(amount),
        caller: router,
    };
    apply(
        store,
        DESTINATION,
        vec![
            at(DESTINATION, 1, 0, added(router(1), 1_000)),
            at(DESTINATION, 1, 1, added(router(2), 500)),
        ],
    );
    let fast = params(11, Address::repeat_byte(1), Address::repeat_byte(2));
    let slow = params(12, Address::repeat_byte(1), Address::repeat_byte(2));
    let id = transfer_id(&fast);
    apply(
        store,
        ORIGIN,
        vec![
            at(ORIGIN, 5, 0, xcalled(&fast)),
            at(ORIGIN, 6, 0, xcalled(&slow)),
        ],
    );
    let routers = vec![router(1), router(2)];
    apply(
        store,
        DESTINATION,
        vec![
            at(
                DESTINATION,
                7,
                0,
                Event::Executed {
                    transfer_id: id,
                    to: fast.to,
                    local,
                    routers: routers.clone(),
                    amount: U256::from(999),
                    caller: Address::repeat_byte(0xee),
                },
            ),
            at(
                DESTINATION,
                20,
                0,
                Event::Reconciled {
                    transfer_id: id,
                    origin: ORIGIN.get(),
                    local,
                    routers,
                    amount: U256::from(1_000),
                    caller: Address::repeat_byte(0xef),
                },
            ),
            at(
                DESTINATION,
                21,
                0,
                Event::RouterLiquidityRemoved {
                    router: router(1),
                    to: router(1),
                    local,
                    amount: U256::from(100),
                    caller: router(1),
                },
            ),
        ],
    );
}

pub fn routers_liquidity_and_volume_replay_the_events(store: &dyn StatusStore) {
    routers_and_transfers(store);
    let window = std::time::Duration::from_secs(60);
    let views = routers_view(&store.router_moves(None).unwrap(), None, window);
    let summary: Vec<_> = views
        .iter()
        .map(|view| {
            let liquidity = &view.liquidity[0];
            (
                view.router,
                liquidity.domain,
                liquidity.available,
                liquidity.fronted,
                liquidity.reconciled,
                view.last_fronted_at,
            )
        })
        .collect();
    // Router 1: 1,000 - 499 fronted + 500 credited - 100 removed; router 2 takes the dust.
    assert_eq!(
        summary,
        [
            (
                router(1),
                DESTINATION.get(),
                U256::from(901),
                U256::from(499),
                U256::from(500),
                Some(1_070)
            ),
            (
                router(2),
                DESTINATION.get(),
                U256::from(500),
                U256::from(500),
                U256::from(500),
                Some(1_070)
            ),
        ]
    );
    let only_two = store.router_moves(Some(router(2))).unwrap();
    assert!(only_two.iter().all(|step| step.router == router(2)));
    assert_eq!(only_two.len(), 3, "added, fronted, credited");
    assert!(store.router_moves(Some(router(9))).unwrap().is_empty());
}

pub fn stats_count_stages_volume_and_median_times(store: &dyn StatusStore) {
    routers_and_transfers(store);
    let view = stats_view(&store.stats(100).unwrap());
    assert_eq!(view.transfers, 2);
    let stages: Vec<_> = view
        .by_stage
        .iter()
        .map(|count| (count.stage, count.path, count.count))
        .collect();
    assert_eq!(
        stages,
        [
            (Stage::XCalled, None, 1),
            (Stage::CompletedFast, Some(Path::Fast), 1)
        ]
    );
    assert_eq!(view.fast_share, Some(1.0));
    assert_eq!(view.volume.len(), 1);
    assert_eq!(view.volume[0].amount, U256::from(2_000));
    assert_eq!(view.volume[0].transfers, 2);
    // Blocks 5 -> 7 and 5 -> 20, ten seconds a block.
    assert_eq!(view.recent.xcall_to_executed.median_seconds, Some(20));
    assert_eq!(view.recent.xcall_to_reconciled.median_seconds, Some(150));
    assert_eq!(view.routes.len(), 1);
    assert_eq!(view.routes[0].transfers, 2);
    let newest = stats_view(&store.stats(1).unwrap());
    assert_eq!(newest.recent_transfers, 1, "only the newest xcall");
    assert_eq!(newest.recent.xcall_to_executed.count, 0);
}

pub fn waiting_reasons_from_the_store_and_the_sequencer(store: &dyn StatusStore) {
    use alloy::sol_types::{Revert, SolError};
    use nxtp_api::sequencer::{TransferState, TransferView as Auction};
    use nxtp_indexer::status::WaitReason as R;

    // A delivered transfer whose xReceive reverted with `Error("not today")`.
    let called = params(21, Address::repeat_byte(1), Address::repeat_byte(2));
    let called_id = transfer_id(&called);
    apply(store, ORIGIN, vec![at(ORIGIN, 5, 0, xcalled(&called))]);
    apply(
        store,
        DESTINATION,
        vec![
            at(
                DESTINATION,
                6,
                0,
                Event::Executed {
                    transfer_id: called_id,
                    to: called.to,
                    local: Address::repeat_byte(0xbb),
                    routers: vec![router(1)],
                    amount: U256::from(999),
                    caller: Address::repeat_byte(0xee),
                },
            ),
            at(
                DESTINATION,
                6,
                1,
                Event::ExternalCalldataExecuted {
                    transfer_id: called_id,
                    success: false,
                    return_data: Revert::from("not today").abi_encode().into(),
                },
            ),
        ],
    );
    let failed = view(store, called_id, 2_000);
    assert_eq!(
        failed.waiting.as_ref().map(|w| w.reason),
        Some(R::CalldataReverted)
    );
    let call = failed.calldata.expect("calldata outcome");
    assert!(
        call.revert.as_deref().unwrap().contains("not today"),
        "{call:?}"
    );
    assert!(
        call.funds.as_deref().unwrap().contains("stay there"),
        "{call:?}"
    );

    // A transfer the routers have not fronted: the sequencer says why.
    let waiting = params(22, Address::repeat_byte(1), Address::repeat_byte(2));
    let id = transfer_id(&waiting);
    apply(store, ORIGIN, vec![at(ORIGIN, 7, 0, xcalled(&waiting))]);
    let chain_only = view(store, id, 1_080);
    assert_eq!(
        chain_only.waiting.as_ref().map(|w| w.reason),
        Some(R::AwaitingRouters)
    );
    let auction = |state: TransferState| Auction {
        transfer_id: id,
        origin: Some(ORIGIN),
        destination: Some(DESTINATION),
        state,
        reason: "as the sequencer says".to_owned(),
        bids: Vec::new(),
        selected: None,
        relayer_job: None,
    };
    let low_fee = chain_only
        .clone()
        .with_sequencer(&auction(TransferState::AwaitingFee {
            paid: U256::from(1),
            quote: U256::from(5),
        }));
    let waiting_view = low_fee.waiting.expect("waits");
    assert_eq!(waiting_view.reason, R::RelayerFeeBelowQuote);
    let action = waiting_view.action.expect("a bump");
    assert_eq!(action.amount, Some(U256::from(4)));
    assert_eq!(action.cli, format!("nxtp bump {id} --amount 4wei"));
    assert!(
        waiting_view.remedy.contains("4 wei"),
        "{}",
        waiting_view.remedy
    );
    for (state, reason) in [
        (TransferState::AwaitingXcall, R::AwaitingConfirmations),
        (TransferState::AwaitingLiquidity, R::NoRouterLiquidity),
        (
            TransferState::SlowPath {
                reason: "too long".to_owned(),
            },
            R::NoRouterLiquidity,
        ),
        (
            TransferState::ExecuteFailed {
                reason: "reverted: SlippageExceeded(amountOut: 1, minOut: 2)".to_owned(),
            },
            R::SlippageExceeded,
        ),
        (
            TransferState::Sent {
                routers: vec![router(1)],
                job_id: B256::repeat_byte(9),
            },
            R::AwaitingRelayer,
        ),
    ] {
        let refined = chain_only.clone().with_sequencer(&auction(state));
        assert_eq!(refined.waiting.map(|w| w.reason), Some(reason));
    }
    // A delivered transfer is not the sequencer's to explain.
    let done = failed_view_kept(store, called_id);
    assert_eq!(done, Some(R::CalldataReverted));
}

fn failed_view_kept(store: &dyn StatusStore, id: B256) -> Option<WaitReason> {
    use nxtp_api::sequencer::{TransferState, TransferView as Auction};
    let auction = Auction {
        transfer_id: id,
        origin: Some(ORIGIN),
        destination: Some(DESTINATION),
        state: TransferState::AwaitingLiquidity,
        reason: String::new(),
        bids: Vec::new(),
        selected: None,
        relayer_job: None,
    };
    view(store, id, 2_000)
        .with_sequencer(&auction)
        .waiting
        .map(|w| w.reason)
}
