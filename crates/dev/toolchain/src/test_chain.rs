//! Test chains: the pinned anvil, bound to 127.0.0.1 on a free port and killed when the returned
//! instance is dropped.
//!
//! Every crate's end-to-end tests start their chains here. It lives with the toolchain, below every nxtp
//! crate, so that the base crates (bindings, chain) can test on anvil without a dev-dependency on the
//! test-net fixture, which depends on them.

pub use alloy::node_bindings::{Anvil, AnvilInstance};

/// How many funded development accounts a test chain has: at least one per devnet role
/// (`nxtp_devnet::Role::ALL`, which a devnet test checks), where anvil's default is ten.
pub const DEV_ACCOUNTS: usize = 16;

/// Anvil's `--slots-in-an-epoch` on test chains, as on the devnet
/// (`nxtp_devnet::chains::DEFAULT_SLOTS_IN_AN_EPOCH`): the `finalized` block is two blocks behind
/// the head, where anvil's default (32) puts it 64 behind.
pub const SLOTS_IN_AN_EPOCH: u64 = 1;

/// An anvil builder on the pinned binary (see [`crate::anvil_in`]), listening on 127.0.0.1 only, with
/// [`DEV_ACCOUNTS`] funded accounts. It leaves anvil's epoch length alone, so a test may set its own;
/// [`spawn_anvil`] and `nxtp-testnet` pass [`SLOTS_IN_AN_EPOCH`].
///
/// # Panics
///
/// When the pinned anvil is not installed (run `make setup`): a test cannot run without it.
pub fn anvil() -> Anvil {
    let path = crate::anvil_in(&crate::build_root());
    assert!(
        path.exists(),
        "{} is missing: run `make setup` first",
        path.display()
    );
    Anvil::at(path)
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
