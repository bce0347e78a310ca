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
//! A failed request is every asker's failure until the next request succeeds, so tasks still
//! see (and report) an unreachable endpoint; the follower retries with the usual backoff.

use crate::{provider::without_url, retry::backoff};
use alloy::{
    providers::{DynProvider, Provider},
    transports::{TransportError, TransportErrorKind},
};
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

    /// The pause before the next request, at `now`: until the next block is due (the last head's
    /// sighting plus the shortest recent gap), and at least the poll interval.
    fn pause(&self, now: Instant) -> Duration {
        let due = self.last.and_then(|(_, at)| {
            let block_time = *self.gaps.iter().min()?;
            (block_time <= LONGEST_BLOCK_TIME).then(|| at + block_time)
        });
        match due {
            Some(due) => due.saturating_duration_since(now).max(self.poll_interval),
            None => self.poll_interval,
        }
    }
}

async fn follow(
    chain: Domain,
    provider: DynProvider,
    poll_interval: Duration,
    sender: watch::Sender<Observed>,
) {
    let mut cadence = Cadence::new(poll_interval);
    let mut failures = 0u32;
    loop {
        let pause = match provider.get_block_number().await {
            Ok(number) => {
                failures = 0;
                cadence.saw(number, Instant::now());
                sender.send_if_modified(|state| match state {
                    Observed::Head(old) if *old == number => false,
                    _ => {
                        *state = Observed::Head(number);
                        true
                    }
                });
                cadence.pause(Instant::now())
            }
            Err(err) => {
                failures = failures.saturating_add(1);
                let err = without_url(err);
                tracing::debug!(%chain, error = %err, "cannot read the head");
                sender.send_replace(Observed::Failed(err.to_string().into()));
                backoff(poll_interval, failures)
            }
        };
        tokio::select! {
            () = sender.closed() => return,
            () = tokio::time::sleep(pause) => {}
        }
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
