//! What the SDK's end-to-end tests share: two anvil chains (each transaction mined at once) with the messaging
//! layer and the liquidity layer deployed by `nxtp-devnet`, as the devnet deploys them.

#![allow(dead_code, unreachable_pub)]

pub mod sequencer;

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use nxtp_deployment::Manifest;
use nxtp_devnet::{
    deploy, deploy_liquidity, liquidity::DEMO_SYMBOL, DeployConfig, DevAccounts, Endpoint,
    LiquidityConfig, Role,
};
use nxtp_primitives::Domain;
use nxtp_sdk::{AssetRef, Sdk, Timing};
use nxtp_testkit::AnvilInstance;
use std::time::Duration;

/// The home domain of `DEMO`.
pub const HOME: Domain = Domain(1000);
/// The other domain.
pub const REMOTE: Domain = Domain(2000);

/// Chains with both layers deployed, and the development accounts.
pub struct Net {
    pub anvils: Vec<AnvilInstance>,
    pub manifest: Manifest,
    pub accounts: DevAccounts,
}

impl Net {
    pub async fn start() -> Self {
        let anvils: Vec<AnvilInstance> = (0..2)
            .map(|i| nxtp_testkit::spawn_anvil(31337 + i))
            .collect();
        let endpoints: Vec<Endpoint> = [HOME, REMOTE]
            .into_iter()
            .zip(&anvils)
            .map(|(domain, anvil)| Endpoint {
                domain,
                rpc_url: anvil.endpoint(),
            })
            .collect();
        let keys: Vec<B256> = anvils[0]
            .keys()
            .iter()
            .map(|key| B256::from_slice(&key.to_bytes()))
            .collect();
        let accounts = DevAccounts::from_keys(&keys).expect("enough development keys");
        let mut manifest = deploy(&endpoints, &accounts, &DeployConfig::default())
            .await
            .expect("messaging deploys");
        deploy_liquidity(&mut manifest, &accounts, &LiquidityConfig::default())
            .await
            .expect("liquidity deploys");
        Self {
            anvils,
            manifest,
            accounts,
        }
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

    pub fn demo_on(&self, domain: Domain) -> Address {
        self.manifest.liquidity(domain).expect("liquidity").assets[DEMO_SYMBOL].local
    }

    pub fn connext(&self, domain: Domain) -> Address {
        self.manifest.liquidity(domain).expect("liquidity").connext
    }

    /// A provider signing as `role`.
    pub fn wallet(&self, domain: Domain, role: Role) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(self.signer(role)))
            .connect_http(self.manifest.domains[&domain].rpc_url.parse().expect("url"))
            .erased()
    }

    pub fn reader(&self, domain: Domain) -> DynProvider {
        ProviderBuilder::new()
            .connect_http(self.manifest.domains[&domain].rpc_url.parse().expect("url"))
            .erased()
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
