//! The sequencer's tables and every query it makes.
//!
//! - `sequencer_transfers`: every confirmed `XCalled` on a served domain, with its full params,
//!   when its auction opened (the first valid bid), since when no combination of bids covers it,
//!   and why its auction was closed without a decision (the slow path took it);
//! - `sequencer_fees`: every `TransferRelayerFeesIncreased` with its asset (zero: native), keyed
//!   by its position in its chain so a re-delivered batch counts it once;
//! - `sequencer_bids`: one row per router and path length; `verified` once the router's approval
//!   on the destination was checked (bids can arrive before the transfer is known: such early
//!   bids are bounded per router and expire, see `config::EarlyBids`);
//! - `sequencer_decisions`: the chosen routers and the exact execute calldata, recorded before
//!   the job is posted, so a restart re-posts the same job and never chooses again.

use crate::bids::Checked;
use alloy::{
    primitives::{Address, Bytes, B256},
    sol_types::SolValue,
};
use nxtp_agent::storage::Schema;
use nxtp_liquidity::{FeeTable, FeesPaid, RelayerFee};
use nxtp_primitives::{Domain, TransferInfo};
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The sequencer's tables; opened beside [`nxtp_chain::SCHEMAS`].
pub const SCHEMA: Schema = Schema {
    name: "nxtp_sequencer",
    migrations: &[
        "CREATE TABLE sequencer_transfers (
            transfer_id BLOB PRIMARY KEY,
            origin INTEGER NOT NULL,
            destination INTEGER NOT NULL,
            params BLOB NOT NULL,
            block INTEGER NOT NULL,
            auction_opened_ms INTEGER,
            short_since_ms INTEGER
        ) STRICT;
        CREATE TABLE sequencer_fees (
            origin INTEGER NOT NULL,
            block INTEGER NOT NULL,
            log_index INTEGER NOT NULL,
            transfer_id BLOB NOT NULL,
            amount BLOB NOT NULL,
            PRIMARY KEY (origin, block, log_index)
        ) STRICT;
        CREATE INDEX sequencer_fees_transfer ON sequencer_fees (transfer_id);
        CREATE TABLE sequencer_bids (
            transfer_id BLOB NOT NULL,
            router BLOB NOT NULL,
            path_length INTEGER NOT NULL,
            signature BLOB NOT NULL,
            received_ms INTEGER NOT NULL,
            verified INTEGER NOT NULL,
            PRIMARY KEY (transfer_id, router, path_length)
        ) STRICT;
        CREATE TABLE sequencer_decisions (
            transfer_id BLOB PRIMARY KEY REFERENCES sequencer_transfers (transfer_id),
            destination INTEGER NOT NULL,
            routers BLOB NOT NULL,
            calldata BLOB NOT NULL,
            job_id BLOB NOT NULL,
            acknowledged INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            tx_hash BLOB,
            reason TEXT,
            opened_ms INTEGER NOT NULL,
            decided_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX sequencer_decisions_state ON sequencer_decisions (state, acknowledged);",
        "ALTER TABLE sequencer_transfers ADD COLUMN closed_ms INTEGER;
        ALTER TABLE sequencer_transfers ADD COLUMN closed_reason TEXT;",
        // Early bids (on transfers not seen yet) are bounded per router and expire: found by
        // router, and by age.
        "CREATE INDEX sequencer_bids_early ON sequencer_bids (verified, router, transfer_id);
        CREATE INDEX sequencer_bids_age ON sequencer_bids (verified, received_ms);",
        // Fees paid in an asset are kept too; the rows before them were native.
        "ALTER TABLE sequencer_fees ADD COLUMN asset BLOB NOT NULL
            DEFAULT x'0000000000000000000000000000000000000000';",
        // The open auctions are read at every auction round: a partial index holds only the
        // transfers neither decided nor closed, so a round reads those, not the whole history.
        // A decision marks its transfer in the same statement (the trigger).
        "ALTER TABLE sequencer_transfers ADD COLUMN decided INTEGER NOT NULL DEFAULT 0;
        UPDATE sequencer_transfers SET decided = 1
            WHERE transfer_id IN (SELECT transfer_id FROM sequencer_decisions);
        CREATE TRIGGER sequencer_transfer_decided AFTER INSERT ON sequencer_decisions BEGIN
            UPDATE sequencer_transfers SET decided = 1 WHERE transfer_id = NEW.transfer_id;
        END;
        CREATE INDEX sequencer_transfers_open ON sequencer_transfers (block, transfer_id)
            WHERE decided = 0 AND closed_reason IS NULL;",
        // The destination whose `Connext` a bid's signatures recovered under on admission: once
        // its transfer is known, a bid signed for that very destination needs no recovery again.
        // Bids from before are checked again, as they always were.
        "ALTER TABLE sequencer_bids ADD COLUMN signed_for INTEGER;",
    ],
};

