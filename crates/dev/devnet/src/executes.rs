//! Reading back the executes mined on a devnet's chains: what tests check a transfer's fast path
//! against (executed once, with the routers and sequencer signatures the sequencers decided).

use alloy::{
    consensus::Transaction as _,
    primitives::{Address, B256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::{SolCall, SolEvent},
};
use nxtp_bindings::{Connext, QuorumError, SequencerQuorum};
use nxtp_primitives::ConnextSigningDomain;

/// One mined `execute` of a transfer: the routers it names and the sequencers whose
/// `RouterSelection` signatures of them it carries, recovered as `Connext` recovers them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinedExecute {
    /// The transaction.
    pub transaction: B256,
    /// The routers, in path order.
    pub routers: Vec<Address>,
    /// The sequencers that signed the selection, in ascending order.
    pub sequencers: Vec<Address>,
}

/// Why the executes of a transfer could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum MinedExecuteError {
    /// The chain did not answer.
    #[error("reading the chain: {0}")]
    Rpc(String),
    /// An `Executed` event whose transaction the node does not return.
    #[error("transaction {0} of an Executed event is missing")]
    MissingTransaction(B256),
    /// The transaction is not a call of `Connext.execute` (an execute made by a contract).
    #[error("transaction {0} is not a call of execute")]
    NotAnExecute(B256),
    /// The packed sequencer signatures do not recover as `Connext` requires.
    #[error("transaction {transaction}: {source}")]
    Quorum {
        /// The transaction.
        transaction: B256,
        /// Why.
        #[source]
        source: QuorumError,
    },
}

/// Every execute of `transfer_id` mined on the `Connext` at `connext` (chain `chain_id`): one per
/// `Executed` event, so more than one means the transfer was executed twice.
pub async fn mined_executes(
    provider: &impl Provider,
    chain_id: u64,
    connext: Address,
    transfer_id: B256,
) -> Result<Vec<MinedExecute>, MinedExecuteError> {
    let rpc = |err: alloy::transports::TransportError| MinedExecuteError::Rpc(err.to_string());
    let filter = Filter::new()
        .address(connext)
        .event_signature(Connext::Executed::SIGNATURE_HASH)
        .topic1(transfer_id)
        .from_block(0);
    let signing = ConnextSigningDomain::new(chain_id, connext);
    let mut executes = Vec::new();
    for log in provider.get_logs(&filter).await.map_err(rpc)? {
        let transaction = log.transaction_hash.unwrap_or_default();
        let tx = provider
            .get_transaction_by_hash(transaction)
            .await
            .map_err(rpc)?
            .ok_or(MinedExecuteError::MissingTransaction(transaction))?;
        let args = Connext::executeCall::abi_decode(tx.input())
            .map_err(|_| MinedExecuteError::NotAnExecute(transaction))?
            .args;
        let digest = signing.router_selection_digest(transfer_id, &args.routers);
        let quorum = SequencerQuorum::unpack(digest, args.sequencer, &args.sequencerSignature)
            .map_err(|source| MinedExecuteError::Quorum {
                transaction,
                source,
            })?;
        executes.push(MinedExecute {
            transaction,
            sequencers: quorum.sequencers().collect(),
            routers: args.routers,
        });
    }
    Ok(executes)
}
