//! The sequencer's HTTP API (`docs/liquidity-agents.md`, "Sequencer HTTP API"): quotes, bids in,
//! transfer state out. Every refusal is an [`ApiError`] with its code's status.

use crate::{
    bids, consensus::FORWARDED_HEADER, error::SequencerError, shared::Shared, store,
    view::transfer_view,
};
use alloy::primitives::{Address, B256};
use axum::{
    body::Bytes,
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use futures::future::join_all;
use nxtp_agent::{clock::now_ms, CancellationToken, HttpLimits};
use nxtp_api::sequencer::{
    ApiError, BidAccepted, BidRequest, ErrorCode, Quote, QuoteWithFeeAssets, RouterActivity,
    RouterActivityView, TransferView,
};
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The API's routes over `shared`: its reads (quotes, auction states, routers' activity) may be
/// read by browser apps of any origin; bids may not.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let reads = Router::new()
        .route("/v1/quote", get(quote))
        .route("/v1/transfers/{transfer_id}", get(transfer))
        .route("/v1/routers", get(routers))
        .with_state(Arc::clone(&shared));
    nxtp_agent::http::readable_from_any_origin(reads).merge(
        Router::new()
            .route("/v1/bids", post(post_bid))
            .with_state(shared),
    )
}

/// Serves the API over `shared` on `listener` until `shutdown`.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) -> Result<(), SequencerError> {
    let app = router(shared);
    let served = nxtp_agent::http::serve(listener, app, HttpLimits::default(), shutdown).await;
    served.map_err(SequencerError::Serve)
}

/// A refusal, answered with its code's status.
struct Refusal(ApiError);

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ApiError::new(code, message))
    }

    fn unavailable(err: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %err, "cannot answer an API request now");
        Self::new(ErrorCode::Unavailable, err.to_string())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0.error.status(), Json(self.0)).into_response()
    }
}

#[derive(Deserialize)]
struct QuoteQuery {
    origin: Domain,
    destination: Domain,
}

async fn quote(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<QuoteQuery>, QueryRejection>,
) -> Result<Json<QuoteWithFeeAssets>, Refusal> {
    let Query(QuoteQuery {
        origin,
        destination,
    }) = query.map_err(|err| Refusal::new(ErrorCode::Malformed, err.body_text()))?;
    for domain in [origin, destination] {
        if !shared.destinations.contains_key(&domain) {
            return Err(Refusal::new(
                ErrorCode::UnknownDomain,
                format!("domain {domain} is not served by this sequencer"),
            ));
        }
    }
    Ok(Json(QuoteWithFeeAssets {
        quote: Quote {
            origin,
            destination,
            relayer_fee: shared.pricing.relayer_fee(destination),
        },
        fee_assets: shared.pricing.fee_assets(origin),
    }))
}

async fn post_bid(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    match accept_bid(&shared, &body).await {
        Ok((accepted, fresh)) => {
            shared.metrics.bid_accepted();
            // A bid new here goes on to the other nodes, unless a node forwarded it: one hop.
            if let Some(forward) = &shared.forward {
                if fresh && !headers.contains_key(FORWARDED_HEADER) {
                    forward.forward(&body);
                }
            }
            (StatusCode::ACCEPTED, Json(accepted)).into_response()
        }
        Err(refusal) => {
            shared.metrics.bid_rejected(refusal.0.error);
            refusal.into_response()
        }
    }
}

