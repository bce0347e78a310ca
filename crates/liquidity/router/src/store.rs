//! The router's tables and every query it makes.
//!
//! - `router_transfers`: every transfer seen on a followed origin, with where the router's
//!   decision stands (`pending` to evaluate, `waiting` for a higher fee, `bid`, `skipped`);
//! - `router_fees`: the `TransferRelayerFeesIncreased` events with their asset (zero: native),
//!   keyed by their place in the origin's chain so a re-delivered log is counted once;
//! - `router_bids` and `router_bid_signatures`: the bids signed, keyed by transfer id. The key is
//!   what makes "one bid per transfer, ever" hold: a bid is recorded before it is posted, and
//!   nothing deletes it, not even a reorg of its `xcall`.

use crate::decision::SkipReason;
use alloy::{
    primitives::{Bytes, B256},
    sol_types::SolValue,
};
use nxtp_agent::storage::Schema;
use nxtp_liquidity::{FeeTable, FeesPaid, RelayerFee};
use nxtp_primitives::{Domain, TransferInfo};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::BTreeMap;

/// The router's tables; opened beside [`nxtp_chain::SCHEMAS`].
pub const SCHEMA: Schema = Schema {
    name: "nxtp_router",
    migrations: &[
        "CREATE TABLE router_transfers (
            transfer_id BLOB PRIMARY KEY,
            origin INTEGER NOT NULL,
            destination INTEGER NOT NULL,
            info BLOB NOT NULL,
            block INTEGER NOT NULL,
            xcalled_at INTEGER NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            label TEXT
        ) STRICT;
        CREATE INDEX router_transfers_due ON router_transfers (destination, state);
        CREATE TABLE router_fees (
            origin INTEGER NOT NULL,
            block INTEGER NOT NULL,
            log_index INTEGER NOT NULL,
            transfer_id BLOB NOT NULL,
            amount BLOB NOT NULL,
            PRIMARY KEY (origin, block, log_index)
        ) STRICT;
        CREATE INDEX router_fees_transfer ON router_fees (transfer_id);
        CREATE TABLE router_bids (
            transfer_id BLOB PRIMARY KEY,
            destination INTEGER NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            created_ms INTEGER NOT NULL,
            posted_ms INTEGER
        ) STRICT;
        CREATE INDEX router_bids_state ON router_bids (state);
        CREATE TABLE router_bid_signatures (
            transfer_id BLOB NOT NULL REFERENCES router_bids (transfer_id),
            path_length INTEGER NOT NULL,
            signature BLOB NOT NULL,
            PRIMARY KEY (transfer_id, path_length)
        ) STRICT;",
        // Fees paid in an asset are kept too; the rows before them were native.
        "ALTER TABLE router_fees ADD COLUMN asset BLOB NOT NULL
            DEFAULT x'0000000000000000000000000000000000000000';",
    ],
};

/// One `XCalled` of a followed origin.
#[derive(Clone, Debug)]
pub struct NewTransfer {
    /// Its id.
    pub id: B256,
    /// Everything hashed into the id.
    pub info: TransferInfo,
    /// Its block.
    pub block: u64,
    /// Its block's timestamp.
    pub xcalled_at: u64,
    /// What the configuration alone says, if it already rules the transfer out.
    pub screened: Option<SkipReason>,
}

/// The relayer fees paid on each followed origin, per asset (created by [`SCHEMA`]).
pub const FEES: FeeTable = FeeTable::new("router_fees");

/// What recording a batch of origin events changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Transfers seen for the first time.
    pub new_transfers: usize,
    /// Of those, the ones screened out, by destination and reason label.
    pub screened: Vec<(Domain, &'static str)>,
    /// Transfers that were waiting for a higher fee and got one: due for evaluation again.
    pub woken: usize,
}

/// A transfer due for evaluation.
#[derive(Clone, Debug)]
pub struct DueTransfer {
    /// Its id.
    pub id: B256,
    /// Everything hashed into the id.
    pub info: TransferInfo,
    /// Its block's timestamp.
    pub xcalled_at: u64,
    /// The fees paid so far on its origin, per asset.
    pub fee_paid: FeesPaid,
}

/// Where a bid stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BidState {
    /// Signed and recorded; not yet acknowledged by the sequencer.
    Recorded,
    /// Acknowledged by the sequencer.
    Posted,
    /// Refused by the sequencer (a final 4xx).
    Rejected,
}

