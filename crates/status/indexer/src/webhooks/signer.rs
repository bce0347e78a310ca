//! Webhook signatures: an HMAC-SHA256, keyed with the subscription's secret (its UTF-8 bytes),
//! over `"{timestamp}.{body}"`, where `timestamp` is the unix second the delivery was signed,
//! sent as [`TIMESTAMP_HEADER`], and the body is the request's exact bytes.
//!
//! A receiver verifies a delivery ([`verify`] does all of it):
//! 1. reads [`TIMESTAMP_HEADER`] and [`SIGNATURE_HEADER`] (`v1=<64 hex digits>`);
//! 2. computes the HMAC-SHA256 of `timestamp + "." + raw body` with its secret and compares it
//!    with the header's digits in constant time;
//! 3. refuses a timestamp further than a few minutes from its own clock (a replay);
//! 4. handles each [`IDEMPOTENCY_HEADER`] once: a retried delivery carries the same key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature, `v1=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-nxtp-signature";

/// The header carrying the unix second the delivery was signed.
pub const TIMESTAMP_HEADER: &str = "x-nxtp-timestamp";

/// The header carrying the event's id: the same on every retry of one event.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The signature scheme's prefix in [`SIGNATURE_HEADER`].
const VERSION: &str = "v1=";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: u64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The [`SIGNATURE_HEADER`] value of `body` signed at `timestamp` with `secret`.
pub fn sign(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("{VERSION}{}", alloy::hex::encode(digest))
}

/// Why a delivery's signature is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The timestamp header is not a unix second.
    #[error("the timestamp is not a number of seconds")]
    BadTimestamp,
    /// The timestamp is too far from the receiver's clock: a replay, or a wrong clock.
    #[error("the timestamp is {0} s away from now")]
    Stale(u64),
    /// The signature header is not `v1=` and 64 hex digits.
    #[error("the signature is not v1=<64 hex digits>")]
    Malformed,
    /// The signature does not match the body, timestamp and secret.
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a delivery as a receiver would: the headers' values, the raw body, the shared
/// secret, the receiver's clock (`now`, unix seconds) and how far apart it may be from the
/// timestamp (`tolerance`, seconds).
pub fn verify(
    secret: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: u64,
    tolerance: u64,
) -> Result<(), SignatureError> {
    let signed_at: u64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let skew = now.abs_diff(signed_at);
    if skew > tolerance {
        return Err(SignatureError::Stale(skew));
    }
    let digits = signature
        .trim()
        .strip_prefix(VERSION)
        .ok_or(SignatureError::Malformed)?;
    let expected = alloy::hex::decode(digits).map_err(|_| SignatureError::Malformed)?;
    if expected.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    // `verify_slice` compares in constant time.
    mac(secret, signed_at, body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_refuse_tampering() {
        let body = br#"{"event_id":"e"}"#;
        let signature = sign("whsec_test", 1_700_000_000, body);
        assert!(signature.starts_with("v1=") && signature.len() == 3 + 64);
        assert_eq!(
            verify(
                "whsec_test",
                "1700000000",
                &signature,
                body,
                1_700_000_010,
                300
            ),
            Ok(())
        );
        assert_eq!(
            verify("other", "1700000000", &signature, body, 1_700_000_000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                "whsec_test",
                "1700000001",
                &signature,
                body,
                1_700_000_000,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                "whsec_test",
                "1700000000",
                &signature,
                b"{}",
                1_700_000_000,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                "whsec_test",
                "1700000000",
                &signature,
                body,
                1_700_001_000,
                300
            ),
            Err(SignatureError::Stale(1_000))
        );
        assert_eq!(
            verify("whsec_test", "soon", &signature, body, 1_700_000_000, 300),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            verify(
                "whsec_test",
                "1700000000",
                "v1=zz",
                body,
                1_700_000_000,
                300
            ),
            Err(SignatureError::Malformed)
        );
    }

    /// A value computed independently (Python's `hmac.new(b"key", b"1.{}", sha256)`), so the
    /// scheme is the documented one and not only self-consistent.
    #[test]
    fn matches_a_reference_hmac() {
        assert_eq!(
            sign("key", 1, b"{}"),
            "v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }
}
