//! Local chains: one anvil process per domain, on 127.0.0.1 and a port the OS picks (or a fixed one, see
//! [`Ports`]), logging to the run folder.
//!
//! Domains are 1000, 2000, 3000, …; chain ids are 31337, 31338, 31339, … on purpose different from the
//! domains, so code that confuses the two fails on the devnet rather than in production.

use crate::{
    ports::Ports,
    process::{self, GroupChild, Stopped},
};
use alloy::primitives::B256;
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::{
    io,
    path::{Path, PathBuf},
    process::ExitStatus,
    time::{Duration, Instant},
};
use tokio::process::Command;

/// The EIP-155 chain id of the first chain; the others count up from it.
pub const FIRST_CHAIN_ID: u64 = 31337;

/// The domain of the `index`-th chain (from zero): 1000, 2000, 3000, …
pub fn domain_of(index: usize) -> Domain {
    let n = u32::try_from(index + 1).unwrap_or(u32::MAX);
    Domain(n.saturating_mul(1000))
}

/// The chain id of the `index`-th chain (from zero).
pub fn chain_id_of(index: usize) -> u64 {
    FIRST_CHAIN_ID + index as u64
}

/// Anvil's `--slots-in-an-epoch` on the devnet unless configured otherwise: anvil's `finalized` block is then
/// two blocks behind its head (anvil's own default, 32, puts it 64 blocks behind).
pub const DEFAULT_SLOTS_IN_AN_EPOCH: u64 = 1;

/// What chains to start, and where.
#[derive(Clone, Debug)]
pub struct ChainsConfig {
    /// The anvil binary (the pinned one, see [`crate::locate_anvil`]).
    pub anvil: PathBuf,
    /// How many chains.
    pub count: usize,
    /// Interval between blocks; zero mines one block per transaction as it arrives.
    pub block_time: Duration,
    /// Anvil's `--slots-in-an-epoch`: its `finalized` block is `2 × slots_in_an_epoch` blocks behind its head.
    pub slots_in_an_epoch: u64,
    /// Where `anvil-<domain>.log` and each chain's account file go.
    pub run_dir: PathBuf,
    /// How long one anvil may take to start listening.
    pub startup_timeout: Duration,
    /// Which ports the chains listen on.
    pub ports: Ports,
}

impl ChainsConfig {
    /// `count` chains with one-second blocks and [`DEFAULT_SLOTS_IN_AN_EPOCH`], logging to `run_dir`.
    pub fn new(anvil: PathBuf, count: usize, run_dir: PathBuf) -> Self {
        Self {
            anvil,
            count,
            block_time: Duration::from_secs(1),
            slots_in_an_epoch: DEFAULT_SLOTS_IN_AN_EPOCH,
            run_dir,
            startup_timeout: Duration::from_secs(30),
            ports: Ports::Any,
        }
    }
}

/// Why the chains could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// No chains were asked for.
    #[error("at least one chain is needed")]
    NoChains,
    /// An epoch must hold at least one slot.
    #[error("slots in an epoch must be at least 1")]
    NoSlots,
    /// The anvil binary is not there.
    #[error("anvil not found at {0}: run `make setup` to install the pinned Foundry toolchain")]
    AnvilMissing(PathBuf),
    /// The process could not be started.
    #[error("cannot start {anvil}")]
    Spawn {
        /// The binary.
        anvil: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Anvil exited before it listened.
    #[error(
        "anvil for domain {domain} exited during startup ({status}); last lines of {log}:\n{tail}"
    )]
    Exited {
        /// The chain's domain.
        domain: Domain,
        /// How it exited.
        status: ExitStatus,
        /// Its log file.
        log: PathBuf,
        /// The end of its log.
        tail: String,
    },
    /// Anvil did not report a listening address in time.
    #[error("anvil for domain {domain} did not start listening within {timeout:?}; see {log}")]
    Timeout {
        /// The chain's domain.
        domain: Domain,
        /// How long it was given.
        timeout: Duration,
        /// Its log file.
        log: PathBuf,
    },
    /// A file in the run folder could not be read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Anvil's account file is not what this version of anvil writes.
    #[error("{path}: unexpected anvil account file")]
    AccountFile {
        /// The file.
        path: PathBuf,
        /// Why it does not parse.
        source: serde_json::Error,
    },
    /// The chains were started with different development accounts.
    #[error("the chains' development accounts differ; every anvil must use the same mnemonic")]
    AccountsDiffer,
}

