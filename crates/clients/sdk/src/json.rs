//! The SDK's results as JSON documents with stable field names: what `nxtp <command> --json` prints, and what
//! integrators can hand on. Documented field by field in `docs/cli.md`.
//!
//! Conventions: amounts are decimal strings of base units (`"2500000000000000000"`, never numbers, which lose
//! precision past 2^53), each beside a `_formatted` string in tokens when the token's decimals are known;
//! addresses are EIP-55 checksummed; hashes and bytes are 0x-hex; domains are numbers; a field that does not
//! apply is `null` rather than missing. Fields may be added (readers ignore what they do not know); none is
//! renamed or removed.

use crate::{
    amount::format_units,
    asset::AssetInfo,
    delivery::{CallOutcome, Delivery},
    fee::{FeeQuote, FeeSource},
    liquidity::LiquidityReceipt,
    quote::Quote,
    recovery::{BumpReceipt, OverrideReceipt},
    revert::Revert,
    status::TransferReport,
    tx::TxOutcome,
    xcall::XcallReceipt,
};
use alloy::primitives::{Address, B256, U256};
use nxtp_primitives::Domain;
use serde::Serialize;
use std::collections::BTreeMap;

/// `value` as pretty-printed JSON.
pub fn to_pretty<T: Serialize>(value: &T) -> String {
    // Every type here serializes strings, numbers, booleans, lists and string-keyed maps only, which cannot fail.
    serde_json::to_string_pretty(value).unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"))
}

/// A mined transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TxJson {
    /// Its hash.
    pub hash: String,
    /// Its block.
    pub block: u64,
}

impl From<&TxOutcome> for TxJson {
    fn from(outcome: &TxOutcome) -> Self {
        Self {
            hash: outcome.tx.to_string(),
            block: outcome.block,
        }
    }
}

/// A token: its address on the domain, symbol and decimals when known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AssetJson {
    /// The token's address.
    pub address: String,
    /// The symbol the manifest knows it by.
    pub symbol: Option<String>,
    /// Its decimals.
    pub decimals: Option<u8>,
}

impl AssetJson {
    /// From what `Connext` registered.
    pub fn of(info: &AssetInfo) -> Self {
        Self {
            address: info.local.to_string(),
            symbol: info.symbol.clone(),
            decimals: Some(info.decimals),
        }
    }

    /// A token known by address only.
    pub fn address(address: Address) -> Self {
        Self {
            address: address.to_string(),
            symbol: None,
            decimals: None,
        }
    }

    fn formatted(&self, units: U256) -> Option<String> {
        self.decimals.map(|decimals| format_units(units, decimals))
    }
}

/// A relayer fee and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RelayerFeeJson {
    /// Native wei.
    pub wei: String,
    /// `given`, `sequencer` or `estimated`.
    pub source: &'static str,
    /// For `estimated`: why the sequencer was not used and how the fee was estimated.
    pub note: Option<String>,
}

impl RelayerFeeJson {
    fn new(wei: U256, source: &FeeSource) -> Self {
        Self {
            wei: wei.to_string(),
            source: source.name(),
            note: match source {
                FeeSource::Estimated(estimate) => Some(estimate.to_string()),
                FeeSource::Given | FeeSource::Sequencer => None,
            },
        }
    }
}

impl From<&FeeQuote> for RelayerFeeJson {
    fn from(fee: &FeeQuote) -> Self {
        Self::new(fee.wei, &fee.source)
    }
}

/// `nxtp quote --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuoteJson {
    /// The origin domain.
    pub origin: u32,
    /// The destination domain.
    pub destination: u32,
    /// The asset on the origin.
    pub asset: AssetJson,
    /// The token delivered on the destination.
    pub destination_asset: String,
    /// The amount sent, base units.
    pub amount: String,
    /// The amount sent, in tokens.
    pub amount_formatted: String,
    /// What the recipient receives if routers front it, base units.
    pub amount_received: String,
    /// The same, in tokens.
    pub amount_received_formatted: String,
    /// The destination's liquidity fee, basis points.
    pub liquidity_fee_bps: u16,
    /// The relayer fee, `null` without a sequencer.
    pub relayer_fee: Option<RelayerFeeJson>,
}

