//! Whether and how the router bids on a transfer: a pure function of the transfer, the
//! destination's state, the configuration and the sequencer's quote, so every outcome is tested
//! without a chain.

use crate::config::RouterConfig;
use alloy::primitives::{Address, U256};
use nxtp_primitives::{
    fees::{fronted_amount, share_needed},
    Domain, TransferInfo, TransferStatus,
};
use std::{fmt, time::Duration};

/// A transfer as the router saw it on its origin.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// Everything hashed into its id.
    pub info: TransferInfo,
    /// Relayer fee paid for it so far, in native wei (fees in assets valued at the sequencer's
    /// rates).
    pub fee_paid: U256,
    /// Unix time (seconds) of its `xcall` block.
    pub xcalled_at: u64,
}

/// What the router read on the destination for one transfer.
#[derive(Clone, Debug)]
pub struct DestinationState {
    /// The transfer's status there.
    pub status: TransferStatus,
    /// The local asset of the transfer's canonical asset there (zero: not registered).
    pub local_asset: Address,
    /// Whether the router may front transfers there.
    pub router_approved: bool,
    /// The router's liquidity in `local_asset` there.
    pub balance: U256,
    /// `liquidityFeeBps` there.
    pub liquidity_fee_bps: u16,
    /// `maxRoutersPerTransfer` there.
    pub max_routers: u8,
}

/// Why the router does not bid (yet) on a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The destination is not among the configured domains.
    DestinationNotServed(Domain),
    /// Nothing is bridged (calldata only): no liquidity to front.
    NothingBridged,
    /// The canonical asset is not configured.
    AssetNotConfigured,
    /// `bridgedAmt` is below the asset's `min_amount`.
    BelowMinimum {
        /// `bridgedAmt`.
        amount: U256,
        /// The configured minimum.
        min: U256,
    },
    /// `bridgedAmt` is above the asset's `max_amount`.
    AboveLimit {
        /// `bridgedAmt`.
        amount: U256,
        /// The configured limit.
        max: U256,
    },
    /// The `xcall` is older than `max_transfer_age_secs`.
    TooOld {
        /// Its age.
        age: Duration,
    },
    /// The destination has already acted on the transfer.
    AlreadyHandled(TransferStatus),
    /// The destination has no local asset for the canonical asset.
    AssetNotRegistered,
    /// The router is not approved on the destination.
    RouterNotApproved,
    /// The relayer fee paid (in native wei) is below the sequencer's quote; re-evaluated when it
    /// grows.
    FeeTooLow {
        /// Paid so far.
        paid: U256,
        /// The quote.
        quote: U256,
    },
    /// The router's balance (less the reserve) covers no path length.
    InsufficientLiquidity {
        /// The balance less the reserve.
        available: U256,
        /// What the longest allowed path would need from each router.
        needed: U256,
    },
}

impl SkipReason {
    /// Whether the decision stands for good. Only a low fee is waited on: it is the one reason
    /// the transfer's own events (a `bumpTransfer`) can lift.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::FeeTooLow { .. })
    }

    /// A short stable name, for metrics and the database.
    pub fn label(&self) -> &'static str {
        match self {
            Self::DestinationNotServed(_) => "destination_not_served",
            Self::NothingBridged => "nothing_bridged",
            Self::AssetNotConfigured => "asset_not_configured",
            Self::BelowMinimum { .. } => "below_minimum",
            Self::AboveLimit { .. } => "above_limit",
            Self::TooOld { .. } => "too_old",
            Self::AlreadyHandled(_) => "already_handled",
            Self::AssetNotRegistered => "asset_not_registered",
            Self::RouterNotApproved => "router_not_approved",
            Self::FeeTooLow { .. } => "fee_too_low",
            Self::InsufficientLiquidity { .. } => "insufficient_liquidity",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DestinationNotServed(domain) => write!(f, "destination {domain} is not served"),
            Self::NothingBridged => f.write_str("nothing is bridged"),
            Self::AssetNotConfigured => f.write_str("the asset is not configured"),
            Self::BelowMinimum { amount, min } => {
                write!(f, "amount {amount} is below the minimum {min}")
            }
            Self::AboveLimit { amount, max } => {
                write!(f, "amount {amount} is above the limit {max}")
            }
            Self::TooOld { age } => write!(f, "the xcall is {} s old", age.as_secs()),
            Self::AlreadyHandled(status) => write!(f, "already {status:?} on the destination"),
            Self::AssetNotRegistered => f.write_str("the destination has no local asset for it"),
            Self::RouterNotApproved => f.write_str("the router is not approved on the destination"),
            Self::FeeTooLow { paid, quote } => {
                write!(f, "relayer fee paid {paid} is below the quote {quote}")
            }
            Self::InsufficientLiquidity { available, needed } => write!(
                f,
                "available liquidity {available} is below the {needed} the longest path needs"
            ),
        }
    }
}

