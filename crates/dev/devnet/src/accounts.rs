//! The devnet's development accounts: anvil's funded keys, one per role, so each agent signs with its
//! own key exactly as it would in production and logs show who did what.

use alloy::{
    primitives::{Address, B256},
    signers::local::PrivateKeySigner,
};
use std::{collections::BTreeMap, fmt};

/// Who a development key belongs to. The manifest's `dev_keys` are keyed by [`Role::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Deploys every contract and owns them (governance).
    Deployer,
    /// Signs every Home's roots (one key serves all domains on a devnet).
    Updater,
    /// Permitted on every ConnectionManager to halt Replicas on fraud.
    Watcher,
    /// Copies Home updates to the Replicas.
    MessageRelayer,
    /// Proves and processes messages on the Replicas.
    Processor,
    /// Signs the sequencer's router selections (approved on every `Connext`).
    Sequencer,
    /// Submits `execute` transactions (approved on every `Connext`).
    Relayer,
    /// The first demo router: signs its bids and owns its liquidity.
    RouterA,
    /// The second demo router.
    RouterB,
    /// The demo's user, who sends the transfers.
    User,
    /// Sends every Home's checkpoints for the updaters (a key apart from theirs).
    Checkpointer,
}

impl Role {
    /// Every role, in the order of the anvil accounts they use.
    pub const ALL: [Self; 11] = [
        Self::Deployer,
        Self::Updater,
        Self::Watcher,
        Self::MessageRelayer,
        Self::Processor,
        Self::Sequencer,
        Self::Relayer,
        Self::RouterA,
        Self::RouterB,
        Self::User,
        Self::Checkpointer,
    ];

    /// The role's key in the manifest's `dev_keys`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Deployer => "deployer",
            Self::Updater => "updater",
            Self::Watcher => "watcher",
            Self::MessageRelayer => "message_relayer",
            Self::Processor => "processor",
            Self::Sequencer => "sequencer",
            Self::Relayer => "relayer",
            Self::RouterA => "router_a",
            Self::RouterB => "router_b",
            Self::User => "user",
            Self::Checkpointer => "checkpointer",
        }
    }

    /// Which of anvil's development accounts (from zero) the role uses.
    pub const fn anvil_index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Fewer development keys than roles.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// Too few keys.
    #[error("{given} development keys given, {needed} needed (one per role)")]
    TooFewKeys {
        /// Keys given.
        given: usize,
        /// Keys needed.
        needed: usize,
    },
    /// A key is not a valid secp256k1 secret.
    #[error("development key {index} is not a valid private key")]
    InvalidKey {
        /// Its position.
        index: usize,
    },
}

/// One signer per role.
#[derive(Clone, Debug)]
pub struct DevAccounts {
    signers: BTreeMap<Role, PrivateKeySigner>,
}

impl DevAccounts {
    /// Assigns anvil's development keys (in anvil's order) to the roles.
    pub fn from_keys(keys: &[B256]) -> Result<Self, AccountsError> {
        let needed = Role::ALL.len();
        if keys.len() < needed {
            return Err(AccountsError::TooFewKeys {
                given: keys.len(),
                needed,
            });
        }
        let mut signers = BTreeMap::new();
        for role in Role::ALL {
            let index = role.anvil_index();
            let signer = PrivateKeySigner::from_bytes(&keys[index])
                .map_err(|_| AccountsError::InvalidKey { index })?;
            signers.insert(role, signer);
        }
        Ok(Self { signers })
    }

    /// The role's signer.
    pub fn signer(&self, role: Role) -> &PrivateKeySigner {
        // `from_keys` fills every role.
        &self.signers[&role]
    }

    /// The role's address.
    pub fn address(&self, role: Role) -> Address {
        self.signer(role).address()
    }

    /// The keys by role name, as the manifest's `dev_keys` holds them.
    pub fn manifest_keys(&self) -> BTreeMap<String, B256> {
        self.signers
            .iter()
            .map(|(role, signer)| (role.name().to_owned(), signer.to_bytes()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: u8) -> Vec<B256> {
        (1..=n).map(B256::with_last_byte).collect()
    }

    #[test]
    fn roles_take_distinct_accounts_in_order() {
        let accounts = DevAccounts::from_keys(&keys(11)).expect("enough keys");
        let manifest = accounts.manifest_keys();
        assert_eq!(manifest.len(), Role::ALL.len());
        assert_eq!(manifest["deployer"], B256::with_last_byte(1));
        assert_eq!(manifest["processor"], B256::with_last_byte(5));
        let addresses: std::collections::BTreeSet<_> = Role::ALL
            .iter()
            .map(|&role| accounts.address(role))
            .collect();
        assert_eq!(addresses.len(), Role::ALL.len(), "one account per role");
    }

    #[test]
    fn test_chains_fund_every_role() {
        assert!(Role::ALL.len() <= nxtp_toolchain::DEV_ACCOUNTS);
    }

    #[test]
    fn too_few_keys_are_refused() {
        let err = DevAccounts::from_keys(&keys(3)).expect_err("too few");
        assert_eq!(
            err.to_string(),
            "3 development keys given, 11 needed (one per role)"
        );
    }
}
