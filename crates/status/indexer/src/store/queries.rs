//! Every write and read the indexer makes, written once over [`Exec`] for both backends.

use super::{
    schema, Exec, ExecutedPart, MessagingRecord, Page, ReconciledPart, RootStep, Stamp, StoreError,
    TransferEvent, TransferFilter, TransferKey, TransferRecord, TransferRow, Value, XCallPart,
};
use crate::{
    ingest::{Event, LogMeta},
    status::{Path, Stage},
};
use alloy::{
    hex,
    primitives::{Address, Bytes, B256},
};
use nxtp_primitives::Domain;
use std::str::FromStr;

/// A decoded event with where it was emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// Where and when.
    pub meta: LogMeta,
    /// What.
    pub event: Event,
}

/// What one batch of one domain changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The domain.
    pub domain: Domain,
    /// After a deep reorg: the first re-delivered block, from which everything this domain
    /// wrote is forgotten before the batch is recorded.
    pub forget_from: Option<u64>,
    /// The batch's events, in chain order.
    pub records: Vec<Recorded>,
}

/// Lower-case `0x` hex, as stored.
pub(super) fn hex_of(bytes: impl AsRef<[u8]>) -> String {
    hex::encode_prefixed(bytes)
}

/// Routers as stored: lower-case hex joined by commas.
fn routers_text(routers: &[Address]) -> String {
    routers.iter().map(hex_of).collect::<Vec<_>>().join(",")
}

/// Applies `change`: forgets what a reorg replaced, then records each event.
pub(crate) fn apply(db: &mut dyn Exec, change: &Change) -> Result<(), StoreError> {
    let domain = Value::from(change.domain.get());
    if let Some(from) = change.forget_from {
        let from = Value::from(from);
        for sql in schema::FORGET.iter().chain(&schema::FORGET_TRANSFERS) {
            db.execute(sql, &[domain.clone(), from.clone()])?;
        }
        db.execute(schema::DROP_EMPTY_TRANSFERS, std::slice::from_ref(&domain))?;
    }
    for chunk in change.records.chunks(EVENTS_PER_INSERT) {
        record_events(db, chunk)?;
    }
    for record in &change.records {
        record_one(db, record)?;
    }
    Ok(())
}

/// How many rows of `events` one `INSERT` carries: one statement per row made PostgreSQL's
/// ingest a round trip per event (8 parameters a row; SQLite takes up to 32,766 parameters).
const EVENTS_PER_INSERT: usize = 64;

