//! Agent configuration: a TOML file, then environment overrides, then typed deserialization
//! whose errors name the offending field.
//!
//! An override `NXTP__CHAINS__1000__RPC_URL=http://...` sets `chains.1000.rpc_url`: the name
//! after the prefix is split on `__` and lowercased, and missing tables are created. Values
//! that read as a TOML boolean, decimal number, quoted string, array or inline table take that
//! type; anything else, including `0x...` hex, stays a string, because in this project hex is
//! always an address, hash or key, never a number. Quote a value (`'"1000"'`) to force a
//! string.

#[doc(hidden)]
pub mod testing;

use nxtp_primitives::redact_keys;
use serde::de::DeserializeOwned;
use std::{
    fs, io,
    path::{Path, PathBuf},
};
use toml::{Table, Value};

/// Prefix of the environment variables that override configuration.
pub const ENV_PREFIX: &str = "NXTP__";

/// Separator between path segments in an override's name.
const ENV_SEPARATOR: &str = "__";

/// Why configuration could not be loaded.
#[derive(thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {}: {source}", redact_keys(&path.display().to_string()))]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O failure.
        source: io::Error,
    },
    /// The file is not TOML.
    #[error(
        "config {} is not valid TOML: {}",
        redact_keys(&path.display().to_string()),
        redact_keys(&error.to_string())
    )]
    Syntax {
        /// The config file.
        path: PathBuf,
        /// Where and why parsing failed. Not the error's `source`: its text quotes the line,
        /// which the message shows redacted and a cause chain would show whole.
        error: toml::de::Error,
    },
    /// An environment override could not be applied.
    #[error("environment override {}: {}", redact_keys(var), redact_keys(reason))]
    Override {
        /// The variable's name.
        var: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A field is missing, unknown or has a bad value.
    #[error(
        "{field}: {} (config {})",
        redact_keys(message),
        redact_keys(&path.display().to_string())
    )]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// Dotted path to the field, e.g. `chains.1000.rpc_url`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// The message itself (whose quoted values are redacted), not the fields: a derived form would
/// print a parser's text, which can quote a key, whole.
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConfigError({self})")
    }
}

/// Loads `path` into `T`, applying overrides from the process environment.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let mut overrides = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str().filter(|name| name.starts_with(ENV_PREFIX)) else {
            continue;
        };
        let value = value.into_string().map_err(|_| ConfigError::Override {
            var: name.to_owned(),
            reason: "value is not UTF-8".to_owned(),
        })?;
        overrides.push((name.to_owned(), value));
    }
    load_with_env(path, overrides)
}

/// Loads `path` into `T`, applying the given `(name, value)` overrides; names without
/// [`ENV_PREFIX`] are ignored, so a whole environment may be passed.
pub fn load_with_env<T: DeserializeOwned>(
    path: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<T, ConfigError> {
    let text = fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_with_env(&text, path, env)
}

/// Parses config `text` into `T` with no overrides, as [`load`] parses a file: the plain decoder
/// for tests and fuzzing. Errors name the file as `<string>`.
pub fn parse_str<T: DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    parse_with_env(text, Path::new("<string>"), [])
}

