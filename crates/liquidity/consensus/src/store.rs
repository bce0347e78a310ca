//! The node's durable state in SQLite (the agents' [`nxtp_agent::storage::Store`]): decided
//! batches with their commit certificates (what value sync serves and what the ledger is
//! rebuilt from on restart), proposals seen but not decided yet (so a restarted node
//! re-proposes exactly what it proposed before), and this node's signature of each decided
//! selection, and the evidence of proposers that equivocated ([`evidence`]).

mod evidence;

pub use evidence::Equivocation;

use crate::context::{Height, NodeAddress, PartSignature, ProposalPart, SequencerContext as Ctx};
use crate::value::{Batch, BatchId};
use crate::wire::{Wire, WireError};
use alloy::primitives::{Address, Bytes, B256};
use malachitebft_app_channel::app::types::core::{
    ExtendedCommitCertificate, Round, Validity, Value as _,
};
use malachitebft_app_channel::app::types::ProposedValue;
use nxtp_agent::storage::{Schema, StorageError, Store};
use rusqlite::{params, OptionalExtension};
use std::path::Path;

const SCHEMA: Schema = Schema {
    name: "nxtp_consensus",
    migrations: &[
        "CREATE TABLE decided (
            height INTEGER PRIMARY KEY,
            batch BLOB NOT NULL,
            certificate BLOB NOT NULL
        ) STRICT;
        CREATE TABLE undecided (
            height INTEGER NOT NULL,
            round INTEGER NOT NULL,
            batch_id BLOB NOT NULL,
            proposer BLOB NOT NULL,
            valid_round INTEGER NOT NULL,
            valid INTEGER NOT NULL,
            batch BLOB NOT NULL,
            PRIMARY KEY (height, round, batch_id)
        ) STRICT;
        CREATE TABLE selections (
            transfer_id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            routers BLOB NOT NULL,
            signature BLOB NOT NULL
        ) STRICT;",
        // The sequencers' signatures of each decided selection, gathered in their precommits'
        // vote extensions: what `execute` takes instead of one sequencer's signature.
        "CREATE TABLE certified (
            transfer_id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            routers BLOB NOT NULL,
            signatures BLOB NOT NULL
        ) STRICT;",
        // A proposal's part signature, so a node can restream another's part as it was signed
        // and prove an equivocation with the two signed parts; null for a value from sync.
        // `equivocations` keeps each proven one: the part held first and each other one.
        "ALTER TABLE undecided ADD COLUMN signature BLOB;
        CREATE TABLE equivocations (
            height INTEGER NOT NULL,
            round INTEGER NOT NULL,
            proposer BLOB NOT NULL,
            conflicting_id BLOB NOT NULL,
            held BLOB NOT NULL,
            conflicting BLOB NOT NULL,
            PRIMARY KEY (height, round, proposer, conflicting_id)
        ) STRICT;",
    ],
};

/// Why the node's store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A stored row did not decode (a corrupt or foreign database).
    #[error("stored row does not decode: {0}")]
    Corrupt(#[from] WireError),
    /// A height does not fit SQLite's signed integers.
    #[error("height {0} is out of range")]
    Height(u64),
}

/// A decided height: its batch and the certificate that decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    /// The height.
    pub height: Height,
    /// The batch.
    pub batch: Batch,
    /// The precommits (and their extensions) that decided it.
    pub certificate: ExtendedCommitCertificate<Ctx>,
}

impl Decided {
    /// The node that proposed the batch in the round that decided it, among `sequencers`: the
    /// one to hand its result over first.
    pub fn proposer(&self, sequencers: &crate::context::ValidatorSet) -> NodeAddress {
        use malachitebft_app_channel::app::types::core::Context as _;
        Ctx.select_proposer(sequencers, self.height, self.certificate.round)
            .address
    }
}

/// A decided selection with the signatures of the sequencers that decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertifiedSelection {
    /// The transfer.
    pub transfer_id: B256,
    /// The height that decided it.
    pub height: Height,
    /// The routers selected, in order.
    pub routers: Vec<Address>,
    /// Each signing sequencer's EIP-712 `RouterSelection` signature, sorted by its address.
    pub signatures: Vec<(Address, Bytes)>,
}

