//! The router: bids its liquidity on transfers and tracks its balances.
