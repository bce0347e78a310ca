//! Wire types and HTTP clients of the nxtp sequencer and relayer APIs, shared by the services and their
//! callers (routers, the executor, the SDK). The services build their responses from these types and the
//! clients parse them, so the two sides cannot drift. See `docs/liquidity-agents.md`.

pub mod relayer;
pub mod sequencer;