impl From<&Quote> for QuoteJson {
    fn from(quote: &Quote) -> Self {
        let decimals = quote.asset.decimals;
        Self {
            origin: quote.origin.get(),
            destination: quote.destination.get(),
            asset: AssetJson::of(&quote.asset),
            destination_asset: quote.destination_asset.to_string(),
            amount: quote.amount.to_string(),
            amount_formatted: format_units(quote.amount, decimals),
            amount_received: quote.amount_received.to_string(),
            amount_received_formatted: format_units(quote.amount_received, decimals),
            liquidity_fee_bps: quote.liquidity_fee_bps,
            relayer_fee: quote
                .relayer_fee
                .zip(quote.relayer_fee_source.as_ref())
                .map(|(wei, source)| RelayerFeeJson::new(wei, source)),
        }
    }
}

/// An approval sent before a transfer or a liquidity change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApprovalJson {
    /// The `approve` transaction.
    pub tx: TxJson,
    /// The allowance approved, base units.
    pub allowance: String,
}

/// `nxtp xcall --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct XcallJson {
    /// The transfer's id.
    pub transfer_id: String,
    /// The origin domain.
    pub origin: u32,
    /// The destination domain.
    pub destination: u32,
    /// The asset sent.
    pub asset: AssetJson,
    /// The amount sent, base units.
    pub amount: String,
    /// The same, in tokens.
    pub amount_formatted: String,
    /// The sender.
    pub from: String,
    /// The recipient.
    pub to: String,
    /// The delegate (zero: nobody).
    pub delegate: String,
    /// The relayer fee paid.
    pub relayer_fee: RelayerFeeJson,
    /// The sequencer's quote when the fee given was below it (the transfer waits for a bump), else `null`.
    pub below_quote_wei: Option<String>,
    /// The approval sent first, if any.
    pub approval: Option<ApprovalJson>,
    /// The `xcall` transaction.
    pub origin_tx: TxJson,
}

impl XcallJson {
    /// From the receipt, the asset sent, and the allowance an approval (if any) set.
    pub fn new(sent: &XcallReceipt, asset: &AssetInfo, approved: U256) -> Self {
        let params = &sent.params;
        Self {
            transfer_id: sent.transfer_id.to_string(),
            origin: params.originDomain,
            destination: params.destinationDomain,
            asset: AssetJson::of(asset),
            amount: params.bridgedAmt.to_string(),
            amount_formatted: format_units(params.bridgedAmt, asset.decimals),
            from: params.originSender.to_string(),
            to: params.to.to_string(),
            delegate: params.delegate.to_string(),
            relayer_fee: RelayerFeeJson::new(sent.relayer_fee, &sent.relayer_fee_source),
            below_quote_wei: sent.below_quote.map(|quote| quote.to_string()),
            approval: sent.approval.as_ref().map(|approval| ApprovalJson {
                tx: approval.into(),
                allowance: approved.to_string(),
            }),
            origin_tx: TxJson {
                hash: sent.origin_tx.to_string(),
                block: sent.origin_block,
            },
        }
    }
}

/// A decoded contract error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevertJson {
    /// The error's name (`unknown` when no known contract declares it).
    pub name: String,
    /// Its arguments by name.
    pub args: BTreeMap<String, String>,
    /// The whole error as one line, `Name(arg: value, ...)`.
    pub text: String,
    /// The raw revert data.
    pub data: String,
}

impl From<&Revert> for RevertJson {
    fn from(revert: &Revert) -> Self {
        Self {
            name: revert.name.clone(),
            args: revert.args.iter().cloned().collect(),
            text: revert.to_string(),
            data: revert.data.to_string(),
        }
    }
}

/// The call to the receiver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallJson {
    /// `succeeded`, `failed` (slow path: recorded, the funds stay with the receiver) or `would_revert` (simulated
    /// before delivery).
    pub outcome: &'static str,
    /// The decoded reason, when it failed or would fail.
    pub error: Option<RevertJson>,
    /// What it returned, when it succeeded.
    pub return_data: Option<String>,
    /// One sentence for people.
    pub message: String,
}

impl From<&CallOutcome> for CallJson {
    fn from(call: &CallOutcome) -> Self {
        Self {
            outcome: call.name(),
            error: call.revert().map(RevertJson::from),
            return_data: match call {
                CallOutcome::Succeeded { return_data } => Some(return_data.to_string()),
                CallOutcome::Failed { .. } | CallOutcome::WouldRevert { .. } => None,
            },
            message: call.to_string(),
        }
    }
}

