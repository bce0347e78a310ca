//! A throwaway PostgreSQL server for a test, through `tools/postgres-test.sh` (which installs
//! Debian's `postgresql` first if it is missing): on 127.0.0.1, under a temporary directory,
//! stopped and deleted when dropped.

#![allow(dead_code)]

use std::{path::PathBuf, process::Command};
use tempfile::TempDir;

/// A running server; stopped on drop.
pub struct TestPostgres {
    dir: TempDir,
    /// Its URL, `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub url: String,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tools/postgres-test.sh")
}

impl TestPostgres {
    /// Starts a server, panicking with the script's output if it cannot.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let output = Command::new("sh")
            .arg(script())
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("runs tools/postgres-test.sh");
        assert!(
            output.status.success(),
            "tools/postgres-test.sh start failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let url = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        assert!(
            url.starts_with("postgres://postgres@127.0.0.1:"),
            "a loopback URL, got {url:?}"
        );
        Self { dir, url }
    }

    /// Where a test keeps the cursors' SQLite file.
    pub fn state_path(&self) -> PathBuf {
        self.dir.path().join("cursors.sqlite")
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .arg(script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}
