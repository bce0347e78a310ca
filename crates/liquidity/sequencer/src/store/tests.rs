use super::*;
use alloy::primitives::U256;
use nxtp_agent::Store;
use nxtp_primitives::transfer_id;
use std::path::PathBuf;

fn open() -> (tempfile::TempDir, PathBuf, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sequencer.sqlite");
    let store = Store::open(&path, &[SCHEMA]).expect("opens");
    (dir, path, store)
}

fn params(nonce: u64) -> TransferInfo {
    TransferInfo {
        originDomain: 1000,
        destinationDomain: 2000,
        canonicalDomain: 1000,
        to: Address::repeat_byte(0x11),
        delegate: Address::ZERO,
        receiveLocal: false,
        callData: Bytes::new(),
        slippage: U256::from(30),
        originSender: Address::repeat_byte(0x22),
        bridgedAmt: U256::from(1_000_000),
        normalizedIn: U256::from(1_000_000),
        nonce: U256::from(nonce),
        canonicalId: B256::repeat_byte(0x33),
    }
}

fn new_transfer(nonce: u64, block: u64) -> NewTransfer {
    let params = params(nonce);
    NewTransfer {
        transfer_id: transfer_id(&params),
        params,
        block,
    }
}

fn fee(transfer: &NewTransfer, amount: u64, log_index: u64) -> RelayerFee {
    RelayerFee {
        transfer_id: transfer.transfer_id,
        asset: nxtp_liquidity::NATIVE,
        amount: U256::from(amount),
        block: transfer.block,
        log_index,
    }
}

fn decision(transfer: &NewTransfer) -> Decision {
    Decision {
        transfer_id: transfer.transfer_id,
        destination: Domain(2000),
        routers: vec![Address::repeat_byte(1), Address::repeat_byte(2)],
        calldata: Bytes::from_static(&[0xde, 0xad]),
        job_id: B256::repeat_byte(0x99),
        acknowledged: false,
        outcome: Outcome::Sent,
        opened_ms: 10,
        decided_ms: 20,
    }
}

#[test]
fn events_recorded_twice_count_once() {
    let (_dir, _path, store) = open();
    let first = new_transfer(0, 5);
    let fees = [fee(&first, 700, 1), fee(&first, 300, 4)];
    for _ in 0..2 {
        store
            .with(|conn| {
                record_origin_events(
                    conn,
                    Domain(1000),
                    std::slice::from_ref(&first),
                    &fees,
                    None,
                )
            })
            .expect("records");
    }
    let (stored, paid, elsewhere) = store
        .with(|conn| {
            Ok((
                transfer(conn, first.transfer_id)?,
                fee_paid(conn, Domain(1000), first.transfer_id)?,
                fee_paid(conn, Domain(3000), first.transfer_id)?,
            ))
        })
        .expect("reads");
    let stored = stored.expect("known");
    assert_eq!(stored.params, first.params);
    assert_eq!(stored.destination(), Domain(2000));
    assert_eq!(stored.auction_opened_ms, None);
    assert_eq!(paid.native(), U256::from(1_000));
    assert_eq!(
        elsewhere,
        FeesPaid::none(),
        "fees count on the transfer's origin only"
    );
}

