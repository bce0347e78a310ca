use alloy::primitives::{Address, B256};
use nxtp_primitives::Domain;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, path::Path};

/// Everything deployed, by domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Seconds a Replica waits before a signed root becomes acceptable.
    pub optimistic_seconds: u32,
    /// Each domain's chain and contracts.
    pub domains: BTreeMap<Domain, DomainDeployment>,
    /// Development keys (local devnet only), by role.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dev_keys: BTreeMap<String, B256>,
    /// Where the off-chain services answer, when the deployment runs them (the devnet does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Services>,
}

/// The HTTP endpoints of the deployment's off-chain services.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Services {
    /// The sequencer's API (quotes, bids, auction states).
    pub sequencer_url: String,
    /// The relayer's API (jobs).
    pub relayer_url: String,
    /// The indexer's status API (transfers, routers, stats), if one runs; absent from older
    /// manifests, which still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexer_url: Option<String>,
}

/// One domain's chain and the contracts on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainDeployment {
    /// The chain's EIP-155 id; agents refuse an RPC that reports another.
    pub chain_id: u64,
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// First block that holds nxtp contracts: where indexers start.
    pub deploy_block: u64,
    /// The domain's `Home`.
    #[serde(with = "nxtp_primitives::checked")]
    pub home: Address,
    /// The domain's `ConnectionManager`.
    #[serde(with = "nxtp_primitives::checked")]
    pub connection_manager: Address,
    /// The `Replica` of each remote domain, deployed on this domain.
    #[serde(with = "nxtp_primitives::checked::map")]
    pub replicas: BTreeMap<Domain, Address>,
    /// The updater key address signing this domain's Home roots.
    #[serde(with = "nxtp_primitives::checked")]
    pub updater: Address,
    /// Other contracts by name (test recipients, demo contracts).
    #[serde(
        with = "nxtp_primitives::checked::map",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub contracts: BTreeMap<String, Address>,
    /// The liquidity layer, if deployed on this domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liquidity: Option<LiquidityDeployment>,
}

/// The liquidity layer on one domain: its `Connext` and the assets registered there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidityDeployment {
    /// The domain's `Connext`.
    #[serde(with = "nxtp_primitives::checked")]
    pub connext: Address,
    /// The registered assets, by symbol (the same symbol on every domain names one canonical asset).
    #[serde(default)]
    pub assets: BTreeMap<String, AssetDeployment>,
}

/// One canonical asset as registered on one domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetDeployment {
    /// The token `Connext` holds on this domain: the canonical token on its home domain, a representation
    /// elsewhere.
    #[serde(with = "nxtp_primitives::checked")]
    pub local: Address,
    /// The asset's home domain.
    pub canonical_domain: Domain,
    /// The asset's id on its home domain (its address, left-padded).
    pub canonical_id: B256,
    /// The token's decimals (the same on every domain).
    pub decimals: u8,
}

/// Why a manifest could not be read or written.
#[derive(thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read or written.
    #[error("{}: {source}", nxtp_primitives::redact_keys(path))]
    Io {
        /// The manifest's path.
        path: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The file is not a valid manifest (a quoted value that looks like a key is redacted).
    #[error(
        "{}: {}",
        nxtp_primitives::redact_keys(path),
        nxtp_primitives::redact_keys(&error.to_string())
    )]
    Format {
        /// The manifest's path.
        path: String,
        /// Where and why the JSON does not fit. Not the error's `source`, so a cause chain does
        /// not print it unredacted.
        error: serde_json::Error,
    },
    /// A domain's replicas name a domain that is not in the manifest, or itself.
    #[error("domain {domain}: replica for {remote}, which is {why}")]
    Inconsistent {
        /// The domain whose replica map is wrong.
        domain: Domain,
        /// The remote domain named.
        remote: Domain,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// The message itself (whose quoted values are redacted), not the fields: a derived form would
/// print a parser's text, which can quote a key, whole.
impl std::fmt::Debug for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ManifestError({self})")
    }
}

