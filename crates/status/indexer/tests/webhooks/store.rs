//! The webhooks' store over a backend: subscriptions, the outbox filled by ingest, ordering
//! per transfer, retries. Each function takes a fresh, empty store; `webhook_store_tests!`
//! instantiates them over a backend.

#![allow(dead_code, clippy::unwrap_used)]

use crate::suite::{self, apply, at, params, xcalled, DESTINATION, ORIGIN};
use alloy::primitives::{Address, B256, U256};
use nxtp_indexer::{
    ingest::Event,
    store::{Change, StatusStore},
    webhooks::{subscriptions::SubscriptionRequest, SubscriptionFilter, SubscriptionWithSecret},
};
use nxtp_primitives::transfer_id;
use serde_json::Value;

/// Instantiates the webhook store tests over a backend.
#[macro_export]
macro_rules! webhook_store_tests {
    ($open:expr) => {
        $crate::webhook_store_tests!(@each $open;
            subscriptions_are_created_listed_and_deleted,
            ingest_enqueues_an_event_per_matching_subscription_once,
            messaging_events_move_waiting_transfers,
            a_transfers_later_event_waits_for_its_earlier_one,
        );
    };
    (@each $open:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                let (store, _guard) = $open;
                $crate::store::$name(store.as_ref());
            }
        )+
    };
}

pub const SENDER: Address = Address::repeat_byte(0x5e);
pub const ROUTER: Address = Address::repeat_byte(0x11);

/// Stores a subscription to `url` with `filter`.
pub fn subscribe(
    store: &dyn StatusStore,
    url: &str,
    filter: SubscriptionFilter,
) -> SubscriptionWithSecret {
    let request = SubscriptionRequest {
        url: url.to_owned(),
        filter,
        secret: None,
    };
    let new = request.into_subscription(1);
    store.webhooks().create_subscription(&new).unwrap();
    new
}

/// The bodies of a subscription's events, oldest first.
pub fn bodies(store: &dyn StatusStore, subscription: &str) -> Vec<Value> {
    store
        .webhooks()
        .outbox(subscription)
        .unwrap()
        .iter()
        .map(|entry| serde_json::from_str(&entry.body).unwrap())
        .collect()
}

/// `(stage, waiting reason)` of each event's transfer.
pub fn states(bodies: &[Value]) -> Vec<(String, Option<String>)> {
    bodies
        .iter()
        .map(|body| {
            (
                body["transfer"]["stage"].as_str().unwrap().to_owned(),
                body["transfer"]["waiting"]["reason"]
                    .as_str()
                    .map(str::to_owned),
            )
        })
        .collect()
}

/// An `Executed` of `id` fronted by `routers` at `(DESTINATION, block)`.
pub fn executed(
    id: B256,
    to: Address,
    routers: Vec<Address>,
    block: u64,
) -> nxtp_indexer::store::Recorded {
    at(
        DESTINATION,
        block,
        0,
        Event::Executed {
            transfer_id: id,
            to,
            local: Address::repeat_byte(0xbb),
            routers,
            amount: U256::from(999),
            caller: Address::repeat_byte(0xee),
        },
    )
}

/// A `Reconciled` of `id` crediting `routers` at `(DESTINATION, block)`.
pub fn reconciled(id: B256, routers: Vec<Address>, block: u64) -> nxtp_indexer::store::Recorded {
    at(
        DESTINATION,
        block,
        1,
        Event::Reconciled {
            transfer_id: id,
            origin: ORIGIN.get(),
            local: Address::repeat_byte(0xbb),
            routers,
            amount: U256::from(1_000),
            caller: Address::repeat_byte(0xef),
        },
    )
}

pub fn subscriptions_are_created_listed_and_deleted(store: &dyn StatusStore) {
    let hooks = store.webhooks();
    assert!(hooks.subscriptions().unwrap().is_empty());
    let by_sender = subscribe(
        store,
        "http://127.0.0.1:1/a",
        SubscriptionFilter {
            sender: Some(SENDER),
            ..SubscriptionFilter::default()
        },
    );
    let by_transfer = subscribe(
        store,
        "http://127.0.0.1:1/b",
        SubscriptionFilter {
            transfer_id: Some(B256::repeat_byte(7)),
            router: Some(ROUTER),
            ..SubscriptionFilter::default()
        },
    );
    assert!(by_sender.secret.starts_with("whsec_"));
    assert_ne!(by_sender.secret, by_transfer.secret);
    assert_ne!(by_sender.subscription.id, by_transfer.subscription.id);
    let mut listed = hooks.subscriptions().unwrap();
    listed.sort_by(|a, b| a.subscription.id.cmp(&b.subscription.id));
    let mut expected = vec![by_sender.clone(), by_transfer.clone()];
    expected.sort_by(|a, b| a.subscription.id.cmp(&b.subscription.id));
    assert_eq!(listed, expected);
    assert_eq!(
        hooks.subscription(&by_transfer.subscription.id).unwrap(),
        Some(by_transfer.clone())
    );
    assert!(hooks
        .delete_subscription(&by_sender.subscription.id)
        .unwrap());
    assert!(!hooks
        .delete_subscription(&by_sender.subscription.id)
        .unwrap());
    assert_eq!(
        hooks.subscription(&by_sender.subscription.id).unwrap(),
        None
    );
    assert_eq!(hooks.subscriptions().unwrap(), vec![by_transfer]);
}

