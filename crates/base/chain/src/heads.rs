//! One chain's head as one agent sees it: a single task follows it and every task of the agent
//! that needs the head (indexers, submitters, the agent's own loops) asks [`Heads`] instead of
//! reading it itself, so an agent sends one head request per poll per chain, however many tasks
//! it runs.
//!
//! The follower polls `eth_getBlockByNumber("latest")` (the header, not the transactions), but
//! not blindly every poll interval: it learns when the chain's blocks come from the polls that
//! just missed one and those that found it, and asks once per block, just after the next is due
//! (the `cadence` module). On a chain with regular blocks that is about one request per block; on a
//! chain without them (mined on demand) it is the poll interval.
//!
//! Over a WebSocket endpoint (a `ws://` or `wss://` URL), heads come by subscription
//! (`eth_subscribe newHeads`) and the follower sends next to no requests: one when it subscribes
//! (a subscription only tells of blocks to come) and one after each silence longer than a few
//! block times. If that request finds the head moved, the subscription is stale and is
//! replaced; if subscribing fails, the follower polls as over HTTP and subscribes again later,
//! with backoff. A WebSocket provider reconnects by itself. Over a WebSocket the node's
//! announcements of pending transactions (`eth_subscribe newPendingTransactions`) are counted
//! too ([`Heads::pending_announced`]), so tasks watching the pending block look only when
//! something new is there.
//!
//! The follower keeps more than the head's number: the head's header (hash, parent, timestamp,
//! gas used) and the hashes of the recent blocks it extends, each checked to be the parent of the
//! next, so all from one branch ([`Tip`]). A head a few blocks past the last one (blocks mined
//! between two polls) is linked to it by the headers of the blocks between, read at once, so a
//! skipped block costs one request rather than the tip's history: without them the tip would
//! start anew and every task would read its contract state again. Indexers take the hashes of the blocks they deliver
//! and check from there instead of reading them again; tasks that want the head's timestamp or
//! hash need not read the block; and reads of contract state are kept under the newest block
//! that may have changed it ([`Tip::state_block`]: a block that used no gas changed nothing).
//!
//! A failed request is every asker's failure until the next request succeeds, so tasks still
//! see (and report) an unreachable endpoint; the follower retries with the usual backoff.

mod cadence;

use crate::{provider::without_url, retry::backoff};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::B256,
    providers::{DynProvider, Provider},
    transports::{TransportError, TransportErrorKind},
};
use cadence::Cadence;
use futures::StreamExt;
use nxtp_primitives::Domain;
use std::{
    collections::VecDeque,
    future::IntoFuture,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::watch;

/// A subscription silent for this many block times is checked with one request.
const SILENT_BLOCKS: u32 = 3;
/// The shortest silence checked: a chain mined on demand is often quiet for a while.
const SHORTEST_SILENCE: Duration = Duration::from_secs(2);
/// The silence checked while the block time is unknown.
const UNKNOWN_SILENCE: Duration = Duration::from_secs(5);
/// The most blocks between two heads whose headers the follower reads to link them; past that
/// (the follower was away) the tip starts anew from the new head.
const MOST_MISSED: u64 = 8;
/// How many recent block hashes a [`Tip`] keeps: deeper than any confirmation depth in use, so
/// indexers find the blocks they deliver in it.
pub const TIP_HASHES: usize = 256;

/// How many poll intervals a task that follows a shared head, and has nothing to do before the
/// next block, waits at most for it. The head's change is what wakes such a task; the fallback
/// only bounds the wait should a change go unnoticed, so each idle task reads its store about
/// once per block and not once per poll interval.
pub const HEAD_WAIT_FALLBACK: u32 = 10;

/// A block as the head follower saw it, so that tasks need not read it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadBlock {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its parent's hash.
    pub parent_hash: B256,
    /// Its timestamp, in seconds.
    pub timestamp: u64,
    /// The gas its transactions used: zero only for a block without transactions, which
    /// changes no contract's state.
    pub gas_used: u64,
}

impl HeadBlock {
    /// The parts of an RPC header the follower keeps.
    pub fn from_header(header: &alloy::rpc::types::Header) -> Self {
        Self {
            number: header.number,
            hash: header.hash,
            parent_hash: header.parent_hash,
            timestamp: header.timestamp,
            gas_used: header.gas_used,
        }
    }
}

