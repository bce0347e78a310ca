//! The relayer fees a liquidity agent records from the `Connext` of each origin it follows, native
//! or in an asset.
//!
//! The router, the sequencer and the slow-path executor each keep a table of them (its own, in its
//! own database) with the same shape and the same rules: a fee event is recorded once, keyed by its
//! place in the origin's chain, so a re-delivered batch changes nothing; a deep reorg forgets what
//! was recorded from the re-delivered block on; a transfer's fee is what was paid for it on its
//! origin (bumps elsewhere pay nobody who relays it), per asset ([`FeesPaid`]; what it is worth in
//! native wei is [`crate::FeeValuation`]'s business). [`FeeTable`] is that logic, over a table
//! named by each agent:
//!
//! ```sql
//! CREATE TABLE <name> (
//!     origin INTEGER NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL,
//!     transfer_id BLOB NOT NULL, amount BLOB NOT NULL,
//!     asset BLOB NOT NULL DEFAULT x'0000000000000000000000000000000000000000',
//!     PRIMARY KEY (origin, block, log_index)
//! ) STRICT;
//! ```
//!
//! The `asset` column came second (each agent's migration adds it with [`NATIVE`] as the default,
//! so rows recorded before it stay native fees).

use alloy::{
    primitives::{Address, B256, U256},
    rpc::types::Log,
};
use nxtp_bindings::Connext;
use nxtp_primitives::Domain;
use rusqlite::{params, Connection};
use std::collections::BTreeMap;

/// The asset of a native fee (`msg.value`), as `TransferRelayerFeesIncreased` states it.
pub const NATIVE: Address = Address::ZERO;

/// A relayer fee paid for a transfer, in the native token or an asset, where its event sits on
/// the origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayerFee {
    /// The transfer paid for.
    pub transfer_id: B256,
    /// What was paid in: [`NATIVE`] (wei) or the origin's token address (its base units).
    pub asset: Address,
    /// Base units of `asset` added.
    pub amount: U256,
    /// The block holding the event.
    pub block: u64,
    /// The event's index in its block.
    pub log_index: u64,
}

impl RelayerFee {
    /// The fee a `TransferRelayerFeesIncreased` log states, whatever its asset (what it is worth
    /// is the valuation's business); the error says why the log does not decode.
    pub fn from_log(log: &Log) -> Result<Self, alloy::sol_types::Error> {
        let event = log
            .log_decode::<Connext::TransferRelayerFeesIncreased>()?
            .inner
            .data;
        Ok(Self {
            transfer_id: event.transferId,
            asset: event.asset,
            amount: event.increase,
            block: log.block_number.unwrap_or_default(),
            log_index: log.log_index.unwrap_or_default(),
        })
    }
}

/// What a transfer paid on its origin, per asset ([`NATIVE`] for wei), each sum saturating at
/// 2^256 - 1.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeesPaid(BTreeMap<Address, U256>);

impl FeesPaid {
    /// Nothing paid.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds `amount` of `asset`, saturating.
    #[must_use]
    pub fn with(mut self, asset: Address, amount: U256) -> Self {
        self.add(asset, amount);
        self
    }

    /// Adds `amount` of `asset`, saturating.
    pub fn add(&mut self, asset: Address, amount: U256) {
        let total = self.0.entry(asset).or_default();
        *total = total.saturating_add(amount);
    }

    /// The native wei paid.
    pub fn native(&self) -> U256 {
        self.in_asset(NATIVE)
    }

    /// What was paid in `asset` ([`NATIVE`]: wei).
    pub fn in_asset(&self, asset: Address) -> U256 {
        self.0.get(&asset).copied().unwrap_or_default()
    }

    /// Every asset paid in (the native token as [`NATIVE`]) with its sum, by address.
    pub fn iter(&self) -> impl Iterator<Item = (Address, U256)> + '_ {
        self.0.iter().map(|(&asset, &amount)| (asset, amount))
    }
}

