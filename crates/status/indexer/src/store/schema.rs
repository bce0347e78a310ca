//! The tables, written once for both backends: [`v1!`] expands with each one's integer and
//! row-number types (SQLite's `INTEGER` is 64-bit; PostgreSQL's is 32-bit, so `BIGINT` there).
//!
//! Every row written from a log carries the log's `domain` and `block`, so a deep reorg undoes
//! what the re-delivered blocks wrote with one `DELETE ... WHERE domain = ? AND block >= ?` per
//! table ([`FORGET`]). `transfers` is the exception: one row per transfer, assembled from
//! three domains' events (`xcall_*` from the origin, `executed_*` and `reconciled_*` from the
//! destination), whose parts are cleared instead. Its `stage` and `path` are generated columns,
//! so they can never disagree with the parts.
//!
//! Hashes and addresses are lower-case `0x` hex text, amounts decimal text: one spelling in
//! both backends and in every query.

/// The first schema, for a backend's integer type and its auto-numbered key.
macro_rules! v1 {
    ($int:literal, $seq:literal) => {
        concat!(
            "CREATE TABLE transfers (
                seq ",
            $seq,
            ",
                transfer_id TEXT NOT NULL UNIQUE,
                origin ",
            $int,
            ",
                destination ",
            $int,
            ",
                xcall_block ",
            $int,
            ",
                xcall_log_index ",
            $int,
            ",
                xcall_tx TEXT,
                xcall_time ",
            $int,
            ",
                nonce TEXT,
                origin_sender TEXT,
                recipient TEXT,
                delegate TEXT,
                receive_local ",
            $int,
            ",
                slippage TEXT,
                call_data TEXT,
                bridged_amount TEXT,
                normalized_in TEXT,
                canonical_domain ",
            $int,
            ",
                canonical_id TEXT,
                asset TEXT,
                amount TEXT,
                origin_local TEXT,
                message_hash TEXT,
                executed_block ",
            $int,
            ",
                executed_log_index ",
            $int,
            ",
                executed_tx TEXT,
                executed_time ",
            $int,
            ",
                executed_to TEXT,
                executed_local TEXT,
                executed_amount TEXT,
                executed_routers TEXT,
                executed_router_count ",
            $int,
            ",
                executed_caller TEXT,
                reconciled_block ",
            $int,
            ",
                reconciled_log_index ",
            $int,
            ",
                reconciled_tx TEXT,
                reconciled_time ",
            $int,
            ",
                reconciled_local TEXT,
                reconciled_amount TEXT,
                reconciled_routers TEXT,
                reconciled_router_count ",
            $int,
            ",
                reconciled_caller TEXT,
                stage TEXT GENERATED ALWAYS AS (CASE
                    WHEN executed_block IS NOT NULL AND reconciled_block IS NOT NULL THEN
                        CASE WHEN executed_router_count > 0 THEN 'CompletedFast'
                             ELSE 'CompletedSlow' END
                    WHEN reconciled_block IS NOT NULL THEN 'Reconciled'
                    WHEN executed_block IS NOT NULL THEN 'Executed'
                    ELSE 'XCalled' END) STORED,
                path TEXT GENERATED ALWAYS AS (CASE
                    WHEN executed_router_count > 0 OR reconciled_router_count > 0 THEN 'fast'
                    WHEN executed_block IS NOT NULL OR reconciled_block IS NOT NULL THEN 'slow'
                    ELSE NULL END) STORED
            );
            CREATE INDEX transfers_xcall_tx ON transfers (xcall_tx);
            CREATE INDEX transfers_sender ON transfers (origin_sender, seq);
            CREATE INDEX transfers_recipient ON transfers (recipient, seq);
            CREATE INDEX transfers_stage ON transfers (stage, seq);
            CREATE INDEX transfers_origin ON transfers (origin, seq);
            CREATE INDEX transfers_destination ON transfers (destination, seq);
            CREATE INDEX transfers_message ON transfers (message_hash);
            CREATE TABLE transfer_routers (
                domain ",
            $int,
            " NOT NULL,
                block ",
            $int,
            " NOT NULL,
                log_index ",
            $int,
            " NOT NULL,
                position ",
            $int,
            " NOT NULL,
                transfer_id TEXT NOT NULL,
                router TEXT NOT NULL,
                PRIMARY KEY (domain, block, log_index, position)
            );
            CREATE INDEX transfer_routers_router ON transfer_routers (router, transfer_id);
            CREATE INDEX transfer_routers_transfer ON transfer_routers (transfer_id);
            CREATE TABLE events (
                domain ",
            $int,
            " NOT NULL,
                block ",
            $int,
            " NOT NULL,
                log_index ",
            $int,
            " NOT NULL,
                tx_hash TEXT NOT NULL,
                time ",
            $int,
            " NOT NULL,
                kind TEXT NOT NULL,
                transfer_id TEXT,
                data TEXT NOT NULL,
                PRIMARY KEY (domain, block, log_index)
            );
            CREATE INDEX events_transfer ON events (transfer_id);
            CREATE INDEX events_kind ON events (kind, domain);
            CREATE TABLE messages (
                domain ",
            $int,
            " NOT NULL,
                block ",
            $int,
            " NOT NULL,
                log_index ",
            $int,
            " NOT NULL,
                tx_hash TEXT NOT NULL,
                time ",
            $int,
            " NOT NULL,
                leaf TEXT NOT NULL,
                leaf_index ",
            $int,
            " NOT NULL,
                destination ",
            $int,
            " NOT NULL,
                nonce ",
            $int,
            " NOT NULL,
                PRIMARY KEY (domain, block, log_index)
            );
            CREATE INDEX messages_leaf ON messages (leaf);
            CREATE TABLE checkpoints (
                domain ",
            $int,
            " NOT NULL,
                block ",
            $int,
            " NOT NULL,
                log_index ",
            $int,
            " NOT NULL,
                tx_hash TEXT NOT NULL,
                time ",
            $int,
            " NOT NULL,
                root TEXT NOT NULL,
                leaf_count ",
            $int,
            " NOT NULL,
                PRIMARY KEY (domain, block, log_index)
            );
            CREATE INDEX checkpoints_count ON checkpoints (domain, leaf_count);
            CREATE INDEX checkpoints_root ON checkpoints (domain, root);
            CREATE TABLE root_updates (
                domain ",
            $int,
            " NOT NULL,
                block ",
            $int,
            " NOT NULL,
                log_index ",
            $int,
            " NOT NULL,
                tx_hash TEXT NOT NULL,
                time ",
            $int,
            " NOT NULL,
                contract TEXT NOT NULL,
                origin ",
            $int,
            " NOT NULL,
                old_root TEXT NOT NULL,
                new_root TEXT NOT NULL,
                confirm_at ",
            $int,
            ",
                PRIMARY KEY (domain, block, log_index)
            );
            CREATE INDEX root_updates_root ON root_updates (new_root, domain);
            CREATE TABLE processed (
                domain ",
            $int,
            " NOT NULL,
                block ",
            $int,
            " NOT NULL,
                log_index ",
            $int,
            " NOT NULL,
                tx_hash TEXT NOT NULL,
                time ",
            $int,
            " NOT NULL,
                origin ",
            $int,
            " NOT NULL,
                leaf TEXT NOT NULL,
                leaf_index ",
            $int,
            " NOT NULL,
                outcome TEXT NOT NULL,
                reason TEXT,
                PRIMARY KEY (domain, block, log_index)
            );
            CREATE INDEX processed_leaf ON processed (leaf, domain);"
        )
    };
}

