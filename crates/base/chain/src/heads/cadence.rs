//! When the head follower asks for the head again: about once per block, just after the block is
//! there, learned from the chain itself.
//!
//! A poll that finds no new head tells that the next block came after it was sent; the poll
//! that then finds that block tells it came before its answer. Each such pair brackets one
//! block's arrival. Blocks of a regular chain arrive one block time apart, so two brackets `k`
//! blocks apart bound the block time within the sum of their widths over `k`: the longer the
//! span, the tighter. The follower then asks once per block, at the newest bracket's end plus
//! whole block times at the *lowest* block time the brackets allow, plus a small guard.
//!
//! Why the lowest: asking early by a little costs one request (the block is not there yet; the
//! follower asks again a poll interval later) and yields a new, later bracket, so the schedule
//! corrects itself and the span grows, making the next miss rarer. Asking late costs nothing
//! visible, so a schedule that drifted late would never learn of it and the delay would grow
//! block after block. A chain whose block time changes yields a bracket the others cannot
//! explain; learning starts again from it.
//!
//! Heads that come by subscription are arrivals seen as they happen: exact brackets.

use std::time::{Duration, Instant};

/// No chain is assumed slower than this: beyond it, the follower polls every interval.
pub(super) const LONGEST_BLOCK_TIME: Duration = Duration::from_secs(30);
/// The guard after a block's predicted arrival, as a fraction of the block time: room for a
/// node that mines or answers a little late, so that a schedule on time does not miss. Also the
/// pause before asking again when the block was not there at its time.
const GUARD_FRACTION: u32 = 50;
/// How many brackets in a row the learned block time must fail to explain before it is
/// learned again: one late block is a node's hiccup, a few are a new block time.
const STRAYS_TO_RELEARN: u32 = 3;

/// A block's arrival, known to lie in `(after, by]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bracket {
    number: u64,
    after: Instant,
    by: Instant,
}

impl Bracket {
    /// The block times that `self` and a later bracket `then` allow together, lowest and
    /// highest; `None` unless `then` is of a later block.
    fn block_times(&self, then: &Self) -> Option<BlockTimes> {
        let blocks = u32::try_from(then.number.checked_sub(self.number)?).ok()?;
        if blocks == 0 {
            return None;
        }
        Some(BlockTimes {
            lowest: then.after.saturating_duration_since(self.by) / blocks,
            highest: then.by.saturating_duration_since(self.after) / blocks,
        })
    }
}

/// The block times the brackets allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BlockTimes {
    lowest: Duration,
    highest: Duration,
}

impl BlockTimes {
    /// What both allow, if anything.
    fn and(self, other: Self) -> Option<Self> {
        let both = Self {
            lowest: self.lowest.max(other.lowest),
            highest: self.highest.min(other.highest),
        };
        (both.lowest <= both.highest).then_some(both)
    }
}

/// When to ask for the head again; see the module docs.
#[derive(Debug)]
pub(super) struct Cadence {
    poll_interval: Duration,
    /// How much later than it seemed a block may have come: a bracket's start is taken this
    /// much earlier, so that a node answering a little late does not teach a block time longer
    /// than the chain's (from which the schedule would drift late unnoticed).
    tolerance: Duration,
    /// The newest head and when the poll that found it was answered.
    last: Option<(u64, Instant)>,
    /// When the newest poll that found no newer head than `last` was sent, and how many did.
    missed: Option<(Instant, u32)>,
    /// The oldest bracket since the block time was last learned again.
    first: Option<Bracket>,
    /// The newest bracket: the schedule counts block times from it.
    anchor: Option<Bracket>,
    /// The block times every bracket since `first` allows.
    times: Option<BlockTimes>,
    /// Brackets in a row that `times` could not explain.
    strays: u32,
}

impl Cadence {
    pub(super) fn new(poll_interval: Duration) -> Self {
        Self {
            poll_interval,
            tolerance: poll_interval / 10,
            last: None,
            missed: None,
            first: None,
            anchor: None,
            times: None,
            strays: 0,
        }
    }

    /// Records a poll sent at `sent` and answered at `answered` with head `number`.
    pub(super) fn polled(&mut self, number: u64, sent: Instant, answered: Instant) {
        match self.last {
            Some((last, _)) if number == last => {
                let misses = self.missed.map_or(0, |(_, misses)| misses);
                self.missed = Some((sent, misses.saturating_add(1)));
                return;
            }
            // The block right after the last, and a poll since the last found it not there.
            Some((last, _)) if number == last + 1 => {
                if let Some((after, _)) = self.missed {
                    self.bracketed(Bracket {
                        number,
                        after: after.checked_sub(self.tolerance).unwrap_or(after),
                        by: answered,
                    });
                }
            }
            // Blocks never seen while the schedule was in force: it runs late (a late block
            // taught a block time longer than the chain's), so it is learned again.
            Some((last, _)) if number > last + 1 && self.block_time().is_some() => {
                self.first = None;
                self.anchor = None;
                self.times = None;
                self.strays = 0;
            }
            // The first head, blocks never seen, or a reorg back: nothing bracketed.
            _ => {}
        }
        self.last = Some((number, answered));
        self.missed = None;
    }