#[test]
fn a_deep_reorg_forgets_undecided_transfers_and_their_fees() {
    let (_dir, _path, store) = open();
    let early = new_transfer(0, 5);
    let decided = new_transfer(1, 8);
    let undecided_late = new_transfer(2, 9);
    let all = [early.clone(), decided.clone(), undecided_late.clone()];
    let fees = [
        fee(&early, 1, 0),
        fee(&decided, 2, 0),
        fee(&undecided_late, 3, 0),
    ];
    store
        .with(|conn| {
            record_origin_events(conn, Domain(1000), &all, &fees, None)?;
            for transfer in &all {
                let signature = [(1, Bytes::from_static(&[1]))];
                insert_bids(
                    conn,
                    transfer.transfer_id,
                    Address::repeat_byte(1),
                    &checked(&signature),
                    true,
                    1,
                )?;
            }
            assert!(record_decision(conn, &decision(&decided))?);
            record_origin_events(conn, Domain(1000), &[], &[], Some(8))
        })
        .expect("records");
    let (open, early_fee, decided_fee, decided_known) = store
        .with(|conn| {
            Ok((
                undecided(conn)?,
                fee_paid(conn, Domain(1000), early.transfer_id)?,
                fee_paid(conn, Domain(1000), decided.transfer_id)?,
                transfer(conn, decided.transfer_id)?.is_some(),
            ))
        })
        .expect("reads");
    let open: Vec<B256> = open.iter().map(|t| t.transfer_id).collect();
    assert_eq!(open, [early.transfer_id]);
    assert_eq!(early_fee.native(), U256::from(1));
    assert_eq!(
        decided_fee,
        FeesPaid::none(),
        "its fee event is re-read from the new branch"
    );
    assert!(
        decided_known,
        "a decided transfer is kept: its execute may be out"
    );
}

/// Bid signatures as admitted (what `bids::check` returns), signed for domain 2000.
fn checked(signatures: &[(u32, Bytes)]) -> Checked {
    Checked {
        signatures: signatures.to_vec(),
        signed_for: Domain(2000),
    }
}

#[test]
fn a_repeated_bid_is_a_no_op_and_verification_is_recorded() {
    let (_dir, _path, store) = open();
    let id = B256::repeat_byte(7);
    let router = Address::repeat_byte(1);
    let signatures = [(1, Bytes::from_static(&[1])), (2, Bytes::from_static(&[2]))];
    let (first, again, other_signature) = store
        .with(|conn| {
            Ok((
                insert_bids(conn, id, router, &checked(&signatures), false, 1)?,
                insert_bids(conn, id, router, &checked(&signatures), false, 2)?,
                insert_bids(
                    conn,
                    id,
                    router,
                    &checked(&[(1, Bytes::from_static(&[9]))]),
                    false,
                    3,
                )?,
            ))
        })
        .expect("inserts");
    assert_eq!((first, again, other_signature), (2, 0, 0));
    store
        .with(|conn| {
            mark_verified(conn, id, router)?;
            drop_bid(conn, id, router, 2)
        })
        .expect("verifies");
    let bids = store.with(|conn| bids(conn, id)).expect("reads");
    assert_eq!(
        bids,
        [StoredBid {
            router,
            path_length: 1,
            signature: Bytes::from_static(&[1]),
            verified: true,
            signed_for: Some(Domain(2000)),
        }]
    );
}

#[test]
fn only_transfers_with_bids_need_an_auction() {
    let (_dir, _path, store) = open();
    let bid_on = new_transfer(0, 1);
    let ignored = new_transfer(1, 1);
    let open = store
        .with(|conn| {
            record_origin_events(conn, Domain(1000), &[bid_on.clone(), ignored], &[], None)?;
            let signature = [(1, Bytes::from_static(&[1]))];
            insert_bids(
                conn,
                bid_on.transfer_id,
                Address::repeat_byte(1),
                &checked(&signature),
                false,
                1,
            )?;
            undecided(conn)
        })
        .expect("reads");
    assert_eq!(
        open.iter().map(|t| t.transfer_id).collect::<Vec<_>>(),
        [bid_on.transfer_id]
    );
}

