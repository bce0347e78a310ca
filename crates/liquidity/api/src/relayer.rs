//! The relayer API: jobs in, their state out (`docs/liquidity-agents.md`, "Relayer HTTP API").
//!
//! - `POST /v1/jobs` with a [`JobRequest`] -> `202` [`JobAccepted`], or `4xx` [`ApiError`];
//! - `GET /v1/jobs/<jobId>` -> `200` [`JobView`], or `404` [`ApiError`] (`unknown_job`).
//!   With `?wait_ms=<n>` (at most [`MAX_WAIT_MS`]) the relayer answers as soon as the job is
//!   final, or after `n` ms with its state then: [`RelayerClient::wait`] long-polls this way.
//!
//! A job is identified by what it sends: [`job_id`] of the domain, the contract called and the
//! calldata. Posting the same job again returns the same id and sends nothing more, unless the
//! job has failed: then it is attempted again under the same id (a failed job's transaction can
//! never be mined later, so this cannot send the call twice).

use alloy::primitives::{keccak256, Address, Bytes, B256};
use nxtp_primitives::{Classify, Domain};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use std::{
    fmt,
    time::{Duration, Instant},
};

/// The longest a `GET /v1/jobs/<jobId>?wait_ms=` is held open by the relayer.
pub const MAX_WAIT_MS: u64 = 30_000;

/// The path jobs are posted to.
pub const JOBS_PATH: &str = "/v1/jobs";

/// How long one plain request (not a long poll) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest single long poll of [`RelayerClient::wait`]; shorter than [`MAX_WAIT_MS`] so the
/// request timeout never races the relayer's answer.
const POLL_SLICE: Duration = Duration::from_secs(20);

/// The id of the job that sends `calldata` to `target` on `domain`:
/// `keccak256(domain as u32 big-endian ++ target ++ calldata)`.
pub fn job_id(domain: Domain, target: Address, calldata: &[u8]) -> B256 {
    let mut preimage = Vec::with_capacity(4 + 20 + calldata.len());
    preimage.extend_from_slice(&domain.get().to_be_bytes());
    preimage.extend_from_slice(target.as_slice());
    preimage.extend_from_slice(calldata);
    keccak256(preimage)
}

/// What a job calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// `Connext.execute` on the job's domain.
    Execute,
    /// `Replica.process` on the job's domain, on the Replica of the job's origin.
    Process,
}

impl JobKind {
    /// The kind as written on the wire (`execute`, `process`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Execute => "execute",
            Self::Process => "process",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of `POST /v1/jobs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// The chain the transaction goes to.
    pub domain: Domain,
    /// What it calls.
    pub kind: JobKind,
    /// For a `process` job, the origin whose Replica on `domain` is called; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Domain>,
    /// Exactly the calldata of `Connext.execute` (or `Replica.process`).
    pub calldata: Bytes,
}

impl JobRequest {
    /// Decodes a `POST /v1/jobs` body, exactly as the relayer does: any failure (bad JSON, a
    /// missing or extra field) is a `malformed` refusal.
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        serde_json::from_slice(body)
            .map_err(|err| ApiError::new(ErrorCode::Malformed, format!("not a job request: {err}")))
    }

    /// A `Connext.execute` job on `domain`.
    pub fn execute(domain: Domain, calldata: Bytes) -> Self {
        Self {
            domain,
            kind: JobKind::Execute,
            origin: None,
            calldata,
        }
    }

    /// A `Replica.process` job on `domain`, for the Replica of `origin`.
    pub fn process(domain: Domain, origin: Domain, calldata: Bytes) -> Self {
        Self {
            domain,
            kind: JobKind::Process,
            origin: Some(origin),
            calldata,
        }
    }
}

/// The answer to an accepted `POST /v1/jobs` (`202`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobAccepted {
    /// The job's id (see [`job_id`]).
    pub job_id: B256,
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Accepted; no transaction broadcast yet (being simulated or waiting for its nonce).
    Pending,
    /// A transaction is broadcast and waits to be mined deep enough.
    Submitted,
    /// Mined successfully and confirmed: final.
    Confirmed,
    /// Will not be mined successfully (see the reason); final until posted again.
    Failed,
}

impl JobState {
    /// Whether the job has ended (confirmed or failed).
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Confirmed | Self::Failed)
    }

    /// The state as written on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Submitted => "submitted",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of `GET /v1/jobs/<jobId>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    /// The job's id.
    pub job_id: B256,
    /// The chain it sends to.
    pub domain: Domain,
    /// What it calls.
    pub kind: JobKind,
    /// Where it stands.
    pub state: JobState,
    /// The transaction: the latest broadcast while submitted, the mined one once confirmed or
    /// reverted on chain.
    pub tx_hash: Option<B256>,
    /// The block holding the mined transaction.
    pub block: Option<u64>,
    /// Why the job failed, e.g. `InvalidTransferStatus(...)` for a call reverting in simulation.
    pub reason: Option<String>,
}

