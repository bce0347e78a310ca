//! `GET /stats[?last=N]`: transfers by stage and path, the volume per asset, the fast path's
//! share, and the median times from xcall to executed and to reconciled over the `N` newest
//! xcalled transfers (default [`DEFAULT_LAST`]), overall and per route.

use super::{on_store, pairs, quoted, ApiError, ErrorCode};
use crate::{
    status::{Path, Stage},
    store::{StatsRows, TransferTimes},
};
use alloy::primitives::{Address, U256};
use axum::{
    extract::{RawQuery, State},
    Json,
};
use serde::Serialize;
use std::{collections::BTreeMap, sync::Arc};

/// How many recent transfers the medians cover by default.
pub const DEFAULT_LAST: usize = 1_000;

/// The most recent transfers the medians may cover.
pub const MAX_LAST: usize = 10_000;

/// How many transfers are at a stage on a path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StageCountView {
    /// The stage.
    pub stage: Stage,
    /// The path (`null` until the destination shows it).
    pub path: Option<Path>,
    /// How many.
    pub count: u64,
}

/// The volume xcalled in one asset on one origin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VolumeView {
    /// The origin.
    pub origin: u32,
    /// The asset the senders supplied.
    pub asset: Address,
    /// How many transfers.
    pub transfers: u64,
    /// Their amounts' sum (base units).
    #[serde(serialize_with = "crate::ingest::events::decimal")]
    pub amount: U256,
}

/// The time from xcall to a step over the transfers that reached it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Timing {
    /// How many reached it.
    pub count: u64,
    /// Their median time (seconds), `null` when none did.
    pub median_seconds: Option<u64>,
}

/// One route's recent transfers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteStats {
    /// The origin (`null` in the overall figures).
    pub origin: Option<u32>,
    /// The destination (`null` in the overall figures).
    pub destination: Option<u32>,
    /// How many of the recent transfers took it.
    pub transfers: u64,
    /// How many were fronted by routers.
    pub fast: u64,
    /// How many completed (or wait to complete) by the slow path.
    pub slow: u64,
    /// `fast / (fast + slow)`, `null` before any was delivered or reconciled.
    pub fast_share: Option<f64>,
    /// From xcall to the execute on the destination.
    pub xcall_to_executed: Timing,
    /// From xcall to the reconcile on the destination.
    pub xcall_to_reconciled: Timing,
}

/// `GET /stats`'s answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsView {
    /// Every transfer stored.
    pub transfers: u64,
    /// By stage and path.
    pub by_stage: Vec<StageCountView>,
    /// The fast path's share of every transfer whose path is known.
    pub fast_share: Option<f64>,
    /// The volume per origin and asset, every xcall indexed.
    pub volume: Vec<VolumeView>,
    /// How many recent transfers the figures below cover (at most the `last` asked).
    pub recent_transfers: u64,
    /// Over the recent transfers.
    pub recent: RouteStats,
    /// Over the recent transfers, per route.
    pub routes: Vec<RouteStats>,
}

fn share(fast: u64, slow: u64) -> Option<f64> {
    let total = fast + slow;
    // Counts stay far below 2^52, so the conversions are exact.
    (total > 0).then(|| fast as f64 / total as f64)
}

/// The median of `values` (the lower middle one of an even count), sorting them.
fn median(values: &mut [u64]) -> Option<u64> {
    values.sort_unstable();
    values.get(values.len().saturating_sub(1) / 2).copied()
}

fn timing(mut seconds: Vec<u64>) -> Timing {
    Timing {
        count: seconds.len() as u64,
        median_seconds: median(&mut seconds),
    }
}

fn route_stats(
    origin: Option<u32>,
    destination: Option<u32>,
    times: &[&TransferTimes],
) -> RouteStats {
    let fast = times.iter().filter(|t| t.path == Some(Path::Fast)).count() as u64;
    let slow = times.iter().filter(|t| t.path == Some(Path::Slow)).count() as u64;
    let after = |step: fn(&TransferTimes) -> Option<u64>| {
        times
            .iter()
            .filter_map(|t| step(t).map(|at| at.saturating_sub(t.xcalled)))
            .collect::<Vec<_>>()
    };
    RouteStats {
        origin,
        destination,
        transfers: times.len() as u64,
        fast,
        slow,
        fast_share: share(fast, slow),
        xcall_to_executed: timing(after(|t| t.executed)),
        xcall_to_reconciled: timing(after(|t| t.reconciled)),
    }
}

/// The figures of `rows`.
pub fn stats_view(rows: &StatsRows) -> StatsView {
    let transfers = rows.by_stage.iter().map(|count| count.count).sum();
    let on = |path| {
        rows.by_stage
            .iter()
            .filter(|count| count.path == Some(path))
            .map(|count| count.count)
            .sum::<u64>()
    };
    let mut volume: BTreeMap<(u32, Address), (u64, U256)> = BTreeMap::new();
    for xcall in &rows.amounts {
        let entry = volume.entry((xcall.origin.get(), xcall.asset)).or_default();
        entry.0 += 1;
        entry.1 = entry.1.saturating_add(xcall.amount);
    }
    let mut by_route: BTreeMap<(u32, u32), Vec<&TransferTimes>> = BTreeMap::new();
    for times in &rows.recent {
        by_route
            .entry((times.origin.get(), times.destination.get()))
            .or_default()
            .push(times);
    }
    let all: Vec<&TransferTimes> = rows.recent.iter().collect();
    StatsView {
        transfers,
        by_stage: rows
            .by_stage
            .iter()
            .map(|count| StageCountView {
                stage: count.stage,
                path: count.path,
                count: count.count,
            })
            .collect(),
        fast_share: share(on(Path::Fast), on(Path::Slow)),
        volume: volume
            .into_iter()
            .map(|((origin, asset), (transfers, amount))| VolumeView {
                origin,
                asset,
                transfers,
                amount,
            })
            .collect(),
        recent_transfers: rows.recent.len() as u64,
        recent: route_stats(None, None, &all),
        routes: by_route
            .into_iter()
            .map(|((origin, destination), times)| {
                route_stats(Some(origin), Some(destination), &times)
            })
            .collect(),
    }
}

