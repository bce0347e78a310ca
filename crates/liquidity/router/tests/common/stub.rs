//! A stand-in sequencer speaking the documented API (`nxtp_api::sequencer` types): it quotes a
//! fixed fee and records every bid posted, answering `202`, `503 unavailable` while told to be
//! unavailable, or `409 auction_closed` for the transfers it is told to refuse. The real sequencer
//! accepts a repeated identical bid silently; this one counts every post, which is what lets the
//! tests prove the router never posts a bid twice once it is acknowledged.

use alloy::primitives::{B256, U256};
use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use nxtp_api::sequencer::{ApiError, BidAccepted, BidRequest, ErrorCode, Quote, TransferState};
use nxtp_primitives::Domain;
use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
};

/// What the stub answered to one post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Post {
    pub bid: BidRequest,
    pub status: u16,
}

#[derive(Debug, Default)]
struct Inner {
    unavailable: bool,
    refuse: HashSet<B256>,
    posts: Vec<Post>,
}

/// The stub's state, shared with the test.
#[derive(Clone, Debug, Default)]
pub struct Stub {
    inner: Arc<Mutex<Inner>>,
    quote: U256,
}

impl Stub {
    /// Serves on a free local port, quoting `quote` wei for every route.
    pub async fn start(quote: U256) -> (Self, SocketAddr) {
        let stub = Self {
            inner: Arc::default(),
            quote,
        };
        let app = Router::new()
            .route("/v1/quote", get(quote_route))
            .route("/v1/bids", post(bid_route))
            .with_state(stub.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (stub, addr)
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Answers every bid `503 unavailable` while `unavailable`.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.with(|inner| inner.unavailable = unavailable);
    }

    /// Answers bids on `id` with `409 auction_closed`.
    pub fn refuse(&self, id: B256) {
        self.with(|inner| inner.refuse.insert(id));
    }

    /// Every post on `id`, in order.
    pub fn posts(&self, id: B256) -> Vec<Post> {
        self.with(|inner| {
            inner
                .posts
                .iter()
                .filter(|post| post.bid.transfer_id == id)
                .cloned()
                .collect()
        })
    }

    /// The posts on `id` answered with `status`.
    pub fn answered(&self, id: B256, status: u16) -> Vec<Post> {
        self.posts(id)
            .into_iter()
            .filter(|post| post.status == status)
            .collect()
    }
}

async fn quote_route(
    State(stub): State<Stub>,
    RawQuery(query): RawQuery,
) -> Result<Json<Quote>, (StatusCode, Json<ApiError>)> {
    let malformed = || {
        (
            StatusCode::BAD_REQUEST,
            Json(ApiError::new(
                ErrorCode::Malformed,
                "origin and destination",
            )),
        )
    };
    let query = query.ok_or_else(malformed)?;
    let mut origin = None;
    let mut destination = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("origin", value)) => origin = value.parse::<u32>().ok(),
            Some(("destination", value)) => destination = value.parse::<u32>().ok(),
            _ => {}
        }
    }
    let (Some(origin), Some(destination)) = (origin, destination) else {
        return Err(malformed());
    };
    Ok(Json(Quote {
        origin: Domain(origin),
        destination: Domain(destination),
        relayer_fee: stub.quote,
    }))
}

async fn bid_route(
    State(stub): State<Stub>,
    Json(bid): Json<BidRequest>,
) -> Result<(StatusCode, Json<BidAccepted>), (StatusCode, Json<ApiError>)> {
    let answer = stub.with(|inner| {
        let answer = if inner.unavailable {
            Err(ApiError::new(ErrorCode::Unavailable, "try again later"))
        } else if inner.refuse.contains(&bid.transfer_id) {
            Err(ApiError::new(ErrorCode::AuctionClosed, "already decided"))
        } else {
            Ok(BidAccepted {
                transfer_id: bid.transfer_id,
                state: TransferState::AwaitingXcall,
            })
        };
        let status = match &answer {
            Ok(_) => StatusCode::ACCEPTED,
            Err(error) => error.error.status(),
        };
        inner.posts.push(Post {
            bid: bid.clone(),
            status: status.as_u16(),
        });
        answer
    });
    match answer {
        Ok(accepted) => Ok((StatusCode::ACCEPTED, Json(accepted))),
        Err(error) => Err((error.error.status(), Json(error))),
    }
}
