//! What the SDK's end-to-end tests share: the `nxtp_testnet` net on two chains (each transaction
//! mined at once) with the messaging layer and the liquidity layer deployed as the devnet deploys
//! them.

#![allow(dead_code, unreachable_pub)]

pub mod sequencer;

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use nxtp_devnet::{liquidity::DEMO_SYMBOL, LiquidityConfig, Role};
use nxtp_primitives::Domain;
use nxtp_sdk::{AssetRef, Sdk, Timing};
use nxtp_testnet::{Options, TestNet};
use std::{ops::Deref, time::Duration};

/// The home domain of `DEMO`.
pub const HOME: Domain = Domain(1000);
/// The other domain.
pub const REMOTE: Domain = Domain(2000);

/// Chains with both layers deployed, and the development accounts.
pub struct Net(TestNet);

impl Deref for Net {
    type Target = TestNet;
    fn deref(&self) -> &TestNet {
        &self.0
    }
}

impl Net {
    /// Two chains mining a block per transaction, both layers deployed.
    pub async fn start() -> Self {
        let options =
            Options::new(&[HOME.get(), REMOTE.get()]).liquidity(LiquidityConfig::default());
        Self(TestNet::start(options).await.expect("the net starts"))
    }

    /// An SDK over the manifest, polling quickly.
    pub fn sdk(&self) -> Sdk {
        Sdk::from_manifest(&self.manifest, None)
            .expect("manifest has liquidity")
            .with_timing(Timing {
                receipt_timeout: Duration::from_secs(60),
                poll_interval: Duration::from_millis(100),
            })
    }

    pub fn signer(&self, role: Role) -> PrivateKeySigner {
        self.accounts.signer(role).clone()
    }

    pub fn demo() -> AssetRef {
        AssetRef::Symbol(DEMO_SYMBOL.to_owned())
    }

    /// The account's transaction count: unchanged when the SDK refused before sending.
    pub async fn nonce(&self, domain: Domain, account: Address) -> u64 {
        self.reader(domain)
            .get_transaction_count(account)
            .await
            .expect("nonce")
    }

    /// [`Net::nonce`] of each account.
    pub async fn nonces(&self, domain: Domain, accounts: &[Address]) -> Vec<u64> {
        let mut nonces = Vec::new();
        for &account in accounts {
            nonces.push(self.nonce(domain, account).await);
        }
        nonces
    }

    pub async fn native_balance(&self, domain: Domain, account: Address) -> U256 {
        self.reader(domain)
            .get_balance(account)
            .await
            .expect("balance")
    }
}
