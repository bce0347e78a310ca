//! The built `nxtp` binary's user commands: `xcall`, `status` and `router ...` on real chains, and every bad input
//! refused with a one-line reason, a non-zero exit, nothing sent and the key never printed.

use alloy::{
    primitives::{Address, B256},
    providers::Provider,
};
use nxtp_deployment::Manifest;
use nxtp_devnet::{liquidity::DEMO_SYMBOL, LiquidityConfig, Role};
use nxtp_primitives::Domain;
use nxtp_testnet::{Options, TestNet};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};
use user_support::{nxtp, quoting_sequencer, TO};

mod user_support;

/// A manifest whose chains do not exist: enough for every refusal that needs no chain. Written as JSON, as a
/// person would, and checked by loading it.
fn offline_manifest(dir: &Path) -> PathBuf {
    let zero = Address::ZERO;
    let domain = |id: u32| {
        format!(
            r#""{id}": {{
                "chain_id": {id}, "rpc_url": "http://127.0.0.1:9", "deploy_block": 0,
                "home": "{zero}", "connection_manager": "{zero}", "replicas": {{}}, "updater": "{zero}",
                "liquidity": {{ "connext": "{connext}", "assets": {{ "{DEMO_SYMBOL}": {{
                    "local": "{local}", "canonical_domain": 1000, "canonical_id": "{id_word}", "decimals": 18
                }} }} }}
            }}"#,
            connext = Address::repeat_byte(1),
            local = Address::repeat_byte(2),
            id_word = B256::repeat_byte(3),
        )
    };
    let text = format!(
        r#"{{ "optimistic_seconds": 5, "domains": {{ {}, {} }} }}"#,
        domain(1000),
        domain(2000)
    );
    let path = dir.join("manifest.json");
    std::fs::write(&path, text).expect("writes manifest");
    Manifest::load(&path).expect("a valid manifest");
    path
}

