//! The built `nxtp` binary's agent subcommands refusing bad configuration before touching any
//! chain: an address failing its EIP-55 checksum (in the file or in an environment override) and a
//! private key where a variable's name or a value goes, never printed back.

use std::{path::Path, process::Command};

/// Anvil's first development key: public knowledge, test use only.
const KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// A checksummed address, and the same with its last digit changed (a typo).
const GOOD: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const TYPO: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";

/// A sequencer config whose chains do not exist, with `signer` and domain 1000's `connext`.
fn sequencer_config(dir: &Path, signer: &str, connext: &str) -> std::path::PathBuf {
    let text = format!(
        r#"
database = "{db}"
signer = {signer}
api_listen = "127.0.0.1:0"
relayer_url = "http://127.0.0.1:9"
[quotes]
default_relayer_fee = "1"
[telemetry]
listen = "127.0.0.1:0"
[domains.1000]
connext = "{connext}"
[domains.1000.chain]
rpc_url = "http://127.0.0.1:9"
chain_id = 1
confirmations = 1
"#,
        db = dir.join("sequencer.sqlite").display(),
    );
    let path = dir.join("sequencer.toml");
    std::fs::write(&path, text).expect("writes the config");
    path
}

/// Runs `nxtp sequencer --config <config>` with `env`; its exit code and stderr (stdout holds logs).
fn sequencer(config: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nxtp"));
    command.args(["sequencer", "--config"]).arg(config);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("runs nxtp");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stdout.contains(KEY) && !stderr.contains(KEY),
        "the key was printed: {stdout} {stderr}"
    );
    (output.status.code(), stderr)
}

#[test]
fn a_config_address_must_match_its_checksum() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = sequencer_config(dir.path(), r#"{ env = "SEQUENCER_KEY" }"#, TYPO);
    let (code, stderr) = sequencer(&config, &[]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains(&format!(
            "domains.1000.connext: `{TYPO}` fails its EIP-55 checksum"
        )) && stderr.contains("sequencer.toml"),
        "{stderr}"
    );

    // The same typo through an environment override of a valid file.
    let config = sequencer_config(dir.path(), r#"{ env = "SEQUENCER_KEY" }"#, GOOD);
    let (code, stderr) = sequencer(&config, &[("NXTP__DOMAINS__1000__CONNEXT", TYPO)]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("domains.1000.connext") && stderr.contains("EIP-55"),
        "{stderr}"
    );
}

#[test]
fn a_key_in_the_wrong_place_is_never_echoed() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The key itself where the variable's name goes, in the file and through an override.
    let config = sequencer_config(dir.path(), &format!(r#"{{ env = "0x{KEY}" }}"#), GOOD);
    let (code, stderr) = sequencer(&config, &[]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("environment variable <redacted 64 hex digits> is not set"),
        "{stderr}"
    );
    let config = sequencer_config(dir.path(), r#"{ env = "SEQUENCER_KEY" }"#, GOOD);
    let (code, stderr) = sequencer(&config, &[("NXTP__SIGNER__ENV", &format!("0x{KEY}"))]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("<redacted 64 hex digits>"), "{stderr}");

    // Unquoted, the key makes the file invalid TOML, whose error quotes the line.
    let config = sequencer_config(dir.path(), &format!("0x{KEY}"), GOOD);
    let (code, stderr) = sequencer(&config, &[]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("is not valid TOML"), "{stderr}");

    // A key where an address goes.
    let config = sequencer_config(
        dir.path(),
        r#"{ env = "SEQUENCER_KEY" }"#,
        &format!("0x{KEY}"),
    );
    let (code, stderr) = sequencer(&config, &[]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("domains.1000.connext"), "{stderr}");
}
