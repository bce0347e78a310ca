//! The persistent outbox: one row per event to deliver to one subscription, written in the
//! same transaction as the ingest (or the clock's sweep) that caused it, so a crash can never
//! lose an event nor record a change without its events.
//!
//! An event is due when a transfer a subscription matches shows a new stage or a new waiting
//! reason: the transfer's last notified `(stage, reason)` per subscription is kept in
//! `webhook_transfer_state`, and only a difference enqueues. Writing the same batch twice (a
//! re-delivered PostgreSQL batch) finds the state already moved and enqueues nothing again.
//!
//! Which transfers a batch may have changed: those its events name, and for the messaging
//! events (a checkpoint, a signed or relayed root, a delivery, a halt) the transfers still
//! waiting whose message they concern. Wait reasons that change with the clock alone (the
//! routers' first minute, the fraud window's end) are found by [`sweep`], which the deliverer
//! runs every few seconds over the transfers already notified and not complete.
//!
//! Deliveries keep each transfer's order per subscription: only the oldest undelivered event of
//! a `(subscription, transfer)` pair is ever due ([`due`]).

use super::subscriptions::{self, SubscriptionWithSecret};
use crate::{
    ingest::Event,
    status::TransferView,
    store::{queries, Change, Exec, StoreError, TransferKey, Value},
};
use alloy::primitives::B256;
use serde::Serialize;
use std::collections::BTreeSet;

/// The most transfers one batch re-evaluates for a messaging event (a checkpoint of a busy
/// `Home` concerns every transfer still waiting on it); the rest are found by the sweep.
const MAX_CANDIDATES: i64 = 10_000;

/// How long delivered events are kept before the sweep deletes them (milliseconds).
pub const DELIVERED_RETENTION_MS: u64 = 7 * 24 * 3_600 * 1_000;

/// The event POSTed to a subscriber.
#[derive(Clone, Debug, Serialize)]
pub struct EventBody<'a> {
    /// The event's id, also sent as the `idempotency-key` header: the same on every retry.
    pub event_id: &'a str,
    /// `transfer.updated`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The subscription it is delivered for.
    pub subscription_id: &'a str,
    /// The event's number among this subscription's events about this transfer (1, 2, …):
    /// a receiver sees them in this order.
    pub sequence: u64,
    /// When the change was recorded (unix milliseconds).
    pub created_at: u64,
    /// What changed: `stage`, `waiting`, or both.
    pub changed: Vec<&'static str>,
    /// The stage and waiting reason last delivered (`null` on the first event).
    pub previous: Option<Previous<'a>>,
    /// The transfer's status, as `GET /transfers/{id}` shows it.
    pub transfer: &'a TransferView,
}

/// The state a subscriber was last told about.
#[derive(Clone, Debug, Serialize)]
pub struct Previous<'a> {
    /// The stage.
    pub stage: &'a str,
    /// The waiting reason (`null`: not waiting).
    pub waiting: Option<&'a str>,
}

