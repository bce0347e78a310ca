//! Where the benchmarks send transfers on a devnet: from its first domain (DEMO's home) to each
//! of the others, through the SDK quoting with the devnet's sequencer.

use crate::lifecycle::BoxError;
use alloy::primitives::U256;
use nxtp_deployment::Manifest;
use nxtp_devnet::liquidity::DEMO_DECIMALS;
use nxtp_primitives::Domain;
use nxtp_sdk::{Amount, Sdk};

/// The devnet's SDK and its transfer routes.
pub struct DevnetRoutes {
    /// The SDK over the devnet's manifest, quoting through its sequencer.
    pub sdk: Sdk,
    /// Where transfers start: the devnet's first domain.
    pub home: Domain,
    /// Where they go: every other domain, at least one.
    pub targets: Vec<Domain>,
}

impl DevnetRoutes {
    /// The routes of the devnet `manifest` describes; an error if it runs no sequencer or has a
    /// single chain.
    pub fn of(manifest: &Manifest) -> Result<Self, BoxError> {
        let services = manifest
            .services
            .as_ref()
            .ok_or("the devnet runs no sequencer")?;
        let sdk = Sdk::from_manifest(manifest, Some(services.sequencer_url.parse()?))?;
        let home = *manifest
            .domains
            .keys()
            .next()
            .ok_or("the devnet has no domain")?;
        let targets: Vec<Domain> = manifest
            .domains
            .keys()
            .copied()
            .filter(|&domain| domain != home)
            .collect();
        if targets.is_empty() {
            return Err("transfers need a second chain".into());
        }
        Ok(Self { sdk, home, targets })
    }
}

/// `amount` DEMO (a positive decimal, e.g. "1.5") in base units.
pub fn demo_amount(amount: &str) -> Result<U256, BoxError> {
    Ok(amount
        .parse::<Amount>()?
        .to_positive_base_units(DEMO_DECIMALS)?)
}