/// Checks and records a bid; with the answer, whether it held a signature not recorded before.
async fn accept_bid(shared: &Shared, body: &[u8]) -> Result<(BidAccepted, bool), Refusal> {
    let bid = BidRequest::from_json(body).map_err(Refusal)?;
    let id = bid.transfer_id;
    let (transfer, decided) = shared
        .store
        .call(move |conn| {
            Ok((
                store::transfer(conn, id)?,
                store::decision(conn, id)?.is_some(),
            ))
        })
        .await
        .map_err(Refusal::unavailable)?;
    if decided {
        return Err(Refusal::new(
            ErrorCode::AuctionClosed,
            format!("the routers of transfer {id} are already chosen"),
        ));
    }
    if let Some(reason) = transfer.as_ref().and_then(|t| t.closed_reason.as_ref()) {
        return Err(Refusal::new(
            ErrorCode::AuctionClosed,
            format!("the auction of transfer {id} was closed: {reason}"),
        ));
    }
    let destination = match &transfer {
        Some(transfer) => {
            let destination = shared
                .destinations
                .get(&transfer.destination())
                .ok_or_else(|| {
                    Refusal::new(
                        ErrorCode::UnknownDomain,
                        format!("destination {} is not served", transfer.destination()),
                    )
                })?;
            Some(destination)
        }
        None => None,
    };
    let max_routers = match destination {
        Some(destination) => destination
            .max_routers()
            .await
            .map_err(Refusal::unavailable)?,
        None => bids::MAX_ROUTERS,
    };
    // Signed for the destination's Connext; before the transfer is known, for the one the bid
    // names, or else for a served one.
    let signing: Vec<_> = match (destination, bid.destination) {
        (Some(destination), named) => {
            if let Some(named) = named.filter(|&named| named != destination.domain) {
                return Err(Refusal::new(
                    ErrorCode::Malformed,
                    format!(
                        "the bid names destination {named}, transfer {id} goes to {}",
                        destination.domain
                    ),
                ));
            }
            vec![(destination.domain, &destination.signing)]
        }
        (None, Some(named)) => {
            let named = shared.destinations.get(&named).ok_or_else(|| {
                Refusal::new(
                    ErrorCode::UnknownDomain,
                    format!("destination {named} is not served"),
                )
            })?;
            vec![(named.domain, &named.signing)]
        }
        (None, None) => shared
            .destinations
            .values()
            .map(|d| (d.domain, &d.signing))
            .collect(),
    };
    let checked = bids::check(&bid, max_routers, &signing).map_err(Refusal)?;
    match destination {
        Some(destination) => {
            let approved = destination
                .router_recently_approved(bid.router)
                .await
                .map_err(Refusal::unavailable)?;
            if !approved {
                return Err(Refusal::new(
                    ErrorCode::RouterNotApproved,
                    format!(
                        "router {} is not approved on destination {}",
                        bid.router, destination.domain
                    ),
                ));
            }
        }
        // Before the transfer is known its destination is not, but a key approved nowhere is no
        // router: refused, so strangers cannot fill the database with early bids.
        None => {
            if !approved_somewhere(shared, bid.router).await? {
                return Err(Refusal::new(
                    ErrorCode::RouterNotApproved,
                    format!(
                        "router {} is not approved on any domain this sequencer serves",
                        bid.router
                    ),
                ));
            }
        }
    }
    let verified = destination.is_some();
    let router = bid.router;
    let pricing = shared.pricing.clone();
    let window = shared.window;
    let early = shared.early_bids;
    let recorded = shared
        .store
        .call(move |conn| {
            let now = now_ms();
            let tx = conn.transaction()?;
            if !verified {
                // Counted and inserted in one transaction: concurrent bids cannot overshoot.
                let since = now.saturating_sub(duration_ms(early.ttl));
                let held = store::early_transfers_of(&tx, router, id, since)?;
                if held >= early.per_router {
                    return Ok(Err(held));
                }
            }
            let fresh = store::insert_bids(&tx, id, router, &checked, verified, now)?;
            if verified {
                store::open_auction(&tx, id, now)?;
            }
            let view = transfer_view(&tx, id, &pricing, window, now)?;
            tx.commit()?;
            Ok(Ok((fresh, view)))
        })
        .await
        .map_err(Refusal::unavailable)?;
    let (fresh, view) = recorded.map_err(|held| {
        Refusal::new(
            ErrorCode::TooManyEarlyBids,
            format!(
                "router {router} already has bids on {held} transfers this sequencer has not seen \
                 (at most {}); retry once they are seen or expire",
                early.per_router
            ),
        )
    })?;
    if fresh > 0 {
        tracing::info!(transfer_id = %id, %router, verified, "bid recorded");
        shared.auction_wake.notify_one();
    }
    let state = view
        .map(|view| view.state)
        .ok_or_else(|| Refusal::unavailable("the bid just recorded is missing"))?;
    let accepted = BidAccepted {
        transfer_id: id,
        state,
    };
    Ok((accepted, fresh > 0))
}

/// Whether `router` is approved on at least one served domain (each read cached briefly). Unsure
/// (a read failed and none said yes) is `unavailable`, so a router retries.
async fn approved_somewhere(shared: &Shared, router: Address) -> Result<bool, Refusal> {
    let reads = join_all(
        shared
            .destinations
            .values()
            .map(|destination| destination.router_recently_approved(router)),
    )
    .await;
    let mut failed = None;
    for read in reads {
        match read {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(err) => failed = Some(err),
        }
    }
    match failed {
        Some(err) => Err(Refusal::unavailable(err)),
        None => Ok(false),
    }
}

fn duration_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

async fn transfer(
    State(shared): State<Arc<Shared>>,
    Path(transfer_id): Path<String>,
) -> Result<Json<TransferView>, Refusal> {
    let id: B256 = transfer_id.parse().map_err(|_| {
        Refusal::new(
            ErrorCode::Malformed,
            format!("`{transfer_id}` is not a 32-byte 0x-hex transfer id"),
        )
    })?;
    let pricing = shared.pricing.clone();
    let window = shared.window;
    let view = shared
        .store
        .call(move |conn| transfer_view(conn, id, &pricing, window, now_ms()))
        .await
        .map_err(Refusal::unavailable)?;
    view.map(Json).ok_or_else(|| {
        Refusal::new(
            ErrorCode::UnknownTransfer,
            format!("no XCalled or bid seen for transfer {id}"),
        )
    })
}

/// `GET /v1/routers`: every router's bidding (read-only), for status services.
async fn routers(State(shared): State<Arc<Shared>>) -> Result<Json<RouterActivityView>, Refusal> {
    shared
        .store
        .call(|conn| {
            // One snapshot, so the counts agree with each other.
            let tx = conn.transaction()?;
            let routers = store::router_activity(&tx)?
                .into_iter()
                .map(|(router, last_bid_ms, transfers_bid)| RouterActivity {
                    router,
                    last_bid_ms,
                    transfers_bid,
                })
                .collect();
            Ok(RouterActivityView {
                now_ms: now_ms(),
                last_auction_ms: store::last_auction_ms(&tx)?,
                awaiting_bids: store::awaiting_bids(&tx)?,
                routers,
            })
        })
        .await
        .map(Json)
        .map_err(Refusal::unavailable)
}
