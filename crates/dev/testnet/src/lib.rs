//! The fixture the agents' end-to-end tests share: real anvil chains (127.0.0.1, random ports), the
//! messaging contracts deployed by `nxtp_devnet::deploy` (and, with [`Options::liquidity`], the
//! liquidity layer by `nxtp_devnet::deploy_liquidity`), the development accounts, and the
//! updater's, relayer's and users' chain jobs done by hand, so a test can play every role but the
//! agent it tests.
//!
//! It depends on no agent crate, so an agent's own tests can use it without compiling that agent
//! twice. The shortcuts assert as tests do: they panic, with the reason, when the chain refuses.
//!
//! Beyond the chains: test chains on the pinned anvil are `nxtp_toolchain`'s (re-exported here),
//! [`InProcessAgents`] runs agents in the test's process with the devnet's configs (the caller names
//! the agent types, see [`Launch`]), and [`LiquidityNet`] is both layers with the messaging agents
//! running and the routers' liquidity bridged to every domain.
//!
//! ```no_run
//! # async fn example() {
//! use nxtp_testnet::{Mining, Options, TestNet};
//! let net = TestNet::start(Options::new(&[1000, 2000]).mining(Mining::every_ms(250)))
//!     .await
//!     .expect("the net starts");
//! let root = net.update_home(1000).await;
//! # let _ = root;
//! # }
//! ```

mod agent;
mod chain;
mod domain;
mod in_process;
mod liquidity_net;
mod net;
mod ops;
mod reorg;
pub mod rpc_proxy;
mod wait;

pub use agent::{telemetry, Crashable, Running};
pub use chain::{assert_one_new_root_per_old_root, confirm, Update};
pub use domain::AsDomain;
pub use in_process::{messaging_agent_specs, AgentsError, InProcessAgents, Launch};
pub use liquidity_net::{LiquidityNet, LiquidityNetError, LiquidityNetOptions};
pub use net::{Mining, Options, TestNet, TestNetError};
pub use nxtp_toolchain::{anvil, spawn_anvil, AnvilInstance};
pub use ops::{http_get, rounds, two_more_rounds};
pub use reorg::{block_txs, reorg, reorg_dropping, BlockTx, Miner};
pub use wait::{eventually, Ready, TIMEOUT};