impl BidState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Recorded => "recorded",
            Self::Posted => "posted",
            Self::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> rusqlite::Result<Self> {
        Ok(match text {
            "recorded" => Self::Recorded,
            "posted" => Self::Posted,
            "rejected" => Self::Rejected,
            other => {
                return Err(rusqlite::Error::InvalidColumnType(
                    0,
                    format!("bid state {other}"),
                    rusqlite::types::Type::Text,
                ))
            }
        })
    }
}

/// A bid as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBid {
    /// The transfer bid on.
    pub transfer_id: B256,
    /// Its destination.
    pub destination: Domain,
    /// The signature per path length.
    pub signatures: BTreeMap<u32, Bytes>,
    /// Where it stands.
    pub state: BidState,
    /// Why the sequencer refused it, if it did.
    pub reason: Option<String>,
}

/// Records a batch of an origin's events: new transfers (screened-out ones directly as skipped;
/// known ones are left as they are) and relayer fees in any asset (each once). Transfers waiting
/// for a higher fee that got one become due again.
pub fn record_origin_events(
    tx: &Transaction<'_>,
    origin: Domain,
    transfers: &[NewTransfer],
    fees: &[RelayerFee],
) -> rusqlite::Result<Recorded> {
    let mut recorded = Recorded::default();
    let mut insert_transfer = tx.prepare_cached(
        "INSERT INTO router_transfers
             (transfer_id, origin, destination, info, block, xcalled_at, state, reason, label)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (transfer_id) DO NOTHING",
    )?;
    for transfer in transfers {
        let (state, reason, label) = match &transfer.screened {
            None => ("pending", None, None),
            Some(reason) => ("skipped", Some(reason.to_string()), Some(reason.label())),
        };
        let destination = Domain(transfer.info.destinationDomain);
        let inserted = insert_transfer.execute(params![
            transfer.id.as_slice(),
            origin.get(),
            destination.get(),
            transfer.info.abi_encode(),
            transfer.block,
            transfer.xcalled_at,
            state,
            reason,
            label
        ])?;
        if inserted == 1 {
            recorded.new_transfers += 1;
            if let Some(label) = label {
                recorded.screened.push((destination, label));
            }
        }
    }
    let mut wake = tx.prepare_cached(
        "UPDATE router_transfers SET state = 'pending', reason = NULL, label = NULL
         WHERE transfer_id = ?1 AND origin = ?2 AND state = 'waiting'",
    )?;
    for fee in fees {
        if FEES.record(tx, origin, fee)? {
            recorded.woken += wake.execute(params![fee.transfer_id.as_slice(), origin.get()])?;
        }
    }
    Ok(recorded)
}

/// Forgets what `origin` recorded from block `from` on (a deep reorg replaced those blocks), except
/// transfers already bid on: the bid stands whatever became of its `xcall`.
pub fn forget_from(tx: &Transaction<'_>, origin: Domain, from: u64) -> rusqlite::Result<()> {
    FEES.forget_from(tx, origin, from)?;
    tx.prepare_cached(
        "DELETE FROM router_transfers WHERE origin = ?1 AND block >= ?2 AND state != 'bid'",
    )?
    .execute(params![origin.get(), from])?;
    Ok(())
}

/// Up to `limit` transfers to `destination` due for evaluation, oldest first, with the native fee
/// each has paid on its origin.
pub fn due_transfers(
    conn: &Connection,
    destination: Domain,
    limit: usize,
) -> rusqlite::Result<Vec<DueTransfer>> {
    let mut statement = conn.prepare_cached(
        "SELECT transfer_id, origin, info, xcalled_at FROM router_transfers
         WHERE destination = ?1 AND state = 'pending'
         ORDER BY block, rowid LIMIT ?2",
    )?;
    let rows = statement.query_map(params![destination.get(), limit], |row| {
        Ok((
            B256::from(row.get::<_, [u8; 32]>(0)?),
            Domain(row.get(1)?),
            row.get::<_, Vec<u8>>(2)?,
            row.get::<_, u64>(3)?,
        ))
    })?;
    let mut due = Vec::new();
    for row in rows {
        let (id, origin, info, xcalled_at) = row?;
        let info = TransferInfo::abi_decode(&info).map_err(|err| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Blob, Box::new(err))
        })?;
        due.push(DueTransfer {
            id,
            info,
            xcalled_at,
            fee_paid: FEES.paid(conn, origin, id)?,
        });
    }
    Ok(due)
}

