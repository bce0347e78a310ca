//! A transfer's status as users see it, derived from the stored rows: its stage (Connext's
//! order: `XCalled`, `Executed`, `Reconciled`, `CompletedFast`, `CompletedSlow`), its path, each
//! stage's transaction, the routers and their shares, the amounts and fees, the slow path's
//! messaging sub-stages, an estimate of when it completes and, while it waits, why and what
//! to do about it.
//!
//! The stage and path are also generated columns of the `transfers` table (so the list can
//! filter on them); [`Stage`] and [`Path`] parse the stored text.

use crate::store::{Stamp, TransferEvent, TransferRecord, TransferRow};
use alloy::primitives::{Address, Bytes, B256, U256};
use nxtp_primitives::Domain;
use serde::Serialize;
use std::{fmt, str::FromStr};

/// How far a transfer got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Stage {
    /// Left its origin; not yet delivered or reconciled on its destination.
    XCalled,
    /// Fronted by routers on its destination; its message is still on its way.
    Executed,
    /// Its message arrived before any router fronted it: it waits for the slow path's execute.
    Reconciled,
    /// Fronted by routers, who were then reimbursed by its message.
    CompletedFast,
    /// Delivered by the slow path after its message arrived.
    CompletedSlow,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Self; 5] = [
        Self::XCalled,
        Self::Executed,
        Self::Reconciled,
        Self::CompletedFast,
        Self::CompletedSlow,
    ];

    /// The stage as stored and shown.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::XCalled => "XCalled",
            Self::Executed => "Executed",
            Self::Reconciled => "Reconciled",
            Self::CompletedFast => "CompletedFast",
            Self::CompletedSlow => "CompletedSlow",
        }
    }

    /// Whether the recipient has its funds for good.
    pub const fn is_complete(self) -> bool {
        matches!(self, Self::CompletedFast | Self::CompletedSlow)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text that names no stage.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a stage (XCalled, Executed, Reconciled, CompletedFast or CompletedSlow)")]
pub struct UnknownStage(pub String);

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|stage| stage.as_str() == text)
            .ok_or_else(|| UnknownStage(text.chars().take(32).collect()))
    }
}

/// How a transfer reaches its recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Path {
    /// Routers front it within seconds and are reimbursed later.
    Fast,
    /// Delivered once its message arrives, after the fraud window.
    Slow,
}

impl FromStr for Path {
    type Err = UnknownStage;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "fast" => Ok(Self::Fast),
            "slow" => Ok(Self::Slow),
            other => Err(UnknownStage(other.chars().take(32).collect())),
        }
    }
}

/// Serializes a `U256` as decimal text.
fn decimal<S: serde::Serializer>(value: &U256, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

fn decimal_opt<S: serde::Serializer>(
    value: &Option<U256>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.serialize_str(&value.to_string()),
        None => serializer.serialize_none(),
    }
}

/// Where and when a step happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepView {
    /// The domain whose chain holds it.
    pub domain: u32,
    /// The transaction.
    pub tx_hash: B256,
    /// Its block.
    pub block: u64,
    /// Its block's time (unix seconds).
    pub timestamp: u64,
}

impl From<&Stamp> for StepView {
    fn from(stamp: &Stamp) -> Self {
        Self {
            domain: stamp.domain.get(),
            tx_hash: stamp.tx_hash,
            block: stamp.block,
            timestamp: stamp.timestamp,
        }
    }
}

/// A router that fronted a transfer and its share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouterShare {
    /// The router.
    pub router: Address,
    /// The amount of the local asset it fronted (the last router takes the division's dust).
    #[serde(serialize_with = "decimal")]
    pub amount: U256,
}

/// A relayer fee paid in one asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeeView {
    /// The asset (zero: the native token).
    pub asset: Address,
    /// The total paid, bumps included.
    #[serde(serialize_with = "decimal")]
    pub amount: U256,
}

/// A root step of the messaging layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RootStepView {
    /// Where and when.
    #[serde(flatten)]
    pub step: StepView,
    /// The root holding the message.
    pub root: B256,
}

