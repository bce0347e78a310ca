//! Token amounts as people write them (`1.5` of an 18-decimal token) and as contracts take them (base units).

use alloy::primitives::U256;
use std::{fmt, str::FromStr};

/// An amount as typed: whole tokens with an optional fraction (`1.5`), scaled by the token's decimals, or
/// base units with a `wei` suffix (`1500000000000000000wei`), taken as they are.
///
/// ```
/// use nxtp_sdk::Amount;
/// use alloy::primitives::U256;
///
/// let tokens: Amount = "1.5".parse().unwrap();
/// assert_eq!(tokens.to_base_units(6).unwrap(), U256::from(1_500_000u64));
/// let base: Amount = "42wei".parse().unwrap();
/// assert_eq!(base.to_base_units(18).unwrap(), U256::from(42u64));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Amount {
    /// Whole tokens and a fraction, as written (validated digits, no sign).
    Tokens {
        /// The digits before the point.
        whole: String,
        /// The digits after the point (possibly empty).
        fraction: String,
    },
    /// Base units.
    BaseUnits(U256),
}

/// Why an amount was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a non-negative decimal number.
    #[error("`{0}` is not an amount (expected e.g. 1.5, or base units such as 1500wei)")]
    Malformed(String),
    /// More fractional digits than the token has decimals.
    #[error("`{text}` has more than {decimals} decimal places, the token's precision")]
    TooPrecise {
        /// The amount as typed.
        text: String,
        /// The token's decimals.
        decimals: u8,
    },
    /// Does not fit in 256 bits.
    #[error("`{0}` is too large")]
    TooLarge(String),
    /// Zero.
    #[error("the amount must be more than zero")]
    Zero,
}

impl FromStr for Amount {
    type Err = AmountError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || AmountError::Malformed(text.to_owned());
        let trimmed = text.trim();
        if let Some(digits) = trimmed.strip_suffix("wei") {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            return U256::from_str_radix(digits, 10)
                .map(Self::BaseUnits)
                .map_err(|_| AmountError::TooLarge(text.to_owned()));
        }
        let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
            return Err(malformed());
        }
        Ok(Self::Tokens {
            whole: whole.to_owned(),
            fraction: fraction.to_owned(),
        })
    }
}

impl Amount {
    /// The amount in base units of a token with `decimals` decimals.
    pub fn to_base_units(&self, decimals: u8) -> Result<U256, AmountError> {
        match self {
            Self::BaseUnits(units) => Ok(*units),
            Self::Tokens { whole, fraction } => {
                let text = || format!("{whole}.{fraction}");
                let fraction = fraction.trim_end_matches('0');
                if fraction.len() > usize::from(decimals) {
                    return Err(AmountError::TooPrecise {
                        text: text(),
                        decimals,
                    });
                }
                let padded = format!(
                    "{whole}{fraction}{}",
                    "0".repeat(usize::from(decimals) - fraction.len())
                );
                let padded = padded.trim_start_matches('0');
                if padded.is_empty() {
                    return Ok(U256::ZERO);
                }
                U256::from_str_radix(padded, 10).map_err(|_| AmountError::TooLarge(text()))
            }
        }
    }

    /// [`Amount::to_base_units`], refusing zero: what a transfer or a liquidity move needs.
    pub fn to_positive_base_units(&self, decimals: u8) -> Result<U256, AmountError> {
        match self.to_base_units(decimals)? {
            units if units.is_zero() => Err(AmountError::Zero),
            units => Ok(units),
        }
    }
}

/// Base units shown as tokens with `decimals` decimals, without trailing zeros: `1500000` at 6 decimals is `1.5`.
pub fn format_units(units: U256, decimals: u8) -> String {
    let digits = units.to_string();
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return digits;
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tokens { whole, fraction } if fraction.is_empty() => f.write_str(whole),
            Self::Tokens { whole, fraction } => write!(f, "{whole}.{fraction}"),
            Self::BaseUnits(units) => write!(f, "{units}wei"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(text: &str, decimals: u8) -> Result<U256, AmountError> {
        text.parse::<Amount>()?.to_base_units(decimals)
    }

    #[test]
    fn decimal_strings_scale_by_the_tokens_decimals() {
        assert_eq!(base("1.5", 6), Ok(U256::from(1_500_000u64)));
        assert_eq!(base("1", 18), Ok(U256::from(10u64).pow(U256::from(18u64))));
        assert_eq!(base(".25", 2), Ok(U256::from(25u64)));
        assert_eq!(base("3.", 2), Ok(U256::from(300u64)));
        assert_eq!(base("0.000001", 6), Ok(U256::from(1u64)));
        assert_eq!(base("7", 0), Ok(U256::from(7u64)));
        assert_eq!(
            base("1.10", 1),
            Ok(U256::from(11u64)),
            "trailing zeros are not precision"
        );
        assert_eq!(base("0", 18), Ok(U256::ZERO));
    }

    #[test]
    fn base_units_are_taken_as_they_are() {
        assert_eq!(base("42wei", 18), Ok(U256::from(42u64)));
        assert_eq!(base("42wei", 0), Ok(U256::from(42u64)));
    }

    #[test]
    fn bad_amounts_are_refused_with_a_reason() {
        for text in [
            "", ".", "-1", "1e18", "1,5", "0x10", "abc", "1.2.3", "wei", "1.5wei", " 1 2",
        ] {
            assert_eq!(
                text.parse::<Amount>(),
                Err(AmountError::Malformed(text.to_owned())),
                "{text:?}"
            );
        }
        assert_eq!(
            base("1.0000001", 6),
            Err(AmountError::TooPrecise {
                text: "1.0000001".into(),
                decimals: 6
            })
        );
        let huge = "9".repeat(80);
        assert!(matches!(base(&huge, 0), Err(AmountError::TooLarge(_))));
        assert!(matches!(
            base(&format!("{huge}wei"), 0),
            Err(AmountError::TooLarge(_))
        ));
        let zero: Amount = "0.0".parse().expect("parses");
        assert_eq!(zero.to_positive_base_units(18), Err(AmountError::Zero));
        assert_eq!(
            AmountError::Malformed("x".into()).to_string(),
            "`x` is not an amount (expected e.g. 1.5, or base units such as 1500wei)"
        );
    }

    #[test]
    fn formats_base_units_as_tokens() {
        assert_eq!(format_units(U256::from(1_500_000u64), 6), "1.5");
        assert_eq!(format_units(U256::from(1u64), 6), "0.000001");
        assert_eq!(format_units(U256::ZERO, 18), "0");
        assert_eq!(format_units(U256::from(12u64), 0), "12");
        assert_eq!(format_units(U256::from(3_000_000u64), 6), "3");
    }

    #[test]
    fn parse_and_format_round_trip() {
        for text in ["1.5", "0.000000000000000001", "123456789.123456789", "10"] {
            let units = base(text, 18).expect("parses");
            assert_eq!(format_units(units, 18), text);
        }
    }
}
