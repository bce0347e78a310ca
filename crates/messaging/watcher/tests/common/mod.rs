//! What the watcher's end-to-end tests share: the messaging net of `nxtp_testnet` with one-second
//! blocks (the updater's and relayer's jobs done by hand) and the watcher's config for it.

#![allow(dead_code, unreachable_pub)]

use nxtp_watcher::{Watcher, WatcherConfig};
use std::path::Path;

pub use nxtp_testnet::{confirm, eventually, TestNet as Net};

/// The watcher, in this process.
pub type Running = nxtp_testnet::Running<Watcher>;

/// The watcher's config for `net` (as the devnet generates it), with its database in `db`.
pub fn watcher_config(net: &Net, db: &Path) -> WatcherConfig {
    // On the head, as these tests were written for (the devnet's depth is the other agents').
    let text = nxtp_devnet::watcher_agent::config_toml(
        &net.manifest,
        net.dir(),
        &nxtp_devnet::AgentOptions {
            confirmations: 0,
            ..nxtp_devnet::AgentOptions::default()
        },
    )
    .expect("the manifest has the watcher's key");
    let mut config: WatcherConfig = toml::from_str(&text).expect("the generated config loads");
    config.database = db.to_owned();
    config.telemetry.listen = free_ops_port();
    config
}

/// A free loopback port for an agent's ops server, so a test reads its `/metrics`.
pub fn free_ops_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    listener.local_addr().expect("address")
}

pub use nxtp_testnet::two_more_rounds;