/// The slow path's messaging sub-stages of a transfer's message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessagingView {
    /// The message's leaf in the origin's `Home`.
    pub message_hash: Option<B256>,
    /// Its index in the `Home`'s tree.
    pub leaf_index: Option<u64>,
    /// `Home.dispatch` (in the xcall's transaction).
    pub dispatched: Option<StepView>,
    /// The first checkpoint of a root holding it.
    pub checkpointed: Option<RootStepView>,
    /// The updater's signed update to such a root, on the origin's `Home`.
    pub signed: Option<RootStepView>,
    /// That root copied to the destination's Replica.
    pub root_relayed: Option<RootStepView>,
    /// When that root becomes acceptable on the destination (unix seconds).
    pub acceptable_at: Option<u64>,
    /// The message delivered by the destination's Replica (which reconciles the transfer).
    pub processed: Option<StepView>,
    /// The last delivery that reverted, if it has not been delivered since.
    pub process_failed: Option<ProcessFailedView>,
}

/// A reverted delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessFailedView {
    /// Where and when.
    #[serde(flatten)]
    pub step: StepView,
    /// The revert data.
    pub reason: Bytes,
}

/// Why a transfer is not complete yet, and what to do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WaitReason {
    /// Routers have not fronted it yet (normally seconds); else it completes by the slow path.
    AwaitingRouters,
    /// Its message is in the origin's `Home` but no checkpointed root holds it yet.
    AwaitingCheckpoint,
    /// A root holding it is checkpointed but not yet signed and copied to the destination.
    AwaitingRootRelay,
    /// The root holding it is on the destination, in its fraud window.
    InFraudWindow,
    /// The root is acceptable; the message waits to be proven and delivered.
    AwaitingProcess,
    /// Delivering the message reverted; it stays retryable.
    ProcessReverted,
    /// Reconciled: it waits for the slow path's execute on the destination.
    AwaitingSlowExecute,
    /// The destination's Replica of the origin was halted or failed: the message cannot be
    /// delivered there until a successor Replica is enrolled.
    ReplicaHalted,
    /// The origin's `Home` failed (fraud was proven): its messages need a recovery.
    HomeFailed,
    /// Only the destination's events are indexed so far (the origin lags, or is not followed).
    AwaitingOriginIndex,
    /// The sequencer has not seen the xcall at its confirmation depth yet (from the sequencer).
    AwaitingConfirmations,
    /// The relayer fee paid is below the sequencer's quote: no router is chosen until it is
    /// bumped (from the sequencer, which says by how much).
    RelayerFeeBelowQuote,
    /// Routers were chosen and the execute handed to the relayer, which has not landed it yet
    /// (from the sequencer).
    AwaitingRelayer,
    /// The fast execute reverted on the destination's slippage check: the delegate may raise
    /// the tolerance, or the transfer completes by the slow path.
    SlippageExceeded,
    /// No combination of routers has the liquidity to front it: it completes by the slow path
    /// (from the sequencer).
    NoRouterLiquidity,
    /// Delivered, but the recipient's `xReceive` reverted (see `calldata`): the funds stay with
    /// the recipient.
    CalldataReverted,
}

impl WaitReason {
    /// What the user (or an operator) can do.
    pub const fn remedy(self) -> &'static str {
        match self {
            Self::AwaitingRouters => {
                "nothing: routers front transfers within seconds; if none does, it completes by \
                 the slow path once its message arrives"
            }
            Self::AwaitingCheckpoint => {
                "nothing: the updater checkpoints the Home; anyone may call Home.checkpoint()"
            }
            Self::AwaitingRootRelay => {
                "nothing: the updater signs final roots and the message relayer copies them; if \
                 it lasts, check that both run"
            }
            Self::InFraudWindow => "nothing: wait until acceptable_at",
            Self::AwaitingProcess => {
                "nothing: the processor delivers it; anyone may prove and process the message"
            }
            Self::ProcessReverted => {
                "see process_failed.reason; the message is retried, and anyone may process it \
                 again once the cause is fixed"
            }
            Self::AwaitingSlowExecute => {
                "nothing: the executor relays the slow path's execute; if it lasts, bump the \
                 relayer fee (nxtp bump) or execute it as the delegate"
            }
            Self::ReplicaHalted => {
                "an operator enrolls a successor Replica; the message is then delivered there"
            }
            Self::HomeFailed => "an operator recovers the origin's messages (see the docs)",
            Self::AwaitingOriginIndex => {
                "nothing: the origin's events are indexed at its confirmation depth"
            }
            Self::AwaitingConfirmations => {
                "nothing: the xcall is acted on once the origin chain confirms it"
            }
            Self::RelayerFeeBelowQuote => {
                "bump the relayer fee by the amount missing (nxtp bump <transfer-id> --amount \
                 <wei>wei; SDK bumpTransfer)"
            }
            Self::AwaitingRelayer => {
                "nothing: the relayer is landing the execute; if it lasts, check the relayer runs"
            }
            Self::SlippageExceeded => {
                "the delegate raises the tolerance (Connext.forceUpdateSlippage: nxtp \
                 update-slippage <transfer-id> --slippage-bps <bps>), or waits for the slow path, \
                 which checks no slippage"
            }
            Self::NoRouterLiquidity => {
                "none needed: it completes by the slow path (see eta) once its message arrives"
            }
            Self::CalldataReverted => {
                "the amount was delivered to the recipient contract and stays there; the call is \
                 not retried: the recipient's owner decides what to do with the funds (see \
                 calldata.revert)"
            }
        }
    }
}

