//! The routes beside the transfers' ([`super::router`]): `GET /routers` ([`super::routers`]),
//! which also asks the sequencer, `GET /stats` ([`super::stats`]), and the explorer's static
//! files at `/` when a `web_root` is set ([`super::web`]).

use super::{routers::BidSource, ApiError, ApiState};
use crate::status::{Stage, TransferView};
use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};
use std::{path::PathBuf, sync::Arc, time::Duration};

/// How long `GET /transfers/{id}` waits for the sequencer before answering without it.
const SEQUENCER_WAIT: Duration = Duration::from_secs(2);

/// What the extra routes need beyond [`ApiState`].
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Where routers' bids are read.
    pub bids: BidSource,
    /// A directory whose files are served at `/` (the explorer), after every API route.
    pub web_root: Option<PathBuf>,
    /// A manifest file served at `/manifest.json` beside `web_root`'s files.
    pub web_manifest: Option<PathBuf>,
}

/// The extra routes' state.
pub(super) struct ExtraState {
    /// The API's state (its store).
    pub(super) api: Arc<ApiState>,
    /// Where routers' bids are read.
    pub(super) bids: BidSource,
}

/// `/transfers/{id}`, `/routers` and `/stats` over `api`.
pub(super) fn routes(api: Arc<ApiState>, bids: BidSource) -> Router {
    Router::new()
        .route("/transfers/{id}", get(get_transfer))
        .route("/routers", get(super::routers::list_routers))
        .route("/stats", get(super::stats::stats))
        .with_state(Arc::new(ExtraState { api, bids }))
}

/// `GET /transfers/{id}`: the transfer as the store shows it and, while it waits to be
/// executed, why as the sequencer's auction tells (a fee below the quote, no liquidity, the
/// relayer...). Without the sequencer (none set, down, or slower than [`SEQUENCER_WAIT`]) the
/// store's reasons stand.
async fn get_transfer(
    State(state): State<Arc<ExtraState>>,
    id: Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    let Json(view) = super::get_transfer(State(Arc::clone(&state.api)), id).await?;
    let Some(sequencer) = &state.bids.sequencer else {
        return Ok(Json(view));
    };
    if view.stage != Stage::XCalled {
        return Ok(Json(view));
    }
    match tokio::time::timeout(SEQUENCER_WAIT, sequencer.transfer(view.transfer_id)).await {
        Ok(Ok(auction)) => Ok(Json(view.with_sequencer(&auction))),
        Ok(Err(err)) => {
            tracing::debug!(transfer_id = %view.transfer_id, error = %err, "no auction state");
            Ok(Json(view))
        }
        Err(_) => {
            tracing::debug!(transfer_id = %view.transfer_id, "the sequencer is slow to answer");
            Ok(Json(view))
        }
    }
}

/// Adds `/routers` and `/stats` to the OpenAPI `document`.
pub(super) fn document(document: &mut serde_json::Value) {
    use serde_json::json;
    let error = super::openapi::error_response;
    let amount = json!({ "type": "string", "pattern": "^[0-9]+$" });
    let address = json!({ "$ref": "#/components/schemas/Address" });
    let timing = json!({
        "type": "object",
        "properties": {
            "count": { "type": "integer" },
            "median_seconds": { "type": "integer", "nullable": true }
        }
    });
    let route = json!({
        "type": "object",
        "properties": {
            "origin": { "type": "integer", "nullable": true },
            "destination": { "type": "integer", "nullable": true },
            "transfers": { "type": "integer" },
            "fast": { "type": "integer" },
            "slow": { "type": "integer" },
            "fast_share": { "type": "number", "nullable": true },
            "xcall_to_executed": timing,
            "xcall_to_reconciled": timing
        }
    });
    document["paths"]["/routers"] = json!({ "get": {
        "summary": "Each router's liquidity per domain and asset (replayed from the events), fronted and reconciled volume, last bid and whether it is live (from the sequencer, if configured)",
        "parameters": [{
            "name": "router", "in": "query", "required": false, "description": "Only this router",
            "schema": address
        }],
        "responses": {
            "200": { "description": "The routers", "content": { "application/json": { "schema": {
                "type": "object",
                "properties": {
                    "routers": { "type": "array", "items": {
                        "type": "object",
                        "properties": {
                            "router": address,
                            "liquidity": { "type": "array", "items": {
                                "type": "object",
                                "properties": {
                                    "domain": { "type": "integer" },
                                    "asset": address,
                                    "available": amount,
                                    "added": amount,
                                    "removed": amount,
                                    "fronted": amount,
                                    "reconciled": amount,
                                    "transfers_fronted": { "type": "integer" }
                                }
                            }},
                            "last_fronted_at": { "type": "integer", "nullable": true },
                            "last_bid_at": { "type": "integer", "nullable": true },
                            "transfers_bid": { "type": "integer", "nullable": true },
                            "bidding": { "type": "string", "enum": ["live", "stopped", "idle", "unknown"] },
                            "live": { "type": "boolean", "description": "absent when it cannot be told (idle, unknown)" }
                        }
                    }},
                    "sequencer": { "type": "object", "properties": {
                        "url": { "type": "string", "nullable": true },
                        "error": { "type": "string", "nullable": true }
                    }}
                }
            }}}},
            "400": error("invalid_address or invalid_filter"),
            "503": error("The database cannot answer now")
        }
    }});
    document["paths"]["/stats"] = json!({ "get": {
        "summary": "Transfers by stage and path, volume per origin and asset, the fast path's share, and median times xcall->executed and xcall->reconciled over the last N transfers, overall and per route",
        "parameters": [{
            "name": "last", "in": "query", "required": false,
            "description": "How many of the newest xcalled transfers the medians cover (default 1000)",
            "schema": { "type": "integer", "minimum": 1, "maximum": super::stats::MAX_LAST }
        }],
        "responses": {
            "200": { "description": "The figures", "content": { "application/json": { "schema": {
                "type": "object",
                "properties": {
                    "transfers": { "type": "integer" },
                    "by_stage": { "type": "array", "items": { "type": "object", "properties": {
                        "stage": { "$ref": "#/components/schemas/Stage" },
                        "path": { "type": "string", "enum": ["fast", "slow"], "nullable": true },
                        "count": { "type": "integer" }
                    }}},
                    "fast_share": { "type": "number", "nullable": true },
                    "volume": { "type": "array", "items": { "type": "object", "properties": {
                        "origin": { "type": "integer" },
                        "asset": address,
                        "transfers": { "type": "integer" },
                        "amount": amount
                    }}},
                    "recent_transfers": { "type": "integer" },
                    "recent": route,
                    "routes": { "type": "array", "items": route }
                }
            }}}},
            "400": error("invalid_limit or invalid_filter"),
            "503": error("The database cannot answer now")
        }
    }});
}