/// One running anvil.
#[derive(Debug)]
pub struct Chain {
    /// The protocol domain it plays.
    pub domain: Domain,
    /// Its EIP-155 chain id.
    pub chain_id: u64,
    /// Its JSON-RPC endpoint, e.g. `http://127.0.0.1:41234`.
    pub rpc_url: String,
    /// Anvil's stdout and stderr.
    pub log: PathBuf,
    /// The funded development accounts' private keys, in anvil's order.
    pub dev_keys: Vec<B256>,
    child: GroupChild,
}

impl Chain {
    /// The anvil process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// The running chains, stopped by [`Chains::stop`] (or killed if dropped).
#[derive(Debug)]
pub struct Chains {
    chains: Vec<Chain>,
}

impl Chains {
    /// Starts the chains and waits until every one listens.
    pub async fn start(config: &ChainsConfig) -> Result<Self, ChainError> {
        if config.count == 0 {
            return Err(ChainError::NoChains);
        }
        if config.slots_in_an_epoch == 0 {
            return Err(ChainError::NoSlots);
        }
        if !config.anvil.is_file() {
            return Err(ChainError::AnvilMissing(config.anvil.clone()));
        }
        // Spawn all first, then wait for each: the chains start in parallel.
        let mut starting = Vec::with_capacity(config.count);
        for index in 0..config.count {
            starting.push(spawn_anvil(config, index)?);
        }
        let mut chains = Vec::with_capacity(config.count);
        for pending in starting {
            // On an error the children still in `starting` or `chains` are killed on drop.
            chains.push(pending.ready(config.startup_timeout).await?);
        }
        if chains
            .iter()
            .any(|chain| chain.dev_keys != chains[0].dev_keys)
        {
            return Err(ChainError::AccountsDiffer);
        }
        Ok(Self { chains })
    }

    /// The chains, in domain order.
    pub fn chains(&self) -> &[Chain] {
        &self.chains
    }

    /// The development accounts' keys (the same on every chain).
    pub fn dev_keys(&self) -> &[B256] {
        &self.chains[0].dev_keys
    }

    /// Every chain's domain and endpoint, for [`crate::deploy`].
    pub fn endpoints(&self) -> Vec<crate::Endpoint> {
        self.chains
            .iter()
            .map(|chain| crate::Endpoint {
                domain: chain.domain,
                rpc_url: chain.rpc_url.clone(),
            })
            .collect()
    }