/// A waiting transfer's reason and remedy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitingView {
    /// Why it waits.
    pub reason: WaitReason,
    /// What to do, in words (with this transfer's figures where the remedy has any).
    pub remedy: String,
    /// The call that applies the remedy, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<RemedyAction>,
    /// The sequencer's own words, when the reason came from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl WaitingView {
    /// `reason` with its generic remedy.
    pub fn of(reason: WaitReason) -> Self {
        Self {
            reason,
            remedy: reason.remedy().to_owned(),
            action: None,
            detail: None,
        }
    }
}

/// The call that applies a remedy: on the command line and in the SDKs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemedyAction {
    /// The `nxtp` command.
    pub cli: String,
    /// The SDK call (same name in the Rust and TypeScript SDKs).
    pub sdk: String,
    /// The amount it needs (wei), for a fee bump.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "decimal_opt"
    )]
    pub amount: Option<U256>,
}

/// A transfer as `GET /transfers/{id}` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferView {
    /// The transfer.
    pub transfer_id: B256,
    /// Its stage.
    pub stage: Stage,
    /// Its path, once shown.
    pub path: Option<Path>,
    /// Its origin.
    pub origin: Option<u32>,
    /// Its destination.
    pub destination: Option<u32>,
    /// Who called `xcall`.
    pub sender: Option<Address>,
    /// The recipient.
    pub to: Option<Address>,
    /// Who may update it on the destination.
    pub delegate: Option<Address>,
    /// The asset the sender supplied on the origin.
    pub asset: Option<Address>,
    /// How much of it.
    #[serde(serialize_with = "decimal_opt")]
    pub amount: Option<U256>,
    /// The amount bridged (local asset).
    #[serde(serialize_with = "decimal_opt")]
    pub bridged_amount: Option<U256>,
    /// What the recipient received.
    #[serde(serialize_with = "decimal_opt")]
    pub delivered_amount: Option<U256>,
    /// The routers' liquidity fee: bridged minus delivered (fast path).
    #[serde(serialize_with = "decimal_opt")]
    pub liquidity_fee: Option<U256>,
    /// The relayer fees paid, per asset, bumps included.
    pub relayer_fees: Vec<FeeView>,
    /// The slippage tolerance now in force (basis points).
    #[serde(serialize_with = "decimal_opt")]
    pub slippage: Option<U256>,
    /// Whether it is delivered in the local asset (set at xcall or forced by the delegate).
    pub receive_local: Option<bool>,
    /// The routers that fronted it and their shares.
    pub routers: Vec<RouterShare>,
    /// The xcall on the origin.
    pub xcalled: Option<StepView>,
    /// The delivery on the destination.
    pub executed: Option<StepView>,
    /// The reconcile on the destination.
    pub reconciled: Option<StepView>,
    /// The recipient's `xReceive` outcome, for a transfer with calldata.
    pub calldata: Option<CalldataView>,
    /// The messaging sub-stages (the slow path's, and the routers' reimbursement).
    pub messaging: MessagingView,
    /// When it is expected to complete (unix seconds), when that can be told.
    pub eta: Option<u64>,
    /// Why it waits, while it does.
    pub waiting: Option<WaitingView>,
}

/// The outcome of a transfer's `xReceive`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalldataView {
    /// Whether it succeeded.
    pub success: bool,
    /// Its return or revert data (hex).
    pub return_data: String,
    /// On failure, the revert decoded (`Error(reason: "...")`, a known contract's custom
    /// error, or `unknown error (revert data 0x...)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revert: Option<String>,
    /// On failure, where the funds are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funds: Option<String>,
}

