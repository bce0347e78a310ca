//! Every event the indexer keeps, decoded from a log into a typed record.
//!
//! A log is read by the contract that emitted it ([`Source`]): the `Home` and the Replicas share
//! event signatures (`Update`, `DoubleUpdate`, `Paused`), so the topic alone does not say what a
//! log means. `XCalled` is read through [`nxtp_bindings::XCalled`], which refuses an event whose
//! id does not hash its params or that claims another origin.

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    rpc::types::Log,
    sol_types::SolEvent,
};
use nxtp_bindings::{BadEvent, Connext, Home, Replica, XCalled};
use nxtp_primitives::Domain;
use serde::{Serialize, Serializer};

/// The contract a log came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The domain's `Connext`.
    Connext,
    /// The domain's `Home`.
    Home,
    /// The domain's Replica of `origin`.
    Replica {
        /// The domain whose `Home` it mirrors.
        origin: Domain,
    },
}

/// Where and when a log was emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogMeta {
    /// The domain whose chain emitted it.
    pub domain: Domain,
    /// Its block.
    pub block: u64,
    /// Its position in the block.
    pub log_index: u64,
    /// Its transaction.
    pub tx_hash: B256,
    /// Its block's timestamp (unix seconds).
    pub timestamp: u64,
}

/// Serializes a `U256` as decimal text, as the API shows amounts.
pub(crate) fn decimal<S: Serializer>(value: &U256, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

/// One decoded event; serialized (with its `kind`) as the `data` of the generic events table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind")]
pub enum Event {
    /// A transfer left this domain.
    XCalled {
        /// The checked event.
        #[serde(skip)]
        event: Box<XCalled>,
        /// Its id, for the events table.
        transfer_id: B256,
    },
    /// A transfer's relayer fee grew (`asset` zero: native).
    TransferRelayerFeesIncreased {
        /// The transfer.
        transfer_id: B256,
        /// By how much.
        #[serde(serialize_with = "decimal")]
        increase: U256,
        /// In what.
        asset: Address,
        /// Who paid.
        caller: Address,
    },
    /// The delegate raised a transfer's slippage tolerance.
    SlippageUpdated {
        /// The transfer.
        transfer_id: B256,
        /// The new tolerance (basis points).
        #[serde(serialize_with = "decimal")]
        slippage: U256,
    },
    /// The delegate asked for delivery in the local asset.
    ForceReceiveLocal {
        /// The transfer.
        transfer_id: B256,
    },
    /// A transfer was delivered on this domain: fronted by `routers`, or by the slow path.
    Executed {
        /// The transfer.
        transfer_id: B256,
        /// Who received it.
        to: Address,
        /// The local asset delivered.
        local: Address,
        /// The routers that fronted it (empty: slow path).
        routers: Vec<Address>,
        /// The amount delivered.
        #[serde(serialize_with = "decimal")]
        amount: U256,
        /// Who sent the execute.
        caller: Address,
    },
    /// A transfer's `xReceive` call returned.
    ExternalCalldataExecuted {
        /// The transfer.
        transfer_id: B256,
        /// Whether it succeeded.
        success: bool,
        /// Its return or revert data (truncated by the contract).
        return_data: Bytes,
    },
    /// A transfer's message was delivered on this domain.
    Reconciled {
        /// The transfer.
        transfer_id: B256,
        /// Where it came from.
        origin: u32,
        /// The local asset.
        local: Address,
        /// The routers credited (empty: the transfer now waits for the slow path).
        routers: Vec<Address>,
        /// The amount.
        #[serde(serialize_with = "decimal")]
        amount: U256,
        /// Who delivered it.
        caller: Address,
    },
    /// Liquidity added to a router.
    RouterLiquidityAdded {
        /// The router.
        router: Address,
        /// The asset.
        local: Address,
        /// How much.
        #[serde(serialize_with = "decimal")]
        amount: U256,
        /// Who added it.
        caller: Address,
    },
    /// Liquidity removed from a router.
    RouterLiquidityRemoved {
        /// The router.
        router: Address,
        /// Where it went.
        to: Address,
        /// The asset.
        local: Address,
        /// How much.
        #[serde(serialize_with = "decimal")]
        amount: U256,
        /// Who removed it.
        caller: Address,
    },
    /// The `Home` appended a message.
    Dispatch {
        /// The message's leaf.
        leaf: B256,
        /// Its index in the tree.
        leaf_index: u64,
        /// Where it goes.
        destination: u32,
        /// Its nonce towards that destination.
        nonce: u32,
    },
    /// The `Home` checkpointed a root holding `count` leaves.
    Checkpointed {
        /// The root.
        root: B256,
        /// How many leaves it holds.
        count: u64,
    },
    /// An updater's signed root moved from `old_root` to `new_root`: on the `Home` (signed), or
    /// on a Replica (relayed there, acceptable at `confirm_at`).
    Update {
        /// The domain whose `Home` produced the root.
        origin: u32,
        /// The previous root.
        old_root: B256,
        /// The new root.
        new_root: B256,
        /// On a Replica: when the root becomes acceptable (unix seconds), read from the
        /// Replica at the event's block.
        confirm_at: Option<u64>,
    },
    /// A Replica delivered a message.
    Processed {
        /// The message's origin.
        origin: u32,
        /// Its leaf.
        leaf: B256,
        /// Its index.
        leaf_index: u64,
    },
    /// A Replica's delivery of a message reverted; it stays retryable.
    ProcessFailed {
        /// The message's origin.
        origin: u32,
        /// Its leaf.
        leaf: B256,
        /// Its index.
        leaf_index: u64,
        /// The revert data.
        reason: Bytes,
    },
    /// The updater signed a root the `Home` never produced: the `Home` fails.
    ImproperUpdate {
        /// The signed old root.
        old_root: B256,
        /// The root never produced.
        new_root: B256,
    },
    /// Two roots were signed over one old root.
    DoubleUpdate {
        /// The old root.
        old_root: B256,
        /// The two new roots.
        new_roots: [B256; 2],
    },
    /// The `Home` failed for good.
    HomeFailed {
        /// Who proved the fraud.
        reporter: Address,
    },
    /// An updater's bond was slashed.
    UpdaterSlashed {
        /// The updater.
        updater: Address,
        /// The reporter.
        reporter: Address,
        /// The bond slashed.
        #[serde(serialize_with = "decimal")]
        amount: U256,
        /// The reporter's part.
        #[serde(serialize_with = "decimal")]
        reward: U256,
    },
    /// A Replica failed for good (a double update).
    ReplicaFailed {
        /// The origin it mirrors.
        origin: u32,
        /// Who proved it.
        reporter: Address,
    },
    /// A watcher halted a Replica.
    ReplicaHalted {
        /// The origin it mirrors.
        origin: u32,
    },
    /// A contract was paused (`Connext`, `Home` or a Replica).
    Paused {
        /// `connext`, `home` or `replica`.
        contract: &'static str,
        /// Who paused it.
        by: Address,
    },
    /// A contract was unpaused.
    Unpaused {
        /// `connext`, `home` or `replica`.
        contract: &'static str,
        /// Who unpaused it.
        by: Address,
    },
}

impl Event {
    /// The event's name, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::XCalled { .. } => "XCalled",
            Self::TransferRelayerFeesIncreased { .. } => "TransferRelayerFeesIncreased",
            Self::SlippageUpdated { .. } => "SlippageUpdated",
            Self::ForceReceiveLocal { .. } => "ForceReceiveLocal",
            Self::Executed { .. } => "Executed",
            Self::ExternalCalldataExecuted { .. } => "ExternalCalldataExecuted",
            Self::Reconciled { .. } => "Reconciled",
            Self::RouterLiquidityAdded { .. } => "RouterLiquidityAdded",
            Self::RouterLiquidityRemoved { .. } => "RouterLiquidityRemoved",
            Self::Dispatch { .. } => "Dispatch",
            Self::Checkpointed { .. } => "Checkpointed",
            Self::Update { .. } => "Update",
            Self::Processed { .. } => "Processed",
            Self::ProcessFailed { .. } => "ProcessFailed",
            Self::ImproperUpdate { .. } => "ImproperUpdate",
            Self::DoubleUpdate { .. } => "DoubleUpdate",
            Self::HomeFailed { .. } => "HomeFailed",
            Self::UpdaterSlashed { .. } => "UpdaterSlashed",
            Self::ReplicaFailed { .. } => "ReplicaFailed",
            Self::ReplicaHalted { .. } => "ReplicaHalted",
            Self::Paused { .. } => "Paused",
            Self::Unpaused { .. } => "Unpaused",
        }
    }

    /// The transfer the event is about, if any.
    pub fn transfer_id(&self) -> Option<B256> {
        match self {
            Self::XCalled { transfer_id, .. }
            | Self::TransferRelayerFeesIncreased { transfer_id, .. }
            | Self::SlippageUpdated { transfer_id, .. }
            | Self::ForceReceiveLocal { transfer_id }
            | Self::Executed { transfer_id, .. }
            | Self::ExternalCalldataExecuted { transfer_id, .. }
            | Self::Reconciled { transfer_id, .. } => Some(*transfer_id),
            _ => None,
        }
    }

    /// The event's fields as JSON, for the generic events table.
    pub fn data(&self) -> String {
        match self {
            // Its whole params are in the transfers table.
            Self::XCalled { event, .. } => serde_json::json!({
                "kind": "XCalled",
                "transfer_id": event.transfer_id,
                "message_hash": event.message_hash,
                "amount": event.amount.to_string(),
            })
            .to_string(),
            other => serde_json::to_string(other).unwrap_or_default(),
        }
    }
}

