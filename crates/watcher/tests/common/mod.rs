//! What the watcher's end-to-end tests share: the messaging net of `nxtp_testnet` with one-second
//! blocks (the updater's and relayer's jobs done by hand) and the watcher's config for it.

#![allow(dead_code, unreachable_pub)]

use nxtp_testnet::{Mining, Options, TestNet};
use nxtp_watcher::{Watcher, WatcherConfig};
use std::{
    ops::Deref,
    path::{Path, PathBuf},
};

pub use nxtp_testnet::{confirm, eventually};

/// The watcher, in this process.
pub type Running = nxtp_testnet::Running<Watcher>;

/// Chains with the messaging contracts, and the development accounts.
pub struct Net(TestNet);

impl Deref for Net {
    type Target = TestNet;
    fn deref(&self) -> &TestNet {
        &self.0
    }
}

impl Net {
    /// One anvil per domain (one-second blocks), everything deployed with a `window`-second
    /// optimistic window.
    pub async fn start(domains: &[u32], window: u32) -> Self {
        let options = Options::new(domains)
            .mining(Mining::every_ms(1000))
            .optimistic_seconds(window);
        Self(TestNet::start(options).await.expect("the net starts"))
    }

    /// The watcher's config for this net (as the devnet generates it), with its database in
    /// `db`.
    pub fn watcher_config(&self, db: &Path) -> WatcherConfig {
        let text = nxtp_devnet::watcher_agent::config_toml(&self.manifest, self.dir())
            .expect("the manifest has the watcher's key");
        let mut config: WatcherConfig = toml::from_str(&text).expect("the generated config loads");
        config.database = db.to_owned();
        config
    }

    pub fn db_path(&self, name: &str) -> PathBuf {
        self.path(name)
    }
}
