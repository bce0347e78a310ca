//! The load generator: transfers offered at a fixed rate, whatever the agents do with them.
//!
//! The SDK's `xcall` reads a route, a quote, balances and an allowance, simulates, estimates and
//! waits for its receipt: about ten requests per transfer, which at fifty transfers a second would
//! load the chains and this machine's two cores as much as the agents under test. Offered load is
//! therefore sent lean: a few fresh senders, each signing `Connext.xcall` locally with the next of
//! its nonces (counted here, several in flight at once), a fixed gas limit and fixed fees, and
//! handing it to the node without waiting. What was mined is read back from the origin's `XCalled`
//! logs, by transaction hash.

use super::senders::Sent;
use crate::lifecycle::BoxError;
use alloy::{
    eips::eip2718::Encodable2718,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::{Filter, TransactionRequest},
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolEvent},
};
use nxtp_bindings::Connext;
use nxtp_primitives::Domain;
use nxtp_sdk::xcall::DEFAULT_SLIPPAGE_BPS;
use std::{
    collections::{BTreeMap, HashMap},
    time::{Duration, Instant},
};
use tokio::task::JoinSet;

/// Gas added to the estimate of one `xcall`: the Home's tree insert climbs more levels for some
/// leaves than for the estimated one (see the SDK's `GAS_HEADROOM`).
const GAS_HEADROOM: u64 = 70_000;
/// `maxFeePerGas` of every offered transfer: far above what anvil's base fee reaches here.
const MAX_FEE_PER_GAS: u128 = 50_000_000_000;
/// `maxPriorityFeePerGas` of every offered transfer.
const PRIORITY_FEE_PER_GAS: u128 = 1_000_000_000;
/// How many times a refused broadcast is tried again before the run fails (a nonce left unsent
/// would hold back every later transfer of its sender).
const BROADCAST_ATTEMPTS: u32 = 5;

/// What every offered transfer shares.
pub struct Offer<'a> {
    /// The origin's reader and writer.
    pub provider: &'a DynProvider,
    /// The origin's chain id.
    pub chain_id: u64,
    /// The origin's `Connext`.
    pub connext: Address,
    /// `DEMO` on the origin.
    pub local: Address,
    /// Base units per transfer.
    pub amount: U256,
    /// The relayer fee paid per destination (the sequencer's quote).
    pub fees: &'a BTreeMap<Domain, U256>,
    /// The gas limit of each `xcall`.
    pub gas_limit: u64,
}

/// The senders of offered load, with the next nonce of each.
pub struct Senders {
    keys: Vec<PrivateKeySigner>,
    nonces: Vec<u64>,
}

impl Senders {
    /// `keys`, with their nonces read from the node's pending state.
    pub async fn new(
        provider: &DynProvider,
        keys: Vec<PrivateKeySigner>,
    ) -> Result<Self, BoxError> {
        let mut nonces = Vec::with_capacity(keys.len());
        for key in &keys {
            nonces.push(
                provider
                    .get_transaction_count(key.address())
                    .pending()
                    .await?,
            );
        }
        Ok(Self { keys, nonces })
    }
}

/// What a step offered, before the origin said what it mined.
pub struct Offered {
    /// The transactions sent, each with its destination and the fee it paid.
    pub sent: Vec<(B256, Domain, U256)>,
    /// Seconds from the first send to the last.
    pub sending_seconds: f64,
    /// Sends that started more than a second behind their schedule (the generator could not keep
    /// up).
    pub late: usize,
}

/// The gas limit for every offered `xcall`: one estimated from the first sender, with headroom.
pub async fn gas_limit(
    offer_provider: &DynProvider,
    connext: Address,
    from: Address,
    calldata: Bytes,
    value: U256,
) -> Result<u64, BoxError> {
    let request = TransactionRequest::default()
        .with_from(from)
        .with_to(connext)
        .with_input(calldata)
        .with_value(value);
    let estimate = offer_provider.estimate_gas(request).await?;
    Ok(estimate
        .saturating_add(estimate / 5)
        .saturating_add(GAS_HEADROOM))
}

/// `xcall` calldata sending `amount` of `local` to `destination`, to `to`.
pub fn xcall_calldata(destination: Domain, to: Address, local: Address, amount: U256) -> Bytes {
    Connext::xcallCall {
        destination: destination.get(),
        to,
        asset: local,
        delegate: Address::ZERO,
        amount,
        slippage: U256::from(DEFAULT_SLIPPAGE_BPS),
        callData: Bytes::new(),
        relayerFeeInAsset: U256::ZERO,
    }
    .abi_encode()
    .into()
}