/// The name of a view's waiting reason (the variant's name, whatever data it carries).
pub fn reason_name(view: &TransferView) -> Option<String> {
    let waiting = serde_json::to_value(view.waiting.as_ref()?).ok()?;
    match waiting.get("reason")?.clone() {
        serde_json::Value::String(name) => Some(name),
        serde_json::Value::Object(fields) => fields
            .get("kind")
            .or_else(|| fields.get("type"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .or_else(|| fields.keys().next().cloned()),
        other => Some(other.to_string()),
    }
}

fn hex(hash: B256) -> String {
    alloy::hex::encode_prefixed(hash)
}

/// Whether any subscription exists: without one, ingest skips the webhook work entirely.
fn any_subscription(db: &mut dyn Exec) -> Result<bool, StoreError> {
    Ok(!db
        .query("SELECT 1 FROM webhook_subscriptions LIMIT 1", &[])?
        .is_empty())
}

/// Adds the transfer ids of `rows` (one text column each) to `into`.
fn collect_ids(rows: &[Vec<Value>], into: &mut BTreeSet<B256>) {
    into.extend(
        rows.iter()
            .filter_map(|row| row.first()?.text()?.parse::<B256>().ok()),
    );
}

/// The transfers `change` may have moved.
fn candidates(db: &mut dyn Exec, change: &Change) -> Result<BTreeSet<B256>, StoreError> {
    let mut ids = BTreeSet::new();
    let domain = Value::from(change.domain.get());
    let limit = Value::Int(MAX_CANDIDATES);
    let waiting_from_origin = "SELECT transfer_id FROM transfers
        WHERE origin = $1 AND stage = 'XCalled' ORDER BY seq LIMIT $2";
    for record in &change.records {
        if let Some(id) = record.event.transfer_id() {
            ids.insert(id);
            continue;
        }
        let rows = match &record.event {
            Event::Dispatch { leaf, .. }
            | Event::Processed { leaf, .. }
            | Event::ProcessFailed { leaf, .. } => db.query(
                "SELECT transfer_id FROM transfers WHERE message_hash = $1",
                &[hex(*leaf).into()],
            )?,
            // A checkpoint or a signed root of this domain's Home, or its failure: the transfers
            // leaving this domain that still wait.
            Event::Checkpointed { .. } | Event::HomeFailed { .. } => {
                db.query(waiting_from_origin, &[domain.clone(), limit.clone()])?
            }
            Event::Update { origin, .. } if *origin == change.domain.get() => {
                db.query(waiting_from_origin, &[domain.clone(), limit.clone()])?
            }
            // A root relayed to, or a halt of, this domain's Replica of `origin`.
            Event::Update { origin, .. }
            | Event::ReplicaHalted { origin, .. }
            | Event::ReplicaFailed { origin, .. } => db.query(
                "SELECT transfer_id FROM transfers
                 WHERE origin = $1 AND destination = $2 AND stage = 'XCalled'
                 ORDER BY seq LIMIT $3",
                &[(*origin).into(), domain.clone(), limit.clone()],
            )?,
            _ => continue,
        };
        collect_ids(&rows, &mut ids);
    }
    Ok(ids)
}

/// Enqueues the events `change` causes; runs inside the ingest's transaction, after the
/// change is recorded. Returns how many were enqueued.
pub(crate) fn enqueue_for_change(
    db: &mut dyn Exec,
    change: &Change,
    now_ms: u64,
) -> Result<u64, StoreError> {
    if !any_subscription(db)? {
        return Ok(0);
    }
    let ids = candidates(db, change)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let subscriptions = subscriptions::all(db)?;
    evaluate(db, &subscriptions, &ids, now_ms)
}

/// Re-evaluates the transfers already notified and not complete, for the wait reasons the
/// clock changes, and deletes delivered events past their retention. Returns how many events
/// were enqueued.
pub(crate) fn sweep(db: &mut dyn Exec, now_ms: u64) -> Result<u64, StoreError> {
    db.execute(
        "DELETE FROM webhook_outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1",
        &[now_ms.saturating_sub(DELIVERED_RETENTION_MS).into()],
    )?;
    let rows = db.query(
        "SELECT DISTINCT transfer_id FROM webhook_transfer_state
         WHERE stage NOT IN ('CompletedFast', 'CompletedSlow') LIMIT $1",
        &[Value::Int(MAX_CANDIDATES)],
    )?;
    let mut ids = BTreeSet::new();
    collect_ids(&rows, &mut ids);
    if ids.is_empty() {
        return Ok(0);
    }
    let subscriptions = subscriptions::all(db)?;
    evaluate(db, &subscriptions, &ids, now_ms)
}

/// Compares each transfer's status with what each matching subscription was last told, and
/// enqueues an event for each difference.
fn evaluate(
    db: &mut dyn Exec,
    subscriptions: &[SubscriptionWithSecret],
    ids: &BTreeSet<B256>,
    now_ms: u64,
) -> Result<u64, StoreError> {
    let mut enqueued = 0;
    for &id in ids {
        // A transfer a reorg deleted has nothing to show: its subscribers hear of it again
        // when it is indexed again.
        let Some(record) = queries::transfer(db, TransferKey::Id(id))? else {
            continue;
        };
        let row = &record.row;
        let routers = row
            .executed
            .as_ref()
            .map(|part| part.routers.as_slice())
            .unwrap_or_default();
        let sender = row.xcall.as_ref().map(|part| part.sender);
        let recipient = row.xcall.as_ref().map(|part| part.to);
        let matching: Vec<&SubscriptionWithSecret> = subscriptions
            .iter()
            .filter(|sub| {
                sub.subscription
                    .filter
                    .matches(id, sender, recipient, routers)
            })
            .collect();
        if matching.is_empty() {
            continue;
        }
        let view = TransferView::new(&record, now_ms / 1_000);
        let stage = view.stage.as_str();
        let reason = reason_name(&view);
        for subscription in matching {
            if enqueue_if_changed(db, subscription, &view, stage, reason.as_deref(), now_ms)? {
                enqueued += 1;
            }
        }
    }
    Ok(enqueued)
}

/// Enqueues one event for `subscription` if the transfer's stage or reason differs from what
/// it was last told; records the new state. Whether an event was enqueued.
fn enqueue_if_changed(
    db: &mut dyn Exec,
    subscription: &SubscriptionWithSecret,
    view: &TransferView,
    stage: &str,
    reason: Option<&str>,
    now_ms: u64,
) -> Result<bool, StoreError> {
    let sub_id = subscription.subscription.id.as_str();
    let transfer_id = hex(view.transfer_id);
    let known = db.query(
        "SELECT stage, reason, events FROM webhook_transfer_state
         WHERE subscription_id = $1 AND transfer_id = $2",
        &[sub_id.into(), transfer_id.as_str().into()],
    )?;
    let previous = known.first().map(|values| {
        (
            values
                .first()
                .and_then(Value::text)
                .unwrap_or_default()
                .to_owned(),
            values.get(1).and_then(Value::text).map(str::to_owned),
            values.get(2).and_then(Value::int).unwrap_or(0),
        )
    });
    let mut changed = Vec::new();
    match &previous {
        Some((old_stage, old_reason, _)) => {
            if old_stage != stage {
                changed.push("stage");
            }
            if old_reason.as_deref() != reason {
                changed.push("waiting");
            }
        }
        None => {
            changed.push("stage");
            if reason.is_some() {
                changed.push("waiting");
            }
        }
    }
    if changed.is_empty() {
        return Ok(false);
    }
    let sequence = previous.as_ref().map_or(0, |(_, _, events)| *events) + 1;
    let sequence = u64::try_from(sequence).unwrap_or(1);
    // Unique per subscription and event, and stable across retries: the idempotency key.
    let event_id = format!("{sub_id}:{transfer_id}:{sequence}");
    let body = EventBody {
        event_id: &event_id,
        kind: "transfer.updated",
        subscription_id: sub_id,
        sequence,
        created_at: now_ms,
        changed,
        previous: previous.as_ref().map(|(stage, reason, _)| Previous {
            stage,
            waiting: reason.as_deref(),
        }),
        transfer: view,
    };
    let body = serde_json::to_string(&body)
        .map_err(|err| StoreError::Corrupt(format!("webhook body: {err}")))?;
    let state = [
        sub_id.into(),
        transfer_id.as_str().into(),
        stage.into(),
        reason.into(),
        sequence.into(),
    ];
    if previous.is_some() {
        db.execute(
            "UPDATE webhook_transfer_state SET stage = $3, reason = $4, events = $5
             WHERE subscription_id = $1 AND transfer_id = $2",
            &state,
        )?;
    } else {
        db.execute(
            "INSERT INTO webhook_transfer_state (subscription_id, transfer_id, stage, reason,
                events)
             VALUES ($1, $2, $3, $4, $5)",
            &state,
        )?;
    }
    db.execute(
        "INSERT INTO webhook_outbox (subscription_id, transfer_id, event_id, body, created_at,
            attempts, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, 0, $5)",
        &[
            sub_id.into(),
            transfer_id.as_str().into(),
            event_id.as_str().into(),
            body.into(),
            now_ms.into(),
        ],
    )?;
    Ok(true)
}