impl Manifest {
    /// Reads and checks a manifest.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
            path: shown.clone(),
            source,
        })?;
        let manifest: Self = serde_json::from_str(&text)
            .map_err(|error| ManifestError::Format { path: shown, error })?;
        manifest.check()?;
        Ok(manifest)
    }

    /// Writes the manifest atomically (to a temporary file, then renamed), so a reader never sees half of it.
    pub fn save(&self, path: &Path) -> Result<(), ManifestError> {
        let shown = path.display().to_string();
        let io = |source| ManifestError::Io {
            path: shown.clone(),
            source,
        };
        let text = serde_json::to_string_pretty(self).map_err(|error| ManifestError::Format {
            path: shown.clone(),
            error,
        })?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, text).map_err(io)?;
        std::fs::rename(&temporary, path).map_err(io)
    }

    /// The deployment on `domain`, if any.
    pub fn domain(&self, domain: Domain) -> Option<&DomainDeployment> {
        self.domains.get(&domain)
    }

    /// The liquidity layer on `domain`, if the domain exists and has one.
    pub fn liquidity(&self, domain: Domain) -> Option<&LiquidityDeployment> {
        self.domains.get(&domain)?.liquidity.as_ref()
    }

    fn check(&self) -> Result<(), ManifestError> {
        for (&domain, deployment) in &self.domains {
            for &remote in deployment.replicas.keys() {
                let why = if remote == domain {
                    "this domain itself"
                } else if !self.domains.contains_key(&remote) {
                    "not in the manifest"
                } else {
                    continue;
                };
                return Err(ManifestError::Inconsistent {
                    domain,
                    remote,
                    why,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let mut domains = BTreeMap::new();
        for (id, other) in [(1000, 2000), (2000, 1000)] {
            domains.insert(
                Domain(id),
                DomainDeployment {
                    chain_id: u64::from(id),
                    rpc_url: format!("http://127.0.0.1:{id}"),
                    deploy_block: 1,
                    home: Address::repeat_byte(1),
                    connection_manager: Address::repeat_byte(2),
                    replicas: BTreeMap::from([(Domain(other), Address::repeat_byte(3))]),
                    updater: Address::repeat_byte(4),
                    contracts: BTreeMap::new(),
                    liquidity: None,
                },
            );
        }
        Manifest {
            optimistic_seconds: 5,
            domains,
            dev_keys: BTreeMap::new(),
            services: None,
        }
    }

    #[test]
    fn round_trips_through_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("manifest.json");
        let manifest = sample();
        manifest.save(&path).expect("save");
        assert_eq!(Manifest::load(&path).expect("load"), manifest);
    }

    #[test]
    fn refuses_a_replica_of_an_unknown_domain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("manifest.json");
        let mut manifest = sample();
        manifest
            .domains
            .get_mut(&Domain(1000))
            .expect("domain")
            .replicas
            .insert(Domain(3000), Address::ZERO);
        manifest.save(&path).expect("save");
        let err = Manifest::load(&path).expect_err("inconsistent");
        assert!(
            err.to_string()
                .contains("replica for 3000, which is not in the manifest"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_mixed_case_address_failing_its_checksum() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("manifest.json");
        let mut manifest = sample();
        let home: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
            .parse()
            .expect("address");
        manifest
            .domains
            .get_mut(&Domain(1000))
            .expect("domain")
            .home = home;
        manifest.save(&path).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        let lower = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
        assert!(text.contains(lower), "written in lower case: {text}");

        let checksummed = text.replace(lower, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        std::fs::write(&path, checksummed).expect("write");
        assert_eq!(Manifest::load(&path).expect("checksummed"), manifest);

        // One digit off, in mixed case: a typo, refused with the expected spelling.
        let typo = text.replace(lower, "0x70997970C51812dc3A010C7d01b50e0d17dc79C9");
        std::fs::write(&path, typo).expect("write");
        let err = Manifest::load(&path).expect_err("typo").to_string();
        assert!(
            err.contains("manifest.json") && err.contains("EIP-55") && err.contains("0x70997970"),
            "{err}"
        );
    }

    #[test]
    fn format_errors_never_quote_a_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("manifest.json");
        let key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        std::fs::write(
            &path,
            format!(r#"{{"optimistic_seconds": "0x{key}", "domains": {{}}}}"#),
        )
        .expect("write");
        let err = Manifest::load(&path).expect_err("bad type");
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains(&key[..20]) && text.contains("redacted"),
            "{text}"
        );
    }

    #[test]
    fn reports_the_path_and_field_of_a_bad_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("manifest.json");
        std::fs::write(&path, r#"{"optimistic_seconds": "five", "domains": {}}"#).expect("write");
        let err = Manifest::load(&path).expect_err("bad type");
        let text = err.to_string();
        assert!(
            text.contains("manifest.json") && text.contains("line 1"),
            "{text}"
        );
    }
}
