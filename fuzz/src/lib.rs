//! The checks behind the nxtp fuzz targets, one module per family of decoders of untrusted input.
//!
//! Each `check` takes the fuzzer's raw bytes, feeds them to the project's own decoders (the public
//! functions the agents call on data from a chain, a peer or a file) and asserts what must hold for
//! every input: no panic, and the properties named in each module. Most inputs start with a selector
//! byte that picks one decoder of the family; [`seed`] writes inputs in the same layout, so the seed
//! generator (`examples/seeds.rs`) and the targets cannot drift apart.

pub mod batch;
pub mod budget;
pub mod consensus;

/// The one-byte selector and the payload of a fuzz input; `None` for the empty input.
pub fn split(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(&selector, rest)| (selector, rest))
}

/// An input for a target whose decoder `selector` reads `payload`.
pub fn seed(selector: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + payload.len());
    out.push(selector);
    out.extend_from_slice(payload);
    out
}

/// Optimistic-messaging messages and the transfer data they carry.
pub mod message {
    use alloy::{primitives::keccak256, sol_types::SolValue};
    use nxtp_primitives::{
        message::MESSAGE_HEADER_BYTES, transfer_id, Message, MessageError, TransferInfo,
        MAX_MESSAGE_BODY_BYTES,
    };

    /// Selector: the packed message `Replica.process` delivers ([`Message::decode`]).
    pub const MESSAGE: u8 = 0;
    /// Selector: an ABI-encoded `TransferInfo` (the `params` of `XCalled` and of `execute`).
    pub const TRANSFER_INFO: u8 = 1;

    /// Decodes `data` as the selected type and checks that decoding is exact: whatever decodes
    /// re-encodes to the same bytes (so one message has one leaf), and refusals give the right reason.
    pub fn check(data: &[u8]) {
        let Some((selector, payload)) = super::split(data) else {
            return;
        };
        match selector % 2 {
            MESSAGE => check_message(payload),
            _ => check_transfer_info(payload),
        }
    }

    fn check_message(bytes: &[u8]) {
        match Message::decode(bytes) {
            Ok(message) => {
                assert_eq!(
                    message.encode().as_ref(),
                    bytes,
                    "decode then encode is exact"
                );
                assert_eq!(message.leaf(), keccak256(bytes));
                assert!(message.body.len() <= MAX_MESSAGE_BODY_BYTES);
            }
            Err(MessageError::TooShort { len }) => {
                assert_eq!(len, bytes.len());
                assert!(len < MESSAGE_HEADER_BYTES);
            }
            Err(MessageError::BodyTooLarge { len }) => {
                assert_eq!(len, bytes.len() - MESSAGE_HEADER_BYTES);
                assert!(len > MAX_MESSAGE_BODY_BYTES);
            }
        }
    }

    fn check_transfer_info(bytes: &[u8]) {
        if let Ok(info) = TransferInfo::abi_decode(bytes) {
            let encoded = info.abi_encode();
            let again = TransferInfo::abi_decode(&encoded).expect("an encoding decodes");
            assert_eq!(again, info, "encode then decode is the identity");
            assert_eq!(transfer_id(&again), transfer_id(&info));
            assert_eq!(transfer_id(&info), keccak256(&encoded));
        }
    }
}

/// Logs of the contracts the agents follow, decoded as the agents decode them.
pub mod events {
    use alloy::{
        primitives::{Address, Log, LogData, B256},
        sol_types::{SolEvent, SolEventInterface, SolInterface},
    };
    use nxtp_bindings::{ConnectionManager, Connext, Home, Replica};
    use nxtp_primitives::{transfer_id, Message, TransferInfo};

    /// Selector: a `Connext` log.
    pub const CONNEXT: u8 = 0;
    /// Selector: a `Home` log.
    pub const HOME: u8 = 1;
    /// Selector: a `Replica` log.
    pub const REPLICA: u8 = 2;
    /// Selector: a `ConnectionManager` log.
    pub const CONNECTION_MANAGER: u8 = 3;
    /// Selector: revert data of a failed call (the log's data), as the relayer, processor and
    /// watcher decode it into each contract's custom errors.
    pub const REVERT_DATA: u8 = 4;