/// Stores `records` in `events`, the raw log of everything the indexer saw, in one statement.
fn record_events(db: &mut dyn Exec, records: &[Recorded]) -> Result<(), StoreError> {
    const COLUMNS: usize = 8;
    let rows = (0..records.len())
        .map(|row| {
            let first = row * COLUMNS + 1;
            let placeholders = (first..first + COLUMNS)
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({placeholders})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO events (domain, block, log_index, tx_hash, time, kind, transfer_id, data)
         VALUES {rows}
         ON CONFLICT (domain, block, log_index) DO NOTHING"
    );
    let mut params = Vec::with_capacity(records.len() * COLUMNS);
    for record in records {
        params.extend(position(&record.meta));
        params.push(record.event.kind().into());
        params.push(record.event.transfer_id().map(hex_of).into());
        params.push(record.event.data().into());
    }
    db.execute(&sql, &params)?;
    Ok(())
}

/// The columns every log-keyed row starts with.
fn position(meta: &LogMeta) -> [Value; 5] {
    [
        meta.domain.get().into(),
        meta.block.into(),
        meta.log_index.into(),
        hex_of(meta.tx_hash).into(),
        meta.timestamp.into(),
    ]
}

/// Records what `record` adds beyond its row of `events`.
fn record_one(db: &mut dyn Exec, record: &Recorded) -> Result<(), StoreError> {
    let meta = &record.meta;
    let [domain, block, log_index, tx, time] = position(meta);
    match &record.event {
        Event::XCalled { event, .. } => {
            let params = &event.params;
            db.execute(
                "INSERT INTO transfers (transfer_id, origin, destination, xcall_block,
                    xcall_log_index, xcall_tx, xcall_time, nonce, origin_sender, recipient,
                    delegate, receive_local, slippage, call_data, bridged_amount, normalized_in,
                    canonical_domain, canonical_id, asset, amount, origin_local, message_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                    $17, $18, $19, $20, $21, $22)
                 ON CONFLICT (transfer_id) DO UPDATE SET origin = excluded.origin,
                    destination = excluded.destination, xcall_block = excluded.xcall_block,
                    xcall_log_index = excluded.xcall_log_index, xcall_tx = excluded.xcall_tx,
                    xcall_time = excluded.xcall_time, nonce = excluded.nonce,
                    origin_sender = excluded.origin_sender, recipient = excluded.recipient,
                    delegate = excluded.delegate, receive_local = excluded.receive_local,
                    slippage = excluded.slippage, call_data = excluded.call_data,
                    bridged_amount = excluded.bridged_amount,
                    normalized_in = excluded.normalized_in,
                    canonical_domain = excluded.canonical_domain,
                    canonical_id = excluded.canonical_id, asset = excluded.asset,
                    amount = excluded.amount, origin_local = excluded.origin_local,
                    message_hash = excluded.message_hash",
                &[
                    hex_of(event.transfer_id).into(),
                    params.originDomain.into(),
                    params.destinationDomain.into(),
                    block,
                    log_index,
                    tx,
                    time,
                    params.nonce.to_string().into(),
                    hex_of(params.originSender).into(),
                    hex_of(params.to).into(),
                    hex_of(params.delegate).into(),
                    params.receiveLocal.into(),
                    params.slippage.to_string().into(),
                    hex_of(&params.callData).into(),
                    params.bridgedAmt.to_string().into(),
                    params.normalizedIn.to_string().into(),
                    params.canonicalDomain.into(),
                    hex_of(params.canonicalId).into(),
                    hex_of(event.asset).into(),
                    event.amount.to_string().into(),
                    hex_of(event.local).into(),
                    hex_of(event.message_hash).into(),
                ],
            )?;
        }
        Event::Executed {
            transfer_id,
            to,
            local,
            routers,
            amount,
            caller,
        } => {
            db.execute(
                "INSERT INTO transfers (transfer_id, destination, executed_block,
                    executed_log_index, executed_tx, executed_time, executed_to, executed_local,
                    executed_amount, executed_routers, executed_router_count, executed_caller)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (transfer_id) DO UPDATE SET destination = excluded.destination,
                    executed_block = excluded.executed_block,
                    executed_log_index = excluded.executed_log_index,
                    executed_tx = excluded.executed_tx, executed_time = excluded.executed_time,
                    executed_to = excluded.executed_to, executed_local = excluded.executed_local,
                    executed_amount = excluded.executed_amount,
                    executed_routers = excluded.executed_routers,
                    executed_router_count = excluded.executed_router_count,
                    executed_caller = excluded.executed_caller",
                &[
                    hex_of(transfer_id).into(),
                    domain.clone(),
                    block.clone(),
                    log_index.clone(),
                    tx,
                    time,
                    hex_of(to).into(),
                    hex_of(local).into(),
                    amount.to_string().into(),
                    routers_text(routers).into(),
                    (routers.len() as u64).into(),
                    hex_of(caller).into(),
                ],
            )?;
            for (index, router) in routers.iter().enumerate() {
                db.execute(
                    "INSERT INTO transfer_routers
                        (domain, block, log_index, position, transfer_id, router)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (domain, block, log_index, position) DO NOTHING",
                    &[
                        domain.clone(),
                        block.clone(),
                        log_index.clone(),
                        (index as u64).into(),
                        hex_of(transfer_id).into(),
                        hex_of(router).into(),
                    ],
                )?;
            }
        }
        Event::Reconciled {
            transfer_id,
            origin,
            local,
            routers,
            amount,
            caller,
        } => {
            db.execute(
                "INSERT INTO transfers (transfer_id, origin, destination, reconciled_block,
                    reconciled_log_index, reconciled_tx, reconciled_time, reconciled_local,
                    reconciled_amount, reconciled_routers, reconciled_router_count,
                    reconciled_caller)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (transfer_id) DO UPDATE SET origin = excluded.origin,
                    destination = excluded.destination,
                    reconciled_block = excluded.reconciled_block,
                    reconciled_log_index = excluded.reconciled_log_index,
                    reconciled_tx = excluded.reconciled_tx,
                    reconciled_time = excluded.reconciled_time,
                    reconciled_local = excluded.reconciled_local,
                    reconciled_amount = excluded.reconciled_amount,
                    reconciled_routers = excluded.reconciled_routers,
                    reconciled_router_count = excluded.reconciled_router_count,
                    reconciled_caller = excluded.reconciled_caller",
                &[
                    hex_of(transfer_id).into(),
                    (*origin).into(),
                    domain,
                    block,
                    log_index,
                    tx,
                    time,
                    hex_of(local).into(),
                    amount.to_string().into(),
                    routers_text(routers).into(),
                    (routers.len() as u64).into(),
                    hex_of(caller).into(),
                ],
            )?;
        }
        Event::Dispatch {
            leaf,
            leaf_index,
            destination,
            nonce,
        } => {
            db.execute(
                "INSERT INTO messages (domain, block, log_index, tx_hash, time, leaf, leaf_index,
                    destination, nonce)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (domain, block, log_index) DO NOTHING",
                &[
                    domain,
                    block,
                    log_index,
                    tx,
                    time,
                    hex_of(leaf).into(),
                    (*leaf_index).into(),
                    (*destination).into(),
                    (*nonce).into(),
                ],
            )?;
        }
        Event::Checkpointed { root, count } => {
            db.execute(
                "INSERT INTO checkpoints (domain, block, log_index, tx_hash, time, root,
                    leaf_count)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (domain, block, log_index) DO NOTHING",
                &[
                    domain,
                    block,
                    log_index,
                    tx,
                    time,
                    hex_of(root).into(),
                    (*count).into(),
                ],
            )?;
        }
        Event::Update {
            origin,
            old_root,
            new_root,
            confirm_at,
        } => {
            // The Home's updates are of its own domain's roots; a Replica's, of its origin's.
            let contract = if *origin == meta.domain.get() {
                "home"
            } else {
                "replica"
            };
            db.execute(
                "INSERT INTO root_updates (domain, block, log_index, tx_hash, time, contract,
                    origin, old_root, new_root, confirm_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (domain, block, log_index) DO NOTHING",
                &[
                    domain,
                    block,
                    log_index,
                    tx,
                    time,
                    contract.into(),
                    (*origin).into(),
                    hex_of(old_root).into(),
                    hex_of(new_root).into(),
                    (*confirm_at).into(),
                ],
            )?;
        }
        Event::Processed {
            origin,
            leaf,
            leaf_index,
        } => record_processed(db, meta, *origin, *leaf, *leaf_index, None)?,
        Event::ProcessFailed {
            origin,
            leaf,
            leaf_index,
            reason,
        } => record_processed(db, meta, *origin, *leaf, *leaf_index, Some(reason))?,
        // Kept in `events` only.
        Event::TransferRelayerFeesIncreased { .. }
        | Event::SlippageUpdated { .. }
        | Event::ForceReceiveLocal { .. }
        | Event::ExternalCalldataExecuted { .. }
        | Event::RouterLiquidityAdded { .. }
        | Event::RouterLiquidityRemoved { .. }
        | Event::ImproperUpdate { .. }
        | Event::DoubleUpdate { .. }
        | Event::HomeFailed { .. }
        | Event::UpdaterSlashed { .. }
        | Event::ReplicaFailed { .. }
        | Event::ReplicaHalted { .. }
        | Event::Paused { .. }
        | Event::Unpaused { .. } => {}
    }
    Ok(())
}

