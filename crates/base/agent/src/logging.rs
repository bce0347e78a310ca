//! Process-wide `tracing` output.

use serde::Deserialize;
use std::io::IsTerminal;
use tracing_subscriber::{filter::ParseError, EnvFilter};

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal.
    #[default]
    Plain,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The filter directive does not parse.
    #[error("invalid log filter {filter:?}: {source}")]
    Filter {
        /// The directive, e.g. `info,nxtp_agent=debug`.
        filter: String,
        /// Why it does not parse.
        source: ParseError,
    },
    /// Something in this process already installed a global subscriber, e.g. a test harness or
    /// a supervisor running several agents; its output stays in effect.
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled,
}

/// Installs the global subscriber, writing to stderr so that stdout stays free for a command's
/// own output. `filter` uses `EnvFilter` syntax; it comes from config (overridable like any
/// field), not from `RUST_LOG`, so there is one place to look.
pub fn init_logging(format: LogFormat, filter: &str) -> Result<(), LoggingError> {
    let env_filter = EnvFilter::try_new(filter).map_err(|source| LoggingError::Filter {
        filter: filter.to_owned(),
        source,
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Plain => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|_| LoggingError::AlreadyInstalled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_filter_is_refused_before_installing() {
        assert!(matches!(
            init_logging(LogFormat::Plain, "info,=debug=="),
            Err(LoggingError::Filter { .. })
        ));
    }

    #[test]
    fn format_reads_from_config_text() {
        #[derive(Deserialize)]
        struct Section {
            format: LogFormat,
        }
        let json: Section = toml::from_str("format = \"json\"").expect("json");
        assert_eq!(json.format, LogFormat::Json);
        assert!(toml::from_str::<Section>("format = \"xml\"").is_err());
    }
}
