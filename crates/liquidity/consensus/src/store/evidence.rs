//! Evidence of equivocation: a proposer's two signed parts for one height and round, with
//! different batches. Each is proof by itself (both signatures recover to the proposer), so it
//! outlives the height and a restart.

use super::{
    all_rows, from_sql_height, node_address, sql_height, NodeStore, RoundFromSql, StoreError,
};
use crate::context::{Height, NodeAddress, ProposalPart};
use crate::wire::Wire;
use malachitebft_app_channel::app::types::core::{Round, Value as _};
use rusqlite::params;

/// A proposer that signed two different proposals for one height and round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Equivocation {
    /// The height.
    pub height: Height,
    /// The round.
    pub round: Round,
    /// The proposer, whose signature both parts carry.
    pub proposer: NodeAddress,
    /// The part this node held first.
    pub held: ProposalPart,
    /// The part that conflicts with it.
    pub conflicting: ProposalPart,
}

/// An `equivocations` row as read: height, round, proposer, the two parts' encodings.
type EquivocationRow = (i64, i64, Vec<u8>, Vec<u8>, Vec<u8>);

impl NodeStore {
    /// Keeps `equivocation`; false if the same conflicting part was kept already (a
    /// rebroadcast), so the caller reports each once.
    pub async fn keep_equivocation(&self, equivocation: &Equivocation) -> Result<bool, StoreError> {
        let height = sql_height(equivocation.height)?;
        let round = equivocation.round.as_i64();
        let proposer = equivocation.proposer.0.to_vec();
        let conflicting_id = equivocation.conflicting.value.id().0.to_vec();
        let held = equivocation.held.to_wire();
        let conflicting = equivocation.conflicting.to_wire();
        let inserted = self
            .store
            .call(move |conn| {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO equivocations
                     (height, round, proposer, conflicting_id, held, conflicting)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    height,
                    round,
                    proposer,
                    conflicting_id,
                    held,
                    conflicting
                ])
            })
            .await?;
        Ok(inserted == 1)
    }

    /// Every equivocation kept, by height, round and proposer.
    pub async fn equivocations(&self) -> Result<Vec<Equivocation>, StoreError> {
        let rows: Vec<EquivocationRow> = self
            .store
            .call(|conn| {
                all_rows(
                    conn,
                    "SELECT height, round, proposer, held, conflicting FROM equivocations
                     ORDER BY height, round, proposer, rowid",
                    [],
                    |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                        ))
                    },
                )
            })
            .await?;
        rows.into_iter()
            .map(|(height, round, proposer, held, conflicting)| {
                Ok(Equivocation {
                    height: from_sql_height(height),
                    round: Round::decode_i64(round),
                    proposer: node_address(&proposer)?,
                    held: ProposalPart::from_wire(&held)?,
                    conflicting: ProposalPart::from_wire(&conflicting)?,
                })
            })
            .collect()
    }
}
