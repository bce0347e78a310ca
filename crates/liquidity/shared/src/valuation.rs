//! What the relayer fees a transfer paid are worth in native wei: the native fee, plus each fee
//! paid in an asset the operator accepts on the transfer's origin, at the operator's rate.
//!
//! The accepted assets are listed in the agent's config, one entry per origin domain and token:
//!
//! ```toml
//! [[relayer_fee_assets]]
//! domain = 1000                                # the origin the fee is paid on
//! asset = "0x..."                              # the token there, EIP-55 checked
//! native_wei_per_token = "400000000000000"     # what one whole token (10^decimals units) is worth
//! ```
//!
//! No list (or an empty one) accepts native fees only. The token's decimals are read from the
//! chain at start-up ([`FeeAssetsConfig::resolve`]) rather than written in the config: a wrong
//! decimals count misprices the fee by powers of ten without any other sign, and the chain is the
//! one place where it cannot be wrong. Fees in an asset not accepted count zero (a debug log says
//! so, with the transfer).

use crate::{
    connext::ConnectedDomain,
    fees::{FeesPaid, NATIVE},
};
use alloy::primitives::{Address, B256, U256, U512};
use nxtp_chain::Domains;
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The largest decimals count valued: `10^77` is the largest power of ten below `2^256`.
pub const MAX_DECIMALS: u8 = 77;

alloy::sol! {
    /// The one ERC-20 read the valuation needs.
    #[sol(rpc)]
    interface IERC20Decimals {
        function decimals() external view returns (uint8);
    }
}

/// One `[[relayer_fee_assets]]` entry, as written (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeAssetConfig {
    /// The origin domain the fee is paid on.
    pub domain: Domain,
    /// The token there.
    #[serde(with = "nxtp_primitives::checked")]
    pub asset: Address,
    /// Native wei one whole token (`10^decimals` base units) is worth.
    #[serde(deserialize_with = "nxtp_agent::config::wei")]
    pub native_wei_per_token: U256,
}

/// An agent's `relayer_fee_assets` list, as written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct FeeAssetsConfig(pub Vec<FeeAssetConfig>);

/// An accepted fee asset whose decimals could not be read at start-up.
#[derive(Debug, thiserror::Error)]
#[error("{key}[{index}]: asset {asset} on domain {domain}: {reason}")]
pub struct FeeAssetError {
    /// The config key of the list (`relayer_fee_assets`).
    pub key: String,
    /// The entry's index in it.
    pub index: usize,
    /// Its domain.
    pub domain: Domain,
    /// Its token.
    pub asset: Address,
    /// Why (an RPC error, without its URL, or decimals beyond [`MAX_DECIMALS`]).
    pub reason: String,
}

impl FeeAssetsConfig {
    /// Whether no asset is accepted (native fees only).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks the list read under `key` against the agent's `domains`: every entry's domain has a
    /// section, its asset is a token (the native fee is always accepted), its rate is above zero,
    /// and no token is listed twice. The error names the entry's path.
    pub fn check<T>(&self, key: &str, domains: &Domains<T>) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for (index, entry) in self.0.iter().enumerate() {
            let path = format!("{key}[{index}]");
            let domain = entry.domain;
            if !domains.contains_key(&domain) {
                return Err(format!(
                    "{path}.domain: domain {domain} has no [domains.{domain}] section"
                ));
            }
            if entry.asset == NATIVE {
                return Err(format!(
                    "{path}.asset: the zero address is the native fee, always accepted at its \
                     face value"
                ));
            }
            if entry.native_wei_per_token.is_zero() {
                return Err(format!(
                    "{path}.native_wei_per_token: must be above zero (leave the asset out to \
                     refuse its fees)"
                ));
            }
            if !seen.insert((domain, entry.asset)) {
                return Err(format!(
                    "{path}: asset {} on domain {domain} is listed twice",
                    entry.asset
                ));
            }
        }
        Ok(())
    }

    /// Reads each listed token's decimals on its domain (`chains` holds every domain the list
    /// names, as [`FeeAssetsConfig::check`] made sure) and returns the valuation; `key` names the
    /// list in errors.
    pub async fn resolve(
        &self,
        key: &str,
        chains: &BTreeMap<Domain, ConnectedDomain>,
    ) -> Result<FeeValuation, FeeAssetError> {
        let mut valuation = FeeValuation::native_only();
        for (index, entry) in self.0.iter().enumerate() {
            let error = |reason: String| FeeAssetError {
                key: key.to_owned(),
                index,
                domain: entry.domain,
                asset: entry.asset,
                reason,
            };
            let chain = chains
                .get(&entry.domain)
                .ok_or_else(|| error("the domain is not connected".to_owned()))?;
            let decimals = IERC20Decimals::new(entry.asset, &chain.provider)
                .decimals()
                .call()
                .await
                .map_err(|err| {
                    error(format!(
                        "cannot read decimals(): {}",
                        nxtp_chain::contract_without_url(err)
                    ))
                })?;
            let rate = FeeAssetRate::new(decimals, entry.native_wei_per_token).map_err(error)?;
            valuation.accept(entry.domain, entry.asset, rate);
        }
        Ok(valuation)
    }
}