/// A confirmed `XCalled`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTransfer {
    /// Its id, as the event states it (checked against the params by the indexer).
    pub transfer_id: B256,
    /// Everything hashed into the id.
    pub params: TransferInfo,
    /// The block holding the event.
    pub block: u64,
}

/// The relayer fees paid on each origin, per asset (created by [`SCHEMA`]).
pub const FEES: FeeTable = FeeTable::new("sequencer_fees");

/// A transfer as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTransfer {
    /// Its id.
    pub transfer_id: B256,
    /// Everything hashed into the id.
    pub params: TransferInfo,
    /// When the first verified bid came in, unix ms.
    pub auction_opened_ms: Option<u64>,
    /// Since when (unix ms) no combination of bids has covered it, once the window closed.
    pub short_since_ms: Option<u64>,
    /// Why its auction was closed without a decision, if it was.
    pub closed_reason: Option<String>,
}

impl StoredTransfer {
    /// The origin domain.
    pub fn origin(&self) -> Domain {
        Domain(self.params.originDomain)
    }

    /// The destination domain.
    pub fn destination(&self) -> Domain {
        Domain(self.params.destinationDomain)
    }
}

/// One router's signature for one path length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBid {
    /// The router.
    pub router: Address,
    /// The path length signed.
    pub path_length: u32,
    /// `router`'s EIP-712 signature of `RouterBid(transfer_id, path_length)` for the destination
    /// `Connext` (recovered on admission, or for an early bid once its transfer is known).
    pub signature: Bytes,
    /// Whether the router's approval and the signature were checked against the destination.
    pub verified: bool,
    /// The destination whose `Connext` the signature recovered under when the bid came in (none
    /// for bids recorded before this was kept).
    pub signed_for: Option<Domain>,
}

/// Where a decision's execute stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Handed (or being handed) to the relayer.
    Sent,
    /// Confirmed on the destination.
    Executed {
        /// The transaction.
        tx_hash: B256,
    },
    /// The relayer gave up; the transfer falls back to the slow path.
    Failed {
        /// The relayer's reason.
        reason: String,
    },
}

/// A decision about to be recorded, or as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The transfer.
    pub transfer_id: B256,
    /// Where the execute goes.
    pub destination: Domain,
    /// The routers chosen, in signing order.
    pub routers: Vec<Address>,
    /// `Connext.execute` calldata.
    pub calldata: Bytes,
    /// The relayer job id the calldata maps to.
    pub job_id: B256,
    /// Whether the relayer acknowledged the job.
    pub acknowledged: bool,
    /// Where the execute stands.
    pub outcome: Outcome,
    /// When the auction opened, unix ms.
    pub opened_ms: u64,
    /// When the routers were chosen, unix ms.
    pub decided_ms: u64,
}

fn blob32(row: &Row<'_>, index: usize) -> rusqlite::Result<B256> {
    Ok(B256::from(row.get::<_, [u8; 32]>(index)?))
}

fn decode_params(bytes: &[u8]) -> rusqlite::Result<TransferInfo> {
    TransferInfo::abi_decode(bytes).map_err(|err| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(err))
    })
}

