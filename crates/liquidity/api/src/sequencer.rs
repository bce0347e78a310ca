//! The sequencer API: quotes, bids in, auction state out (see `docs/liquidity-agents.md`).
//!
//! Amounts and fees travel as decimal strings of base units, hashes and addresses as 0x-hex. The
//! sequencer builds its responses from these types and [`SequencerClient`] parses them.

use alloy::primitives::{Address, Bytes, B256, U256};
use nxtp_primitives::{Classify, Domain};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt, time::Duration};

/// Upper bound on one request, so a hung sequencer surfaces as an error callers retry.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET /v1/quote`: the relayer fee a transfer from `origin` to `destination` must pay, in native
/// wei. The answer may also list the assets on `origin` the fee may be paid in
/// ([`QuoteWithFeeAssets`] reads them; this type ignores them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The origin domain asked about.
    pub origin: Domain,
    /// The destination domain asked about.
    pub destination: Domain,
    /// Native wei the transfer must have paid: the sum of its `TransferRelayerFeesIncreased` on
    /// `origin`, a native fee at its face value and a fee in one of the accepted assets
    /// ([`QuoteWithFeeAssets::fee_assets`]) at its rate (fees in other assets count zero).
    #[serde(with = "decimal")]
    pub relayer_fee: U256,
}

/// `GET /v1/quote` in full: the [`Quote`] and the tokens on its origin the sequencer accepts
/// relayer fees in. The same JSON object: `fee_assets` beside the quote's fields, left out when
/// empty (and absent from an older sequencer's answer): native fees only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteWithFeeAssets {
    /// The quote.
    #[serde(flatten)]
    pub quote: Quote,
    /// The accepted tokens on the quote's origin, with their value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_assets: Vec<QuotedFeeAsset>,
}

/// A token a relayer fee may be paid in ([`Quote::fee_assets`]): paying `amount` base units is
/// worth `amount * native_wei_per_token / 10^decimals` native wei, rounded down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedFeeAsset {
    /// The token on the origin (EIP-55 checksummed when mixed case).
    #[serde(with = "nxtp_primitives::checked")]
    pub asset: Address,
    /// Its decimals, as the token states them.
    pub decimals: u8,
    /// Native wei one whole token (`10^decimals` base units) is worth.
    #[serde(with = "decimal")]
    pub native_wei_per_token: U256,
}

impl QuotedFeeAsset {
    /// The base units of this token worth at least `native_wei` (rounded up), saturating: what
    /// a client pays to cover a quote in the token.
    pub fn amount_for(&self, native_wei: U256) -> U256 {
        if self.native_wei_per_token.is_zero() {
            return U256::MAX;
        }
        let Some(scale) = U256::from(10u8).checked_pow(U256::from(self.decimals)) else {
            return U256::MAX;
        };
        // ceil(native_wei * scale / rate), in 512 bits so the product cannot overflow.
        let product: alloy::primitives::U512 = native_wei.widening_mul(scale);
        let rate = alloy::primitives::U512::from(self.native_wei_per_token);
        let amount = product.div_ceil(rate);
        if amount > alloy::primitives::U512::from(U256::MAX) {
            U256::MAX
        } else {
            U256::from_limbs_slice(&amount.as_limbs()[..4])
        }
    }
}

/// `POST /v1/bids`: a router's signatures of the EIP-712 `RouterBid(transfer_id, n)` for each
/// path length `n` it offers to share the transfer in, made for the destination `Connext`
/// ([`nxtp_primitives::ConnextSigningDomain`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidRequest {
    /// The router bidding; every signature must recover to it. Mixed case must be EIP-55
    /// checksummed ([`nxtp_primitives::parse_checked_address`]).
    #[serde(with = "nxtp_primitives::checked")]
    pub router: Address,
    /// The transfer bid on.
    pub transfer_id: B256,
    /// The transfer's destination, as the router read it from `XCalled`: the `Connext` the
    /// signatures are for. Optional. The sequencer checks a bid on a transfer it has not seen
    /// yet against this destination only (otherwise against every one it serves), and refuses a
    /// bid naming another destination than the transfer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Domain>,
    /// EIP-712 signatures (65 bytes `r || s || v`), keyed by path length (JSON keys `"1"`,
    /// `"2"`, ...).
    pub signatures: BTreeMap<u32, Bytes>,
}