/// The webhooks' tables (`crate::webhooks`): subscriptions, the outbox of events to deliver
/// (numbered in the order they were enqueued), and what each subscription was last told about
/// each transfer. Times are unix milliseconds.
macro_rules! webhooks {
    ($int:literal, $seq:literal) => {
        concat!(
            "CREATE TABLE webhook_subscriptions (
                id TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                secret TEXT NOT NULL,
                sender TEXT,
                recipient TEXT,
                router TEXT,
                transfer_id TEXT,
                created_at ",
            $int,
            " NOT NULL
            );
            CREATE TABLE webhook_outbox (
                id ",
            $seq,
            ",
                subscription_id TEXT NOT NULL,
                transfer_id TEXT NOT NULL,
                event_id TEXT NOT NULL UNIQUE,
                body TEXT NOT NULL,
                created_at ",
            $int,
            " NOT NULL,
                attempts ",
            $int,
            " NOT NULL,
                next_attempt_at ",
            $int,
            " NOT NULL,
                delivered_at ",
            $int,
            ",
                last_error TEXT
            );
            CREATE INDEX webhook_outbox_due ON webhook_outbox (delivered_at, next_attempt_at);
            CREATE INDEX webhook_outbox_chain
                ON webhook_outbox (subscription_id, transfer_id, id);
            CREATE TABLE webhook_transfer_state (
                subscription_id TEXT NOT NULL,
                transfer_id TEXT NOT NULL,
                stage TEXT NOT NULL,
                reason TEXT,
                events ",
            $int,
            " NOT NULL,
                PRIMARY KEY (subscription_id, transfer_id)
            );
            CREATE INDEX webhook_transfer_state_stage ON webhook_transfer_state (stage);"
        )
    };
}

