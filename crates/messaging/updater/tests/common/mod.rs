//! What the updater's end-to-end tests share: the messaging net of `nxtp_testnet`, updater
//! configs for it, and readers for the Home's checkpoints and updates and for the updater's
//! database.

#![allow(dead_code, unreachable_pub)]

use alloy::{
    eips::BlockId,
    primitives::{Address, Bytes, B256, U256},
    providers::Provider,
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use nxtp_agent::{KeySource, LogFormat, SecretString, TelemetryConfig};
use nxtp_bindings::Home;
use nxtp_chain::Finality;
use nxtp_devnet::Role;
use nxtp_primitives::{recover_digest, Domain};
use nxtp_testnet::{confirm, telemetry, Options, TestNet};
use nxtp_updater::{store::SignedUpdate, Updater, UpdaterConfig};
use rusqlite::{Connection, OpenFlags};
use std::{collections::BTreeMap, ops::Deref, path::Path, time::Duration};

pub use nxtp_testnet::{assert_one_new_root_per_old_root, eventually, Mining, TIMEOUT};

/// The updater, in this process.
pub type Running = nxtp_testnet::Running<Updater>;

/// Anvils with every messaging contract deployed and wired.
pub struct Net(TestNet);

impl Deref for Net {
    type Target = TestNet;
    fn deref(&self) -> &TestNet {
        &self.0
    }
}

impl Net {
    /// Chains for `domains` (chain ids 31337, 31338, …), deployed.
    pub async fn start(domains: &[u32], mining: Mining) -> Self {
        let _ = nxtp_agent::logging::init_logging(LogFormat::Plain, "info,nxtp_updater=debug");
        let options = Options::new(domains).mining(mining);
        Self(TestNet::start(options).await.expect("the net starts"))
    }

    /// The updater's config for `domain`'s Home, reading every chain `confirmations` deep and
    /// taking a block as final at that same depth (see [`Self::updater_config_final`]).
    pub fn updater_config(&self, domain: Domain, db: &Path, confirmations: u64) -> UpdaterConfig {
        self.updater_config_final(domain, db, confirmations, Finality::Depth(confirmations))
    }

    /// The updater's config for `domain`'s Home, reading every chain `confirmations` deep, with
    /// `finality` as every chain's finality assumption.
    pub fn updater_config_final(
        &self,
        domain: Domain,
        db: &Path,
        confirmations: u64,
        finality: Finality,
    ) -> UpdaterConfig {
        let key = self.updater_signer().to_bytes();
        let checkpointer = self.accounts.signer(Role::Checkpointer).to_bytes();
        UpdaterConfig {
            domain,
            database: db.to_owned(),
            manifest: Some(self.manifest_path.clone()),
            home: None,
            replicas: BTreeMap::new(),
            signer: KeySource::Hex(SecretString::new(format!("{key:#x}"))),
            checkpointer: KeySource::Hex(SecretString::new(format!("{checkpointer:#x}"))),
            checkpoints_per_block: nxtp_updater::config::DEFAULT_CHECKPOINTS_PER_BLOCK,
            chains: self
                .domains()
                .into_iter()
                .map(|d| {
                    let mut chain = self.chain_config(d, confirmations);
                    chain.finality = finality;
                    (d, chain)
                })
                .collect(),
            telemetry: telemetry(),
        }
    }

    pub fn updater_signer(&self) -> &PrivateKeySigner {
        self.accounts.signer(Role::Updater)
    }

    /// The root the Home's tree has now.
    pub async fn home_root(&self, domain: Domain) -> B256 {
        let reader = self.reader(domain);
        Home::new(self.home(domain), &reader)
            .root()
            .call()
            .await
            .expect("root")
    }

    /// Whether the Home's root in the pending block (mined messages and the pool's) is
    /// checkpointed there.
    pub async fn pending_root_checkpointed(&self, origin: Domain) -> bool {
        let reader = self.reader(origin);
        let home = Home::new(self.home(origin), &reader);
        let pending = BlockId::pending();
        let root = home.root().block(pending).call().await.expect("root");
        home.checkpoints(root)
            .block(pending)
            .call()
            .await
            .expect("checkpoints")
            .produced
    }

    /// How many messages a root the Home checkpointed covers.
    pub async fn checkpointed_count(&self, domain: Domain, root: B256) -> Option<u32> {
        let reader = self.reader(domain);
        let checkpoint = Home::new(self.home(domain), &reader)
            .checkpoints(root)
            .call()
            .await
            .expect("checkpoints");
        checkpoint.produced.then_some(checkpoint.count)
    }

    /// Every `Update` event of `contract` on `domain`: (old, new, signature, block), in order.
    pub async fn update_events(
        &self,
        domain: Domain,
        contract: Address,
    ) -> Vec<(B256, B256, Bytes, u64)> {
        let logs = self.update_logs(domain, contract).await;
        logs.into_iter()
            .map(|((old, new, signature), block)| (old, new, signature, block))
            .collect()
    }

    /// Every `Checkpointed` event of `origin`'s Home: (root, count, block).
    pub async fn checkpoint_events(&self, origin: Domain) -> Vec<(B256, u64, u64)> {
        let filter = Filter::new()
            .address(self.home(origin))
            .event_signature(Home::Checkpointed::SIGNATURE_HASH)
            .from_block(0);
        self.reader(origin)
            .get_logs(&filter)
            .await
            .expect("logs")
            .iter()
            .map(|log| {
                let event = log.log_decode::<Home::Checkpointed>().expect("event");
                (
                    event.inner.data.root,
                    u64::try_from(event.inner.data.count).expect("small"),
                    log.block_number.expect("mined"),
                )
            })
            .collect()
    }

    /// Every update signed by the updater key over `origin`'s roots that any chain shows (the
    /// Home and every Replica of the origin), as (old, new) pairs with the chain it is on.
    pub async fn signed_on_chain(&self, origin: Domain) -> Vec<(Domain, B256, B256)> {
        let mut found = Vec::new();
        let mut places = vec![(origin, self.home(origin))];
        for domain in self.domains() {
            if domain != origin {
                places.push((domain, self.replica(domain, origin)));
            }
        }
        for (domain, contract) in places {
            for (old, new, signature) in self.0.update_events(domain, contract).await {
                let digest = self.home_signing(origin).update_digest(old, new);
                let signer = recover_digest(digest, &signature).expect("valid signature");
                assert_eq!(
                    signer,
                    self.updater_signer().address(),
                    "signed by the updater key"
                );
                found.push((domain, old, new));
            }
        }
        found
    }

    /// Submits `update` to the Replica of `origin` on `on`, as the deployer (anyone may).
    pub async fn relay(&self, on: Domain, origin: Domain, update: &SignedUpdate) {
        let signature = update.signature.clone();
        let new = update.new_root;
        self.0
            .relay(on, origin, update.old_root, new, signature)
            .await;
    }

    /// Sets the bond `domain`'s Home requires, as its owner.
    pub async fn set_required_bond(&self, domain: Domain, wei: U256) {
        let wallet = self.wallet(domain, Role::Deployer);
        let home = Home::new(self.home(domain), &wallet);
        confirm(
            home.setRequiredBond(wei)
                .send()
                .await
                .expect("sends setRequiredBond"),
        )
        .await;
    }
}

/// Reads the updates recorded in an updater database, without writing to it (no migrations:
/// the agent owns it); empty until the agent has created its tables.
pub fn recorded(db: &Path, domain: Domain) -> Vec<SignedUpdate> {
    let Ok(conn) = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return Vec::new();
    };
    conn.busy_timeout(Duration::from_secs(5))
        .expect("sets busy timeout");
    match nxtp_updater::store::signed_updates(&conn, domain) {
        Ok(updates) => updates,
        Err(err) if err.to_string().contains("no such table") => Vec::new(),
        Err(err) => panic!("cannot read {}: {err}", db.display()),
    }
}

/// A telemetry section on a free loopback port, and that port's address.
pub fn telemetry_on_free_port() -> (TelemetryConfig, std::net::SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let mut config = telemetry();
    config.listen = addr;
    (config, addr)
}

pub use nxtp_testnet::{http_get, two_more_rounds};
