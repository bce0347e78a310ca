//! One chain's head as one agent sees it: a single task follows it and every task of the agent
//! that needs the head (indexers, submitters, the agent's own loops) asks [`Heads`] instead of
//! calling `eth_blockNumber` itself, so an agent sends one head request per poll per chain,
//! however many tasks it runs.
//!
//! The follower polls `eth_blockNumber`, but not blindly every poll interval: it learns the
//! chain's block time from the heads it sees (the shortest of the recent gaps between two new
//! heads) and waits for the next block to be due before asking again, then asks every poll
//! interval until the block comes. On a chain with regular blocks that is about one request per
//! block; on a chain without them (mined on demand) it is the poll interval, as before.
//!
//! Over a WebSocket endpoint (a `ws://` or `wss://` URL), heads come by subscription
//! (`eth_subscribe newHeads`) and the follower sends next to no requests: one `eth_blockNumber`
//! when it subscribes (a subscription only tells of blocks to come) and one after each silence
//! longer than a few block times. If that request finds the head moved, the subscription is
//! stale and is replaced; if subscribing fails, the follower polls as over HTTP and subscribes
//! again later, with backoff. A WebSocket provider reconnects by itself.
//!
//! A failed request is every asker's failure until the next request succeeds, so tasks still
//! see (and report) an unreachable endpoint; the follower retries with the usual backoff.

use crate::{provider::without_url, retry::backoff};
use alloy::{
    providers::{DynProvider, Provider},
    transports::{TransportError, TransportErrorKind},
};
use futures::StreamExt;
use nxtp_primitives::Domain;
use std::{
    collections::VecDeque,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::watch;

/// How many recent gaps between heads the block time is learned from.
const GAPS_REMEMBERED: usize = 8;
/// No chain is assumed slower than this: beyond it, the follower polls every interval.
const LONGEST_BLOCK_TIME: Duration = Duration::from_secs(30);
/// A subscription silent for this many block times is checked with one request.
const SILENT_BLOCKS: u32 = 3;
/// The shortest silence checked: a chain mined on demand is often quiet for a while.
const SHORTEST_SILENCE: Duration = Duration::from_secs(2);
/// The silence checked while the block time is unknown.
const UNKNOWN_SILENCE: Duration = Duration::from_secs(5);

/// What the follower last learned.
#[derive(Clone, Debug)]
enum Observed {
    /// Nothing yet.
    Starting,
    /// The head's number.
    Head(u64),
    /// The last request failed, for this reason.
    Failed(Arc<str>),
}

/// The shared head of one chain; cheap to clone, every clone sees the same head. The follower
/// task stops once every clone is dropped. See the module docs.
#[derive(Clone, Debug)]
pub struct Heads {
    chain: Domain,
    observed: watch::Receiver<Observed>,
}

impl Heads {
    /// Starts following the head of `chain` through `provider`, asking at most every
    /// `poll_interval` (and less often once the block time is known). Must be called within a
    /// tokio runtime.
    pub fn follow(chain: Domain, provider: DynProvider, poll_interval: Duration) -> Self {
        let (sender, observed) = watch::channel(Observed::Starting);
        tokio::spawn(follow(chain, provider, poll_interval, sender));
        Self { chain, observed }
    }

    /// The chain these are the heads of.
    pub fn chain(&self) -> Domain {
        self.chain
    }

    /// The latest head's number (waiting for the first answer at start), or the error of the
    /// last request if it failed.
    pub async fn latest(&self) -> Result<u64, TransportError> {
        let mut observed = self.observed.clone();
        let state = observed
            .wait_for(|state| !matches!(state, Observed::Starting))
            .await
            .map(|state| state.clone())
            .map_err(|_| stopped())?;
        match state {
            Observed::Head(number) => Ok(number),
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
                Observed::Head(number) => *number != seen,
                Observed::Failed(_) => true,
            })
            .await;
    }
}

fn stopped() -> TransportError {
    TransportErrorKind::custom_str("the head follower stopped")
}

/// When to ask for the head again.
#[derive(Debug)]
struct Cadence {
    poll_interval: Duration,
    /// The last head and when it was first seen.
    last: Option<(u64, Instant)>,
    /// The recent gaps between first sightings of two heads.
    gaps: VecDeque<Duration>,
}

