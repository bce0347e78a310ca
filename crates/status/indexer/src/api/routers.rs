//! `GET /routers[?router=]`: each router's liquidity per domain and asset, its fronted and
//! reconciled volume, its last bid and whether it is live.
//!
//! Liquidity is replayed from the events at each chain's confirmation depth, with the
//! contract's own arithmetic: `RouterLiquidityAdded` and `RouterLiquidityRemoved`, each fast
//! `Executed` debiting every router its share (equal parts, the last taking the dust) and each
//! `Reconciled` crediting them. That is exact (those are the only writes of `Connext`'s router
//! balances) as of the newest indexed block, and costs no RPC call per request; a chain read
//! would be a block or two fresher but not more exact.
//!
//! Bids never reach a chain, so whether a router still bids is read from the sequencer
//! (`sequencer_url`, `GET /v1/routers`): a router is `live` when it bid within
//! `router_live_seconds`; `stopped` when it did not and the sequencer has had work for it since
//! (an auction opened after its last bid, or transfers nobody bid on); `idle` when there was
//! nothing to bid on; `unknown` without a sequencer, or when it cannot be reached.

use super::{on_store, pairs, quoted, ApiError, ErrorCode};
use crate::store::{LiquidityChange, RouterMove};
use alloy::primitives::{Address, U256};
use axum::{
    extract::{RawQuery, State},
    Json,
};
use nxtp_api::sequencer::{RouterActivityView, SequencerClient};
use nxtp_primitives::parse_checked_address;
use serde::Serialize;
use std::{collections::BTreeMap, sync::Arc, time::Duration};

/// Where `GET /routers` learns what the chains cannot tell: the routers' bids.
#[derive(Clone, Debug)]
pub struct BidSource {
    /// The sequencer's API, if the indexer is told where it is.
    pub sequencer: Option<SequencerClient>,
    /// How recent a router's last bid must be for it to count as live.
    pub live_window: Duration,
}

impl Default for BidSource {
    fn default() -> Self {
        Self {
            sequencer: None,
            live_window: Duration::from_secs(DEFAULT_LIVE_SECONDS),
        }
    }
}

/// The default of `router_live_seconds`.
pub const DEFAULT_LIVE_SECONDS: u64 = 600;

/// Whether a router still bids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bidding {
    /// It bid within the live window.
    Live,
    /// It has not bid within the window although the sequencer had transfers for routers since.
    Stopped,
    /// It has not bid within the window, but there was nothing to bid on since.
    Idle,
    /// No sequencer is configured, or it could not be reached.
    Unknown,
}

/// One router's liquidity in one asset on one domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiquidityView {
    /// The domain whose `Connext` holds it.
    pub domain: u32,
    /// The local asset.
    pub asset: Address,
    /// What the router can front now.
    #[serde(serialize_with = "crate::ingest::events::decimal")]
    pub available: U256,
    /// Added in total.
    #[serde(serialize_with = "crate::ingest::events::decimal")]
    pub added: U256,
    /// Removed in total.
    #[serde(serialize_with = "crate::ingest::events::decimal")]
    pub removed: U256,
    /// Fronted in total (its shares of fast executes).
    #[serde(serialize_with = "crate::ingest::events::decimal")]
    pub fronted: U256,
    /// Credited back in total (its shares of reconciles of transfers it fronted).
    #[serde(serialize_with = "crate::ingest::events::decimal")]
    pub reconciled: U256,
    /// How many transfers it fronted here.
    pub transfers_fronted: u64,
}

/// A router as `GET /routers` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouterView {
    /// The router.
    pub router: Address,
    /// Its liquidity per domain and asset.
    pub liquidity: Vec<LiquidityView>,
    /// When it last fronted a transfer (block time, unix seconds).
    pub last_fronted_at: Option<u64>,
    /// When its last bid reached the sequencer (unix seconds), if the sequencer tells.
    pub last_bid_at: Option<u64>,
    /// How many transfers it bid on (as the sequencer keeps them).
    pub transfers_bid: Option<u64>,
    /// Whether it still bids (see the module docs).
    pub bidding: Bidding,
    /// `true` when live, `false` when stopped; absent when it cannot be told (idle, unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<bool>,
}

/// What the sequencer said, or why it could not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SequencerSource {
    /// The sequencer asked (`null`: none configured).
    pub url: Option<String>,
    /// Why its answer is missing, when it is.
    pub error: Option<String>,
}

/// `GET /routers`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoutersView {
    /// Every router with liquidity events or bids, by address.
    pub routers: Vec<RouterView>,
    /// Where the bids came from.
    pub sequencer: SequencerSource,
}