/// Why the relayer refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not a job request (bad JSON, a missing or extra field, a `process` job
    /// without an origin or an `execute` job with one), or the job id is not 32 bytes of hex.
    Malformed,
    /// The calldata is not exactly a call of the job's kind.
    UnsupportedCall,
    /// The relayer serves no such domain, or (for a `process` job) no Replica of that origin
    /// there.
    UnknownDomain,
    /// No job has that id.
    UnknownJob,
    /// The relayer failed (its database or its submitter); retrying later may work.
    Internal,
    /// A code this client does not know (a newer relayer).
    #[serde(other)]
    Other,
}

impl ErrorCode {
    /// The code as written on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnsupportedCall => "unsupported_call",
            Self::UnknownDomain => "unknown_domain",
            Self::UnknownJob => "unknown_job",
            Self::Internal => "internal",
            Self::Other => "other",
        }
    }

    /// The HTTP status the relayer answers with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Malformed | Self::UnsupportedCall | Self::UnknownDomain => {
                StatusCode::BAD_REQUEST
            }
            Self::UnknownJob => StatusCode::NOT_FOUND,
            Self::Internal | Self::Other => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The body of every `4xx`/`5xx` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong, for programs.
    pub error: ErrorCode,
    /// Why, for people.
    pub message: String,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error.as_str(), self.message)
    }
}

/// Why a [`RelayerClient`] call failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayerClientError {
    /// The base URL cannot be joined with the API's paths.
    #[error("relayer URL {0} cannot be a base URL")]
    BadUrl(String),
    /// The relayer could not be reached, or the connection failed.
    #[error("relayer unreachable: {0}")]
    Transport(#[source] reqwest::Error),
    /// The relayer refused the request.
    #[error("relayer refused the request ({status}): {error}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// What the relayer said.
        error: ApiError,
    },
    /// The relayer answered something that is not this API.
    #[error("unexpected answer from the relayer ({status}): {body}")]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// The body, cut to a few hundred characters.
        body: String,
    },
    /// The job was not final when the wait ended.
    #[error("job {job_id} still {state} after {waited:?}")]
    Timeout {
        /// The job.
        job_id: B256,
        /// Its last state.
        state: JobState,
        /// How long the client waited.
        waited: Duration,
    },
}

impl Classify for RelayerClientError {
    /// Whether the same call may succeed later: the relayer was unreachable or failed
    /// internally, or the job was not final yet.
    fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Timeout { .. } => true,
            Self::Rejected { error, .. } => error.error == ErrorCode::Internal,
            Self::UnexpectedResponse { status, .. } => *status >= 500,
            Self::BadUrl(_) => false,
        }
    }
}

impl RelayerClientError {
    /// The relayer's error code, when it refused the request.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Rejected { error, .. } => Some(error.error),
            _ => None,
        }
    }
}

/// A client of one relayer; clones share the connection pool.
#[derive(Clone, Debug)]
pub struct RelayerClient {
    http: reqwest::Client,
    base: Url,
}

