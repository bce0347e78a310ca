//! What the tests of the user commands share: running the built `nxtp` binary (checking it never prints a key), and
//! a stand-in sequencer that quotes a fixed relayer fee.

#![allow(dead_code, unreachable_pub)]

use alloy::primitives::B256;
use std::{collections::BTreeMap, path::Path, process::Command};

/// What one run of the binary printed, and how it exited.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The one line a refusal prints.
    pub fn error_line(&self) -> &str {
        assert_ne!(
            self.code,
            Some(0),
            "expected a failure; stdout: {}",
            self.stdout
        );
        self.stderr.lines().next().unwrap_or_default()
    }
}

/// Runs `nxtp` with `args`, the user's key in `USER_KEY` and the other development keys in `<ROLE>_KEY`.
pub fn nxtp(manifest: &Path, keys: &BTreeMap<String, B256>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nxtp"));
    command
        .args(args)
        .env("NXTP_MANIFEST", manifest)
        .env_remove("NXTP_SEQUENCER_URL");
    for (role, key) in keys {
        command.env(format!("{}_KEY", role.to_uppercase()), key.to_string());
    }
    let output = command.output().expect("runs nxtp");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    for key in keys.values() {
        let hex = key.to_string();
        assert!(
            !run.stdout.contains(&hex[2..]) && !run.stderr.contains(&hex[2..]),
            "a key was printed"
        );
    }
    run
}

impl Run {
    /// The JSON document a successful `--json` run printed.
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(self.code, Some(0), "{}\n{}", self.stdout, self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| {
            panic!("stdout is not one JSON document ({err}): {}", self.stdout)
        })
    }
}

/// A recipient.
pub const TO: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// A stand-in sequencer on 127.0.0.1 that answers every request with a quote of `fee` wei;
/// returns its URL.
pub async fn quoting_sequencer(fee: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let read = stream.read(&mut request).await.unwrap_or(0);
            // Quotes for every route; knows no transfer.
            let (status, body) = if request[..read].starts_with(b"GET /v1/quote") {
                (
                    "200 OK",
                    format!(r#"{{"origin":1000,"destination":2000,"relayer_fee":"{fee}"}}"#),
                )
            } else {
                (
                    "404 Not Found",
                    r#"{"error":"unknown_transfer","message":"never seen"}"#.to_owned(),
                )
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    url
}

/// A URL where no sequencer listens: a port bound, then released.
pub fn dead_sequencer() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    format!("http://{}", listener.local_addr().expect("address"))
}