/// The topics followed on a `Connext`.
pub const CONNEXT_TOPICS: [B256; 11] = [
    Connext::XCalled::SIGNATURE_HASH,
    Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH,
    Connext::SlippageUpdated::SIGNATURE_HASH,
    Connext::ForceReceiveLocal::SIGNATURE_HASH,
    Connext::Executed::SIGNATURE_HASH,
    Connext::ExternalCalldataExecuted::SIGNATURE_HASH,
    Connext::Reconciled::SIGNATURE_HASH,
    Connext::RouterLiquidityAdded::SIGNATURE_HASH,
    Connext::RouterLiquidityRemoved::SIGNATURE_HASH,
    Connext::Paused::SIGNATURE_HASH,
    Connext::Unpaused::SIGNATURE_HASH,
];

/// The topics followed on a `Home` (beside those it shares with the Replicas).
pub const HOME_TOPICS: [B256; 6] = [
    Home::Dispatch::SIGNATURE_HASH,
    Home::Checkpointed::SIGNATURE_HASH,
    Home::Update::SIGNATURE_HASH,
    Home::ImproperUpdate::SIGNATURE_HASH,
    Home::HomeFailed::SIGNATURE_HASH,
    Home::UpdaterSlashed::SIGNATURE_HASH,
];

/// The topics followed on a Replica (and the `Home`'s `DoubleUpdate`).
pub const REPLICA_TOPICS: [B256; 6] = [
    Replica::Processed::SIGNATURE_HASH,
    Replica::ProcessFailed::SIGNATURE_HASH,
    Replica::ReplicaFailed::SIGNATURE_HASH,
    Replica::ReplicaHalted::SIGNATURE_HASH,
    Replica::DoubleUpdate::SIGNATURE_HASH,
    Replica::Update::SIGNATURE_HASH,
];