fn record_processed(
    db: &mut dyn Exec,
    meta: &LogMeta,
    origin: u32,
    leaf: B256,
    leaf_index: u64,
    failure: Option<&Bytes>,
) -> Result<(), StoreError> {
    let [domain, block, log_index, tx, time] = position(meta);
    db.execute(
        "INSERT INTO processed (domain, block, log_index, tx_hash, time, origin, leaf,
            leaf_index, outcome, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (domain, block, log_index) DO NOTHING",
        &[
            domain,
            block,
            log_index,
            tx,
            time,
            origin.into(),
            hex_of(leaf).into(),
            leaf_index.into(),
            if failure.is_some() {
                "failed"
            } else {
                "processed"
            }
            .into(),
            failure.map(hex_of).into(),
        ],
    )?;
    Ok(())
}

/// The columns of `transfers` that [`parse_row`] reads, in its order.
const TRANSFER_COLUMNS: &str = "seq, transfer_id, origin, destination, stage, path,
    xcall_block, xcall_tx, xcall_time, nonce, origin_sender, recipient, delegate, receive_local,
    slippage, call_data, bridged_amount, normalized_in, canonical_domain, canonical_id, asset,
    amount, origin_local, message_hash,
    executed_block, executed_tx, executed_time, executed_to, executed_local, executed_amount,
    executed_routers, executed_caller,
    reconciled_block, reconciled_tx, reconciled_time, reconciled_local, reconciled_amount,
    reconciled_routers, reconciled_caller";