/// What one accepted fee asset is worth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeAssetRate {
    decimals: u8,
    native_wei_per_token: U256,
}

impl FeeAssetRate {
    /// A token of `decimals` whose whole token is worth `native_wei_per_token`; refused beyond
    /// [`MAX_DECIMALS`] (no real token has them, and a whole token would not fit in 256 bits).
    pub fn new(decimals: u8, native_wei_per_token: U256) -> Result<Self, String> {
        if decimals > MAX_DECIMALS {
            return Err(format!(
                "decimals() is {decimals}, above the {MAX_DECIMALS} a fee can be valued at"
            ));
        }
        Ok(Self {
            decimals,
            native_wei_per_token,
        })
    }

    /// The token's decimals.
    pub fn decimals(&self) -> u8 {
        self.decimals
    }

    /// Native wei one whole token is worth.
    pub fn native_wei_per_token(&self) -> U256 {
        self.native_wei_per_token
    }

    /// What `amount` base units are worth in native wei, rounded down, saturating at
    /// `2^256 - 1` (the product is taken in 512 bits, so it never overflows).
    pub fn native_wei(&self, amount: U256) -> U256 {
        let product: U512 = amount.widening_mul(self.native_wei_per_token);
        let scale = U512::from(10u8).pow(U512::from(self.decimals));
        let value = product / scale;
        if value > U512::from(U256::MAX) {
            U256::MAX
        } else {
            U256::from_limbs_slice(&value.as_limbs()[..4])
        }
    }
}

/// The fee assets accepted on each origin with their rates; the native fee is always accepted
/// at its face value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeeValuation {
    rates: BTreeMap<(Domain, Address), FeeAssetRate>,
}

impl FeeValuation {
    /// Native fees only.
    pub fn native_only() -> Self {
        Self::default()
    }

    /// Accepts fees in `asset` on `domain` at `rate` (replacing an earlier rate).
    pub fn accept(&mut self, domain: Domain, asset: Address, rate: FeeAssetRate) {
        self.rates.insert((domain, asset), rate);
    }

