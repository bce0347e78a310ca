//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`: valid inputs taken from
//! the shared test vectors (`contracts/test/vectors/`), the API types and the agents' own config
//! test fixtures, in the layouts `nxtp_fuzz` reads. Run once after the formats change
//! (`make fuzz-seeds`), then minimize (`make fuzz-cmin`) and commit.

use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    sol_types::{SolCall, SolEvent, SolInterface, SolValue},
};
use nxtp_api::{relayer, sequencer};
use nxtp_bindings::{ConnectionManager, Connext, Home, Replica};
use nxtp_fuzz::{api, batch, config, consensus, events, message, multiproof, seed};
use nxtp_primitives::{Domain, MerkleTree, TransferInfo};
use serde_json::Value;
use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let repo = root.join("..");
    let vectors = |name: &str| -> Value {
        let path = repo.join("contracts/test/vectors").join(name);
        serde_json::from_str(&fs::read_to_string(&path).expect("vector file")).expect("vector JSON")
    };
    let messaging = vectors("messaging.json");
    let transfers = vectors("transfers.json");
    let corpus = root.join("corpus");

    let infos: Vec<TransferInfo> = transfers["transfers"]
        .as_array()
        .expect("transfers")
        .iter()
        .map(|t| TransferInfo::abi_decode(&hex(&t["encoded"])).expect("vector TransferInfo"))
        .collect();

    // message: the vectors' encoded messages and TransferInfos.
    let mut seeds = Vec::new();
    for m in messaging["messages"].as_array().expect("messages") {
        seeds.push(seed(message::MESSAGE, &hex(&m["encoded"])));
    }
    for t in transfers["transfers"].as_array().expect("transfers") {
        seeds.push(seed(message::TRANSFER_INFO, &hex(&t["encoded"])));
    }
    write(&corpus.join("message"), &seeds);

    // events: a real XCalled per vector transfer, Dispatch per vector message, and every other event
    // of each contract with its topic0 and empty fields (the fuzzer fills them in).
    let mut seeds = Vec::new();
    for info in &infos {
        let event = Connext::XCalled {
            transferId: nxtp_primitives::transfer_id(info),
            nonce: info.nonce,
            messageHash: B256::repeat_byte(0x11),
            params: info.clone().into(),
            asset: Address::repeat_byte(0x22),
            amount: info.bridgedAmt,
            local: Address::repeat_byte(0x22),
            messageBody: Default::default(),
        };
        seeds.push(event_seed(events::CONNEXT, &event));
    }
    for (i, m) in messaging["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .enumerate()
    {
        let encoded = hex(&m["encoded"]);
        let event = Home::Dispatch {
            leaf: keccak256(&encoded),
            leafIndex: U256::from(i),
            destination: m["destination"].as_u64().expect("destination") as u32,
            nonce: m["nonce"].as_u64().expect("nonce") as u32,
            message: encoded.into(),
        };
        seeds.push(event_seed(events::HOME, &event));
    }
    let selectors: [(u8, &[[u8; 32]]); 4] = [
        (events::CONNEXT, Connext::ConnextEvents::SELECTORS),
        (events::HOME, Home::HomeEvents::SELECTORS),
        (events::REPLICA, Replica::ReplicaEvents::SELECTORS),
        (
            events::CONNECTION_MANAGER,
            ConnectionManager::ConnectionManagerEvents::SELECTORS,
        ),
    ];
    for (selector, hashes) in selectors {
        for hash in hashes {
            let topics = [B256::from(*hash), B256::ZERO, B256::ZERO, B256::ZERO];
            seeds.push(seed(selector, &events::encode(&topics, &[0u8; 96])));
        }
    }
    // Revert data: one custom error of each contract the agents decode errors of.
    let errors: [Vec<u8>; 2] = [
        Connext::ConnextErrors::InvalidTransferStatus(Connext::InvalidTransferStatus {
            transferId: B256::repeat_byte(0x11),
            status: 1,
        })
        .abi_encode(),
        Replica::ReplicaErrors::AlreadyProcessed(Replica::AlreadyProcessed {
            index: U256::from(3),
        })
        .abi_encode(),
    ];
    for data in errors {
        seeds.push(seed(events::REVERT_DATA, &events::encode(&[], &data)));
    }
    write(&corpus.join("events"), &seeds);

    // multiproof: the true multiproofs of a few index sets, as arbitrary proofs and as tamperings.
    let mut seeds = Vec::new();
    for (size, indices) in [
        (0u8, vec![0u32]),
        (5, vec![1, 2, 5]),
        (15, vec![0, 3, 4, 9, 15]),
        (7, vec![7]),
    ] {
        let tree: MerkleTree = multiproof::tree(size);
        let proof = tree
            .multiproof_at(&indices, tree.count())
            .expect("tree proves its leaves");
        seeds.push(seed(
            multiproof::ARBITRARY,
            &multiproof::encode_arbitrary(size, &proof),
        ));
        let bitmap: u16 = indices.iter().map(|i| 1u16 << i).sum();
        let [b0, b1] = bitmap.to_be_bytes();
        seeds.push(seed(multiproof::TAMPERED, &[size, b0, b1, 0, 3, 0x80]));
    }
    write(&corpus.join("multiproof"), &seeds);

    // api: one valid body of each type.
    let mut seeds = Vec::new();
    let transfer_id = nxtp_primitives::transfer_id(&infos[0]);
    let bid = sequencer::BidRequest {
        router: Address::repeat_byte(0x33),
        transfer_id,
        signatures: BTreeMap::from([
            (1, Bytes::from(vec![0x44; 65])),
            (2, Bytes::from(vec![0x55; 65])),
        ]),
    };
    seeds.push(json_seed(api::BID, &bid));
    let calldata = Connext::executeCall {
        args: Connext::ExecuteArgs {
            params: infos[0].clone().into(),
            routers: vec![Address::repeat_byte(0x33)],
            routerSignatures: vec![Bytes::from(vec![0x44; 65])],
            sequencer: Address::repeat_byte(0x66),
            sequencerSignature: Bytes::from(vec![0x77; 65]),
        },
    }
    .abi_encode();
    seeds.push(json_seed(
        api::JOB,
        &relayer::JobRequest::execute(Domain(2000), calldata.into()),
    ));
    let message = hex(&messaging["messages"][1]["encoded"]);
    let process = Replica::processCall {
        message: message.into(),
    }
    .abi_encode();
    seeds.push(json_seed(
        api::JOB,
        &relayer::JobRequest::process(Domain(2000), Domain(1000), process.into()),
    ));
    let view = sequencer::TransferView {
        transfer_id,
        origin: Some(Domain(1000)),
        destination: Some(Domain(2000)),
        state: sequencer::TransferState::Sent {
            routers: vec![Address::repeat_byte(0x33)],
            job_id: B256::repeat_byte(0x88),
        },
        reason: "sent".to_owned(),
        bids: vec![sequencer::RouterBids {
            router: Address::repeat_byte(0x33),
            path_lengths: vec![1, 2],
        }],
        selected: Some(vec![Address::repeat_byte(0x33)]),
        relayer_job: Some(B256::repeat_byte(0x88)),
    };
    seeds.push(json_seed(api::TRANSFER_VIEW, &view));
    let job = relayer::JobView {
        job_id: B256::repeat_byte(0x88),
        domain: Domain(2000),
        kind: relayer::JobKind::Execute,
        state: relayer::JobState::Confirmed,
        tx_hash: Some(B256::repeat_byte(0x99)),
        block: Some(7),
        reason: None,
    };
    seeds.push(json_seed(api::JOB_VIEW, &job));
    seeds.push(json_seed(
        api::SEQUENCER_ERROR,
        &sequencer::ApiError::new(sequencer::ErrorCode::Malformed, "bad"),
    ));
    seeds.push(json_seed(
        api::RELAYER_ERROR,
        &relayer::ApiError::new(relayer::ErrorCode::UnsupportedCall, "bad"),
    ));
    seeds.push(json_seed(
        api::QUOTE,
        &sequencer::Quote {
            origin: Domain(1000),
            destination: Domain(2000),
            relayer_fee: U256::from(10u64.pow(15)),
        },
    ));
    write(&corpus.join("api"), &seeds);

    // config: every raw-string TOML fixture (alone or after another, as the crates' tests combine
    // a shared chains section with a case) in each agent's config tests that parses as its type,
    // plus the fuzz relayer config through the generic loader with an override.
    let mut seeds = Vec::new();
    let crates = [
        "updater",
        "processor",
        "message-relayer",
        "watcher",
        "relayer",
        "sequencer",
        "router",
        "executor",
    ];
    for (selector, name) in crates.iter().enumerate() {
        let source = fs::read_to_string(crate_dir(&repo, name).join("src/config.rs"))
            .expect("config source");
        // The updater's and message relayer's fixtures name their contracts or manifest in a
        // `format!` prefix: try the raw strings after such a prefix too.
        let mut fixtures = raw_strings(&source);
        let prefixes = [
            format!(
                "domain = 1000\nhome = \"{}\"\nreplicas = {{ 2000 = \"{}\" }}\n",
                Address::repeat_byte(7),
                Address::repeat_byte(8)
            ),
            "manifest = \"manifest.json\"\n".to_owned(),
        ];
        let prefixed: Vec<String> = fixtures
            .iter()
            .flat_map(|f| prefixes.iter().map(move |p| format!("{p}{f}")))
            .collect();
        fixtures.extend(prefixed);
        let mut found = 0;
        'search: for first in &fixtures {
            for candidate in std::iter::once(first.clone())
                .chain(fixtures.iter().map(|second| format!("{first}\n{second}")))
            {
                let input = seed(selector as u8, candidate.as_bytes());
                if parses(selector, &candidate) {
                    seeds.push(input);
                    found += 1;
                    if found == 2 {
                        break 'search;
                    }
                    continue 'search;
                }
            }
        }
        println!("config {name}: {found} seeds");
    }
    // The message relayer's tests build their file in code: the same shape, written out.
    let message_relayer = "database = \"r.sqlite\"\nmanifest = \"manifest.json\"\n\
        signer = { env = \"KEY\" }\ndomains = [1000, 2000]\n\
        [chains.1000]\nrpc_url = \"http://127.0.0.1:1\"\nchain_id = 1000\nconfirmations = 1\n\
        [telemetry]\nlisten = \"127.0.0.1:0\"\n";
    assert!(
        parses(2, message_relayer),
        "the message relayer seed parses"
    );
    seeds.push(seed(2, message_relayer.as_bytes()));
    if let Err(err) =
        nxtp_agent::config::parse_str::<nxtp_relayer::RelayerConfig>(&api::relayer_config())
    {
        panic!("the fuzz relayer config does not parse: {err}");
    }
    let loader = config::AGENTS.len() as u8 - 1;
    seeds.push(seed(
        loader,
        format!(
            "NXTP__DOMAINS__2000__CHAIN__CONFIRMATIONS=3\n{}",
            api::relayer_config()
        )
        .as_bytes(),
    ));
    write(&corpus.join("config"), &seeds);

    // consensus, batch: real engine messages signed by a node key, and the batches they carry.
    write(&corpus.join("consensus"), &consensus::seeds());
    write(&corpus.join("batch"), &batch::seeds());
}