/// One sequencer's signature, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SequencerSignature(Address, Bytes);

impl Wire for SequencerSignature {
    fn encode(&self, out: &mut crate::wire::Writer) {
        self.0.encode(out);
        self.1.encode(out);
    }
    fn decode(input: &mut crate::wire::Reader<'_>) -> Result<Self, WireError> {
        Ok(Self(Address::decode(input)?, Bytes::decode(input)?))
    }
}

/// This node's signature of one decided selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedSelection {
    /// The transfer.
    pub transfer_id: B256,
    /// The height that decided it.
    pub height: Height,
    /// The routers selected, in order.
    pub routers: Vec<Address>,
    /// This node's EIP-712 `RouterSelection` signature.
    pub signature: Bytes,
}

fn sql_height(height: Height) -> Result<i64, StoreError> {
    i64::try_from(height.0).map_err(|_| StoreError::Height(height.0))
}

fn from_sql_height(height: i64) -> Height {
    // Written by `sql_height`, so never negative.
    Height(u64::try_from(height).unwrap_or(0))
}

/// Every row `sql` selects with `params`, each read by `read`.
fn all_rows<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare_cached(sql)?.query_map(params, read)?.collect()
}

/// A node's address as the store keeps it (20 bytes).
fn node_address(bytes: &[u8]) -> Result<NodeAddress, WireError> {
    Address::try_from(bytes)
        .map(NodeAddress)
        .map_err(|err| WireError::invalid("proposer", err))
}

/// The node's SQLite store; clones share the connection.
#[derive(Clone, Debug)]
pub struct NodeStore {
    store: Store,
}