/// The list filtered by stage and origin (or destination), newest first: without these, SQLite
/// walks `transfers_origin` (every transfer of a busy origin) to find the few of a rare stage,
/// over a second per page with 1,000,000 transfers stored (`make bench-indexer`).
const STAGE_INDEXES: &str = "CREATE INDEX transfers_stage_origin ON transfers (stage, origin, seq);
    CREATE INDEX transfers_stage_destination ON transfers (stage, destination, seq);";

/// A message found by its leaf on its origin, the earliest first: with only `messages_leaf`,
/// SQLite answers the `ORDER BY block, log_index` by walking the primary key, every message of
/// the origin, to find one leaf (over 70 ms a transfer lookup with 1,000,000 stored,
/// `make bench-indexer`).
const MESSAGE_LEAF_INDEX: &str =
    "CREATE INDEX messages_leaf_order ON messages (leaf, domain, block, log_index);";

/// The SQLite migrations, oldest first (never edited once released, only followed).
pub const SQLITE_MIGRATIONS: &[&str] = &[
    v1!("INTEGER", "INTEGER PRIMARY KEY AUTOINCREMENT"),
    webhooks!("INTEGER", "INTEGER PRIMARY KEY AUTOINCREMENT"),
    STAGE_INDEXES,
    MESSAGE_LEAF_INDEX,
];

/// The PostgreSQL migrations, oldest first, in step with [`SQLITE_MIGRATIONS`].
pub const POSTGRES_MIGRATIONS: &[&str] = &[
    v1!("BIGINT", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
    webhooks!("BIGINT", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
    STAGE_INDEXES,
    MESSAGE_LEAF_INDEX,
];

/// The tables whose rows are all a log's, undone by a reorg with one delete each.
pub const FORGET: [&str; 6] = [
    "DELETE FROM transfer_routers WHERE domain = $1 AND block >= $2",
    "DELETE FROM events WHERE domain = $1 AND block >= $2",
    "DELETE FROM messages WHERE domain = $1 AND block >= $2",
    "DELETE FROM checkpoints WHERE domain = $1 AND block >= $2",
    "DELETE FROM root_updates WHERE domain = $1 AND block >= $2",
    "DELETE FROM processed WHERE domain = $1 AND block >= $2",
];

/// The parts of `transfers` a reorg of a domain undoes (the origin's `xcall_*`, the
/// destination's `executed_*` and `reconciled_*`); then [`DROP_EMPTY_TRANSFERS`].
pub const FORGET_TRANSFERS: [&str; 3] = [
    "UPDATE transfers SET xcall_block = NULL, xcall_log_index = NULL, xcall_tx = NULL,
        xcall_time = NULL, nonce = NULL, origin_sender = NULL, recipient = NULL, delegate = NULL,
        receive_local = NULL, slippage = NULL, call_data = NULL, bridged_amount = NULL,
        normalized_in = NULL, canonical_domain = NULL, canonical_id = NULL, asset = NULL,
        amount = NULL, origin_local = NULL, message_hash = NULL
     WHERE origin = $1 AND xcall_block >= $2",
    "UPDATE transfers SET executed_block = NULL, executed_log_index = NULL, executed_tx = NULL,
        executed_time = NULL, executed_to = NULL, executed_local = NULL, executed_amount = NULL,
        executed_routers = NULL, executed_router_count = NULL, executed_caller = NULL
     WHERE destination = $1 AND executed_block >= $2",
    "UPDATE transfers SET reconciled_block = NULL, reconciled_log_index = NULL,
        reconciled_tx = NULL, reconciled_time = NULL, reconciled_local = NULL,
        reconciled_amount = NULL, reconciled_routers = NULL, reconciled_router_count = NULL,
        reconciled_caller = NULL
     WHERE destination = $1 AND reconciled_block >= $2",
];

/// Drops the transfers of domain `$1` left with no part by a reorg.
pub const DROP_EMPTY_TRANSFERS: &str = "DELETE FROM transfers
    WHERE (origin = $1 OR destination = $1) AND xcall_block IS NULL AND executed_block IS NULL
        AND reconciled_block IS NULL";
