//! A sequencer network in one process on loopback, for the crate's network tests and the
//! consensus benchmark (feature `loopback`): one chain view every node shares, routers' signed
//! bids, free local ports and node configs with round timeouts short enough for a test.

use crate::{ExecuteEnd, NodeConfig, Observation, Pool, SignedBid, TransferSource, TransferTerms};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use nxtp_primitives::sign_digest;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// What every node sees of the chains: the same transfers, executes and routers' balances, as
/// the test or benchmark states them.
#[derive(Debug, Default)]
pub struct SharedChain {
    terms: Mutex<BTreeMap<B256, TransferTerms>>,
    ended: Mutex<BTreeMap<B256, ExecuteEnd>>,
    /// Every balance read, at every block read.
    reads: Mutex<Vec<Observation>>,
}

impl SharedChain {
    /// Every node saw the `xcall` of `terms` on its origin.
    pub fn xcall(&self, terms: TransferTerms) {
        lock(&self.terms).insert(terms.transfer_id, terms);
    }

    /// `transfer_id`'s execute ended as `end` on its destination.
    pub fn execute(&self, transfer_id: B256, end: ExecuteEnd) {
        lock(&self.ended).insert(transfer_id, end);
    }

    /// Every node read `observation` (a router's balance at a destination block).
    pub fn read_balance(&self, observation: Observation) {
        lock(&self.reads).push(observation);
    }
}

impl TransferSource for SharedChain {
    fn terms(&self, transfer_id: &B256) -> Option<TransferTerms> {
        lock(&self.terms).get(transfer_id).cloned()
    }

    fn execute_ended(&self, transfer_id: &B256) -> Option<ExecuteEnd> {
        lock(&self.ended).get(transfer_id).copied()
    }

    fn balance_at(&self, pool: &Pool, router: Address, block: u64, hash: B256) -> Option<U256> {
        lock(&self.reads)
            .iter()
            .find(|read| {
                (read.pool, read.router, read.block, read.block_hash)
                    == (*pool, router, block, hash)
            })
            .map(|read| read.balance)
    }

    fn balances(&self) -> Vec<Observation> {
        lock(&self.reads).clone()
    }
}

/// The lock's data even if a panicking holder poisoned it: every write above is one insert or
/// push, so nothing is half-applied.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `router`'s bid to be one of `path_length` routers of the transfer of `terms`, signed as the
/// destination `Connext` checks it (EIP-712 `RouterBid`).
pub fn sign_bid(
    router: &PrivateKeySigner,
    terms: &TransferTerms,
    path_length: u32,
) -> Result<SignedBid, nxtp_primitives::SignatureError> {
    let digest = terms
        .signing_domain()
        .router_bid_digest(terms.transfer_id, path_length as usize);
    Ok(SignedBid {
        router: router.address(),
        path_length,
        signature: Bytes::copy_from_slice(&sign_digest(router, digest)?),
    })
}

/// `count` distinct loopback addresses free when asked (all held at once, so no two are equal).
pub fn free_ports(count: usize) -> std::io::Result<Vec<SocketAddr>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners.iter().map(TcpListener::local_addr).collect()
}

/// The config of node `index` of the network listening on `addrs`, at home in
/// `<root>/node-<index>`: every other address its peer, a 3 s propose and 1 s vote timeouts, a
/// 300 ms idle wait and sync status every 500 ms, so a test's heights follow each other quickly.
pub fn node_config(index: usize, addrs: &[SocketAddr], root: &Path) -> NodeConfig {
    let mut config = NodeConfig::new(
        format!("node-{index}"),
        root.join(format!("node-{index}")),
        addrs[index],
    );
    config.peers = addrs
        .iter()
        .enumerate()
        .filter(|(other, _)| *other != index)
        .map(|(_, addr)| *addr)
        .collect();
    config.timeouts = LinearTimeouts {
        propose: Duration::from_secs(3),
        prevote: Duration::from_secs(1),
        precommit: Duration::from_secs(1),
        rebroadcast: Duration::from_secs(5),
        ..LinearTimeouts::default()
    };
    config.idle_wait = Duration::from_millis(300);
    config.sync_status_interval = Duration::from_millis(500);
    config
}