/// Records a batch of one origin's events. After a deep reorg (`reorg_from`), what was recorded
/// from that block on is forgotten first, except transfers already decided: their execute may
/// already be on the destination.
pub fn record_origin_events(
    conn: &Connection,
    origin: Domain,
    transfers: &[NewTransfer],
    fees: &[RelayerFee],
    reorg_from: Option<u64>,
) -> rusqlite::Result<()> {
    if let Some(from) = reorg_from {
        conn.prepare_cached(
            "DELETE FROM sequencer_transfers WHERE origin = ?1 AND block >= ?2 AND transfer_id
                NOT IN (SELECT transfer_id FROM sequencer_decisions)",
        )?
        .execute(params![origin.get(), from])?;
        FEES.forget_from(conn, origin, from)?;
    }
    let mut insert_transfer = conn.prepare_cached(
        "INSERT INTO sequencer_transfers (transfer_id, origin, destination, params, block)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (transfer_id) DO NOTHING",
    )?;
    for transfer in transfers {
        insert_transfer.execute(params![
            transfer.transfer_id.as_slice(),
            origin.get(),
            transfer.params.destinationDomain,
            transfer.params.abi_encode(),
            transfer.block
        ])?;
    }
    for fee in fees {
        FEES.record(conn, origin, fee)?;
    }
    Ok(())
}

/// The transfer `transfer_id`, if its `XCalled` was seen.
pub fn transfer(conn: &Connection, transfer_id: B256) -> rusqlite::Result<Option<StoredTransfer>> {
    conn.prepare_cached(
        "SELECT params, auction_opened_ms, short_since_ms, closed_reason FROM sequencer_transfers
         WHERE transfer_id = ?1",
    )?
    .query_row([transfer_id.as_slice()], |row| {
        Ok(StoredTransfer {
            transfer_id,
            params: decode_params(&row.get::<_, Vec<u8>>(0)?)?,
            auction_opened_ms: row.get(1)?,
            short_since_ms: row.get(2)?,
            closed_reason: row.get(3)?,
        })
    })
    .optional()
}

/// The fees paid for `transfer_id` on `origin`, per asset: bumps on other domains pay nobody who
/// relays this transfer, so they do not count.
pub fn fee_paid(
    conn: &Connection,
    origin: Domain,
    transfer_id: B256,
) -> rusqlite::Result<FeesPaid> {
    FEES.paid(conn, origin, transfer_id)
}

/// Records a router's signatures; a path length it already signed keeps its first signature.
/// Returns how many were new.
pub fn insert_bids(
    conn: &Connection,
    transfer_id: B256,
    router: Address,
    bid: &Checked,
    verified: bool,
    now_ms: u64,
) -> rusqlite::Result<usize> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO sequencer_bids
             (transfer_id, router, path_length, signature, received_ms, verified, signed_for)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
    )?;
    let mut fresh = 0;
    for (path_length, signature) in &bid.signatures {
        fresh += insert.execute(params![
            transfer_id.as_slice(),
            router.as_slice(),
            path_length,
            signature.as_ref(),
            now_ms,
            verified,
            bid.signed_for.get(),
        ])?;
    }
    Ok(fresh)
}

/// How many transfers the sequencer has not seen yet `router` holds early bids on, received
/// since `since_ms` (unix ms; older ones are expiring), not counting `except` (the transfer being
/// bid on: a repeat or another path length on it adds none).
pub fn early_transfers_of(
    conn: &Connection,
    router: Address,
    except: B256,
    since_ms: u64,
) -> rusqlite::Result<u64> {
    conn.prepare_cached(
        "SELECT COUNT(DISTINCT transfer_id) FROM sequencer_bids
         WHERE verified = 0 AND router = ?1 AND transfer_id != ?2 AND received_ms >= ?3
             AND transfer_id NOT IN (SELECT transfer_id FROM sequencer_transfers)",
    )?
    .query_row(
        params![router.as_slice(), except.as_slice(), since_ms],
        |row| row.get(0),
    )
}

/// Forgets early bids received before `before_ms` (unix ms) on transfers still not seen; returns
/// how many were dropped.
pub fn expire_early_bids(conn: &Connection, before_ms: u64) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "DELETE FROM sequencer_bids WHERE verified = 0 AND received_ms < ?1
             AND transfer_id NOT IN (SELECT transfer_id FROM sequencer_transfers)",
    )?
    .execute([before_ms])
}