    /// The payload layout: a topic count (mod 5), that many 32-byte topics, then the log's data.
    pub fn encode(topics: &[B256], data: &[u8]) -> Vec<u8> {
        let mut out = vec![u8::try_from(topics.len()).expect("at most four topics")];
        for topic in topics {
            out.extend_from_slice(topic.as_slice());
        }
        out.extend_from_slice(data);
        out
    }

    fn parse(payload: &[u8]) -> Option<Log> {
        let (&count, mut rest) = payload.split_first()?;
        let mut topics = Vec::new();
        for _ in 0..count % 5 {
            let (topic, tail) = rest.split_at_checked(32)?;
            topics.push(B256::from_slice(topic));
            rest = tail;
        }
        Some(Log {
            address: Address::ZERO,
            data: LogData::new_unchecked(topics, rest.to_vec().into()),
        })
    }

    /// Decodes the selected contract's log with every decoder an agent applies to it: the
    /// contract's event enum and each single event the agents ask for by type. Checks that an
    /// `XCalled` the agents accept yields a `TransferInfo` whose id is computable, that the
    /// message of a `Dispatch` goes through `Message::decode`, and that a decoded event
    /// re-encodes to a log that decodes again. [`REVERT_DATA`] decodes the data as revert data.
    pub fn check(data: &[u8]) {
        let Some((selector, payload)) = super::split(data) else {
            return;
        };
        let Some(log) = parse(payload) else {
            return;
        };
        let (topics, body) = (log.topics(), log.data.data.as_ref());
        match selector % 5 {
            CONNEXT => {
                let _ = Connext::ConnextEvents::decode_raw_log(topics, body);
                if let Ok(event) = Connext::XCalled::decode_log(&log) {
                    let info = TransferInfo::from(event.data.params.clone());
                    let _ = transfer_id(&info);
                    roundtrip(&event.data);
                }
                decode_roundtrip::<Connext::TransferRelayerFeesIncreased>(&log);
                decode_roundtrip::<Connext::Reconciled>(&log);
                decode_roundtrip::<Connext::Executed>(&log);
                decode_roundtrip::<Connext::ExternalCalldataExecuted>(&log);
            }
            HOME => {
                let _ = Home::HomeEvents::decode_raw_log(topics, body);
                if let Ok(event) = Home::Dispatch::decode_log(&log) {
                    let _ = Message::decode(&event.data.message);
                    roundtrip(&event.data);
                }
                decode_roundtrip::<Home::Update>(&log);
                decode_roundtrip::<Home::Checkpointed>(&log);
            }
            REPLICA => {
                let _ = Replica::ReplicaEvents::decode_raw_log(topics, body);
                decode_roundtrip::<Replica::Update>(&log);
                decode_roundtrip::<Replica::Processed>(&log);
                decode_roundtrip::<Replica::ProcessFailed>(&log);
            }
            CONNECTION_MANAGER => {
                let _ = ConnectionManager::ConnectionManagerEvents::decode_raw_log(topics, body);
            }
            _ => {
                let _ = Connext::ConnextErrors::abi_decode(body);
                let _ = Home::HomeErrors::abi_decode(body);
                let _ = Replica::ReplicaErrors::abi_decode(body);
                let _ = ConnectionManager::ConnectionManagerErrors::abi_decode(body);
            }
        }
    }

    fn decode_roundtrip<E: SolEvent>(log: &Log) {
        if let Ok(event) = E::decode_log(log) {
            roundtrip(&event.data);
        }
    }

    /// A decoded event encodes to a log that decodes again to the same log data.
    fn roundtrip<E: SolEvent>(event: &E) {
        let encoded = event.encode_log_data();
        let again =
            E::decode_raw_log(encoded.topics(), &encoded.data).expect("an encoded event decodes");
        assert_eq!(again.encode_log_data(), encoded);
    }
}

/// Multiproofs (and single proofs) checked against a known tree.
pub mod multiproof {
    use alloy::primitives::{keccak256, B256};
    use nxtp_primitives::{branch_root, merkle::MAX_LEAVES, MerkleError, MerkleTree, MultiProof};

    /// Selector: a proof made of arbitrary leaves, indices and proof words.
    pub const ARBITRARY: u8 = 0;
    /// Selector: the tree's true multiproof of some indices, with one word or index tampered with.
    pub const TAMPERED: u8 = 1;

    /// The most leaves of the known tree.
    const MAX_TREE: u8 = 16;