impl BidRequest {
    /// Decodes a `POST /v1/bids` body, exactly as the sequencer does: any failure (bad JSON, a
    /// missing or extra field, an address failing its EIP-55 checksum) is a `malformed` refusal.
    pub fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        serde_json::from_slice(body)
            .map_err(|err| ApiError::new(ErrorCode::Malformed, format!("not a bid request: {err}")))
    }
}

/// `202` answer to a bid: the bid is recorded (or was already), and where the transfer stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidAccepted {
    /// The transfer bid on.
    pub transfer_id: B256,
    /// Its state after the bid.
    pub state: TransferState,
}

/// Where a transfer's auction stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransferState {
    /// Bids are kept, but the sequencer has not seen the transfer's confirmed `XCalled` yet.
    AwaitingXcall,
    /// The native relayer fee paid is below the quote; a `bumpTransfer` can raise it.
    AwaitingFee {
        /// Native wei paid so far.
        #[serde(with = "decimal")]
        paid: U256,
        /// Native wei required.
        #[serde(with = "decimal")]
        quote: U256,
    },
    /// Valid bids are in; the auction decides once the window closes.
    Auction {
        /// When the window closes, unix milliseconds.
        closes_at: u64,
    },
    /// No combination of valid bids covers the amount with the routers' current balances yet.
    AwaitingLiquidity,
    /// Routers chosen and the execute job handed to the relayer.
    Sent {
        /// The chosen routers, in the order they sign and are debited.
        routers: Vec<Address>,
        /// The relayer's job id.
        job_id: B256,
    },
    /// The relayer confirmed the execute transaction.
    Executed {
        /// The transaction.
        tx_hash: B256,
    },
    /// The relayer could not execute; the transfer falls back to the slow path.
    ExecuteFailed {
        /// Why, as the relayer reported it.
        reason: String,
    },
    /// The auction closed without routers: no combination of bids covered the transfer before
    /// the slow path handled it on the destination, or for too long. It takes no more bids and
    /// completes by the slow path.
    SlowPath {
        /// Why the auction was closed.
        reason: String,
    },
}

impl TransferState {
    /// Whether routers were chosen, so the auction takes no more bids.
    pub fn is_decided(&self) -> bool {
        matches!(
            self,
            Self::Sent { .. } | Self::Executed { .. } | Self::ExecuteFailed { .. }
        )
    }
}

/// One router's bids on a transfer, as `GET /v1/transfers/<id>` lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterBids {
    /// The router.
    pub router: Address,
    /// The path lengths it signed, ascending.
    pub path_lengths: Vec<u32>,
}

/// `GET /v1/transfers/<id>`: everything the sequencer knows about one transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferView {
    /// The transfer.
    pub transfer_id: B256,
    /// Its origin, once its `XCalled` is seen.
    pub origin: Option<Domain>,
    /// Its destination, once its `XCalled` is seen.
    pub destination: Option<Domain>,
    /// Where it stands.
    pub state: TransferState,
    /// A sentence saying why it waits (or what happened), for people.
    pub reason: String,
    /// The valid bids received.
    pub bids: Vec<RouterBids>,
    /// The routers chosen, once decided.
    pub selected: Option<Vec<Address>>,
    /// The relayer job carrying the execute, once decided.
    pub relayer_job: Option<B256>,
}