#[test]
fn a_consensus_node_awaits_every_transfer_neither_decided_nor_executed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(
        &dir.path().join("sequencer.sqlite"),
        &[SCHEMA, crate::executed::SCHEMA],
    )
    .expect("opens");
    let [unbid, bid_on, decided, executed] =
        [0, 1, 2, 3].map(|nonce| new_transfer(nonce, nonce + 1));
    let awaiting = store
        .with(|conn| {
            let all = [&unbid, &bid_on, &decided, &executed].map(Clone::clone);
            record_origin_events(conn, Domain(1000), &all, &[fee(&bid_on, 7, 0)], None)?;
            let signature = [(1, Bytes::from_static(&[1]))];
            insert_bids(
                conn,
                bid_on.transfer_id,
                Address::repeat_byte(1),
                &checked(&signature),
                true,
                1,
            )?;
            record_decision(conn, &decision(&decided))?;
            let seen = crate::executed::ExecutedOnChain {
                transfer_id: executed.transfer_id,
                block: 5,
                tx_hash: B256::repeat_byte(5),
                fast: false,
            };
            crate::executed::record(conn, Domain(2000), &[seen], None)?;
            awaiting_decision(conn)
        })
        .expect("reads");
    // Bids or not: the bids of a transfer may have reached another node.
    assert_eq!(
        awaiting
            .iter()
            .map(|auction| auction.transfer.transfer_id)
            .collect::<Vec<_>>(),
        [unbid.transfer_id, bid_on.transfer_id]
    );
    assert!(awaiting[0].bids.is_empty());
    assert_eq!(awaiting[1].bids.len(), 1);
    assert_eq!(
        awaiting[1].fee_paid,
        store
            .with(|conn| fee_paid(conn, Domain(1000), bid_on.transfer_id))
            .expect("fee")
    );
}

#[test]
fn shortness_is_kept_from_the_first_time() {
    let (_dir, _path, store) = open();
    let transfer = new_transfer(0, 1);
    let stored = store
        .with(|conn| {
            record_origin_events(
                conn,
                Domain(1000),
                std::slice::from_ref(&transfer),
                &[],
                None,
            )?;
            mark_short(conn, transfer.transfer_id, 5)?;
            mark_short(conn, transfer.transfer_id, 9)?;
            super::transfer(conn, transfer.transfer_id)
        })
        .expect("reads")
        .expect("known");
    assert_eq!(stored.short_since_ms, Some(5));
}

#[test]
fn the_auction_opens_once() {
    let (_dir, _path, store) = open();
    let transfer = new_transfer(0, 1);
    let opened = store
        .with(|conn| {
            record_origin_events(
                conn,
                Domain(1000),
                std::slice::from_ref(&transfer),
                &[],
                None,
            )?;
            open_auction(conn, transfer.transfer_id, 100)?;
            open_auction(conn, transfer.transfer_id, 200)?;
            super::transfer(conn, transfer.transfer_id)
        })
        .expect("opens")
        .expect("known")
        .auction_opened_ms;
    assert_eq!(opened, Some(100));
}

#[test]
fn a_decision_is_recorded_once_and_survives_a_restart() {
    let (_dir, path, store) = open();
    let transfer = new_transfer(0, 1);
    let mut second = decision(&transfer);
    second.routers = vec![Address::repeat_byte(3)];
    let (first_recorded, second_recorded) = store
        .with(|conn| {
            record_origin_events(
                conn,
                Domain(1000),
                std::slice::from_ref(&transfer),
                &[],
                None,
            )?;
            Ok((
                record_decision(conn, &decision(&transfer))?,
                record_decision(conn, &second)?,
            ))
        })
        .expect("records");
    assert!(first_recorded);
    assert!(!second_recorded, "never a second selection");
    drop(store);

    let store = Store::open(&path, &[SCHEMA]).expect("reopens");
    let (open, flying) = store
        .with(|conn| Ok((undecided(conn)?, in_flight(conn)?)))
        .expect("reads");
    assert!(open.is_empty());
    assert_eq!(
        flying,
        [decision(&transfer)],
        "the first decision, unacknowledged"
    );

    let job = B256::repeat_byte(0x42);
    let tx_hash = B256::repeat_byte(0x43);
    store
        .with(|conn| acknowledge(conn, transfer.transfer_id, job))
        .expect("acknowledges");
    let flying = store.with(|conn| in_flight(conn)).expect("reads");
    assert!(flying[0].acknowledged);
    assert_eq!(flying[0].job_id, job);
    store
        .with(|conn| finish(conn, transfer.transfer_id, &Outcome::Executed { tx_hash }))
        .expect("finishes");
    assert!(store
        .with(|conn| in_flight(conn))
        .expect("reads")
        .is_empty());
    let done = store
        .with(|conn| super::decision(conn, transfer.transfer_id))
        .expect("reads")
        .expect("decided");
    assert_eq!(done.outcome, Outcome::Executed { tx_hash });

    let failed = Outcome::Failed {
        reason: "InvalidTransferStatus".to_owned(),
    };
    store
        .with(|conn| finish(conn, transfer.transfer_id, &failed))
        .expect("finishes");
    let done = store
        .with(|conn| super::decision(conn, transfer.transfer_id))
        .expect("reads")
        .expect("decided");
    assert_eq!(done.outcome, failed);
}