/// Reads one row's columns by position, naming what does not parse.
pub(super) struct Columns<'a> {
    values: &'a [Value],
    next: usize,
}

impl<'a> Columns<'a> {
    pub(super) fn new(values: &'a [Value]) -> Self {
        Self { values, next: 0 }
    }

    fn take(&mut self) -> &'a Value {
        let value = self.values.get(self.next).unwrap_or(&Value::Null);
        self.next += 1;
        value
    }

    pub(super) fn opt_int(&mut self) -> Result<Option<u64>, StoreError> {
        match self.take() {
            Value::Null => Ok(None),
            Value::Int(value) => u64::try_from(*value)
                .map(Some)
                .map_err(|_| StoreError::Corrupt(format!("negative integer {value}"))),
            Value::Text(text) => Err(StoreError::Corrupt(format!("`{text}` is not a number"))),
        }
    }

    pub(super) fn int(&mut self) -> Result<u64, StoreError> {
        self.opt_int()?
            .ok_or_else(|| StoreError::Corrupt("missing integer".to_owned()))
    }

    pub(super) fn opt_text(&mut self) -> Option<&'a str> {
        self.take().text()
    }

    pub(super) fn text(&mut self) -> Result<&'a str, StoreError> {
        self.opt_text()
            .ok_or_else(|| StoreError::Corrupt("missing text".to_owned()))
    }

    pub(super) fn parsed<T: FromStr>(&mut self) -> Result<T, StoreError> {
        parse(self.text()?)
    }
}

pub(super) fn parse<T: FromStr>(text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("cannot read `{text}`")))
}

pub(super) fn parse_routers(text: &str) -> Result<Vec<Address>, StoreError> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(parse)
        .collect()
}

pub(super) fn domain_of(value: Option<u64>) -> Result<Option<Domain>, StoreError> {
    value
        .map(|id| {
            u32::try_from(id)
                .map(Domain)
                .map_err(|_| StoreError::Corrupt(format!("domain {id}")))
        })
        .transpose()
}

fn parse_row(values: &[Value]) -> Result<TransferRow, StoreError> {
    let mut c = Columns::new(values);
    let seq = c.int()?;
    let transfer_id: B256 = c.parsed()?;
    let origin = domain_of(c.opt_int()?)?;
    let destination = domain_of(c.opt_int()?)?;
    let stage: Stage = c.parsed()?;
    let path = c.opt_text().map(parse::<Path>).transpose()?;
    let stamp =
        |c: &mut Columns<'_>, domain: Option<Domain>| -> Result<Option<Stamp>, StoreError> {
            let block = c.opt_int()?;
            let tx = c.opt_text();
            let time = c.opt_int()?;
            match (block, tx, time, domain) {
                (Some(block), Some(tx), Some(timestamp), Some(domain)) => Ok(Some(Stamp {
                    domain,
                    block,
                    tx_hash: parse(tx)?,
                    timestamp,
                })),
                (None, _, _, _) => Ok(None),
                _ => Err(StoreError::Corrupt(format!(
                    "transfer {transfer_id}: a part without its block, time or domain"
                ))),
            }
        };
    let xcall_stamp = stamp(&mut c, origin)?;
    let xcall = match xcall_stamp {
        Some(stamp) => Some(XCallPart {
            stamp,
            nonce: c.parsed()?,
            sender: c.parsed()?,
            to: c.parsed()?,
            delegate: c.parsed()?,
            receive_local: c.int()? != 0,
            slippage: c.parsed()?,
            call_data: c.parsed()?,
            bridged_amount: c.parsed()?,
            normalized_in: c.parsed()?,
            canonical_domain: u32::try_from(c.int()?)
                .map_err(|_| StoreError::Corrupt("canonical domain".to_owned()))?,
            canonical_id: c.parsed()?,
            asset: c.parsed()?,
            amount: c.parsed()?,
            local: c.parsed()?,
            message_hash: c.parsed()?,
        }),
        None => {
            c.next += 15;
            None
        }
    };
    let executed = match stamp(&mut c, destination)? {
        Some(stamp) => Some(ExecutedPart {
            stamp,
            to: c.parsed()?,
            local: c.parsed()?,
            amount: c.parsed()?,
            routers: parse_routers(c.text()?)?,
            caller: c.parsed()?,
        }),
        None => {
            c.next += 5;
            None
        }
    };
    let reconciled = match stamp(&mut c, destination)? {
        Some(stamp) => Some(ReconciledPart {
            stamp,
            local: c.parsed()?,
            amount: c.parsed()?,
            routers: parse_routers(c.text()?)?,
            caller: c.parsed()?,
        }),
        None => None,
    };
    Ok(TransferRow {
        seq,
        transfer_id,
        origin,
        destination,
        stage,
        path,
        xcall,
        executed,
        reconciled,
    })
}