/// The relayer fee of a transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeeStatusJson {
    /// Wei paid so far (the `xcall` and every bump).
    pub paid_wei: String,
    /// The sequencer's quote while the transfer waits for routers, else `null`.
    pub quote_wei: Option<String>,
    /// What a bump must add for the sequencer to auction it, else `null`.
    pub shortfall_wei: Option<String>,
}

/// Why a transfer waits, and what would move it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitingJson {
    /// Who says so: `sequencer` (later also `indexer`).
    pub source: &'static str,
    /// Why it waits, one sentence.
    pub reason: Option<String>,
    /// The command that would move it on, if the user can do anything.
    pub remedy: Option<String>,
}

/// The destination's delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryJson {
    /// The `execute` transaction.
    pub tx: TxJson,
    /// `fast` (routers) or `slow`.
    pub path: &'static str,
    /// The token delivered.
    pub asset: String,
    /// What the recipient received after fees, base units.
    pub amount_received: String,
    /// The same, in tokens (when the decimals are known).
    pub amount_received_formatted: Option<String>,
}

/// `nxtp status --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferJson {
    /// Where the status was read: `chain` (this document), or `indexer` (the status API's view, another
    /// shape: docs/cli.md).
    pub source: &'static str,
    /// The transfer's id.
    pub transfer_id: String,
    /// `XCalled`, `Executed`, `Reconciled`, `CompletedFast` or `CompletedSlow`.
    pub stage: String,
    /// Whether the transfer can go no further.
    pub is_final: bool,
    /// The origin domain.
    pub origin: u32,
    /// The destination domain.
    pub destination: u32,
    /// The asset sent, on the origin.
    pub asset: AssetJson,
    /// The amount sent, base units.
    pub amount: String,
    /// The same, in tokens (when the decimals are known).
    pub amount_formatted: Option<String>,
    /// The sender.
    pub from: String,
    /// The recipient (the receiver contract, for a call).
    pub to: String,
    /// Who may update slippage or ask for the local asset (zero: nobody).
    pub delegate: String,
    /// The slippage tolerance sent with the transfer, basis points.
    pub slippage_bps: u64,
    /// Whether it carries calldata for the receiver's `xReceive`.
    pub has_calldata: bool,
    /// The `xcall` transaction.
    pub origin_tx: TxJson,
    /// The relayer fee.
    pub relayer_fee: FeeStatusJson,
    /// The routers that fronted it, in path order.
    pub routers: Vec<String>,
    /// The destination's `execute`, once delivered.
    pub delivery: Option<DeliveryJson>,
    /// The call to the receiver, when there is one to report.
    pub call: Option<CallJson>,
    /// Why it waits, while it does.
    pub waiting: Option<WaitingJson>,
}

impl TransferJson {
    /// From a report and what the origin says of its asset (if it still knows it).
    pub fn new(report: &TransferReport, asset: Option<&AssetInfo>) -> Self {
        let params = &report.sent.params;
        let asset = asset.map_or_else(|| AssetJson::address(report.sent.asset), AssetJson::of);
        let id = report.transfer_id;
        let shortfall = report.relayer_fee.shortfall();
        let remedy = shortfall.map(|_| format!("nxtp bump {id}"));
        let waiting = (!report.stage.is_final()
            && !matches!(report.stage, crate::Stage::Executed)
            && (report.waiting.is_some() || remedy.is_some()))
        .then(|| WaitingJson {
            source: "sequencer",
            reason: report.waiting.clone(),
            remedy,
        });
        Self {
            source: "chain",
            transfer_id: id.to_string(),
            stage: report.stage.to_string(),
            is_final: report.stage.is_final(),
            origin: report.origin().get(),
            destination: report.destination().get(),
            amount: report.sent.amount.to_string(),
            amount_formatted: asset.formatted(report.sent.amount),
            from: params.originSender.to_string(),
            to: params.to.to_string(),
            delegate: params.delegate.to_string(),
            slippage_bps: params.slippage.saturating_to::<u64>(),
            has_calldata: !params.callData.is_empty(),
            origin_tx: TxJson {
                hash: report.sent.origin_tx.to_string(),
                block: report.sent.origin_block,
            },
            relayer_fee: FeeStatusJson {
                paid_wei: report.relayer_fee.paid.to_string(),
                quote_wei: report.relayer_fee.quote.map(|quote| quote.to_string()),
                shortfall_wei: shortfall.map(|wei| wei.to_string()),
            },
            routers: report.routers.iter().map(ToString::to_string).collect(),
            delivery: report
                .delivery
                .as_ref()
                .map(|delivery| delivery_json(delivery, &asset)),
            call: report.call.as_ref().map(CallJson::from),
            waiting,
            asset,
        }
    }
}