#[test]
fn open_auctions_carry_bids_and_fees_and_a_closed_auction_is_not_one() {
    let (_dir, _path, store) = open();
    let short = new_transfer(0, 1);
    let decided = new_transfer(1, 1);
    let fees = [fee(&short, 40, 0), fee(&short, 2, 1)];
    let signature = [(1, Bytes::from_static(&[1]))];
    let auctions = store
        .with(|conn| {
            record_origin_events(
                conn,
                Domain(1000),
                &[short.clone(), decided.clone()],
                &fees,
                None,
            )?;
            for transfer in [&short, &decided] {
                insert_bids(
                    conn,
                    transfer.transfer_id,
                    Address::repeat_byte(1),
                    &checked(&signature),
                    true,
                    1,
                )?;
            }
            record_decision(conn, &decision(&decided))?;
            open_auctions(conn)
        })
        .expect("reads");
    assert_eq!(auctions.len(), 1, "the decided transfer is no auction");
    assert_eq!(auctions[0].transfer.transfer_id, short.transfer_id);
    assert_eq!(auctions[0].fee_paid.native(), U256::from(42));
    assert_eq!(auctions[0].bids.len(), 1);
    assert_eq!(auctions[0].bids[0].router, Address::repeat_byte(1));

    let (closed_decided, closed, again, auctions, stored) = store
        .with(|conn| {
            Ok((
                close(conn, decided.transfer_id, "reconciled", 7)?,
                close(conn, short.transfer_id, "reconciled", 7)?,
                close(conn, short.transfer_id, "too long", 8)?,
                open_auctions(conn)?,
                transfer(conn, short.transfer_id)?,
            ))
        })
        .expect("closes");
    assert!(!closed_decided, "a decided transfer is never closed");
    assert!(closed);
    assert!(!again, "closed once");
    assert!(auctions.is_empty(), "a closed auction is not looked at");
    assert_eq!(
        stored.expect("known").closed_reason.as_deref(),
        Some("reconciled")
    );
}

/// The sequencer's schema as it was before the migration that mentions `marker`.
fn schema_before(marker: &str) -> Schema {
    let before = SCHEMA
        .migrations
        .iter()
        .position(|migration| migration.contains(marker))
        .expect("a migration mentions the marker");
    Schema {
        name: SCHEMA.name,
        migrations: &SCHEMA.migrations[..before],
    }
}

#[test]
fn fees_recorded_by_the_previous_schema_stay_native() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sequencer.sqlite");
    let previous = schema_before("ADD COLUMN asset");
    let transfer = new_transfer(0, 5);
    let id = transfer.transfer_id;
    let old = Store::open(&path, &[previous]).expect("the previous schema");
    old.with(|conn| {
        conn.execute(
            "INSERT INTO sequencer_fees (origin, block, log_index, transfer_id, amount)
             VALUES (1000, 5, 0, ?1, ?2)",
            params![id.as_slice(), U256::from(9).to_be_bytes::<32>()],
        )
    })
    .expect("a fee as the previous sequencer recorded it");
    drop(old);

    let store = Store::open(&path, &[SCHEMA]).expect("migrates");
    let token = Address::repeat_byte(0x77);
    let in_token = RelayerFee {
        asset: token,
        ..fee(&transfer, 40, 1)
    };
    let paid = store
        .with(|conn| {
            record_origin_events(conn, Domain(1000), &[transfer], &[in_token], None)?;
            fee_paid(conn, Domain(1000), id)
        })
        .expect("reads");
    assert_eq!(paid.native(), U256::from(9), "the old row is a native fee");
    assert_eq!(paid.in_asset(token), U256::from(40));
}