/// The chain as the follower last saw it: the head, and the hashes of up to [`TIP_HASHES`]
/// blocks up to it, each the parent of the next, so all of one branch. After a gap (blocks the
/// follower never saw) or a reorg it cannot link, only the head and its parent are known until
/// more heads come.
///
/// It also knows which of those blocks may have changed any contract's state: a block whose
/// header says it used no gas holds no transaction and changes none, so a read of contract state
/// at one block holds at every later block up to the next that may ([`Self::state_block`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tip {
    head: HeadBlock,
    /// The number of `blocks[0]`.
    first: u64,
    /// Blocks `first..=head.number`, in order.
    blocks: VecDeque<Known>,
    /// The newest block below `first` that may have changed state, once one has left the
    /// window: the state of every block of the window up to its first change.
    floor: Option<B256>,
}

/// One block of a [`Tip`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Known {
    hash: B256,
    /// Whether it may have changed state: it used gas, or it is known by its hash alone.
    changes: bool,
}

impl Known {
    fn head(block: &HeadBlock) -> Self {
        Self {
            hash: block.hash,
            // The genesis block has no parent whose state it could share.
            changes: block.gas_used > 0 || block.number == 0,
        }
    }
}

impl Tip {
    /// The tip with only `head` (and its parent) known.
    pub fn new(head: HeadBlock) -> Self {
        let (first, blocks) = match head.number.checked_sub(1) {
            Some(parent) => (
                parent,
                VecDeque::from([
                    Known {
                        hash: head.parent_hash,
                        changes: true,
                    },
                    Known::head(&head),
                ]),
            ),
            None => (0, VecDeque::from([Known::head(&head)])),
        };
        Self {
            head,
            first,
            blocks,
            floor: None,
        }
    }

    /// The tip after `block`: this one extended (and cut back first, if `block` replaces blocks
    /// of it) when `block`'s parent is in it, otherwise a new one from `block`.
    pub fn then(&self, block: HeadBlock) -> Self {
        let parent = block.number.checked_sub(1);
        let Some(kept) = parent
            .filter(|&parent| self.hash_of(parent) == Some(block.parent_hash))
            .and_then(|_| usize::try_from(block.number - self.first).ok())
        else {
            return Self::new(block);
        };
        let mut blocks = self.blocks.clone();
        blocks.truncate(kept);
        blocks.push_back(Known::head(&block));
        let (mut first, mut floor) = (self.first, self.floor);
        while blocks.len() > TIP_HASHES {
            if let Some(gone) = blocks.pop_front() {
                if gone.changes {
                    floor = Some(gone.hash);
                }
            }
            first += 1;
        }
        Self {
            head: block,
            first,
            blocks,
            floor,
        }
    }

    /// The head block.
    pub fn head(&self) -> &HeadBlock {
        &self.head
    }

    /// The head's number.
    pub fn number(&self) -> u64 {
        self.head.number
    }

    /// The hash of block `number` on the head's branch, if the tip holds it.
    pub fn hash_of(&self, number: u64) -> Option<B256> {
        let index = usize::try_from(number.checked_sub(self.first)?).ok()?;
        self.blocks.get(index).map(|known| known.hash)
    }

    /// Whether block `number` is known, from its header, to have used no gas: it holds no
    /// transaction, so it emitted no log and changed no contract's state.
    pub fn used_no_gas(&self, number: u64) -> bool {
        let Some(index) = number
            .checked_sub(self.first)
            .and_then(|index| usize::try_from(index).ok())
        else {
            return false;
        };
        self.blocks.get(index).is_some_and(|known| !known.changes)
    }

    /// Whether any of the newest `blocks` blocks up to the head may have changed any contract's
    /// state: a chain where something happened lately. Blocks the tip does not know may have.
    pub fn changed_within(&self, blocks: u64) -> bool {
        let known = u64::try_from(self.blocks.len()).unwrap_or(u64::MAX);
        if blocks > known {
            return true;
        }
        self.blocks
            .iter()
            .rev()
            .take(usize::try_from(blocks).unwrap_or(usize::MAX))
            .any(|known| known.changes)
    }

