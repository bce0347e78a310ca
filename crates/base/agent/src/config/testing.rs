//! What every agent's config tests do: load a config text as the agent would load its file,
//! and check that broken texts are refused with an error naming the field and the file.
//!
//! Hidden from the docs: it is for tests only, kept in the library so that every agent's tests
//! share it without a feature.

use super::{load_with_env, ConfigError};
use serde::de::DeserializeOwned;
use std::{
    fs,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

/// Loads `text` into `C` as [`load_with_env`] loads a file (written to a temporary file, no
/// environment overrides).
pub fn load_str<C: DeserializeOwned>(text: &str) -> Result<C, ConfigError> {
    load_str_with_env(text, [])
}

/// Loads `text` into `C` as [`load_with_env`] loads a file, applying the given `(name, value)`
/// environment overrides.
pub fn load_str_with_env<C: DeserializeOwned>(
    text: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<C, ConfigError> {
    let file = TempConfig::write(text);
    load_with_env(file.path(), env)
}

/// Asserts that each `(text, expected)` case is refused with an error that contains `expected`
/// (e.g. the field's path and why) and names the config file.
///
/// # Panics
///
/// When a case loads, or its error misses the expected text or the file's name.
pub fn assert_refused<C: DeserializeOwned>(cases: &[(impl AsRef<str>, &str)]) {
    for (text, expected) in cases {
        let file = TempConfig::write(text.as_ref());
        let Err(err) = load_with_env::<C>(file.path(), []) else {
            panic!("{expected:?}: the config loaded");
        };
        let err = err.to_string();
        assert!(err.contains(expected), "{expected:?} not in {err:?}");
        let named = format!("config {}", file.path().display());
        assert!(err.contains(&named), "the file is not named: {err}");
    }
}

/// A config file in the temporary directory, removed when dropped.
struct TempConfig(PathBuf);

impl TempConfig {
    /// Writes `text` to a file of its own: the process id and a counter keep parallel tests
    /// (threads of one process, or several processes) apart.
    fn write(text: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "nxtp-config-test-{}-{}.toml",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        if let Err(err) = fs::write(&path, text) {
            panic!("cannot write {}: {err}", path.display());
        }
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempConfig {
    fn drop(&mut self) {
        // A file left behind in the temporary directory is harmless; a panic in drop is not.
        let _ = fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        name: String,
    }

    #[test]
    fn loads_a_text_as_its_file_would_load() {
        let config: Config = load_str("name = \"updater\"").expect("valid");
        assert_eq!(config.name, "updater");
    }

    #[test]
    fn overrides_apply() {
        let env = [("NXTP__NAME".to_owned(), "watcher".to_owned())];
        let config: Config = load_str_with_env("name = \"updater\"", env).expect("valid");
        assert_eq!(config.name, "watcher");
    }

    #[test]
    fn refusals_name_the_field_and_the_file() {
        assert_refused::<Config>(&[
            ("name = 1", "name: invalid type"),
            ("nmae = \"x\"", "nmae: unknown field"),
            ("name = ", "is not valid TOML"),
        ]);
    }

    #[test]
    #[should_panic(expected = "the config loaded")]
    fn a_config_that_loads_fails_the_assertion() {
        assert_refused::<Config>(&[("name = \"x\"", "name")]);
    }
}