#[test]
fn router_activity_tells_each_routers_newest_bid_and_the_work_left_unbid() {
    let (_dir, _path, store) = open();
    let first = new_transfer(0, 1);
    let second = new_transfer(1, 1);
    let unbid = new_transfer(2, 1);
    let (activity, last_auction, awaiting) = store
        .with(|conn| {
            record_origin_events(
                conn,
                Domain(1000),
                &[first.clone(), second.clone(), unbid],
                &[],
                None,
            )?;
            let signature = [(1, Bytes::from_static(&[1]))];
            let (one, two) = (Address::repeat_byte(1), Address::repeat_byte(2));
            insert_bids(conn, first.transfer_id, one, &checked(&signature), true, 10)?;
            insert_bids(
                conn,
                second.transfer_id,
                one,
                &checked(&signature),
                true,
                30,
            )?;
            insert_bids(conn, first.transfer_id, two, &checked(&signature), true, 20)?;
            open_auction(conn, first.transfer_id, 10)?;
            open_auction(conn, second.transfer_id, 30)?;
            Ok((
                router_activity(conn)?,
                last_auction_ms(conn)?,
                awaiting_bids(conn)?,
            ))
        })
        .expect("reads");
    assert_eq!(
        activity,
        [
            (Address::repeat_byte(1), 30, 2),
            (Address::repeat_byte(2), 20, 1)
        ]
    );
    assert_eq!(last_auction, Some(30));
    assert_eq!(awaiting, 1, "the third transfer has no bid");
}

#[test]
fn decisions_recorded_before_the_open_index_leave_it_when_it_is_built() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sequencer.sqlite");
    let previous = schema_before("sequencer_transfers_open");
    let (decided, open, unbid) = (new_transfer(0, 1), new_transfer(1, 1), new_transfer(2, 2));
    let router = Address::repeat_byte(1);
    let old = Store::open(&path, &[previous]).expect("the previous schema");
    old.with(|conn| {
        let transfers = [decided.clone(), open.clone(), unbid.clone()];
        record_origin_events(conn, Domain(1000), &transfers, &[], None)?;
        // Bids as that sequencer recorded them: no `signed_for`.
        for transfer in [&decided, &open] {
            conn.execute(
                "INSERT INTO sequencer_bids
                     (transfer_id, router, path_length, signature, received_ms, verified)
                 VALUES (?1, ?2, 1, x'01', 10, 1)",
                params![transfer.transfer_id.as_slice(), router.as_slice()],
            )?;
        }
        record_decision(conn, &decision(&decided)).map(drop)
    })
    .expect("a decision as the previous sequencer recorded it");
    drop(old);

    let store = Store::open(&path, &[SCHEMA, crate::executed::SCHEMA]).expect("migrates");
    let ids = |transfers: Vec<StoredTransfer>| -> Vec<B256> {
        transfers.iter().map(|t| t.transfer_id).collect()
    };
    let (undecided_before, awaiting_before) = store
        .with(|conn| Ok((undecided(conn)?, awaiting_bids(conn)?)))
        .expect("reads");
    assert_eq!(
        ids(undecided_before),
        [open.transfer_id],
        "the decided one left"
    );
    assert_eq!(awaiting_before, 1, "only the unbid transfer awaits bids");
    let kept = store
        .with(|conn| bids(conn, open.transfer_id))
        .expect("reads");
    assert_eq!(
        kept.iter().map(|bid| bid.signed_for).collect::<Vec<_>>(),
        [None],
        "an earlier bid names no destination: it is checked again once its transfer is known"
    );

    // A decision recorded now takes its transfer out of the open index in the same statement.
    let (undecided_after, awaiting_decision_after) = store
        .with(|conn| {
            record_decision(conn, &decision(&open))?;
            Ok((undecided(conn)?, awaiting_decision(conn)?))
        })
        .expect("reads");
    assert!(undecided_after.is_empty());
    assert_eq!(
        awaiting_decision_after
            .iter()
            .map(|auction| auction.transfer.transfer_id)
            .collect::<Vec<_>>(),
        [unbid.transfer_id]
    );
}
