//! What the liquidity agents (router, sequencer, slow-path executor) share beyond the agent kit:
//! each follows every domain's `Connext` ([`connext`]: its config table and its indexer), keeps
//! the relayer fees paid on its origins, native or in an asset ([`fees`]), and values them in
//! native wei at the operator's rates ([`valuation`]).

pub mod connext;
pub mod fees;
pub mod valuation;

pub use connext::{connect_all, ConnectedDomain, ConnextDomain};
pub use fees::{FeeTable, FeesPaid, RelayerFee, NATIVE};
pub use valuation::{FeeAssetConfig, FeeAssetError, FeeAssetRate, FeeAssetsConfig, FeeValuation};