    /// The hash of the newest block at or below `number` that may have changed any contract's
    /// state, if the tip reaches it: two blocks with the same answer hold the same state, so a
    /// read cached under it need not be made again. `None` beyond the head or below what the
    /// tip knows.
    pub fn state_block(&self, number: u64) -> Option<B256> {
        let index = usize::try_from(number.checked_sub(self.first)?).ok()?;
        if index >= self.blocks.len() {
            return None;
        }
        self.blocks
            .range(..=index)
            .rev()
            .find(|known| known.changes)
            .map(|known| known.hash)
            .or(self.floor)
    }
}

/// What the follower last learned.
#[derive(Clone, Debug)]
enum Observed {
    /// Nothing yet.
    Starting,
    /// The head and what is known below it.
    Head(Arc<Tip>),
    /// The last request failed, for this reason.
    Failed(Arc<str>),
}

/// The shared head of one chain; cheap to clone, every clone sees the same head. The follower
/// task stops once every clone is dropped. See the module docs.
#[derive(Clone, Debug)]
pub struct Heads {
    chain: Domain,
    observed: watch::Receiver<Observed>,
    /// How many pending transactions the node announced, while it announces them.
    announced: watch::Receiver<Option<u64>>,
}

impl Heads {
    /// Starts following the head of `chain` through `provider`, asking at most every
    /// `poll_interval` (and less often once the block time is known). Must be called within a
    /// tokio runtime.
    pub fn follow(chain: Domain, provider: DynProvider, poll_interval: Duration) -> Self {
        let (sender, observed) = watch::channel(Observed::Starting);
        let (announcer, announced) = watch::channel(None);
        if provider.client().pubsub_frontend().is_some() {
            tokio::spawn(count_pending(
                chain,
                provider.clone(),
                poll_interval,
                announcer,
            ));
        }
        tokio::spawn(follow(chain, provider, poll_interval, sender));
        Self {
            chain,
            observed,
            announced,
        }
    }

    /// A count that moves whenever the node announces a new pending transaction (over a
    /// WebSocket, by `eth_subscribe newPendingTransactions`), or `None` while it announces none
    /// (over HTTP, or while the subscription is refused or being replaced). A task that reads
    /// the pending block need not read it again while this stays the same `Some` and no block
    /// that may change state comes; on `None` it must look for itself.
    pub fn pending_announced(&self) -> Option<u64> {
        *self.announced.borrow()
    }

    /// The chain these are the heads of.
    pub fn chain(&self) -> Domain {
        self.chain
    }

    /// The latest head's number (waiting for the first answer at start), or the error of the
    /// last request if it failed.
    pub async fn latest(&self) -> Result<u64, TransportError> {
        Ok(self.tip().await?.number())
    }

    /// The latest head's block (waiting for the first answer at start), or the error of the
    /// last request if it failed.
    pub async fn latest_block(&self) -> Result<HeadBlock, TransportError> {
        Ok(*self.tip().await?.head())
    }

    /// The latest head and the recent hashes below it (waiting for the first answer at start),
    /// or the error of the last request if it failed.
    pub async fn tip(&self) -> Result<Arc<Tip>, TransportError> {
        let mut observed = self.observed.clone();
        let state = observed
            .wait_for(|state| !matches!(state, Observed::Starting))
            .await
            .map(|state| state.clone())
            .map_err(|_| stopped())?;
        match state {
            Observed::Head(tip) => Ok(tip),
            Observed::Failed(reason) => Err(TransportErrorKind::custom_str(&reason)),
            Observed::Starting => Err(stopped()),
        }
    }

    /// Waits until the head is another than `seen` (or a request failed): for a task with
    /// nothing to do until the next block.
    pub async fn changed_from(&self, seen: u64) {
        let mut observed = self.observed.clone();
        // A stopped follower (never, while this clone lives) would end the wait too.
        let _ = observed
            .wait_for(|state| match state {
                Observed::Starting => false,
                Observed::Head(tip) => tip.number() != seen,
                Observed::Failed(_) => true,
            })
            .await;
    }

    /// Waits until the head is another than `seen`, or [`HEAD_WAIT_FALLBACK`] poll intervals at
    /// most: for a task with nothing to do before the next block.
    pub async fn changed_from_or_fallback(&self, seen: u64, poll_interval: Duration) {
        tokio::select! {
            () = self.changed_from(seen) => {}
            () = tokio::time::sleep(poll_interval.saturating_mul(HEAD_WAIT_FALLBACK)) => {}
        }
    }
}

