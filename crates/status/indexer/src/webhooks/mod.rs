//! Webhooks: subscribers hear of every stage change and every new waiting reason of the
//! transfers they follow, signed, retried, in order per transfer, and never lost.
//!
//! - [`subscriptions`]: a target URL, a filter (sender, recipient, router, transfer id) and a
//!   secret, created, listed and deleted through the status API ([`api`]);
//! - [`outbox`]: the events to deliver, enqueued in the same database transaction as the
//!   ingest that caused them (both backends), so a crash loses none;
//! - [`signer`]: each delivery's HMAC-SHA256 over `timestamp.body`, and how a receiver checks
//!   it;
//! - [`deliverer`]: the task POSTing due events, retrying failures with capped exponential
//!   backoff, at least once, a transfer's later event only after its earlier one.
//!
//! Targets may be on loopback (the tests' receivers are); an operator restricts them with
//! `[webhooks] allowed_hosts` and protects the subscription routes with `[webhooks] token`.

pub mod api;
pub mod deliverer;
pub mod outbox;
pub mod signer;
pub mod subscriptions;

pub use deliverer::Deliverer;
pub use outbox::{Delivery, OutboxEntry};
pub use subscriptions::{Subscription, SubscriptionFilter, SubscriptionWithSecret};

use crate::store::{SqlBackend, StoreError};
use serde::Deserialize;
use std::{sync::LazyLock, time::Duration};
use tokio::sync::Notify;

/// The `[webhooks]` section of the indexer's config; every field has a default.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// When set, the subscription routes need `Authorization: Bearer <token>`; without it
    /// anyone who reaches the API may manage subscriptions (keep `api_listen` private then).
    pub token: Option<String>,
    /// The hosts deliveries may go to (`example.com` also allows its subdomains); empty: any,
    /// loopback included.
    pub allowed_hosts: Vec<String>,
    /// The whole request's timeout (milliseconds).
    pub timeout_ms: u64,
    /// The connection's timeout (milliseconds).
    pub connect_timeout_ms: u64,
    /// The first retry's delay (milliseconds); each next one doubles it.
    pub backoff_initial_ms: u64,
    /// The longest delay between two attempts (milliseconds).
    pub backoff_max_ms: u64,
    /// How often the deliverer looks for due events when nothing wakes it (milliseconds).
    pub poll_interval_ms: u64,
    /// How often wait reasons the clock changes are re-evaluated (milliseconds).
    pub sweep_interval_ms: u64,
    /// The most deliveries in flight at once.
    pub concurrency: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            token: None,
            allowed_hosts: Vec::new(),
            timeout_ms: 10_000,
            connect_timeout_ms: 5_000,
            backoff_initial_ms: 1_000,
            backoff_max_ms: 300_000,
            poll_interval_ms: 1_000,
            sweep_interval_ms: 5_000,
            concurrency: 16,
        }
    }
}

impl WebhookConfig {
    /// The delay before the attempt after `attempts` failed ones: doubling from
    /// `backoff_initial_ms`, capped at `backoff_max_ms`.
    pub fn backoff(&self, attempts: u64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(40);
        let delay = self
            .backoff_initial_ms
            .saturating_mul(1u64 << doublings)
            .min(self.backoff_max_ms);
        Duration::from_millis(delay)
    }

    /// Checks the values, naming the field.
    pub fn check(&self) -> Result<(), String> {
        if self.timeout_ms == 0 || self.connect_timeout_ms == 0 {
            return Err("webhooks: timeouts must be above 0 ms".to_owned());
        }
        if self.backoff_initial_ms == 0 || self.backoff_max_ms < self.backoff_initial_ms {
            return Err(
                "webhooks: backoff_initial_ms must be above 0 and at most backoff_max_ms"
                    .to_owned(),
            );
        }
        if self.poll_interval_ms == 0 || self.sweep_interval_ms == 0 {
            return Err("webhooks: intervals must be above 0 ms".to_owned());
        }
        if self.concurrency == 0 {
            return Err("webhooks.concurrency: at least 1".to_owned());
        }
        if self.token.as_deref().is_some_and(|token| token.len() < 16) {
            return Err("webhooks.token: at least 16 characters".to_owned());
        }
        Ok(())
    }
}

