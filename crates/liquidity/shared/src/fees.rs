//! The native relayer fees a liquidity agent records from the `Connext` of each origin it follows.
//!
//! The router, the sequencer and the slow-path executor each keep a table of them (its own, in its
//! own database) with the same shape and the same rules: a fee event is recorded once, keyed by its
//! place in the origin's chain, so a re-delivered batch changes nothing; a deep reorg forgets what
//! was recorded from the re-delivered block on; a transfer's fee is the sum of what was paid for it
//! on its origin (bumps elsewhere pay nobody who relays it). [`FeeTable`] is that logic, over a
//! table named by each agent:
//!
//! ```sql
//! CREATE TABLE <name> (
//!     origin INTEGER NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL,
//!     transfer_id BLOB NOT NULL, amount BLOB NOT NULL,
//!     PRIMARY KEY (origin, block, log_index)
//! ) STRICT;
//! ```

use alloy::primitives::{B256, U256};
use nxtp_primitives::Domain;
use rusqlite::{params, Connection};

/// A native relayer fee paid for a transfer, where its event sits on the origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NativeFee {
    /// The transfer paid for.
    pub transfer_id: B256,
    /// Wei added.
    pub amount: U256,
    /// The block holding the event.
    pub block: u64,
    /// The event's index in its block.
    pub log_index: u64,
}

/// One agent's fee table (see the crate docs for its shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeTable {
    name: &'static str,
}

impl FeeTable {
    /// The table `name`, created by the agent's own schema.
    pub const fn new(name: &'static str) -> Self {
        Self { name }
    }

    /// Records `fee`, paid on `origin`; `false` when its event was already recorded.
    pub fn record(
        &self,
        conn: &Connection,
        origin: Domain,
        fee: &NativeFee,
    ) -> rusqlite::Result<bool> {
        let mut insert = conn.prepare(&format!(
            "INSERT INTO {} (origin, block, log_index, transfer_id, amount)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (origin, block, log_index) DO NOTHING",
            self.name
        ))?;
        let inserted = insert.execute(params![
            origin.get(),
            fee.block,
            fee.log_index,
            fee.transfer_id.as_slice(),
            fee.amount.to_be_bytes::<32>()
        ])?;
        Ok(inserted == 1)
    }

    /// Forgets the fees recorded on `origin` from `block` on: a deep reorg re-delivers them.
    pub fn forget_from(
        &self,
        conn: &Connection,
        origin: Domain,
        block: u64,
    ) -> rusqlite::Result<()> {
        conn.prepare(&format!(
            "DELETE FROM {} WHERE origin = ?1 AND block >= ?2",
            self.name
        ))?
        .execute(params![origin.get(), block])?;
        Ok(())
    }

    /// The native fee paid for `transfer_id` on `origin`, saturating at 2^256 - 1.
    pub fn paid(
        &self,
        conn: &Connection,
        origin: Domain,
        transfer_id: B256,
    ) -> rusqlite::Result<U256> {
        let mut select = conn.prepare(&format!(
            "SELECT amount FROM {} WHERE origin = ?1 AND transfer_id = ?2",
            self.name
        ))?;
        let amounts = select.query_map(params![origin.get(), transfer_id.as_slice()], |row| {
            Ok(U256::from_be_bytes(row.get::<_, [u8; 32]>(0)?))
        })?;
        let mut total = U256::ZERO;
        for amount in amounts {
            total = total.saturating_add(amount?);
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEES: FeeTable = FeeTable::new("test_fees");
    const ORIGIN: Domain = Domain(1000);

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().expect("in-memory database");
        conn.execute_batch(
            "CREATE TABLE test_fees (
                origin INTEGER NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL,
                transfer_id BLOB NOT NULL, amount BLOB NOT NULL,
                PRIMARY KEY (origin, block, log_index)
            ) STRICT;",
        )
        .expect("schema");
        conn
    }

    fn fee(id: u8, amount: u64, block: u64, log_index: u64) -> NativeFee {
        NativeFee {
            transfer_id: B256::repeat_byte(id),
            amount: U256::from(amount),
            block,
            log_index,
        }
    }

    #[test]
    fn a_fee_counts_once_and_fees_sum_per_transfer_and_origin() {
        let conn = conn();
        assert!(FEES
            .record(&conn, ORIGIN, &fee(1, 5, 10, 0))
            .expect("records"));
        assert!(
            !FEES
                .record(&conn, ORIGIN, &fee(1, 5, 10, 0))
                .expect("repeat"),
            "re-delivered"
        );
        assert!(FEES
            .record(&conn, ORIGIN, &fee(1, 7, 11, 3))
            .expect("a bump"));
        assert!(FEES
            .record(&conn, ORIGIN, &fee(2, 100, 11, 4))
            .expect("another transfer"));
        assert!(FEES
            .record(&conn, Domain(2000), &fee(1, 1_000, 10, 0))
            .expect("elsewhere"));
        let paid = |origin, id| {
            FEES.paid(&conn, origin, B256::repeat_byte(id))
                .expect("sums")
        };
        assert_eq!(paid(ORIGIN, 1), U256::from(12));
        assert_eq!(paid(ORIGIN, 2), U256::from(100));
        assert_eq!(paid(ORIGIN, 3), U256::ZERO);
        assert_eq!(paid(Domain(2000), 1), U256::from(1_000));
    }

    #[test]
    fn a_reorg_forgets_from_its_block_on_that_origin_only() {
        let conn = conn();
        for f in [fee(1, 5, 10, 0), fee(1, 7, 11, 0), fee(1, 9, 12, 0)] {
            FEES.record(&conn, ORIGIN, &f).expect("records");
        }
        FEES.record(&conn, Domain(2000), &fee(1, 1, 11, 0))
            .expect("records");
        FEES.forget_from(&conn, ORIGIN, 11).expect("forgets");
        let id = B256::repeat_byte(1);
        assert_eq!(FEES.paid(&conn, ORIGIN, id).expect("sums"), U256::from(5));
        assert_eq!(
            FEES.paid(&conn, Domain(2000), id).expect("sums"),
            U256::from(1)
        );
        assert!(
            FEES.record(&conn, ORIGIN, &fee(1, 7, 11, 0))
                .expect("again"),
            "re-recorded after the reorg"
        );
    }

    #[test]
    fn the_sum_saturates() {
        let conn = conn();
        let mut huge = fee(1, 0, 10, 0);
        huge.amount = U256::MAX;
        FEES.record(&conn, ORIGIN, &huge).expect("records");
        FEES.record(&conn, ORIGIN, &fee(1, 1, 10, 1))
            .expect("records");
        assert_eq!(
            FEES.paid(&conn, ORIGIN, huge.transfer_id).expect("sums"),
            U256::MAX
        );
    }
}