/// A transfer as `GET /transfers` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferSummary {
    /// The transfer.
    pub transfer_id: B256,
    /// Its stage.
    pub stage: Stage,
    /// Its path, once shown.
    pub path: Option<Path>,
    /// Its origin.
    pub origin: Option<u32>,
    /// Its destination.
    pub destination: Option<u32>,
    /// Who called `xcall`.
    pub sender: Option<Address>,
    /// The recipient.
    pub to: Option<Address>,
    /// The amount bridged.
    #[serde(serialize_with = "decimal_opt")]
    pub bridged_amount: Option<U256>,
    /// The routers that fronted it.
    pub routers: Vec<Address>,
    /// The xcall.
    pub xcalled: Option<StepView>,
    /// The last step seen (the newest of xcall, execute and reconcile).
    pub updated_at: Option<u64>,
}

impl From<&TransferRow> for TransferSummary {
    fn from(row: &TransferRow) -> Self {
        let xcall = row.xcall.as_ref();
        let updated_at = [
            xcall.map(|part| part.stamp.timestamp),
            row.executed.as_ref().map(|part| part.stamp.timestamp),
            row.reconciled.as_ref().map(|part| part.stamp.timestamp),
        ]
        .into_iter()
        .flatten()
        .max();
        Self {
            transfer_id: row.transfer_id,
            stage: row.stage,
            path: row.path,
            origin: row.origin.map(Domain::get),
            destination: row.destination.map(Domain::get),
            sender: xcall.map(|part| part.sender),
            to: xcall.map(|part| part.to),
            bridged_amount: xcall.map(|part| part.bridged_amount),
            routers: row
                .executed
                .as_ref()
                .map(|part| part.routers.clone())
                .unwrap_or_default(),
            xcalled: xcall.map(|part| (&part.stamp).into()),
            updated_at,
        }
    }
}

/// Each router's share of `amount` as the contract splits it: equal parts, the last taking the
/// division's dust.
pub fn shares(routers: &[Address], amount: U256) -> Vec<RouterShare> {
    let Some(count) = u64::try_from(routers.len()).ok().filter(|&n| n > 0) else {
        return Vec::new();
    };
    let share = amount / U256::from(count);
    routers
        .iter()
        .enumerate()
        .map(|(index, &router)| RouterShare {
            router,
            amount: if index + 1 == routers.len() {
                amount - share * U256::from(count - 1)
            } else {
                share
            },
        })
        .collect()
}

/// Sums the relayer fees of `events`, per asset in order of first payment.
fn relayer_fees(events: &[TransferEvent]) -> Vec<FeeView> {
    let mut fees: Vec<FeeView> = Vec::new();
    for event in events
        .iter()
        .filter(|event| event.kind == "TransferRelayerFeesIncreased")
    {
        let asset = event.data.get("asset").and_then(|v| v.as_str());
        let amount = event.data.get("increase").and_then(|v| v.as_str());
        let (Some(Ok(asset)), Some(Ok(amount))) = (
            asset.map(str::parse::<Address>),
            amount.map(str::parse::<U256>),
        ) else {
            continue;
        };
        match fees.iter_mut().find(|fee| fee.asset == asset) {
            Some(fee) => fee.amount = fee.amount.saturating_add(amount),
            None => fees.push(FeeView { asset, amount }),
        }
    }
    fees
}

/// The newest of `kind` among `events`.
fn last_of<'a>(events: &'a [TransferEvent], kind: &str) -> Option<&'a TransferEvent> {
    events.iter().rev().find(|event| event.kind == kind)
}

