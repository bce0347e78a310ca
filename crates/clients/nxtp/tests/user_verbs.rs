//! The built `nxtp` binary's quote and recovery commands on real chains: `quote` and `xcall` falling back to an
//! estimated relayer fee while the sequencer is down, `--approve` with an allowance for several transfers, `bump`,
//! `update-slippage` and `receive-local` with every refusal, `status` with the fee still missing, and a slow-path
//! transfer whose call failed shown with its decoded reason and where its funds are; `--json` on each.

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
    sol_types::SolValue,
};
use nxtp_bindings::{
    execute::{execute_args, Fronting},
    Connext,
};
use nxtp_devnet::{
    liquidity::{demo_units, DEMO_RECEIVER},
    LiquidityConfig, Role,
};
use nxtp_primitives::Domain;
use nxtp_sdk::{Manifest, Sdk};
use nxtp_testnet::{LiquidityNetOptions, Options, TestNet};
use serde_json::Value;
use user_support::{dead_sequencer, nxtp, quoting_sequencer, TO};

mod in_process;
mod user_support;

/// The stand-in sequencer's quote: far above any estimate from anvil's gas price, so the estimate falls short.
const QUOTE: u64 = 100_000_000_000_000_000;

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

fn wei(value: &Value) -> U256 {
    text(value).parse().expect("a decimal amount")
}

