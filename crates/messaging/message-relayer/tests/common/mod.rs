//! What the relayer's end-to-end tests share: the messaging net of `nxtp_testnet` mining every
//! [`BLOCK_MS`] (the updater's job done by hand), the relayer's config for it, and readers for
//! every Replica.

#![allow(dead_code, unreachable_pub, unused_imports)]

use nxtp_agent::{KeySource, LogFormat, SecretString};
use nxtp_chain::Finality;
use nxtp_devnet::Role;
use nxtp_message_relayer::{MessageRelayer, MessageRelayerConfig};
use nxtp_primitives::Domain;
use nxtp_testnet::{eventually, telemetry, Mining, Options, TestNet, Update};
use std::{ops::Deref, path::Path};

/// Block interval of the test chains, in milliseconds.
pub const BLOCK_MS: u64 = 250;

/// The relayer, in this process.
pub type Running = nxtp_testnet::Running<MessageRelayer>;

/// Anvils with every messaging contract deployed and wired, mining a block every
/// [`BLOCK_MS`].
pub struct Net(TestNet);

impl Deref for Net {
    type Target = TestNet;
    fn deref(&self) -> &TestNet {
        &self.0
    }
}

impl Net {
    /// Chains for `domains` (chain ids 31337, 31338, …), deployed.
    pub async fn start(domains: &[u32]) -> Self {
        let _ =
            nxtp_agent::logging::init_logging(LogFormat::Plain, "info,nxtp_message_relayer=debug");
        let options = Options::new(domains).mining(Mining::every_ms(BLOCK_MS));
        Self(TestNet::start(options).await.expect("the net starts"))
    }

    /// The relayer's config: every domain, read `confirmations` deep and taking a block as
    /// final at that same depth.
    pub fn relayer_config(&self, db: &Path, confirmations: u64) -> MessageRelayerConfig {
        self.relayer_config_final(db, confirmations, Finality::Depth(confirmations))
    }

    /// The relayer's config: every domain, read `confirmations` deep, with `finality` as every
    /// chain's finality assumption.
    pub fn relayer_config_final(
        &self,
        db: &Path,
        confirmations: u64,
        finality: Finality,
    ) -> MessageRelayerConfig {
        let key = self.accounts.signer(Role::MessageRelayer).to_bytes();
        MessageRelayerConfig {
            database: db.to_owned(),
            manifest: self.manifest_path.clone(),
            signer: KeySource::Hex(SecretString::new(format!("{key:#x}"))),
            domains: None,
            chains: self
                .domains()
                .into_iter()
                .map(|domain| {
                    let mut chain = self.chain_config(domain, confirmations);
                    chain.finality = finality;
                    (domain, chain)
                })
                .collect(),
            telemetry: telemetry(),
        }
    }

    /// Submits `update` to the Replica of `origin` on `on`, as the deployer.
    pub async fn relay_by_hand(&self, on: Domain, origin: Domain, update: &Update) {
        let (old, new, signature) = update.clone();
        self.relay(on, origin, old, new, signature).await;
    }

    /// The Home's updates of `origin`.
    pub async fn home_updates(&self, origin: Domain) -> Vec<Update> {
        self.update_events(origin, self.home(origin)).await
    }

    /// The updates the Replica of `origin` on `on` accepted.
    pub async fn replica_updates(&self, on: Domain, origin: Domain) -> Vec<Update> {
        self.update_events(on, self.replica(on, origin)).await
    }

    /// Waits until every Replica holds its origin Home's committed root.
    pub async fn wait_until_caught_up(&self) {
        eventually(
            "every Replica to hold its Home's committed root",
            || async {
                for origin in self.domains() {
                    let (committed, _, _) = self.home_state(origin).await;
                    for on in self.domains() {
                        if on != origin && self.replica_root(on, origin).await != committed {
                            return false;
                        }
                    }
                }
                true
            },
        )
        .await;
    }

    /// Every Replica holds exactly its origin Home's updates, in order, once each.
    pub async fn assert_replicas_mirror_homes(&self) {
        for origin in self.domains() {
            let home = self.home_updates(origin).await;
            for on in self.domains() {
                if on != origin {
                    assert_eq!(
                        self.replica_updates(on, origin).await,
                        home,
                        "Replica of {origin} on {on}"
                    );
                }
            }
        }
    }
}

/// Telemetry on a free loopback port, and that port, to read the relayer's `/metrics`.
pub fn telemetry_on_free_port() -> (nxtp_agent::TelemetryConfig, std::net::SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let mut config = telemetry();
    config.listen = addr;
    (config, addr)
}

pub use nxtp_testnet::two_more_rounds;