    /// Stops every anvil (SIGTERM, then SIGKILL after `grace`) and waits for them to exit.
    pub async fn stop(self, grace: Duration) {
        let stops = self.chains.into_iter().map(|mut chain| async move {
            match chain.child.terminate(grace).await {
                Ok(Stopped::Gracefully(_)) => {
                    tracing::debug!(domain = %chain.domain, "anvil stopped")
                }
                Ok(Stopped::Killed(_)) => {
                    tracing::warn!(domain = %chain.domain, "anvil ignored SIGTERM and was killed")
                }
                Err(err) => {
                    tracing::warn!(domain = %chain.domain, error = %err, "cannot stop anvil")
                }
            }
        });
        futures::future::join_all(stops).await;
    }
}

/// An anvil that was spawned and may not be listening yet.
struct Starting {
    domain: Domain,
    chain_id: u64,
    log: PathBuf,
    accounts: PathBuf,
    child: GroupChild,
}

fn spawn_anvil(config: &ChainsConfig, index: usize) -> Result<Starting, ChainError> {
    let domain = domain_of(index);
    let chain_id = chain_id_of(index);
    let log = config.run_dir.join(format!("anvil-{domain}.log"));
    let accounts = config.run_dir.join(format!("anvil-{domain}.accounts.json"));
    let mut command = Command::new(&config.anvil);
    command
        .args(["--host", "127.0.0.1", "--port"])
        .arg(config.ports.chain_port(index).to_string())
        .arg("--chain-id")
        .arg(chain_id.to_string())
        .arg("--accounts")
        // The roles' accounts, then the keys of a sequencer network's other nodes.
        .arg(nxtp_toolchain::DEV_ACCOUNTS.to_string())
        .arg("--config-out")
        .arg(&accounts)
        .arg("--slots-in-an-epoch")
        .arg(config.slots_in_an_epoch.to_string());
    if !config.block_time.is_zero() {
        command
            .arg("--block-time")
            .arg(config.block_time.as_secs_f64().to_string());
    }
    let child = process::spawn_logged(command, &log).map_err(|source| ChainError::Spawn {
        anvil: config.anvil.clone(),
        source,
    })?;
    Ok(Starting {
        domain,
        chain_id,
        log,
        accounts,
        child,
    })
}

/// Anvil's `--config-out` file: only the keys are read.
#[derive(Deserialize)]
struct AccountFile {
    private_keys: Vec<String>,
}

impl Starting {
    /// Waits for anvil's "Listening on" line, then reads its accounts.
    async fn ready(mut self, timeout: Duration) -> Result<Chain, ChainError> {
        let deadline = Instant::now() + timeout;
        let address = loop {
            let text = read_lossy(&self.log)?;
            if let Some(address) = text
                .lines()
                .find_map(|line| line.trim().strip_prefix("Listening on "))
            {
                break address.trim().to_owned();
            }
            let exited = self.child.try_wait().map_err(|source| ChainError::Io {
                path: self.log.clone(),
                source,
            })?;
            if let Some(status) = exited {
                return Err(ChainError::Exited {
                    domain: self.domain,
                    status,
                    log: self.log.clone(),
                    tail: tail(&read_lossy(&self.log)?, 20),
                });
            }
            if Instant::now() >= deadline {
                return Err(ChainError::Timeout {
                    domain: self.domain,
                    timeout,
                    log: self.log.clone(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let dev_keys = self.read_accounts()?;
        Ok(Chain {
            domain: self.domain,
            chain_id: self.chain_id,
            rpc_url: format!("http://{address}"),
            log: self.log,
            dev_keys,
            child: self.child,
        })
    }

    fn read_accounts(&self) -> Result<Vec<B256>, ChainError> {
        let text = std::fs::read_to_string(&self.accounts).map_err(|source| ChainError::Io {
            path: self.accounts.clone(),
            source,
        })?;
        let file: AccountFile =
            serde_json::from_str(&text).map_err(|source| ChainError::AccountFile {
                path: self.accounts.clone(),
                source,
            })?;
        file.private_keys
            .iter()
            .map(|key| {
                key.parse::<B256>().map_err(|_| ChainError::AccountFile {
                    path: self.accounts.clone(),
                    source: serde::de::Error::custom(format!("not a private key: {key:?}")),
                })
            })
            .collect()
    }
}

fn read_lossy(path: &Path) -> Result<String, ChainError> {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|source| ChainError::Io {
            path: path.to_owned(),
            source,
        })
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_chain_ids_count_up_and_differ() {
        assert_eq!(
            (0..3).map(domain_of).collect::<Vec<_>>(),
            [Domain(1000), Domain(2000), Domain(3000)]
        );
        assert_eq!(
            (0..3).map(chain_id_of).collect::<Vec<_>>(),
            [31337, 31338, 31339]
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
