//! Test support shared by the nxtp crates' end-to-end tests.
//!
//! Chains are real anvil processes from the project's pinned Foundry (see `nxtp-toolchain`), bound to
//! 127.0.0.1 on a free port and killed when the returned instance is dropped.

use std::path::PathBuf;

pub use alloy::node_bindings::{Anvil, AnvilInstance};

/// Path of the pinned anvil binary, installed by `make setup`.
pub fn anvil_path() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../node_modules/.bin/anvil");
    assert!(
        path.exists(),
        "{} is missing: run `make setup` first",
        path.display()
    );
    path
}

/// How many funded development accounts a test chain has: at least one per devnet role
/// (`nxtp_devnet::Role::ALL`, which a devnet test checks), where anvil's default is ten.
pub const DEV_ACCOUNTS: usize = 16;

/// Anvil's `--slots-in-an-epoch` on test chains, as on the devnet
/// (`nxtp_devnet::chains::DEFAULT_SLOTS_IN_AN_EPOCH`): the `finalized` block is two blocks behind
/// the head, where anvil's default (32) puts it 64 behind.
pub const SLOTS_IN_AN_EPOCH: u64 = 1;

/// An anvil builder on the pinned binary, listening on 127.0.0.1 only, with
/// [`DEV_ACCOUNTS`] funded accounts. It leaves anvil's epoch length alone, so a test may set
/// its own; [`spawn_anvil`] and `nxtp-testnet` pass [`SLOTS_IN_AN_EPOCH`].
pub fn anvil() -> Anvil {
    Anvil::at(anvil_path())
        .arg("--host")
        .arg("127.0.0.1")
        .arg("--accounts")
        .arg(DEV_ACCOUNTS.to_string())
}

/// Spawns an anvil with the given chain id that mines a block for every transaction, its
/// `finalized` block two blocks behind its head ([`SLOTS_IN_AN_EPOCH`]).
pub fn spawn_anvil(chain_id: u64) -> AnvilInstance {
    anvil()
        .chain_id(chain_id)
        .arg("--slots-in-an-epoch")
        .arg(SLOTS_IN_AN_EPOCH.to_string())
        .spawn()
}
