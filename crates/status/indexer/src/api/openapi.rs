//! The OpenAPI 3 document of the status API, written by hand next to the routes it describes;
//! a test checks that it lists every route the router serves.

use serde_json::{json, Value};

/// The routes served, as the document names them: `(method, path)`.
pub const ROUTES: [(&str, &str); 10] = [
    ("get", "/transfers"),
    ("get", "/transfers/{id}"),
    ("get", "/health"),
    ("get", "/openapi.json"),
    ("get", "/routers"),
    ("get", "/stats"),
    ("get", "/subscriptions"),
    ("post", "/subscriptions"),
    ("get", "/subscriptions/{id}"),
    ("delete", "/subscriptions/{id}"),
];

pub(crate) fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn address_param(name: &str, description: &str) -> Value {
    json!({
        "name": name, "in": "query", "required": false, "description": description,
        "schema": { "$ref": "#/components/schemas/Address" }
    })
}

fn domain_param(name: &str, description: &str) -> Value {
    json!({
        "name": name, "in": "query", "required": false, "description": description,
        "schema": { "type": "integer", "minimum": 1, "maximum": 4294967295u64 }
    })
}

/// The document served at `/openapi.json`.
pub fn document() -> Value {
    let mut document = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "nxtp status API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Transfers across every indexed domain: their stage, path, transactions, routers, amounts, fees and the slow path's messaging sub-stages. Errors are {\"error\": code, \"message\": why}."
        },
        "paths": {
            "/transfers/{id}": { "get": {
                "summary": "One transfer, by its id or by the hash of the transaction that xcalled it",
                "parameters": [{
                    "name": "id", "in": "path", "required": true,
                    "description": "A transfer id or an origin transaction hash",
                    "schema": { "$ref": "#/components/schemas/Hash" }
                }],
                "responses": {
                    "200": { "description": "The transfer", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Transfer" } } } },
                    "400": error_response("invalid_transfer_id"),
                    "404": error_response("not_found: not indexed (yet)"),
                    "503": error_response("unavailable: the database cannot answer")
                }
            }},
            "/transfers": { "get": {
                "summary": "Transfers, newest first, a page at a time",
                "parameters": [
                    address_param("sender", "The xcall's sender (EIP-55 checked when mixed case)"),
                    address_param("to", "The recipient"),
                    address_param("router", "A router that fronted it"),
                    { "name": "stage", "in": "query", "required": false, "schema": { "$ref": "#/components/schemas/Stage" } },
                    domain_param("origin", "The origin domain"),
                    domain_param("destination", "The destination domain"),
                    { "name": "cursor", "in": "query", "required": false, "description": "A next_cursor from the previous page", "schema": { "type": "string" } },
                    { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": super::MAX_LIMIT, "default": super::DEFAULT_LIMIT } }
                ],
                "responses": {
                    "200": { "description": "A page", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/TransferPage" } } } },
                    "400": error_response("invalid_address, invalid_filter, invalid_cursor or invalid_limit"),
                    "503": error_response("unavailable: the database cannot answer")
                }
            }},
            "/health": { "get": {
                "summary": "The indexer's health, backend and progress per domain",
                "responses": {
                    "200": { "description": "Healthy", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } },
                    "503": { "description": "Unhealthy (the reason says why)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } }
                }
            }},
            "/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "OpenAPI 3 document", "content": { "application/json": {} } } }
            }}
        },
        "components": { "schemas": schemas() }
    });
    crate::webhooks::api::document(&mut document);
    super::extras::document(&mut document);
    document
}

