//! Message traffic on a running devnet: dispatch messages between domains and watch them being
//! delivered. The end-to-end tests and the messaging benchmark both drive the devnet through this.

use crate::deploy::RECORDING_RECIPIENT;
use alloy::{
    network::EthereumWallet,
    primitives::{keccak256, Address, Bytes, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, Log},
    signers::local::PrivateKeySigner,
    sol_types::{SolEvent, SolValue},
    transports::http::reqwest::Url,
};
use nxtp_bindings::{Home, RecordingRecipient, Replica};
use nxtp_deployment::Manifest;
use nxtp_primitives::{address_to_bytes32, Domain, Message};
use std::{
    collections::{BTreeMap, HashMap},
    time::Duration,
};

/// One dispatched message and where it is expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMessage {
    /// The message as the Home committed it.
    pub message: Message,
    /// Its leaf (`keccak256` of the encoding).
    pub leaf: B256,
    /// Its position in the origin's tree.
    pub index: u64,
    /// The origin block that dispatched it.
    pub block: u64,
    /// That block's timestamp.
    pub dispatched_at: u64,
}

/// When and how a message was delivered on its destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Timestamp of the destination block that processed it.
    pub processed_at: u64,
    /// That block's number.
    pub block: u64,
}

/// Why traffic could not be sent or observed.
#[derive(Debug, thiserror::Error)]
pub enum TrafficError {
    /// The manifest lacks a domain or contract the traffic needs.
    #[error("the manifest has no {0}")]
    Manifest(String),
    /// An RPC call failed.
    #[error("{context}: {source}")]
    Rpc {
        /// What was being done.
        context: String,
        /// The failure.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Not every message arrived in time.
    #[error("{missing} of {total} messages not delivered within {timeout:?}")]
    Timeout {
        /// Messages still missing.
        missing: usize,
        /// Messages expected.
        total: usize,
        /// How long it waited.
        timeout: Duration,
    },
}

fn rpc<E: std::error::Error + Send + Sync + 'static>(
    context: impl Into<String>,
) -> impl FnOnce(E) -> TrafficError {
    let context = context.into();
    move |source| TrafficError::Rpc {
        context,
        source: Box::new(source),
    }
}

/// A provider with `key`'s wallet for `domain`'s chain.
pub fn wallet_provider(
    manifest: &Manifest,
    domain: Domain,
    key: B256,
) -> Result<DynProvider, TrafficError> {
    let deployment = manifest
        .domain(domain)
        .ok_or_else(|| TrafficError::Manifest(format!("domain {domain}")))?;
    let url: Url = deployment
        .rpc_url
        .parse()
        .map_err(rpc(format!("RPC URL of {domain}")))?;
    let signer = PrivateKeySigner::from_bytes(&key).map_err(rpc("sender key"))?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url)
        .erased())
}

/// The `RecordingRecipient` on `domain`.
pub fn recipient_on(manifest: &Manifest, domain: Domain) -> Result<Address, TrafficError> {
    manifest
        .domain(domain)
        .and_then(|deployment| deployment.contracts.get(RECORDING_RECIPIENT).copied())
        .ok_or_else(|| TrafficError::Manifest(format!("{RECORDING_RECIPIENT} on {domain}")))
}

/// Dispatches one message for each `(origin, destination)` in `routes`, from `sender_key`, to the
/// destination's `RecordingRecipient`. The transactions of one origin are sent back to back with explicit
/// nonces and only then awaited, so many fit in one block.
pub async fn dispatch(
    manifest: &Manifest,
    sender_key: B256,
    routes: &[(Domain, Domain)],
) -> Result<Vec<SentMessage>, TrafficError> {
    let mut by_origin: BTreeMap<Domain, Vec<Domain>> = BTreeMap::new();
    for &(origin, destination) in routes {
        by_origin.entry(origin).or_default().push(destination);
    }
    let sends = by_origin
        .into_iter()
        .map(|(origin, destinations)| dispatch_from(manifest, sender_key, origin, destinations));
    let mut sent = Vec::with_capacity(routes.len());
    for batch in futures::future::try_join_all(sends).await? {
        sent.extend(batch);
    }
    Ok(sent)
}

