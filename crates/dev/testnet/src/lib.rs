//! The fixture the agents' end-to-end tests share: real anvil chains (127.0.0.1, random ports), the
//! messaging contracts deployed by `nxtp_devnet::deploy` (and, with [`Options::liquidity`], the
//! liquidity layer by `nxtp_devnet::deploy_liquidity`), the development accounts, and the
//! updater's, relayer's and users' chain jobs done by hand, so a test can play every role but the
//! agent it tests.
//!
//! It depends on no agent crate, so an agent's own tests can use it without compiling that agent
//! twice. The shortcuts assert as tests do: they panic, with the reason, when the chain refuses.
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
mod net;
mod wait;

pub use agent::{telemetry, Crashable, Running};
pub use chain::{assert_one_new_root_per_old_root, confirm, Update};
pub use domain::AsDomain;
pub use net::{Mining, Options, TestNet, TestNetError};
pub use wait::{eventually, Ready, TIMEOUT};