fn stopped() -> TransportError {
    TransportErrorKind::custom_str("the head follower stopped")
}

/// How long a subscription may stay silent before the head is asked for: a few block times.
fn silence(block_time: Option<Duration>) -> Duration {
    match block_time {
        Some(block_time) => (block_time * SILENT_BLOCKS).max(SHORTEST_SILENCE),
        None => UNKNOWN_SILENCE,
    }
}

/// What the follower task keeps: when to ask next, and where it tells the askers.
struct Follower {
    chain: Domain,
    provider: DynProvider,
    poll_interval: Duration,
    sender: watch::Sender<Observed>,
    cadence: Cadence,
    /// Requests failed in a row.
    failures: u32,
    /// The newest tip built, kept across failed requests so the hashes already linked are
    /// not lost to one.
    tip: Option<Arc<Tip>>,
}

impl Follower {
    /// Tells every asker of head `block`, linked first to the last head by the blocks between
    /// them if a few were missed.
    async fn saw_linked(&mut self, block: HeadBlock) {
        let missed = self.missed_before(&block).await;
        if let Some(tip) = &self.tip {
            let linked = missed
                .into_iter()
                .fold((**tip).clone(), |tip, header| tip.then(header));
            self.tip = Some(Arc::new(linked));
        }
        self.saw(block);
    }

    /// The headers of the blocks between the tip's head and `block`, oldest first, if there are
    /// at most [`MOST_MISSED`] and they link the two on one branch; otherwise none (`block`
    /// follows the head, or the tip starts anew from it as after any gap or unlinked reorg).
    async fn missed_before(&self, block: &HeadBlock) -> Vec<HeadBlock> {
        let Some(tip) = &self.tip else {
            return Vec::new();
        };
        let last = *tip.head();
        let between = block.number.saturating_sub(last.number + 1);
        if between == 0 || between > MOST_MISSED {
            return Vec::new();
        }
        let reads = (last.number + 1..block.number).map(|number| {
            self.provider
                .get_block_by_number(BlockNumberOrTag::Number(number))
                .into_future()
        });
        let mut headers = Vec::new();
        for read in futures::future::join_all(reads).await {
            match read {
                Ok(Some(found)) => headers.push(HeadBlock::from_header(&found.header)),
                // Only the link is lost: the tip starts anew, as it would have without it.
                _ => return Vec::new(),
            }
        }
        let mut parent = last.hash;
        for header in &headers {
            if header.parent_hash != parent {
                return Vec::new();
            }
            parent = header.hash;
        }
        if parent != block.parent_hash {
            return Vec::new();
        }
        headers
    }

    /// Tells every asker of head `block`.
    fn saw(&mut self, block: HeadBlock) {
        self.failures = 0;
        let tip = match &self.tip {
            Some(tip) if tip.head == block => tip.clone(),
            Some(tip) => Arc::new(tip.then(block)),
            None => Arc::new(Tip::new(block)),
        };
        self.tip = Some(tip.clone());
        self.sender.send_if_modified(|state| match state {
            Observed::Head(old) if old.head == tip.head => false,
            _ => {
                *state = Observed::Head(tip);
                true
            }
        });
    }

    /// The hash of the last head told, if the last request succeeded.
    fn head(&self) -> Option<B256> {
        match &*self.sender.borrow() {
            Observed::Head(tip) => Some(tip.head.hash),
            _ => None,
        }
    }