/// How many bids are kept on transfers not seen yet (all routers): what [`expire_early_bids`] and
/// the per-router bound keep small.
pub fn early_bid_count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM sequencer_bids WHERE verified = 0
             AND transfer_id NOT IN (SELECT transfer_id FROM sequencer_transfers)",
    )?
    .query_row([], |row| row.get(0))
}

/// Every bid on `transfer_id`, by router and path length.
pub fn bids(conn: &Connection, transfer_id: B256) -> rusqlite::Result<Vec<StoredBid>> {
    let mut statement = conn.prepare_cached(
        "SELECT router, path_length, signature, verified, signed_for FROM sequencer_bids
         WHERE transfer_id = ?1 ORDER BY router, path_length",
    )?;
    let rows = statement.query_map([transfer_id.as_slice()], |row| {
        Ok(StoredBid {
            router: Address::from(row.get::<_, [u8; 20]>(0)?),
            path_length: row.get(1)?,
            signature: Bytes::from(row.get::<_, Vec<u8>>(2)?),
            verified: row.get(3)?,
            signed_for: row.get::<_, Option<u32>>(4)?.map(Domain),
        })
    })?;
    rows.collect()
}

/// Each router that has bid: its newest bid's arrival (unix ms) and how many transfers it bid
/// on, by address.
pub fn router_activity(conn: &Connection) -> rusqlite::Result<Vec<(Address, u64, u64)>> {
    let mut statement = conn.prepare_cached(
        "SELECT router, MAX(received_ms), COUNT(DISTINCT transfer_id) FROM sequencer_bids
         GROUP BY router ORDER BY router",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            Address::from(row.get::<_, [u8; 20]>(0)?),
            row.get(1)?,
            row.get(2)?,
        ))
    })?;
    rows.collect()
}

/// When the newest auction opened (unix ms), if any did.
pub fn last_auction_ms(conn: &Connection) -> rusqlite::Result<Option<u64>> {
    conn.prepare_cached("SELECT MAX(auction_opened_ms) FROM sequencer_transfers")?
        .query_row([], |row| row.get(0))
}

/// Transfers seen with no bid yet, neither decided nor closed (handed to the slow path).
pub fn awaiting_bids(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM sequencer_transfers INDEXED BY sequencer_transfers_open
         WHERE decided = 0 AND closed_reason IS NULL
             AND transfer_id NOT IN (SELECT transfer_id FROM sequencer_bids)",
    )?
    .query_row([], |row| row.get(0))
}

/// Marks `router`'s bids on `transfer_id` verified.
pub fn mark_verified(
    conn: &Connection,
    transfer_id: B256,
    router: Address,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE sequencer_bids SET verified = 1 WHERE transfer_id = ?1 AND router = ?2",
    )?
    .execute(params![transfer_id.as_slice(), router.as_slice()])?;
    Ok(())
}

/// Drops one bid that failed verification once the transfer was known.
pub fn drop_bid(
    conn: &Connection,
    transfer_id: B256,
    router: Address,
    path_length: u32,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "DELETE FROM sequencer_bids WHERE transfer_id = ?1 AND router = ?2 AND path_length = ?3",
    )?
    .execute(params![
        transfer_id.as_slice(),
        router.as_slice(),
        path_length
    ])?;
    Ok(())
}

/// Starts `transfer_id`'s auction window at `now_ms` unless it already started.
pub fn open_auction(conn: &Connection, transfer_id: B256, now_ms: u64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE sequencer_transfers SET auction_opened_ms = ?2
         WHERE transfer_id = ?1 AND auction_opened_ms IS NULL",
    )?
    .execute(params![transfer_id.as_slice(), now_ms])?;
    Ok(())
}

/// Records that no combination of bids covered `transfer_id` at `now_ms` (kept from the first
/// time).
pub fn mark_short(conn: &Connection, transfer_id: B256, now_ms: u64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE sequencer_transfers SET short_since_ms = COALESCE(short_since_ms, ?2)
         WHERE transfer_id = ?1",
    )?
    .execute(params![transfer_id.as_slice(), now_ms])?;
    Ok(())
}