/// The sums of one router's moves in one asset on one domain.
#[derive(Default)]
struct Sums {
    added: U256,
    removed: U256,
    fronted: U256,
    reconciled: U256,
    transfers_fronted: u64,
}

/// Each router's liquidity and volume from its `moves`, and its bidding from `activity`.
pub fn routers_view(
    moves: &[RouterMove],
    activity: Option<&RouterActivityView>,
    live_window: Duration,
) -> Vec<RouterView> {
    let mut sums: BTreeMap<Address, BTreeMap<(u32, Address), Sums>> = BTreeMap::new();
    let mut last_fronted: BTreeMap<Address, u64> = BTreeMap::new();
    for step in moves {
        let entry = sums
            .entry(step.router)
            .or_default()
            .entry((step.domain.get(), step.asset))
            .or_default();
        match step.change {
            LiquidityChange::Added => entry.added = entry.added.saturating_add(step.amount),
            LiquidityChange::Removed => entry.removed = entry.removed.saturating_add(step.amount),
            LiquidityChange::Fronted => {
                entry.fronted = entry.fronted.saturating_add(step.amount);
                entry.transfers_fronted += 1;
                let last = last_fronted.entry(step.router).or_default();
                *last = (*last).max(step.time);
            }
            LiquidityChange::Credited => {
                entry.reconciled = entry.reconciled.saturating_add(step.amount);
            }
        }
    }
    if let Some(activity) = activity {
        for bidder in &activity.routers {
            sums.entry(bidder.router).or_default();
        }
    }
    sums.into_iter()
        .map(|(router, assets)| {
            let bid = activity.and_then(|a| a.routers.iter().find(|r| r.router == router));
            let bidding = activity.map_or(Bidding::Unknown, |activity| {
                bidding(activity, bid.map(|b| b.last_bid_ms), live_window)
            });
            RouterView {
                router,
                liquidity: assets
                    .into_iter()
                    .map(|((domain, asset), sums)| LiquidityView {
                        domain,
                        asset,
                        // In: added and credited; out: removed and fronted. Saturating: a
                        // database indexed from after the router's first deposit could
                        // otherwise go below zero.
                        available: sums
                            .added
                            .saturating_add(sums.reconciled)
                            .saturating_sub(sums.removed.saturating_add(sums.fronted)),
                        added: sums.added,
                        removed: sums.removed,
                        fronted: sums.fronted,
                        reconciled: sums.reconciled,
                        transfers_fronted: sums.transfers_fronted,
                    })
                    .collect(),
                last_fronted_at: last_fronted.get(&router).copied(),
                last_bid_at: bid.map(|b| b.last_bid_ms / 1000),
                transfers_bid: activity.map(|_| bid.map_or(0, |b| b.transfers_bid)),
                bidding,
                live: match bidding {
                    Bidding::Live => Some(true),
                    Bidding::Stopped => Some(false),
                    Bidding::Idle | Bidding::Unknown => None,
                },
            }
        })
        .collect()
}

/// A router's bidding, given its last bid (none: it never bid), as the module docs say.
fn bidding(activity: &RouterActivityView, last_bid_ms: Option<u64>, window: Duration) -> Bidding {
    let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
    let since = activity.now_ms.saturating_sub(window_ms);
    match last_bid_ms {
        Some(last) if last >= since => Bidding::Live,
        _ => {
            let auction_since = activity
                .last_auction_ms
                .is_some_and(|auction| last_bid_ms.is_none_or(|last| auction > last));
            if auction_since || activity.awaiting_bids > 0 {
                Bidding::Stopped
            } else {
                Bidding::Idle
            }
        }
    }
}

/// The `router` filter, read strictly: only `router` is known.
fn parse_query(raw: Option<&str>) -> Result<Option<Address>, ApiError> {
    let mut router = None;
    for (key, value) in pairs(raw.unwrap_or_default())? {
        match key.as_str() {
            "router" if router.is_none() => {
                router = Some(parse_checked_address(&value).map_err(|err| {
                    ApiError::new(ErrorCode::InvalidAddress, format!("router: {err}"))
                })?);
            }
            "router" => {
                return Err(ApiError::new(
                    ErrorCode::InvalidFilter,
                    "router: given more than once",
                ))
            }
            other => {
                return Err(ApiError::new(
                    ErrorCode::InvalidFilter,
                    format!("unknown parameter `{}` (known: router)", quoted(other)),
                ))
            }
        }
    }
    Ok(router)
}

