//! Reorgs a test makes itself: a chain mined by the test (so a reorg never races a new block), its
//! blocks' transactions, and a reorg that replaces blocks keeping the transactions it is told to.

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    network::TransactionResponse as _,
    primitives::{Address, Bytes, B256},
    providers::{ext::AnvilApi, DynProvider, Provider},
    rpc::types::anvil::{ReorgOptions, TransactionData},
};
use std::{sync::Arc, time::Duration};
use tokio::{
    sync::{Mutex, MutexGuard},
    task::JoinHandle,
};

/// Mines a block on one chain at a fixed interval, unless the test holds it ([`Miner::hold`]) to
/// look at the head or reorg it. Stops when dropped.
pub struct Miner {
    lock: Arc<Mutex<()>>,
    task: JoinHandle<()>,
}

impl Miner {
    /// Takes over `provider`'s chain from anvil's own interval mining: a block every `every`.
    pub async fn start(provider: DynProvider, every: Duration) -> Self {
        provider
            .anvil_set_interval_mining(0)
            .await
            .expect("interval mining off");
        Self::spawn(provider, every)
    }

    /// As [`Miner::start`], each block stamped one second after its parent, as on Ethereum (never
    /// the same second twice, which sub-second blocks stamped by the clock would do).
    pub async fn start_one_second_apart(provider: DynProvider, every: Duration) -> Self {
        provider
            .anvil_set_interval_mining(0)
            .await
            .expect("interval mining off");
        provider
            .anvil_set_block_timestamp_interval(1)
            .await
            .expect("one second between blocks");
        Self::spawn(provider, every)
    }

    fn spawn(provider: DynProvider, every: Duration) -> Self {
        let lock = Arc::new(Mutex::new(()));
        let held = Arc::clone(&lock);
        let task = tokio::spawn(async move {
            loop {
                {
                    let _mining = held.lock().await;
                    // A failed block is reported, and the next one tried: a test waiting on blocks
                    // then says what it waited for instead of hanging on a dead miner.
                    if let Err(err) = provider.evm_mine(None).await {
                        eprintln!("cannot mine: {err}");
                    }
                }
                tokio::time::sleep(every).await;
            }
        });
        Self { lock, task }
    }

    /// No block is mined while the guard lives.
    pub async fn hold(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().await
    }
}

impl Drop for Miner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One transaction of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockTx {
    /// Its hash.
    pub hash: B256,
    /// Its signer.
    pub from: Address,
    /// Its recipient (`None` for a contract creation).
    pub to: Option<Address>,
    /// Its nonce.
    pub nonce: u64,
    /// The block it is in.
    pub block: u64,
}

/// The transactions of block `number`, in order.
pub async fn block_txs(reader: &DynProvider, number: u64) -> Vec<BlockTx> {
    let block = reader
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .full()
        .await
        .expect("reads a block")
        .unwrap_or_else(|| panic!("block {number} exists"));
    block
        .transactions
        .txns()
        .map(|tx| BlockTx {
            hash: tx.tx_hash(),
            from: tx.from(),
            to: tx.to(),
            nonce: tx.nonce(),
            block: number,
        })
        .collect()
}

/// Replaces blocks `fork..=head` (the caller holds the chain's [`Miner`]) with as many new ones.
/// `placement` says where each old transaction goes: `Some(i)` re-includes it in the `i`-th new
/// block (0 is the fork), `None` drops it from the chain and from anvil's pool. Returns the
/// transactions dropped.
pub async fn reorg(
    reader: &DynProvider,
    fork: u64,
    head: u64,
    placement: impl Fn(&BlockTx) -> Option<u64>,
) -> Vec<BlockTx> {
    let mut kept = Vec::new();
    let mut gone = Vec::new();
    for number in fork..=head {
        for tx in block_txs(reader, number).await {
            let Some(new_block) = placement(&tx) else {
                gone.push(tx);
                continue;
            };
            let raw: Bytes = reader
                .raw_request("eth_getRawTransactionByHash".into(), (tx.hash,))
                .await
                .expect("raw transaction");
            kept.push((TransactionData::Raw(raw), new_block));
        }
    }
    reader
        .anvil_reorg(ReorgOptions {
            depth: head - fork + 1,
            tx_block_pairs: kept,
        })
        .await
        .expect("reorgs");
    gone
}

/// [`reorg`] re-including every transaction `dropped` does not select in the same block and order
/// as before.
pub async fn reorg_dropping(
    reader: &DynProvider,
    fork: u64,
    head: u64,
    dropped: impl Fn(&BlockTx) -> bool,
) -> Vec<BlockTx> {
    reorg(reader, fork, head, |tx| {
        (!dropped(tx)).then_some(tx.block - fork)
    })
    .await
}