pub fn ingest_enqueues_an_event_per_matching_subscription_once(store: &dyn StatusStore) {
    let everything = subscribe(
        store,
        "http://127.0.0.1:1/all",
        SubscriptionFilter::default(),
    );
    let by_sender = subscribe(
        store,
        "http://127.0.0.1:1/sender",
        SubscriptionFilter {
            sender: Some(SENDER),
            ..SubscriptionFilter::default()
        },
    );
    let by_router = subscribe(
        store,
        "http://127.0.0.1:1/router",
        SubscriptionFilter {
            router: Some(ROUTER),
            ..SubscriptionFilter::default()
        },
    );
    let ours = params(1, SENDER, Address::repeat_byte(2));
    let theirs = params(2, Address::repeat_byte(3), Address::repeat_byte(2));
    let id = transfer_id(&ours);
    let xcalls = Change {
        domain: ORIGIN,
        forget_from: None,
        records: vec![
            at(ORIGIN, 5, 0, xcalled(&ours)),
            at(ORIGIN, 5, 1, xcalled(&theirs)),
        ],
    };
    store.apply(&xcalls, None).unwrap();
    // Written twice (a re-delivered batch): nothing new.
    store.apply(&xcalls, None).unwrap();
    assert_eq!(bodies(store, &everything.subscription.id).len(), 2);
    let first = bodies(store, &by_sender.subscription.id);
    assert_eq!(
        states(&first),
        // The xcall's block time is long past: the routers' minute is over.
        vec![("XCalled".to_owned(), Some("AwaitingCheckpoint".to_owned()))]
    );
    assert_eq!(first[0]["transfer"]["transfer_id"], id.to_string());
    assert_eq!(first[0]["sequence"], 1);
    assert_eq!(first[0]["previous"], Value::Null);
    assert_eq!(first[0]["type"], "transfer.updated");
    assert_eq!(
        first[0]["subscription_id"],
        by_sender.subscription.id.as_str()
    );
    assert!(bodies(store, &by_router.subscription.id).is_empty());

    apply(
        store,
        DESTINATION,
        vec![executed(id, ours.to, vec![ROUTER], 7)],
    );
    apply(
        store,
        DESTINATION,
        vec![executed(id, ours.to, vec![ROUTER], 7)],
    );
    apply(store, DESTINATION, vec![reconciled(id, vec![ROUTER], 9)]);
    let sender_events = bodies(store, &by_sender.subscription.id);
    assert_eq!(
        states(&sender_events),
        vec![
            ("XCalled".to_owned(), Some("AwaitingCheckpoint".to_owned())),
            ("Executed".to_owned(), None),
            ("CompletedFast".to_owned(), None),
        ]
    );
    assert_eq!(
        sender_events[1]["changed"],
        serde_json::json!(["stage", "waiting"])
    );
    assert_eq!(sender_events[1]["previous"]["stage"], "XCalled");
    assert_eq!(sender_events[2]["sequence"], 3);
    // The router's subscription hears of the transfer once the router fronted it.
    assert_eq!(
        states(&bodies(store, &by_router.subscription.id)),
        vec![
            ("Executed".to_owned(), None),
            ("CompletedFast".to_owned(), None),
        ]
    );
    let keys: std::collections::BTreeSet<String> = store
        .webhooks()
        .outbox(&everything.subscription.id)
        .unwrap()
        .into_iter()
        .chain(store.webhooks().outbox(&by_sender.subscription.id).unwrap())
        .map(|entry| entry.event_id)
        .collect();
    assert_eq!(keys.len(), 4 + 3, "every event has its own key");

    // Deleting a subscription drops its events.
    store
        .webhooks()
        .delete_subscription(&by_router.subscription.id)
        .unwrap();
    assert!(store
        .webhooks()
        .outbox(&by_router.subscription.id)
        .unwrap()
        .is_empty());
}