/// Records a decision not to bid (yet): `waiting` for a higher fee, or `skipped` for good. Only a
/// transfer still pending changes.
pub fn record_skip(conn: &Connection, id: B256, reason: &SkipReason) -> rusqlite::Result<bool> {
    let state = if reason.is_final() {
        "skipped"
    } else {
        "waiting"
    };
    let changed = conn
        .prepare_cached(
            "UPDATE router_transfers SET state = ?2, reason = ?3, label = ?4
         WHERE transfer_id = ?1 AND state = 'pending'",
        )?
        .execute(params![
            id.as_slice(),
            state,
            reason.to_string(),
            reason.label()
        ])?;
    Ok(changed == 1)
}

/// Records a signed bid and marks its transfer bid on, in one transaction. Returns `false`,
/// recording nothing, when the transfer already has a bid: one bid per transfer, ever.
pub fn record_bid(
    conn: &mut Connection,
    id: B256,
    destination: Domain,
    signatures: &BTreeMap<u32, Bytes>,
    now_ms: u64,
) -> rusqlite::Result<bool> {
    let tx = conn.transaction()?;
    let inserted = insert_bid(&tx, id, destination, signatures, now_ms)?;
    tx.commit()?;
    Ok(inserted)
}

/// [`record_bid`] inside the caller's transaction.
fn insert_bid(
    tx: &Transaction<'_>,
    id: B256,
    destination: Domain,
    signatures: &BTreeMap<u32, Bytes>,
    now_ms: u64,
) -> rusqlite::Result<bool> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO router_bids (transfer_id, destination, state, created_ms)
         VALUES (?1, ?2, 'recorded', ?3)
         ON CONFLICT (transfer_id) DO NOTHING",
        )?
        .execute(params![id.as_slice(), destination.get(), now_ms])?;
    if inserted == 0 {
        return Ok(false);
    }
    for (path_length, signature) in signatures {
        tx.prepare_cached(
            "INSERT INTO router_bid_signatures (transfer_id, path_length, signature)
             VALUES (?1, ?2, ?3)",
        )?
        .execute(params![id.as_slice(), path_length, signature.as_ref()])?;
    }
    tx.prepare_cached(
        "UPDATE router_transfers SET state = 'bid', reason = NULL, label = NULL
         WHERE transfer_id = ?1",
    )?
    .execute([id.as_slice()])?;
    Ok(true)
}

/// What the bidder concluded about one transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A signed bid: the signature per path length.
    Bid(BTreeMap<u32, Bytes>),
    /// No bid, for now or for good.
    Skip(SkipReason),
}

/// Records the verdicts on a batch of transfers to `destination` in one transaction, each as
/// [`record_bid`] or [`record_skip`] would; returns, per verdict, whether it changed anything.
pub fn record_verdicts(
    conn: &mut Connection,
    destination: Domain,
    verdicts: &[(B256, Verdict)],
    now_ms: u64,
) -> rusqlite::Result<Vec<bool>> {
    let tx = conn.transaction()?;
    let mut changed = Vec::with_capacity(verdicts.len());
    for (id, verdict) in verdicts {
        changed.push(match verdict {
            Verdict::Bid(signatures) => insert_bid(&tx, *id, destination, signatures, now_ms)?,
            Verdict::Skip(reason) => record_skip(&tx, *id, reason)?,
        });
    }
    tx.commit()?;
    Ok(changed)
}

