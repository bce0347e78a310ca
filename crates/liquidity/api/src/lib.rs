//! Wire types and HTTP clients of the nxtp sequencer and relayer APIs, shared by the services and their
//! callers (routers, the executor, the SDK). The services build their responses from these types and the
//! clients parse them, so the two sides cannot drift. See `docs/liquidity-agents.md`.

pub mod relayer;
pub mod sequencer;

/// Whether a client error is worth retrying ([`Classify::is_retryable`]): the one test every
/// nxtp crate uses, re-exported so callers need not name `nxtp-primitives`.
pub use nxtp_primitives::Classify;
