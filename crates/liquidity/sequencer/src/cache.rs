//! Values only governance changes (the liquidity fee, the most routers per transfer, local assets,
//! router approvals), kept for a short time so a burst of transfers does not read each one per
//! transfer. A failed read is never kept.

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// How many entries a cache holds before expired ones are dropped.
const PRUNE_AT: usize = 1_024;

/// Values by key, each trusted for `ttl` after it was read.
#[derive(Debug)]
pub(crate) struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// An empty cache trusting each value for `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key`: the kept one while it is fresh, otherwise what `read` returns (kept
    /// when it succeeds). Two callers missing at once both read; the later answer is kept.
    pub(crate) async fn get_or_read<E, F, Fut>(&self, key: K, read: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.fresh(&key) {
            return Ok(value);
        }
        let value = read().await?;
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        // Keys can come from outside (router addresses in bids): expired ones are dropped once
        // there are many, so the cache holds at most what was read within one `ttl`.
        if entries.len() >= PRUNE_AT {
            let ttl = self.ttl;
            entries.retain(|_, (read_at, _)| read_at.elapsed() < ttl);
        }
        entries.insert(key, (Instant::now(), value.clone()));
        Ok(value)
    }

    fn fresh(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(key)
            .filter(|(read_at, _)| read_at.elapsed() < self.ttl)
            .map(|(_, value)| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    async fn counted(cache: &TtlCache<u8, u32>, reads: &AtomicU32, key: u8) -> Result<u32, ()> {
        cache
            .get_or_read(key, || async { Ok(reads.fetch_add(1, Ordering::SeqCst)) })
            .await
    }

    #[tokio::test]
    async fn keeps_values_per_key_until_they_expire() {
        let cache = TtlCache::new(Duration::from_secs(3_600));
        let reads = AtomicU32::new(0);
        assert_eq!(counted(&cache, &reads, 1).await, Ok(0));
        assert_eq!(counted(&cache, &reads, 1).await, Ok(0), "kept");
        assert_eq!(counted(&cache, &reads, 2).await, Ok(1), "another key reads");
        assert_eq!(reads.load(Ordering::SeqCst), 2);

        let expired = TtlCache::new(Duration::ZERO);
        assert_eq!(counted(&expired, &reads, 1).await, Ok(2));
        assert_eq!(counted(&expired, &reads, 1).await, Ok(3), "read again");
    }

    #[tokio::test]
    async fn expired_entries_are_dropped_once_there_are_many() {
        let cache: TtlCache<usize, u32> = TtlCache::new(Duration::ZERO);
        for key in 0..PRUNE_AT * 3 {
            let _: Result<u32, ()> = cache.get_or_read(key, || async { Ok(1) }).await;
        }
        let held = cache
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        assert!(held <= PRUNE_AT, "{held} entries kept");
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept() {
        let cache: TtlCache<u8, u32> = TtlCache::new(Duration::from_secs(3_600));
        let failed: Result<u32, &str> = cache.get_or_read(1, || async { Err("down") }).await;
        assert_eq!(failed, Err("down"));
        let read: Result<u32, &str> = cache.get_or_read(1, || async { Ok(7) }).await;
        assert_eq!(read, Ok(7));
    }
}