    /// Records head `number` announced (by a subscription) at `at`: its arrival, exactly.
    pub(super) fn announced(&mut self, number: u64, at: Instant) {
        if self.last.is_some_and(|(last, _)| number == last + 1) {
            self.bracketed(Bracket {
                number,
                after: at,
                by: at,
            });
        }
        self.last = Some((number, at));
        self.missed = None;
    }

    fn bracketed(&mut self, bracket: Bracket) {
        let previous = self.anchor.replace(bracket);
        let Some(mut times) = self.first.and_then(|first| first.block_times(&bracket)) else {
            self.learn_from(bracket);
            return;
        };
        // The first bracket gives the longest span, the previous one may be the narrower: the
        // block time is within what each allows.
        if let Some(narrower) = previous
            .filter(|previous| Some(*previous) != self.first)
            .and_then(|previous| previous.block_times(&bracket))
            .and_then(|recent| recent.and(times))
        {
            times = narrower;
        }
        match self.times {
            None => self.times = Some(times),
            Some(known) => match known.and(times) {
                Some(both) => {
                    self.times = Some(both);
                    self.strays = 0;
                }
                None => {
                    self.strays += 1;
                    if self.strays >= STRAYS_TO_RELEARN {
                        self.learn_from(bracket);
                    }
                }
            },
        }
    }

    fn learn_from(&mut self, bracket: Bracket) {
        self.first = Some(bracket);
        self.times = None;
        self.strays = 0;
    }

    /// The chain's block time as learned (the lowest the brackets allow), unless beyond any
    /// chain's.
    pub(super) fn block_time(&self) -> Option<Duration> {
        let lowest = self.times?.lowest;
        (!lowest.is_zero() && lowest <= LONGEST_BLOCK_TIME).then_some(lowest)
    }

