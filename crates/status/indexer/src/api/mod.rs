//! The status API: HTTP + JSON on the kit's hardened server (`nxtp_agent::http`), described by
//! the OpenAPI document it serves at `/openapi.json` ([`openapi`]).
//!
//! - `GET /transfers/{id}`: a transfer by its id, or by the hash of the transaction that
//!   xcalled it ([`TransferView`]);
//! - `GET /transfers?sender=&to=&router=&stage=&origin=&destination=&cursor=&limit=`: newest
//!   first, a page at a time ([`TransferPage`]; `next_cursor` fetches the next page);
//! - `GET /health`: the indexer's health, its backend and how far each domain is indexed;
//! - `GET /openapi.json`.
//!
//! Bad input is a 4xx with the kit's error shape, `{"error":"<code>","message":"<why>"}`
//! ([`ErrorCode`]); a malformed request never gets a 5xx. Only the database being unreachable
//! is a `503 unavailable`.

mod extras;
pub mod openapi;
pub mod routers;
pub mod stats;
mod web;

pub use extras::Extras;

use crate::{
    ingest::STREAM,
    status::{Stage, TransferSummary, TransferView},
    store::{Page, StatusStore, StoreError, TransferFilter, TransferKey},
};
use alloy::primitives::{Address, B256};
use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use nxtp_agent::{clock::now_ms, Cursor, Health, HealthStatus};
use nxtp_primitives::{parse_checked_address, Domain};
use serde::Serialize;
use std::{collections::BTreeSet, sync::Arc};

/// The default number of transfers in a page.
pub const DEFAULT_LIMIT: usize = 50;

/// The largest page.
pub const MAX_LIMIT: usize = 500;

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The database.
    pub store: Arc<dyn StatusStore>,
    /// The indexer's health board.
    pub health: Health,
    /// The domains indexed.
    pub domains: BTreeSet<Domain>,
    /// The webhooks' settings (the subscription routes' token, the allowed targets).
    pub webhooks: crate::webhooks::WebhookConfig,
}

/// The API's routes over `state`, with no sequencer (routers' bidding unknown) and no files.
pub fn router(state: ApiState) -> Router {
    router_with(state, Extras::default())
}

/// The API's routes over `state`, `/routers` reading bids as `extras` says, and the files of
/// its `web_root` (if any) served after every route.
pub fn router_with(state: ApiState, extras: Extras) -> Router {
    let state = Arc::new(state);
    // The status reads are public (browser apps on other origins call them); the webhook
    // subscriptions are not.
    let reads = Router::new()
        .route("/transfers", get(list_transfers))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi_document))
        .with_state(Arc::clone(&state))
        .merge(extras::routes(Arc::clone(&state), extras.bids));
    let app = nxtp_agent::http::readable_from_any_origin(reads)
        .merge(crate::webhooks::api::routes().with_state(state));
    match extras.web_root {
        Some(root) => web::serve_files(app, root, extras.web_manifest),
        None => app,
    }
}

/// The machine-readable code of a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The path's id is not `0x` followed by 64 hex digits.
    InvalidTransferId,
    /// An address filter is malformed or fails its EIP-55 checksum.
    InvalidAddress,
    /// A filter is unknown, repeated, or its value is not valid (a stage, a domain).
    InvalidFilter,
    /// The cursor is not one this API handed out.
    InvalidCursor,
    /// The limit is not a number from 1 to [`MAX_LIMIT`].
    InvalidLimit,
    /// No transfer has that id or origin transaction (yet).
    NotFound,
    /// The database cannot answer now.
    Unavailable,
    /// A request body is not the JSON object the route reads.
    InvalidBody,
    /// A webhook URL is not an absolute `http://` URL with a host.
    InvalidUrl,
    /// The operator does not allow webhook deliveries to that host.
    TargetNotAllowed,
    /// A webhook secret is too short, too long, or not printable ASCII.
    InvalidSecret,
    /// The route needs the operator's bearer token.
    Unauthorized,
}

impl ErrorCode {
    /// The HTTP status answered with the code.
    pub const fn status(self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The body of every refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// What went wrong, for programs.
    pub error: ErrorCode,
    /// Why, for people.
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error,
            message: message.into(),
        }
    }

    fn unavailable(err: &StoreError) -> Self {
        tracing::warn!(error = %err, "cannot answer an API request now");
        Self::new(
            ErrorCode::Unavailable,
            "the database cannot answer now; retry later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.error.status(), Json(self)).into_response()
    }
}