/// Parses config `text` (read from `path`, which errors name) into `T`, applying the given
/// `(name, value)` overrides as [`load_with_env`] does.
pub fn parse_with_env<T: DeserializeOwned>(
    text: &str,
    path: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<T, ConfigError> {
    let mut table: Table = toml::from_str(text).map_err(|error| ConfigError::Syntax {
        path: path.to_owned(),
        error,
    })?;
    // Sorted so that overlapping overrides (`A` and `A__B`) meet in the same order every run.
    let mut env: Vec<_> = env
        .into_iter()
        .filter(|(var, _)| var.starts_with(ENV_PREFIX))
        .collect();
    env.sort();
    for (var, value) in env {
        if let Some(key) = var.strip_prefix(ENV_PREFIX) {
            apply_override(&mut table, key, &value).map_err(|reason| ConfigError::Override {
                var: var.clone(),
                reason,
            })?;
        }
    }
    serde_path_to_error::deserialize(table).map_err(|err| {
        let field = err.path().to_string();
        ConfigError::Invalid {
            path: path.to_owned(),
            field: if field == "." {
                "(top level)".to_owned()
            } else {
                field
            },
            message: err.into_inner().message().to_owned(),
        }
    })
}

/// Reads a wei amount written as a decimal string of any size (`"1000000000000000"`) or a
/// non-negative TOML integer: `#[serde(deserialize_with = "nxtp_agent::config::wei")]`. Hex is
/// refused (in configs hex is an address, hash or key).
pub fn wei<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<alloy::primitives::U256, D::Error> {
    use serde::de::Error;

    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Written {
        Integer(u64),
        Decimal(String),
    }

    match <Written as serde::Deserialize>::deserialize(deserializer)? {
        Written::Integer(value) => Ok(alloy::primitives::U256::from(value)),
        Written::Decimal(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            alloy::primitives::U256::from_str_radix(&text, 10).map_err(D::Error::custom)
        }
        Written::Decimal(text) => Err(D::Error::custom(format!(
            "`{}` is not a wei amount (a decimal string or an integer)",
            redact_keys(&text)
        ))),
    }
}

fn apply_override(root: &mut Table, key: &str, raw: &str) -> Result<(), String> {
    let segments: Vec<String> = key.split(ENV_SEPARATOR).map(str::to_lowercase).collect();
    if segments.iter().any(String::is_empty) {
        return Err("empty path segment".to_owned());
    }
    let Some((last, parents)) = segments.split_last() else {
        return Err("empty path".to_owned());
    };
    let mut table = root;
    for (depth, segment) in parents.iter().enumerate() {
        let entry = table
            .entry(segment.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        table = match entry {
            Value::Table(inner) => inner,
            _ => return Err(format!("{} is not a table", segments[..=depth].join("."))),
        };
    }
    table.insert(last.clone(), parse_value(raw));
    Ok(())
}

/// Reads `raw` as a typed TOML value when it looks like one (see the module docs), else as a
/// string.
fn parse_value(raw: &str) -> Value {
    let is_hex = ["0x", "0o", "0b", "+0x", "-0x"]
        .iter()
        .any(|prefix| raw.starts_with(prefix));
    let looks_typed = matches!(raw, "true" | "false")
        || raw.starts_with(['"', '\'', '[', '{'])
        || (!is_hex && raw.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+'));
    if looks_typed {
        let parsed = toml::from_str::<Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut table| table.remove("v"));
        // A datetime is never intended here: `2024-01-01` is more likely a name than a date.
        if let Some(value) = parsed.filter(|value| !value.is_datetime()) {
            return value;
        }
    }
    Value::String(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_primitives::Domain;
    use serde::{de, Deserialize, Deserializer};
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TestConfig {
        name: String,
        chains: BTreeMap<Domain, ChainConfig>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ChainConfig {
        rpc_url: HttpUrl,
        confirmations: u64,
        #[serde(default)]
        enabled: bool,
        #[serde(default)]
        key: Option<String>,
    }

    #[derive(Debug, PartialEq)]
    struct HttpUrl(String);

    impl<'de> Deserialize<'de> for HttpUrl {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let url = String::deserialize(deserializer)?;
            if url.starts_with("http://") || url.starts_with("https://") {
                Ok(Self(url))
            } else {
                Err(de::Error::custom("invalid URL"))
            }
        }
    }

    const VALID: &str = r#"
        name = "updater"
        [chains.1000]
        rpc_url = "http://127.0.0.1:8545"
        confirmations = 1
    "#;

    fn load_str(text: &str, env: &[(&str, &str)]) -> Result<TestConfig, ConfigError> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        testing::load_str_with_env(text, env)
    }

    fn invalid_field(err: ConfigError) -> (String, String) {
        match err {
            ConfigError::Invalid { field, message, .. } => (field, message),
            other => panic!("expected an invalid field, got {other}"),
        }
    }

    #[test]
    fn loads_a_valid_file() {
        let config = load_str(VALID, &[]).expect("valid");
        assert_eq!(config.name, "updater");
        let chain = &config.chains[&Domain(1000)];
        assert_eq!(chain.rpc_url, HttpUrl("http://127.0.0.1:8545".into()));
        assert_eq!(chain.confirmations, 1);
    }

    #[test]
    fn bad_value_names_its_path() {
        let text = VALID.replace("http://127.0.0.1:8545", "ftp://nope");
        let err = load_str(&text, &[]).expect_err("bad url");
        assert!(err
            .to_string()
            .starts_with("chains.1000.rpc_url: invalid URL"));
        let (field, message) = invalid_field(err);
        assert_eq!(field, "chains.1000.rpc_url");
        assert_eq!(message, "invalid URL");
    }

    #[test]
    fn missing_and_unknown_fields_name_their_table() {
        let missing = VALID.replace("confirmations = 1", "");
        let (field, message) = invalid_field(load_str(&missing, &[]).expect_err("missing"));
        assert_eq!(field, "chains.1000");
        assert!(message.contains("confirmations"), "{message}");

        let unknown = format!("{VALID}\nconfirmatoins = 2");
        let (field, message) = invalid_field(load_str(&unknown, &[]).expect_err("unknown"));
        assert_eq!(field, "chains.1000.confirmatoins");
        assert!(message.contains("unknown field"), "{message}");

        let (field, _) = invalid_field(load_str("[chains]", &[]).expect_err("no name"));
        assert_eq!(field, "(top level)");
    }

    #[test]
    fn syntax_and_io_errors_are_reported() {
        assert!(matches!(
            load_str("name = ", &[]),
            Err(ConfigError::Syntax { .. })
        ));
        let missing = load_with_env::<TestConfig>(Path::new("/nonexistent/nxtp.toml"), []);
        assert!(matches!(missing, Err(ConfigError::Read { .. })));
    }

    #[test]
    fn env_overrides_nest_and_parse_scalars() {
        let config = load_str(
            VALID,
            &[
                ("NXTP__CHAINS__1000__CONFIRMATIONS", "12"),
                ("NXTP__CHAINS__1000__ENABLED", "true"),
                (
                    "NXTP__CHAINS__2000__RPC_URL",
                    "https://example.org:8545/rpc",
                ),
                ("NXTP__CHAINS__2000__CONFIRMATIONS", "3"),
                ("NXTP__CHAINS__2000__KEY", "0xac09"),
                ("OTHER__NAME", "ignored"),
            ],
        )
        .expect("overrides apply");
        let first = &config.chains[&Domain(1000)];
        assert_eq!(first.confirmations, 12);
        assert!(first.enabled);
        let second = &config.chains[&Domain(2000)];
        assert_eq!(
            second.rpc_url,
            HttpUrl("https://example.org:8545/rpc".into())
        );
        assert_eq!(second.key.as_deref(), Some("0xac09"));
        assert_eq!(config.name, "updater");
    }

    #[test]
    fn quoted_override_forces_a_string() {
        let config =
            load_str(VALID, &[("NXTP__NAME", "\"1234\"")]).expect("quoted string override");
        assert_eq!(config.name, "1234");
        let (field, _) =
            invalid_field(load_str(VALID, &[("NXTP__NAME", "1234")]).expect_err("integer"));
        assert_eq!(field, "name");
    }

    #[test]
    fn override_through_a_scalar_is_refused() {
        let err = load_str(VALID, &[("NXTP__NAME__INNER", "x")]).expect_err("name is a string");
        match err {
            ConfigError::Override { var, reason } => {
                assert_eq!(var, "NXTP__NAME__INNER");
                assert_eq!(reason, "name is not a table");
            }
            other => panic!("expected an override error, got {other}"),
        }
        assert!(matches!(
            load_str(VALID, &[("NXTP__CHAINS____X", "1")]),
            Err(ConfigError::Override { .. })
        ));
    }

    #[test]
    fn wei_amounts_are_decimal_strings_or_integers() {
        #[derive(Debug, Deserialize)]
        struct Fee {
            #[serde(deserialize_with = "wei")]
            fee: alloy::primitives::U256,
        }
        let fee = |text: &str| parse_str::<Fee>(text).map(|fee| fee.fee);
        assert_eq!(
            fee("fee = \"1000000000000000000000\"").expect("decimal"),
            alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(21))
        );
        assert_eq!(
            fee("fee = 7").expect("integer"),
            alloy::primitives::U256::from(7)
        );
        for bad in ["fee = \"0x10\"", "fee = -1", "fee = \"\"", "fee = \"1.5\""] {
            let (field, _) = invalid_field(fee(bad).expect_err(bad));
            assert_eq!(field, "fee", "{bad}");
        }
    }

    #[test]
    fn errors_never_quote_a_key() {
        let key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        let unquoted = format!("{VALID}\nstray = 0x{key}");
        let typed = VALID.replace("confirmations = 1", &format!("confirmations = \"0x{key}\""));
        for err in [
            load_str(&unquoted, &[]).expect_err("not TOML"),
            load_str(&typed, &[]).expect_err("not a number"),
            load_str(VALID, &[("NXTP__NAME__X", key)]).expect_err("through a string"),
            parse_str::<TestConfig>(&format!("name = 0x{key}")).expect_err("not TOML"),
        ] {
            let text = format!("{err} {err:?}");
            assert!(!text.contains(&key[..20]), "{text}");
        }
    }

    #[test]
    fn scalar_parsing_keeps_hex_and_addresses_as_strings() {
        assert_eq!(parse_value("42"), Value::Integer(42));
        assert_eq!(parse_value("-1.5"), Value::Float(-1.5));
        assert_eq!(parse_value("false"), Value::Boolean(false));
        assert_eq!(parse_value("0x10"), Value::String("0x10".into()));
        assert_eq!(
            parse_value("127.0.0.1:9000"),
            Value::String("127.0.0.1:9000".into())
        );
        assert_eq!(
            parse_value("2024-01-01"),
            Value::String("2024-01-01".into())
        );
        assert_eq!(
            parse_value("[1, 2]"),
            Value::Array(vec![Value::Integer(1), Value::Integer(2)])
        );
    }
}