/// One router's bidding as the sequencer saw it, in [`RouterActivityView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterActivity {
    /// The router.
    pub router: Address,
    /// When its newest bid arrived (unix milliseconds, the sequencer's clock).
    pub last_bid_ms: u64,
    /// How many transfers it has bid on (bids the sequencer still keeps).
    pub transfers_bid: u64,
}

/// `GET /v1/routers`: what the sequencer knows about routers' bidding, so a status service can
/// tell a router that stopped bidding from one with nothing to bid on. Read-only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterActivityView {
    /// The sequencer's clock when it answered (unix milliseconds): compare `last_bid_ms` to it,
    /// not to the reader's clock.
    pub now_ms: u64,
    /// When the newest auction opened (its first valid bid), if any did.
    pub last_auction_ms: Option<u64>,
    /// Transfers the sequencer has seen that no router has bid on yet and that are neither
    /// decided nor handed to the slow path: work routers are leaving undone.
    pub awaiting_bids: u64,
    /// Every router that has bid, by address.
    pub routers: Vec<RouterActivity>,
}

/// Machine-readable reason of a `4xx`/`5xx` answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A signature does not recover to the bid's router.
    InvalidSignature,
    /// A path length is zero, not a power of two, or above the destination's maximum.
    InvalidPathLength,
    /// The router is not approved on the transfer's destination.
    RouterNotApproved,
    /// The transfer's routers were already chosen.
    AuctionClosed,
    /// The request could not be parsed.
    Malformed,
    /// The sequencer knows nothing of the transfer.
    UnknownTransfer,
    /// The sequencer does not serve that domain.
    UnknownDomain,
    /// The sequencer could not check the request now (a chain or its database failed); retry.
    Unavailable,
    /// The router already holds bids on as many transfers the sequencer has not seen yet as it
    /// allows; retry once those are seen (or expire).
    TooManyEarlyBids,
    /// A code this client does not know (a newer sequencer).
    #[serde(other)]
    Other,
}

impl ErrorCode {
    /// The code as written on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidSignature => "invalid_signature",
            Self::InvalidPathLength => "invalid_path_length",
            Self::RouterNotApproved => "router_not_approved",
            Self::AuctionClosed => "auction_closed",
            Self::Malformed => "malformed",
            Self::UnknownTransfer => "unknown_transfer",
            Self::UnknownDomain => "unknown_domain",
            Self::Unavailable => "unavailable",
            Self::TooManyEarlyBids => "too_many_early_bids",
            Self::Other => "other",
        }
    }

    /// The HTTP status the sequencer answers with.
    pub const fn status(self) -> StatusCode {
        match self {
            Self::InvalidSignature | Self::InvalidPathLength | Self::Malformed => {
                StatusCode::BAD_REQUEST
            }
            Self::RouterNotApproved => StatusCode::FORBIDDEN,
            Self::UnknownTransfer | Self::UnknownDomain => StatusCode::NOT_FOUND,
            Self::AuctionClosed => StatusCode::CONFLICT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyEarlyBids => StatusCode::TOO_MANY_REQUESTS,
            Self::Other => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong.
    pub error: ErrorCode,
    /// Why, for people.
    pub message: String,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: code,
            message: message.into(),
        }
    }
}

/// Why a [`SequencerClient`] call failed.
#[derive(Debug, thiserror::Error)]
pub enum SequencerClientError {
    /// The sequencer could not be reached, or its answer not read.
    #[error("sequencer unreachable: {0}")]
    Transport(#[source] reqwest::Error),
    /// The sequencer refused the request.
    #[error("sequencer refused the request ({status} {code}): {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The sequencer's reason.
        code: ErrorCode,
        /// Its explanation.
        message: String,
    },
    /// The sequencer knows nothing of this transfer.
    #[error("the sequencer knows no transfer {0}")]
    UnknownTransfer(B256),
    /// The answer is not what the API defines (a proxy page, another service on the port).
    #[error("unexpected answer from the sequencer ({status}): {body}")]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
}