/// Whether `text` parses as the configuration of agent number `selector` (in `config::AGENTS`).
fn parses(selector: usize, text: &str) -> bool {
    match selector {
        0 => nxtp_agent::config::parse_str::<nxtp_updater::UpdaterConfig>(text).is_ok(),
        1 => nxtp_agent::config::parse_str::<nxtp_processor::ProcessorConfig>(text).is_ok(),
        2 => nxtp_agent::config::parse_str::<nxtp_message_relayer::MessageRelayerConfig>(text)
            .is_ok(),
        3 => nxtp_agent::config::parse_str::<nxtp_watcher::WatcherConfig>(text).is_ok(),
        4 => nxtp_agent::config::parse_str::<nxtp_relayer::RelayerConfig>(text).is_ok(),
        5 => nxtp_agent::config::parse_str::<nxtp_sequencer::SequencerConfig>(text).is_ok(),
        6 => nxtp_agent::config::parse_str::<nxtp_router::RouterConfig>(text).is_ok(),
        _ => nxtp_agent::config::parse_str::<nxtp_executor::ExecutorConfig>(text).is_ok(),
    }
}

/// The contents of every `r#"..."#` literal in `source`.
fn raw_strings(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("r#\"") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("\"#") else { break };
        out.push(after[..end].to_owned());
        rest = &after[end + 2..];
    }
    out
}

