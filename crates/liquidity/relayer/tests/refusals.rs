//! Every refusal of the job API, over HTTP, against a relayer serving real chains: each answers
//! the documented status and error code, records no job and sends nothing.

mod common;

use alloy::{
    primitives::{Bytes, B256},
    sol_types::SolCall,
};
use common::{process, Net, HOME, REMOTE};
use nxtp_api::{
    relayer::{ApiError, ErrorCode, JobRequest, RelayerClientError},
    Classify,
};
use nxtp_bindings::Connext;
use nxtp_devnet::Role;
use nxtp_primitives::Domain;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_typed_and_leaves_no_trace() {
    let net = Net::start().await;
    let (relayer, client) = net.relayer("relayer.sqlite");
    let base = format!("http://{}", relayer.addr());
    let http = reqwest::Client::new();
    let sent_before = [
        net.sent_txs(HOME, Role::Relayer).await,
        net.sent_txs(REMOTE, Role::Relayer).await,
    ];

    // Bodies that are not job requests, posted as raw JSON.
    let malformed = [
        "not json",
        r#"{"domain":2000,"kind":"execute"}"#,
        r#"{"domain":2000,"kind":"transfer","calldata":"0x"}"#,
        r#"{"domain":2000,"kind":"execute","calldata":"0x","target":"0x01"}"#,
        r#"{"domain":2000,"kind":"process","calldata":"0x"}"#,
        r#"{"domain":2000,"kind":"execute","origin":1000,"calldata":"0x"}"#,
        r#"{"domain":-1,"kind":"execute","calldata":"0x"}"#,
    ];
    for body in malformed {
        let response = http
            .post(format!("{base}/v1/jobs"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 400, "{body}");
        let error: ApiError = response.json().await.expect("an API error");
        assert_eq!(error.error, ErrorCode::Malformed, "{body}: {error}");
    }

    // What the shared HTTP server refuses itself, in the same JSON shape: an unknown path, a
    // wrong method, a body over the job API's 512 KiB.
    let too_large = format!(
        r#"{{"domain":2000,"kind":"execute","calldata":"0x{}"}}"#,
        "00".repeat(300 * 1024)
    );
    for (request, status, code) in [
        (http.get(format!("{base}/v1/nothing")), 404, "not_found"),
        (
            http.delete(format!("{base}/v1/jobs")),
            405,
            "method_not_allowed",
        ),
        (
            http.post(format!("{base}/v1/jobs")).body(too_large),
            413,
            "payload_too_large",
        ),
    ] {
        let response = request.send().await.expect("answers");
        assert_eq!(response.status(), status, "{code}");
        let body: serde_json::Value = response.json().await.expect("a JSON error");
        assert_eq!(body["error"], code, "{body}");
    }

    // Well-formed requests the relayer will not serve, through the client.
    let transfer_status = Connext::transferStatusCall {
        transferId: B256::ZERO,
    }
    .abi_encode();
    let message = Bytes::from_static(b"a message");
    let mut trailing = process(&message).to_vec();
    trailing.push(0);
    let refused = [
        (
            JobRequest::execute(Domain(3000), Bytes::new()),
            ErrorCode::UnknownDomain,
        ),
        (
            JobRequest::process(Domain(REMOTE), Domain(3000), process(&message)),
            ErrorCode::UnknownDomain,
        ),
        (
            JobRequest::process(Domain(REMOTE), Domain(REMOTE), process(&message)),
            ErrorCode::UnknownDomain,
        ),
        (
            JobRequest::execute(Domain(REMOTE), transfer_status.into()),
            ErrorCode::UnsupportedCall,
        ),
        (
            JobRequest::execute(Domain(REMOTE), process(&message)),
            ErrorCode::UnsupportedCall,
        ),
        (
            JobRequest::process(Domain(REMOTE), Domain(HOME), trailing.into()),
            ErrorCode::UnsupportedCall,
        ),
        (
            JobRequest::execute(Domain(REMOTE), Bytes::new()),
            ErrorCode::UnsupportedCall,
        ),
    ];
    for (request, code) in refused {
        let err = client.submit(&request).await.expect_err("refused");
        assert_eq!(err.code(), Some(code), "{request:?}: {err}");
        assert!(
            matches!(err, RelayerClientError::Rejected { status: 400, .. }),
            "{err}"
        );
        assert!(err.is_fatal());
    }

    // Reading jobs: a bad id, a bad wait, an unknown job.
    for path in ["/v1/jobs/0x1234", "/v1/jobs/latest"] {
        let response = http
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 400, "{path}");
        let error: ApiError = response.json().await.expect("an API error");
        assert_eq!(error.error, ErrorCode::Malformed);
    }
    let unknown = B256::repeat_byte(0x42);
    for query in ["?wait_ms=soon", "?timeout=5"] {
        let response = http
            .get(format!("{base}/v1/jobs/{unknown}{query}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 400, "{query}");
    }
    let response = http
        .get(format!("{base}/v1/jobs/{unknown}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 404);
    let error: ApiError = response.json().await.expect("an API error");
    assert_eq!(error.error, ErrorCode::UnknownJob);
    assert_eq!(client.job(unknown).await.expect("answers"), None);
    let err = client
        .wait(unknown, Duration::from_secs(1))
        .await
        .expect_err("unknown");
    assert_eq!(err.code(), Some(ErrorCode::UnknownJob));

    // Nothing was recorded or sent; every refusal was counted by its code.
    let would_be = nxtp_api::relayer::job_id(
        Domain(REMOTE),
        net.connext(REMOTE),
        &Connext::transferStatusCall {
            transferId: B256::ZERO,
        }
        .abi_encode(),
    );
    assert_eq!(client.job(would_be).await.expect("answers"), None);
    assert_eq!(
        [
            net.sent_txs(HOME, Role::Relayer).await,
            net.sent_txs(REMOTE, Role::Relayer).await,
        ],
        sent_before
    );
    for (code, count) in [
        ("malformed", 7),
        ("unknown_domain", 3),
        ("unsupported_call", 4),
    ] {
        assert_eq!(
            relayer.counter("nxtp_relayer_jobs_refused_total", &[("code", code)]),
            count,
            "{code}"
        );
    }
    assert_eq!(relayer.health.status(), nxtp_agent::HealthStatus::Healthy);
    relayer.stop().await;
}