/// Closes `transfer_id`'s auction without a decision, for `reason`; returns whether it was open.
/// A decided transfer is never closed: its execute may already be on the destination.
pub fn close(
    conn: &Connection,
    transfer_id: B256,
    reason: &str,
    now_ms: u64,
) -> rusqlite::Result<bool> {
    let closed = conn
        .prepare_cached(
            "UPDATE sequencer_transfers SET closed_ms = ?2, closed_reason = ?3
         WHERE transfer_id = ?1 AND closed_reason IS NULL
             AND transfer_id NOT IN (SELECT transfer_id FROM sequencer_decisions)",
        )?
        .execute(params![transfer_id.as_slice(), now_ms, reason])?;
    Ok(closed == 1)
}

/// The transfers with bids whose routers are not chosen yet and whose auction is not closed,
/// oldest first. Transfers nobody bid on need no work.
pub fn undecided(conn: &Connection) -> rusqlite::Result<Vec<StoredTransfer>> {
    open_transfers(
        conn,
        "transfer_id IN (SELECT transfer_id FROM sequencer_bids)",
    )
}

/// The transfers with no decision whose auction is not closed and that also meet `condition`
/// (SQL over `sequencer_transfers`), oldest first.
fn open_transfers(conn: &Connection, condition: &str) -> rusqlite::Result<Vec<StoredTransfer>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT transfer_id, params, auction_opened_ms, short_since_ms FROM sequencer_transfers
         INDEXED BY sequencer_transfers_open
         WHERE decided = 0 AND closed_reason IS NULL AND {condition}
         ORDER BY block, transfer_id"
    ))?;
    let rows = statement.query_map([], |row| {
        Ok(StoredTransfer {
            transfer_id: blob32(row, 0)?,
            params: decode_params(&row.get::<_, Vec<u8>>(1)?)?,
            auction_opened_ms: row.get(2)?,
            short_since_ms: row.get(3)?,
            closed_reason: None,
        })
    })?;
    rows.collect()
}

/// `transfers` with their bids and fees.
fn with_bids_and_fees(
    conn: &Connection,
    transfers: Vec<StoredTransfer>,
) -> rusqlite::Result<Vec<OpenAuction>> {
    transfers
        .into_iter()
        .map(|transfer| {
            let id = transfer.transfer_id;
            Ok(OpenAuction {
                bids: bids(conn, id)?,
                fee_paid: fee_paid(conn, transfer.origin(), id)?,
                transfer,
            })
        })
        .collect()
}

/// An auction to move on: an [`undecided`] transfer, its bids and the fees paid for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenAuction {
    /// The transfer.
    pub transfer: StoredTransfer,
    /// Every bid on it, by router and path length.
    pub bids: Vec<StoredBid>,
    /// What [`fee_paid`] says, per asset.
    pub fee_paid: FeesPaid,
}

/// Every [`undecided`] transfer with its bids and fee, read at once.
pub fn open_auctions(conn: &Connection) -> rusqlite::Result<Vec<OpenAuction>> {
    with_bids_and_fees(conn, undecided(conn)?)
}

/// Every transfer with no decision yet, not closed and whose execute was not seen on its
/// destination, with its bids and fee, oldest first: what a consensus node may be asked to vote
/// on, whether or not a router bid on it here (its bids may have reached another node).
pub fn awaiting_decision(conn: &Connection) -> rusqlite::Result<Vec<OpenAuction>> {
    let transfers = open_transfers(
        conn,
        "transfer_id NOT IN (SELECT transfer_id FROM sequencer_executed)",
    )?;
    with_bids_and_fees(conn, transfers)
}