/// Every topic followed, for the indexer's filter.
pub fn all_topics() -> Vec<B256> {
    let mut topics: Vec<B256> = CONNEXT_TOPICS
        .iter()
        .chain(&HOME_TOPICS)
        .chain(&REPLICA_TOPICS)
        .copied()
        .collect();
    topics.sort();
    topics.dedup();
    topics
}

/// Decodes `log` of `source` on `domain`; `None` for a log the indexer does not keep. An
/// event that matches a followed topic but does not decode is a [`BadEvent`].
pub fn decode(log: &Log, source: Source, domain: Domain) -> Result<Option<Event>, BadEvent> {
    let block = log.block_number.unwrap_or_default();
    let Some(&topic) = log.topic0() else {
        return Ok(None);
    };
    match source {
        Source::Connext => decode_connext(log, topic, domain, block),
        Source::Home => decode_home(log, topic, domain, block),
        Source::Replica { origin } => decode_replica(log, topic, origin, domain, block),
    }
}

/// Decodes `log` as `E`, or says which event did not decode.
fn typed<E: SolEvent>(log: &Log, domain: Domain, block: u64) -> Result<E, BadEvent> {
    log.log_decode::<E>()
        .map(|decoded| decoded.inner.data)
        .map_err(|err| BadEvent::new(domain, E::SIGNATURE, block, err.to_string()))
}