/// The `last` parameter, read strictly: only `last` is known.
fn parse_query(raw: Option<&str>) -> Result<usize, ApiError> {
    let mut last = None;
    for (key, value) in pairs(raw.unwrap_or_default())? {
        match key.as_str() {
            "last" if last.is_none() => {
                last = Some(
                    value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_LAST).contains(n))
                        .ok_or_else(|| {
                            ApiError::new(
                                ErrorCode::InvalidLimit,
                                format!(
                                    "last: `{}` is not a number from 1 to {MAX_LAST}",
                                    quoted(&value)
                                ),
                            )
                        })?,
                );
            }
            "last" => {
                return Err(ApiError::new(
                    ErrorCode::InvalidFilter,
                    "last: given more than once",
                ))
            }
            other => {
                return Err(ApiError::new(
                    ErrorCode::InvalidFilter,
                    format!("unknown parameter `{}` (known: last)", quoted(other)),
                ))
            }
        }
    }
    Ok(last.unwrap_or(DEFAULT_LAST))
}

/// `GET /stats`.
pub(super) async fn stats(
    State(state): State<Arc<super::extras::ExtraState>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<StatsView>, ApiError> {
    let last = parse_query(raw.as_deref())?;
    let rows = on_store(&state.api, move |store| store.stats(last)).await?;
    Ok(Json(stats_view(&rows)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{StageCount, XCallAmount};
    use nxtp_primitives::Domain;

    fn times(destination: u32, path: Option<Path>, executed: Option<u64>) -> TransferTimes {
        TransferTimes {
            origin: Domain(1000),
            destination: Domain(destination),
            path,
            xcalled: 100,
            executed: executed.map(|after| 100 + after),
            reconciled: None,
        }
    }

    #[test]
    fn figures_per_route_with_medians() {
        let rows = StatsRows {
            by_stage: vec![
                StageCount {
                    stage: Stage::XCalled,
                    path: None,
                    count: 1,
                },
                StageCount {
                    stage: Stage::CompletedFast,
                    path: Some(Path::Fast),
                    count: 3,
                },
                StageCount {
                    stage: Stage::CompletedSlow,
                    path: Some(Path::Slow),
                    count: 1,
                },
            ],
            amounts: vec![
                XCallAmount {
                    origin: Domain(1000),
                    asset: Address::repeat_byte(1),
                    amount: U256::from(5),
                },
                XCallAmount {
                    origin: Domain(1000),
                    asset: Address::repeat_byte(1),
                    amount: U256::from(7),
                },
            ],
            recent: vec![
                times(2000, Some(Path::Fast), Some(4)),
                times(2000, Some(Path::Fast), Some(10)),
                times(2000, Some(Path::Fast), Some(6)),
                times(3000, Some(Path::Slow), Some(900)),
                times(3000, None, None),
            ],
        };
        let view = stats_view(&rows);
        assert_eq!(view.transfers, 5);
        assert_eq!(view.fast_share, Some(0.75));
        assert_eq!(view.volume[0].amount, U256::from(12));
        assert_eq!(view.volume[0].transfers, 2);
        assert_eq!(view.recent_transfers, 5);
        assert_eq!(view.recent.xcall_to_executed.count, 4);
        assert_eq!(view.recent.xcall_to_executed.median_seconds, Some(6));
        let [to_2000, to_3000] = view.routes.as_slice() else {
            panic!("two routes: {:?}", view.routes);
        };
        assert_eq!(to_2000.xcall_to_executed.median_seconds, Some(6));
        assert_eq!(to_2000.fast_share, Some(1.0));
        assert_eq!(to_3000.transfers, 2);
        assert_eq!(to_3000.xcall_to_executed.median_seconds, Some(900));
        assert_eq!(to_3000.xcall_to_reconciled, Timing::default());
    }

    #[test]
    fn the_query_knows_only_last() {
        assert_eq!(parse_query(None).expect("default"), DEFAULT_LAST);
        assert_eq!(parse_query(Some("last=10")).expect("ten"), 10);
        for (bad, code) in [
            ("last=0", ErrorCode::InvalidLimit),
            ("last=10001", ErrorCode::InvalidLimit),
            ("last=x", ErrorCode::InvalidLimit),
            ("last=1&last=2", ErrorCode::InvalidFilter),
            ("stage=XCalled", ErrorCode::InvalidFilter),
        ] {
            assert_eq!(parse_query(Some(bad)).expect_err(bad).error, code, "{bad}");
        }
    }
}
