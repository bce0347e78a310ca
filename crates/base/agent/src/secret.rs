//! Signing keys: where they come from, and types that keep them out of logs.

use alloy::signers::local::PrivateKeySigner;
use nxtp_primitives::redact_keys;
use serde::Deserialize;
use std::{fmt, path::PathBuf};
use zeroize::Zeroize;

/// Text that must never be logged, such as a private key or a password: `Debug` and `Display`
/// print `<redacted>`, and the memory is wiped on drop.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret itself, for the one call that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where an agent's signing key comes from, as written in its config:
///
/// ```toml
/// signer = { env = "UPDATER_KEY" }                                     # hex key in a variable
/// signer = { hex = "0x..." }                                           # inline, for devnets
/// signer = { keystore = { path = "key.json", password_env = "PASS" } } # encrypted JSON keystore
/// ```
#[derive(Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeySource {
    /// A hex private key in the named environment variable.
    Env(String),
    /// A hex private key written in the config itself.
    Hex(SecretString),
    /// An encrypted JSON keystore (Web3 Secret Storage), unlocked by a password read from an
    /// environment variable.
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// The environment variable holding its password.
        password_env: String,
    },
}

/// Why a signing key could not be loaded. Messages name where the key was looked for, never
/// any part of it.
#[derive(thiserror::Error)]
pub enum SecretError {
    /// The environment variable is not set (or not UTF-8). A name that looks like a key (a key
    /// given where a variable's name was expected) is shown redacted.
    #[error("environment variable {} is not set", redact_keys(.0))]
    MissingEnv(String),
    /// The text is not a secp256k1 private key. The parser's own error is dropped on purpose:
    /// it can quote the offending character and its position.
    #[error("{} does not hold a valid private key (expected 32 bytes of hex)", redact_keys(.0))]
    InvalidKey(String),
    /// The keystore could not be read or decrypted.
    #[error("cannot unlock keystore {}: {}", path.display(), redact_keys(reason))]
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// Why it failed (I/O, format, or wrong password).
        reason: String,
    },
}

/// Like the derived form, with key-shaped text redacted as in the messages.
impl fmt::Debug for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingEnv(name) => f
                .debug_tuple("MissingEnv")
                .field(&redact_keys(name))
                .finish(),
            Self::InvalidKey(origin) => f
                .debug_tuple("InvalidKey")
                .field(&redact_keys(origin))
                .finish(),
            Self::Keystore { path, reason } => f
                .debug_struct("Keystore")
                .field("path", path)
                .field("reason", &redact_keys(reason))
                .finish(),
        }
    }
}

impl KeySource {
    /// Loads the key, reading environment variables from the process environment.
    pub fn load(&self) -> Result<PrivateKeySigner, SecretError> {
        self.load_with_env(|name| std::env::var(name).ok())
    }

    /// Loads the key, reading environment variables through `env`.
    pub fn load_with_env(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<PrivateKeySigner, SecretError> {
        let read_env = |name: &String| {
            env(name)
                .map(SecretString::new)
                .ok_or_else(|| SecretError::MissingEnv(name.clone()))
        };
        match self {
            Self::Env(name) => {
                parse_key(&read_env(name)?, || format!("environment variable {name}"))
            }
            Self::Hex(key) => parse_key(key, || "the inline hex key".to_owned()),
            Self::Keystore { path, password_env } => {
                let password = read_env(password_env)?;
                PrivateKeySigner::decrypt_keystore(path, password.expose()).map_err(|err| {
                    SecretError::Keystore {
                        path: path.clone(),
                        reason: err.to_string(),
                    }
                })
            }
        }
    }
}

/// Like the derived form, but a variable name that looks like a key is redacted (configs are
/// `Debug`, and a key is sometimes pasted where its variable's name goes).
impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(name) => f.debug_tuple("Env").field(&redact_keys(name)).finish(),
            Self::Hex(key) => f.debug_tuple("Hex").field(key).finish(),
            Self::Keystore { path, password_env } => f
                .debug_struct("Keystore")
                .field("path", path)
                .field("password_env", &redact_keys(password_env))
                .finish(),
        }
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(name) => write!(f, "key in environment variable {}", redact_keys(name)),
            Self::Hex(_) => f.write_str("inline hex key <redacted>"),
            Self::Keystore { path, .. } => write!(f, "keystore {}", path.display()),
        }
    }
}

