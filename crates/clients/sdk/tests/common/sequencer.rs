//! A stand-in sequencer over real HTTP: the quote and transfer views of the sequencer API, with fixed answers,
//! so the SDK's own `SequencerClient` path is exercised without running the auction.

use alloy::primitives::{B256, U256};
use axum::{
    extract::{Path, RawQuery},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use nxtp_api::sequencer::{ApiError, ErrorCode, Quote, TransferState, TransferView};

/// What the stand-in says of every transfer it is asked about.
pub const REASON: &str = "waiting for router bids";

/// Serves on a free local port; returns its URL. Quotes `fee` for every route; knows every transfer except
/// `B256::ZERO`.
pub async fn serve(fee: U256) -> String {
    let app = Router::new()
        .route(
            "/v1/quote",
            get(move |RawQuery(query): RawQuery| async move {
                let query = query.unwrap_or_default();
                let param = |name: &str| {
                    query
                        .split('&')
                        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
                        .and_then(|value| value.parse().ok())
                        .expect("the client names both domains")
                };
                Json(Quote {
                    origin: param("origin"),
                    destination: param("destination"),
                    relayer_fee: fee,
                })
            }),
        )
        .route(
            "/v1/transfers/{id}",
            get(|Path(id): Path<B256>| async move {
                if id.is_zero() {
                    let error = ApiError::new(ErrorCode::UnknownTransfer, "never seen");
                    return Err((StatusCode::NOT_FOUND, Json(error)));
                }
                Ok(Json(TransferView {
                    transfer_id: id,
                    origin: None,
                    destination: None,
                    state: TransferState::AwaitingLiquidity,
                    reason: REASON.to_owned(),
                    bids: Vec::new(),
                    selected: None,
                    relayer_job: None,
                }))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}