/// The destination token has the origin token's decimals (one canonical asset), so the origin's formatting serves.
fn delivery_json(delivery: &Delivery, origin_asset: &AssetJson) -> DeliveryJson {
    DeliveryJson {
        tx: TxJson {
            hash: delivery.tx.to_string(),
            block: delivery.block,
        },
        path: if delivery.fast { "fast" } else { "slow" },
        asset: delivery.asset.to_string(),
        amount_received: delivery.amount.to_string(),
        amount_received_formatted: origin_asset.formatted(delivery.amount),
    }
}

/// `nxtp bump --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BumpJson {
    /// The transfer.
    pub transfer_id: String,
    /// The origin the bump was sent on.
    pub origin: u32,
    /// The `bumpTransfer` transaction.
    pub tx: TxJson,
    /// Wei added.
    pub added_wei: String,
    /// Wei paid in all.
    pub paid_wei: String,
}

impl BumpJson {
    /// From the receipt.
    pub fn new(transfer_id: B256, bump: &BumpReceipt) -> Self {
        Self {
            transfer_id: transfer_id.to_string(),
            origin: bump.origin.get(),
            tx: (&bump.outcome).into(),
            added_wei: bump.added.to_string(),
            paid_wei: bump.paid.to_string(),
        }
    }
}

/// `nxtp update-slippage --json` and `nxtp receive-local --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OverrideJson {
    /// The transfer.
    pub transfer_id: String,
    /// The destination the override was sent on.
    pub destination: u32,
    /// The transaction.
    pub tx: TxJson,
    /// The new tolerance (`update-slippage`), else `null`.
    pub slippage_bps: Option<u32>,
    /// Whether delivery is now in the local asset (`receive-local`: `true`), else `null`.
    pub receive_local: Option<bool>,
}

impl OverrideJson {
    /// From the receipt.
    pub fn new(transfer_id: B256, receipt: &OverrideReceipt) -> Self {
        Self {
            transfer_id: transfer_id.to_string(),
            destination: receipt.destination.get(),
            tx: (&receipt.outcome).into(),
            slippage_bps: None,
            receive_local: None,
        }
    }
}

/// `nxtp router ... --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouterJson {
    /// The domain.
    pub domain: u32,
    /// The router.
    pub router: String,
    /// The asset.
    pub asset: AssetJson,
    /// Its liquidity after the command, base units.
    pub balance: String,
    /// The same, in tokens.
    pub balance_formatted: String,
    /// What changed (`add-liquidity`, `remove-liquidity`), else `null`.
    pub change: Option<LiquidityChangeJson>,
}

/// A liquidity change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiquidityChangeJson {
    /// The amount added or removed, base units.
    pub amount: String,
    /// Where removed liquidity went, else `null`.
    pub to: Option<String>,
    /// The transaction.
    pub tx: TxJson,
    /// The approval sent first, if any.
    pub approval: Option<TxJson>,
}

impl RouterJson {
    /// A balance.
    pub fn balance(domain: Domain, router: Address, asset: &AssetInfo, balance: U256) -> Self {
        Self {
            domain: domain.get(),
            router: router.to_string(),
            asset: AssetJson::of(asset),
            balance: balance.to_string(),
            balance_formatted: format_units(balance, asset.decimals),
            change: None,
        }
    }

    /// A change and the balance after it.
    pub fn change(
        domain: Domain,
        router: Address,
        asset: &AssetInfo,
        amount: U256,
        to: Option<Address>,
        receipt: &LiquidityReceipt,
    ) -> Self {
        Self {
            change: Some(LiquidityChangeJson {
                amount: amount.to_string(),
                to: to.map(|to| to.to_string()),
                tx: (&receipt.outcome).into(),
                approval: receipt.approval.as_ref().map(TxJson::from),
            }),
            ..Self::balance(domain, router, asset, receipt.balance)
        }
    }
}