#[test]
fn the_new_verbs_refuse_bad_input_before_any_chain_is_touched() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Nothing listens on this manifest's chains: a refusal that needed one would say so instead.
    let manifest = dir.path().join("manifest.json");
    std::fs::write(&manifest, "{}").expect("writes");
    let keys = Default::default();
    let id = format!("0x{}", "ab".repeat(32));

    let run = nxtp(&manifest, &keys, &["bump", "0xab", "--key-env", "USER_KEY"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.error_line()
            .contains("expected a 0x-prefixed 32-byte hex transfer id"),
        "{}",
        run.stderr
    );
    let run = nxtp(
        &manifest,
        &keys,
        &[
            "update-slippage",
            &id,
            "--slippage-bps",
            "10001",
            "--key-env",
            "USER_KEY",
        ],
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.error_line().contains("10001 is not in 0..=10000"),
        "{}",
        run.stderr
    );
    let typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";
    let run = nxtp(
        &manifest,
        &keys,
        &[
            "quote",
            "--origin",
            "1000",
            "--destination",
            "2000",
            "--asset",
            "DEMO",
            "--amount",
            "1",
            "--to",
            typo,
            "--calldata",
            "0x00",
        ],
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.error_line().contains("fails its EIP-55 checksum"),
        "{}",
        run.stderr
    );
    let run = nxtp(
        &manifest,
        &keys,
        &[
            "quote",
            "--origin",
            "1000",
            "--destination",
            "2000",
            "--asset",
            "DEMO",
            "--amount",
            "1",
            "--to",
            "0x1234",
            "--calldata",
            "0x00",
        ],
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.error_line().contains("`0x1234` is not an address"),
        "{}",
        run.stderr
    );
    let run = nxtp(
        &manifest,
        &keys,
        &["receive-local", &id, "--key-env", "USER_KEY", "--json"],
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.is_empty(),
        "a failure prints no JSON: {}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn quote_fallback_bump_and_delegate_overrides_through_the_binary() {
    let net = TestNet::start(Options::new(&[1000, 2000]).liquidity(LiquidityConfig::default()))
        .await
        .expect("both layers deploy");
    let path = net.manifest_path.clone();
    let keys = net.manifest.dev_keys.clone();
    let user = net.accounts.address(Role::User);
    let dead = dead_sequencer();
    let quoting = quoting_sequencer(QUOTE).await;
    let route = [
        "--origin",
        "1000",
        "--destination",
        "2000",
        "--asset",
        "DEMO",
    ];
    let run_with = |args: &[&str]| nxtp(&path, &keys, args);

    // Quotes: from the sequencer; estimated while it is down, saying so; none without a sequencer.
    let quote = |sequencer: Option<&str>| {
        let mut args = vec!["quote", "--amount", "10", "--json"];
        args.extend(route);
        if let Some(url) = sequencer {
            args.extend(["--sequencer", url]);
        }
        run_with(&args)
    };
    let run = quote(Some(&quoting));
    let doc = run.json();
    assert_eq!(doc["relayer_fee"]["source"], "sequencer");
    assert_eq!(wei(&doc["relayer_fee"]["wei"]), U256::from(QUOTE));
    assert_eq!(doc["amount"], demo_units(10).to_string());
    assert_eq!(doc["amount_received_formatted"], "9.995");
    assert_eq!(doc["liquidity_fee_bps"], 5);
    assert_eq!(doc["asset"]["symbol"], "DEMO");
    let run = quote(Some(&dead));
    let doc = run.json();
    assert_eq!(doc["relayer_fee"]["source"], "estimated", "{doc}");
    assert!(wei(&doc["relayer_fee"]["wei"]) > U256::ZERO);
    assert!(
        run.stderr
            .starts_with("warning: the sequencer did not answer after 3 attempt(s)"),
        "{}",
        run.stderr
    );
    assert!(
        text(&doc["relayer_fee"]["note"]).contains("estimated from the destination's gas price")
    );
    assert_eq!(quote(None).json()["relayer_fee"], Value::Null);

    // A transfer sent while the sequencer is down pays the estimate, approving enough for several transfers.
    let xcall = |extra: &[&str]| {
        let mut args = vec![
            "xcall",
            "--amount",
            "10",
            "--to",
            TO,
            "--key-env",
            "USER_KEY",
            "--json",
        ];
        args.extend(route);
        args.extend(extra);
        run_with(&args)
    };
    let run = xcall(&["--approve", "100", "--delegate", "--sequencer", &dead]);
    let sent = run.json();
    assert_eq!(sent["relayer_fee"]["source"], "estimated", "{sent}");
    assert!(run.stderr.contains("`nxtp bump "), "{}", run.stderr);
    assert_eq!(sent["approval"]["allowance"], demo_units(100).to_string());
    assert_eq!(sent["delegate"], user.to_string());
    let id = text(&sent["transfer_id"]);
    let estimate = wei(&sent["relayer_fee"]["wei"]);
    // The allowance covers the next transfer: no approval, no refusal.
    let second = xcall(&["--relayer-fee", "1000"]).json();
    assert_eq!(second["approval"], Value::Null);
    assert_eq!(second["relayer_fee"]["source"], "given");

    // Status: the fee paid, what the sequencer asks beyond it, and the command that pays it.
    let status = |extra: &[&str]| {
        let mut args = vec!["status", id.as_str()];
        args.extend(extra);
        run_with(&args)
    };
    let doc = status(&["--sequencer", &quoting, "--json"]).json();
    assert_eq!(doc["stage"], "XCalled");
    assert_eq!(doc["is_final"], false);
    assert_eq!(doc["slippage_bps"], 30);
    assert_eq!(doc["delegate"], user.to_string());
    assert_eq!(doc["origin_tx"]["hash"], sent["origin_tx"]["hash"]);
    assert_eq!(wei(&doc["relayer_fee"]["paid_wei"]), estimate);
    assert_eq!(wei(&doc["relayer_fee"]["quote_wei"]), U256::from(QUOTE));
    let shortfall = U256::from(QUOTE) - estimate;
    assert_eq!(wei(&doc["relayer_fee"]["shortfall_wei"]), shortfall);
    assert_eq!(doc["waiting"]["remedy"], format!("nxtp bump {id}"));
    assert_eq!(doc["delivery"], Value::Null);
    assert_eq!(doc["call"], Value::Null);
    let run = status(&["--sequencer", &quoting]);
    assert!(
        run.stdout.contains(&format!(
            "the sequencer asks {QUOTE} wei: `nxtp bump {id}` pays the {shortfall} wei missing"
        )),
        "{}",
        run.stdout
    );

    let nonce = |domain: u32| {
        let reader = net.reader(Domain(domain));
        async move { reader.get_transaction_count(user).await.expect("nonce") }
    };
    let nonces = (nonce(1000).await, nonce(2000).await);

    // Bump refusals: an unknown transfer, a zero amount, no sequencer to say what is missing.
    let unknown = B256::repeat_byte(0x42).to_string();
    for verb in [
        vec!["bump", unknown.as_str(), "--amount", "1000wei"],
        vec!["update-slippage", unknown.as_str(), "--slippage-bps", "100"],
        vec!["receive-local", unknown.as_str()],
    ] {
        let mut args = verb.clone();
        args.extend(["--key-env", "USER_KEY"]);
        let run = run_with(&args);
        assert_eq!(
            run.stderr.trim_end(),
            format!("error: transfer {unknown} was not found on any configured domain"),
            "{verb:?}"
        );
    }
    let run = run_with(&["bump", &id, "--amount", "0", "--key-env", "USER_KEY"]);
    assert_eq!(
        run.stderr.trim_end(),
        "error: the amount must be more than zero"
    );
    let run = run_with(&["bump", &id, "--key-env", "USER_KEY"]);
    assert!(
        run.error_line()
            .starts_with("error: no sequencer is configured to quote the relayer fee"),
        "{}",
        run.stderr
    );

    // Update-slippage and receive-local refusals: not the delegate, not a raise.
    for verb in [
        vec!["update-slippage", id.as_str(), "--slippage-bps", "100"],
        vec!["receive-local", id.as_str()],
    ] {
        let mut args = verb.clone();
        args.extend(["--key-env", "WATCHER_KEY"]);
        let run = run_with(&args);
        assert!(
            run.error_line().contains(&format!(
                "is not the delegate of transfer {id} (its delegate is {user})"
            )),
            "{verb:?}: {}",
            run.stderr
        );
    }
    assert_eq!(
        (nonce(1000).await, nonce(2000).await),
        nonces,
        "no refusal sent anything"
    );

    // Bumps: to the quote by default, then nothing is missing; an explicit amount adds to it.
    let bumped = run_with(&[
        "bump",
        &id,
        "--sequencer",
        &quoting,
        "--key-env",
        "USER_KEY",
        "--json",
    ])
    .json();
    assert_eq!(wei(&bumped["added_wei"]), shortfall);
    assert_eq!(wei(&bumped["paid_wei"]), U256::from(QUOTE));
    assert_eq!(bumped["origin"], 1000);
    let run = run_with(&[
        "bump",
        &id,
        "--sequencer",
        &quoting,
        "--key-env",
        "USER_KEY",
    ]);
    assert!(
        run.error_line().contains(&format!(
            "which covers the sequencer's quote of {QUOTE} wei"
        )),
        "{}",
        run.stderr
    );
    let bumped = run_with(&[
        "bump",
        &id,
        "--amount",
        "1000wei",
        "--key-env",
        "USER_KEY",
        "--json",
    ])
    .json();
    assert_eq!(bumped["added_wei"], "1000");
    assert_eq!(
        wei(&bumped["paid_wei"]),
        U256::from(QUOTE) + U256::from(1000u64)
    );
    let doc = status(&["--sequencer", &quoting, "--json"]).json();
    assert_eq!(doc["relayer_fee"]["shortfall_wei"], Value::Null);
    assert_eq!(
        doc["waiting"],
        Value::Null,
        "the stand-in knows no transfer"
    );

    // The delegate's overrides.
    let updated = run_with(&[
        "update-slippage",
        &id,
        "--slippage-bps",
        "100",
        "--key-env",
        "USER_KEY",
        "--json",
    ])
    .json();
    assert_eq!(updated["slippage_bps"], 100);
    assert_eq!(updated["destination"], 2000);
    let run = run_with(&[
        "update-slippage",
        &id,
        "--slippage-bps",
        "50",
        "--key-env",
        "USER_KEY",
    ]);
    assert_eq!(
        run.stderr.trim_end(),
        "error: forceUpdateSlippage on domain 2000 would revert: SlippageNotRaised(current: 100, requested: 50)"
    );
    let local = run_with(&["receive-local", &id, "--key-env", "USER_KEY", "--json"]).json();
    assert_eq!(local["receive_local"], true);
    assert_eq!(local["slippage_bps"], Value::Null);
    let remote = Connext::new(net.connext(Domain(2000)), net.reader(Domain(2000)));
    let overrides = remote
        .transferOverrides(id.parse().expect("id"))
        .call()
        .await
        .expect("overrides");
    assert!(overrides.receiveLocal && overrides.slippageOverridden);
    assert_eq!(overrides.slippage, U256::from(100u64));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_transfer_whose_call_failed_shows_the_decoded_reason() {
    let options = LiquidityNetOptions {
        bridge: false,
        ..LiquidityNetOptions::default()
    };
    let harness = in_process::liquidity_net(options).await;
    let net = harness.net();
    let path = net.manifest_path.clone();
    let keys = net.manifest.dev_keys.clone();
    let receiver = net.manifest.domains[&Domain(2000)].contracts[DEMO_RECEIVER];
    // A zero beneficiary makes the demo receiver revert.
    let call_data = alloy::primitives::Bytes::from(
        (Address::ZERO, "never delivered".to_owned()).abi_encode_params(),
    )
    .to_string();
    let receiver_text = receiver.to_string();
    let sent = nxtp(
        &path,
        &keys,
        &[
            "xcall",
            "--origin",
            "1000",
            "--destination",
            "2000",
            "--asset",
            "DEMO",
            "--amount",
            "3",
            "--to",
            &receiver_text,
            "--calldata",
            &call_data,
            "--delegate",
            "--relayer-fee",
            "1000",
            "--approve",
            "--key-env",
            "USER_KEY",
            "--json",
        ],
    );
    assert!(
        sent.stderr.contains("reverts in xReceive: ZeroBeneficiary"),
        "the simulation warns: {}",
        sent.stderr
    );
    let id = text(&sent.json()["transfer_id"]);

    // Before delivery: the fast path's call reverts in simulation, decoded, not raw hex.
    let doc = nxtp(&path, &keys, &["status", &id, "--json"]).json();
    if doc["stage"] == "XCalled" {
        assert_eq!(doc["call"]["outcome"], "would_revert", "{doc}");
        assert_eq!(doc["call"]["error"]["name"], "ZeroBeneficiary");
        assert_eq!(doc["call"]["error"]["args"]["transferId"], id);
    }

    // No router fronts it: the message reconciles it, then its delegate executes the slow path.
    let run = nxtp(
        &path,
        &keys,
        &[
            "status",
            &id,
            "--wait",
            "--until",
            "reconciled",
            "--timeout",
            "180",
            "--json",
        ],
    );
    assert_eq!(run.json()["stage"], "Reconciled", "{}", run.stderr);
    let manifest = Manifest::load(&path).expect("manifest");
    let params = Sdk::from_manifest(&manifest, None)
        .expect("sdk")
        .find_transfer(id.parse().expect("id"))
        .await
        .expect("found")
        .params;
    let connext = Connext::new(
        net.connext(Domain(2000)),
        net.wallet(Domain(2000), Role::User),
    );
    let receipt = nxtp_testnet::confirm(
        connext
            .execute(execute_args(&params, Fronting::default()))
            .gas(3_000_000)
            .send()
            .await
            .expect("the delegate executes"),
    )
    .await;
    assert!(receipt.status(), "the slow execute succeeds");

    let doc = nxtp(&path, &keys, &["status", &id, "--json"]).json();
    assert_eq!(doc["stage"], "CompletedSlow", "{doc}");
    assert_eq!(doc["is_final"], true);
    assert_eq!(doc["delivery"]["path"], "slow");
    assert_eq!(
        doc["delivery"]["tx"]["hash"],
        receipt.transaction_hash.to_string()
    );
    assert_eq!(
        doc["delivery"]["amount_received"],
        demo_units(3).to_string()
    );
    assert_eq!(doc["delivery"]["amount_received_formatted"], "3");
    assert_eq!(doc["call"]["outcome"], "failed");
    assert_eq!(doc["call"]["error"]["name"], "ZeroBeneficiary");
    assert!(
        text(&doc["call"]["message"]).ends_with("the funds stay with the receiver"),
        "{doc}"
    );
    assert_eq!(doc["waiting"], Value::Null);
    let run = nxtp(&path, &keys, &["status", &id]);
    assert!(
        run.stdout.contains(&format!(
            "call:         FAILED: xReceive failed: ZeroBeneficiary(transferId: {id}); the funds stay with the \
             receiver ({receiver})"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("received:     3 DEMO after fees"),
        "{}",
        run.stdout
    );

    // Nothing is left to pay for or change.
    for verb in [
        vec!["bump", id.as_str(), "--amount", "1000wei"],
        vec!["update-slippage", id.as_str(), "--slippage-bps", "200"],
        vec!["receive-local", id.as_str()],
    ] {
        let mut args = verb.clone();
        args.extend(["--key-env", "USER_KEY"]);
        let run = nxtp(&path, &keys, &args);
        assert!(
            run.error_line().starts_with(&format!(
                "error: transfer {id} is CompletedSlow: already delivered"
            )),
            "{verb:?}: {}",
            run.stderr
        );
    }
    harness.stop().await;
}
