//! The subscription routes of the status API:
//!
//! - `POST /subscriptions` with `{"url": "http://...", "filter": {"sender": "0x..",
//!   "recipient": "0x..", "router": "0x..", "transfer_id": "0x.."}, "secret": "..."}`
//!   (`filter` and `secret` optional): `201` with the subscription and its `secret`, shown
//!   this once (the supplied one, or a generated `whsec_...`);
//! - `GET /subscriptions`: every subscription (never their secrets);
//! - `GET /subscriptions/{id}`, `DELETE /subscriptions/{id}` (`204`; its undelivered events
//!   are dropped).
//!
//! With `[webhooks] token` set, each needs `Authorization: Bearer <token>` (else `401
//! unauthorized`). Bad input is a typed 4xx: `invalid_body`, `invalid_url`,
//! `target_not_allowed`, `invalid_filter`, `invalid_address`, `invalid_secret`.

use super::subscriptions::{Subscription, SubscriptionError, SubscriptionRequest};
use crate::api::{on_store, ApiError, ApiState, ErrorCode};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use nxtp_agent::clock::now_ms;
use serde::Serialize;
use std::sync::Arc;

/// The subscription routes, for the API's router.
pub fn routes() -> Router<Arc<ApiState>> {
    Router::new()
        .route("/subscriptions", get(list).post(create))
        .route("/subscriptions/{id}", get(one).delete(remove))
}

/// A subscription as created: with its secret, shown this once.
#[derive(Clone, Debug, Serialize)]
pub struct CreatedSubscription {
    /// The subscription.
    #[serde(flatten)]
    pub subscription: Subscription,
    /// The secret deliveries are signed with.
    pub secret: String,
}

/// The list of subscriptions.
#[derive(Clone, Debug, Serialize)]
pub struct SubscriptionList {
    /// Oldest first.
    pub subscriptions: Vec<Subscription>,
}

impl From<SubscriptionError> for ApiError {
    fn from(err: SubscriptionError) -> Self {
        let code = match &err {
            SubscriptionError::InvalidBody(_) => ErrorCode::InvalidBody,
            SubscriptionError::InvalidUrl(_) => ErrorCode::InvalidUrl,
            SubscriptionError::TargetNotAllowed(_) => ErrorCode::TargetNotAllowed,
            SubscriptionError::InvalidFilter(_) => ErrorCode::InvalidFilter,
            SubscriptionError::InvalidAddress(_) => ErrorCode::InvalidAddress,
            SubscriptionError::InvalidSecret(_) => ErrorCode::InvalidSecret,
        };
        Self::new(code, err.to_string())
    }
}

/// Compares in time independent of where the texts differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// Refuses a request without the configured bearer token.
fn authorize(state: &ApiState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.webhooks.token else {
        return Ok(());
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if same_secret(given.as_bytes(), token.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Unauthorized,
            "the subscription routes need Authorization: Bearer <webhooks.token>",
        ))
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!(
            "no subscription `{}`",
            id.chars().take(70).collect::<String>()
        ),
    )
}