fn decode_connext(
    log: &Log,
    topic: B256,
    domain: Domain,
    block: u64,
) -> Result<Option<Event>, BadEvent> {
    use Connext as C;
    Ok(Some(match topic {
        C::XCalled::SIGNATURE_HASH => {
            let event = XCalled::decode(&log.inner, domain)
                .map_err(|err| BadEvent::new(domain, "XCalled", block, err.to_string()))?;
            Event::XCalled {
                transfer_id: event.transfer_id,
                event: Box::new(event),
            }
        }
        C::TransferRelayerFeesIncreased::SIGNATURE_HASH => {
            let e = typed::<C::TransferRelayerFeesIncreased>(log, domain, block)?;
            Event::TransferRelayerFeesIncreased {
                transfer_id: e.transferId,
                increase: e.increase,
                asset: e.asset,
                caller: e.caller,
            }
        }
        C::SlippageUpdated::SIGNATURE_HASH => {
            let e = typed::<C::SlippageUpdated>(log, domain, block)?;
            Event::SlippageUpdated {
                transfer_id: e.transferId,
                slippage: e.slippage,
            }
        }
        C::ForceReceiveLocal::SIGNATURE_HASH => {
            let e = typed::<C::ForceReceiveLocal>(log, domain, block)?;
            Event::ForceReceiveLocal {
                transfer_id: e.transferId,
            }
        }
        C::Executed::SIGNATURE_HASH => {
            let e = typed::<C::Executed>(log, domain, block)?;
            Event::Executed {
                transfer_id: e.transferId,
                to: e.to,
                local: e.local,
                routers: e.routers,
                amount: e.amount,
                caller: e.caller,
            }
        }
        C::ExternalCalldataExecuted::SIGNATURE_HASH => {
            let e = typed::<C::ExternalCalldataExecuted>(log, domain, block)?;
            Event::ExternalCalldataExecuted {
                transfer_id: e.transferId,
                success: e.success,
                return_data: e.returnData,
            }
        }
        C::Reconciled::SIGNATURE_HASH => {
            let e = typed::<C::Reconciled>(log, domain, block)?;
            Event::Reconciled {
                transfer_id: e.transferId,
                origin: e.originDomain,
                local: e.local,
                routers: e.routers,
                amount: e.amount,
                caller: e.caller,
            }
        }
        C::RouterLiquidityAdded::SIGNATURE_HASH => {
            let e = typed::<C::RouterLiquidityAdded>(log, domain, block)?;
            Event::RouterLiquidityAdded {
                router: e.router,
                local: e.local,
                amount: e.amount,
                caller: e.caller,
            }
        }
        C::RouterLiquidityRemoved::SIGNATURE_HASH => {
            let e = typed::<C::RouterLiquidityRemoved>(log, domain, block)?;
            Event::RouterLiquidityRemoved {
                router: e.router,
                to: e.to,
                local: e.local,
                amount: e.amount,
                caller: e.caller,
            }
        }
        C::Paused::SIGNATURE_HASH => Event::Paused {
            contract: "connext",
            by: typed::<C::Paused>(log, domain, block)?.by,
        },
        C::Unpaused::SIGNATURE_HASH => Event::Unpaused {
            contract: "connext",
            by: typed::<C::Unpaused>(log, domain, block)?.by,
        },
        _ => return Ok(None),
    }))
}

