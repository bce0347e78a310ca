//! The chain jobs a test does by hand: users' dispatches, the updater's checkpoints and signed
//! updates, the relayer's copies to Replicas, and reading what the contracts recorded.

use crate::{AsDomain, TestNet};
use alloy::{
    network::Ethereum,
    primitives::{keccak256, Address, Bytes, B256},
    providers::{PendingTransactionBuilder, Provider},
    rpc::types::{Filter, TransactionReceipt},
    sol_types::{SolEvent, SolValue},
};
use nxtp_bindings::{Home, RecordingRecipient, Replica};
use nxtp_devnet::Role;
use nxtp_primitives::{address_to_bytes32, sign_digest, Message};
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

/// One signed update: (old root, new root, the updater's signature).
pub type Update = (B256, B256, Bytes);

/// Waits for a sent transaction and asserts it succeeded.
pub async fn confirm(pending: PendingTransactionBuilder<Ethereum>) -> TransactionReceipt {
    let receipt = pending
        .with_timeout(Some(Duration::from_secs(30)))
        .get_receipt()
        .await
        .expect("the transaction is mined");
    assert!(receipt.status(), "the transaction succeeded");
    receipt
}

/// Asserts at most one new root per old root among `(old, new)` pairs: no double update can be
/// built from them.
pub fn assert_one_new_root_per_old_root(pairs: impl IntoIterator<Item = (B256, B256)>) {
    let mut by_old: BTreeMap<B256, BTreeSet<B256>> = BTreeMap::new();
    for (old, new) in pairs {
        by_old.entry(old).or_default().insert(new);
    }
    for (old, news) in by_old {
        assert_eq!(news.len(), 1, "double update over {old}: {news:?}");
    }
}