fn parse_key(
    key: &SecretString,
    origin: impl Fn() -> String,
) -> Result<PrivateKeySigner, SecretError> {
    // Keys pasted into files or variables often carry a trailing newline.
    key.expose()
        .trim()
        .parse()
        .map_err(|_| SecretError::InvalidKey(origin()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Anvil's first development key: public knowledge, test use only.
    const KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    const ADDRESS: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn assert_hidden(text: &str) {
        assert!(!text.contains(KEY), "key leaked: {text}");
        assert!(!text.contains(&KEY[..16]), "key prefix leaked: {text}");
    }

    #[test]
    fn debug_and_display_never_show_the_key() {
        let secret = SecretString::new(format!("0x{KEY}"));
        assert_hidden(&format!("{secret:?} {secret} {secret:#?}"));

        let source: KeySource =
            toml::from_str::<toml::Table>(&format!("signer = {{ hex = \"0x{KEY}\" }}"))
                .and_then(|mut table| {
                    table
                        .remove("signer")
                        .unwrap_or(toml::Value::Boolean(false))
                        .try_into()
                })
                .expect("hex source deserializes");
        assert_hidden(&format!("{source:?} {source} {source:#?}"));

        let signer = source.load_with_env(no_env).expect("valid key");
        assert_hidden(&format!("{signer:?}"));
        assert_eq!(signer.address().to_string(), ADDRESS);
    }

    #[test]
    fn invalid_key_errors_do_not_quote_it() {
        let almost = format!("0x{}zz", &KEY[..62]);
        let err = KeySource::Hex(SecretString::new(almost))
            .load_with_env(no_env)
            .expect_err("not hex");
        assert!(matches!(err, SecretError::InvalidKey(_)));
        assert_hidden(&err.to_string());
        assert_hidden(&format!("{err:?}"));
    }

    #[test]
    fn loads_from_env_with_trailing_newline() {
        let env = |name: &str| (name == "UPDATER_KEY").then(|| format!("0x{KEY}\n"));
        let signer = KeySource::Env("UPDATER_KEY".into())
            .load_with_env(env)
            .expect("key from env");
        assert_eq!(signer.address().to_string(), ADDRESS);
        assert!(matches!(
            KeySource::Env("ABSENT".into()).load_with_env(env),
            Err(SecretError::MissingEnv(name)) if name == "ABSENT"
        ));
    }

    #[test]
    fn a_key_given_as_a_variable_name_is_never_echoed() {
        let source = KeySource::Env(format!("0x{KEY}"));
        let err = source.load_with_env(no_env).expect_err("no such variable");
        assert!(matches!(err, SecretError::MissingEnv(_)));
        assert_hidden(&err.to_string());
        assert_hidden(&source.to_string());
        assert_hidden(&format!("{source:?} {err:?}"));
        assert!(
            err.to_string().contains("<redacted 64 hex digits>"),
            "{err}"
        );
        let set = |_: &str| Some("not a key".to_owned());
        assert_hidden(&source.load_with_env(set).expect_err("bad").to_string());
    }

    #[test]
    fn loads_from_encrypted_keystore() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = alloy::primitives::hex::decode(KEY).expect("hex");
        PrivateKeySigner::encrypt_keystore(
            dir.path(),
            &mut rand::thread_rng(),
            &key,
            "correct horse",
            Some("updater.json"),
        )
        .expect("encrypts");
        let path = dir.path().join("updater.json");
        let source = KeySource::Keystore {
            path: path.clone(),
            password_env: "KEYSTORE_PASSWORD".into(),
        };

        let right = |_: &str| Some("correct horse".to_owned());
        let signer = source.load_with_env(right).expect("unlocks");
        assert_eq!(signer.address().to_string(), ADDRESS);

        let wrong = |_: &str| Some("battery staple".to_owned());
        assert!(matches!(
            source.load_with_env(wrong),
            Err(SecretError::Keystore { .. })
        ));
        assert!(matches!(
            source.load_with_env(no_env),
            Err(SecretError::MissingEnv(_))
        ));
        assert_eq!(source.to_string(), format!("keystore {}", path.display()));
    }
}
