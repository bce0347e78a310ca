//! Reading addresses people type: a mixed-case address must carry a valid EIP-55 checksum, so a
//! one-character typo in a checksummed address is refused instead of sending funds to it.
//! All-lowercase and all-uppercase hex carry no checksum and are accepted as they are.
//!
//! [`parse_checked_address`] is the one parser; [`CheckedAddress`] and the serde helpers in
//! [`checked`] use it, so configs, manifests and API bodies refuse the same inputs the CLI
//! refuses.
//!
//! ```
//! use nxtp_primitives::{parse_checked_address, AddressError};
//!
//! let checksummed = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
//! assert!(parse_checked_address(checksummed).is_ok());
//! assert!(parse_checked_address(&checksummed.to_lowercase()).is_ok());
//! // One digit off (`…79C9`): the case no longer matches the checksum.
//! let typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";
//! assert!(matches!(
//!     parse_checked_address(typo),
//!     Err(AddressError::BadChecksum { .. })
//! ));
//! ```

use alloy::primitives::Address;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{fmt, str::FromStr};

/// Why text is not an address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not `0x` followed by 40 hex digits.
    #[error("`{input}` is not an address (expected 0x followed by 40 hex digits)")]
    Malformed {
        /// The text as given (shortened when long).
        input: String,
    },
    /// Mixed case whose EIP-55 checksum does not match: most likely a typo.
    #[error(
        "`{input}` fails its EIP-55 checksum (a typo?): the checksummed form of these digits is \
         `{expected}`; write the address checksummed or all in lower case"
    )]
    BadChecksum {
        /// The text as given.
        input: String,
        /// The checksummed spelling of the same 20 bytes.
        expected: String,
    },
}

/// The longest input quoted back in an error; longer text is cut, so an error never echoes a
/// long value (such as a key pasted into the wrong place) whole.
const QUOTED_MAX: usize = 42;

fn quoted(input: &str) -> String {
    if input.chars().count() <= QUOTED_MAX {
        input.to_owned()
    } else {
        let head: String = input.chars().take(10).collect();
        format!("{head}… ({} characters)", input.chars().count())
    }
}

/// Parses `0x` + 40 hex digits; refuses mixed case whose EIP-55 checksum fails. Surrounding
/// whitespace is ignored.
pub fn parse_checked_address(input: &str) -> Result<Address, AddressError> {
    let text = input.trim();
    let malformed = || AddressError::Malformed {
        input: quoted(text),
    };
    let digits = text.strip_prefix("0x").ok_or_else(malformed)?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed());
    }
    let address = Address::from_str(digits).map_err(|_| malformed())?;
    let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        let expected = address.to_checksum(None);
        if expected[2..] != *digits {
            return Err(AddressError::BadChecksum {
                input: text.to_owned(),
                expected,
            });
        }
    }
    Ok(address)
}

/// An [`Address`] read with [`parse_checked_address`]; serializes as alloy does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckedAddress(pub Address);

impl FromStr for CheckedAddress {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_checked_address(text).map(Self)
    }
}

impl fmt::Display for CheckedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<CheckedAddress> for Address {
    fn from(address: CheckedAddress) -> Self {
        address.0
    }
}

impl<'de> Deserialize<'de> for CheckedAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = CheckedAddress;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 0x-prefixed 20-byte hex address (EIP-55 checksummed or lower case)")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                parse_checked_address(text)
                    .map(CheckedAddress)
                    .map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl Serialize for CheckedAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Serde helpers that read [`Address`] fields through [`parse_checked_address`] and write them
/// as alloy does (lower-case hex, which reads back): `#[serde(with = "nxtp_primitives::checked")]`, or one of the
/// submodules for an `Option`, a `Vec` or a map's values.
pub mod checked {
    use super::CheckedAddress;
    use alloy::primitives::Address;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Reads one address.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Address, D::Error> {
        CheckedAddress::deserialize(deserializer).map(Address::from)
    }

    /// Writes one address.
    pub fn serialize<S: Serializer>(address: &Address, serializer: S) -> Result<S::Ok, S::Error> {
        address.serialize(serializer)
    }

    /// For `Option<Address>` fields (add `#[serde(default)]` when the field may be missing).
    pub mod option {
        use super::*;

        /// Reads an optional address.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Address>, D::Error> {
            Ok(Option::<CheckedAddress>::deserialize(deserializer)?.map(Address::from))
        }