impl Cadence {
    fn new(poll_interval: Duration) -> Self {
        Self {
            poll_interval,
            last: None,
            gaps: VecDeque::with_capacity(GAPS_REMEMBERED),
        }
    }

    /// Records the head `number` seen at `now`.
    fn saw(&mut self, number: u64, now: Instant) {
        match self.last {
            Some((last, _)) if last == number => {}
            Some((last, at)) => {
                // A head moving back (a reorg to a shorter branch) says nothing of block time.
                if number > last {
                    if self.gaps.len() == GAPS_REMEMBERED {
                        self.gaps.pop_front();
                    }
                    self.gaps.push_back(now.saturating_duration_since(at));
                }
                self.last = Some((number, now));
            }
            None => self.last = Some((number, now)),
        }
    }

    /// The chain's block time as learned: the shortest recent gap, unless beyond any chain's.
    fn block_time(&self) -> Option<Duration> {
        let block_time = *self.gaps.iter().min()?;
        (block_time <= LONGEST_BLOCK_TIME).then_some(block_time)
    }

    /// How long a subscription may stay silent before the head is asked for: a few block times.
    fn silence(&self) -> Duration {
        match self.block_time() {
            Some(block_time) => (block_time * SILENT_BLOCKS).max(SHORTEST_SILENCE),
            None => UNKNOWN_SILENCE,
        }
    }

    /// The pause before the next request, at `now`: until the next block is due (the last head's
    /// sighting plus the shortest recent gap), and at least the poll interval.
    fn pause(&self, now: Instant) -> Duration {
        let due = self.last.and_then(|(_, at)| Some(at + self.block_time()?));
        match due {
            Some(due) => due.saturating_duration_since(now).max(self.poll_interval),
            None => self.poll_interval,
        }
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
}

impl Follower {
    /// Tells every asker of head `number`, seen now.
    fn saw(&mut self, number: u64) {
        self.failures = 0;
        self.cadence.saw(number, Instant::now());
        self.sender.send_if_modified(|state| match state {
            Observed::Head(old) if *old == number => false,
            _ => {
                *state = Observed::Head(number);
                true
            }
        });
    }

    /// The last head told, if the last request succeeded.
    fn head(&self) -> Option<u64> {
        match *self.sender.borrow() {
            Observed::Head(number) => Some(number),
            _ => None,
        }
    }

    /// Asks for the head once; returns the pause before asking again.
    async fn poll(&mut self) -> Duration {
        match self.provider.get_block_number().await {
            Ok(number) => {
                self.saw(number);
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
                let silence = self.cadence.silence();
                tokio::select! {
                    () = self.sender.closed() => return,
                    header = heads.next() => match header {
                        Some(header) => self.saw(header.number),
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

    const TICK: Duration = Duration::from_millis(100);

    #[test]
    fn without_a_block_time_it_polls_every_interval() {
        let start = Instant::now();
        let mut cadence = Cadence::new(TICK);
        assert_eq!(cadence.pause(start), TICK);
        cadence.saw(5, start);
        assert_eq!(cadence.pause(start), TICK);
    }

    #[test]
    fn once_blocks_are_regular_it_waits_for_the_next_one() {
        let start = Instant::now();
        let second = Duration::from_secs(1);
        let mut cadence = Cadence::new(TICK);
        cadence.saw(1, start);
        cadence.saw(2, start + second);
        cadence.saw(2, start + second + TICK);
        assert_eq!(cadence.pause(start + second + TICK), second - TICK);
        // Late: every interval until the block comes.
        assert_eq!(cadence.pause(start + 2 * second + TICK), TICK);
        // A shorter gap wins; a reorg back does not count as one.
        cadence.saw(3, start + second + 5 * TICK);
        cadence.saw(2, start + second + 6 * TICK);
        assert_eq!(cadence.pause(start + second + 6 * TICK), 5 * TICK);
    }

    #[test]
    fn slow_chains_are_polled_every_interval() {
        let start = Instant::now();
        let mut cadence = Cadence::new(TICK);
        cadence.saw(1, start);
        cadence.saw(2, start + LONGEST_BLOCK_TIME * 2);
        assert_eq!(cadence.pause(start + LONGEST_BLOCK_TIME * 2), TICK);
    }
}