    /// The known tree: `1 + size % MAX_TREE` leaves `keccak256(i)`.
    pub fn tree(size: u8) -> MerkleTree {
        let mut tree = MerkleTree::new();
        for i in 0..=u32::from(size % MAX_TREE) {
            tree.insert(keccak256(i.to_be_bytes()))
                .expect("a small tree has room");
        }
        tree
    }

    /// Layout of an arbitrary proof: tree size, a leaf count (mod 9), that many big-endian `u32`
    /// indices and 32-byte leaves, then proof words (every whole 32 bytes that follow).
    pub fn encode_arbitrary(size: u8, proof: &MultiProof) -> Vec<u8> {
        let mut out = vec![size, u8::try_from(proof.leaves.len()).expect("few leaves")];
        for index in &proof.indices {
            out.extend_from_slice(&index.to_be_bytes());
        }
        for leaf in &proof.leaves {
            out.extend_from_slice(leaf.as_slice());
        }
        for word in &proof.proof {
            out.extend_from_slice(word.as_slice());
        }
        out
    }

    /// The leaf at `index` of `tree`: its inserted leaf, or zero past its count.
    fn leaf_at(tree: &MerkleTree, index: u32) -> B256 {
        tree.leaves()
            .get(index as usize)
            .copied()
            .unwrap_or(B256::ZERO)
    }

    /// Never a panic; a proof that yields the tree's root proves only the tree's true leaves; the
    /// true proof yields the root and any change to it yields another root or a refusal.
    pub fn check(data: &[u8]) {
        let Some((selector, payload)) = super::split(data) else {
            return;
        };
        match selector % 2 {
            ARBITRARY => check_arbitrary(payload),
            _ => check_tampered(payload),
        }
    }

    fn check_arbitrary(payload: &[u8]) {
        let [size, count, rest @ ..] = payload else {
            return;
        };
        let count = usize::from(*count % 9);
        let Some((indices, rest)) = rest.split_at_checked(4 * count) else {
            return;
        };
        let Some((leaves, rest)) = rest.split_at_checked(32 * count) else {
            return;
        };
        let proof = MultiProof {
            indices: indices
                .chunks_exact(4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            leaves: leaves.chunks_exact(32).map(B256::from_slice).collect(),
            proof: rest.chunks_exact(32).map(B256::from_slice).collect(),
        };
        let tree = tree(*size);
        if proof.root() == Ok(tree.root()) {
            for (&index, &leaf) in proof.indices.iter().zip(&proof.leaves) {
                assert_eq!(
                    leaf,
                    leaf_at(&tree, index),
                    "a multiproof with the true root proved a leaf the tree does not hold"
                );
            }
        }
        // A one-leaf multiproof with a full path is a single proof: both must agree, except at
        // the index one past the largest tree (`MAX_LEAVES`), which multiproofs refuse as the
        // contracts refuse it for both kinds of proof.
        if let ([index], [leaf]) = (proof.indices.as_slice(), proof.leaves.as_slice()) {
            if let Ok(path) = <[B256; 32]>::try_from(proof.proof.as_slice()) {
                let expected = if *index == MAX_LEAVES {
                    Err(MerkleError::InvalidMultiproofIndices)
                } else {
                    Ok(branch_root(*leaf, &path, *index))
                };
                assert_eq!(proof.root(), expected);
            }
        }
    }

    /// Layout: tree size, a bitmap of the proven indices (two bytes, leaves 0..16), which word
    /// to tamper with (two bytes: leaves then proof words, modulo their number) and the XOR mask's
    /// byte. A bitmap selecting none or leaves past the tree proves index 0.
    fn check_tampered(payload: &[u8]) {
        let [size, b0, b1, w0, w1, mask, ..] = payload else {
            return;
        };
        let tree = tree(*size);
        let bitmap = u16::from_be_bytes([*b0, *b1]);
        let mut indices: Vec<u32> = (0..u32::from(MAX_TREE))
            .filter(|&i| bitmap >> i & 1 == 1 && i < tree.count())
            .collect();
        if indices.is_empty() {
            indices.push(0);
        }
        let truth = tree
            .multiproof_at(&indices, tree.count())
            .expect("the tree proves its own leaves");
        assert_eq!(
            truth.root(),
            Ok(tree.root()),
            "the true multiproof yields the root"
        );

        let mut forged = truth.clone();
        let words = forged.leaves.len() + forged.proof.len();
        let which = usize::from(u16::from_be_bytes([*w0, *w1])) % words;
        let mask = if *mask == 0 { 1 } else { *mask };
        let word = if which < forged.leaves.len() {
            &mut forged.leaves[which]
        } else {
            &mut forged.proof[which - forged.leaves.len()]
        };
        word.0[31] ^= mask;
        assert_ne!(
            forged.root(),
            Ok(tree.root()),
            "a tampered word kept the root"
        );

        // Moving one proven index to a position it does not hold changes the root too (or is refused).
        let mut moved = truth;
        let last = moved.indices.len() - 1;
        moved.indices[last] = moved.indices[last].wrapping_add(u32::from(mask));
        if moved.leaves[last] != leaf_at(&tree, moved.indices[last]) {
            assert_ne!(moved.root(), Ok(tree.root()), "a moved index kept the root");
        }
    }
}

/// The JSON bodies the sequencer and relayer accept over HTTP, and the answers their clients read.
pub mod api {
    use alloy::primitives::Address;
    use nxtp_api::{relayer, sequencer};
    use nxtp_primitives::ConnextSigningDomain;
    use nxtp_relayer::{calls, DomainConfig, RelayerConfig};
    use serde::{de::DeserializeOwned, Serialize};
    use std::{collections::BTreeMap, fmt::Debug, sync::LazyLock};