async fn create(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let request = SubscriptionRequest::parse(&body, &state.webhooks.allowed_hosts)?;
    let new = request.into_subscription(now_ms());
    let stored = new.clone();
    on_store(&state, move |store| {
        store.webhooks().create_subscription(&stored)
    })
    .await?;
    tracing::info!(id = %new.subscription.id, url = %new.subscription.url, "webhook subscription created");
    let created = CreatedSubscription {
        subscription: new.subscription,
        secret: new.secret,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn list(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
) -> Result<Json<SubscriptionList>, ApiError> {
    authorize(&state, &headers)?;
    let all = on_store(&state, |store| store.webhooks().subscriptions()).await?;
    Ok(Json(SubscriptionList {
        subscriptions: all.into_iter().map(|sub| sub.subscription).collect(),
    }))
}

async fn one(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Subscription>, ApiError> {
    authorize(&state, &headers)?;
    let key = id.clone();
    let found = on_store(&state, move |store| store.webhooks().subscription(&key)).await?;
    found
        .map(|sub| Json(sub.subscription))
        .ok_or_else(|| not_found(&id))
}

async fn remove(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    authorize(&state, &headers)?;
    let key = id.clone();
    if on_store(&state, move |store| {
        store.webhooks().delete_subscription(&key)
    })
    .await?
    {
        tracing::info!(%id, "webhook subscription deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

/// Adds the subscription routes and their schemas to the OpenAPI `document`.
pub fn document(document: &mut serde_json::Value) {
    use crate::api::openapi::error_response;
    use serde_json::json;
    let auth = "With [webhooks] token set: Authorization: Bearer <token>";
    let subscription_ref = json!({ "$ref": "#/components/schemas/Subscription" });
    let id_param = json!({
        "name": "id", "in": "path", "required": true, "schema": { "type": "string" },
        "description": "A subscription id (sub_...)"
    });
    document["paths"]["/subscriptions"] = json!({
        "get": {
            "summary": "Every webhook subscription (never their secrets)",
            "description": auth,
            "responses": {
                "200": { "description": "The subscriptions", "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "subscriptions": { "type": "array", "items": subscription_ref } }
                } } } },
                "401": error_response("unauthorized"),
                "503": error_response("unavailable: the database cannot answer")
            }
        },
        "post": {
            "summary": "Subscribes a URL to the stage changes and new waiting reasons of the transfers its filter matches",
            "description": format!("{auth}. Each delivery is a POST of a TransferEvent, signed: x-nxtp-signature = v1=hex(HMAC-SHA256(secret, x-nxtp-timestamp + \".\" + body)); idempotency-key is the event's id, the same on every retry."),
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SubscriptionRequest" } } } },
            "responses": {
                "201": { "description": "Created; the secret is shown this once", "content": { "application/json": { "schema": {
                    "allOf": [subscription_ref, { "type": "object", "properties": { "secret": { "type": "string" } }, "required": ["secret"] }]
                } } } },
                "400": error_response("invalid_body, invalid_url, target_not_allowed, invalid_filter, invalid_address or invalid_secret"),
                "401": error_response("unauthorized"),
                "503": error_response("unavailable: the database cannot answer")
            }
        }
    });
    document["paths"]["/subscriptions/{id}"] = json!({
        "get": {
            "summary": "One subscription",
            "description": auth,
            "parameters": [id_param],
            "responses": {
                "200": { "description": "The subscription", "content": { "application/json": { "schema": subscription_ref } } },
                "401": error_response("unauthorized"),
                "404": error_response("not_found"),
                "503": error_response("unavailable: the database cannot answer")
            }
        },
        "delete": {
            "summary": "Deletes a subscription and its undelivered events",
            "description": auth,
            "parameters": [id_param],
            "responses": {
                "204": { "description": "Deleted" },
                "401": error_response("unauthorized"),
                "404": error_response("not_found"),
                "503": error_response("unavailable: the database cannot answer")
            }
        }
    });
    let filter = json!({
        "type": "object",
        "description": "Every given field must match; none given matches every transfer",
        "properties": {
            "sender": { "$ref": "#/components/schemas/Address" },
            "recipient": { "$ref": "#/components/schemas/Address" },
            "router": { "$ref": "#/components/schemas/Address" },
            "transfer_id": { "$ref": "#/components/schemas/Hash" }
        },
        "additionalProperties": false
    });
    let schemas = &mut document["components"]["schemas"];
    schemas["SubscriptionRequest"] = json!({
        "type": "object",
        "properties": {
            "url": { "type": "string", "description": "An http:// URL (loopback allowed unless the operator restricts targets)" },
            "filter": filter,
            "secret": { "type": "string", "minLength": super::subscriptions::MIN_SECRET_LEN, "maxLength": super::subscriptions::MAX_SECRET_LEN, "description": "Printable ASCII; generated (whsec_...) when not given" }
        },
        "required": ["url"],
        "additionalProperties": false
    });
    schemas["Subscription"] = json!({
        "type": "object",
        "properties": {
            "id": { "type": "string" },
            "url": { "type": "string" },
            "filter": filter,
            "created_at": { "type": "integer", "description": "unix milliseconds" }
        },
        "required": ["id", "url", "filter", "created_at"]
    });
    schemas["TransferEvent"] = json!({
        "type": "object",
        "description": "The body of a webhook delivery",
        "properties": {
            "event_id": { "type": "string", "description": "Also the idempotency-key header" },
            "type": { "type": "string", "enum": ["transfer.updated"] },
            "subscription_id": { "type": "string" },
            "sequence": { "type": "integer", "description": "1, 2, ... per subscription and transfer, delivered in this order" },
            "created_at": { "type": "integer", "description": "unix milliseconds" },
            "changed": { "type": "array", "items": { "type": "string", "enum": ["stage", "waiting"] } },
            "previous": { "type": "object", "nullable": true, "properties": { "stage": { "$ref": "#/components/schemas/Stage" }, "waiting": { "type": "string", "nullable": true } } },
            "transfer": { "$ref": "#/components/schemas/Transfer" }
        },
        "required": ["event_id", "type", "subscription_id", "sequence", "created_at", "changed", "transfer"]
    });
}