/// The document's schemas.
fn schemas() -> Value {
    let step = json!({
        "type": "object",
        "properties": {
            "domain": { "type": "integer" },
            "tx_hash": { "$ref": "#/components/schemas/Hash" },
            "block": { "type": "integer" },
            "timestamp": { "type": "integer", "description": "unix seconds" }
        },
        "required": ["domain", "tx_hash", "block", "timestamp"]
    });
    let root_step = json!({
        "allOf": [
            { "$ref": "#/components/schemas/Step" },
            { "type": "object", "properties": { "root": { "$ref": "#/components/schemas/Hash" } } }
        ]
    });
    let mut schemas = json!({
            "Hash": { "type": "string", "pattern": "^0x[0-9a-fA-F]{64}$" },
            "Address": { "type": "string", "pattern": "^0x[0-9a-fA-F]{40}$" },
            "Amount": { "type": "string", "pattern": "^[0-9]+$", "description": "decimal, base units" },
            "Stage": { "type": "string", "enum": ["XCalled", "Executed", "Reconciled", "CompletedFast", "CompletedSlow"] },
            "Path": { "type": "string", "enum": ["fast", "slow"], "nullable": true },
            "Error": {
                "type": "object",
                "properties": {
                    "error": { "type": "string", "enum": ["invalid_transfer_id", "invalid_address", "invalid_filter", "invalid_cursor", "invalid_limit", "not_found", "unavailable", "invalid_body", "invalid_url", "target_not_allowed", "invalid_secret", "unauthorized", "method_not_allowed", "payload_too_large", "request_timeout", "overloaded"] },
                    "message": { "type": "string" }
                },
                "required": ["error", "message"]
            },
            "Messaging": {
                "type": "object",
                "description": "The message's way: dispatched, checkpointed, signed on the Home, root relayed to the destination's Replica, acceptable at a time, processed",
                "properties": {
                    "message_hash": { "$ref": "#/components/schemas/Hash" },
                    "leaf_index": { "type": "integer", "nullable": true },
                    "dispatched": { "$ref": "#/components/schemas/Step" },
                    "checkpointed": { "$ref": "#/components/schemas/RootStep" },
                    "signed": { "$ref": "#/components/schemas/RootStep" },
                    "root_relayed": { "$ref": "#/components/schemas/RootStep" },
                    "acceptable_at": { "type": "integer", "nullable": true, "description": "unix seconds" },
                    "processed": { "$ref": "#/components/schemas/Step" },
                    "process_failed": { "type": "object", "nullable": true }
                }
            },
            "Waiting": {
                "type": "object",
                "properties": {
                    "reason": { "type": "string", "enum": ["AwaitingRouters", "AwaitingCheckpoint", "AwaitingRootRelay", "InFraudWindow", "AwaitingProcess", "ProcessReverted", "AwaitingSlowExecute", "ReplicaHalted", "HomeFailed", "AwaitingOriginIndex"] },
                    "remedy": { "type": "string" }
                }
            },
            "Transfer": {
                "type": "object",
                "properties": {
                    "transfer_id": { "$ref": "#/components/schemas/Hash" },
                    "stage": { "$ref": "#/components/schemas/Stage" },
                    "path": { "$ref": "#/components/schemas/Path" },
                    "origin": { "type": "integer" },
                    "destination": { "type": "integer" },
                    "sender": { "$ref": "#/components/schemas/Address" },
                    "to": { "$ref": "#/components/schemas/Address" },
                    "delegate": { "$ref": "#/components/schemas/Address" },
                    "asset": { "$ref": "#/components/schemas/Address" },
                    "amount": { "$ref": "#/components/schemas/Amount" },
                    "bridged_amount": { "$ref": "#/components/schemas/Amount" },
                    "delivered_amount": { "$ref": "#/components/schemas/Amount" },
                    "liquidity_fee": { "$ref": "#/components/schemas/Amount" },
                    "relayer_fees": { "type": "array", "items": { "type": "object", "properties": { "asset": { "$ref": "#/components/schemas/Address" }, "amount": { "$ref": "#/components/schemas/Amount" } } } },
                    "slippage": { "$ref": "#/components/schemas/Amount" },
                    "receive_local": { "type": "boolean", "nullable": true },
                    "routers": { "type": "array", "items": { "type": "object", "properties": { "router": { "$ref": "#/components/schemas/Address" }, "amount": { "$ref": "#/components/schemas/Amount" } } } },
                    "xcalled": { "$ref": "#/components/schemas/Step" },
                    "executed": { "$ref": "#/components/schemas/Step" },
                    "reconciled": { "$ref": "#/components/schemas/Step" },
                    "calldata": { "type": "object", "nullable": true, "properties": { "success": { "type": "boolean" }, "return_data": { "type": "string" } } },
                    "messaging": { "$ref": "#/components/schemas/Messaging" },
                    "eta": { "type": "integer", "nullable": true, "description": "unix seconds" },
                    "waiting": { "$ref": "#/components/schemas/Waiting" }
                },
                "required": ["transfer_id", "stage", "routers", "relayer_fees", "messaging"]
            },
            "TransferSummary": {
                "type": "object",
                "properties": {
                    "transfer_id": { "$ref": "#/components/schemas/Hash" },
                    "stage": { "$ref": "#/components/schemas/Stage" },
                    "path": { "$ref": "#/components/schemas/Path" },
                    "origin": { "type": "integer" },
                    "destination": { "type": "integer" },
                    "sender": { "$ref": "#/components/schemas/Address" },
                    "to": { "$ref": "#/components/schemas/Address" },
                    "bridged_amount": { "$ref": "#/components/schemas/Amount" },
                    "routers": { "type": "array", "items": { "$ref": "#/components/schemas/Address" } },
                    "xcalled": { "$ref": "#/components/schemas/Step" },
                    "updated_at": { "type": "integer", "nullable": true }
                }
            },
            "TransferPage": {
                "type": "object",
                "properties": {
                    "transfers": { "type": "array", "items": { "$ref": "#/components/schemas/TransferSummary" } },
                    "next_cursor": { "type": "string", "nullable": true }
                },
                "required": ["transfers", "next_cursor"]
            },
            "Health": {
                "type": "object",
                "properties": {
                    "status": { "type": "string", "enum": ["healthy", "unhealthy"] },
                    "reason": { "type": "string" },
                    "backend": { "type": "string", "enum": ["sqlite", "postgres"] },
                    "domains": { "type": "array", "items": { "type": "object", "properties": { "domain": { "type": "integer" }, "indexed_block": { "type": "integer", "nullable": true } } } }
                }
            }
    });
    schemas["Step"] = step;
    schemas["RootStep"] = root_step;
    schemas
}
