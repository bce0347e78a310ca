//! What the devnet's anvil tests share: chains for some domains and the development accounts on them.

use alloy::primitives::B256;
use nxtp_devnet::{DevAccounts, Endpoint};
use nxtp_primitives::Domain;
use nxtp_toolchain::AnvilInstance;

/// Anvils for `domains` (chain ids 31337, 31338, …) and their endpoints.
pub fn chains(domains: &[u32]) -> (Vec<AnvilInstance>, Vec<Endpoint>) {
    let anvils: Vec<_> = (0..domains.len())
        .map(|i| nxtp_toolchain::spawn_anvil(31337 + i as u64))
        .collect();
    let endpoints = domains
        .iter()
        .zip(&anvils)
        .map(|(&domain, anvil)| Endpoint {
            domain: Domain(domain),
            rpc_url: anvil.endpoint(),
        })
        .collect();
    (anvils, endpoints)
}

/// The development accounts of `anvil`, one per role.
pub fn accounts(anvil: &AnvilInstance) -> DevAccounts {
    let keys: Vec<B256> = anvil
        .keys()
        .iter()
        .map(|key| B256::from_slice(&key.to_bytes()))
        .collect();
    DevAccounts::from_keys(&keys).expect("anvil has enough development accounts")
}