/// One transfer with its events and its message's progress.
pub(crate) fn transfer(
    db: &mut dyn Exec,
    key: TransferKey,
) -> Result<Option<TransferRecord>, StoreError> {
    let (column, hash) = match key {
        TransferKey::Id(id) => ("transfer_id", id),
        TransferKey::OriginTx(tx) => ("xcall_tx", tx),
    };
    let rows = db.query(
        &format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE {column} = $1 ORDER BY seq LIMIT 1"
        ),
        &[hex_of(hash).into()],
    )?;
    let Some(values) = rows.first() else {
        return Ok(None);
    };
    let row = parse_row(values)?;
    let events = transfer_events(db, row.transfer_id)?;
    let messaging = match (&row.xcall, row.destination) {
        (Some(xcall), Some(destination)) => {
            messaging(db, xcall.stamp.domain, destination, xcall.message_hash)?
        }
        _ => MessagingRecord::default(),
    };
    Ok(Some(TransferRecord {
        row,
        events,
        messaging,
    }))
}

/// The events about `transfer_id` other than its three main ones.
fn transfer_events(db: &mut dyn Exec, transfer_id: B256) -> Result<Vec<TransferEvent>, StoreError> {
    let rows = db.query(
        "SELECT domain, block, tx_hash, time, kind, data FROM events
         WHERE transfer_id = $1 AND kind NOT IN ('XCalled', 'Executed', 'Reconciled')
         ORDER BY domain, block, log_index",
        &[hex_of(transfer_id).into()],
    )?;
    rows.iter()
        .map(|values| {
            let mut c = Columns::new(values);
            let stamp = read_stamp(&mut c)?;
            let kind = c.text()?.to_owned();
            let data = serde_json::from_str(c.text()?)
                .map_err(|err| StoreError::Corrupt(format!("event data: {err}")))?;
            Ok(TransferEvent { stamp, kind, data })
        })
        .collect()
}

/// Reads `domain, block, tx_hash, time`.
fn read_stamp(c: &mut Columns<'_>) -> Result<Stamp, StoreError> {
    let domain = domain_of(Some(c.int()?))?.unwrap_or(Domain(0));
    Ok(Stamp {
        domain,
        block: c.int()?,
        tx_hash: c.parsed()?,
        timestamp: c.int()?,
    })
}

/// The first row of a query reading `domain, block, tx_hash, time, root[, confirm_at]`.
fn root_step(rows: &[Vec<Value>]) -> Result<Option<RootStep>, StoreError> {
    let Some(values) = rows.first() else {
        return Ok(None);
    };
    let mut c = Columns::new(values);
    let stamp = read_stamp(&mut c)?;
    let root = c.parsed()?;
    let confirm_at = c.opt_int()?;
    Ok(Some(RootStep {
        stamp,
        root,
        confirm_at,
    }))
}