#[test]
fn bad_inputs_are_refused_in_one_line_before_any_chain_is_touched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = offline_manifest(dir.path());
    let keys = BTreeMap::new();
    let xcall = |overrides: &[(&str, &str)]| {
        let mut args = vec![
            ("--origin", "1000"),
            ("--destination", "2000"),
            ("--asset", "DEMO"),
            ("--amount", "1.5"),
            ("--to", TO),
            ("--key-env", "USER_KEY"),
        ];
        for &(flag, value) in overrides {
            match args.iter_mut().find(|(name, _)| *name == flag) {
                Some(arg) => arg.1 = value,
                None => args.push((flag, value)),
            }
        }
        let mut argv = vec!["xcall"];
        for &(flag, value) in &args {
            argv.push(flag);
            // A switch is given with an empty value.
            if !value.is_empty() {
                argv.push(value);
            }
        }
        nxtp(&manifest, &keys, &argv)
    };

    let run = xcall(&[("--to", "0x1234")]);
    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.error_line(),
        "error: invalid value '0x1234' for '--to <TO>': `0x1234` is not an address (expected 0x \
         followed by 40 hex digits)"
    );
    // One digit off in a checksummed address: refused, naming the checksummed spelling.
    let typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";
    let expected = typo
        .to_lowercase()
        .parse::<Address>()
        .expect("hex")
        .to_checksum(None);
    let run = xcall(&[("--to", typo)]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.error_line().contains("fails its EIP-55 checksum")
            && run.error_line().contains(&expected),
        "{}",
        run.stderr
    );
    // The same digits in lower case carry no checksum: accepted (the offline chain fails later).
    let run = xcall(&[("--to", &typo.to_lowercase())]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(!run.stderr.contains("EIP-55"), "{}", run.stderr);
    // A key pasted where an address goes is never echoed.
    let key = format!(
        "0x{}",
        "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
    );
    let run = xcall(&[("--to", &key)]);
    assert_eq!(run.code, Some(2));
    assert!(
        !run.stderr.contains(&key[2..]) && run.stderr.contains("<redacted 64 hex digits>"),
        "{}",
        run.stderr
    );
    // A zero relayer fee pays nobody: refused unless allowed explicitly.
    let run = xcall(&[("--relayer-fee", "0")]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.error_line()
            .starts_with("error: a relayer fee of 0 wei pays nobody to deliver the transfer"),
        "{}",
        run.stderr
    );
    let run = xcall(&[("--relayer-fee", "0"), ("--allow-zero-relayer-fee", "")]);
    assert!(!run.stderr.contains("relayer fee of 0"), "{}", run.stderr);
    // A key given as the manifest's path.
    let run = nxtp(&dir.path().join(&key), &keys, &["status", &key]);
    assert_eq!(run.code, Some(1));
    assert!(
        !run.stderr.contains(&key[2..]) && run.stderr.contains("<redacted 64 hex digits>"),
        "{}",
        run.stderr
    );
    // Values the argument parser refuses: (the option, its value, the exit code if checked, what the
    // error line says).
    for (option, value, code, expected) in [
        ("--amount", "1.2.3", Some(2), "`1.2.3` is not an amount"),
        ("--origin", "mars", Some(2), "for '--origin <ORIGIN>'"),
        (
            "--relayer-fee",
            "lots",
            None,
            "expected `quote` or an amount of wei",
        ),
    ] {
        let run = xcall(&[(option, value)]);
        if let Some(code) = code {
            assert_eq!(run.code, Some(code), "{option} {value}");
        }
        assert!(run.error_line().contains(expected), "{}", run.stderr);
    }

    let run = xcall(&[("--origin", "3000")]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr.trim_end(),
        "error: unknown domain 3000 (known: 1000, 2000)"
    );
    let run = xcall(&[("--asset", "USDC")]);
    assert_eq!(
        run.stderr.trim_end(),
        "error: unknown asset USDC on domain 1000 (known: DEMO)"
    );
    let run = nxtp(
        &dir.path().join("absent.json"),
        &keys,
        &["status", &format!("0x{}", "ab".repeat(32))],
    );
    assert!(run.error_line().contains("absent.json"), "{}", run.stderr);
    let run = nxtp(&manifest, &keys, &["status", "0xab"]);
    assert!(
        run.error_line()
            .contains("expected a 0x-prefixed 32-byte hex transfer id"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn xcall_status_and_router_liquidity_through_the_binary() {
    let net = TestNet::start(Options::new(&[1000, 2000]).liquidity(LiquidityConfig::default()))
        .await
        .expect("both layers deploy");
    let path = net.manifest_path.clone();
    let keys = net.manifest.dev_keys.clone();
    let accounts = &net.accounts;
    let home = net.reader(Domain(1000));
    let user = accounts.address(Role::User);
    let nonce = home.get_transaction_count(user).await.expect("nonce");

    let args = |amount: &'static str, key: &'static str, extra: &[&'static str]| {
        let mut args = vec![
            "xcall",
            "--origin",
            "1000",
            "--destination",
            "2000",
            "--asset",
            "DEMO",
            "--amount",
            amount,
            "--to",
            TO,
            "--relayer-fee",
            "1000",
            "--key-env",
            key,
        ];
        args.extend(extra);
        args
    };
    let run = nxtp(&path, &keys, &args("2", "USER_KEY", &[]));
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .trim_end()
            .starts_with("error: insufficient allowance: ")
            && run
                .stderr
                .trim_end()
                .ends_with("approve it first (or ask for automatic approval)")
            && run.stderr.lines().count() == 1,
        "{}",
        run.stderr
    );
    let run = nxtp(&path, &keys, &args("2", "WATCHER_KEY", &[]));
    assert!(
        run.error_line()
            .starts_with("error: insufficient balance: ")
            && run.error_line().contains(" holds 0 of ")
            && run.error_line().ends_with(", needs 2"),
        "{}",
        run.stderr
    );
    let stray = "0x4242424242424242424242424242424242424242";
    let mut unregistered = args("2", "USER_KEY", &[]);
    unregistered[6] = stray;
    let run = nxtp(&path, &keys, &unregistered);
    assert_eq!(
        run.stderr.trim_end(),
        format!("error: asset {stray} is not registered on domain 1000")
    );
    let run = nxtp(
        &path,
        &keys,
        &args("0.0000000000000000001", "USER_KEY", &[]),
    );
    assert_eq!(
        run.stderr.trim_end(),
        "error: `0.0000000000000000001` has more than 18 decimal places, the token's precision"
    );
    let run = nxtp(&path, &keys, &args("0", "USER_KEY", &[]));
    assert_eq!(
        run.stderr.trim_end(),
        "error: the amount must be more than zero"
    );
    let run = nxtp(&path, &keys, &args("2", "NOBODY_KEY", &[]));
    assert_eq!(
        run.stderr.trim_end(),
        "error: environment variable NOBODY_KEY is not set"
    );
    // The key itself given as the variable's name: never printed back (`nxtp` checks every key).
    let user_key: &'static str = Box::leak(keys["user"].to_string().into_boxed_str());
    let run = nxtp(&path, &keys, &args("2", user_key, &[]));
    assert_eq!(
        run.stderr.trim_end(),
        "error: environment variable <redacted 64 hex digits> is not set"
    );
    assert_eq!(
        home.get_transaction_count(user).await.expect("nonce"),
        nonce,
        "no refusal sent anything"
    );

    // A fee below the sequencer's quote is sent, with a warning.
    let sequencer: &'static str = Box::leak(quoting_sequencer(1_000_000).await.into_boxed_str());
    let run = nxtp(
        &path,
        &keys,
        &args(
            "2",
            "USER_KEY",
            &["--approve", "--delegate", "--sequencer", sequencer],
        ),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: the relayer fee 1000 wei is below the sequencer's quote of 1000000 wei"
        ),
        "{}",
        run.stderr
    );
    let id = run
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("transfer id:"))
        .map(str::trim)
        .expect("prints the transfer id")
        .to_owned();
    assert!(run.stdout.contains("approved:"), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "sent:         2 DEMO from {user} on 1000 to {TO} on 2000"
        )),
        "{}",
        run.stdout
    );

    let run = nxtp(&path, &keys, &["status", &id]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("stage:        XCalled"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("route:        1000 -> 2000"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("amount:       2 DEMO"),
        "{}",
        run.stdout
    );
    let run = nxtp(
        &path,
        &keys,
        &[
            "status",
            &id,
            "--wait",
            "--until",
            "xcalled",
            "--timeout",
            "30",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .lines()
            .next()
            .is_some_and(|line| line.trim_start_matches('+').trim().ends_with("s  XCalled")),
        "{}",
        run.stdout
    );
    let run = nxtp(
        &path,
        &keys,
        &[
            "status",
            &id,
            "--wait",
            "--until",
            "executed",
            "--timeout",
            "1",
        ],
    );
    assert!(
        run.error_line().contains("is still XCalled after"),
        "{}",
        run.stderr
    );

    let router = accounts.address(Role::RouterA).to_string();
    let position =
        |command: &'static str| vec!["router", command, "--domain", "1000", "--asset", "DEMO"];
    let mut balance = position("balance");
    balance.extend(["--router", router.as_str()]);
    let run = nxtp(&path, &keys, &balance);
    assert_eq!(run.stdout.trim(), "1000 DEMO", "{}", run.stderr);

    let mut add = position("add-liquidity");
    add.extend([
        "--router",
        router.as_str(),
        "--amount",
        "2.5",
        "--key-env",
        "USER_KEY",
    ]);
    let run = nxtp(&path, &keys, &add);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("balance:   1002.5"), "{}", run.stdout);

    let mut stolen = position("remove-liquidity");
    stolen.extend([
        "--router",
        router.as_str(),
        "--amount",
        "1",
        "--key-env",
        "USER_KEY",
    ]);
    let run = nxtp(&path, &keys, &stolen);
    assert!(
        run.error_line().contains(&format!(
            "is not the owner of router {router} on domain 1000"
        )),
        "{}",
        run.stderr
    );

    let mut remove = position("remove-liquidity");
    remove.extend(["--amount", "2.5", "--key-env", "ROUTER_A_KEY"]);
    let run = nxtp(&path, &keys, &remove);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("balance:   1000"), "{}", run.stdout);
    let run = nxtp(&path, &keys, &balance);
    assert_eq!(run.stdout.trim(), "1000 DEMO");
    balance.push("--json");
    let run = nxtp(&path, &keys, &balance);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["balance_formatted"], "1000");
    assert_eq!(doc["router"], router);
    assert_eq!(doc["asset"]["symbol"], "DEMO");
    assert_eq!(doc["change"], serde_json::Value::Null);
    remove.push("--json");
    let run = nxtp(&path, &keys, &remove);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["balance_formatted"], "997.5", "{}", run.stderr);
    assert_eq!(doc["change"]["amount"], "2500000000000000000");
    assert_eq!(doc["change"]["to"], router);
}