impl Classify for SequencerClientError {
    /// Whether sending the same request again later may succeed: the sequencer was unreachable,
    /// or said it could not check the request now.
    fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Rejected { code, .. } => {
                matches!(code, ErrorCode::Unavailable | ErrorCode::TooManyEarlyBids)
            }
            Self::UnexpectedResponse { status, .. } => *status >= 500,
            Self::UnknownTransfer(_) => false,
        }
    }
}

impl SequencerClientError {
    /// The sequencer's error code, when it refused the request.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Rejected { code, .. } => Some(*code),
            Self::UnknownTransfer(_) => Some(ErrorCode::UnknownTransfer),
            _ => None,
        }
    }
}

/// A client of one sequencer's HTTP API; clones share the connection pool.
#[derive(Clone, Debug)]
pub struct SequencerClient {
    http: reqwest::Client,
    base: Url,
}

impl SequencerClient {
    /// A client of the sequencer at `base` (e.g. `http://127.0.0.1:8090`), with a 10 s timeout
    /// per request.
    pub fn new(base: Url) -> Result<Self, SequencerClientError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(SequencerClientError::Transport)?;
        Ok(Self::with_client(http, base))
    }

    /// A client sending through `http` (its own timeouts and pool).
    pub fn with_client(http: reqwest::Client, base: Url) -> Self {
        Self { http, base }
    }

    /// The sequencer's address.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The native relayer fee a transfer from `origin` to `destination` must pay.
    pub async fn quote(
        &self,
        origin: Domain,
        destination: Domain,
    ) -> Result<Quote, SequencerClientError> {
        let url = self.url(&format!(
            "v1/quote?origin={origin}&destination={destination}"
        ));
        let response = self.http.get(url).send().await;
        read(response).await
    }

    /// The quote of a transfer from `origin` to `destination` with the assets on `origin` its
    /// relayer fee may be paid in (none from a sequencer that accepts native fees only).
    pub async fn quote_with_fee_assets(
        &self,
        origin: Domain,
        destination: Domain,
    ) -> Result<QuoteWithFeeAssets, SequencerClientError> {
        let url = self.url(&format!(
            "v1/quote?origin={origin}&destination={destination}"
        ));
        let response = self.http.get(url).send().await;
        read(response).await
    }

    /// Posts a bid; a repeated identical bid is acknowledged again without effect.
    pub async fn post_bid(&self, bid: &BidRequest) -> Result<BidAccepted, SequencerClientError> {
        let response = self.http.post(self.url("v1/bids")).json(bid).send().await;
        read(response).await
    }

    /// Everything the sequencer knows about `transfer_id`.
    pub async fn transfer(&self, transfer_id: B256) -> Result<TransferView, SequencerClientError> {
        let url = self.url(&format!("v1/transfers/{transfer_id}"));
        match read(self.http.get(url).send().await).await {
            Err(SequencerClientError::Rejected {
                code: ErrorCode::UnknownTransfer,
                ..
            }) => Err(SequencerClientError::UnknownTransfer(transfer_id)),
            other => other,
        }
    }

    /// Every router's bidding, as the sequencer saw it (`GET /v1/routers`).
    pub async fn routers(&self) -> Result<RouterActivityView, SequencerClientError> {
        read(self.http.get(self.url("v1/routers")).send().await).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base.as_str().trim_end_matches('/'))
    }
}

/// Parses a success body as `T`, and an error body as [`ApiError`].
async fn read<T: serde::de::DeserializeOwned>(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, SequencerClientError> {
    let response = response.map_err(|err| SequencerClientError::Transport(err.without_url()))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|err| SequencerClientError::Transport(err.without_url()))?;
    let unexpected = || SequencerClientError::UnexpectedResponse {
        status: status.as_u16(),
        body: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    };
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|_| unexpected());
    }
    match serde_json::from_slice::<ApiError>(&body) {
        Ok(error) => Err(SequencerClientError::Rejected {
            status: status.as_u16(),
            code: error.error,
            message: error.message,
        }),
        Err(_) => Err(unexpected()),
    }
}

