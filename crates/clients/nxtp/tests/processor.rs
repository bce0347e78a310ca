//! The built `nxtp processor`: SIGKILLed with transactions in the mempool and again inside a
//! window, restarted each time, it delivers every message exactly once and sends no transaction
//! twice; it serves `/health` and `/metrics`; a bad config stops it at start-up with a message
//! naming the field and the file.

mod anvil_net;

use alloy::providers::ext::AnvilApi;
use anvil_net::{eventually, http_get, run_to_exit, AgentProcess, Net};
use nxtp_devnet::Role;

/// The processor's undelivered messages to `destination`, one count per status, as its last
/// delivery step there left them (`nxtp_processor_backlog`); empty before its first step.
fn backlog(ops: &str, destination: u32) -> Vec<u64> {
    let (_, metrics) = http_get(ops, "/metrics");
    let label = format!("destination=\"{destination}\"");
    metrics
        .lines()
        .filter(|line| line.starts_with("nxtp_processor_backlog{") && line.contains(&label))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_mid_flight_and_restarted_it_delivers_everything_once() {
    let net = Net::with_window(&[1000, 2000], 3).await;
    let text = nxtp_devnet::processor_agent::config_toml(
        &net.manifest,
        net.dir(),
        &nxtp_devnet::AgentOptions::default(),
    )
    .expect("the manifest has the processor's key");
    let config = net.write_config("processor", &text);
    let log = net.dir().join("processor.log");
    // An environment override, as an operator would set one.
    let env = [("NXTP__BATCH_SIZE", "3")];
    let processor = AgentProcess::spawn("processor", &config, &log, &env);

    let sends: Vec<(u32, String)> = (0..6).map(|i| (2000, format!("#{i}"))).collect();
    let mut messages = net.dispatch(1000, &sends).await;
    let confirm_at = net.honest_update(1000, &[2000]).await.1[0];

    // Stop mining on 2000 and mine one block at the end of the window: the processor sends its
    // two batches, which stay in the mempool.
    let destination = net.reader(2000);
    destination
        .anvil_set_interval_mining(0)
        .await
        .expect("pause mining");
    let next = confirm_at.max(net.chain_time(2000).await + 1);
    destination
        .anvil_set_next_block_timestamp(next)
        .await
        .expect("set timestamp");
    destination.anvil_mine(Some(1), None).await.expect("mine");
    eventually("two batches sent", || async {
        net.sent_txs(2000, Role::Processor).await == 2
    })
    .await;
    processor.kill();

    // Restarted while they are pending: nothing is sent again.
    let processor = AgentProcess::spawn("processor", &config, &log, &env);
    // Nothing is sent again once the restarted processor has gone through a whole delivery step
    // on 2000 (planning and following its open transactions), which it reports as its backlog.
    let ops = processor.ops_addr().await;
    eventually("the restarted processor to step through 2000", || async {
        !backlog(&ops, 2000).is_empty()
    })
    .await;
    processor.assert_running();
    assert_eq!(net.sent_txs(2000, Role::Processor).await, 2);
    destination
        .anvil_set_interval_mining(1)
        .await
        .expect("resume mining");
    eventually("the first six delivered", || async {
        net.handled(2000).await == 6
    })
    .await;

    let ops = processor.ops_addr().await;
    eventually("healthy", || async { http_get(&ops, "/health").0 == 200 }).await;
    eventually("deliveries counted", || async {
        let (_, metrics) = http_get(&ops, "/metrics");
        metrics.lines().any(|line| {
            line.starts_with("nxtp_processor_messages_delivered_total{")
                && line.contains("destination=\"2000\"")
                && line.ends_with(" 6")
        })
    })
    .await;

    // Killed again while a new root is inside its window; restarted after it ends.
    let more = net
        .dispatch(1000, &[(2000, "#6".to_owned()), (2000, "#7".to_owned())])
        .await;
    messages.extend(more);
    let confirm_at = net.honest_update(1000, &[2000]).await.1[0];
    processor.kill();
    eventually("the window is over", || async {
        net.chain_time(2000).await > confirm_at
    })
    .await;
    let processor = AgentProcess::spawn("processor", &config, &log, &env);
    eventually("every message delivered", || async {
        net.handled(2000).await == 8
    })
    .await;
    // No second delivery or transaction once a delivery step finds nothing left to do.
    let ops = processor.ops_addr().await;
    eventually("the processor to have nothing left to deliver", || async {
        let backlog = backlog(&ops, 2000);
        !backlog.is_empty() && backlog.iter().all(|&count| count == 0)
    })
    .await;
    processor.assert_running();
    for message in &messages {
        assert_eq!(net.times_handled(message).await, 1);
    }
    assert_eq!(net.handled(2000).await, 8);
    assert_eq!(
        net.mined_txs(2000, Role::Processor).await,
        3,
        "two batches, then one"
    );
    processor.kill();
}

#[test]
fn a_bad_config_stops_it_at_start_up_naming_the_field_and_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("processor.toml");
    std::fs::write(
        &config,
        r#"
        database = "processor.sqlite"
        signer = { env = "PROCESSOR_KEY" }
        [telemetry]
        listen = "127.0.0.1:0"
        [domains.2000]
        home = "0x0000000000000000000000000000000000000002"
        replicas = { 1000 = "0x0000000000000000000000000000000000000003" }
        [domains.2000.chain]
        rpc_url = "http://127.0.0.1:1"
        chain_id = 31338
        confirmations = 1
        "#,
    )
    .expect("writes");
    let path = config.to_str().expect("utf-8 path");
    let (code, stderr) = run_to_exit(&["processor", "--config", path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("domains.2000.replicas.1000: origin 1000 has no [domains.1000] section")
            && stderr.contains(path),
        "{stderr}"
    );

    std::fs::write(&config, "database = 7\n").expect("writes");
    let (code, stderr) = run_to_exit(&["processor", "--config", path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("database") && stderr.contains(path),
        "{stderr}"
    );
}