/// Records a decision unless the transfer already has one; returns whether it was recorded.
pub fn record_decision(conn: &Connection, decision: &Decision) -> rusqlite::Result<bool> {
    let routers: Vec<u8> = decision
        .routers
        .iter()
        .flat_map(|router| router.into_array())
        .collect();
    let inserted = conn
        .prepare_cached(
            "INSERT INTO sequencer_decisions (transfer_id, destination, routers, calldata, job_id,
             acknowledged, state, opened_ms, decided_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, 'sent', ?6, ?7) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            decision.transfer_id.as_slice(),
            decision.destination.get(),
            routers,
            decision.calldata.as_ref(),
            decision.job_id.as_slice(),
            decision.opened_ms,
            decision.decided_ms
        ])?;
    Ok(inserted == 1)
}

/// The columns [`read_decision`] reads, in its order (a macro, so queries can `concat!` it).
macro_rules! decision_columns {
    () => {
        "transfer_id, destination, routers, calldata, job_id, acknowledged, state, tx_hash, reason,
        opened_ms, decided_ms"
    };
}
const DECISION_COLUMNS: &str = decision_columns!();
/// How many columns [`read_decision`] reads.
pub(crate) const DECISION_COLUMN_COUNT: usize = 11;

/// The query of the decisions whose execute is not final yet, oldest first.
pub(crate) const IN_FLIGHT: &str = concat!(
    "SELECT ",
    decision_columns!(),
    " FROM sequencer_decisions WHERE state = 'sent' ORDER BY decided_ms"
);

pub(crate) fn read_decision(row: &Row<'_>) -> rusqlite::Result<Decision> {
    let routers: Vec<u8> = row.get(2)?;
    let state: String = row.get(6)?;
    let outcome = match state.as_str() {
        "executed" => Outcome::Executed {
            tx_hash: blob32(row, 7)?,
        },
        "execute_failed" => Outcome::Failed {
            reason: row.get::<_, Option<String>>(8)?.unwrap_or_default(),
        },
        _ => Outcome::Sent,
    };
    Ok(Decision {
        transfer_id: blob32(row, 0)?,
        destination: Domain(row.get(1)?),
        routers: routers.chunks_exact(20).map(Address::from_slice).collect(),
        calldata: Bytes::from(row.get::<_, Vec<u8>>(3)?),
        job_id: blob32(row, 4)?,
        acknowledged: row.get(5)?,
        outcome,
        opened_ms: row.get(9)?,
        decided_ms: row.get(10)?,
    })
}

/// The decision about `transfer_id`, if any.
pub fn decision(conn: &Connection, transfer_id: B256) -> rusqlite::Result<Option<Decision>> {
    conn.prepare_cached(&format!(
        "SELECT {DECISION_COLUMNS} FROM sequencer_decisions WHERE transfer_id = ?1"
    ))?
    .query_row([transfer_id.as_slice()], read_decision)
    .optional()
}

/// The decisions whose execute is not final yet: unacknowledged ones to (re)post, acknowledged
/// ones to follow.
pub fn in_flight(conn: &Connection) -> rusqlite::Result<Vec<Decision>> {
    let mut statement = conn.prepare_cached(IN_FLIGHT)?;
    let rows = statement.query_map([], read_decision)?;
    rows.collect()
}

/// The relayer acknowledged `transfer_id`'s job under `job_id`.
pub fn acknowledge(conn: &Connection, transfer_id: B256, job_id: B256) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE sequencer_decisions SET acknowledged = 1, job_id = ?2 WHERE transfer_id = ?1",
    )?
    .execute(params![transfer_id.as_slice(), job_id.as_slice()])?;
    Ok(())
}

/// Records the final outcome of `transfer_id`'s execute.
pub fn finish(conn: &Connection, transfer_id: B256, outcome: &Outcome) -> rusqlite::Result<()> {
    let (state, tx_hash, reason) = match outcome {
        Outcome::Sent => ("sent", None, None),
        Outcome::Executed { tx_hash } => ("executed", Some(tx_hash.to_vec()), None),
        Outcome::Failed { reason } => ("execute_failed", None, Some(reason.as_str())),
    };
    conn.prepare_cached(
        "UPDATE sequencer_decisions SET state = ?2, tx_hash = ?3, reason = ?4
         WHERE transfer_id = ?1",
    )?
    .execute(params![transfer_id.as_slice(), state, tx_hash, reason])?;
    Ok(())
}

#[cfg(test)]
mod tests;
