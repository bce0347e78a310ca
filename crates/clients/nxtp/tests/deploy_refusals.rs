//! `nxtp deploy` refuses, before sending anything and without printing the deployer's key: an RPC whose
//! chain id is not the configured one, a deployer without the funds it needs, a domain listed twice, an
//! unreachable RPC, and config errors (named by their TOML path; a sequencer threshold above the
//! set among them).

mod deploy_support;

use deploy_support::{chain, deploy_toml, dev_key, nxtp, text, DEPLOYER};
use std::path::Path;

/// Runs `nxtp deploy` on `config` in a fresh folder with the deployer's key `key`; returns the failure's
/// text, after checking it failed, sent nothing and never printed the key.
fn refused(config: &str, key: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("deploy.toml"), config).expect("config");
    let output = nxtp(
        dir.path(),
        &["deploy", "--config", "deploy.toml"],
        &[("DEPLOYER_KEY", key.to_owned())],
    );
    let shown = text(&output);
    assert!(!output.status.success(), "expected a refusal: {shown}");
    assert!(
        !shown.contains(key.trim_start_matches("0x")),
        "the key was printed: {shown}"
    );
    assert_nothing_sent(dir.path());
    shown
}

fn assert_nothing_sent(dir: &Path) {
    let journal = dir.join("deployment/manifest.json.journal");
    let entries = std::fs::read_to_string(journal).unwrap_or_default();
    assert!(entries.trim().is_empty(), "something was sent: {entries}");
    assert!(!dir.join("deployment/manifest.json").exists());
}

#[test]
fn refuses_before_the_first_transaction() {
    let one = chain(1000, 1001, "1");
    let two = chain(2000, 1002, "1");
    let key = dev_key(&one, DEPLOYER).to_string();
    let chains = |entries: &[(u32, u64, &str)]| -> Vec<(u32, u64, String)> {
        entries
            .iter()
            .map(|&(domain, chain_id, url)| (domain, chain_id, url.to_owned()))
            .collect()
    };
    let (url_one, url_two) = (one.anvil.endpoint(), two.anvil.endpoint());

    // Chain id: the second RPC is chain 1002, configured as 1003.
    let wrong_id = deploy_toml(
        &one,
        &chains(&[(1000, 1001, &url_one), (2000, 1003, &url_two)]),
        1800,
        None,
    );
    let shown = refused(&wrong_id, &key);
    assert!(
        shown.contains("domain 2000")
            && shown.contains("reports chain id 1002, not the configured 1003"),
        "{shown}"
    );

    // Funds: a deployer nobody funded.
    let poor = "0x1111111111111111111111111111111111111111111111111111111111111111";
    let fine = deploy_toml(
        &one,
        &chains(&[(1000, 1001, &url_one), (2000, 1002, &url_two)]),
        1800,
        None,
    );
    let shown = refused(&fine, poor);
    assert!(
        shown.contains("holds 0 wei, the deployment needs about"),
        "{shown}"
    );

    // A domain twice.
    let twice = deploy_toml(
        &one,
        &chains(&[(1000, 1001, &url_one), (1000, 1002, &url_two)]),
        1800,
        None,
    );
    let shown = refused(&twice, &key);
    assert!(shown.contains("domain 1000 is listed twice"), "{shown}");

    // An RPC nobody answers.
    let unreachable = deploy_toml(
        &one,
        &chains(&[(1000, 1001, &url_one), (2000, 1002, "http://127.0.0.1:9")]),
        1800,
        None,
    );
    let shown = refused(&unreachable, &key);
    assert!(
        shown.contains("domain 2000: cannot reach http://127.0.0.1:9"),
        "{shown}"
    );

    // Config errors name their TOML path.
    let bad_window = fine.replace("optimistic_seconds = 1800", "optimistic_seconds = \"long\"");
    let shown = refused(&bad_window, &key);
    assert!(shown.contains("optimistic_seconds"), "{shown}");
    let bad_chain = fine.replace("chain_id = 1002", "chain_id = \"two\"");
    let shown = refused(&bad_chain, &key);
    assert!(
        shown.contains("chains") && shown.contains("chain_id"),
        "{shown}"
    );
    let bad_router = fine.replace("routers = [\"0x", "routers = [\"0xZZ");
    let shown = refused(&bad_router, &key);
    assert!(shown.contains("roles.routers"), "{shown}");
    // One sequencer cannot make a quorum of two.
    let too_high = fine.replace("relayers = [", "sequencer_threshold = 2\nrelayers = [");
    let shown = refused(&too_high, &key);
    assert!(
        shown.contains("roles.sequencer_threshold")
            && shown.contains("the sequencer threshold 2 is not between 1 and the 1 sequencer(s)"),
        "{shown}"
    );
    let bad_home = fine.replace("home = 1000", "home = 4000");
    let shown = refused(&bad_home, &key);
    assert!(
        shown.contains("assets[0].home: domain 4000 is not one of the chains"),
        "{shown}"
    );
}
