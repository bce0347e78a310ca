//! What the chain tests share: an anvil, a Home deployed on it, a store, and shortcuts.

#![allow(dead_code, unreachable_pub)]

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use nxtp_agent::Store;
use nxtp_bindings::Home;
use nxtp_chain::{connect, connect_with_wallet, ChainConfig, SCHEMAS};
use nxtp_primitives::{address_to_bytes32, Domain};
use nxtp_toolchain::AnvilInstance;
use std::path::PathBuf;

pub const CHAIN_ID: u64 = 31337;
pub const HOME_DOMAIN: u32 = 1000;
pub const REMOTE_DOMAIN: u32 = 2000;
pub const DOMAIN: Domain = Domain(HOME_DOMAIN);

/// One anvil with a Home deployed by dev account 0.
pub struct Chain {
    pub anvil: AnvilInstance,
    pub config: ChainConfig,
    /// Signs with dev account 0 and fills everything: for test setup.
    pub wallet: DynProvider,
    /// Read-only, as agents use it.
    pub reader: DynProvider,
    pub home: Address,
}

impl Chain {
    pub async fn start() -> Self {
        let anvil = nxtp_toolchain::spawn_anvil(CHAIN_ID);
        let config = ChainConfig::new(anvil.endpoint_url(), CHAIN_ID, 0);
        let wallet = connect_with_wallet(&config, anvil.wallet().expect("dev keys"))
            .await
            .expect("connects");
        let reader = connect(&config).await.expect("connects");
        let deployer = anvil.addresses()[0];
        let home = *Home::deploy(&wallet, HOME_DOMAIN, deployer, deployer, U256::ZERO)
            .await
            .expect("deploys Home")
            .address();
        Self {
            anvil,
            config,
            wallet,
            reader,
            home,
        }
    }

    pub fn home(&self) -> Home::HomeInstance<&DynProvider> {
        Home::new(self.home, &self.wallet)
    }

    /// Dispatches a message whose body is `body`; returns the block it landed in.
    pub async fn dispatch(&self, body: &[u8]) -> u64 {
        let recipient = address_to_bytes32(Address::repeat_byte(0x22));
        let receipt = self
            .home()
            .dispatch(REMOTE_DOMAIN, recipient, Bytes::copy_from_slice(body))
            .send()
            .await
            .expect("sends dispatch")
            .get_receipt()
            .await
            .expect("dispatch receipt");
        assert!(receipt.status(), "dispatch succeeded");
        receipt.block_number.expect("mined")
    }

    pub async fn mine(&self, blocks: u64) {
        self.reader
            .anvil_mine(Some(blocks), None)
            .await
            .expect("mines");
    }

    pub async fn head(&self) -> u64 {
        self.reader.get_block_number().await.expect("head")
    }

    pub async fn snapshot(&self) -> U256 {
        self.reader.anvil_snapshot().await.expect("snapshot")
    }

    pub async fn revert(&self, snapshot: U256) {
        assert!(self.reader.anvil_revert(snapshot).await.expect("reverts"));
    }

    /// Dev account `index` as a signer.
    pub fn signer(&self, index: usize) -> PrivateKeySigner {
        let key = self.anvil.keys()[index].to_bytes();
        PrivateKeySigner::from_bytes(&B256::from_slice(&key)).expect("valid dev key")
    }
}

/// A fresh database with the chain tables.
pub struct TempStore {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TempStore {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("agent.sqlite");
        Self { _dir: dir, path }
    }

    pub fn open(&self) -> Store {
        Store::open(&self.path, &SCHEMAS).expect("opens store")
    }
}
