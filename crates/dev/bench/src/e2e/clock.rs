//! When each block appeared. Block timestamps are whole seconds, too coarse to tell which of two chains'
//! blocks came first within a second, so the benchmark watches every chain's head and notes when it first
//! saw each block number.

use alloy::providers::{DynProvider, Provider};
use futures::future::join_all;
use nxtp_primitives::Domain;
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};
use tokio::task::JoinHandle;

/// When each block number was first seen, per domain.
pub type Sightings = BTreeMap<Domain, BTreeMap<u64, Instant>>;

/// Polls every chain's head in the background until dropped.
pub struct BlockClock {
    seen: Arc<Mutex<Sightings>>,
    task: JoinHandle<()>,
}

impl BlockClock {
    /// Starts polling `providers` every `every`.
    pub fn start(providers: BTreeMap<Domain, DynProvider>, every: Duration) -> Self {
        let seen = Arc::new(Mutex::new(Sightings::new()));
        let task = tokio::spawn(watch(providers, every, seen.clone()));
        Self { seen, task }
    }

    /// What was seen so far.
    pub fn sightings(&self) -> Sightings {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for BlockClock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn watch(
    providers: BTreeMap<Domain, DynProvider>,
    every: Duration,
    seen: Arc<Mutex<Sightings>>,
) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        // Every chain read at once and dated alike, so blocks that appeared within one poll tie rather than
        // being ordered by which chain happened to be read first.
        let heads =
            join_all(providers.iter().map(|(&domain, provider)| async move {
                (domain, provider.get_block_number().await)
            }))
            .await;
        let now = Instant::now();
        let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
        for (domain, head) in heads {
            // A failed read is only a late sighting: the next poll sees the block.
            let Ok(head) = head else { continue };
            let blocks = seen.entry(domain).or_default();
            // Blocks skipped between two polls are dated by the later poll; the first poll dates only the head.
            let first_new = blocks.last_key_value().map_or(head, |(&last, _)| last + 1);
            for number in first_new..=head {
                blocks.insert(number, now);
            }
        }
    }
}

/// The highest block of `blocks` seen at or before `at` (a block seen in the same poll counts as before).
pub fn head_at(blocks: &BTreeMap<u64, Instant>, at: Instant) -> Option<u64> {
    blocks
        .iter()
        .rev()
        .find(|(_, &seen)| seen <= at)
        .map(|(&number, _)| number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_at_is_the_last_block_seen_by_then() {
        let before = Instant::now();
        let start = before + Duration::from_secs(1);
        let blocks: BTreeMap<u64, Instant> = [
            (10, start),
            (11, start + Duration::from_secs(1)),
            (12, start + Duration::from_secs(2)),
        ]
        .into();
        assert_eq!(head_at(&blocks, start), Some(10));
        assert_eq!(
            head_at(&blocks, start + Duration::from_millis(1500)),
            Some(11)
        );
        assert_eq!(head_at(&blocks, start + Duration::from_secs(5)), Some(12));
        assert_eq!(head_at(&blocks, before), None);
    }
}
