//! `deploy` on real anvil chains: everything is wired as the manifest says, and a message dispatched on
//! one domain is delivered on another with a signature and a proof made in Rust (so the Rust side's
//! Merkle proofs and update hashes agree with the contracts on chain).

use alloy::{
    network::EthereumWallet,
    primitives::{keccak256, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol_types::SolValue,
};
use common::{accounts, chains};
use nxtp_bindings::{ConnectionManager, Home, RecordingRecipient, Replica};
use nxtp_deployment::Manifest;
use nxtp_devnet::{deploy, DeployConfig, Role, RECORDING_RECIPIENT};
use nxtp_primitives::{
    address_to_bytes32, sign_digest, Domain, HomeSigningDomain, MerkleTree, Message,
};

mod common;

fn provider(rpc_url: &str, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(rpc_url.parse().expect("url"))
        .erased()
}

#[tokio::test]
async fn everything_is_wired_as_the_manifest_says() {
    let (anvils, endpoints) = chains(&[1000, 2000, 3000]);
    let accounts = accounts(&anvils[0]);
    let config = DeployConfig::default();
    let manifest = deploy(&endpoints, &accounts, &config)
        .await
        .expect("deploy");

    let deployer = accounts.address(Role::Deployer);
    let updater = accounts.address(Role::Updater);
    let watcher = accounts.address(Role::Watcher);
    assert_eq!(manifest.optimistic_seconds, config.optimistic_seconds);
    assert_eq!(manifest.domains.len(), 3);
    let roles: Vec<_> = manifest.dev_keys.keys().map(String::as_str).collect();
    assert_eq!(
        roles,
        [
            "checkpointer",
            "deployer",
            "message_relayer",
            "processor",
            "relayer",
            "router_a",
            "router_b",
            "sequencer",
            "updater",
            "user",
            "watcher"
        ]
    );
    assert_ne!(
        manifest.dev_keys["updater"], manifest.dev_keys["watcher"],
        "distinct keys per role"
    );

    for (i, endpoint) in endpoints.iter().enumerate() {
        let domain = endpoint.domain;
        let here = manifest.domain(domain).expect("every domain deployed");
        let chain = provider(&here.rpc_url, accounts.signer(Role::Deployer));
        assert_eq!(here.rpc_url, endpoint.rpc_url);
        assert_eq!(here.chain_id, 31337 + i as u64);
        assert_eq!(here.updater, updater);
        let head = chain.get_block_number().await.expect("block number");
        assert!(
            here.deploy_block >= 1 && here.deploy_block <= head,
            "deploy block {} of {head}",
            here.deploy_block
        );

        let home = Home::new(here.home, &chain);
        assert_eq!(
            home.localDomain().call().await.expect("localDomain"),
            domain.get()
        );
        assert_eq!(home.updater().call().await.expect("updater"), updater);
        assert_eq!(home.owner().call().await.expect("owner"), deployer);
        assert_eq!(
            home.bonds(updater).call().await.expect("bond"),
            config.required_bond,
            "the updater's bond is deposited"
        );
        assert_eq!(
            home.requiredBond().call().await.expect("requiredBond"),
            config.required_bond
        );

        let manager = ConnectionManager::new(here.connection_manager, &chain);
        assert_eq!(manager.owner().call().await.expect("owner"), deployer);
        assert!(
            !manager
                .watcherPermission(watcher, domain.get())
                .call()
                .await
                .expect("permission"),
            "no watcher permission for the local domain"
        );
        let remotes: Vec<Domain> = endpoints
            .iter()
            .map(|e| e.domain)
            .filter(|&d| d != domain)
            .collect();
        assert_eq!(
            here.replicas.keys().copied().collect::<Vec<_>>(),
            remotes,
            "a Replica for every other domain"
        );
        for (&remote, &replica_address) in &here.replicas {
            let there = manifest.domain(remote).expect("remote deployed");
            let remote_chain = provider(&there.rpc_url, accounts.signer(Role::Deployer));
            let remote_root = Home::new(there.home, &remote_chain)
                .committedRoot()
                .call()
                .await
                .expect("remote committedRoot");

            assert!(
                manager
                    .isInbound(replica_address, remote.get())
                    .call()
                    .await
                    .expect("isInbound"),
                "Replica of {remote} on {domain} is enrolled"
            );
            assert_eq!(
                manager
                    .domainToReplica(remote.get())
                    .call()
                    .await
                    .expect("domainToReplica"),
                replica_address
            );
            assert!(
                manager
                    .watcherPermission(watcher, remote.get())
                    .call()
                    .await
                    .expect("permission"),
                "watcher may halt the Replica of {remote} on {domain}"
            );

            let replica = Replica::new(replica_address, &chain);
            assert_eq!(
                replica.localDomain().call().await.expect("local"),
                domain.get()
            );
            assert_eq!(
                replica.remoteDomain().call().await.expect("remote"),
                remote.get()
            );
            assert_eq!(replica.updater().call().await.expect("updater"), updater);
            // Update signatures are verified under the remote Home's EIP-712 domain.
            let at_remote = manifest.domain(remote).expect("remote deployed");
            assert_eq!(
                replica.remoteChainId().call().await.expect("remoteChainId"),
                U256::from(at_remote.chain_id),
                "Replica of {remote} names that Home's chain"
            );
            assert_eq!(
                replica.remoteHome().call().await.expect("remoteHome"),
                at_remote.home,
                "Replica of {remote} names that Home"
            );
            assert_eq!(
                replica
                    .updateDomainSeparator()
                    .call()
                    .await
                    .expect("separator"),
                HomeSigningDomain::new(remote, at_remote.chain_id, at_remote.home).separator(),
                "the Replica's separator is the one the updater signs under"
            );
            assert_eq!(replica.owner().call().await.expect("owner"), deployer);
            assert_eq!(
                replica.connectionManager().call().await.expect("manager"),
                here.connection_manager
            );
            assert_eq!(
                replica.committedRoot().call().await.expect("committedRoot"),
                remote_root,
                "Replica of {remote} starts from that Home's committed root"
            );
            assert_eq!(
                replica.optimisticSeconds().call().await.expect("window"),
                config.optimistic_seconds
            );
            assert_eq!(
                replica.minOptimisticSeconds().call().await.expect("floor"),
                0
            );
            assert!(replica
                .acceptableRoot(remote_root)
                .call()
                .await
                .expect("acceptable"));
        }

        let recipient = here.contracts[RECORDING_RECIPIENT];
        assert!(
            !chain.get_code_at(recipient).await.expect("code").is_empty(),
            "the recipient is deployed"
        );
    }
}

#[tokio::test]
async fn a_message_from_1000_is_delivered_on_2000() {
    let (anvils, endpoints) = chains(&[1000, 2000]);
    let accounts = accounts(&anvils[0]);
    let config = DeployConfig {
        optimistic_seconds: 30,
        ..DeployConfig::default()
    };
    let manifest: Manifest = deploy(&endpoints, &accounts, &config)
        .await
        .expect("deploy");
    let (origin, destination) = (Domain(1000), Domain(2000));
    let at_origin = manifest.domain(origin).expect("origin");
    let at_destination = manifest.domain(destination).expect("destination");
    let recipient_address = at_destination.contracts[RECORDING_RECIPIENT];

    // A user dispatches three messages on 1000 to the recipient on 2000.
    let user = accounts.signer(Role::Deployer);
    let home = Home::new(at_origin.home, provider(&at_origin.rpc_url, user));
    let mut tree = MerkleTree::new();
    let mut messages = Vec::new();
    for body in ["first", "second", "third"] {
        let receipt = home
            .dispatch(
                destination.get(),
                address_to_bytes32(recipient_address),
                Bytes::from(body.as_bytes().to_vec()),
            )
            .send()
            .await
            .expect("dispatch")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status());
        let event = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<Home::Dispatch>().ok())
            .expect("Dispatch event")
            .inner
            .data;
        let message = Message::decode(&event.message).expect("decodes");
        assert_eq!(message.leaf(), event.leaf);
        let index = tree.insert(event.leaf).expect("insert");
        assert_eq!(U256::from(index), event.leafIndex);
        messages.push(message);
    }

    // Anyone checkpoints; the updater signs the move from the committed root to the new root.
    home.checkpoint()
        .send()
        .await
        .expect("checkpoint")
        .get_receipt()
        .await
        .expect("receipt");
    let new_root = home.root().call().await.expect("root");
    assert_eq!(
        new_root,
        tree.root(),
        "Rust tree and Home agree on the root"
    );
    let old_root = home.committedRoot().call().await.expect("committedRoot");
    let signature = Bytes::from(
        sign_digest(
            accounts.signer(Role::Updater),
            HomeSigningDomain::new(origin, at_origin.chain_id, at_origin.home)
                .update_digest(old_root, new_root),
        )
        .expect("sign")
        .to_vec(),
    );
    let updater_home = Home::new(
        at_origin.home,
        provider(&at_origin.rpc_url, accounts.signer(Role::Updater)),
    );
    let receipt = updater_home
        .update(old_root, new_root, signature.clone())
        .send()
        .await
        .expect("Home.update")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status(), "the Home accepts the signed update");
    assert_eq!(
        home.committedRoot().call().await.expect("committedRoot"),
        new_root
    );

    // The message relayer copies the update to the Replica of 1000 on 2000.
    let relayer_chain = provider(
        &at_destination.rpc_url,
        accounts.signer(Role::MessageRelayer),
    );
    let replica_address = at_destination.replicas[&origin];
    let relayed = Replica::new(replica_address, &relayer_chain);
    let receipt = relayed
        .update(old_root, new_root, signature)
        .send()
        .await
        .expect("Replica.update")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status(), "the Replica accepts the signed update");

    // Inside the window nothing can be proven.
    let processor_chain = provider(&at_destination.rpc_url, accounts.signer(Role::Processor));
    let replica = Replica::new(replica_address, &processor_chain);
    assert!(!replica
        .acceptableRoot(new_root)
        .call()
        .await
        .expect("acceptable"));
    let early = tree.proof(0).expect("proof");
    let refused = replica
        .proveAndProcess(messages[0].encode(), early.path, U256::ZERO)
        .call()
        .await
        .expect_err("proving against an unripe root reverts");
    assert_eq!(
        refused
            .as_decoded_error::<Replica::RootNotAcceptable>()
            .map(|error| error.root),
        Some(new_root)
    );

    // Past the window, the processor proves and delivers each message with a Rust-made proof.
    let _: serde_json::Value = processor_chain
        .raw_request("evm_increaseTime".into(), [config.optimistic_seconds + 1])
        .await
        .expect("evm_increaseTime");
    let _: serde_json::Value = processor_chain
        .raw_request("evm_mine".into(), Vec::<u64>::new())
        .await
        .expect("evm_mine");
    assert!(replica
        .acceptableRoot(new_root)
        .call()
        .await
        .expect("acceptable"));
    for (index, message) in messages.iter().enumerate() {
        let proof = tree.proof(index as u32).expect("proof");
        assert_eq!(proof.root(), new_root);
        let receipt = replica
            .proveAndProcess(message.encode(), proof.path, U256::from(index))
            .send()
            .await
            .expect("proveAndProcess")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status());
        let processed = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<Replica::Processed>().ok())
            .expect("Processed event, not ProcessFailed")
            .inner
            .data;
        assert_eq!(processed.leaf, message.leaf());
        assert!(replica
            .isProcessed(U256::from(index))
            .call()
            .await
            .expect("isProcessed"));
    }

    // The recipient recorded each message exactly once, with the origin's fields.
    let recipient = RecordingRecipient::new(recipient_address, &processor_chain);
    assert_eq!(
        recipient.handledCount().call().await.expect("handledCount"),
        U256::from(messages.len())
    );
    let user_bytes32 = address_to_bytes32(user.address());
    for message in &messages {
        assert_eq!(message.sender, user_bytes32);
        let fields = (
            origin.get(),
            message.nonce,
            message.sender,
            Bytes::copy_from_slice(&message.body),
        )
            .abi_encode_params();
        assert_eq!(
            recipient
                .timesHandled(keccak256(fields))
                .call()
                .await
                .expect("timesHandled"),
            U256::from(1)
        );
    }
    // Delivered is final: a replay is refused.
    let replay = tree.proof(0).expect("proof");
    let refused = replica
        .proveAndProcess(messages[0].encode(), replay.path, U256::ZERO)
        .call()
        .await
        .expect_err("a processed message cannot be delivered again");
    assert_eq!(
        refused
            .as_decoded_error::<Replica::AlreadyProcessed>()
            .map(|error| error.index),
        Some(U256::ZERO)
    );
}
