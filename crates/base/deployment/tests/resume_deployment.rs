//! A resumed deployment and the transactions its journal has `sent` but not `done`: one mined before
//! the kill is waited for, not signed again; one the chain can never mine (its nonce taken by another
//! transaction) is a clear error naming the step, not a hang.

use alloy::{
    eips::eip2718::Encodable2718,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use nxtp_deployment::{
    resumable::{self, ChainPlan, Entry, Journal, Plan},
    DeployError,
};
use nxtp_primitives::Domain;
use std::{path::Path, time::Duration};

fn plan(rpc_url: String, chain_id: u64) -> Plan {
    Plan {
        chains: vec![ChainPlan {
            domain: Domain(1000),
            rpc_url,
            chain_id,
        }],
        optimistic_seconds: 1800,
        min_optimistic_seconds: 1800,
        required_bond: U256::from(1_000u64),
        updater: Address::repeat_byte(0x11),
        watchers: vec![Address::repeat_byte(0x22)],
        sequencers: vec![Address::repeat_byte(0x33)],
        sequencer_threshold: 1,
        relayers: vec![Address::repeat_byte(0x44)],
        routers: vec![],
        relayer_fee_vault: Address::repeat_byte(0x55),
        owner: None,
        assets: vec![],
        receipt_timeout: Duration::from_secs(30),
    }
}

fn journal_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("journal")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a journal line"))
        .collect()
}

/// Rewrites the journal at `path` as `lines`.
fn rewrite(path: &Path, lines: &[serde_json::Value]) {
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(path, text).expect("journal rewritten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_deployment_waits_for_what_was_mined_and_names_what_never_can_be() {
    let anvil = nxtp_toolchain::spawn_anvil(31337);
    let deployer: PrivateKeySigner = anvil.keys()[3].clone().into();
    let plan = plan(anvil.endpoint(), anvil.chain_id());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("manifest.json.journal");

    let first = {
        let journal = Journal::open(&path).expect("journal");
        resumable::deploy(&plan, &deployer, &journal)
            .await
            .expect("the deployment runs")
    };

    // Killed after the last steps were mined but before they were journaled done: the journal shows
    // them sent. Their transactions are on chain, so re-sending them is refused ("nonce too low").
    let lines = journal_lines(&path);
    let mut kept = lines.clone();
    for _ in 0..3 {
        let last_done = kept
            .iter()
            .rposition(|line| line["event"] == "done")
            .expect("a done step");
        kept.remove(last_done);
    }
    rewrite(&path, &kept);
    let journal = Journal::open(&path).expect("journal");
    let resumed = resumable::deploy(&plan, &deployer, &journal)
        .await
        .expect("the resumed deployment waits for the mined transactions");
    assert_eq!(resumed, first, "the same deployment");
    let after = journal_lines(&path);
    assert_eq!(after.len(), lines.len(), "nothing sent again");
    assert_eq!(
        after.iter().filter(|line| line["event"] == "sent").count(),
        lines.iter().filter(|line| line["event"] == "sent").count(),
    );
    drop(journal);

    // A step journaled sent with a transaction the chain never saw and never can mine: another
    // transaction took its nonce.
    let provider = ProviderBuilder::new().connect_http(anvil.endpoint().parse().expect("url"));
    let displaced = TransactionRequest::default()
        .with_to(Address::repeat_byte(0x66))
        .with_value(U256::from(1u64))
        .with_nonce(0)
        .with_chain_id(anvil.chain_id())
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(10_000_000_000)
        .with_max_priority_fee_per_gas(1)
        .build(&EthereumWallet::from(deployer.clone()))
        .await
        .expect("signed");
    let hash = *displaced.tx_hash();
    assert!(provider
        .get_transaction_by_hash(hash)
        .await
        .expect("rpc")
        .is_none());
    let mut lines = journal_lines(&path);
    let last_done = lines.len() - 1;
    let step = lines[last_done]["step"].clone();
    lines[last_done] = serde_json::to_value(Entry::Sent {
        step: step.as_str().expect("step").to_owned(),
        tx: hash,
        raw: displaced.encoded_2718().into(),
    })
    .expect("entry");
    rewrite(&path, &lines);
    let journal = Journal::open(&path).expect("journal");
    let err = resumable::deploy(&plan, &deployer, &journal)
        .await
        .expect_err("a transaction that can never be mined");
    match &err {
        DeployError::Step {
            domain,
            step,
            source,
        } => {
            assert_eq!(*domain, Domain(1000));
            assert!(
                step.contains("re-send") && step.contains(&hash.to_string()),
                "{err}"
            );
            assert!(source.to_string().contains("nonce too low"), "{source}");
        }
        other => panic!("expected a step error, got {other}"),
    }
}