async fn dispatch_from(
    manifest: &Manifest,
    sender_key: B256,
    origin: Domain,
    destinations: Vec<Domain>,
) -> Result<Vec<SentMessage>, TrafficError> {
    let provider = wallet_provider(manifest, origin, sender_key)?;
    let home_address = manifest
        .domain(origin)
        .map(|d| d.home)
        .ok_or_else(|| TrafficError::Manifest(format!("domain {origin}")))?;
    let home = Home::new(home_address, provider.clone());
    let sender = PrivateKeySigner::from_bytes(&sender_key)
        .map_err(rpc("sender key"))?
        .address();
    let first_nonce = provider
        .get_transaction_count(sender)
        .pending()
        .await
        .map_err(rpc(format!("nonce on {origin}")))?;
    let mut pending = Vec::with_capacity(destinations.len());
    for (offset, destination) in destinations.into_iter().enumerate() {
        let recipient = address_to_bytes32(recipient_on(manifest, destination)?);
        let body = Bytes::from(
            keccak256(format!("{origin}->{destination} #{offset} from {sender}")).to_vec(),
        );
        let call = home
            .dispatch(destination.get(), recipient, body)
            .nonce(first_nonce + offset as u64)
            .gas(200_000);
        pending.push(
            call.send()
                .await
                .map_err(rpc(format!("dispatch on {origin}")))?,
        );
    }
    let mut sent = Vec::with_capacity(pending.len());
    for tx in pending {
        let receipt = tx
            .get_receipt()
            .await
            .map_err(rpc(format!("dispatch receipt on {origin}")))?;
        let block = receipt
            .block_number
            .ok_or_else(|| TrafficError::Manifest("block number in a receipt".into()))?;
        let dispatched_at = block_timestamp(&provider, block).await?;
        for log in receipt.inner.logs() {
            if let Ok(event) = log.log_decode::<Home::Dispatch>() {
                let message =
                    Message::decode(&event.inner.message).map_err(rpc("a dispatched message"))?;
                sent.push(SentMessage {
                    leaf: event.inner.leaf,
                    index: event.inner.leafIndex.to::<u64>(),
                    message,
                    block,
                    dispatched_at,
                });
            }
        }
    }
    Ok(sent)
}

/// The number and timestamp of the block holding a mined `log` (asking the node for the
/// timestamp when the log does not carry it).
async fn mined_at(provider: &DynProvider, log: &Log) -> Result<(u64, u64), TrafficError> {
    let block = log
        .block_number
        .ok_or_else(|| TrafficError::Manifest("block number in a log".into()))?;
    let at = match log.block_timestamp {
        Some(timestamp) => timestamp,
        None => block_timestamp(provider, block).await?,
    };
    Ok((block, at))
}

async fn block_timestamp(provider: &DynProvider, number: u64) -> Result<u64, TrafficError> {
    let block = provider
        .get_block_by_number(number.into())
        .await
        .map_err(rpc(format!("block {number}")))?
        .ok_or_else(|| TrafficError::Manifest(format!("block {number}")))?;
    Ok(block.header.timestamp)
}

