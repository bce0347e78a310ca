//! A stand-in for the relayer: the relayer is its own agent and the sequencer only talks to it
//! over HTTP, so these tests stand up just its job API. It records every job posted (to check
//! the sequencer never sends a second selection), can refuse posts (to leave a decision
//! unacknowledged across a restart), and executes each distinct job once on the destination as
//! the `relayer` development key, so the contract itself checks the sequencer's signatures. For
//! the failover tests it can also go down and come back on the same address, hold jobs without
//! sending them (a relayer killed before its transaction), and report a job it sent as failed.

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
    /// Jobs are acknowledged and kept pending, not sent.
    hold: AtomicBool,
    /// Jobs are sent, then reported failed.
    report_failed: AtomicBool,
    jobs: tokio::sync::Mutex<BTreeMap<B256, JobView>>,
    /// When each job was asked about, in order.
    lookups: Mutex<Vec<(B256, std::time::Instant)>>,
    targets: BTreeMap<Domain, (Address, DynProvider)>,
}

/// The running stand-in.
pub struct RelayerStub {
    pub url: String,
    addr: std::net::SocketAddr,
    state: Arc<StubState>,
    /// Stops the server, while it is up.
    stop: Mutex<
        Option<(
            tokio::sync::oneshot::Sender<()>,
            tokio::task::JoinHandle<()>,
        )>,
    >,
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
            hold: AtomicBool::new(false),
            report_failed: AtomicBool::new(false),
            jobs: tokio::sync::Mutex::new(BTreeMap::new()),
            lookups: Mutex::new(Vec::new()),
            targets,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("address");
        let stub = Self {
            url: format!("http://{addr}"),
            addr,
            state,
            stop: Mutex::new(None),
        };
        stub.serve(listener);
        stub
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/v1/jobs", post(submit))
            .route("/v1/jobs/{job_id}", get(job))
            .with_state(Arc::clone(&self.state));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        *self.stop.lock().expect("lock") = Some((stop, server));
    }

    /// Takes the stand-in down, as a killed relayer: connections are refused until
    /// [`Self::come_back`]. The jobs it knows are kept, as the relayer keeps them in its database.
    pub async fn go_down(&self) {
        let running = self.stop.lock().expect("lock").take();
        if let Some((stop, server)) = running {
            let _ = stop.send(());
            server.await.expect("the stub's server stops");
        }
    }

    /// Serves again on the same address.
    pub async fn come_back(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("binds the same address again");
        self.serve(listener);
    }

    /// Whether jobs are acknowledged but not sent (as by a relayer killed before sending).
    pub fn hold(&self, hold: bool) {
        self.state.hold.store(hold, Ordering::SeqCst);
    }

    /// Whether the jobs it sends are reported failed whatever their receipt says.
    pub fn report_failed(&self, report_failed: bool) {
        self.state
            .report_failed
            .store(report_failed, Ordering::SeqCst);
    }

    /// Sends every job held so far, each as it was posted, and returns the views then.
    pub async fn send_held(&self) -> Vec<JobView> {
        let held: BTreeMap<B256, JobRequest> = {
            let jobs = self.state.jobs.lock().await;
            self.posts()
                .into_iter()
                .filter_map(|post| {
                    let (connext, _) = self.state.targets.get(&post.domain)?;
                    let id = job_id(post.domain, *connext, &post.calldata);
                    let pending = jobs.get(&id)?.state == JobState::Pending;
                    pending.then_some((id, post))
                })
                .collect()
        };
        let mut views = Vec::new();
        for (id, request) in held {
            let view = execute(&self.state, &request, id).await;
            self.state.jobs.lock().await.insert(id, view.clone());
            views.push(view);
        }
        views
    }

    /// Whether posts are refused with `500 internal`.
    pub fn refuse(&self, refuse: bool) {
        self.state.refuse.store(refuse, Ordering::SeqCst);
    }

    /// Every job posted so far.
    pub fn posts(&self) -> Vec<JobRequest> {
        self.state.posts.lock().expect("lock").clone()
    }

    /// When job `id` was asked about, oldest first.
    pub fn lookups_of(&self, id: B256) -> Vec<std::time::Instant> {
        let lookups = self.state.lookups.lock().expect("lock");
        lookups
            .iter()
            .filter(|(job, _)| *job == id)
            .map(|(_, at)| *at)
            .collect()
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
    let Some((connext, _)) = state.targets.get(&request.domain) else {
        let error = ApiError::new(ErrorCode::UnknownDomain, "no such domain");
        return Err((StatusCode::BAD_REQUEST, Json(error)));
    };
    let id = job_id(request.domain, *connext, &request.calldata);
    // One post at a time: a job is sent once, whoever asks again.
    let mut jobs = state.jobs.lock().await;
    if let std::collections::btree_map::Entry::Vacant(entry) = jobs.entry(id) {
        let view = if state.hold.load(Ordering::SeqCst) {
            JobView {
                job_id: id,
                domain: request.domain,
                kind: request.kind,
                state: JobState::Pending,
                tx_hash: None,
                block: None,
                reason: None,
            }
        } else {
            execute(&state, &request, id).await
        };
        entry.insert(view);
    }
    Ok((StatusCode::ACCEPTED, Json(JobAccepted { job_id: id })))
}

/// Sends `request` (job `id`) as the relayer key and says how it went.
async fn execute(state: &StubState, request: &JobRequest, id: B256) -> JobView {
    let (connext, wallet) = &state.targets[&request.domain];
    let tx = TransactionRequest::default()
        .with_to(*connext)
        .with_input(request.calldata.clone());
    let sent = match wallet.send_transaction(tx).await {
        Ok(pending) => pending.get_receipt().await.map_err(|err| err.to_string()),
        // Gas estimation simulates the call: a revert shows up here, as in the relayer.
        Err(err) => Err(err.to_string()),
    };
    let lie = state.report_failed.load(Ordering::SeqCst);
    match sent {
        Ok(receipt) => JobView {
            job_id: id,
            domain: request.domain,
            kind: request.kind,
            state: if receipt.status() && !lie {
                JobState::Confirmed
            } else {
                JobState::Failed
            },
            tx_hash: Some(receipt.transaction_hash),
            block: receipt.block_number,
            reason: (!receipt.status() || lie).then(|| "reverted".to_owned()),
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
    }
}

async fn job(
    State(state): State<Arc<StubState>>,
    Path(id): Path<B256>,
) -> Result<Json<JobView>, (StatusCode, Json<ApiError>)> {
    let asked = (id, std::time::Instant::now());
    state.lookups.lock().expect("lock").push(asked);
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