    /// Selector: `POST /v1/bids` at the sequencer (`BidRequest`, then the bid's own checks).
    pub const BID: u8 = 0;
    /// Selector: `POST /v1/jobs` at the relayer (`JobRequest`, then the relayer's call check).
    pub const JOB: u8 = 1;
    /// Selector: the sequencer's `TransferView` answer, as the SDK and routers read it.
    pub const TRANSFER_VIEW: u8 = 2;
    /// Selector: the relayer's `JobView` answer.
    pub const JOB_VIEW: u8 = 3;
    /// Selector: the sequencer's error body.
    pub const SEQUENCER_ERROR: u8 = 4;
    /// Selector: the relayer's error body.
    pub const RELAYER_ERROR: u8 = 5;
    /// Selector: the sequencer's quote.
    pub const QUOTE: u8 = 6;

    /// The relayer configuration the job check runs against: domain 2000 with a `Connext` and the
    /// `Replica` of origin 1000 (addresses written EIP-55 checksummed, as configs must be).
    pub fn relayer_config() -> String {
        format!(
            r#"
database = "relayer.sqlite"
signer = {{ env = "NXTP_FUZZ_UNUSED_KEY" }}
[telemetry]
listen = "127.0.0.1:0"
[api]
listen = "127.0.0.1:0"
[domains.2000]
connext = "{}"
replicas = {{ 1000 = "{}" }}
[domains.2000.chain]
rpc_url = "http://127.0.0.1:1"
chain_id = 2000
confirmations = 1
"#,
            Address::repeat_byte(0xC0),
            Address::repeat_byte(0xE1)
        )
    }

    /// The signing domain of the destination `Connext` bids are checked against.
    static SEQUENCER_DOMAIN: LazyLock<ConnextSigningDomain> =
        LazyLock::new(|| ConnextSigningDomain::new(2000, Address::repeat_byte(0xC0)));

    static DOMAINS: LazyLock<BTreeMap<nxtp_primitives::Domain, DomainConfig>> =
        LazyLock::new(|| {
            let config = nxtp_agent::config::parse_str::<RelayerConfig>(&relayer_config())
                .expect("the fuzz relayer config is valid");
            (*config.domains).clone()
        });