        /// Writes an optional address.
        pub fn serialize<S: Serializer>(
            address: &Option<Address>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            address.serialize(serializer)
        }
    }

    /// For `Vec<Address>` fields.
    pub mod vec {
        use super::*;

        /// Reads a list of addresses.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Vec<Address>, D::Error> {
            Ok(Vec::<CheckedAddress>::deserialize(deserializer)?
                .into_iter()
                .map(Address::from)
                .collect())
        }

        /// Writes a list of addresses.
        pub fn serialize<S: Serializer>(
            addresses: &[Address],
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            addresses.serialize(serializer)
        }
    }

    /// For `Option<Vec<Address>>` fields.
    pub mod option_vec {
        use super::*;

        /// Reads an optional list of addresses.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Vec<Address>>, D::Error> {
            Ok(Option::<Vec<CheckedAddress>>::deserialize(deserializer)?
                .map(|list| list.into_iter().map(Address::from).collect()))
        }

        /// Writes an optional list of addresses.
        pub fn serialize<S: Serializer>(
            addresses: &Option<Vec<Address>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            addresses.serialize(serializer)
        }
    }

    /// For `BTreeMap<K, Address>` fields: the values are addresses.
    pub mod map {
        use super::*;
        use std::collections::BTreeMap;

        /// Reads a map whose values are addresses.
        pub fn deserialize<'de, D, K>(deserializer: D) -> Result<BTreeMap<K, Address>, D::Error>
        where
            D: Deserializer<'de>,
            K: Deserialize<'de> + Ord,
        {
            Ok(BTreeMap::<K, CheckedAddress>::deserialize(deserializer)?
                .into_iter()
                .map(|(key, address)| (key, address.0))
                .collect())
        }

        /// Writes a map whose values are addresses.
        pub fn serialize<S, K>(map: &BTreeMap<K, Address>, serializer: S) -> Result<S::Ok, S::Error>
        where
            S: Serializer,
            K: Serialize,
        {
            map.serialize(serializer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const CHECKSUMMED: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const TYPO: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";

    #[test]
    fn accepts_checksummed_lower_and_upper_case() {
        let address = parse_checked_address(CHECKSUMMED).expect("checksummed");
        assert_eq!(address.to_string(), CHECKSUMMED);
        assert_eq!(
            parse_checked_address(&CHECKSUMMED.to_lowercase()),
            Ok(address)
        );
        let upper = format!("0x{}", CHECKSUMMED[2..].to_uppercase());
        assert_eq!(parse_checked_address(&upper), Ok(address));
        assert_eq!(
            parse_checked_address(&format!(" {CHECKSUMMED}\n")),
            Ok(address)
        );
    }

    #[test]
    fn refuses_a_typo_naming_the_expected_form() {
        let err = parse_checked_address(TYPO).expect_err("typo");
        let expected = parse_checked_address(&TYPO.to_lowercase())
            .expect("lower case")
            .to_checksum(None);
        assert_eq!(
            err,
            AddressError::BadChecksum {
                input: TYPO.to_owned(),
                expected: expected.clone(),
            }
        );
        let text = err.to_string();
        assert!(text.contains(TYPO) && text.contains(&expected), "{text}");
        // A flipped case alone is a checksum failure too.
        let flipped = CHECKSUMMED.replacen('C', "c", 1);
        assert!(matches!(
            parse_checked_address(&flipped),
            Err(AddressError::BadChecksum { .. })
        ));
    }

    #[test]
    fn refuses_malformed_text_without_quoting_long_values() {
        for bad in [
            "",
            "0x1234",
            &CHECKSUMMED[2..],
            "0x70997970C51812dc3A010C7d01b50e0d17dc79CZ",
            "0X70997970C51812dc3A010C7d01b50e0d17dc79C8",
        ] {
            assert!(
                matches!(
                    parse_checked_address(bad),
                    Err(AddressError::Malformed { .. })
                ),
                "{bad}"
            );
        }
        let key = format!("0x{}", "ab".repeat(32));
        let text = parse_checked_address(&key).expect_err("a key").to_string();
        assert!(!text.contains(&key[4..30]), "{text}");
    }

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    struct Fields {
        #[serde(with = "checked")]
        one: Address,
        #[serde(default, with = "checked::option")]
        maybe: Option<Address>,
        #[serde(default, with = "checked::vec")]
        list: Vec<Address>,
        #[serde(default, with = "checked::option_vec")]
        maybe_list: Option<Vec<Address>>,
        #[serde(default, with = "checked::map")]
        by_domain: BTreeMap<u32, Address>,
    }

    #[test]
    fn serde_helpers_check_every_shape() {
        let good: Fields = serde_json::from_str(&format!(
            r#"{{"one":"{CHECKSUMMED}","maybe":null,"list":["{CHECKSUMMED}"],
                "maybe_list":["{lower}"],"by_domain":{{"1000":"{CHECKSUMMED}"}}}}"#,
            lower = CHECKSUMMED.to_lowercase()
        ))
        .expect("valid");
        let written = serde_json::to_string(&good).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Fields>(&written).expect("round trip"),
            good
        );

        let shapes = [
            format!(r#"{{"one":"{TYPO}"}}"#),
            format!(r#"{{"one":"{CHECKSUMMED}","maybe":"{TYPO}"}}"#),
            format!(r#"{{"one":"{CHECKSUMMED}","list":["{TYPO}"]}}"#),
            format!(r#"{{"one":"{CHECKSUMMED}","maybe_list":["{TYPO}"]}}"#),
            format!(r#"{{"one":"{CHECKSUMMED}","by_domain":{{"1":"{TYPO}"}}}}"#),
        ];
        for text in shapes {
            let err = serde_json::from_str::<Fields>(&text).expect_err(&text);
            assert!(err.to_string().contains("EIP-55"), "{err}");
        }
    }
}