/// An event due for delivery, with where to send it and how to sign it.
#[derive(Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The outbox row.
    pub id: u64,
    /// The event's id: the idempotency key.
    pub event_id: String,
    /// The subscription.
    pub subscription_id: String,
    /// The transfer.
    pub transfer_id: String,
    /// The JSON body.
    pub body: String,
    /// The attempts made so far.
    pub attempts: u64,
    /// Where to POST.
    pub url: String,
    /// The subscription's secret.
    pub secret: String,
}

impl std::fmt::Debug for Delivery {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("id", &self.id)
            .field("event_id", &self.event_id)
            .field("url", &self.url)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Up to `limit` events due at `now_ms`, oldest first: each the oldest undelivered event of
/// its `(subscription, transfer)` pair, so a transfer's later event waits for its earlier one.
pub(crate) fn due(db: &mut dyn Exec, now_ms: u64, limit: u64) -> Result<Vec<Delivery>, StoreError> {
    let rows = db.query(
        "SELECT o.id, o.event_id, o.subscription_id, o.transfer_id, o.body, o.attempts, s.url,
            s.secret
         FROM webhook_outbox o JOIN webhook_subscriptions s ON s.id = o.subscription_id
         WHERE o.delivered_at IS NULL AND o.next_attempt_at <= $1
            AND NOT EXISTS (SELECT 1 FROM webhook_outbox p
                WHERE p.subscription_id = o.subscription_id AND p.transfer_id = o.transfer_id
                    AND p.delivered_at IS NULL AND p.id < o.id)
         ORDER BY o.id LIMIT $2",
        &[now_ms.into(), limit.into()],
    )?;
    rows.iter()
        .map(|values| {
            let text = |index: usize| {
                values
                    .get(index)
                    .and_then(Value::text)
                    .map(str::to_owned)
                    .ok_or_else(|| StoreError::Corrupt("webhook outbox row".to_owned()))
            };
            let int = |index: usize| {
                values
                    .get(index)
                    .and_then(Value::int)
                    .and_then(|value| u64::try_from(value).ok())
                    .ok_or_else(|| StoreError::Corrupt("webhook outbox row".to_owned()))
            };
            Ok(Delivery {
                id: int(0)?,
                event_id: text(1)?,
                subscription_id: text(2)?,
                transfer_id: text(3)?,
                body: text(4)?,
                attempts: int(5)?,
                url: text(6)?,
                secret: text(7)?,
            })
        })
        .collect()
}

/// Records a delivery that the receiver accepted.
pub(crate) fn delivered(db: &mut dyn Exec, id: u64, now_ms: u64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE webhook_outbox SET delivered_at = $2, attempts = attempts + 1, last_error = NULL
         WHERE id = $1",
        &[id.into(), now_ms.into()],
    )?;
    Ok(())
}

