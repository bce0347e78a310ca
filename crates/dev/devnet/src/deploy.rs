//! The devnet's deployment of the messaging layer: [`nxtp_deployment::deploy_messaging`] with the
//! development accounts in their roles, the development keys recorded in the manifest.

use crate::accounts::{DevAccounts, Role};
pub use nxtp_deployment::{DeployConfig, DeployError, Endpoint, RECORDING_RECIPIENT};
use nxtp_deployment::{Manifest, MessagingRoles};

/// Deploys and wires the messaging layer on `endpoints` (each a distinct domain), with `accounts`'
/// deployer as the deployer and owner of every contract, and returns the manifest (including the
/// development keys).
pub async fn deploy(
    endpoints: &[Endpoint],
    accounts: &DevAccounts,
    config: &DeployConfig,
) -> Result<Manifest, DeployError> {
    let roles = MessagingRoles {
        updater: accounts.address(Role::Updater),
        watcher: accounts.address(Role::Watcher),
    };
    let mut manifest = nxtp_deployment::deploy_messaging(
        endpoints,
        accounts.signer(Role::Deployer),
        &roles,
        config,
    )
    .await?;
    manifest.dev_keys = accounts.manifest_keys();
    Ok(manifest)
}
