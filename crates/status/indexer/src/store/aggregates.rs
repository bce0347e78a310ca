//! The reads behind `GET /routers` and `GET /stats`, written once over [`Exec`] for both
//! backends. Amounts are stored as decimal text (256-bit), which neither backend can sum
//! exactly, so these queries return rows and the sums are made in Rust ([`crate::routers`],
//! [`crate::stats`]).

use super::{
    queries::{domain_of, hex_of, parse, parse_routers, Columns},
    Exec, StoreError, Value,
};
use crate::status::{shares, Path, Stage};
use alloy::primitives::{Address, U256};
use nxtp_primitives::Domain;

/// How a router's liquidity changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LiquidityChange {
    /// `RouterLiquidityAdded`.
    Added,
    /// `RouterLiquidityRemoved`.
    Removed,
    /// Its share of a fast `execute` (debited).
    Fronted,
    /// Its share of a reconcile of a transfer it fronted (credited).
    Credited,
}

/// One change of one router's liquidity in one asset on one domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterMove {
    /// The router.
    pub router: Address,
    /// The domain whose `Connext` holds the liquidity.
    pub domain: Domain,
    /// The local asset.
    pub asset: Address,
    /// What changed it.
    pub change: LiquidityChange,
    /// By how much.
    pub amount: U256,
    /// When (the block's time, unix seconds).
    pub time: u64,
}

/// How many transfers are at a stage on a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageCount {
    /// The stage.
    pub stage: Stage,
    /// The path (none before the destination shows it).
    pub path: Option<Path>,
    /// How many.
    pub count: u64,
}

/// An xcall's amount, for the volume per asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XCallAmount {
    /// Its origin.
    pub origin: Domain,
    /// The asset the sender supplied.
    pub asset: Address,
    /// How much of it.
    pub amount: U256,
}

/// A recent transfer's times, for the medians per route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferTimes {
    /// Its origin.
    pub origin: Domain,
    /// Its destination.
    pub destination: Domain,
    /// Its path, once shown.
    pub path: Option<Path>,
    /// The xcall's block time.
    pub xcalled: u64,
    /// The execute's block time, once executed.
    pub executed: Option<u64>,
    /// The reconcile's block time, once reconciled.
    pub reconciled: Option<u64>,
}

/// Every row `GET /stats` is computed from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsRows {
    /// Transfers per stage and path.
    pub by_stage: Vec<StageCount>,
    /// Every indexed xcall's amount.
    pub amounts: Vec<XCallAmount>,
    /// The newest xcalled transfers' times, newest first.
    pub recent: Vec<TransferTimes>,
}

/// Every liquidity change of `router` (all routers: `None`), in no particular order.
pub(crate) fn router_moves(
    db: &mut dyn Exec,
    router: Option<Address>,
) -> Result<Vec<RouterMove>, StoreError> {
    let mut moves = Vec::new();
    let events = db.query(
        "SELECT domain, kind, data, time FROM events
         WHERE kind IN ('RouterLiquidityAdded', 'RouterLiquidityRemoved')",
        &[],
    )?;
    for values in &events {
        let mut c = Columns::new(values);
        let domain = domain_of(Some(c.int()?))?.unwrap_or(Domain(0));
        let change = match c.text()? {
            "RouterLiquidityAdded" => LiquidityChange::Added,
            _ => LiquidityChange::Removed,
        };
        let data: serde_json::Value = serde_json::from_str(c.text()?)
            .map_err(|err| StoreError::Corrupt(format!("event data: {err}")))?;
        let time = c.int()?;
        let field = |name: &str| {
            data.get(name)
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| StoreError::Corrupt(format!("{change:?} without `{name}`")))
        };
        let moved_router: Address = parse(field("router")?)?;
        if router.is_some_and(|wanted| wanted != moved_router) {
            continue;
        }
        moves.push(RouterMove {
            router: moved_router,
            domain,
            asset: parse(field("local")?)?,
            change,
            amount: parse(field("amount")?)?,
            time,
        });
    }
    // The fronted and credited shares, split as the contract splits them.
    for (change, prefix) in [
        (LiquidityChange::Fronted, "executed"),
        (LiquidityChange::Credited, "reconciled"),
    ] {
        let mut sql = format!(
            "SELECT destination, {prefix}_local, {prefix}_amount, {prefix}_routers, {prefix}_time
             FROM transfers WHERE {prefix}_router_count > 0"
        );
        let mut params = Vec::new();
        if let Some(router) = router {
            sql.push_str(
                " AND transfer_id IN (SELECT transfer_id FROM transfer_routers WHERE router = $1)",
            );
            params.push(Value::from(hex_of(router)));
        }
        for values in &db.query(&sql, &params)? {
            let mut c = Columns::new(values);
            let domain = domain_of(c.opt_int()?)?.unwrap_or(Domain(0));
            let asset: Address = c.parsed()?;
            let amount: U256 = c.parsed()?;
            let routers = parse_routers(c.text()?)?;
            let time = c.int()?;
            for share in shares(&routers, amount) {
                if router.is_some_and(|wanted| wanted != share.router) {
                    continue;
                }
                moves.push(RouterMove {
                    router: share.router,
                    domain,
                    asset,
                    change,
                    amount: share.amount,
                    time,
                });
            }
        }
    }
    Ok(moves)
}

/// The rows of `GET /stats`, with the `recent` newest xcalled transfers' times.
pub(crate) fn stats(db: &mut dyn Exec, recent: usize) -> Result<StatsRows, StoreError> {
    let mut rows = StatsRows::default();
    for values in &db.query(
        "SELECT stage, path, COUNT(*) FROM transfers GROUP BY stage, path",
        &[],
    )? {
        let mut c = Columns::new(values);
        rows.by_stage.push(StageCount {
            stage: c.parsed()?,
            path: c.opt_text().map(parse::<Path>).transpose()?,
            count: c.int()?,
        });
    }
    rows.by_stage
        .sort_by_key(|count| (count.stage as u8, count.path.map(|path| path as u8)));
    for values in &db.query(
        "SELECT origin, asset, amount FROM transfers WHERE xcall_block IS NOT NULL",
        &[],
    )? {
        let mut c = Columns::new(values);
        rows.amounts.push(XCallAmount {
            origin: domain_of(Some(c.int()?))?.unwrap_or(Domain(0)),
            asset: c.parsed()?,
            amount: c.parsed()?,
        });
    }
    for values in &db.query(
        "SELECT origin, destination, path, xcall_time, executed_time, reconciled_time
         FROM transfers WHERE xcall_block IS NOT NULL ORDER BY seq DESC LIMIT $1",
        &[(recent as u64).into()],
    )? {
        let mut c = Columns::new(values);
        rows.recent.push(TransferTimes {
            origin: domain_of(Some(c.int()?))?.unwrap_or(Domain(0)),
            destination: domain_of(Some(c.int()?))?.unwrap_or(Domain(0)),
            path: c.opt_text().map(parse::<Path>).transpose()?,
            xcalled: c.int()?,
            executed: c.opt_int()?,
            reconciled: c.opt_int()?,
        });
    }
    Ok(rows)
}
