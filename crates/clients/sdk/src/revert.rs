//! Contract reverts, decoded into the custom error that caused them and shown by name with arguments.

use alloy::{
    primitives::{Address, Bytes},
    sol_types::{GenericContractError, SolInterface},
    transports::TransportError,
};
use nxtp_bindings::{BridgeToken, Connext, DemoReceiver, DemoToken};
use std::fmt;

/// Why a contract call reverted: the custom error's name and its arguments, as in
/// `AssetNotApproved(asset: 0x5FbD…)`, or the raw revert data when no known contract declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revert {
    /// The error's name (`AssetNotApproved`), or `unknown` when it could not be decoded.
    pub name: String,
    /// `name: value` pairs, in declaration order.
    pub args: Vec<(String, String)>,
    /// The undecoded revert data.
    pub data: Bytes,
}

impl Revert {
    /// Decodes revert data against `Connext`'s errors, then the tokens' (`DemoToken`, `BridgeToken`), the
    /// devnet's `DemoReceiver`'s, then Solidity's `Error(string)` and `Panic(uint256)`.
    pub fn decode(data: Bytes) -> Self {
        let described = Connext::ConnextErrors::abi_decode(&data)
            .map(|error| describe(&error))
            .or_else(|_| {
                DemoToken::DemoTokenErrors::abi_decode(&data).map(|error| describe(&error))
            })
            .or_else(|_| {
                BridgeToken::BridgeTokenErrors::abi_decode(&data).map(|error| describe(&error))
            })
            .or_else(|_| {
                DemoReceiver::DemoReceiverErrors::abi_decode(&data).map(|error| describe(&error))
            })
            .or_else(|_| GenericContractError::abi_decode(&data).map(|error| generic(&error)));
        let (name, args) = described.unwrap_or_else(|_| ("unknown".to_owned(), Vec::new()));
        Self { name, args, data }
    }

    /// The decoded revert of a failed call or gas estimate, if the node returned revert data.
    pub fn from_transport(error: &TransportError) -> Option<Self> {
        error
            .as_error_resp()
            .and_then(|payload| payload.as_revert_data())
            .map(Self::decode)
    }

    /// The decoded revert of a failed contract call, if it reverted.
    pub fn from_contract(error: &alloy::contract::Error) -> Option<Self> {
        error.as_revert_data().map(Self::decode)
    }
}

/// `text` with every revert data it quotes as 0x-hex (a 4-byte selector and whole 32-byte words, as another agent
/// may report a revert it could not decode) replaced by its decoded error, when a known contract declares it.
///
/// ```
/// use nxtp_sdk::revert::decode_quoted_reverts;
///
/// // `Error(string)` with "paused".
/// let data = "0x08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000067061757365640000000000000000000000000000000000000000000000000000";
/// assert_eq!(
///     decode_quoted_reverts(&format!("the execute failed (the call reverts with data {data})")),
///     "the execute failed (the call reverts with data 0x08c379a0: Error(reason: \"paused\"))"
/// );
/// assert_eq!(decode_quoted_reverts("no hex here"), "no hex here");
/// ```
pub fn decode_quoted_reverts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("0x") {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let hex_len = candidate[2..]
            .bytes()
            .take_while(u8::is_ascii_hexdigit)
            .count();
        let token = &candidate[..2 + hex_len];
        let shaped_like_revert = hex_len >= 8 && (hex_len - 8) % 64 == 0;
        let decoded = shaped_like_revert
            .then(|| token.parse::<Bytes>().ok())
            .flatten()
            .map(Revert::decode)
            .filter(|revert| revert.name != "unknown");
        match decoded {
            Some(revert) => {
                out.push_str(&token[..10]);
                out.push_str(": ");
                out.push_str(&revert.to_string());
            }
            None => out.push_str(token),
        }
        rest = &candidate[token.len()..];
    }
    out.push_str(rest);
    out
}

impl fmt::Display for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name == "unknown" {
            return write!(f, "unknown error (revert data {})", self.data);
        }
        f.write_str(&self.name)?;
        if self.args.is_empty() {
            return Ok(());
        }
        f.write_str("(")?;
        for (i, (name, value)) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}: {value}")?;
        }
        f.write_str(")")
    }
}

/// Splits the derived `Debug` of a generated error enum, `Variant(Variant { a: 1, b: 0x.. })` (or
/// `Variant(Variant)` without arguments), into the name and its `name: value` pairs. The generated structs
/// carry the Solidity parameter names, so this shows the error as it is declared without restating the
/// contracts' fifty-odd errors here.
fn describe(error: &impl fmt::Debug) -> (String, Vec<(String, String)>) {
    let text = format!("{error:?}");
    let inner = text
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(&text);
    let Some((name, fields)) = inner.split_once(" { ") else {
        return (inner.trim().to_owned(), Vec::new());
    };
    let fields = fields.strip_suffix(" }").unwrap_or(fields);
    (name.to_owned(), split_fields(fields))
}