/// What to do with a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Bid for these path lengths (ascending, each a power of two).
    Bid(Vec<usize>),
    /// Do not bid; see [`SkipReason::is_final`].
    Skip(SkipReason),
}

/// The checks that need only the configuration: whether the transfer could ever be served.
pub fn screen(info: &TransferInfo, config: &RouterConfig) -> Option<SkipReason> {
    let destination = Domain(info.destinationDomain);
    if !config.domains.contains_key(&destination) {
        return Some(SkipReason::DestinationNotServed(destination));
    }
    if info.canonicalId.is_zero() || info.bridgedAmt.is_zero() {
        return Some(SkipReason::NothingBridged);
    }
    let Some((_, asset)) = config.asset(Domain(info.canonicalDomain), info.canonicalId) else {
        return Some(SkipReason::AssetNotConfigured);
    };
    let amount = info.bridgedAmt;
    if amount < asset.min_amount.0 {
        return Some(SkipReason::BelowMinimum {
            amount,
            min: asset.min_amount.0,
        });
    }
    if amount > asset.max_amount.0 {
        return Some(SkipReason::AboveLimit {
            amount,
            max: asset.max_amount.0,
        });
    }
    None
}

/// The decision on `transfer`, given what the destination says, the sequencer's `quote` for its
/// route, and the time `now` (unix seconds).
pub fn decide(
    transfer: &Transfer,
    destination: &DestinationState,
    config: &RouterConfig,
    quote: U256,
    now: u64,
) -> Decision {
    let info = &transfer.info;
    if let Some(reason) = screen(info, config) {
        return Decision::Skip(reason);
    }
    let age = Duration::from_secs(now.saturating_sub(transfer.xcalled_at));
    if age > config.max_transfer_age {
        return Decision::Skip(SkipReason::TooOld { age });
    }
    if destination.status != TransferStatus::None {
        return Decision::Skip(SkipReason::AlreadyHandled(destination.status));
    }
    if destination.local_asset.is_zero() {
        return Decision::Skip(SkipReason::AssetNotRegistered);
    }
    if !destination.router_approved {
        return Decision::Skip(SkipReason::RouterNotApproved);
    }
    if transfer.fee_paid < quote {
        return Decision::Skip(SkipReason::FeeTooLow {
            paid: transfer.fee_paid,
            quote,
        });
    }
    let reserve = config
        .asset(Domain(info.canonicalDomain), info.canonicalId)
        .map_or(U256::ZERO, |(_, asset)| asset.reserve.0);
    let available = destination.balance.saturating_sub(reserve);
    let lengths = path_lengths(destination.max_routers);
    // Where `execute` would overflow, no balance covers the transfer.
    let Some(to_front) = fronted_amount(info.bridgedAmt, destination.liquidity_fee_bps) else {
        return Decision::Skip(SkipReason::InsufficientLiquidity {
            available,
            needed: U256::MAX,
        });
    };
    let covered: Vec<usize> = lengths
        .iter()
        .copied()
        .filter(|&n| available >= share_needed(to_front, n))
        .collect();
    if covered.is_empty() {
        let longest = lengths.last().copied().unwrap_or(1);
        return Decision::Skip(SkipReason::InsufficientLiquidity {
            available,
            needed: share_needed(to_front, longest),
        });
    }
    Decision::Bid(covered)
}