/// One agent's fee table (see the module docs for its shape).
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
        fee: &RelayerFee,
    ) -> rusqlite::Result<bool> {
        let mut insert = conn.prepare_cached(&format!(
            "INSERT INTO {} (origin, block, log_index, transfer_id, amount, asset)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (origin, block, log_index) DO NOTHING",
            self.name
        ))?;
        let inserted = insert.execute(params![
            origin.get(),
            fee.block,
            fee.log_index,
            fee.transfer_id.as_slice(),
            fee.amount.to_be_bytes::<32>(),
            fee.asset.as_slice()
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
        conn.prepare_cached(&format!(
            "DELETE FROM {} WHERE origin = ?1 AND block >= ?2",
            self.name
        ))?
        .execute(params![origin.get(), block])?;
        Ok(())
    }

    /// What was paid for `transfer_id` on `origin`, per asset.
    pub fn paid(
        &self,
        conn: &Connection,
        origin: Domain,
        transfer_id: B256,
    ) -> rusqlite::Result<FeesPaid> {
        let mut select = conn.prepare_cached(&format!(
            "SELECT asset, amount FROM {} WHERE origin = ?1 AND transfer_id = ?2",
            self.name
        ))?;
        let rows = select.query_map(params![origin.get(), transfer_id.as_slice()], |row| {
            Ok((
                Address::from(row.get::<_, [u8; 20]>(0)?),
                U256::from_be_bytes(row.get::<_, [u8; 32]>(1)?),
            ))
        })?;
        let mut paid = FeesPaid::none();
        for row in rows {
            let (asset, amount) = row?;
            paid.add(asset, amount);
        }
        Ok(paid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEES: FeeTable = FeeTable::new("test_fees");
    const ORIGIN: Domain = Domain(1000);
    const TOKEN: Address = Address::repeat_byte(0x77);

    /// The table as first released, then the migration that added the asset.
    const FIRST_SCHEMA: &str = "CREATE TABLE test_fees (
        origin INTEGER NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL,
        transfer_id BLOB NOT NULL, amount BLOB NOT NULL,
        PRIMARY KEY (origin, block, log_index)
    ) STRICT;";
    const ADD_ASSET: &str = "ALTER TABLE test_fees ADD COLUMN asset BLOB NOT NULL
        DEFAULT x'0000000000000000000000000000000000000000';";

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().expect("in-memory database");
        conn.execute_batch(FIRST_SCHEMA).expect("schema");
        conn.execute_batch(ADD_ASSET).expect("migration");
        conn
    }

    fn fee(id: u8, amount: u64, block: u64, log_index: u64) -> RelayerFee {
        RelayerFee {
            transfer_id: B256::repeat_byte(id),
            asset: NATIVE,
            amount: U256::from(amount),
            block,
            log_index,
        }
    }

    fn native(amount: u64) -> FeesPaid {
        FeesPaid::none().with(NATIVE, U256::from(amount))
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
        assert_eq!(paid(ORIGIN, 1), native(12));
        assert_eq!(paid(ORIGIN, 2), native(100));
        assert_eq!(paid(ORIGIN, 3), FeesPaid::none());
        assert_eq!(paid(ORIGIN, 3).native(), U256::ZERO);
        assert_eq!(paid(Domain(2000), 1), native(1_000));
    }

    #[test]
    fn asset_fees_are_kept_apart_from_native_ones() {
        let conn = conn();
        let mut in_token = fee(1, 40, 10, 1);
        in_token.asset = TOKEN;
        for f in [
            fee(1, 5, 10, 0),
            in_token,
            RelayerFee {
                log_index: 2,
                ..in_token
            },
        ] {
            FEES.record(&conn, ORIGIN, &f).expect("records");
        }
        let paid = FEES
            .paid(&conn, ORIGIN, B256::repeat_byte(1))
            .expect("sums");
        assert_eq!(paid.native(), U256::from(5));
        assert_eq!(paid.in_asset(TOKEN), U256::from(80));
        assert_eq!(
            paid.iter().collect::<Vec<_>>(),
            [(NATIVE, U256::from(5)), (TOKEN, U256::from(80))]
        );
    }

    #[test]
    fn rows_recorded_before_the_asset_column_stay_native() {
        let conn = Connection::open_in_memory().expect("in-memory database");
        conn.execute_batch(FIRST_SCHEMA).expect("schema");
        conn.execute(
            "INSERT INTO test_fees (origin, block, log_index, transfer_id, amount)
             VALUES (1000, 10, 0, ?1, ?2)",
            params![
                B256::repeat_byte(1).as_slice(),
                U256::from(9).to_be_bytes::<32>()
            ],
        )
        .expect("an old row");
        conn.execute_batch(ADD_ASSET).expect("migration");
        let paid = FEES
            .paid(&conn, ORIGIN, B256::repeat_byte(1))
            .expect("sums");
        assert_eq!(paid, native(9));
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
        assert_eq!(FEES.paid(&conn, ORIGIN, id).expect("sums"), native(5));
        assert_eq!(FEES.paid(&conn, Domain(2000), id).expect("sums"), native(1));
        assert!(
            FEES.record(&conn, ORIGIN, &fee(1, 7, 11, 0))
                .expect("again"),
            "re-recorded after the reorg"
        );
    }

    #[test]
    fn a_fee_log_decodes_with_its_asset() {
        use alloy::sol_types::SolEvent;
        let event = Connext::TransferRelayerFeesIncreased {
            transferId: B256::repeat_byte(1),
            increase: U256::from(9),
            asset: TOKEN,
            caller: Address::repeat_byte(2),
        };
        let log = Log {
            inner: alloy::primitives::Log {
                address: Address::repeat_byte(3),
                data: event.encode_log_data(),
            },
            block_number: Some(7),
            log_index: Some(4),
            ..Log::default()
        };
        assert_eq!(
            RelayerFee::from_log(&log).expect("decodes"),
            RelayerFee {
                transfer_id: B256::repeat_byte(1),
                asset: TOKEN,
                amount: U256::from(9),
                block: 7,
                log_index: 4,
            }
        );
        let mut other = log;
        other.inner.data = alloy::primitives::LogData::new_unchecked(vec![], vec![].into());
        assert!(RelayerFee::from_log(&other).is_err());
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
            FEES.paid(&conn, ORIGIN, huge.transfer_id)
                .expect("sums")
                .native(),
            U256::MAX
        );
    }
}
