//! The job API over HTTP (see `nxtp_api::relayer` for the wire format). Bodies are parsed here
//! rather than by axum's extractors, so every refusal is an `ApiError` in the API's JSON.

use crate::jobs::Jobs;
use axum::{
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use nxtp_api::relayer::{ApiError, ErrorCode, JobAccepted, JobRequest, JOBS_PATH, MAX_WAIT_MS};
use std::{sync::Arc, time::Duration};

/// The API's routes over `jobs`.
pub fn router(jobs: Arc<Jobs>) -> Router {
    Router::new()
        .route(JOBS_PATH, post(submit))
        .route(&format!("{JOBS_PATH}/{{id}}"), get(view))
        .with_state(jobs)
}

/// An [`ApiError`] answered with its code's status.
struct Refusal(ApiError);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0.error.status(), Json(self.0)).into_response()
    }
}

fn malformed(message: impl Into<String>) -> Refusal {
    Refusal(ApiError::new(ErrorCode::Malformed, message))
}

async fn submit(State(jobs): State<Arc<Jobs>>, body: Bytes) -> Result<Response, Refusal> {
    let request = JobRequest::from_json(&body).map_err(|err| {
        jobs.metrics().refused(err.error);
        Refusal(err)
    })?;
    match jobs.accept(request).await {
        Ok(accepted) => Ok((
            StatusCode::ACCEPTED,
            Json(JobAccepted {
                job_id: accepted.id(),
            }),
        )
            .into_response()),
        Err(err) => {
            let error = err.to_api();
            if error.error == ErrorCode::Internal {
                tracing::error!(error = %err, "cannot accept a job");
            }
            Err(Refusal(error))
        }
    }
}

async fn view(
    State(jobs): State<Arc<Jobs>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let id = id
        .parse()
        .map_err(|_| malformed(format!("job id {id:?} is not 32 bytes of 0x-hex")))?;
    let wait = wait_of(query.as_deref())?;
    match jobs.view(id, wait).await {
        Ok(Some(view)) => Ok(Json(view).into_response()),
        Ok(None) => Err(Refusal(ApiError::new(
            ErrorCode::UnknownJob,
            format!("no job {id}"),
        ))),
        Err(err) => {
            tracing::error!(error = %err, job = %id, "cannot read a job");
            Err(Refusal(err.to_api()))
        }
    }
}

/// The `wait_ms` of a query string, capped at [`MAX_WAIT_MS`]; other parameters are refused.
fn wait_of(query: Option<&str>) -> Result<Option<Duration>, Refusal> {
    let Some(query) = query.filter(|query| !query.is_empty()) else {
        return Ok(None);
    };
    let mut wait = None;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "wait_ms" {
            return Err(malformed(format!("unknown query parameter {name:?}")));
        }
        let ms: u64 = value
            .parse()
            .map_err(|_| malformed(format!("wait_ms {value:?} is not a number of milliseconds")))?;
        wait = Some(Duration::from_millis(ms.min(MAX_WAIT_MS)));
    }
    Ok(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_is_optional_capped_and_the_only_parameter() {
        assert_eq!(wait_of(None).ok(), Some(None));
        assert_eq!(wait_of(Some("")).ok(), Some(None));
        assert_eq!(
            wait_of(Some("wait_ms=250")).ok(),
            Some(Some(Duration::from_millis(250)))
        );
        assert_eq!(
            wait_of(Some("wait_ms=999999999")).ok(),
            Some(Some(Duration::from_millis(MAX_WAIT_MS)))
        );
        for bad in ["wait_ms=soon", "wait_ms", "timeout=5", "wait_ms=1&x=2"] {
            let refusal = wait_of(Some(bad)).expect_err(bad);
            assert_eq!(refusal.0.error, ErrorCode::Malformed, "{bad}");
        }
    }
}