/// `U256` as a decimal string, as the API writes amounts.
pub mod decimal {
    use alloy::primitives::U256;
    use serde::{de, Deserialize, Deserializer, Serializer};

    /// Writes `value` in decimal.
    pub fn serialize<S: Serializer>(value: &U256, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<U256, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(de::Error::custom(format!(
                "`{text}` is not a decimal amount"
            )));
        }
        U256::from_str_radix(&text, 10).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{
        extract::{Path, RawQuery},
        routing::{get, post},
        Json, Router,
    };
    use serde_json::json;

    #[test]
    fn a_quote_in_an_asset_rounds_up_and_saturates() {
        let usdc = QuotedFeeAsset {
            asset: Address::repeat_byte(0x11),
            decimals: 6,
            native_wei_per_token: U256::from(400_000_000_000_000u64),
        };
        // 0.001 ETH at 0.0004 ETH a token: 2.5 tokens.
        assert_eq!(
            usdc.amount_for(U256::from(1_000_000_000_000_000u64)),
            U256::from(2_500_000u64)
        );
        // One wei more needs one more unit (rounded up).
        assert_eq!(
            usdc.amount_for(U256::from(1_000_000_000_000_001u64)),
            U256::from(2_500_001u64)
        );
        assert_eq!(usdc.amount_for(U256::ZERO), U256::ZERO);
        let cheap = QuotedFeeAsset {
            decimals: 18,
            native_wei_per_token: U256::from(1),
            ..usdc
        };
        assert_eq!(cheap.amount_for(U256::MAX), U256::MAX, "saturates");
        let worthless = QuotedFeeAsset {
            native_wei_per_token: U256::ZERO,
            ..usdc
        };
        assert_eq!(worthless.amount_for(U256::from(1)), U256::MAX);
    }