/// Records a failed attempt and when to try again.
pub(crate) fn failed(
    db: &mut dyn Exec,
    id: u64,
    next_attempt_ms: u64,
    error: &str,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(500).collect();
    db.execute(
        "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $2,
            last_error = $3
         WHERE id = $1",
        &[id.into(), next_attempt_ms.into(), error.into()],
    )?;
    Ok(())
}

/// One event in a subscription's outbox, for inspection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// The event's id.
    pub event_id: String,
    /// The transfer.
    pub transfer_id: String,
    /// The JSON body.
    pub body: String,
    /// Attempts made.
    pub attempts: u64,
    /// When it was delivered (unix milliseconds), if it was.
    pub delivered_at: Option<u64>,
    /// The last failure, if the last attempt failed.
    pub last_error: Option<String>,
}

/// A subscription's events, oldest first.
pub(crate) fn entries(
    db: &mut dyn Exec,
    subscription_id: &str,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let rows = db.query(
        "SELECT event_id, transfer_id, body, attempts, delivered_at, last_error
         FROM webhook_outbox WHERE subscription_id = $1 ORDER BY id",
        &[subscription_id.into()],
    )?;
    Ok(rows
        .iter()
        .map(|values| {
            let text = |index: usize| values.get(index).and_then(Value::text).map(str::to_owned);
            let int = |index: usize| {
                values
                    .get(index)
                    .and_then(Value::int)
                    .and_then(|value| u64::try_from(value).ok())
            };
            OutboxEntry {
                event_id: text(0).unwrap_or_default(),
                transfer_id: text(1).unwrap_or_default(),
                body: text(2).unwrap_or_default(),
                attempts: int(3).unwrap_or_default(),
                delivered_at: int(4),
                last_error: text(5),
            }
        })
        .collect())
}