/// The path lengths a destination allows: 1, 2, 4, ... up to `max_routers`.
pub fn path_lengths(max_routers: u8) -> Vec<usize> {
    std::iter::successors(Some(1usize), |n| n.checked_mul(2))
        .take_while(|&n| n <= usize::from(max_routers))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Amount, AssetConfig, DomainConfig};
    use alloy::primitives::{Bytes, B256};
    use nxtp_agent::{KeySource, LogFormat, TelemetryConfig};
    use nxtp_chain::ChainConfig;
    use std::collections::BTreeMap;

    const NOW: u64 = 1_700_000_000;
    const TOKEN: u128 = 1_000_000_000_000_000_000;

    fn config() -> RouterConfig {
        let domain = |port: u16| DomainConfig {
            chain: ChainConfig::new(
                format!("http://127.0.0.1:{port}").parse().expect("url"),
                31337,
                1,
            ),
            connext: Address::repeat_byte(1),
            start_block: 0,
        };
        RouterConfig {
            telemetry: TelemetryConfig {
                listen: "127.0.0.1:0".parse().expect("addr"),
                log_format: LogFormat::default(),
                log_filter: "info".to_owned(),
            },
            database: "/dev/null".into(),
            signer: KeySource::Env("UNUSED".to_owned()),
            sequencer_url: "http://127.0.0.1:1".parse().expect("url"),
            max_transfer_age: Duration::from_secs(600),
            balance_interval: Duration::from_secs(1),
            domains: BTreeMap::from([(Domain(1000), domain(8545)), (Domain(2000), domain(8546))])
                .into(),
            assets: BTreeMap::from([(
                "DEMO".to_owned(),
                AssetConfig {
                    canonical_domain: Domain(1000),
                    canonical_id: B256::with_last_byte(7),
                    max_amount: Amount(U256::from(1_000 * TOKEN)),
                    min_amount: Amount(U256::from(TOKEN)),
                    reserve: Amount(U256::from(10 * TOKEN)),
                },
            )]),
        }
    }

    fn transfer(amount: u128) -> Transfer {
        Transfer {
            info: TransferInfo {
                originDomain: 2000,
                destinationDomain: 1000,
                canonicalDomain: 1000,
                to: Address::repeat_byte(2),
                delegate: Address::ZERO,
                receiveLocal: false,
                callData: Bytes::new(),
                slippage: U256::from(30),
                originSender: Address::repeat_byte(3),
                bridgedAmt: U256::from(amount),
                normalizedIn: U256::from(amount),
                nonce: U256::from(4),
                canonicalId: B256::with_last_byte(7),
            },
            fee_paid: U256::from(100),
            xcalled_at: NOW - 5,
        }
    }

    fn destination(balance: u128) -> DestinationState {
        DestinationState {
            status: TransferStatus::None,
            local_asset: Address::repeat_byte(9),
            router_approved: true,
            balance: U256::from(balance),
            liquidity_fee_bps: 5,
            max_routers: 5,
        }
    }

    fn decide_with(transfer: &Transfer, destination: &DestinationState) -> Decision {
        decide(transfer, destination, &config(), U256::from(100), NOW)
    }

    fn skipped(decision: Decision) -> SkipReason {
        match decision {
            Decision::Skip(reason) => reason,
            Decision::Bid(lengths) => panic!("expected a skip, got a bid for {lengths:?}"),
        }
    }

    #[test]
    fn bids_every_path_length_the_balance_covers() {
        // x = 100 tokens less 5 bps = 99.95 tokens; the reserve of 10 tokens is never bid.
        let x = U256::from(100 * TOKEN) * U256::from(9_995) / U256::from(10_000);
        let needed = |n: usize| share_needed(x, n) + U256::from(10 * TOKEN);
        let with = |balance: U256| {
            let mut state = destination(0);
            state.balance = balance;
            decide_with(&transfer(100 * TOKEN), &state)
        };
        assert_eq!(with(needed(1)), Decision::Bid(vec![1, 2, 4]));
        assert_eq!(with(needed(1) - U256::from(1)), Decision::Bid(vec![2, 4]));
        assert_eq!(with(needed(2)), Decision::Bid(vec![2, 4]));
        assert_eq!(with(needed(4)), Decision::Bid(vec![4]));
        assert_eq!(
            skipped(with(needed(4) - U256::from(1))),
            SkipReason::InsufficientLiquidity {
                available: needed(4) - U256::from(1) - U256::from(10 * TOKEN),
                needed: share_needed(x, 4),
            }
        );
        // Below the reserve nothing is available, rather than an underflow.
        assert_eq!(
            skipped(with(U256::from(TOKEN))),
            SkipReason::InsufficientLiquidity {
                available: U256::ZERO,
                needed: share_needed(x, 4),
            }
        );
    }

    #[test]
    fn a_transfer_the_contract_cannot_front_is_skipped() {
        let mut huge = transfer(0);
        huge.info.bridgedAmt = U256::MAX;
        let mut unlimited = config();
        for asset in unlimited.assets.values_mut() {
            asset.max_amount = Amount(U256::MAX);
        }
        let decision = decide(
            &huge,
            &destination(1_000 * TOKEN),
            &unlimited,
            U256::from(100),
            NOW,
        );
        assert_eq!(
            skipped(decision),
            SkipReason::InsufficientLiquidity {
                available: U256::from(1_000 * TOKEN) - U256::from(10 * TOKEN),
                needed: U256::MAX,
            }
        );
    }

    #[test]
    fn path_lengths_follow_the_destinations_maximum() {
        assert_eq!(path_lengths(0), Vec::<usize>::new());
        assert_eq!(path_lengths(1), vec![1]);
        assert_eq!(path_lengths(3), vec![1, 2]);
        assert_eq!(path_lengths(5), vec![1, 2, 4]);
        let mut state = destination(1_000 * TOKEN);
        state.max_routers = 2;
        assert_eq!(
            decide_with(&transfer(100 * TOKEN), &state),
            Decision::Bid(vec![1, 2])
        );
    }

    #[test]
    fn shares_match_the_contracts_debits() {
        // The contract debits x / n from each router but the last, which pays x - (x / n) * (n - 1).
        for x in [0u64, 1, 2, 3, 7, 10, 99, 1_000_003] {
            for n in [1usize, 2, 4] {
                let x = U256::from(x);
                let share = x / U256::from(n);
                let last = x - share * U256::from(n - 1);
                assert!(share_needed(x, n) >= last, "x={x} n={n}");
                assert!(share_needed(x, n) >= share, "x={x} n={n}");
            }
        }
        assert_eq!(
            fronted_amount(U256::from(10_000), 5),
            Some(U256::from(9_995))
        );
        assert_eq!(fronted_amount(U256::from(1), 5), Some(U256::ZERO));
        // The contract's checked product overflows: no router can front it.
        assert_eq!(fronted_amount(U256::MAX, 0), None);
    }

    #[test]
    fn config_reasons() {
        let state = destination(1_000 * TOKEN);
        let mut unserved = transfer(100 * TOKEN);
        unserved.info.destinationDomain = 3000;
        assert_eq!(
            skipped(decide_with(&unserved, &state)),
            SkipReason::DestinationNotServed(Domain(3000))
        );

        let mut calldata_only = transfer(0);
        calldata_only.info.canonicalId = B256::ZERO;
        calldata_only.info.canonicalDomain = 0;
        assert_eq!(
            skipped(decide_with(&calldata_only, &state)),
            SkipReason::NothingBridged
        );
        assert_eq!(
            skipped(decide_with(&transfer(0), &state)),
            SkipReason::NothingBridged
        );

        let mut other_asset = transfer(100 * TOKEN);
        other_asset.info.canonicalId = B256::with_last_byte(8);
        assert_eq!(
            skipped(decide_with(&other_asset, &state)),
            SkipReason::AssetNotConfigured
        );
        let mut other_home = transfer(100 * TOKEN);
        other_home.info.canonicalDomain = 2000;
        assert_eq!(
            skipped(decide_with(&other_home, &state)),
            SkipReason::AssetNotConfigured,
            "an asset is its home and its id together"
        );

        assert_eq!(
            skipped(decide_with(&transfer(TOKEN - 1), &state)),
            SkipReason::BelowMinimum {
                amount: U256::from(TOKEN - 1),
                min: U256::from(TOKEN)
            }
        );
        assert!(matches!(
            decide_with(&transfer(TOKEN), &state),
            Decision::Bid(_)
        ));
        assert!(matches!(
            decide_with(&transfer(1_000 * TOKEN), &state),
            Decision::Bid(_)
        ));
        assert_eq!(
            skipped(decide_with(&transfer(1_000 * TOKEN + 1), &state)),
            SkipReason::AboveLimit {
                amount: U256::from(1_000 * TOKEN + 1),
                max: U256::from(1_000 * TOKEN)
            }
        );
        assert_eq!(
            screen(&transfer(1_000 * TOKEN + 1).info, &config()).map(|r| r.label()),
            Some("above_limit"),
            "screening alone finds it"
        );
        assert_eq!(screen(&transfer(TOKEN).info, &config()), None);
    }

    #[test]
    fn age_reason() {
        let state = destination(1_000 * TOKEN);
        let mut old = transfer(100 * TOKEN);
        old.xcalled_at = NOW - 600;
        assert!(
            matches!(decide_with(&old, &state), Decision::Bid(_)),
            "at the limit"
        );
        old.xcalled_at = NOW - 601;
        assert_eq!(
            skipped(decide_with(&old, &state)),
            SkipReason::TooOld {
                age: Duration::from_secs(601)
            }
        );
        let mut future = transfer(100 * TOKEN);
        future.xcalled_at = NOW + 30;
        assert!(
            matches!(decide_with(&future, &state), Decision::Bid(_)),
            "a clock behind the chain's is not an age"
        );
    }

    #[test]
    fn destination_reasons() {
        let transfer = transfer(100 * TOKEN);
        for status in [
            TransferStatus::Executed,
            TransferStatus::Reconciled,
            TransferStatus::Completed,
        ] {
            let mut state = destination(1_000 * TOKEN);
            state.status = status;
            assert_eq!(
                skipped(decide_with(&transfer, &state)),
                SkipReason::AlreadyHandled(status)
            );
        }
        let mut state = destination(1_000 * TOKEN);
        state.local_asset = Address::ZERO;
        assert_eq!(
            skipped(decide_with(&transfer, &state)),
            SkipReason::AssetNotRegistered
        );
        let mut state = destination(1_000 * TOKEN);
        state.router_approved = false;
        assert_eq!(
            skipped(decide_with(&transfer, &state)),
            SkipReason::RouterNotApproved
        );
    }

    #[test]
    fn a_low_fee_is_waited_on_and_a_paid_quote_bids() {
        let state = destination(1_000 * TOKEN);
        let mut transfer = transfer(100 * TOKEN);
        transfer.fee_paid = U256::from(99);
        let reason = skipped(decide_with(&transfer, &state));
        assert_eq!(
            reason,
            SkipReason::FeeTooLow {
                paid: U256::from(99),
                quote: U256::from(100)
            }
        );
        assert!(!reason.is_final());
        transfer.fee_paid = U256::from(100);
        assert!(matches!(decide_with(&transfer, &state), Decision::Bid(_)));
        // A zero quote asks for nothing.
        transfer.fee_paid = U256::ZERO;
        assert!(matches!(
            decide(&transfer, &state, &config(), U256::ZERO, NOW),
            Decision::Bid(_)
        ));
    }

    #[test]
    fn every_reason_but_the_fee_is_final_and_labels_are_distinct() {
        let reasons = [
            SkipReason::DestinationNotServed(Domain(1)),
            SkipReason::NothingBridged,
            SkipReason::AssetNotConfigured,
            SkipReason::BelowMinimum {
                amount: U256::ZERO,
                min: U256::ZERO,
            },
            SkipReason::AboveLimit {
                amount: U256::ZERO,
                max: U256::ZERO,
            },
            SkipReason::TooOld {
                age: Duration::ZERO,
            },
            SkipReason::AlreadyHandled(TransferStatus::Executed),
            SkipReason::AssetNotRegistered,
            SkipReason::RouterNotApproved,
            SkipReason::InsufficientLiquidity {
                available: U256::ZERO,
                needed: U256::ZERO,
            },
        ];
        let mut labels: Vec<&str> = reasons.iter().map(SkipReason::label).collect();
        assert!(reasons.iter().all(SkipReason::is_final));
        labels.push("fee_too_low");
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), reasons.len() + 1);
    }
}
