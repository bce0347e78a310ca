//! Every `Executed` on the transfers' destinations: to check there is one per transfer, and to date it.

use crate::lifecycle::BoxError;
use alloy::{
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use nxtp_bindings::Connext;
use nxtp_primitives::Domain;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One `Executed` of a transfer.
#[derive(Clone, Debug)]
pub struct Execution {
    /// Its destination block.
    pub block: u64,
    /// How many routers fronted it (none: the slow path).
    pub routers: usize,
}

/// A destination to read: its provider, its `Connext`, and the first block that may hold our events.
pub struct Destination {
    /// Reads the chain.
    pub provider: DynProvider,
    /// The domain's `Connext`.
    pub connext: Address,
    /// Where to start reading logs.
    pub from_block: u64,
}

/// Every `Executed` on each destination since its `from_block`, by transfer id.
pub async fn executions(
    destinations: &BTreeMap<Domain, Destination>,
) -> Result<HashMap<B256, Vec<Execution>>, BoxError> {
    let mut found: HashMap<B256, Vec<Execution>> = HashMap::new();
    for (domain, destination) in destinations {
        let filter = Filter::new()
            .address(destination.connext)
            .event_signature(Connext::Executed::SIGNATURE_HASH)
            .from_block(destination.from_block);
        let logs = destination
            .provider
            .get_logs(&filter)
            .await
            .map_err(|err| format!("domain {domain}: read Executed logs: {err}"))?;
        for log in logs {
            let decoded = log.log_decode::<Connext::Executed>()?;
            let block = log
                .block_number
                .ok_or("a mined Executed log has no block number")?;
            found
                .entry(decoded.inner.data.transferId)
                .or_default()
                .push(Execution {
                    block,
                    routers: decoded.inner.data.routers.len(),
                });
        }
    }
    Ok(found)
}

/// Every transfer reconciled on the destinations since their `from_block`.
pub async fn reconciled(
    destinations: &BTreeMap<Domain, Destination>,
) -> Result<HashSet<B256>, BoxError> {
    let mut found = HashSet::new();
    for (domain, destination) in destinations {
        let filter = Filter::new()
            .address(destination.connext)
            .event_signature(Connext::Reconciled::SIGNATURE_HASH)
            .from_block(destination.from_block);
        let logs = destination
            .provider
            .get_logs(&filter)
            .await
            .map_err(|err| format!("domain {domain}: read Reconciled logs: {err}"))?;
        for log in logs {
            found.insert(
                log.log_decode::<Connext::Reconciled>()?
                    .inner
                    .data
                    .transferId,
            );
        }
    }
    Ok(found)
}