    /// The pause before the next request, at `now`: until the block after the last head is due
    /// (see the module docs), and at least the poll interval. Once it is overdue, a short guard
    /// after the first poll that found it not there (it is most likely about to come), then the
    /// poll interval; the poll interval while the block time is unknown.
    pub(super) fn pause(&self, now: Instant) -> Duration {
        let Some(block_time) = self.block_time() else {
            return self.poll_interval;
        };
        let guard = block_time / GUARD_FRACTION;
        let due = (|| {
            let anchor = self.anchor?;
            let (last, _) = self.last?;
            let blocks = u32::try_from(last.checked_add(1)?.checked_sub(anchor.number)?).ok()?;
            Some(anchor.by + block_time * blocks + guard)
        })();
        match (due, self.missed) {
            (Some(due), _) if due > now => (due - now).max(self.poll_interval),
            (_, Some((_, 1))) => guard.min(self.poll_interval),
            _ => self.poll_interval,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_millis(100);
    const SECOND: Duration = Duration::from_secs(1);

    /// What a simulated follower did over a range of blocks.
    struct Run {
        requests_per_block: f64,
        /// The longest a block waited to be seen.
        worst_wait: Duration,
    }

    /// A chain whose block `n` comes at `arrival(n)` (after the start), polled through a
    /// cadence whose answers take 1 to 4 ms; what it did over blocks `counted`.
    fn simulate(arrival: impl Fn(u64) -> Duration, counted: std::ops::Range<u64>) -> Run {
        let start = Instant::now();
        let head_at = |at: Duration| (0..).take_while(|&n| arrival(n) <= at).last().unwrap_or(0);
        let mut cadence = Cadence::new(TICK);
        let mut now = Duration::ZERO;
        let (mut requests, mut worst_wait, mut seen, mut jitter) = (0u64, Duration::ZERO, 0, 0u64);
        while seen < counted.end {
            // Answers take 1 to 4 ms, in a fixed pseudo-random order; the node reads its head
            // half a millisecond after the request is sent.
            jitter = (jitter * 7 + 3) % 4;
            let answered = now + Duration::from_millis(1 + jitter);
            let head = head_at(now + Duration::from_micros(500));
            cadence.polled(head, start + now, start + answered);
            if counted.contains(&head) {
                requests += 1;
                if head != seen {
                    worst_wait = worst_wait.max(answered - arrival(head));
                }
            }
            seen = head;
            now = answered + cadence.pause(start + answered);
        }
        let blocks = counted.end - counted.start;
        Run {
            requests_per_block: requests as f64 / blocks as f64,
            worst_wait,
        }
    }

    fn regular(block_time: Duration, phase: Duration) -> impl Fn(u64) -> Duration {
        move |number| phase + block_time * u32::try_from(number).expect("few blocks")
    }

    #[test]
    fn without_a_block_time_it_polls_every_interval() {
        let start = Instant::now();
        let mut cadence = Cadence::new(TICK);
        assert_eq!(cadence.pause(start), TICK);
        cadence.polled(5, start, start);
        cadence.polled(5, start + TICK, start + TICK);
        cadence.polled(6, start + 2 * TICK, start + 2 * TICK);
        // One bracket: no block time yet.
        assert_eq!(cadence.block_time(), None);
        assert_eq!(cadence.pause(start + 2 * TICK), TICK);
    }

    #[test]
    fn on_a_regular_chain_it_asks_about_once_a_block_soon_after_it_comes() {
        for (block_time, phase) in [
            (SECOND, Duration::from_millis(370)),
            (SECOND, Duration::from_millis(5)),
            (2 * SECOND, Duration::from_millis(999)),
            (Duration::from_millis(750), Duration::from_millis(123)),
        ] {
            let run = simulate(regular(block_time, phase), 20..2020);
            assert!(
                run.requests_per_block <= 1.01,
                "{} requests per block at {block_time:?}",
                run.requests_per_block
            );
            assert!(
                run.worst_wait <= TICK + block_time / 10,
                "a block waited {:?} at {block_time:?}",
                run.worst_wait
            );
        }
    }

    /// A node that mines one block in twenty late (a hiccup) may teach a block time a little
    /// longer than the chain's, from which the schedule drifts late with no miss to correct it;
    /// once it skips a block it learns again, so no block waits much more than one block time.
    #[test]
    fn a_node_with_hiccups_is_followed_within_a_block() {
        let arrival = |number: u64| {
            let late = if number % 20 == 7 { 100 } else { 0 };
            SECOND * u32::try_from(number).expect("few blocks") + Duration::from_millis(late)
        };
        let run = simulate(arrival, 20..2020);
        assert!(run.requests_per_block <= 1.1, "{}", run.requests_per_block);
        assert!(run.worst_wait <= SECOND + TICK, "{:?}", run.worst_wait);
    }

    #[test]
    fn a_chain_faster_than_the_interval_is_polled_every_interval() {
        let run = simulate(regular(Duration::from_millis(40), Duration::ZERO), 10..210);
        assert!(run.requests_per_block < 0.5, "{}", run.requests_per_block);
        assert!(run.worst_wait <= TICK + Duration::from_millis(50));
    }

    #[test]
    fn a_changed_block_time_is_learned_again() {
        // One block a second up to block 100, then one every two seconds.
        let arrival = |number: u64| {
            let number = u32::try_from(number).expect("few blocks");
            SECOND * number.min(100) + 2 * SECOND * number.saturating_sub(100)
        };
        let run = simulate(arrival, 120..420);
        assert!(run.requests_per_block <= 1.02, "{}", run.requests_per_block);
        assert!(run.worst_wait <= TICK + SECOND / 5, "{:?}", run.worst_wait);
    }

    #[test]
    fn one_late_block_does_not_unlearn_the_block_time() {
        let start = Instant::now();
        let mut cadence = Cadence::new(TICK);
        let at = |ms: u64| start + Duration::from_millis(ms);
        for block in 1..=10u64 {
            cadence.polled(block - 1, at(block * 1000 - 10), at(block * 1000 - 9));
            let late = if block == 8 { 300 } else { 10 };
            cadence.polled(block, at(block * 1000 + late), at(block * 1000 + late + 1));
        }
        let learned = cadence.block_time().expect("learned");
        assert!(
            learned > Duration::from_millis(950) && learned <= SECOND,
            "{learned:?}"
        );
    }

    #[test]
    fn announced_heads_are_exact_arrivals() {
        let start = Instant::now();
        let mut cadence = Cadence::new(TICK);
        for block in 0..4u32 {
            cadence.announced(block.into(), start + SECOND * block);
        }
        assert_eq!(cadence.block_time(), Some(SECOND));
    }

    #[test]
    fn slow_chains_are_polled_every_interval() {
        let start = Instant::now();
        let mut cadence = Cadence::new(TICK);
        for block in 0..3u32 {
            cadence.announced(block.into(), start + LONGEST_BLOCK_TIME * 2 * block);
        }
        assert_eq!(cadence.block_time(), None);
        assert_eq!(cadence.pause(start + LONGEST_BLOCK_TIME * 4), TICK);
    }
}
