//! A stand-in for the relayer: the relayer is its own agent and the sequencer only talks to it
//! over HTTP, so these tests stand up just its job API. It records every job posted (to check
//! the sequencer never sends a second selection), can refuse posts (to leave a decision
//! unacknowledged across a restart), and executes each distinct job once on the destination as
//! the `relayer` development key, so the contract itself checks the sequencer's signatures.

use super::Net;
use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use nxtp_api::relayer::{job_id, ApiError, ErrorCode, JobAccepted, JobRequest, JobState, JobView};
use nxtp_devnet::Role;
use nxtp_primitives::Domain;
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
};

struct StubState {
    /// Every job posted, refused or not, in order.
    posts: Mutex<Vec<JobRequest>>,
    refuse: AtomicBool,
    jobs: tokio::sync::Mutex<BTreeMap<B256, JobView>>,
    targets: BTreeMap<Domain, (Address, DynProvider)>,
}

/// The running stand-in.
pub struct RelayerStub {
    pub url: String,
    state: Arc<StubState>,
}

impl RelayerStub {
    pub async fn start(net: &Net) -> Self {
        let targets = net
            .manifest
            .domains
            .keys()
            .map(|&domain| {
                (
                    domain,
                    (net.connext(domain), net.wallet(domain, Role::Relayer)),
                )
            })
            .collect();
        let state = Arc::new(StubState {
            posts: Mutex::new(Vec::new()),
            refuse: AtomicBool::new(false),
            jobs: tokio::sync::Mutex::new(BTreeMap::new()),
            targets,
        });
        let app = Router::new()
            .route("/v1/jobs", post(submit))
            .route("/v1/jobs/{job_id}", get(job))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}"),
            state,
        }
    }

    /// Whether posts are refused with `500 internal`.
    pub fn refuse(&self, refuse: bool) {
        self.state.refuse.store(refuse, Ordering::SeqCst);
    }

    /// Every job posted so far.
    pub fn posts(&self) -> Vec<JobRequest> {
        self.state.posts.lock().expect("lock").clone()
    }
}

async fn submit(
    State(state): State<Arc<StubState>>,
    Json(request): Json<JobRequest>,
) -> Result<(StatusCode, Json<JobAccepted>), (StatusCode, Json<ApiError>)> {
    state.posts.lock().expect("lock").push(request.clone());
    if state.refuse.load(Ordering::SeqCst) {
        let error = ApiError::new(ErrorCode::Internal, "refusing jobs for this test");
        return Err((StatusCode::INTERNAL_SERVER_ERROR, Json(error)));
    }
    let Some((connext, wallet)) = state.targets.get(&request.domain) else {
        let error = ApiError::new(ErrorCode::UnknownDomain, "no such domain");
        return Err((StatusCode::BAD_REQUEST, Json(error)));
    };
    let id = job_id(request.domain, *connext, &request.calldata);
    // One post at a time: a job is sent once, whoever asks again.
    let mut jobs = state.jobs.lock().await;
    if let std::collections::btree_map::Entry::Vacant(entry) = jobs.entry(id) {
        let tx = TransactionRequest::default()
            .with_to(*connext)
            .with_input(request.calldata.clone());
        let sent = match wallet.send_transaction(tx).await {
            Ok(pending) => pending.get_receipt().await.map_err(|err| err.to_string()),
            // Gas estimation simulates the call: a revert shows up here, as in the relayer.
            Err(err) => Err(err.to_string()),
        };
        let view = match sent {
            Ok(receipt) => JobView {
                job_id: id,
                domain: request.domain,
                kind: request.kind,
                state: if receipt.status() {
                    JobState::Confirmed
                } else {
                    JobState::Failed
                },
                tx_hash: Some(receipt.transaction_hash),
                block: receipt.block_number,
                reason: (!receipt.status()).then(|| "reverted".to_owned()),
            },
            Err(reason) => JobView {
                job_id: id,
                domain: request.domain,
                kind: request.kind,
                state: JobState::Failed,
                tx_hash: None,
                block: None,
                reason: Some(reason),
            },
        };
        entry.insert(view);
    }
    Ok((StatusCode::ACCEPTED, Json(JobAccepted { job_id: id })))
}

async fn job(
    State(state): State<Arc<StubState>>,
    Path(id): Path<B256>,
) -> Result<Json<JobView>, (StatusCode, Json<ApiError>)> {
    state
        .jobs
        .lock()
        .await
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                Json(ApiError::new(ErrorCode::UnknownJob, "no such job")),
            )
        })
}