fn decode_home(
    log: &Log,
    topic: B256,
    domain: Domain,
    block: u64,
) -> Result<Option<Event>, BadEvent> {
    use Home as H;
    Ok(Some(match topic {
        H::Dispatch::SIGNATURE_HASH => {
            let e = typed::<H::Dispatch>(log, domain, block)?;
            Event::Dispatch {
                leaf: e.leaf,
                leaf_index: saturating_u64(e.leafIndex),
                destination: e.destination,
                nonce: e.nonce,
            }
        }
        H::Checkpointed::SIGNATURE_HASH => {
            let e = typed::<H::Checkpointed>(log, domain, block)?;
            Event::Checkpointed {
                root: e.root,
                count: saturating_u64(e.count),
            }
        }
        H::Update::SIGNATURE_HASH => {
            let e = typed::<H::Update>(log, domain, block)?;
            Event::Update {
                origin: e.homeDomain,
                old_root: e.oldRoot,
                new_root: e.newRoot,
                confirm_at: None,
            }
        }
        H::ImproperUpdate::SIGNATURE_HASH => {
            let e = typed::<H::ImproperUpdate>(log, domain, block)?;
            Event::ImproperUpdate {
                old_root: e.oldRoot,
                new_root: e.newRoot,
            }
        }
        H::DoubleUpdate::SIGNATURE_HASH => {
            let e = typed::<H::DoubleUpdate>(log, domain, block)?;
            Event::DoubleUpdate {
                old_root: e.oldRoot,
                new_roots: e.newRoots,
            }
        }
        H::HomeFailed::SIGNATURE_HASH => Event::HomeFailed {
            reporter: typed::<H::HomeFailed>(log, domain, block)?.reporter,
        },
        H::UpdaterSlashed::SIGNATURE_HASH => {
            let e = typed::<H::UpdaterSlashed>(log, domain, block)?;
            Event::UpdaterSlashed {
                updater: e.updater,
                reporter: e.reporter,
                amount: e.amount,
                reward: e.reward,
            }
        }
        H::Paused::SIGNATURE_HASH => Event::Paused {
            contract: "home",
            by: typed::<H::Paused>(log, domain, block)?.by,
        },
        H::Unpaused::SIGNATURE_HASH => Event::Unpaused {
            contract: "home",
            by: typed::<H::Unpaused>(log, domain, block)?.by,
        },
        _ => return Ok(None),
    }))
}

fn decode_replica(
    log: &Log,
    topic: B256,
    origin: Domain,
    domain: Domain,
    block: u64,
) -> Result<Option<Event>, BadEvent> {
    use Replica as R;
    let origin_id = origin.get();
    Ok(Some(match topic {
        R::Update::SIGNATURE_HASH => {
            let e = typed::<R::Update>(log, domain, block)?;
            Event::Update {
                origin: e.homeDomain,
                old_root: e.oldRoot,
                new_root: e.newRoot,
                confirm_at: None,
            }
        }
        R::Processed::SIGNATURE_HASH => {
            let e = typed::<R::Processed>(log, domain, block)?;
            Event::Processed {
                origin: origin_id,
                leaf: e.leaf,
                leaf_index: saturating_u64(e.index),
            }
        }
        R::ProcessFailed::SIGNATURE_HASH => {
            let e = typed::<R::ProcessFailed>(log, domain, block)?;
            Event::ProcessFailed {
                origin: origin_id,
                leaf: e.leaf,
                leaf_index: saturating_u64(e.index),
                reason: e.reason,
            }
        }
        R::DoubleUpdate::SIGNATURE_HASH => {
            let e = typed::<R::DoubleUpdate>(log, domain, block)?;
            Event::DoubleUpdate {
                old_root: e.oldRoot,
                new_roots: e.newRoots,
            }
        }
        R::ReplicaFailed::SIGNATURE_HASH => Event::ReplicaFailed {
            origin: origin_id,
            reporter: typed::<R::ReplicaFailed>(log, domain, block)?.reporter,
        },
        R::ReplicaHalted::SIGNATURE_HASH => {
            typed::<R::ReplicaHalted>(log, domain, block)?;
            Event::ReplicaHalted { origin: origin_id }
        }
        R::Paused::SIGNATURE_HASH => Event::Paused {
            contract: "replica",
            by: typed::<R::Paused>(log, domain, block)?.by,
        },
        R::Unpaused::SIGNATURE_HASH => Event::Unpaused {
            contract: "replica",
            by: typed::<R::Unpaused>(log, domain, block)?.by,
        },
        _ => return Ok(None),
    }))
}

/// A tree index or count as `u64`; a tree of depth 32 never holds more.
fn saturating_u64(value: U256) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}