/// Offers `plan` (a destination per transfer) at `rate` transfers a second: transfer `i` is
/// signed and broadcast at `i / rate` seconds from the start, by sender `i % senders`.
pub async fn offer(
    offer: &Offer<'_>,
    senders: &mut Senders,
    plan: &[Domain],
    rate: f64,
) -> Result<Offered, BoxError> {
    let wallets: Vec<EthereumWallet> = senders
        .keys
        .iter()
        .map(|key| EthereumWallet::from(key.clone()))
        .collect();
    let started = Instant::now();
    let mut late = 0;
    let mut broadcasts = JoinSet::new();
    let mut sent = Vec::with_capacity(plan.len());
    for (index, &destination) in plan.iter().enumerate() {
        let due = started + Duration::from_secs_f64(index as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        if due.elapsed() > Duration::from_secs(1) {
            late += 1;
        }
        let which = index % senders.keys.len();
        let sender = senders.keys[which].address();
        let nonce = senders.nonces[which];
        senders.nonces[which] += 1;
        let fee = *offer
            .fees
            .get(&destination)
            .ok_or("no relayer fee for a destination")?;
        let request = TransactionRequest::default()
            .with_from(sender)
            .with_to(offer.connext)
            .with_input(xcall_calldata(
                destination,
                sender,
                offer.local,
                offer.amount,
            ))
            .with_value(fee)
            .with_chain_id(offer.chain_id)
            .with_nonce(nonce)
            .with_gas_limit(offer.gas_limit)
            .with_max_fee_per_gas(MAX_FEE_PER_GAS)
            .with_max_priority_fee_per_gas(PRIORITY_FEE_PER_GAS);
        let envelope = request.build(&wallets[which]).await?;
        let hash = *envelope.tx_hash();
        let raw: Bytes = envelope.encoded_2718().into();
        let provider = offer.provider.clone();
        broadcasts.spawn(async move { broadcast(&provider, &raw).await });
        sent.push((hash, destination, fee));
        // Finished broadcasts are reaped as they come, so a refusal stops the run early.
        while let Some(done) = broadcasts.try_join_next() {
            done??;
        }
    }
    let sending_seconds = started.elapsed().as_secs_f64();
    while let Some(done) = broadcasts.join_next().await {
        done??;
    }
    Ok(Offered {
        sent,
        sending_seconds,
        late,
    })
}

/// Hands `raw` to the node, trying again a few times if it is refused.
async fn broadcast(provider: &DynProvider, raw: &[u8]) -> Result<(), BoxError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match provider.send_raw_transaction(raw).await {
            Ok(_) => return Ok(()),
            Err(err) if attempt >= BROADCAST_ATTEMPTS => {
                return Err(format!("broadcast refused {attempt} times: {err}").into())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await,
        }
    }
}

/// Waits until the origin has mined every transaction of `offered` (reading `XCalled` logs from
/// `from_block`), or `deadline`; returns the transfers found, in the order sent.
pub async fn mined(
    provider: &DynProvider,
    connext: Address,
    from_block: u64,
    offered: &Offered,
    deadline: Instant,
) -> Result<Vec<Sent>, BoxError> {
    let mut found: HashMap<B256, (B256, u64)> = HashMap::new();
    let mut next_block = from_block;
    loop {
        let head = provider.get_block_number().await?;
        if head >= next_block {
            let filter = Filter::new()
                .address(connext)
                .event_signature(Connext::XCalled::SIGNATURE_HASH)
                .from_block(next_block)
                .to_block(head);
            for log in provider.get_logs(&filter).await? {
                let (Some(tx), Some(block)) = (log.transaction_hash, log.block_number) else {
                    continue;
                };
                let decoded = log.log_decode::<Connext::XCalled>()?;
                found.insert(tx, (decoded.inner.data.transferId, block));
            }
            next_block = head + 1;
        }
        let all = offered.sent.iter().all(|(tx, _, _)| found.contains_key(tx));
        if all || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(offered
        .sent
        .iter()
        .filter_map(|(tx, destination, fee)| {
            let &(transfer_id, origin_block) = found.get(tx)?;
            Some(Sent {
                transfer_id,
                destination: *destination,
                origin_block,
                relayer_fee: *fee,
            })
        })
        .collect())
}