/// Up to `limit` bids not yet acknowledged, oldest first.
pub fn bids_to_post(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<StoredBid>> {
    let ids: Vec<[u8; 32]> = conn
        .prepare_cached(
            "SELECT transfer_id FROM router_bids WHERE state = 'recorded'
             ORDER BY created_ms, rowid LIMIT ?1",
        )?
        .query_map([limit], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut bids = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(found) = bid(conn, B256::from(id))? {
            bids.push(found);
        }
    }
    Ok(bids)
}

/// The bid on `id`, if the router made one.
pub fn bid(conn: &Connection, id: B256) -> rusqlite::Result<Option<StoredBid>> {
    let Some((destination, state, reason)) = conn
        .prepare_cached(
            "SELECT destination, state, reason FROM router_bids WHERE transfer_id = ?1",
        )?
        .query_row([id.as_slice()], |row| {
            Ok((
                Domain(row.get(0)?),
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
            ))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let signatures = conn
        .prepare_cached(
            "SELECT path_length, signature FROM router_bid_signatures WHERE transfer_id = ?1
             ORDER BY path_length",
        )?
        .query_map([id.as_slice()], |row| {
            Ok((
                row.get::<_, u32>(0)?,
                Bytes::from(row.get::<_, Vec<u8>>(1)?),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(StoredBid {
        transfer_id: id,
        destination,
        signatures,
        state: BidState::parse(&state)?,
        reason,
    }))
}

/// Records the sequencer's answer to a recorded bid: acknowledged, or refused for `reason`.
/// Only a bid still waiting for an answer changes.
pub fn record_post_outcome(
    conn: &Connection,
    id: B256,
    outcome: Result<(), &str>,
    now_ms: u64,
) -> rusqlite::Result<bool> {
    let (state, reason) = match outcome {
        Ok(()) => (BidState::Posted, None),
        Err(reason) => (BidState::Rejected, Some(reason)),
    };
    let changed = conn
        .prepare_cached(
            "UPDATE router_bids SET state = ?2, reason = ?3, posted_ms = ?4
         WHERE transfer_id = ?1 AND state = 'recorded'",
        )?
        .execute(params![id.as_slice(), state.as_str(), reason, now_ms])?;
    Ok(changed == 1)
}

/// Where the router's decision on `id` stands: its state and, unless bid, the reason label.
pub fn transfer_state(
    conn: &Connection,
    id: B256,
) -> rusqlite::Result<Option<(String, Option<String>)>> {
    conn.prepare_cached("SELECT state, label FROM router_transfers WHERE transfer_id = ?1")?
        .query_row([id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, U256};
    use nxtp_agent::Store;

    const ORIGIN: Domain = Domain(2000);
    const DESTINATION: Domain = Domain(1000);

    fn open(path: &std::path::Path) -> Store {
        Store::open(path, &[SCHEMA]).expect("opens")
    }

    fn info(nonce: u64) -> TransferInfo {
        TransferInfo {
            originDomain: ORIGIN.get(),
            destinationDomain: DESTINATION.get(),
            canonicalDomain: DESTINATION.get(),
            to: Address::repeat_byte(2),
            delegate: Address::ZERO,
            receiveLocal: false,
            callData: Bytes::from_static(b"hi"),
            slippage: U256::from(30),
            originSender: Address::repeat_byte(3),
            bridgedAmt: U256::from(1_000),
            normalizedIn: U256::from(1_000),
            nonce: U256::from(nonce),
            canonicalId: B256::with_last_byte(7),
        }
    }

    fn new_transfer(nonce: u64, block: u64) -> NewTransfer {
        let info = info(nonce);
        NewTransfer {
            id: nxtp_primitives::transfer_id(&info),
            info,
            block,
            xcalled_at: 1_000 + block,
            screened: None,
        }
    }

    fn fee(transfer: &NewTransfer, amount: u64, block: u64, log_index: u64) -> RelayerFee {
        RelayerFee {
            transfer_id: transfer.id,
            asset: nxtp_liquidity::NATIVE,
            amount: U256::from(amount),
            block,
            log_index,
        }
    }

    fn record(store: &Store, transfers: &[NewTransfer], fees: &[RelayerFee]) -> Recorded {
        store
            .with(|conn| {
                let tx = conn.transaction()?;
                let recorded = record_origin_events(&tx, ORIGIN, transfers, fees)?;
                tx.commit()?;
                Ok(recorded)
            })
            .expect("records")
    }

    fn due(store: &Store) -> Vec<DueTransfer> {
        store
            .with(|conn| due_transfers(conn, DESTINATION, 10))
            .expect("reads")
    }

    #[test]
    fn fees_recorded_by_the_previous_schema_stay_native() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("router.sqlite");
        let previous = Schema {
            name: SCHEMA.name,
            migrations: &SCHEMA.migrations[..SCHEMA.migrations.len() - 1],
        };
        let transfer = new_transfer(1, 5);
        let old = Store::open(&path, &[previous]).expect("the previous schema");
        old.with(|conn| {
            conn.execute(
                "INSERT INTO router_fees (origin, block, log_index, transfer_id, amount)
                 VALUES (?1, 5, 0, ?2, ?3)",
                params![
                    ORIGIN.get(),
                    transfer.id.as_slice(),
                    U256::from(9).to_be_bytes::<32>()
                ],
            )
        })
        .expect("a fee as the previous router recorded it");
        drop(old);

        let store = open(&path);
        let token = Address::repeat_byte(0x77);
        let in_token = RelayerFee {
            asset: token,
            ..fee(&transfer, 40, 5, 1)
        };
        record(&store, &[transfer], &[in_token]);
        let due = due(&store);
        assert_eq!(
            due[0].fee_paid.native(),
            U256::from(9),
            "the old row is native"
        );
        assert_eq!(due[0].fee_paid.in_asset(token), U256::from(40));
    }

    fn signatures() -> BTreeMap<u32, Bytes> {
        BTreeMap::from([
            (1, Bytes::from(vec![1u8; 65])),
            (2, Bytes::from(vec![2u8; 65])),
        ])
    }

    #[test]
    fn re_delivered_events_count_once_and_fees_sum_per_transfer() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(&dir.path().join("router.sqlite"));
        let first = new_transfer(0, 10);
        let mut screened = new_transfer(1, 10);
        screened.screened = Some(SkipReason::AssetNotConfigured);
        let fees = [fee(&first, 5, 10, 1), fee(&first, 7, 12, 0)];
        let recorded = record(&store, &[first.clone(), screened.clone()], &fees);
        assert_eq!(recorded.new_transfers, 2);
        assert_eq!(
            recorded.screened,
            vec![(DESTINATION, "asset_not_configured")]
        );
        // The same batch again (a crash before its commit elsewhere, or a rewound cursor).
        let again = record(&store, &[first.clone(), screened.clone()], &fees);
        assert_eq!(again, Recorded::default());

        let due = due(&store);
        assert_eq!(due.len(), 1, "the screened transfer is not due");
        assert_eq!(due[0].id, first.id);
        assert_eq!(due[0].info, first.info, "stored and decoded whole");
        assert_eq!(due[0].fee_paid.native(), U256::from(12));
        assert_eq!(due[0].xcalled_at, 1_010);
        let state = store
            .with(|conn| transfer_state(conn, screened.id))
            .expect("reads");
        assert_eq!(
            state,
            Some((
                "skipped".to_owned(),
                Some("asset_not_configured".to_owned())
            ))
        );
    }

    #[test]
    fn a_waiting_transfer_is_due_again_when_its_fee_grows() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(&dir.path().join("router.sqlite"));
        let transfer = new_transfer(0, 10);
        record(
            &store,
            std::slice::from_ref(&transfer),
            &[fee(&transfer, 5, 10, 1)],
        );
        let low = SkipReason::FeeTooLow {
            paid: U256::from(5),
            quote: U256::from(9),
        };
        assert!(store
            .with(|conn| record_skip(conn, transfer.id, &low))
            .expect("records"));
        assert!(due(&store).is_empty(), "waiting");
        // A fee for another origin's transfer of the same id would not count; this one does.
        let recorded = record(&store, &[], &[fee(&transfer, 4, 11, 0)]);
        assert_eq!(recorded.woken, 1);
        let due = due(&store);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].fee_paid.native(), U256::from(9));

        // A final skip is never woken.
        assert!(store
            .with(|conn| record_skip(conn, transfer.id, &SkipReason::RouterNotApproved))
            .expect("records"));
        let recorded = record(&store, &[], &[fee(&transfer, 4, 12, 0)]);
        assert_eq!(recorded.woken, 0);
        assert!(self::due(&store).is_empty());
    }

    #[test]
    fn a_restarted_router_never_bids_twice_even_after_a_reorg_or_a_rewound_cursor() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("router.sqlite");
        let transfer = new_transfer(0, 10);
        {
            let store = open(&path);
            record(&store, std::slice::from_ref(&transfer), &[]);
            let recorded = store
                .with(|conn| record_bid(conn, transfer.id, DESTINATION, &signatures(), 1))
                .expect("records");
            assert!(recorded);
        }
        // Restart: the bid is there and still to post; nothing is due.
        let store = open(&path);
        let to_post = store.with(|conn| bids_to_post(conn, 10)).expect("reads");
        assert_eq!(to_post.len(), 1);
        assert_eq!(to_post[0].signatures, signatures());
        assert_eq!(to_post[0].state, BidState::Recorded);
        assert!(due(&store).is_empty());

        // The same logs read again, even after a reorg rewound past them: still one bid.
        store
            .with(|conn| {
                let tx = conn.transaction()?;
                forget_from(&tx, ORIGIN, 5)?;
                tx.commit()
            })
            .expect("forgets");
        let recorded = record(&store, std::slice::from_ref(&transfer), &[]);
        assert_eq!(
            recorded.new_transfers, 0,
            "a bid transfer survives the reorg"
        );
        assert!(due(&store).is_empty());
        let other: BTreeMap<u32, Bytes> = BTreeMap::from([(4, Bytes::from(vec![4u8; 65]))]);
        let second = store
            .with(|conn| record_bid(conn, transfer.id, DESTINATION, &other, 2))
            .expect("refuses cleanly");
        assert!(!second);
        let stored = store
            .with(|conn| bid(conn, transfer.id))
            .expect("reads")
            .expect("bid");
        assert_eq!(
            stored.signatures,
            signatures(),
            "the first bid is untouched"
        );

        // Acknowledged once; a second answer changes nothing.
        assert!(store
            .with(|conn| record_post_outcome(conn, transfer.id, Ok(()), 3))
            .expect("records"));
        assert!(!store
            .with(|conn| record_post_outcome(conn, transfer.id, Err("late"), 4))
            .expect("ignores"));
        assert!(store
            .with(|conn| bids_to_post(conn, 10))
            .expect("reads")
            .is_empty());
    }

    #[test]
    fn a_batch_of_verdicts_is_recorded_at_once_and_never_bids_twice() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(&dir.path().join("router.sqlite"));
        let (bid_on, waiting, skipped) = (
            new_transfer(0, 10),
            new_transfer(1, 10),
            new_transfer(2, 11),
        );
        record(
            &store,
            &[bid_on.clone(), waiting.clone(), skipped.clone()],
            &[],
        );
        let low = SkipReason::FeeTooLow {
            paid: U256::from(1),
            quote: U256::from(2),
        };
        let verdicts = [
            (bid_on.id, Verdict::Bid(signatures())),
            (waiting.id, Verdict::Skip(low)),
            (skipped.id, Verdict::Skip(SkipReason::RouterNotApproved)),
        ];
        let changed = store
            .with(|conn| record_verdicts(conn, DESTINATION, &verdicts, 5))
            .expect("records");
        assert_eq!(changed, [true, true, true]);
        assert!(due(&store).is_empty());
        let states: Vec<_> = [bid_on.id, waiting.id, skipped.id]
            .iter()
            .map(|id| {
                store
                    .with(|conn| transfer_state(conn, *id))
                    .expect("reads")
                    .expect("known")
                    .0
            })
            .collect();
        assert_eq!(states, ["bid", "waiting", "skipped"]);
        let stored = store
            .with(|conn| bid(conn, bid_on.id))
            .expect("reads")
            .expect("bid");
        assert_eq!(stored.signatures, signatures());

        // The same batch again (a re-read transfer): nothing changes, the first bid stands.
        let other = BTreeMap::from([(4, Bytes::from(vec![4u8; 65]))]);
        let again = [
            (bid_on.id, Verdict::Bid(other)),
            (skipped.id, Verdict::Skip(SkipReason::NothingBridged)),
        ];
        let changed = store
            .with(|conn| record_verdicts(conn, DESTINATION, &again, 6))
            .expect("records");
        assert_eq!(changed, [false, false]);
        let stored = store
            .with(|conn| bid(conn, bid_on.id))
            .expect("reads")
            .expect("bid");
        assert_eq!(
            stored.signatures,
            signatures(),
            "the first bid is untouched"
        );
    }

    #[test]
    fn a_rejection_is_recorded_with_its_reason_and_a_reorg_forgets_unbid_transfers() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(&dir.path().join("router.sqlite"));
        let early = new_transfer(0, 10);
        let late = new_transfer(1, 20);
        record(
            &store,
            &[early.clone(), late.clone()],
            &[fee(&late, 5, 20, 1)],
        );
        store
            .with(|conn| record_bid(conn, early.id, DESTINATION, &signatures(), 1))
            .expect("records");
        store
            .with(|conn| record_post_outcome(conn, early.id, Err("invalid_path_length: 4 > 2"), 2))
            .expect("records");
        let rejected = store
            .with(|conn| bid(conn, early.id))
            .expect("reads")
            .expect("bid");
        assert_eq!(rejected.state, BidState::Rejected);
        assert_eq!(
            rejected.reason.as_deref(),
            Some("invalid_path_length: 4 > 2")
        );

        store
            .with(|conn| {
                let tx = conn.transaction()?;
                forget_from(&tx, ORIGIN, 15)?;
                tx.commit()
            })
            .expect("forgets");
        assert!(due(&store).is_empty(), "the late transfer is gone");
        assert_eq!(
            store
                .with(|conn| transfer_state(conn, late.id))
                .expect("reads"),
            None
        );
        // Re-read on the new branch: due again, and its old fee is not double counted.
        record(&store, std::slice::from_ref(&late), &[fee(&late, 5, 21, 0)]);
        let due = due(&store);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].fee_paid.native(), U256::from(5));
    }
}