/// Runs `f` on the store on the blocking pool.
pub(crate) async fn on_store<R: Send + 'static>(
    state: &ApiState,
    f: impl FnOnce(&dyn StatusStore) -> Result<R, StoreError> + Send + 'static,
) -> Result<R, ApiError> {
    let store = Arc::clone(&state.store);
    match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(ApiError::unavailable(&err)),
        Err(err) => Err(ApiError::unavailable(&StoreError::Panicked(
            nxtp_agent::tasks::join_error_message(err),
        ))),
    }
}

/// A 32-byte hash as `0x` + 64 hex digits.
fn parse_hash(text: &str) -> Option<B256> {
    let digits = text.strip_prefix("0x")?;
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    digits.parse().ok()
}

/// The first characters of `text`, for an error message.
fn quoted(text: &str) -> String {
    let head: String = text.chars().take(70).collect();
    if head.len() < text.len() {
        format!("{head}…")
    } else {
        head
    }
}

async fn get_transfer(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    let hash = parse_hash(&id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidTransferId,
            format!(
                "`{}` is not a transfer id or transaction hash (0x followed by 64 hex digits)",
                quoted(&id)
            ),
        )
    })?;
    let record = on_store(&state, move |store| {
        match store.transfer(TransferKey::Id(hash))? {
            Some(record) => Ok(Some(record)),
            None => store.transfer(TransferKey::OriginTx(hash)),
        }
    })
    .await?;
    let record = record.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            format!("no transfer has id or origin transaction {hash} (yet: events are indexed at each chain's confirmation depth)"),
        )
    })?;
    Ok(Json(TransferView::new(&record, now_ms() / 1000)))
}

/// A page of transfers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferPage {
    /// The transfers, newest first.
    pub transfers: Vec<TransferSummary>,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The cursor of the page after a row numbered `seq`.
fn cursor_after(seq: u64) -> String {
    format!("t{seq:x}")
}

