//! `nxtp message-relayer` as a real process, with the config the devnet generates: killed with
//! SIGKILL mid-flight and restarted, it relays every Home update to every Replica once, in
//! order; a bad config stops it at start-up with a message naming the field.

mod anvil_net;
mod messaging;

use anvil_net::{run_to_exit, AgentProcess};
use messaging::eventually;
use nxtp_devnet::{message_relayer_agent, Role};
use nxtp_primitives::Domain;

const A: Domain = Domain(1000);
const B: Domain = Domain(2000);

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_flight_and_restart_relay_everything_once() {
    let net = messaging::start(2).await;
    let config = message_relayer_agent::config_toml(
        &net.manifest,
        net.dir(),
        &nxtp_devnet::AgentOptions::default(),
    )
    .expect("the devnet's relayer config");
    let config = net.write_config(message_relayer_agent::NAME, &config);
    let log = net.dir().join("message-relayer.log");
    for _ in 0..4 {
        net.make_update(A).await;
    }
    net.make_update(B).await;

    let agent = AgentProcess::spawn("message-relayer", &config, &log, &[]);
    // Killed as soon as the first relay landed: the rest is at most in flight.
    eventually("a first relay", || async {
        agent.assert_running();
        (net.mined_txs(B, Role::MessageRelayer).await >= 1).then_some(())
    })
    .await;
    agent.kill();

    net.make_update(A).await;
    net.make_update(B).await;
    let agent = AgentProcess::spawn("message-relayer", &config, &log, &[]);
    eventually(
        "every Replica to hold its Home's committed root",
        || async {
            agent.assert_running();
            for (origin, on) in [(A, B), (B, A)] {
                let (committed, _, _) = net.home_state(origin).await;
                if net.replica_root(on, origin).await != committed {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
    agent.kill();

    for (origin, on) in [(A, B), (B, A)] {
        let home = net.update_events(origin, net.home(origin)).await;
        let replica = net.update_events(on, net.replica(on, origin)).await;
        assert_eq!(
            replica, home,
            "Replica of {origin} on {on}: same updates, in order"
        );
        assert_eq!(
            net.mined_txs(on, Role::MessageRelayer).await,
            home.len() as u64,
            "one transaction per update relayed to {on}"
        );
    }
}

#[test]
fn bad_config_fails_at_start_up_naming_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = dir.path().join("absent-manifest.json");
    let config = dir.path().join("relayer.toml");
    std::fs::write(
        &config,
        format!(
            "database = {:?}\nmanifest = {:?}\nsigner = {{ env = \"NXTP_TEST_NO_SUCH_KEY\" }}\n\
             [telemetry]\nlisten = \"127.0.0.1:0\"\n",
            dir.path().join("r.sqlite"),
            manifest
        ),
    )
    .expect("writes");
    let config = config.display().to_string();
    let (code, stderr) = run_to_exit(&["message-relayer", "--config", &config]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("error: (top level): missing field `chains`"),
        "{stderr}"
    );

    let mut text = std::fs::read_to_string(&config).expect("reads");
    text.push_str(
        "[chains.1000]\nrpc_url = \"http://127.0.0.1:1\"\nchain_id = 1\nconfirmations = 1\n",
    );
    std::fs::write(&config, text).expect("writes");
    let (code, stderr) = run_to_exit(&["message-relayer", "--config", &config]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("error: message-relayer failed: manifest: ")
            && stderr.contains("absent-manifest.json"),
        "{stderr}"
    );
}
