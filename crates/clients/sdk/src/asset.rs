//! Naming an asset (by symbol or address) and what a domain's `Connext` has registered about it.

use alloy::primitives::{Address, B256};
use nxtp_primitives::{parse_checked_address, redact_keys, AddressError};
use std::{fmt, str::FromStr};

alloy::sol! {
    /// The ERC-20 surface the SDK needs of any bridged token (canonical or representation).
    #[sol(rpc)]
    interface IERC20 {
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
    }
}

/// An asset as a caller names it: a symbol known to the settings (`DEMO`) or a token address.
///
/// ```
/// use nxtp_sdk::AssetRef;
///
/// assert_eq!("DEMO".parse::<AssetRef>().unwrap(), AssetRef::Symbol("DEMO".into()));
/// assert!(matches!(
///     "0x5FbDB2315678afecb367f032d93F642f64180aa3".parse::<AssetRef>().unwrap(),
///     AssetRef::Address(_)
/// ));
/// assert!("0x12".parse::<AssetRef>().is_err());
/// // Mixed case must match its EIP-55 checksum: one digit off is refused.
/// assert!("0x5FbDB2315678afecb367f032d93F642f64180aa4".parse::<AssetRef>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AssetRef {
    /// A symbol of the domain's known assets.
    Symbol(String),
    /// A token address on the domain.
    Address(Address),
}

/// Text that is neither a symbol nor an address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadAssetRef {
    /// Neither a symbol nor `0x`-prefixed text.
    #[error("`{0}` is neither an asset symbol nor a 0x-prefixed 20-byte address")]
    NotAnAsset(String),
    /// `0x`-prefixed text that is not an address, or mixed case failing its EIP-55 checksum.
    #[error(transparent)]
    Address(#[from] AddressError),
}

impl FromStr for AssetRef {
    type Err = BadAssetRef;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.starts_with("0x") || text.starts_with("0X") {
            return Ok(Self::Address(parse_checked_address(text)?));
        }
        let symbol_like = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if symbol_like {
            Ok(Self::Symbol(text.to_owned()))
        } else {
            Err(BadAssetRef::NotAnAsset(redact_keys(text).into_owned()))
        }
    }
}

impl From<Address> for AssetRef {
    fn from(address: Address) -> Self {
        Self::Address(address)
    }
}

impl fmt::Display for AssetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Symbol(symbol) => f.write_str(symbol),
            Self::Address(address) => address.fmt(f),
        }
    }
}

/// An asset as registered with one domain's `Connext`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// The token `Connext` takes and holds on this domain (canonical token or representation).
    pub local: Address,
    /// The symbol the settings know it by, if any.
    pub symbol: Option<String>,
    /// The asset's home domain.
    pub canonical_domain: u32,
    /// The asset's id on its home domain.
    pub canonical_id: B256,
    /// The token's decimals.
    pub decimals: u8,
    /// Whether new transfers and liquidity may use it.
    pub approved: bool,
}

impl AssetInfo {
    /// Whether this domain is the asset's home: there `Connext` escrows the token (pulling it, so the sender
    /// must approve); elsewhere it burns the representation (no approval needed).
    pub fn is_canonical_on(&self, domain: u32) -> bool {
        self.canonical_domain == domain
    }
}

impl fmt::Display for AssetInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.symbol {
            Some(symbol) => write!(f, "{symbol} ({})", self.local),
            None => self.local.fmt(f),
        }
    }
}