pub fn messaging_events_move_waiting_transfers(store: &dyn StatusStore) {
    let sub = subscribe(
        store,
        "http://127.0.0.1:1/all",
        SubscriptionFilter::default(),
    );
    let transfer = params(3, SENDER, Address::repeat_byte(2));
    suite::slow_path(store, &transfer, 4);
    let seen = states(&bodies(store, &sub.subscription.id));
    // The origin's batch ends with a signed root (waiting for its relay); the destination's
    // relays it and reconciles it in one batch.
    assert_eq!(
        seen,
        vec![
            ("XCalled".to_owned(), Some("AwaitingRootRelay".to_owned())),
            (
                "Reconciled".to_owned(),
                Some("AwaitingSlowExecute".to_owned())
            ),
        ]
    );
    // A transfer still waiting hears of a root relayed to its destination, with no event
    // naming it.
    let waiting = params(4, SENDER, Address::repeat_byte(2));
    let nonce = 4u64;
    let root = B256::repeat_byte(0x78);
    apply(
        store,
        ORIGIN,
        vec![
            at(
                ORIGIN,
                50,
                0,
                Event::Dispatch {
                    leaf: suite::leaf(nonce),
                    leaf_index: 9,
                    destination: DESTINATION.get(),
                    nonce: 1,
                },
            ),
            at(ORIGIN, 50, 1, xcalled(&waiting)),
        ],
    );
    apply(
        store,
        ORIGIN,
        vec![at(ORIGIN, 51, 0, Event::Checkpointed { root, count: 10 })],
    );
    apply(
        store,
        DESTINATION,
        vec![at(
            DESTINATION,
            60,
            0,
            Event::Update {
                origin: ORIGIN.get(),
                old_root: B256::repeat_byte(0x77),
                new_root: root,
                confirm_at: Some(u64::MAX / 2),
            },
        )],
    );
    let id = transfer_id(&waiting);
    let reasons: Vec<Option<String>> = bodies(store, &sub.subscription.id)
        .iter()
        .filter(|body| body["transfer"]["transfer_id"] == id.to_string())
        .map(|body| {
            body["transfer"]["waiting"]["reason"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            Some("AwaitingCheckpoint".to_owned()),
            Some("AwaitingRootRelay".to_owned()),
            Some("InFraudWindow".to_owned()),
        ]
    );
}

pub fn a_transfers_later_event_waits_for_its_earlier_one(store: &dyn StatusStore) {
    let sub = subscribe(
        store,
        "http://127.0.0.1:1/all",
        SubscriptionFilter::default(),
    );
    let one = params(5, SENDER, Address::repeat_byte(2));
    let two = params(6, SENDER, Address::repeat_byte(2));
    let (first, second) = (transfer_id(&one), transfer_id(&two));
    apply(
        store,
        ORIGIN,
        vec![
            at(ORIGIN, 5, 0, xcalled(&one)),
            at(ORIGIN, 5, 1, xcalled(&two)),
        ],
    );
    apply(
        store,
        DESTINATION,
        vec![executed(first, one.to, vec![ROUTER], 7)],
    );
    let hooks = store.webhooks();
    let now = u64::MAX / 4;
    // Both transfers' first events are due; the first transfer's second one is not.
    let due = hooks.due(now, 10).unwrap();
    let heads: Vec<(String, String)> = due
        .iter()
        .map(|d| (d.transfer_id.clone(), d.event_id.clone()))
        .collect();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(due.iter().all(|d| d.event_id.ends_with(":1")));
    assert!(due
        .iter()
        .all(|d| d.url == "http://127.0.0.1:1/all" && d.secret == sub.secret));
    let head_of_first = due
        .iter()
        .find(|d| d.transfer_id == first.to_string())
        .unwrap()
        .clone();
    // A failed attempt is not due before its retry time, and holds back what follows it.
    hooks
        .failed(head_of_first.id, now + 1_000, "HTTP 503")
        .unwrap();
    let due = hooks.due(now, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].transfer_id, second.to_string());
    let retried = hooks.due(now + 1_000, 10).unwrap();
    let again = retried
        .iter()
        .find(|d| d.transfer_id == first.to_string())
        .unwrap();
    assert_eq!((again.id, again.attempts), (head_of_first.id, 1));
    hooks.delivered(head_of_first.id, now).unwrap();
    let next = hooks.due(now, 10).unwrap();
    let follows = next
        .iter()
        .find(|d| d.transfer_id == first.to_string())
        .unwrap();
    assert!(follows.event_id.ends_with(":2"), "{follows:?}");
    let entries = hooks.outbox(&sub.subscription.id).unwrap();
    let delivered = entries
        .iter()
        .find(|entry| entry.event_id == head_of_first.event_id)
        .unwrap();
    assert_eq!(delivered.attempts, 2);
    assert_eq!(delivered.delivered_at, Some(now));
    assert_eq!(delivered.last_error, None);
    assert_eq!(second, transfer_id(&two));
}