    #[test]
    fn wire_shapes_match_the_documented_json() {
        let quote: Quote = serde_json::from_value(json!({
            "origin": 1000, "destination": 2000, "relayer_fee": "1000000000000000"
        }))
        .expect("quote");
        assert_eq!(quote.relayer_fee, U256::from(1_000_000_000_000_000u64));
        assert_eq!(
            serde_json::to_value(&quote).expect("serializes")["relayer_fee"],
            json!("1000000000000000")
        );
        let full: QuoteWithFeeAssets = serde_json::from_value(json!({
            "origin": 1000, "destination": 2000, "relayer_fee": "1000000000000000"
        }))
        .expect("an older sequencer's quote");
        assert_eq!(full.quote, quote);
        assert!(full.fee_assets.is_empty());
        assert_eq!(
            serde_json::to_value(&full).expect("serializes"),
            serde_json::to_value(&quote).expect("serializes"),
            "no assets: the quote's JSON as before"
        );
        let with_assets = json!({
            "origin": 1000, "destination": 2000, "relayer_fee": "1000000000000000",
            "fee_assets": [{
                "asset": "0x1111111111111111111111111111111111111111",
                "decimals": 6,
                "native_wei_per_token": "400000000000000"
            }]
        });
        let full: QuoteWithFeeAssets =
            serde_json::from_value(with_assets.clone()).expect("quote with assets");
        assert_eq!(full.quote, quote);
        assert_eq!(
            full.fee_assets,
            [QuotedFeeAsset {
                asset: Address::repeat_byte(0x11),
                decimals: 6,
                native_wei_per_token: U256::from(400_000_000_000_000u64),
            }]
        );
        assert_eq!(
            serde_json::to_value(&full).expect("serializes"),
            with_assets
        );
        let plain: Quote = serde_json::from_value(with_assets).expect("an older client");
        assert_eq!(plain, quote);

        let bid: BidRequest = serde_json::from_value(json!({
            "router": "0x1111111111111111111111111111111111111111",
            "transfer_id": format!("0x{}", "ab".repeat(32)),
            "signatures": {"1": "0x01", "2": "0x0203"}
        }))
        .expect("bid");
        assert_eq!(bid.signatures.keys().copied().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(
            bid.destination, None,
            "a bid without a destination, as before"
        );
        let serialized = serde_json::to_value(&bid).expect("serializes");
        assert_eq!(serialized["signatures"]["2"], json!("0x0203"));
        assert!(serialized.get("destination").is_none());
        let named: BidRequest = serde_json::from_value(json!({
            "router": "0x1111111111111111111111111111111111111111",
            "transfer_id": format!("0x{}", "ab".repeat(32)),
            "destination": 2000,
            "signatures": {"1": "0x01"}
        }))
        .expect("bid naming its destination");
        assert_eq!(named.destination, Some(Domain(2000)));
        assert_eq!(
            serde_json::to_value(&named).expect("serializes")["destination"],
            json!(2000)
        );

        let state = TransferState::AwaitingFee {
            paid: U256::from(5),
            quote: U256::from(7),
        };
        assert_eq!(
            serde_json::to_value(&state).expect("serializes"),
            json!({"kind": "awaiting_fee", "paid": "5", "quote": "7"})
        );
        let sent: TransferState = serde_json::from_value(json!({
            "kind": "sent",
            "routers": ["0x1111111111111111111111111111111111111111"],
            "job_id": format!("0x{}", "cd".repeat(32)),
        }))
        .expect("sent");
        assert!(sent.is_decided());
        let slow = TransferState::SlowPath {
            reason: "reconciled".to_owned(),
        };
        assert_eq!(
            serde_json::to_value(&slow).expect("serializes"),
            json!({"kind": "slow_path", "reason": "reconciled"})
        );
        assert!(!slow.is_decided(), "no routers were chosen");
        assert_eq!(
            serde_json::to_value(TransferState::AwaitingXcall).expect("serializes"),
            json!({"kind": "awaiting_xcall"})
        );

        let error: ApiError =
            serde_json::from_value(json!({"error": "auction_closed", "message": "decided"}))
                .expect("error");
        assert_eq!(error.error, ErrorCode::AuctionClosed);
        assert_eq!(error.error.status(), StatusCode::CONFLICT);
        let newer: ApiError =
            serde_json::from_value(json!({"error": "rate_limited", "message": "slow down"}))
                .expect("an unknown code still parses");
        assert_eq!(newer.error, ErrorCode::Other);
    }

    #[test]
    fn amounts_must_be_decimal_strings() {
        for bad in [
            json!("0x10"),
            json!(""),
            json!("-1"),
            json!(16),
            json!("1e3"),
        ] {
            let text = json!({"origin": 1, "destination": 2, "relayer_fee": bad});
            assert!(
                serde_json::from_value::<Quote>(text.clone()).is_err(),
                "{text}"
            );
        }
    }

    fn view(transfer_id: B256) -> TransferView {
        TransferView {
            transfer_id,
            origin: Some(Domain(1000)),
            destination: Some(Domain(2000)),
            state: TransferState::Auction { closes_at: 99 },
            reason: "the auction closes soon".to_owned(),
            bids: vec![RouterBids {
                router: Address::repeat_byte(1),
                path_lengths: vec![1, 2],
            }],
            selected: None,
            relayer_job: None,
        }
    }

    /// A stand-in sequencer: answers each route as the real one would for one known transfer.
    async fn serve() -> (SequencerClient, B256) {
        let known = B256::repeat_byte(0xaa);
        let app = Router::new()
            .route(
                "/v1/quote",
                get(|RawQuery(query): RawQuery| async move {
                    assert_eq!(query.as_deref(), Some("origin=1000&destination=2000"));
                    Json(Quote {
                        origin: Domain(1000),
                        destination: Domain(2000),
                        relayer_fee: U256::from(42),
                    })
                }),
            )
            .route(
                "/v1/bids",
                post(|Json(bid): Json<BidRequest>| async move {
                    if bid.signatures.contains_key(&3) {
                        let error =
                            ApiError::new(ErrorCode::InvalidPathLength, "3 is not a power of two");
                        return Err((StatusCode::BAD_REQUEST, Json(error)));
                    }
                    Ok((
                        StatusCode::ACCEPTED,
                        Json(BidAccepted {
                            transfer_id: bid.transfer_id,
                            state: TransferState::AwaitingXcall,
                        }),
                    ))
                }),
            )
            .route(
                "/v1/transfers/{id}",
                get(move |Path(id): Path<B256>| async move {
                    if id == known {
                        Ok(Json(view(id)))
                    } else {
                        let error = ApiError::new(ErrorCode::UnknownTransfer, "never seen");
                        Err((StatusCode::NOT_FOUND, Json(error)))
                    }
                }),
            )
            .route(
                "/v1/routers",
                get(|| async {
                    Json(RouterActivityView {
                        now_ms: 5_000,
                        last_auction_ms: Some(4_000),
                        awaiting_bids: 1,
                        routers: vec![RouterActivity {
                            router: Address::repeat_byte(1),
                            last_bid_ms: 3_000,
                            transfers_bid: 2,
                        }],
                    })
                }),
            )
            .route(
                "/teapot",
                get(|| async { (StatusCode::IM_A_TEAPOT, "short and stout") }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let base = format!("http://{addr}/").parse().expect("url");
        (SequencerClient::new(base).expect("client"), known)
    }

    #[tokio::test]
    async fn client_reads_answers_and_typed_refusals() {
        let (client, known) = serve().await;
        let quote = client
            .quote(Domain(1000), Domain(2000))
            .await
            .expect("quote");
        assert_eq!(quote.relayer_fee, U256::from(42));

        let mut bid = BidRequest {
            router: Address::repeat_byte(1),
            transfer_id: known,
            destination: None,
            signatures: BTreeMap::from([(1, Bytes::from_static(&[1]))]),
        };
        let accepted = client.post_bid(&bid).await.expect("accepted");
        assert_eq!(accepted.state, TransferState::AwaitingXcall);
        bid.signatures.insert(3, Bytes::from_static(&[3]));
        let refused = client.post_bid(&bid).await.expect_err("refused");
        assert_eq!(refused.code(), Some(ErrorCode::InvalidPathLength));
        assert!(refused.is_fatal());
        assert!(matches!(
            refused,
            SequencerClientError::Rejected { status: 400, .. }
        ));

        assert_eq!(client.transfer(known).await.expect("known"), view(known));
        let activity = client.routers().await.expect("routers");
        assert_eq!(activity.routers[0].transfers_bid, 2);
        assert_eq!(activity.last_auction_ms, Some(4_000));
        let unknown = B256::repeat_byte(0xbb);
        assert!(matches!(
            client.transfer(unknown).await,
            Err(SequencerClientError::UnknownTransfer(id)) if id == unknown
        ));

        let teapot =
            SequencerClient::new(format!("{}teapot", client.base_url()).parse().expect("url"))
                .expect("client");
        let err = teapot.post_bid(&bid).await.expect_err("not the API");
        assert!(
            matches!(err, SequencerClientError::UnexpectedResponse { .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_sequencer_is_a_transient_transport_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let addr = listener.local_addr().expect("address");
        drop(listener);
        let client =
            SequencerClient::new(format!("http://{addr}").parse().expect("url")).expect("client");
        let err = client
            .quote(Domain(1), Domain(2))
            .await
            .expect_err("nobody listens");
        assert!(matches!(err, SequencerClientError::Transport(_)));
        assert!(err.is_retryable());
    }
}