    /// Parses the selected body; what parses must serialize and parse back to itself, and pass
    /// through the validation its server or client applies next without panicking.
    pub fn check(data: &[u8]) {
        let Some((selector, body)) = super::split(data) else {
            return;
        };
        match selector % 7 {
            BID => {
                if let Ok(bid) = sequencer::BidRequest::from_json(body) {
                    roundtrip(&bid);
                    let max = nxtp_sequencer::bids::MAX_ROUTERS;
                    if let Ok(accepted) =
                        nxtp_sequencer::bids::check(&bid, max, &[&SEQUENCER_DOMAIN])
                    {
                        assert_eq!(accepted.len(), bid.signatures.len());
                    }
                }
            }
            JOB => {
                if let Ok(request) = relayer::JobRequest::from_json(body) {
                    roundtrip(&request);
                    if let Ok(job) = calls::check(&DOMAINS, request.clone()) {
                        assert_eq!(job.calldata, request.calldata);
                        assert_eq!(
                            job.id,
                            relayer::job_id(job.domain, job.target, &job.calldata)
                        );
                    }
                }
            }
            TRANSFER_VIEW => {
                if let Ok(value) = serde_json::from_slice::<sequencer::TransferView>(body) {
                    roundtrip(&value);
                }
            }
            JOB_VIEW => {
                if let Ok(value) = serde_json::from_slice::<relayer::JobView>(body) {
                    roundtrip(&value);
                }
            }
            SEQUENCER_ERROR => {
                if let Ok(value) = serde_json::from_slice::<sequencer::ApiError>(body) {
                    roundtrip(&value);
                }
            }
            RELAYER_ERROR => {
                if let Ok(value) = serde_json::from_slice::<relayer::ApiError>(body) {
                    roundtrip(&value);
                }
            }
            _ => {
                if let Ok(value) = serde_json::from_slice::<sequencer::Quote>(body) {
                    roundtrip(&value);
                }
            }
        }
    }

    /// A parsed body serializes to JSON that parses back to the same value.
    fn roundtrip<T: DeserializeOwned + Serialize + PartialEq + Debug>(value: &T) {
        let json = serde_json::to_vec(value).expect("a parsed body serializes");
        let again: T = serde_json::from_slice(&json).expect("a serialized body parses");
        assert_eq!(&again, value, "serialize then parse is the identity");
    }
}

/// Each agent's TOML configuration, as `nxtp <agent> --config` reads it.
pub mod config {
    use nxtp_agent::config::{parse_str, parse_with_env};
    use std::path::Path;

    /// The agents, in selector order.
    pub const AGENTS: [&str; 9] = [
        "updater",
        "processor",
        "message-relayer",
        "watcher",
        "relayer",
        "sequencer",
        "router",
        "executor",
        "load-with-env",
    ];

    /// Parses the text as the selected agent's configuration the way `nxtp_agent::config` loads
    /// it, running the checks the type does after parsing (`resolve` where it reads no file). The
    /// last selector runs the generic loader with environment overrides: lines of the input that
    /// start with `NXTP__` are overrides (`NAME=VALUE`), the rest is the file.
    pub fn check(data: &[u8]) {
        let Some((selector, text)) = super::split(data) else {
            return;
        };
        let Ok(text) = std::str::from_utf8(text) else {
            return;
        };
        match usize::from(selector) % AGENTS.len() {
            0 => {
                if let Ok(config) = parse_str::<nxtp_updater::UpdaterConfig>(text) {
                    // With a manifest, resolving reads the file the input names: only without one.
                    if config.manifest.is_none() {
                        let _ = config.resolve();
                    }
                }
            }
            1 => {
                if let Ok(config) = parse_str::<nxtp_processor::ProcessorConfig>(text) {
                    for origin in config.origins() {
                        let _ = config.origins_of(origin);
                    }
                }
            }
            2 => {
                // Resolving reads the manifest file the input names, so only the parse is fuzzed.
                let _ = parse_str::<nxtp_message_relayer::MessageRelayerConfig>(text);
            }
            3 => {
                let _ = parse_str::<nxtp_watcher::WatcherConfig>(text);
            }
            4 => {
                let _ = parse_str::<nxtp_relayer::RelayerConfig>(text);
            }
            5 => {
                let _ = parse_str::<nxtp_sequencer::SequencerConfig>(text);
            }
            6 => {
                let _ = parse_str::<nxtp_router::RouterConfig>(text);
            }
            7 => {
                let _ = parse_str::<nxtp_executor::ExecutorConfig>(text);
            }
            _ => load_with_env(text),
        }
    }

    fn load_with_env(text: &str) {
        let (overrides, file): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|line| line.starts_with("NXTP__"));
        let env = overrides.iter().map(|line| match line.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => ((*line).to_owned(), String::new()),
        });
        let _ = parse_with_env::<toml::Table>(&file.join("\n"), Path::new("<fuzz>"), env);
    }
}
