//! The SDK handle: the configured domains, their providers, the optional sequencer.

use crate::{
    asset::{AssetInfo, AssetRef},
    config::{self, DomainSettings, Timing},
    error::SdkError,
    fee::SequencerRetry,
    sequencer::SequencerView,
};
use alloy::{
    network::EthereumWallet, primitives::Address, providers::DynProvider,
    signers::local::PrivateKeySigner, transports::http::reqwest::Url,
};
use nxtp_api::sequencer::SequencerClient;
use nxtp_bindings::Connext;
use nxtp_deployment::Manifest;
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, sync::Arc};
use tokio::sync::OnceCell;

/// Sends transfers and follows them, recovers them, and manages router liquidity, across the configured domains.
///
/// Reads go through one provider per domain, connected (and its chain id checked) on first use. Each call that
/// sends a transaction connects with the given signer, checks everything it can first, simulates the call, and
/// returns only once the transaction is mined.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use nxtp_deployment::Manifest;
/// use nxtp_sdk::Sdk;
///
/// let manifest = Manifest::load("run/manifest.json".as_ref())?;
/// let sdk = Sdk::from_manifest(&manifest, Some("http://127.0.0.1:8090".parse()?))?;
/// for domain in sdk.domains() {
///     println!("domain {domain}: Connext {}", sdk.settings(domain)?.connext);
/// }
/// # Ok(()) }
/// ```
pub struct Sdk {
    domains: BTreeMap<Domain, DomainSettings>,
    readers: BTreeMap<Domain, OnceCell<DynProvider>>,
    sequencer: Option<Arc<dyn SequencerView>>,
    sequencer_retry: SequencerRetry,
    timing: Timing,
}

impl std::fmt::Debug for Sdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sdk")
            .field("domains", &self.domains)
            .field("sequencer", &self.sequencer.is_some())
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

impl Sdk {
    /// An SDK over explicitly given domains, without a sequencer.
    pub fn new(domains: BTreeMap<Domain, DomainSettings>) -> Self {
        let readers = domains
            .keys()
            .map(|&domain| (domain, OnceCell::new()))
            .collect();
        Self {
            domains,
            readers,
            sequencer: None,
            sequencer_retry: SequencerRetry::default(),
            timing: Timing::default(),
        }
    }

    /// An SDK over every domain of `manifest` that has a liquidity layer (its `liquidity` section), asking the
    /// sequencer at `sequencer_url` (if given) for quotes and for why transfers wait.
    pub fn from_manifest(
        manifest: &Manifest,
        sequencer_url: Option<Url>,
    ) -> Result<Self, SdkError> {
        let sdk = Self::new(config::from_manifest(manifest)?);
        Ok(match sequencer_url {
            Some(url) => {
                let client =
                    SequencerClient::new(url).map_err(|err| SdkError::Sequencer(err.into()))?;
                sdk.with_sequencer(Arc::new(client))
            }
            None => sdk,
        })
    }

    /// Asks `sequencer` for relayer fee quotes and for why transfers wait.
    pub fn with_sequencer(mut self, sequencer: Arc<dyn SequencerView>) -> Self {
        self.sequencer = Some(sequencer);
        self
    }

    /// Asks the sequencer for a relayer fee quote as `retry` says before estimating one without it.
    pub fn with_sequencer_retry(mut self, retry: SequencerRetry) -> Self {
        self.sequencer_retry = retry;
        self
    }

    /// Waits and polls as `timing` says.
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// The configured domains, in order.
    pub fn domains(&self) -> impl Iterator<Item = Domain> + '_ {
        self.domains.keys().copied()
    }

    /// A domain's settings.
    pub fn settings(&self, domain: Domain) -> Result<&DomainSettings, SdkError> {
        self.domains
            .get(&domain)
            .ok_or_else(|| SdkError::UnknownDomain {
                domain,
                known: self.domains.keys().copied().collect(),
            })
    }

    pub(crate) fn timing(&self) -> Timing {
        self.timing
    }

    pub(crate) fn sequencer_retry(&self) -> SequencerRetry {
        self.sequencer_retry
    }

    pub(crate) fn sequencer(&self) -> Option<&dyn SequencerView> {
        self.sequencer.as_deref()
    }

    /// The domain's read-only provider, connected once.
    pub(crate) async fn reader(&self, domain: Domain) -> Result<&DynProvider, SdkError> {
        let settings = self.settings(domain)?;
        let cell = self
            .readers
            .get(&domain)
            .expect("every configured domain has a reader cell");
        cell.get_or_try_init(|| async {
            nxtp_provider::connect(&settings.chain_config())
                .await
                .map_err(|source| SdkError::Connect { domain, source })
        })
        .await
    }

    /// A provider that signs as `signer` on `domain`.
    pub(crate) async fn writer(
        &self,
        domain: Domain,
        signer: &PrivateKeySigner,
    ) -> Result<DynProvider, SdkError> {
        let settings = self.settings(domain)?;
        nxtp_provider::connect_with_wallet(
            &settings.chain_config(),
            EthereumWallet::from(signer.clone()),
        )
        .await
        .map_err(|source| SdkError::Connect { domain, source })
    }

    /// The domain's `Connext`, for reads.
    pub(crate) async fn connext(
        &self,
        domain: Domain,
    ) -> Result<Connext::ConnextInstance<&DynProvider>, SdkError> {
        let address = self.settings(domain)?.connext;
        Ok(Connext::new(address, self.reader(domain).await?))
    }

    /// What `domain`'s `Connext` has registered about `asset`. Refuses a symbol the settings do not know and a
    /// token `Connext` has not registered.
    pub async fn asset(&self, domain: Domain, asset: &AssetRef) -> Result<AssetInfo, SdkError> {
        let settings = self.settings(domain)?;
        let (local, symbol) = match asset {
            AssetRef::Symbol(symbol) => {
                let known = settings
                    .assets
                    .get(symbol)
                    .ok_or_else(|| SdkError::UnknownAsset {
                        domain,
                        symbol: symbol.clone(),
                        known: settings.assets.keys().cloned().collect(),
                    })?;
                (known.local, Some(symbol.clone()))
            }
            AssetRef::Address(address) => (*address, self.symbol_of(domain, *address)),
        };
        let info = self
            .connext(domain)
            .await?
            .assetInfo(local)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(domain, "Connext.assetInfo", err))?;
        if info.canonicalDomain == 0 {
            return Err(SdkError::AssetNotRegistered {
                domain,
                asset: local,
            });
        }
        Ok(AssetInfo {
            local,
            symbol,
            canonical_domain: info.canonicalDomain,
            canonical_id: info.canonicalId,
            decimals: info.decimals,
            approved: info.approved,
        })
    }

    /// [`Sdk::asset`], also refusing an asset governance no longer approves.
    pub(crate) async fn approved_asset(
        &self,
        domain: Domain,
        asset: &AssetRef,
    ) -> Result<AssetInfo, SdkError> {
        let info = self.asset(domain, asset).await?;
        if !info.approved {
            return Err(SdkError::AssetNotApproved {
                domain,
                asset: info.local,
            });
        }
        Ok(info)
    }

    fn symbol_of(&self, domain: Domain, local: Address) -> Option<String> {
        self.domains
            .get(&domain)?
            .assets
            .iter()
            .find_map(|(symbol, asset)| (asset.local == local).then(|| symbol.clone()))
    }
}