/// Wakes the deliverers when an ingest enqueued events, so a delivery starts at once rather
/// than at the next poll. Process-wide: several indexers in one process (tests) only cost each
/// other a spurious look at their outbox.
static ENQUEUED: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Tells the deliverers events were enqueued.
pub(crate) fn wake() {
    ENQUEUED.notify_waiters();
}

/// The webhook tables of a store; implemented by every backend.
pub trait WebhookStore: Send + Sync {
    /// Stores a new subscription.
    fn create_subscription(&self, new: &SubscriptionWithSecret) -> Result<(), StoreError>;

    /// Every subscription, oldest first.
    fn subscriptions(&self) -> Result<Vec<SubscriptionWithSecret>, StoreError>;

    /// One subscription.
    fn subscription(&self, id: &str) -> Result<Option<SubscriptionWithSecret>, StoreError>;

    /// Deletes a subscription and its undelivered events; whether it existed.
    fn delete_subscription(&self, id: &str) -> Result<bool, StoreError>;

    /// Up to `limit` events due at `now_ms` (see [`outbox::due`]).
    fn due(&self, now_ms: u64, limit: u64) -> Result<Vec<Delivery>, StoreError>;

    /// Records a delivery the receiver accepted.
    fn delivered(&self, id: u64, now_ms: u64) -> Result<(), StoreError>;

    /// Records a failed attempt and when to retry.
    fn failed(&self, id: u64, next_attempt_ms: u64, error: &str) -> Result<(), StoreError>;

    /// Re-evaluates waiting transfers for the clock's changes; the events enqueued.
    fn sweep(&self, now_ms: u64) -> Result<u64, StoreError>;

    /// A subscription's events, oldest first.
    fn outbox(&self, subscription_id: &str) -> Result<Vec<OutboxEntry>, StoreError>;
}

/// Runs a read and returns what it produced.
fn read<B: SqlBackend, R: Default>(
    backend: &B,
    mut f: impl FnMut(&mut dyn crate::store::Exec) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let mut out = R::default();
    backend.read(&mut |db| {
        out = f(db)?;
        Ok(())
    })?;
    Ok(out)
}

/// Runs a write transaction and returns what it produced.
fn write<B: SqlBackend, R: Default>(
    backend: &B,
    mut f: impl FnMut(&mut dyn crate::store::Exec) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let mut out = R::default();
    backend.write(None, &mut |db| {
        out = f(db)?;
        Ok(())
    })?;
    Ok(out)
}

impl<B: SqlBackend> WebhookStore for B {
    fn create_subscription(&self, new: &SubscriptionWithSecret) -> Result<(), StoreError> {
        write(self, |db| subscriptions::insert(db, new))
    }

    fn subscriptions(&self) -> Result<Vec<SubscriptionWithSecret>, StoreError> {
        read(self, subscriptions::all)
    }

    fn subscription(&self, id: &str) -> Result<Option<SubscriptionWithSecret>, StoreError> {
        read(self, |db| subscriptions::one(db, id))
    }

    fn delete_subscription(&self, id: &str) -> Result<bool, StoreError> {
        write(self, |db| subscriptions::delete(db, id))
    }

    fn due(&self, now_ms: u64, limit: u64) -> Result<Vec<Delivery>, StoreError> {
        read(self, |db| outbox::due(db, now_ms, limit))
    }

    fn delivered(&self, id: u64, now_ms: u64) -> Result<(), StoreError> {
        write(self, |db| outbox::delivered(db, id, now_ms))
    }

    fn failed(&self, id: u64, next_attempt_ms: u64, error: &str) -> Result<(), StoreError> {
        write(self, |db| outbox::failed(db, id, next_attempt_ms, error))
    }

    fn sweep(&self, now_ms: u64) -> Result<u64, StoreError> {
        let enqueued = write(self, |db| outbox::sweep(db, now_ms))?;
        if enqueued > 0 {
            wake();
        }
        Ok(enqueued)
    }

    fn outbox(&self, subscription_id: &str) -> Result<Vec<OutboxEntry>, StoreError> {
        read(self, |db| outbox::entries(db, subscription_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let config = WebhookConfig {
            backoff_initial_ms: 100,
            backoff_max_ms: 1_000,
            ..WebhookConfig::default()
        };
        let delays: Vec<u64> = (1..=6)
            .map(|attempts| config.backoff(attempts).as_millis() as u64)
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(config.backoff(u64::MAX), Duration::from_millis(1_000));
        assert!(WebhookConfig::default().check().is_ok());
    }
}
