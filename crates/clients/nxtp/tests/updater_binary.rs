//! `nxtp updater` as a real process, with the config the devnet generates: killed with SIGKILL
//! mid-flight and restarted, it signs nothing conflicting and brings the Home's committed root
//! over every message; a bad config stops it at start-up with a message naming the field.

mod anvil_net;
mod messaging;

use anvil_net::{run_to_exit, AgentProcess};
use messaging::{assert_one_new_root_per_old_root, eventually, read_db};
use nxtp_devnet::{updater_agent, Role};
use nxtp_primitives::{recover_digest, Domain};
use nxtp_updater::store::{self, SignedUpdate};
use std::path::Path;

const ORIGIN: Domain = Domain(1000);

fn recorded(db: &Path) -> Vec<SignedUpdate> {
    read_db(db, |conn| store::signed_updates(conn, ORIGIN)).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_flight_and_restart_sign_nothing_conflicting() {
    let net = messaging::start(2).await;
    let config = updater_agent::config_toml(
        &net.manifest,
        net.dir(),
        ORIGIN,
        &nxtp_devnet::AgentOptions::default(),
    )
    .expect("the devnet's updater config");
    let config = net.write_config(&updater_agent::name(ORIGIN), &config);
    let db = net
        .dir()
        .join(format!("{}.sqlite", updater_agent::name(ORIGIN)));
    let log = net.dir().join("updater.log");

    net.dispatch_n(ORIGIN, 3).await;
    let agent = AgentProcess::spawn("updater", &config, &log, &[]);
    // Killed the moment it has recorded its first signature: its update is at most in flight.
    eventually("the first signature", || async {
        agent.assert_running();
        (!recorded(&db).is_empty()).then_some(())
    })
    .await;
    agent.kill();
    let first = recorded(&db);
    assert_eq!(first.len(), 1);

    // More messages while it is down; then it runs again until the Home covers them all,
    // killed once more on the way.
    net.dispatch_n(ORIGIN, 2).await;
    let agent = AgentProcess::spawn("updater", &config, &log, &[]);
    eventually("a second signature", || async {
        agent.assert_running();
        (recorded(&db).len() >= 2).then_some(())
    })
    .await;
    agent.kill();
    let agent = AgentProcess::spawn("updater", &config, &log, &[]);
    eventually("the committed root to cover every message", || async {
        agent.assert_running();
        let (_, covered, count) = net.home_state(ORIGIN).await;
        (covered == count && count == 5).then_some(())
    })
    .await;
    agent.kill();

    let records = recorded(&db);
    assert_eq!(
        records[0], first[0],
        "the first signature was kept and reused"
    );
    let home = net.update_events(ORIGIN, net.home(ORIGIN)).await;
    assert!(!home.is_empty());
    let updater = net.accounts.address(Role::Updater);
    for (old, new, signature) in &home {
        assert_eq!(
            recover_digest(
                net.home_signing(ORIGIN).update_digest(*old, *new),
                signature
            )
            .expect("valid"),
            updater
        );
        assert!(
            records
                .iter()
                .any(|r| r.old_root == *old && r.new_root == *new && r.signature == *signature),
            "{old} -> {new} is on the Home but was not recorded first"
        );
    }
    assert_one_new_root_per_old_root(
        records
            .iter()
            .map(|r| (r.old_root, r.new_root))
            .chain(home.iter().map(|(old, new, _)| (*old, *new))),
    );
    let log = std::fs::read_to_string(net.dir().join("updater.log")).expect("log");
    for role in [Role::Updater, Role::Checkpointer] {
        let key = net.manifest.dev_keys[role.name()].to_string();
        assert!(
            !log.contains(key.trim_start_matches("0x")),
            "the {role} key was logged"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_config_fails_at_start_up_naming_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("writes");
        path.display().to_string()
    };
    let chain = |rpc: &str, chain_id: u64| {
        format!(
            "[chains.1000]\nrpc_url = \"{rpc}\"\nchain_id = {chain_id}\nconfirmations = 1\n\
             [telemetry]\nlisten = \"127.0.0.1:0\"\n"
        )
    };
    let good_key =
        "{ hex = \"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\" }";
    let other_key =
        "{ hex = \"0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a\" }";
    let head_with = |signer: &str, checkpointer: &str| {
        format!(
            "domain = 1000\ndatabase = {:?}\nhome = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n\
             signer = {signer}\ncheckpointer = {checkpointer}\n",
            dir.path().join("u.sqlite")
        )
    };
    let no_such_key = "{ env = \"NXTP_TEST_NO_SUCH_KEY\" }";
    let unreachable = chain("http://127.0.0.1:1", 1);
    let anvil = nxtp_toolchain::spawn_anvil(31337);

    // (file, config, what stderr must say); none may leak the key.
    let cases = [
        (
            "no-key.toml",
            head_with(no_such_key, other_key) + &unreachable,
            vec!["error: updater failed: signer: environment variable NXTP_TEST_NO_SUCH_KEY is not set"],
        ),
        (
            "no-checkpointer-key.toml",
            head_with(good_key, no_such_key) + &unreachable,
            vec!["error: updater failed: checkpointer: environment variable NXTP_TEST_NO_SUCH_KEY is not set"],
        ),
        (
            "checkpointer-is-updater.toml",
            head_with(good_key, good_key) + &unreachable,
            vec![
                "error: updater failed: checkpointer: 0x",
                "is the updater key; the checkpointer needs a key of its own",
            ],
        ),
        (
            "unreachable.toml",
            head_with(good_key, other_key) + &unreachable,
            vec!["error: updater failed: chains.1000: RPC endpoint http://127.0.0.1:1 is unreachable"],
        ),
        (
            "wrong-chain.toml",
            head_with(good_key, other_key) + &chain(&anvil.endpoint(), 5),
            vec![
                "error: updater failed: chains.1000: RPC endpoint",
                "serves chain id 31337, but the config expects 5",
            ],
        ),
        (
            "bad-url.toml",
            head_with(good_key, other_key) + &chain("ftp://127.0.0.1:1", 1),
            vec!["error: chains.1000.rpc_url: unsupported RPC scheme `ftp`"],
        ),
    ];

    let missing = dir.path().join("absent.toml").display().to_string();
    let (code, stderr) = run_to_exit(&["updater", "--config", &missing]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("error: cannot read config") && stderr.contains("absent.toml"),
        "{stderr}"
    );
    for (file, config, expected) in cases {
        let path = write(file, &config);
        let (code, stderr) = run_to_exit(&["updater", "--config", &path]);
        assert_eq!(code, Some(1), "{file}: {stderr}");
        for part in expected {
            assert!(stderr.contains(part), "{file}: {stderr}");
        }
        assert!(
            !stderr.contains("59c6995e") && !stderr.contains("5de4111a"),
            "{file}: a key leaked: {stderr}"
        );
    }
}