impl TestNet {
    /// Dispatches one message per `(destination, body)` on `origin` to each destination's
    /// recording recipient, as the deployer, all sent at once; returns them in leaf order.
    pub async fn dispatch<D: AsDomain + Copy>(
        &self,
        origin: impl AsDomain,
        sends: &[(D, String)],
    ) -> Vec<Message> {
        let origin = origin.domain();
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home(origin), &wallet);
        let mut pending = Vec::new();
        for (destination, body) in sends {
            let destination = destination.domain();
            let call = home.dispatch(
                destination.get(),
                address_to_bytes32(self.recipient(destination)),
                Bytes::from(body.clone().into_bytes()),
            );
            pending.push(call.send().await.expect("sends dispatch"));
        }
        let mut messages = Vec::new();
        for sent in pending {
            let receipt = confirm(sent).await;
            let event = receipt
                .inner
                .logs()
                .iter()
                .find_map(|log| log.log_decode::<Home::Dispatch>().ok())
                .expect("a Dispatch event")
                .inner
                .data;
            let message = Message::decode(&event.message).expect("the message decodes");
            messages.push((event.leafIndex, message));
        }
        messages.sort_by_key(|(index, _)| *index);
        messages.into_iter().map(|(_, message)| message).collect()
    }

    /// Dispatches `body` on `origin` to `destination`'s recording recipient as `role`, without
    /// waiting for it to be mined (for tests that mine, pause or reorg the chain themselves);
    /// returns its transaction. The gas limit is fixed (a dispatch needs far less), so nothing
    /// is estimated against a pool the test is holding.
    pub async fn dispatch_to_pool(
        &self,
        origin: impl AsDomain,
        destination: impl AsDomain,
        role: Role,
        body: &str,
    ) -> B256 {
        let (origin, destination) = (origin.domain(), destination.domain());
        let wallet = self.wallet(origin, role);
        *Home::new(self.home(origin), &wallet)
            .dispatch(
                destination.get(),
                address_to_bytes32(self.recipient(destination)),
                Bytes::from(body.as_bytes().to_vec()),
            )
            .gas(300_000)
            .send()
            .await
            .expect("sends dispatch")
            .tx_hash()
    }

    /// Dispatches `n` messages ("message 0", …) on `origin` to another domain, one block each
    /// where the chain mines per transaction.
    pub async fn dispatch_n(&self, origin: impl AsDomain, n: usize) -> Vec<Message> {
        let origin = origin.domain();
        let destination = self.other_domain(origin);
        let mut messages = Vec::new();
        for i in 0..n {
            messages.extend(
                self.dispatch(origin, &[(destination, format!("message {i}"))])
                    .await,
            );
        }
        messages
    }

    /// Checkpoints `origin`'s Home, as the deployer (anyone may); returns (committed root, new
    /// root).
    pub async fn checkpoint(&self, origin: impl AsDomain) -> (B256, B256) {
        let origin = origin.domain();
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home(origin), &wallet);
        confirm(home.checkpoint().send().await.expect("sends checkpoint")).await;
        let new = home.root().call().await.expect("reads root");
        let old = home
            .committedRoot()
            .call()
            .await
            .expect("reads committedRoot");
        (old, new)
    }

    /// The updater's signature of `origin` moving from `old` to `new` (for `origin`'s Home).
    pub fn sign_update(&self, origin: impl AsDomain, old: B256, new: B256) -> Bytes {
        let signer = self.accounts.signer(Role::Updater);
        let digest = self.home_signing(origin).update_digest(old, new);
        let signature = sign_digest(signer, digest).expect("the updater key signs");
        Bytes::copy_from_slice(&signature)
    }

    /// What the updater does: checkpoints `origin`'s Home, signs the move to its new root and has
    /// the Home accept it (sent by the deployer, so the agents' nonces are untouched).
    pub async fn update_home(&self, origin: impl AsDomain) -> Update {
        let origin = origin.domain();
        let (old, new) = self.checkpoint(origin).await;
        let signature = self.sign_update(origin, old, new);
        let wallet = self.wallet(origin, Role::Deployer);
        let home = Home::new(self.home(origin), &wallet);
        let update = home.update(old, new, signature.clone());
        confirm(update.send().await.expect("sends Home.update")).await;
        (old, new, signature)
    }

    /// Dispatches a message on `origin` to another domain, then [`TestNet::update_home`]: a
    /// new update for the relayer to carry.
    pub async fn make_update(&self, origin: impl AsDomain) -> Update {
        let origin = origin.domain();
        self.dispatch_n(origin, 1).await;
        self.update_home(origin).await
    }

    /// What the relayer does: submits a signed update of `origin` to its Replica on `on`, as the
    /// deployer; returns when the new root becomes acceptable there.
    pub async fn relay(
        &self,
        on: impl AsDomain,
        origin: impl AsDomain,
        old: B256,
        new: B256,
        signature: Bytes,
    ) -> u64 {
        let on = on.domain();
        let wallet = self.wallet(on, Role::Deployer);
        let replica = Replica::new(self.replica(on, origin), &wallet);
        let update = replica.update(old, new, signature);
        confirm(update.send().await.expect("sends Replica.update")).await;
        let confirm_at = replica
            .confirmAt(new)
            .call()
            .await
            .expect("reads confirmAt");
        confirm_at.to::<u64>()
    }

    /// What the updater and the message relayer do: [`TestNet::update_home`], then the update
    /// copied to `origin`'s Replica on each of `destinations`. Returns the new root and, per
    /// destination, when it becomes acceptable there.
    pub async fn honest_update<D: AsDomain + Copy>(
        &self,
        origin: impl AsDomain,
        destinations: &[D],
    ) -> (B256, Vec<u64>) {
        let origin = origin.domain();
        let (old, new, signature) = self.update_home(origin).await;
        let mut confirm_at = Vec::new();
        for &destination in destinations {
            let at = self.relay(destination, origin, old, new, signature.clone());
            confirm_at.push(at.await);
        }
        (new, confirm_at)
    }

    /// Every `Update` event of `contract` (a Home or a Replica) on `domain`, in chain order, with
    /// its block.
    pub async fn update_logs(
        &self,
        domain: impl AsDomain,
        contract: Address,
    ) -> Vec<(Update, u64)> {
        let filter = Filter::new()
            .address(contract)
            .event_signature(Home::Update::SIGNATURE_HASH)
            .from_block(0);
        let logs = self
            .reader(domain)
            .get_logs(&filter)
            .await
            .expect("reads logs");
        logs.iter()
            .map(|log| {
                let data = log
                    .log_decode::<Home::Update>()
                    .expect("an Update")
                    .inner
                    .data;
                let block = log.block_number.expect("a mined log");
                ((data.oldRoot, data.newRoot, data.signature), block)
            })
            .collect()
    }

    /// Every `Update` event of `contract` on `domain`, in chain order.
    pub async fn update_events(&self, domain: impl AsDomain, contract: Address) -> Vec<Update> {
        let logs = self.update_logs(domain, contract).await;
        logs.into_iter().map(|(update, _)| update).collect()
    }

    /// `domain`'s Home: its committed root, how many messages that root covers, and how many it
    /// holds.
    pub async fn home_state(&self, domain: impl AsDomain) -> (B256, u64, u64) {
        let domain = domain.domain();
        let reader = self.reader(domain);
        let home = Home::new(self.home(domain), &reader);
        let root = home
            .committedRoot()
            .call()
            .await
            .expect("reads committedRoot");
        let checkpoint = home
            .checkpoints(root)
            .call()
            .await
            .expect("reads checkpoints");
        let count = home.count().call().await.expect("reads count");
        let count = u64::try_from(count).expect("a count fits in u64");
        (root, u64::from(checkpoint.count), count)
    }

    /// The committed root of `origin`'s Replica on `on`.
    pub async fn replica_root(&self, on: impl AsDomain, origin: impl AsDomain) -> B256 {
        let on = on.domain();
        let reader = self.reader(on);
        let replica = Replica::new(self.replica(on, origin), &reader);
        replica
            .committedRoot()
            .call()
            .await
            .expect("reads committedRoot")
    }

    /// How many messages the recording recipient on `domain` handled.
    pub async fn handled(&self, domain: impl AsDomain) -> u64 {
        let domain = domain.domain();
        let recipient = RecordingRecipient::new(self.recipient(domain), self.reader(domain));
        let count = recipient
            .handledCount()
            .call()
            .await
            .expect("reads handledCount");
        count.to::<u64>()
    }

    /// How many times the recipient on the message's destination handled it.
    pub async fn times_handled(&self, message: &Message) -> u64 {
        let destination = message.destination;
        let fields = (
            message.origin.get(),
            message.nonce,
            message.sender,
            Bytes::copy_from_slice(&message.body),
        );
        let recipient =
            RecordingRecipient::new(self.recipient(destination), self.reader(destination));
        let times = recipient.timesHandled(keccak256(fields.abi_encode_params()));
        times.call().await.expect("reads timesHandled").to::<u64>()
    }

    /// How many times the recipient on `destination` handled the message from `origin` that
    /// `sender` sent with `nonce` and `body`: a message that may never have been dispatched (a
    /// dropped one, under any nonce it could have had) is asked about by its fields.
    pub async fn times_handled_from(
        &self,
        origin: impl AsDomain,
        destination: impl AsDomain,
        sender: Address,
        nonce: u32,
        body: &[u8],
    ) -> u64 {
        let destination = destination.domain();
        let fields = (
            origin.domain().get(),
            nonce,
            address_to_bytes32(sender),
            Bytes::copy_from_slice(body),
        );
        let recipient =
            RecordingRecipient::new(self.recipient(destination), self.reader(destination));
        let times = recipient.timesHandled(keccak256(fields.abi_encode_params()));
        times.call().await.expect("reads timesHandled").to::<u64>()
    }

    /// Every message `origin`'s Home holds on the chain as it is now, in order.
    pub async fn dispatched(&self, origin: impl AsDomain) -> Vec<Message> {
        let origin = origin.domain();
        let filter = Filter::new()
            .address(self.home(origin))
            .event_signature(Home::Dispatch::SIGNATURE_HASH)
            .from_block(0);
        self.reader(origin)
            .get_logs(&filter)
            .await
            .expect("reads Dispatch logs")
            .iter()
            .map(|log| {
                let event = log.log_decode::<Home::Dispatch>().expect("a Dispatch");
                Message::decode(&event.inner.data.message).expect("a message")
            })
            .collect()
    }

    /// Whether `origin`'s Home, on the chain as it is now, produced (checkpointed) `root`.
    pub async fn produced(&self, origin: impl AsDomain, root: B256) -> bool {
        let origin = origin.domain();
        Home::new(self.home(origin), self.reader(origin))
            .checkpoints(root)
            .call()
            .await
            .expect("reads checkpoints")
            .produced
    }

    /// Makes the recording recipient on `domain` revert every message, or accept them again.
    pub async fn set_rejecting(&self, domain: impl AsDomain, rejecting: bool) {
        let domain = domain.domain();
        let wallet = self.wallet(domain, Role::Deployer);
        let recipient = RecordingRecipient::new(self.recipient(domain), &wallet);
        confirm(
            recipient
                .setRejecting(rejecting)
                .send()
                .await
                .expect("sends setRejecting"),
        )
        .await;
    }
}