/// `GET /routers`.
pub(super) async fn list_routers(
    State(state): State<Arc<super::extras::ExtraState>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<RoutersView>, ApiError> {
    let router = parse_query(raw.as_deref())?;
    let moves = on_store(&state.api, move |store| store.router_moves(router)).await?;
    let source = &state.bids;
    let (activity, sequencer) = match &source.sequencer {
        None => (
            None,
            SequencerSource {
                url: None,
                error: None,
            },
        ),
        Some(client) => {
            let url = Some(client.base_url().to_string());
            match client.routers().await {
                Ok(activity) => (Some(activity), SequencerSource { url, error: None }),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read the routers' bids");
                    (
                        None,
                        SequencerSource {
                            url,
                            error: Some(err.to_string()),
                        },
                    )
                }
            }
        }
    };
    let mut routers = routers_view(&moves, activity.as_ref(), source.live_window);
    if let Some(wanted) = router {
        routers.retain(|view| view.router == wanted);
    }
    Ok(Json(RoutersView { routers, sequencer }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_api::sequencer::RouterActivity;
    use nxtp_primitives::Domain;

    fn step(router: u8, change: LiquidityChange, amount: u64, time: u64) -> RouterMove {
        RouterMove {
            router: Address::repeat_byte(router),
            domain: Domain(2000),
            asset: Address::repeat_byte(0xaa),
            change,
            amount: U256::from(amount),
            time,
        }
    }

    fn activity(
        now_ms: u64,
        last_auction_ms: Option<u64>,
        bids: &[(u8, u64)],
    ) -> RouterActivityView {
        RouterActivityView {
            now_ms,
            last_auction_ms,
            awaiting_bids: 0,
            routers: bids
                .iter()
                .map(|&(router, last_bid_ms)| RouterActivity {
                    router: Address::repeat_byte(router),
                    last_bid_ms,
                    transfers_bid: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn liquidity_replays_the_contracts_arithmetic() {
        let moves = [
            step(1, LiquidityChange::Added, 1_000, 1),
            step(1, LiquidityChange::Fronted, 300, 5),
            step(1, LiquidityChange::Credited, 303, 9),
            step(1, LiquidityChange::Removed, 100, 10),
        ];
        let views = routers_view(&moves, None, Duration::from_secs(60));
        let [view] = views.as_slice() else {
            panic!("one router: {views:?}");
        };
        let liquidity = &view.liquidity[0];
        assert_eq!(liquidity.available, U256::from(903));
        assert_eq!(liquidity.fronted, U256::from(300));
        assert_eq!(liquidity.reconciled, U256::from(303));
        assert_eq!(liquidity.transfers_fronted, 1);
        assert_eq!(view.last_fronted_at, Some(5));
        assert_eq!((view.bidding, view.live), (Bidding::Unknown, None));
    }

    #[test]
    fn a_router_that_stopped_bidding_shows_so() {
        let moves = [
            step(1, LiquidityChange::Added, 10, 1),
            step(2, LiquidityChange::Added, 10, 1),
            step(3, LiquidityChange::Added, 10, 1),
        ];
        let window = Duration::from_secs(60);
        // Router 1 bid a second ago; router 2 bid long ago, before the newest auction; router
        // 3 never bid although auctions opened.
        let seen = activity(1_000_000, Some(999_000), &[(1, 999_000), (2, 100_000)]);
        let views = routers_view(&moves, Some(&seen), window);
        let states: Vec<_> = views.iter().map(|v| (v.bidding, v.live)).collect();
        assert_eq!(
            states,
            [
                (Bidding::Live, Some(true)),
                (Bidding::Stopped, Some(false)),
                (Bidding::Stopped, Some(false))
            ]
        );
        assert_eq!(views[2].transfers_bid, Some(0));
        // Nothing to bid on since router 2's last bid: idle, not stopped.
        let quiet = activity(1_000_000, Some(100_000), &[(2, 100_000)]);
        let views = routers_view(&moves, Some(&quiet), window);
        assert_eq!(views[1].bidding, Bidding::Idle);
        assert_eq!(views[1].last_bid_at, Some(100));
        // ... unless transfers wait for bids.
        let waiting = RouterActivityView {
            awaiting_bids: 2,
            ..quiet
        };
        let views = routers_view(&moves, Some(&waiting), window);
        assert_eq!(views[1].bidding, Bidding::Stopped);
    }

    #[test]
    fn the_query_knows_only_router() {
        assert_eq!(parse_query(None).expect("empty"), None);
        let router = format!("{}", Address::repeat_byte(0x11));
        assert_eq!(
            parse_query(Some(&format!("router={router}"))).expect("one"),
            Some(Address::repeat_byte(0x11))
        );
        for (bad, code) in [
            ("router=0x12", ErrorCode::InvalidAddress),
            ("sender=0x12", ErrorCode::InvalidFilter),
            (
                &*format!("router={router}&router={router}"),
                ErrorCode::InvalidFilter,
            ),
        ] {
            assert_eq!(parse_query(Some(bad)).expect_err(bad).error, code, "{bad}");
        }
    }
}
