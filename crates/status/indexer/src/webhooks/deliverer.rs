//! The task delivering the outbox: it POSTs each due event ([`super::outbox::due`]) to its
//! subscription's URL, signed ([`super::signer`]), with the event's id as idempotency key.
//! A `2xx` answer marks the event delivered; anything else (an error status, a refused
//! connection, a timeout) schedules the next attempt after a doubling, capped delay, without
//! end: a receiver down for hours gets every event once it is back, each transfer's in order.
//!
//! An event is marked delivered only after the receiver answered, so a crash in between sends
//! it again, with the same idempotency key: deliveries are at least once.
//!
//! The deliverer wakes when an ingest enqueues events, when a delivery ends, and every
//! `poll_interval_ms` (retries come due with the clock); every `sweep_interval_ms` it also has
//! the store re-evaluate the wait reasons the clock alone changes.

use super::{
    signer::{self, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER},
    subscriptions, Delivery, WebhookConfig, ENQUEUED,
};
use crate::store::{StatusStore, StoreError};
use nxtp_agent::{clock::now_ms, CancellationToken};
use std::{
    collections::HashSet,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::task::JoinSet;

/// The webhook deliverer; see the module docs.
pub struct Deliverer {
    store: Arc<dyn StatusStore>,
    config: WebhookConfig,
    client: reqwest::Client,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why a delivery attempt failed.
#[derive(Debug, thiserror::Error)]
enum AttemptError {
    /// The receiver answered with a status other than `2xx`.
    #[error("the receiver answered HTTP {0}")]
    Status(u16),
    /// No answer: refused, reset, timed out.
    #[error("no answer: {0}")]
    Transport(String),
    /// The operator no longer allows the target's host.
    #[error("the target's host is not in webhooks.allowed_hosts")]
    NotAllowed,
}

/// Runs a store call on the blocking pool.
async fn on_store<R: Send + 'static>(
    store: &Arc<dyn StatusStore>,
    f: impl FnOnce(&dyn StatusStore) -> Result<R, StoreError> + Send + 'static,
) -> Result<R, StoreError> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|err| StoreError::Panicked(nxtp_agent::tasks::join_error_message(err)))?
}

impl Deliverer {
    /// A deliverer of `store`'s outbox; fails only if the HTTP client cannot be built.
    pub fn new(store: Arc<dyn StatusStore>, config: WebhookConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            // A redirect could lead a signed event to a host the subscription never named.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("nxtp-indexer-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            store,
            config,
            client,
        })
    }

    /// Delivers until `shutdown`. Store failures are logged and retried at the next poll; they
    /// never stop the indexer.
    pub async fn run(self, shutdown: CancellationToken) {
        let this = Arc::new(self);
        let poll = Duration::from_millis(this.config.poll_interval_ms);
        let sweep_every = Duration::from_millis(this.config.sweep_interval_ms);
        let mut next_sweep = Instant::now() + sweep_every;
        let mut in_flight: JoinSet<u64> = JoinSet::new();
        let mut flying: HashSet<u64> = HashSet::new();
        loop {
            // Registered before the outbox is read, so an enqueue in between still wakes us.
            let woken = ENQUEUED.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();

            if Instant::now() >= next_sweep {
                next_sweep = Instant::now() + sweep_every;
                if let Err(err) =
                    on_store(&this.store, |store| store.webhooks().sweep(now_ms())).await
                {
                    tracing::warn!(error = %err, "webhooks: cannot re-evaluate waiting transfers");
                }
            }
            let room = this.config.concurrency.saturating_sub(in_flight.len());
            if room > 0 {
                let limit = u64::try_from(this.config.concurrency * 2).unwrap_or(u64::MAX);
                match on_store(&this.store, move |store| {
                    store.webhooks().due(now_ms(), limit)
                })
                .await
                {
                    Ok(due) => {
                        let fresh: Vec<Delivery> = due
                            .into_iter()
                            .filter(|delivery| !flying.contains(&delivery.id))
                            .take(room)
                            .collect();
                        for delivery in fresh {
                            flying.insert(delivery.id);
                            let this = Arc::clone(&this);
                            in_flight.spawn(async move { this.deliver(delivery).await });
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "webhooks: cannot read the outbox"),
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                    match done {
                        Ok(id) => {
                            flying.remove(&id);
                        }
                        // A delivery task only ends early by a panic: forget what was in
                        // flight; the outbox still holds each undelivered event.
                        Err(err) => {
                            tracing::error!(error = %err, "webhooks: a delivery task failed");
                            flying.clear();
                        }
                    }
                }
                () = &mut woken => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
        in_flight.abort_all();
    }

    /// One attempt at `delivery`, recorded in the outbox; returns its id.
    async fn deliver(self: Arc<Self>, delivery: Delivery) -> u64 {
        let id = delivery.id;
        let outcome = self.attempt(&delivery).await;
        let store = Arc::clone(&self.store);
        let recorded = match &outcome {
            Ok(()) => {
                on_store(&store, move |store| {
                    store.webhooks().delivered(id, now_ms())
                })
                .await
            }
            Err(err) => {
                let attempts = delivery.attempts.saturating_add(1);
                let delay = self.config.backoff(attempts);
                let next =
                    now_ms().saturating_add(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
                tracing::info!(
                    event = %delivery.event_id,
                    url = %delivery.url,
                    attempts,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %err,
                    "webhooks: delivery failed; will retry"
                );
                let error = err.to_string();
                on_store(&store, move |store| {
                    store.webhooks().failed(id, next, &error)
                })
                .await
            }
        };
        if let Err(err) = recorded {
            // The event stays due: it is sent again (same idempotency key).
            tracing::warn!(error = %err, event = %delivery.event_id, "webhooks: cannot record a delivery");
        }
        id
    }

    async fn attempt(&self, delivery: &Delivery) -> Result<(), AttemptError> {
        let host = subscriptions::url_host(&delivery.url).unwrap_or_default();
        if !subscriptions::host_allowed(&self.config.allowed_hosts, &host) {
            return Err(AttemptError::NotAllowed);
        }
        let timestamp = now_ms() / 1_000;
        let body = delivery.body.clone().into_bytes();
        let signature = signer::sign(&delivery.secret, timestamp, &body);
        let response = self
            .client
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .header(IDEMPOTENCY_HEADER, &delivery.event_id)
            .body(body)
            .send()
            .await
            .map_err(|err| AttemptError::Transport(err.without_url().to_string()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(AttemptError::Status(status.as_u16()))
        }
    }
}
