//! What the liquidity agents (router, sequencer, slow-path executor) share beyond the agent kit:
//! each follows every domain's `Connext` ([`connext`]: its config table and its indexer) and keeps
//! the native relayer fees paid on its origins ([`fees`]).

pub mod connext;
pub mod fees;

pub use connext::{connect_all, ConnectedDomain, ConnextDomain};
pub use fees::{FeeTable, NativeFee};
