//! Domains (chain ids of the protocol) and the `bytes32` form addresses take across domains.

use alloy::primitives::{Address, B256};
use serde::{de, Deserialize, Deserializer, Serialize};
use std::{fmt, num::ParseIntError, str::FromStr};

/// The protocol's identifier for one chain: a `uint32` chosen by governance, independent of the
/// EVM chain id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Domain(pub u32);

impl Domain {
    /// The domain id as the contracts see it.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for Domain {
    fn from(id: u32) -> Self {
        Self(id)
    }
}

impl From<Domain> for u32 {
    fn from(domain: Domain) -> Self {
        domain.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Domain {
    type Err = ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

/// Accepts a number or a decimal string: configuration formats key maps by string (TOML's
/// `[chains.1000]`), and a per-domain map is the common shape of agent configs.
impl<'de> Deserialize<'de> for Domain {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DomainVisitor;

        impl de::Visitor<'_> for DomainVisitor {
            type Value = Domain;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a uint32 domain id, as a number or a decimal string")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Domain, E> {
                u32::try_from(v)
                    .map(Domain)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Domain, E> {
                u32::try_from(v)
                    .map(Domain)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Domain, E> {
                v.parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }

        deserializer.deserialize_any(DomainVisitor)
    }
}

/// A `bytes32` that should hold an address but has non-zero bytes above the low 20.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bytes32 {0} is not a left-padded address")]
pub struct NotAnAddress(pub B256);

/// An address in the `bytes32` form messages carry: left-padded with 12 zero bytes, as Solidity's
/// `bytes32(uint256(uint160(addr)))`.
pub fn address_to_bytes32(address: Address) -> B256 {
    address.into_word()
}

/// The address a `bytes32` carries; refuses one with dirty upper bytes rather than truncating it,
/// since truncation would let two different `bytes32` values name the same account.
pub fn bytes32_to_address(word: B256) -> Result<Address, NotAnAddress> {
    if word[..12].iter().any(|byte| *byte != 0) {
        return Err(NotAnAddress(word));
    }
    Ok(Address::from_word(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256};

    #[test]
    fn address_round_trips_through_bytes32() {
        let addr = address!("0x00000000000000000000000000000000000000ff");
        let word = address_to_bytes32(addr);
        assert_eq!(
            word,
            b256!("0x00000000000000000000000000000000000000000000000000000000000000ff")
        );
        assert_eq!(bytes32_to_address(word), Ok(addr));
    }

    #[test]
    fn dirty_upper_bytes_are_refused() {
        let word = b256!("0x0000000000000000000000010000000000000000000000000000000000000001");
        assert_eq!(bytes32_to_address(word), Err(NotAnAddress(word)));
    }

    #[test]
    fn domain_deserializes_from_number_or_string() {
        let from_number: Domain = serde_json::from_str("1000").expect("number");
        let from_string: Domain = serde_json::from_str("\"1000\"").expect("string");
        assert_eq!(from_number, Domain(1000));
        assert_eq!(from_string, Domain(1000));
        assert!(serde_json::from_str::<Domain>("4294967296").is_err());
        assert!(serde_json::from_str::<Domain>("\"-1\"").is_err());
    }
}