impl TransferView {
    /// The view of `record` at `now` (unix seconds, for the wait reasons).
    pub fn new(record: &TransferRecord, now: u64) -> Self {
        let row = &record.row;
        let xcall = row.xcall.as_ref();
        let executed = row.executed.as_ref();
        let events = &record.events;
        let slippage = last_of(events, "SlippageUpdated")
            .and_then(|event| event.data.get("slippage")?.as_str()?.parse().ok())
            .or(xcall.map(|part| part.slippage));
        let receive_local = if last_of(events, "ForceReceiveLocal").is_some() {
            Some(true)
        } else {
            xcall.map(|part| part.receive_local)
        };
        let calldata = last_of(events, "ExternalCalldataExecuted").map(|event| {
            let success = event
                .data
                .get("success")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            let return_data = event
                .data
                .get("return_data")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("0x")
                .to_owned();
            let revert = (!success).then(|| {
                let data: Bytes = return_data.parse().unwrap_or_default();
                nxtp_sdk::revert::Revert::decode(data).to_string()
            });
            let funds = (!success).then(|| {
                let to = executed.map_or_else(
                    || "the recipient".to_owned(),
                    |part| format!("the recipient {}", alloy::hex::encode_prefixed(part.to)),
                );
                format!(
                    "delivered to {to} before its xReceive reverted; they stay there (the call \
                     is not retried)"
                )
            });
            CalldataView {
                success,
                return_data,
                revert,
                funds,
            }
        });
        let routers = executed
            .map(|part| shares(&part.routers, part.amount))
            .unwrap_or_default();
        let liquidity_fee = match (xcall, executed) {
            (Some(xcall), Some(executed)) if !executed.routers.is_empty() => {
                Some(xcall.bridged_amount.saturating_sub(executed.amount))
            }
            _ => None,
        };
        let messaging = messaging_view(record);
        let (eta, mut waiting) = wait(record, &messaging, now);
        if calldata.as_ref().is_some_and(|call| !call.success) {
            waiting = Some(WaitReason::CalldataReverted);
        }
        Self {
            transfer_id: row.transfer_id,
            stage: row.stage,
            path: row.path,
            origin: row.origin.map(Domain::get),
            destination: row.destination.map(Domain::get),
            sender: xcall.map(|part| part.sender),
            to: xcall.map(|part| part.to),
            delegate: xcall.map(|part| part.delegate),
            asset: xcall.map(|part| part.asset),
            amount: xcall.map(|part| part.amount),
            bridged_amount: xcall.map(|part| part.bridged_amount),
            delivered_amount: executed.map(|part| part.amount),
            liquidity_fee,
            relayer_fees: relayer_fees(events),
            slippage,
            receive_local,
            routers,
            xcalled: xcall.map(|part| (&part.stamp).into()),
            executed: executed.map(|part| (&part.stamp).into()),
            reconciled: row.reconciled.as_ref().map(|part| (&part.stamp).into()),
            calldata,
            messaging,
            eta,
            waiting: waiting.map(WaitingView::of),
        }
    }

    /// Refines why a transfer not yet executed waits with what the sequencer knows of its
    /// auction (`sequencer`'s `GET /v1/transfers/{id}`). The chain's reasons that stop the slow
    /// path too (a halted Replica, a failed Home) are kept.
    pub fn with_sequencer(mut self, sequencer: &nxtp_api::sequencer::TransferView) -> Self {
        use nxtp_api::sequencer::TransferState as S;
        if self.stage != Stage::XCalled
            || self.waiting.as_ref().is_some_and(|waiting| {
                matches!(
                    waiting.reason,
                    WaitReason::ReplicaHalted
                        | WaitReason::HomeFailed
                        | WaitReason::CalldataReverted
                )
            })
        {
            return self;
        }
        let id = self.transfer_id;
        let mut waiting = match &sequencer.state {
            S::AwaitingXcall => WaitingView::of(WaitReason::AwaitingConfirmations),
            S::AwaitingFee { paid, quote } => {
                let missing = quote.saturating_sub(*paid);
                WaitingView {
                    reason: WaitReason::RelayerFeeBelowQuote,
                    remedy: format!(
                        "bump the relayer fee by {missing} wei (paid {paid}, quoted {quote}): \
                         nxtp bump {id} --amount {missing}wei, or the SDK's bumpTransfer"
                    ),
                    action: Some(RemedyAction {
                        cli: format!("nxtp bump {id} --amount {missing}wei"),
                        sdk: format!("bumpTransfer({id}, {missing})"),
                        amount: Some(missing),
                    }),
                    detail: None,
                }
            }
            S::Auction { .. } => WaitingView::of(WaitReason::AwaitingRouters),
            S::Sent { .. } | S::Executed { .. } => WaitingView::of(WaitReason::AwaitingRelayer),
            S::ExecuteFailed { reason } if reason.contains("SlippageExceeded") => WaitingView {
                action: Some(RemedyAction {
                    cli: format!("nxtp update-slippage {id} --slippage-bps <bps>"),
                    sdk: format!("forceUpdateSlippage({id}, <bps>)"),
                    amount: None,
                }),
                ..WaitingView::of(WaitReason::SlippageExceeded)
            },
            S::AwaitingLiquidity | S::SlowPath { .. } | S::ExecuteFailed { .. } => {
                let mut waiting = WaitingView::of(WaitReason::NoRouterLiquidity);
                if let Some(eta) = self.eta {
                    waiting.remedy = format!(
                        "none needed: it completes by the slow path, its root acceptable at \
                         {eta} (unix seconds)"
                    );
                }
                waiting
            }
        };
        waiting.detail = Some(nxtp_sdk::revert::decode_quoted_reverts(&sequencer.reason));
        // The messaging layer's progress still tells the slow path's stage once routers are out.
        if waiting.reason == WaitReason::AwaitingRouters {
            if let Some(chain) = &self.waiting {
                if chain.reason != WaitReason::AwaitingRouters {
                    return self;
                }
            }
        }
        self.waiting = Some(waiting);
        self
    }
}