fn parse_cursor(text: &str) -> Option<u64> {
    let digits = text.strip_prefix('t')?;
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// The list's query, read strictly.
#[derive(Debug, Default)]
struct ListQuery {
    filter: TransferFilter,
    cursor: Option<u64>,
    limit: usize,
}

fn address_filter(name: &str, value: &str) -> Result<Address, ApiError> {
    parse_checked_address(value)
        .map_err(|err| ApiError::new(ErrorCode::InvalidAddress, format!("{name}: {err}")))
}

fn domain_filter(state: &ApiState, name: &str, value: &str) -> Result<Domain, ApiError> {
    let domain: Domain = value.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidFilter,
            format!("{name}: `{}` is not a domain id", quoted(value)),
        )
    })?;
    if !state.domains.contains(&domain) {
        return Err(ApiError::new(
            ErrorCode::InvalidFilter,
            format!(
                "{name}: domain {domain} is not indexed here (indexed: {})",
                state
                    .domains
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(domain)
}

/// Splits a raw query string into decoded pairs; a pair that does not decode is refused.
fn pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    let malformed =
        |why: &str| ApiError::new(ErrorCode::InvalidFilter, format!("malformed query: {why}"));
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((
                percent_decode(key).ok_or_else(|| malformed("bad percent-encoding"))?,
                percent_decode(value).ok_or_else(|| malformed("bad percent-encoding"))?,
            ))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` (a space); `None` on a bad escape or non-UTF-8 result.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                index += 3;
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            other => {
                out.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn parse_list_query(state: &ApiState, raw: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        ..ListQuery::default()
    };
    let mut seen = BTreeSet::new();
    for (key, value) in pairs(raw.unwrap_or_default())? {
        if !seen.insert(key.clone()) {
            return Err(ApiError::new(
                ErrorCode::InvalidFilter,
                format!("{}: given more than once", quoted(&key)),
            ));
        }
        let filter = &mut query.filter;
        match key.as_str() {
            "sender" => filter.sender = Some(address_filter("sender", &value)?),
            "to" => filter.to = Some(address_filter("to", &value)?),
            "router" => filter.router = Some(address_filter("router", &value)?),
            "stage" => {
                filter.stage = Some(value.parse::<Stage>().map_err(|err| {
                    ApiError::new(ErrorCode::InvalidFilter, format!("stage: {err}"))
                })?);
            }
            "origin" => filter.origin = Some(domain_filter(state, "origin", &value)?),
            "destination" => {
                filter.destination = Some(domain_filter(state, "destination", &value)?);
            }
            "cursor" => {
                query.cursor = Some(parse_cursor(&value).ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidCursor,
                        format!(
                            "cursor: `{}` is not a cursor this API handed out (use next_cursor)",
                            quoted(&value)
                        ),
                    )
                })?);
            }
            "limit" => {
                query.limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                    .ok_or_else(|| {
                        ApiError::new(
                            ErrorCode::InvalidLimit,
                            format!(
                                "limit: `{}` is not a number from 1 to {MAX_LIMIT}",
                                quoted(&value)
                            ),
                        )
                    })?;
            }
            other => {
                return Err(ApiError::new(
                    ErrorCode::InvalidFilter,
                    format!(
                        "unknown parameter `{}` (known: sender, to, router, stage, origin, \
                         destination, cursor, limit)",
                        quoted(other)
                    ),
                ))
            }
        }
    }
    Ok(query)
}

async fn list_transfers(
    State(state): State<Arc<ApiState>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<TransferPage>, ApiError> {
    let query = parse_list_query(&state, raw.as_deref())?;
    let limit = query.limit;
    let page = Page {
        before: query.cursor,
        // One more than asked tells whether there is a next page.
        limit: limit + 1,
    };
    let filter = query.filter;
    let mut rows = on_store(&state, move |store| store.transfers(&filter, page)).await?;
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|row| cursor_after(row.seq))
    } else {
        None
    };
    Ok(Json(TransferPage {
        transfers: rows.iter().map(TransferSummary::from).collect(),
        next_cursor,
    }))
}

/// One domain's indexing progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainProgress {
    /// The domain.
    pub domain: u32,
    /// The newest block indexed (`null` before the first batch).
    pub indexed_block: Option<u64>,
}

/// What `GET /health` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HealthView {
    /// The indexer's health (`healthy`, or `unhealthy` with a reason).
    #[serde(flatten)]
    pub status: HealthStatus,
    /// The database backend.
    pub backend: &'static str,
    /// Each domain's progress.
    pub domains: Vec<DomainProgress>,
}

async fn health(State(state): State<Arc<ApiState>>) -> Response {
    let domains: Vec<Domain> = state.domains.iter().copied().collect();
    let progress = on_store(&state, move |store| {
        store.ping()?;
        let cursors = store.cursors().clone();
        let positions = cursors.with(|conn| {
            domains
                .iter()
                .map(|&domain| Ok((domain, Cursor::new(domain, STREAM).get(conn)?)))
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(positions)
    })
    .await;
    let (status, domains) = match progress {
        Ok(positions) => (
            state.health.status(),
            positions
                .into_iter()
                .map(|(domain, next)| DomainProgress {
                    domain: domain.get(),
                    indexed_block: next.and_then(|next| next.checked_sub(1)),
                })
                .collect(),
        ),
        Err(err) => (
            HealthStatus::Unhealthy {
                reason: err.message,
            },
            Vec::new(),
        ),
    };
    let code = match status {
        HealthStatus::Healthy => StatusCode::OK,
        HealthStatus::Unhealthy { .. } => StatusCode::SERVICE_UNAVAILABLE,
    };
    let view = HealthView {
        status,
        backend: state.store.backend(),
        domains,
    };
    (code, Json(view)).into_response()
}

async fn openapi_document() -> Json<serde_json::Value> {
    Json(openapi::document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_others() {
        for seq in [0, 1, 255, u64::MAX] {
            assert_eq!(parse_cursor(&cursor_after(seq)), Some(seq));
        }
        for bad in ["", "t", "12", "tzz", "t12345678901234567", "t-1"] {
            assert_eq!(parse_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b+c").as_deref(), Some("a b c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn hashes_need_64_hex_digits() {
        assert!(parse_hash(&format!("0x{}", "ab".repeat(32))).is_some());
        assert!(parse_hash(&"ab".repeat(32)).is_none());
        assert!(parse_hash("0x12").is_none());
        assert!(parse_hash(&format!("0x{}", "zz".repeat(32))).is_none());
    }
}