fn event_seed<E: SolEvent>(selector: u8, event: &E) -> Vec<u8> {
    let log = event.encode_log_data();
    seed(selector, &events::encode(log.topics(), &log.data))
}

fn json_seed<T: serde::Serialize>(selector: u8, value: &T) -> Vec<u8> {
    seed(selector, &serde_json::to_vec(value).expect("serializable"))
}

fn hex(value: &Value) -> Vec<u8> {
    alloy::primitives::hex::decode(value.as_str().expect("hex string")).expect("hex")
}

/// Replaces `dir`'s seeds (`seed-*` files; inputs the fuzzer found are kept) with `seeds`.
/// The folder of the workspace crate `name`, under its layer's folder (`crates/<layer>/<name>`).
fn crate_dir(repo: &Path, name: &str) -> PathBuf {
    fs::read_dir(repo.join("crates"))
        .expect("crates folder")
        .map(|layer| layer.expect("entry").path().join(name))
        .find(|dir| dir.join("Cargo.toml").is_file())
        .unwrap_or_else(|| panic!("no crate {name} under crates/*/"))
}

fn write(dir: &Path, seeds: &[Vec<u8>]) {
    fs::create_dir_all(dir).expect("corpus directory");
    for entry in fs::read_dir(dir).expect("corpus directory") {
        let path = entry.expect("entry").path();
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("seed-"))
        {
            fs::remove_file(path).expect("old seed");
        }
    }
    for input in seeds {
        let name = format!("seed-{}", &keccak256(input).to_string()[2..18]);
        fs::write(dir.join(name), input).expect("seed file");
    }
    println!("{}: {} seeds", dir.display(), seeds.len());
}