impl NodeStore {
    /// Opens (creating and migrating) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            store: Store::open(path, &[SCHEMA])?,
        })
    }

    /// Records a decided height, its selections signed by this node, and drops the proposals of
    /// that height, in one transaction.
    pub async fn commit(
        &self,
        decided: &Decided,
        selections: &[SignedSelection],
        certified: &[CertifiedSelection],
    ) -> Result<(), StoreError> {
        let certified: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = certified
            .iter()
            .map(|selection| {
                let mut routers = crate::wire::Writer::new();
                routers.seq(&selection.routers);
                let mut signatures = crate::wire::Writer::new();
                signatures.seq(
                    &selection
                        .signatures
                        .iter()
                        .map(|(address, signature)| SequencerSignature(*address, signature.clone()))
                        .collect::<Vec<_>>(),
                );
                (
                    selection.transfer_id.to_vec(),
                    routers.into_bytes(),
                    signatures.into_bytes(),
                )
            })
            .collect();
        let height = sql_height(decided.height)?;
        let batch = decided.batch.to_wire();
        let certificate = decided.certificate.to_wire();
        let selections: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = selections
            .iter()
            .map(|selection| {
                let mut routers = crate::wire::Writer::new();
                routers.seq(&selection.routers);
                (
                    selection.transfer_id.to_vec(),
                    routers.into_bytes(),
                    selection.signature.to_vec(),
                )
            })
            .collect();
        self.store
            .call(move |conn| {
                let tx = conn.transaction()?;
                tx.prepare_cached("INSERT OR REPLACE INTO decided (height, batch, certificate) VALUES (?1, ?2, ?3)")?.execute(params![height, batch, certificate],
                )?;
                for (transfer_id, routers, signature) in selections {
                    tx.prepare_cached("INSERT OR REPLACE INTO selections (transfer_id, height, routers, signature)
                         VALUES (?1, ?2, ?3, ?4)")?.execute(params![transfer_id, height, routers, signature],
                    )?;
                }
                for (transfer_id, routers, signatures) in certified {
                    tx.prepare_cached("INSERT OR REPLACE INTO certified (transfer_id, height, routers, signatures)
                         VALUES (?1, ?2, ?3, ?4)")?.execute(params![transfer_id, height, routers, signatures],
                    )?;
                }
                tx.prepare_cached("DELETE FROM undecided WHERE height <= ?1")?.execute(params![height])?;
                tx.commit()
            })
            .await?;
        Ok(())
    }

    /// The highest decided height.
    pub async fn max_height(&self) -> Result<Option<Height>, StoreError> {
        let max: Option<i64> = self
            .store
            .call(|conn| {
                conn.prepare_cached("SELECT MAX(height) FROM decided")?
                    .query_row([], |row| row.get(0))
            })
            .await?;
        Ok(max.map(from_sql_height))
    }

    /// The lowest decided height kept.
    pub async fn min_height(&self) -> Result<Option<Height>, StoreError> {
        let min: Option<i64> = self
            .store
            .call(|conn| {
                conn.prepare_cached("SELECT MIN(height) FROM decided")?
                    .query_row([], |row| row.get(0))
            })
            .await?;
        Ok(min.map(from_sql_height))
    }

    /// The decided heights from `from` to `to`, in order (missing heights skipped).
    pub async fn decided(&self, from: Height, to: Height) -> Result<Vec<Decided>, StoreError> {
        let (from, to) = (sql_height(from)?, sql_height(to)?);
        let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = self
            .store
            .call(move |conn| {
                all_rows(
                    conn,
                    "SELECT height, batch, certificate FROM decided
                     WHERE height BETWEEN ?1 AND ?2 ORDER BY height",
                    params![from, to],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
            })
            .await?;
        rows.into_iter()
            .map(|(height, batch, certificate)| {
                Ok(Decided {
                    height: from_sql_height(height),
                    batch: Batch::from_wire(&batch)?,
                    certificate: ExtendedCommitCertificate::from_wire(&certificate)?,
                })
            })
            .collect()
    }

    /// Every decided batch in height order, to rebuild the ledger from.
    pub async fn all_decided(&self) -> Result<Vec<Decided>, StoreError> {
        self.decided(Height(0), Height(i64::MAX.unsigned_abs()))
            .await
    }

    /// Keeps a proposal seen (or built) at its height and round, with its proposer's part
    /// signature when it came (or went) as a signed part.
    pub async fn keep_proposal(
        &self,
        proposal: &ProposedValue<Ctx>,
        signature: Option<PartSignature>,
    ) -> Result<(), StoreError> {
        let height = sql_height(proposal.height)?;
        let round = proposal.round.as_i64();
        let valid_round = proposal.valid_round.as_i64();
        let batch_id = proposal.value.id().0.to_vec();
        let proposer = proposal.proposer.0.to_vec();
        let valid = proposal.validity.is_valid();
        let batch = proposal.value.to_wire();
        let signature = signature.map(|signature| signature.0.to_vec());
        self.store
            .call(move |conn| {
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO undecided
                     (height, round, batch_id, proposer, valid_round, valid, batch, signature)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    height,
                    round,
                    batch_id,
                    proposer,
                    valid_round,
                    valid,
                    batch,
                    signature
                ])
                .map(drop)
            })
            .await?;
        Ok(())
    }

    /// The signed parts kept of `proposer`'s proposals at `height` and `round`, as signed.
    pub async fn signed_parts(
        &self,
        height: Height,
        round: Round,
        proposer: NodeAddress,
    ) -> Result<Vec<ProposalPart>, StoreError> {
        let sql = sql_height(height)?;
        let round_value = round.as_i64();
        let address = proposer.0.to_vec();
        let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = self
            .store
            .call(move |conn| {
                all_rows(
                    conn,
                    "SELECT valid_round, batch, signature FROM undecided
                     WHERE height = ?1 AND round = ?2 AND proposer = ?3
                       AND signature IS NOT NULL
                     ORDER BY rowid",
                    params![sql, round_value, address],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
            })
            .await?;
        rows.into_iter()
            .map(|(pol_round, batch, signature)| {
                Ok(ProposalPart {
                    height,
                    round,
                    proposer,
                    pol_round: Round::decode_i64(pol_round),
                    value: Batch::from_wire(&batch)?,
                    signature: PartSignature::from_wire(&signature)?,
                })
            })
            .collect()
    }

    /// The proposals kept for `height` and `round`; with `proposer`, only that node's.
    pub async fn proposals(
        &self,
        height: Height,
        round: Round,
        proposer: Option<NodeAddress>,
    ) -> Result<Vec<ProposedValue<Ctx>>, StoreError> {
        let sql = sql_height(height)?;
        let round_value = round.as_i64();
        let rows: Vec<(Vec<u8>, i64, bool, Vec<u8>)> = self
            .store
            .call(move |conn| {
                all_rows(
                    conn,
                    "SELECT proposer, valid_round, valid, batch FROM undecided
                     WHERE height = ?1 AND round = ?2",
                    params![sql, round_value],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
            })
            .await?;
        let mut proposals = Vec::new();
        for (address, valid_round, valid, batch) in rows {
            let address = node_address(&address)?;
            if proposer.is_some_and(|wanted| wanted != address) {
                continue;
            }
            proposals.push(ProposedValue {
                height,
                round,
                valid_round: Round::decode_i64(valid_round),
                proposer: address,
                value: Batch::from_wire(&batch)?,
                validity: Validity::from_bool(valid),
            });
        }
        Ok(proposals)
    }

    /// The proposal of `batch_id` kept at `height` (any round).
    pub async fn proposal_of(
        &self,
        height: Height,
        batch_id: BatchId,
    ) -> Result<Option<Batch>, StoreError> {
        let sql = sql_height(height)?;
        let id = batch_id.0.to_vec();
        let batch: Option<Vec<u8>> = self
            .store
            .call(move |conn| {
                conn.prepare_cached(
                    "SELECT batch FROM undecided WHERE height = ?1 AND batch_id = ?2 LIMIT 1",
                )?
                .query_row(params![sql, id], |row| row.get(0))
                .optional()
            })
            .await?;
        Ok(batch.map(|bytes| Batch::from_wire(&bytes)).transpose()?)
    }

    /// This node's signature of the selection of `transfer_id`, once decided.
    pub async fn selection(
        &self,
        transfer_id: B256,
    ) -> Result<Option<SignedSelection>, StoreError> {
        let id = transfer_id.to_vec();
        let row: Option<(i64, Vec<u8>, Vec<u8>)> = self
            .store
            .call(move |conn| {
                conn.prepare_cached(
                    "SELECT height, routers, signature FROM selections WHERE transfer_id = ?1",
                )?
                .query_row(params![id], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()
            })
            .await?;
        row.map(|(height, routers, signature)| {
            let mut input = crate::wire::Reader::new(&routers);
            let routers = input.seq()?;
            input.finish()?;
            Ok(SignedSelection {
                transfer_id,
                height: from_sql_height(height),
                routers,
                signature: Bytes::from(signature),
            })
        })
        .transpose()
    }
}

impl NodeStore {
    /// The decided selection of `transfer_id` with the sequencers' signatures gathered for it.
    pub async fn certified(
        &self,
        transfer_id: B256,
    ) -> Result<Option<CertifiedSelection>, StoreError> {
        let id = transfer_id.to_vec();
        let row: Option<(i64, Vec<u8>, Vec<u8>)> = self
            .store
            .call(move |conn| {
                conn.prepare_cached(
                    "SELECT height, routers, signatures FROM certified WHERE transfer_id = ?1",
                )?
                .query_row(params![id], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()
            })
            .await?;
        row.map(|(height, routers, signatures)| {
            let mut input = crate::wire::Reader::new(&routers);
            let routers = input.seq()?;
            input.finish()?;
            let mut input = crate::wire::Reader::new(&signatures);
            let signatures: Vec<SequencerSignature> = input.seq()?;
            input.finish()?;
            Ok(CertifiedSelection {
                transfer_id,
                height: from_sql_height(height),
                routers,
                signatures: signatures
                    .into_iter()
                    .map(|SequencerSignature(address, signature)| (address, signature))
                    .collect(),
            })
        })
        .transpose()
    }
}

/// Rounds as stored: -1 for nil.
trait RoundFromSql {
    fn decode_i64(round: i64) -> Self;
}

impl RoundFromSql for Round {
    fn decode_i64(round: i64) -> Self {
        u32::try_from(round).map_or(Self::Nil, Self::new)
    }
}