    /// Reads the head block: the one request a poll makes.
    async fn read_head(&self) -> Result<HeadBlock, TransportError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| TransportErrorKind::custom_str("the endpoint has no latest block"))?;
        Ok(HeadBlock::from_header(&block.header))
    }

    /// Asks for the head once; returns the pause before asking again.
    async fn poll(&mut self) -> Duration {
        let sent = Instant::now();
        match self.read_head().await {
            Ok(block) => {
                self.cadence.polled(block.number, sent, Instant::now());
                self.saw_linked(block).await;
                self.cadence.pause(Instant::now())
            }
            Err(err) => {
                self.failures = self.failures.saturating_add(1);
                let err = without_url(err);
                tracing::debug!(chain = %self.chain, error = %err, "cannot read the head");
                self.sender
                    .send_replace(Observed::Failed(err.to_string().into()));
                backoff(self.poll_interval, self.failures)
            }
        }
    }

    /// Polls until every asker is gone.
    async fn poll_forever(&mut self) {
        loop {
            let pause = self.poll().await;
            tokio::select! {
                () = self.sender.closed() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Polls for `period`; returns `false` once every asker is gone.
    async fn poll_for(&mut self, period: Duration) -> bool {
        let until = Instant::now() + period;
        while Instant::now() < until {
            let pause = self.poll().await;
            tokio::select! {
                () = self.sender.closed() => return false,
                () = tokio::time::sleep(pause.min(until.saturating_duration_since(Instant::now()))) => {}
            }
        }
        true
    }

    /// Follows new heads by subscription, polling while there is none; see the module docs.
    async fn subscribe_forever(&mut self) {
        let mut refusals = 0u32;
        loop {
            let subscription = match self.provider.subscribe_blocks().await {
                Ok(subscription) => subscription,
                Err(err) => {
                    refusals = refusals.saturating_add(1);
                    let retry_in = backoff(self.poll_interval, refusals).max(UNKNOWN_SILENCE);
                    let err = without_url(err);
                    tracing::debug!(chain = %self.chain, error = %err, ?retry_in, "cannot subscribe to new heads; polling");
                    if !self.poll_for(retry_in).await {
                        return;
                    }
                    continue;
                }
            };
            refusals = 0;
            tracing::debug!(chain = %self.chain, "following new heads by subscription");
            let mut heads = subscription.into_stream();
            // A subscription tells only of blocks to come: the head now comes from one request.
            self.poll().await;
            loop {
                let silence = silence(self.cadence.block_time());
                tokio::select! {
                    () = self.sender.closed() => return,
                    header = heads.next() => match header {
                        Some(header) => {
                            self.cadence.announced(header.number, Instant::now());
                            self.saw_linked(HeadBlock::from_header(&header)).await;
                        }
                        None => {
                            tracing::debug!(chain = %self.chain, "the head subscription ended; subscribing again");
                            break;
                        }
                    },
                    () = tokio::time::sleep(silence) => {
                        let told = self.head();
                        self.poll().await;
                        if self.head().is_some_and(|head| Some(head) != told) {
                            tracing::debug!(chain = %self.chain, ?silence, "the head moved unannounced; subscribing again");
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// Counts the pending transactions the node announces into `sender`, until every [`Heads`] is
/// gone; `None` whenever announcements may have been missed.
async fn count_pending(
    chain: Domain,
    provider: DynProvider,
    poll_interval: Duration,
    sender: watch::Sender<Option<u64>>,
) {
    let mut refusals = 0u32;
    // Never reset, so no value repeats across subscriptions.
    let mut count = 0u64;
    loop {
        let subscription = tokio::select! {
            () = sender.closed() => return,
            subscription = provider.subscribe_pending_transactions() => subscription,
        };
        match subscription {
            Ok(subscription) => {
                refusals = 0;
                let mut announced = subscription.into_stream();
                // Transactions that came before the subscription were never announced: the
                // count moves once, so whoever read the pending block before looks again.
                count = count.wrapping_add(1);
                sender.send_replace(Some(count));
                loop {
                    tokio::select! {
                        () = sender.closed() => return,
                        next = announced.next() => match next {
                            Some(_) => {
                                count = count.wrapping_add(1);
                                sender.send_replace(Some(count));
                            }
                            None => break,
                        },
                    }
                }
                tracing::debug!(%chain, "the pending transaction subscription ended; subscribing again");
                sender.send_replace(None);
            }
            Err(err) => {
                refusals = refusals.saturating_add(1);
                sender.send_replace(None);
                let retry_in = backoff(poll_interval, refusals).max(UNKNOWN_SILENCE);
                tracing::debug!(%chain, error = %without_url(err), ?retry_in, "cannot subscribe to pending transactions");
                tokio::select! {
                    () = sender.closed() => return,
                    () = tokio::time::sleep(retry_in) => {}
                }
            }
        }
    }
}

async fn follow(
    chain: Domain,
    provider: DynProvider,
    poll_interval: Duration,
    sender: watch::Sender<Observed>,
) {
    let websocket = provider.client().pubsub_frontend().is_some();
    let mut follower = Follower {
        chain,
        provider,
        poll_interval,
        sender,
        cadence: Cadence::new(poll_interval),
        failures: 0,
        tip: None,
    };
    if websocket {
        follower.subscribe_forever().await;
    } else {
        follower.poll_forever().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(number: u64, hash: u8, parent: u8) -> HeadBlock {
        HeadBlock {
            number,
            hash: B256::repeat_byte(hash),
            parent_hash: B256::repeat_byte(parent),
            timestamp: number,
            gas_used: 0,
        }
    }

    #[test]
    fn a_tip_links_each_head_to_its_parent() {
        let tip = Tip::new(block(10, 10, 9));
        assert_eq!(tip.hash_of(9), Some(B256::repeat_byte(9)));
        assert_eq!(tip.hash_of(8), None);
        let tip = tip.then(block(11, 11, 10)).then(block(12, 12, 11));
        assert_eq!(tip.number(), 12);
        for number in 9..=12u8 {
            assert_eq!(tip.hash_of(number.into()), Some(B256::repeat_byte(number)));
        }
        assert_eq!(tip.hash_of(13), None);

        // A reorg to a block whose parent is known: what it replaces is cut, the rest kept.
        let reorged = tip.then(block(11, 0xb1, 10));
        assert_eq!(reorged.number(), 11);
        assert_eq!(reorged.hash_of(11), Some(B256::repeat_byte(0xb1)));
        assert_eq!(reorged.hash_of(12), None);
        assert_eq!(reorged.hash_of(9), Some(B256::repeat_byte(9)));

        // A block whose parent is unknown (a gap, or a reorg deeper than known) starts anew.
        let gap = tip.then(block(14, 14, 13));
        assert_eq!(gap.hash_of(13), Some(B256::repeat_byte(13)));
        assert_eq!(gap.hash_of(12), None);
        let fork = tip.then(block(12, 0xc2, 0xc1));
        assert_eq!(fork.hash_of(11), Some(B256::repeat_byte(0xc1)));
        assert_eq!(fork.hash_of(10), None);
    }

    #[test]
    fn a_tip_keeps_only_the_newest_hashes() {
        let mut tip = Tip::new(block(0, 0, 0));
        for number in 1..600u64 {
            let hash = |n: u64| B256::left_padding_from(&n.to_be_bytes());
            let next = HeadBlock {
                number,
                hash: hash(number),
                parent_hash: hash(number - 1),
                timestamp: number,
                gas_used: 0,
            };
            tip = tip.then(next);
        }
        let oldest = 599 - TIP_HASHES as u64 + 1;
        assert_eq!(
            tip.hash_of(oldest),
            Some(B256::left_padding_from(&oldest.to_be_bytes()))
        );
        assert_eq!(tip.hash_of(oldest - 1), None);
        // Every block used no gas: the state is still that of the first, known by hash only.
        assert_eq!(tip.state_block(599), Some(B256::ZERO));
        assert!(tip.used_no_gas(599) && !tip.used_no_gas(600));
    }

    #[test]
    fn the_state_block_is_the_newest_that_may_have_changed_state() {
        let busy = |number: u64, hash: u8, parent: u8| HeadBlock {
            gas_used: 21_000,
            ..block(number, hash, parent)
        };
        let tip = Tip::new(busy(10, 10, 9))
            .then(block(11, 11, 10))
            .then(block(12, 12, 11));
        assert_eq!(tip.state_block(12), Some(B256::repeat_byte(10)));
        assert_eq!(tip.state_block(11), Some(B256::repeat_byte(10)));
        // Known by hash only: it may have.
        assert_eq!(tip.state_block(9), Some(B256::repeat_byte(9)));
        assert_eq!(tip.state_block(8), None);
        assert_eq!(tip.state_block(13), None);
        let tip = tip.then(busy(13, 13, 12)).then(block(14, 14, 13));
        assert_eq!(tip.state_block(14), Some(B256::repeat_byte(13)));
        assert_eq!(tip.state_block(12), Some(B256::repeat_byte(10)));
        assert!(tip.used_no_gas(12) && tip.used_no_gas(14));
        assert!(!tip.used_no_gas(13) && !tip.used_no_gas(9) && !tip.used_no_gas(8));
        // Blocks 10 to 14: 13 used gas, 14 did not.
        assert!(!tip.changed_within(1) && tip.changed_within(2));
        assert!(tip.changed_within(7), "beyond the tip: may have");
    }
}