/// Waits until every message in `sent` was processed on its destination (a `Processed` event of the
/// Replica of its origin), and returns each delivery by leaf. Fails after `timeout`.
pub async fn await_deliveries(
    manifest: &Manifest,
    sent: &[SentMessage],
    timeout: Duration,
) -> Result<HashMap<B256, Delivery>, TrafficError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delivered: HashMap<B256, Delivery> = HashMap::new();
    loop {
        for (domain, deployment) in &manifest.domains {
            let provider = read_provider(&deployment.rpc_url)?;
            let replicas: Vec<Address> = deployment.replicas.values().copied().collect();
            let filter = Filter::new()
                .address(replicas)
                .event_signature(Replica::Processed::SIGNATURE_HASH)
                .from_block(deployment.deploy_block);
            let logs = provider
                .get_logs(&filter)
                .await
                .map_err(rpc(format!("Processed events on {domain}")))?;
            for log in logs {
                let Ok(event) = log.log_decode::<Replica::Processed>() else {
                    continue;
                };
                if delivered.contains_key(&event.inner.leaf) {
                    continue;
                }
                let (block, processed_at) = mined_at(&provider, &log).await?;
                delivered.insert(
                    event.inner.leaf,
                    Delivery {
                        processed_at,
                        block,
                    },
                );
            }
        }
        let missing = sent
            .iter()
            .filter(|message| !delivered.contains_key(&message.leaf))
            .count();
        if missing == 0 {
            return Ok(delivered);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(TrafficError::Timeout {
                missing,
                total: sent.len(),
                timeout,
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A `Checkpointed` event of a Home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// How many messages the checkpointed root covers.
    pub count: u64,
    /// The timestamp of the block that holds it.
    pub at: u64,
}

/// Every `Checkpointed` event of every Home, by origin, in chain order.
pub async fn checkpoints(
    manifest: &Manifest,
) -> Result<HashMap<Domain, Vec<Checkpoint>>, TrafficError> {
    let mut checkpoints = HashMap::new();
    for (&origin, deployment) in &manifest.domains {
        let provider = read_provider(&deployment.rpc_url)?;
        let filter = Filter::new()
            .address(deployment.home)
            .event_signature(Home::Checkpointed::SIGNATURE_HASH)
            .from_block(deployment.deploy_block);
        let logs = provider
            .get_logs(&filter)
            .await
            .map_err(rpc(format!("Checkpointed events on {origin}")))?;
        let mut found = Vec::with_capacity(logs.len());
        for log in logs {
            let Ok(event) = log.log_decode::<Home::Checkpointed>() else {
                continue;
            };
            let (_, at) = mined_at(&provider, &log).await?;
            found.push(Checkpoint {
                count: event.inner.data.count.to::<u64>(),
                at,
            });
        }
        checkpoints.insert(origin, found);
    }
    Ok(checkpoints)
}

/// When each message's root was first checkpointed: the timestamp of the earliest checkpoint
/// (from [`checkpoints`]) covering the message's leaf. Keyed by leaf; messages under no
/// checkpoint are left out.
pub fn checkpointed_at(
    checkpoints: &HashMap<Domain, Vec<Checkpoint>>,
    sent: &[SentMessage],
) -> HashMap<B256, u64> {
    sent.iter()
        .filter_map(|message| {
            let earliest = checkpoints
                .get(&message.message.origin)?
                .iter()
                .filter(|checkpoint| checkpoint.count > message.index)
                .map(|checkpoint| checkpoint.at)
                .min()?;
            Some((message.leaf, earliest))
        })
        .collect()
}

/// When each message first became provable on its destination: the earliest `confirmAt` of a root,
/// relayed to the destination's Replica of its origin, that covers the message's leaf. Keyed by leaf;
/// messages under no relayed root are left out.
pub async fn acceptable_at(
    manifest: &Manifest,
    sent: &[SentMessage],
) -> Result<HashMap<B256, u64>, TrafficError> {
    // (origin, destination) -> (leaf count, ripe time) of every root relayed there.
    let mut ripening: HashMap<(Domain, Domain), Vec<(u64, u64)>> = HashMap::new();
    for (&destination, deployment) in &manifest.domains {
        let provider = read_provider(&deployment.rpc_url)?;
        for (&origin, &replica_address) in &deployment.replicas {
            let origin_deployment = manifest
                .domain(origin)
                .ok_or_else(|| TrafficError::Manifest(format!("domain {origin}")))?;
            let home = Home::new(
                origin_deployment.home,
                read_provider(&origin_deployment.rpc_url)?,
            );
            let replica = Replica::new(replica_address, provider.clone());
            let filter = Filter::new()
                .address(replica_address)
                .event_signature(Replica::Update::SIGNATURE_HASH)
                .from_block(deployment.deploy_block);
            let logs = provider
                .get_logs(&filter)
                .await
                .map_err(rpc(format!("Update events on {destination}")))?;
            let mut roots = Vec::new();
            for log in logs {
                let Ok(update) = log.log_decode::<Replica::Update>() else {
                    continue;
                };
                let root = update.inner.newRoot;
                let count = home
                    .checkpoints(root)
                    .call()
                    .await
                    .map_err(rpc("Home.checkpoints"))?
                    .count;
                let ripe = replica
                    .confirmAt(root)
                    .call()
                    .await
                    .map_err(rpc("Replica.confirmAt"))?;
                roots.push((u64::from(count), ripe.to::<u64>()));
            }
            ripening.insert((origin, destination), roots);
        }
    }
    let mut acceptable = HashMap::new();
    for message in sent {
        let roots = ripening.get(&(message.message.origin, message.message.destination));
        let earliest = roots
            .into_iter()
            .flatten()
            .filter(|(count, _)| *count > message.index)
            .map(|(_, ripe)| *ripe)
            .min();
        if let Some(ripe) = earliest {
            acceptable.insert(message.leaf, ripe);
        }
    }
    Ok(acceptable)
}

/// How many times each message's recipient handled it (the `RecordingRecipient` counts them): a message
/// delivered exactly once reads 1.
pub async fn times_handled(manifest: &Manifest, message: &Message) -> Result<u64, TrafficError> {
    let deployment = manifest
        .domain(message.destination)
        .ok_or_else(|| TrafficError::Manifest(format!("domain {}", message.destination)))?;
    let recipient = RecordingRecipient::new(
        recipient_on(manifest, message.destination)?,
        read_provider(&deployment.rpc_url)?,
    );
    // The recipient keys its count by `keccak256(abi.encode(origin, nonce, sender, body))`.
    let key = keccak256(
        (
            message.origin.get(),
            message.nonce,
            message.sender,
            Bytes::from(message.body.to_vec()),
        )
            .abi_encode_params(),
    );
    let times = recipient
        .timesHandled(key)
        .call()
        .await
        .map_err(rpc("timesHandled"))?;
    Ok(times.to::<u64>())
}

fn read_provider(rpc_url: &str) -> Result<DynProvider, TrafficError> {
    let url: Url = rpc_url.parse().map_err(rpc("RPC URL"))?;
    Ok(ProviderBuilder::new().connect_http(url).erased())
}