impl RelayerClient {
    /// A client of the relayer at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: Url) -> Result<Self, RelayerClientError> {
        Self::with_client(reqwest::Client::new(), base)
    }

    /// A client using `http` (its own timeouts, proxies, ...).
    pub fn with_client(http: reqwest::Client, base: Url) -> Result<Self, RelayerClientError> {
        if base.cannot_be_a_base() {
            return Err(RelayerClientError::BadUrl(base.to_string()));
        }
        Ok(Self { http, base })
    }

    /// The relayer's base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Posts a job; returns its id. Posting the same job again is harmless (see the module
    /// docs), so a caller that is unsure whether a post arrived simply posts again.
    pub async fn submit(&self, job: &JobRequest) -> Result<B256, RelayerClientError> {
        let response = self
            .http
            .post(self.url(JOBS_PATH)?)
            .timeout(REQUEST_TIMEOUT)
            .json(job)
            .send()
            .await
            .map_err(http_error)?;
        let accepted: JobAccepted = parse(response, StatusCode::ACCEPTED).await?;
        Ok(accepted.job_id)
    }

    /// The job's state now; `None` when the relayer has no job with this id.
    pub async fn job(&self, job_id: B256) -> Result<Option<JobView>, RelayerClientError> {
        self.get(job_id, None).await
    }

    /// Waits until the job is confirmed or failed, at most `timeout`, and returns it then.
    /// Fails with [`RelayerClientError::Timeout`] if it is still in flight, and with
    /// [`RelayerClientError::Rejected`] (`unknown_job`) if the relayer does not know it.
    pub async fn wait(
        &self,
        job_id: B256,
        timeout: Duration,
    ) -> Result<JobView, RelayerClientError> {
        let started = Instant::now();
        loop {
            let remaining = timeout.saturating_sub(started.elapsed());
            let view = self
                .get(job_id, Some(remaining.min(POLL_SLICE)))
                .await?
                .ok_or_else(|| RelayerClientError::Rejected {
                    status: StatusCode::NOT_FOUND.as_u16(),
                    error: ApiError::new(ErrorCode::UnknownJob, format!("no job {job_id}")),
                })?;
            if view.state.is_final() {
                return Ok(view);
            }
            if started.elapsed() >= timeout {
                return Err(RelayerClientError::Timeout {
                    job_id,
                    state: view.state,
                    waited: started.elapsed(),
                });
            }
        }
    }

    async fn get(
        &self,
        job_id: B256,
        wait: Option<Duration>,
    ) -> Result<Option<JobView>, RelayerClientError> {
        let mut url = self.url(&format!("{JOBS_PATH}/{job_id}"))?;
        let mut request_timeout = REQUEST_TIMEOUT;
        if let Some(wait) = wait {
            let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
            url.query_pairs_mut()
                .append_pair("wait_ms", &wait_ms.to_string());
            request_timeout = request_timeout.saturating_add(wait);
        }
        let response = self
            .http
            .get(url)
            .timeout(request_timeout)
            .send()
            .await
            .map_err(http_error)?;
        match parse(response, StatusCode::OK).await {
            Ok(view) => Ok(Some(view)),
            Err(RelayerClientError::Rejected { error, .. })
                if error.error == ErrorCode::UnknownJob =>
            {
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    fn url(&self, path: &str) -> Result<Url, RelayerClientError> {
        self.base
            .join(path)
            .map_err(|_| RelayerClientError::BadUrl(self.base.to_string()))
    }
}

/// The body of a `expected` answer, or the relayer's error.
async fn parse<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    expected: StatusCode,
) -> Result<T, RelayerClientError> {
    let status = response.status();
    let body = response.bytes().await.map_err(http_error)?;
    let unexpected = || RelayerClientError::UnexpectedResponse {
        status: status.as_u16(),
        body: String::from_utf8_lossy(&body).chars().take(300).collect(),
    };
    if status == expected {
        return serde_json::from_slice(&body).map_err(|_| unexpected());
    }
    match serde_json::from_slice::<ApiError>(&body) {
        Ok(error) => Err(RelayerClientError::Rejected {
            status: status.as_u16(),
            error,
        }),
        Err(_) => Err(unexpected()),
    }
}

/// A reqwest error without its URL: a relayer URL may carry credentials.
fn http_error(error: reqwest::Error) -> RelayerClientError {
    RelayerClientError::Transport(error.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_id_hashes_domain_big_endian_then_target_then_calldata() {
        let target = Address::repeat_byte(0xab);
        let calldata = [0xde, 0xad, 0xbe, 0xef];
        let mut preimage = vec![0x00, 0x00, 0x07, 0xd0];
        preimage.extend_from_slice(&[0xab; 20]);
        preimage.extend_from_slice(&calldata);
        assert_eq!(
            job_id(Domain(2000), target, &calldata),
            keccak256(&preimage)
        );
        assert_ne!(
            job_id(Domain(2000), target, &calldata),
            job_id(Domain(3000), target, &calldata),
            "the domain is part of the id"
        );
        assert_ne!(
            job_id(Domain(2000), target, &calldata),
            job_id(Domain(2000), Address::repeat_byte(1), &calldata),
            "the target is part of the id"
        );
    }

    #[test]
    fn wire_format_matches_the_docs() {
        let execute = JobRequest::execute(Domain(2000), Bytes::from_static(&[1, 2]));
        assert_eq!(
            serde_json::to_string(&execute).expect("serializes"),
            r#"{"domain":2000,"kind":"execute","calldata":"0x0102"}"#
        );
        let process: JobRequest = serde_json::from_str(
            r#"{"domain":2000,"kind":"process","origin":1000,"calldata":"0x"}"#,
        )
        .expect("parses");
        assert_eq!(
            process,
            JobRequest::process(Domain(2000), Domain(1000), Bytes::new())
        );
        assert!(
            serde_json::from_str::<JobRequest>(
                r#"{"domain":2000,"kind":"execute","calldata":"0x","to":"0x00"}"#
            )
            .is_err(),
            "unknown fields are refused"
        );
        assert!(serde_json::from_str::<JobRequest>(
            r#"{"domain":2000,"kind":"call","calldata":"0x"}"#
        )
        .is_err());

        let view = JobView {
            job_id: B256::repeat_byte(1),
            domain: Domain(2000),
            kind: JobKind::Execute,
            state: JobState::Failed,
            tx_hash: None,
            block: None,
            reason: Some("InvalidTransferStatus".into()),
        };
        let json = serde_json::to_value(&view).expect("serializes");
        assert_eq!(json["state"], "failed");
        assert_eq!(json["kind"], "execute");
        assert_eq!(json["tx_hash"], serde_json::Value::Null);
        assert_eq!(
            serde_json::from_value::<JobView>(json).expect("parses back"),
            view
        );
    }

    #[test]
    fn error_codes_are_snake_case_and_unknown_ones_still_parse() {
        let error = ApiError::new(ErrorCode::UnsupportedCall, "not Connext.execute");
        assert_eq!(
            serde_json::to_string(&error).expect("serializes"),
            r#"{"error":"unsupported_call","message":"not Connext.execute"}"#
        );
        assert_eq!(error.to_string(), "unsupported_call: not Connext.execute");
        let newer: ApiError =
            serde_json::from_str(r#"{"error":"rate_limited","message":"slow down"}"#)
                .expect("parses");
        assert_eq!(newer.error, ErrorCode::Other);
        for code in [
            ErrorCode::Malformed,
            ErrorCode::UnsupportedCall,
            ErrorCode::UnknownDomain,
            ErrorCode::UnknownJob,
            ErrorCode::Internal,
            ErrorCode::Other,
        ] {
            assert_eq!(
                serde_json::to_value(code).expect("serializes"),
                code.as_str()
            );
        }
        assert_eq!(ErrorCode::UnknownDomain.status(), StatusCode::BAD_REQUEST);
        assert_eq!(ErrorCode::UnknownJob.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_base_url_must_take_paths() {
        let mailto: Url = "mailto:relayer@example.org".parse().expect("url");
        assert!(matches!(
            RelayerClient::new(mailto),
            Err(RelayerClientError::BadUrl(_))
        ));
        let client =
            RelayerClient::new("http://127.0.0.1:8080".parse().expect("url")).expect("base");
        assert_eq!(
            client.url(JOBS_PATH).expect("joins").as_str(),
            "http://127.0.0.1:8080/v1/jobs"
        );
    }
}