fn messaging_view(record: &TransferRecord) -> MessagingView {
    let m = &record.messaging;
    let root_view = |step: &crate::store::RootStep| RootStepView {
        step: (&step.stamp).into(),
        root: step.root,
    };
    MessagingView {
        message_hash: record.row.xcall.as_ref().map(|part| part.message_hash),
        leaf_index: m.dispatched.as_ref().map(|(_, index)| *index),
        dispatched: m.dispatched.as_ref().map(|(stamp, _)| stamp.into()),
        checkpointed: m.checkpointed.as_ref().map(root_view),
        signed: m.signed.as_ref().map(root_view),
        root_relayed: m.relayed.as_ref().map(root_view),
        acceptable_at: m.relayed.as_ref().and_then(|step| step.confirm_at),
        processed: m.processed.as_ref().map(Into::into),
        process_failed: m
            .process_failed
            .as_ref()
            .map(|(stamp, reason)| ProcessFailedView {
                step: stamp.into(),
                reason: reason.clone(),
            }),
    }
}

/// When the transfer should complete, and why it waits (none once complete). Fronted transfers
/// are complete for the user once executed; the wait reasons then describe the routers'
/// reimbursement only through the messaging sub-stages, not as a user-facing wait.
fn wait(record: &TransferRecord, m: &MessagingView, now: u64) -> (Option<u64>, Option<WaitReason>) {
    let row = &record.row;
    let messaging = &record.messaging;
    match row.stage {
        Stage::CompletedFast | Stage::CompletedSlow | Stage::Executed => (None, None),
        Stage::Reconciled => (None, Some(WaitReason::AwaitingSlowExecute)),
        Stage::XCalled if row.xcall.is_none() => (None, Some(WaitReason::AwaitingOriginIndex)),
        Stage::XCalled => {
            let eta = m.acceptable_at;
            let reason = if messaging.home_failed {
                WaitReason::HomeFailed
            } else if messaging.replica_halted {
                WaitReason::ReplicaHalted
            } else if !routers_had_their_chance(record, now) {
                WaitReason::AwaitingRouters
            } else if messaging.process_failed.is_some() {
                WaitReason::ProcessReverted
            } else if m.root_relayed.is_some() {
                match m.acceptable_at {
                    Some(at) if at > now => WaitReason::InFraudWindow,
                    _ => WaitReason::AwaitingProcess,
                }
            } else if m.checkpointed.is_some() {
                WaitReason::AwaitingRootRelay
            } else {
                WaitReason::AwaitingCheckpoint
            };
            (eta, Some(reason))
        }
    }
}

/// How long routers normally take to front a transfer; past it, the wait is for the slow path.
const ROUTER_WINDOW_SECONDS: u64 = 60;

fn routers_had_their_chance(record: &TransferRecord, now: u64) -> bool {
    record
        .row
        .xcall
        .as_ref()
        .is_some_and(|part| now.saturating_sub(part.stamp.timestamp) > ROUTER_WINDOW_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_round_trip_and_refuse_others() {
        for stage in Stage::ALL {
            assert_eq!(stage.as_str().parse::<Stage>(), Ok(stage));
        }
        assert!("Done".parse::<Stage>().is_err());
    }

    #[test]
    fn shares_split_as_the_contract_does() {
        let routers = [
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
        ];
        let split = shares(&routers, U256::from(100));
        let amounts: Vec<U256> = split.iter().map(|share| share.amount).collect();
        assert_eq!(
            amounts,
            vec![U256::from(33), U256::from(33), U256::from(34)]
        );
        assert!(shares(&[], U256::from(5)).is_empty());
    }
}