/// `a: 1, b: [0x1, 0x2]` into pairs, splitting only on top-level commas.
fn split_fields(fields: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut push = |field: &str| {
        if let Some((name, value)) = field.split_once(": ") {
            pairs.push((name.trim().to_owned(), checksummed(value.trim())));
        }
    };
    for (i, c) in fields.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                push(&fields[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(&fields[start..]);
    pairs
}

/// `Debug` prints addresses in lower case; people compare them with the checksummed form everywhere else.
fn checksummed(value: &str) -> String {
    match value.parse::<Address>() {
        Ok(address) if value.len() == 42 => address.to_string(),
        _ => value.to_owned(),
    }
}

fn generic(error: &GenericContractError) -> (String, Vec<(String, String)>) {
    match error {
        GenericContractError::Revert(revert) => (
            "Error".to_owned(),
            vec![("reason".to_owned(), format!("{:?}", revert.reason))],
        ),
        GenericContractError::Panic(panic) => (
            "Panic".to_owned(),
            vec![("code".to_owned(), panic.code.to_string())],
        ),
        GenericContractError::CustomError(never) => match *never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{
        primitives::{B256, U256},
        sol_types::{Revert as SolRevert, SolError},
    };

    fn decoded(error: impl SolError) -> Revert {
        Revert::decode(Bytes::from(error.abi_encode()))
    }

    #[test]
    fn connext_errors_show_their_name_and_arguments() {
        let asset = Address::repeat_byte(0xab);
        let revert = decoded(Connext::AssetNotApproved { asset });
        assert_eq!(revert.name, "AssetNotApproved");
        assert_eq!(revert.args, vec![("asset".to_owned(), asset.to_string())]);
        assert_eq!(
            revert.to_string(),
            format!("AssetNotApproved(asset: {asset})")
        );

        let revert = decoded(Connext::InsufficientLiquidity {
            router: asset,
            local: Address::ZERO,
            available: U256::from(7),
            needed: U256::from(9),
        });
        assert_eq!(
            revert.to_string(),
            format!(
                "InsufficientLiquidity(router: {asset}, local: {}, available: 7, needed: 9)",
                Address::ZERO
            )
        );
    }

    #[test]
    fn errors_without_arguments_and_enum_arguments_render() {
        assert_eq!(
            decoded(Connext::ZeroRecipient {}).to_string(),
            "ZeroRecipient"
        );
        let revert = decoded(Connext::InvalidTransferStatus {
            transferId: B256::repeat_byte(1),
            status: 1,
        });
        assert_eq!(revert.name, "InvalidTransferStatus");
        assert_eq!(revert.args.len(), 2);
        assert_eq!(revert.args[0].1, B256::repeat_byte(1).to_string());
    }

    #[test]
    fn token_errors_decode_too() {
        let revert = decoded(DemoToken::InsufficientAllowance {
            spender: Address::ZERO,
            allowed: U256::from(1),
            needed: U256::from(2),
        });
        assert_eq!(revert.name, "InsufficientAllowance");
        assert_eq!(revert.args[2], ("needed".to_owned(), "2".to_owned()));
    }

    #[test]
    fn hex_quoted_in_a_sentence_is_decoded_in_place() {
        let id = B256::repeat_byte(7);
        let data = Bytes::from(DemoReceiver::ZeroBeneficiary { transferId: id }.abi_encode());
        let text =
            format!("the execute failed (the call reverts with data {data}); slow path next");
        assert_eq!(
            decode_quoted_reverts(&text),
            format!(
                "the execute failed (the call reverts with data {}: ZeroBeneficiary(transferId: {id})); slow path next",
                &data.to_string()[..10]
            )
        );
        // Addresses, hashes and undecodable data stay as they are.
        let plain = format!("router {} job {id} data 0xdeadbeef", Address::ZERO);
        assert_eq!(decode_quoted_reverts(&plain), plain);
    }

    #[test]
    fn string_reverts_and_unknown_data() {
        let revert = decoded(SolRevert::from("paused"));
        assert_eq!(revert.to_string(), "Error(reason: \"paused\")");
        let unknown = Revert::decode(Bytes::from_static(&[1, 2, 3, 4]));
        assert_eq!(unknown.name, "unknown");
        assert_eq!(
            unknown.to_string(),
            "unknown error (revert data 0x01020304)"
        );
    }
}