    /// The assets accepted on `domain`, by address, with their rates.
    pub fn accepted_on(
        &self,
        domain: Domain,
    ) -> impl Iterator<Item = (Address, FeeAssetRate)> + '_ {
        self.rates
            .range((domain, Address::ZERO)..=(domain, Address::repeat_byte(0xff)))
            .map(|(&(_, asset), &rate)| (asset, rate))
    }

    /// What `paid` for `transfer_id` on `origin` is worth in native wei, saturating. A fee in an
    /// asset not accepted on `origin` counts zero, and is logged (debug) with the transfer.
    pub fn native_wei(&self, origin: Domain, transfer_id: B256, paid: &FeesPaid) -> U256 {
        let mut total = U256::ZERO;
        for (asset, amount) in paid.iter() {
            let value = if asset == NATIVE {
                amount
            } else if let Some(rate) = self.rates.get(&(origin, asset)) {
                rate.native_wei(amount)
            } else {
                tracing::debug!(
                    %transfer_id, %origin, %asset, %amount,
                    "relayer fee in an asset not accepted: counted zero"
                );
                U256::ZERO
            };
            total = total.saturating_add(value);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_chain::ChainConfig;

    const ORIGIN: Domain = Domain(1000);
    const USDC: Address = Address::repeat_byte(0x06);
    const WETH: Address = Address::repeat_byte(0x18);
    const ID: B256 = B256::repeat_byte(1);

    fn wei(text: &str) -> U256 {
        U256::from_str_radix(text, 10).expect("decimal")
    }

    fn rate(decimals: u8, per_token: &str) -> FeeAssetRate {
        FeeAssetRate::new(decimals, wei(per_token)).expect("valid")
    }

    /// USDC (6 decimals) at 0.0004 ETH a token, WETH (18) at par, both on `ORIGIN`.
    fn valuation() -> FeeValuation {
        let mut valuation = FeeValuation::native_only();
        valuation.accept(ORIGIN, USDC, rate(6, "400000000000000"));
        valuation.accept(ORIGIN, WETH, rate(18, "1000000000000000000"));
        valuation
    }

    #[test]
    fn six_and_eighteen_decimals_are_scaled_to_whole_tokens() {
        // 2.5 USDC at 0.0004 ETH: 0.001 ETH.
        assert_eq!(
            rate(6, "400000000000000").native_wei(U256::from(2_500_000u64)),
            wei("1000000000000000")
        );
        // 0.3 WETH at 2 ETH: 0.6 ETH.
        assert_eq!(
            rate(18, "2000000000000000000").native_wei(wei("300000000000000000")),
            wei("600000000000000000")
        );
        // Below one wei rounds down.
        assert_eq!(rate(6, "999999").native_wei(U256::from(1)), U256::ZERO);
        assert_eq!(rate(0, "7").native_wei(U256::from(3)), U256::from(21));
    }

    #[test]
    fn huge_amounts_neither_overflow_nor_wrap() {
        // The product needs more than 256 bits; the quotient fits.
        let amount = U256::MAX / U256::from(2);
        assert_eq!(
            rate(18, "1000000000000000000").native_wei(amount),
            amount,
            "at par"
        );
        assert_eq!(
            rate(6, "1000000000000000000").native_wei(U256::MAX),
            U256::MAX
        );
        assert_eq!(rate(0, "2").native_wei(U256::MAX), U256::MAX, "saturates");
        assert_eq!(
            rate(MAX_DECIMALS, "1").native_wei(U256::MAX),
            U256::MAX / U256::from(10u8).pow(U256::from(MAX_DECIMALS))
        );
        assert!(FeeAssetRate::new(MAX_DECIMALS + 1, U256::from(1)).is_err());
    }

    #[test]
    fn fees_add_native_and_accepted_assets_and_unknown_ones_count_zero() {
        let valuation = valuation();
        let paid = FeesPaid::none()
            .with(NATIVE, U256::from(5))
            .with(USDC, U256::from(2_500_000u64))
            .with(Address::repeat_byte(0x99), wei("1000000000000000000000"));
        assert_eq!(
            valuation.native_wei(ORIGIN, ID, &paid),
            wei("1000000000000005")
        );
        assert_eq!(
            valuation.native_wei(Domain(2000), ID, &paid),
            U256::from(5),
            "accepted on its own origin only"
        );
        assert_eq!(
            FeeValuation::native_only().native_wei(ORIGIN, ID, &paid),
            U256::from(5),
            "no list: native only"
        );
        let saturating = FeesPaid::none()
            .with(NATIVE, U256::MAX)
            .with(WETH, U256::from(1));
        assert_eq!(valuation.native_wei(ORIGIN, ID, &saturating), U256::MAX);
        assert_eq!(
            valuation.accepted_on(ORIGIN).collect::<Vec<_>>(),
            [
                (USDC, rate(6, "400000000000000")),
                (WETH, rate(18, "1000000000000000000"))
            ]
        );
        assert_eq!(valuation.accepted_on(Domain(2000)).count(), 0);
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        #[serde(default)]
        relayer_fee_assets: FeeAssetsConfig,
    }

    fn domains() -> Domains<ChainConfig> {
        let chain: ChainConfig = toml::from_str(
            "rpc_url = \"http://127.0.0.1:8545\"\nchain_id = 31337\nconfirmations = 1",
        )
        .expect("chain");
        Domains::from(BTreeMap::from([(ORIGIN, chain)]))
    }

    const ENTRY: &str = r#"
        [[relayer_fee_assets]]
        domain = 1000
        asset = "0x0606060606060606060606060606060606060606"
        native_wei_per_token = "400000000000000"
    "#;

    fn check(text: &str) -> Result<FeeAssetsConfig, String> {
        let config: Config = toml::from_str(text).map_err(|err| err.to_string())?;
        config
            .relayer_fee_assets
            .check("relayer_fee_assets", &domains())?;
        Ok(config.relayer_fee_assets)
    }

    #[test]
    fn the_list_reads_and_is_checked() {
        let usdc = "0x0606060606060606060606060606060606060606";
        assert!(check("").expect("no list").is_empty());
        let list = check(ENTRY).expect("one entry");
        assert_eq!(
            list.0,
            [FeeAssetConfig {
                domain: ORIGIN,
                asset: USDC,
                native_wei_per_token: wei("400000000000000"),
            }]
        );
        let refused = [
            (
                ENTRY.replace("\"400000000000000\"", "0"),
                "relayer_fee_assets[0].native_wei_per_token: must be above zero",
            ),
            (
                ENTRY.replace("domain = 1000", "domain = 3000"),
                "relayer_fee_assets[0].domain: domain 3000 has no [domains.3000] section",
            ),
            (
                ENTRY.replace(usdc, &Address::ZERO.to_string()),
                "relayer_fee_assets[0].asset: the zero address is the native fee",
            ),
            (
                format!("{ENTRY}{ENTRY}"),
                concat!(
                    "relayer_fee_assets[1]: asset 0x0606060606060606060606060606060606060606",
                    " on domain 1000 is listed twice"
                ),
            ),
            (
                ENTRY.replace("domain =", "rate = 1\ndomain ="),
                "unknown field `rate`",
            ),
            (
                ENTRY.replace(
                    "0x0606060606060606060606060606060606060606",
                    "0x70997970C51812dc3A010C7d01b50e0d17dc79C9",
                ),
                "fails its EIP-55",
            ),
        ];
        for (text, expected) in refused {
            let err = check(&text).expect_err(expected);
            assert!(err.contains(expected), "{expected:?} not in {err:?}");
        }
    }
}