/// The progress of the message `leaf` from `origin` to `destination`.
fn messaging(
    db: &mut dyn Exec,
    origin: Domain,
    destination: Domain,
    leaf: B256,
) -> Result<MessagingRecord, StoreError> {
    let mut record = MessagingRecord::default();
    let origin_value = Value::from(origin.get());
    let destination_value = Value::from(destination.get());
    let leaf_value = Value::from(hex_of(leaf));
    let rows = db.query(
        "SELECT domain, block, tx_hash, time, leaf_index FROM messages
         WHERE leaf = $1 AND domain = $2 ORDER BY block, log_index LIMIT 1",
        &[leaf_value.clone(), origin_value.clone()],
    )?;
    let Some(values) = rows.first() else {
        return Ok(record);
    };
    let mut c = Columns::new(values);
    let stamp = read_stamp(&mut c)?;
    let leaf_index = c.int()?;
    record.dispatched = Some((stamp, leaf_index));
    let index = Value::from(leaf_index);

    // The roots holding the leaf are those checkpointed with more leaves than its index. A Home's
    // tree only grows and its updates only move forward along its roots, so the first checkpoint,
    // update or relay of such a root is the one with the fewest leaves: walked in leaf-count order
    // (the `checkpoints_count` index), each query stops at the first match instead of gathering
    // every later root, which kept an early transfer's lookup slow in a large database.
    record.checkpointed = root_step(&db.query(
        "SELECT domain, block, tx_hash, time, root FROM checkpoints
         WHERE domain = $1 AND leaf_count > $2 ORDER BY leaf_count, block, log_index LIMIT 1",
        &[origin_value.clone(), index.clone()],
    )?)?;
    record.signed = root_step(&db.query(
        "SELECT u.domain, u.block, u.tx_hash, u.time, u.new_root
         FROM checkpoints c JOIN root_updates u ON u.new_root = c.root AND u.domain = c.domain
         WHERE c.domain = $1 AND c.leaf_count > $2 AND u.contract = 'home'
         ORDER BY c.leaf_count, u.block, u.log_index LIMIT 1",
        &[origin_value.clone(), index.clone()],
    )?)?;
    record.relayed = root_step(&db.query(
        "SELECT u.domain, u.block, u.tx_hash, u.time, u.new_root, u.confirm_at
         FROM checkpoints c JOIN root_updates u ON u.new_root = c.root
         WHERE c.domain = $1 AND c.leaf_count > $2
            AND u.domain = $3 AND u.contract = 'replica' AND u.origin = $1
         ORDER BY c.leaf_count, u.block, u.log_index LIMIT 1",
        &[origin_value.clone(), index, destination_value.clone()],
    )?)?;
    let deliveries = db.query(
        "SELECT domain, block, tx_hash, time, outcome, reason FROM processed
         WHERE leaf = $1 AND domain = $2 AND origin = $3 ORDER BY block, log_index",
        &[leaf_value, destination_value.clone(), origin_value.clone()],
    )?;
    for values in &deliveries {
        let mut c = Columns::new(values);
        let stamp = read_stamp(&mut c)?;
        if c.text()? == "processed" {
            record.processed.get_or_insert(stamp);
            record.process_failed = None;
        } else {
            let reason = c.opt_text().map(parse::<Bytes>).transpose()?;
            record.process_failed = Some((stamp, reason.unwrap_or_default()));
        }
    }
    let halts = db.query(
        "SELECT data FROM events WHERE kind IN ('ReplicaHalted', 'ReplicaFailed') AND domain = $1",
        &[destination_value],
    )?;
    record.replica_halted = halts.iter().any(|values| {
        values
            .first()
            .and_then(Value::text)
            .and_then(|data| serde_json::from_str::<serde_json::Value>(data).ok())
            .and_then(|data| data.get("origin").and_then(serde_json::Value::as_u64))
            == Some(u64::from(origin.get()))
    });
    record.home_failed = !db
        .query(
            "SELECT 1 FROM events WHERE kind = 'HomeFailed' AND domain = $1 LIMIT 1",
            &[origin_value],
        )?
        .is_empty();
    Ok(record)
}

/// A page of transfers matching `filter`, newest first.
pub(crate) fn transfers(
    db: &mut dyn Exec,
    filter: &TransferFilter,
    page: Page,
) -> Result<Vec<TransferRow>, StoreError> {
    let mut conditions = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let mut condition = |sql: &str, value: Value| {
        params.push(value);
        conditions.push(sql.replace('?', &format!("${}", params.len())));
    };
    if let Some(sender) = filter.sender {
        condition("origin_sender = ?", hex_of(sender).into());
    }
    if let Some(to) = filter.to {
        condition("recipient = ?", hex_of(to).into());
    }
    if let Some(router) = filter.router {
        condition(
            "transfer_id IN (SELECT transfer_id FROM transfer_routers WHERE router = ?)",
            hex_of(router).into(),
        );
    }
    if let Some(stage) = filter.stage {
        condition("stage = ?", stage.as_str().into());
    }
    if let Some(origin) = filter.origin {
        condition("origin = ?", origin.get().into());
    }
    if let Some(destination) = filter.destination {
        condition("destination = ?", destination.get().into());
    }
    if let Some(before) = page.before {
        condition("seq < ?", before.into());
    }
    let mut sql = format!("SELECT {TRANSFER_COLUMNS} FROM transfers");
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    params.push((page.limit as u64).into());
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", params.len()));
    db.query(&sql, &params)?
        .iter()
        .map(|values| parse_row(values))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routers_round_trip() {
        let routers = vec![Address::repeat_byte(1), Address::repeat_byte(0xab)];
        assert_eq!(
            parse_routers(&routers_text(&routers)).expect("parses"),
            routers
        );
        assert_eq!(parse_routers("").expect("parses"), Vec::<Address>::new());
    }
}
