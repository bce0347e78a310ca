//! Webhook subscriptions: a target URL, a filter on the transfers it wants (by sender,
//! recipient, router or transfer id; every given field must match, none given matches every
//! transfer) and the secret its deliveries are signed with. Created from a
//! [`SubscriptionRequest`] (checked here, so the API answers a typed 4xx) and kept in the
//! `webhook_subscriptions` table.

use crate::store::{Exec, StoreError, Value};
use alloy::primitives::{Address, B256};
use nxtp_primitives::parse_checked_address;
use rand::RngCore;
use serde::Serialize;

/// The shortest secret a subscriber may supply (characters).
pub const MIN_SECRET_LEN: usize = 16;

/// The longest secret a subscriber may supply (characters).
pub const MAX_SECRET_LEN: usize = 256;

/// The longest target URL (characters).
pub const MAX_URL_LEN: usize = 2_048;

/// Which transfers a subscription wants; `None` fields match every transfer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SubscriptionFilter {
    /// The `xcall`'s sender.
    pub sender: Option<Address>,
    /// The recipient on the destination.
    pub recipient: Option<Address>,
    /// A router that fronted the transfer.
    pub router: Option<Address>,
    /// One transfer.
    pub transfer_id: Option<B256>,
}

impl SubscriptionFilter {
    /// Whether a transfer with these fields matches (`routers`: those that fronted it).
    pub fn matches(
        &self,
        transfer_id: B256,
        sender: Option<Address>,
        recipient: Option<Address>,
        routers: &[Address],
    ) -> bool {
        self.transfer_id.is_none_or(|id| id == transfer_id)
            && self.sender.is_none_or(|wanted| sender == Some(wanted))
            && self
                .recipient
                .is_none_or(|wanted| recipient == Some(wanted))
            && self.router.is_none_or(|wanted| routers.contains(&wanted))
    }
}

/// A stored subscription, as the API lists it (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// Its id, `sub_` and 32 hex digits.
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Which transfers it wants.
    pub filter: SubscriptionFilter,
    /// When it was created (unix milliseconds).
    pub created_at: u64,
}

/// A subscription with the secret its deliveries are signed with.
#[derive(Clone, PartialEq, Eq)]
pub struct SubscriptionWithSecret {
    /// The subscription.
    pub subscription: Subscription,
    /// The HMAC key (its UTF-8 bytes).
    pub secret: String,
}

impl std::fmt::Debug for SubscriptionWithSecret {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionWithSecret")
            .field("subscription", &self.subscription)
            .finish_non_exhaustive()
    }
}

/// Why a subscription request is refused; each maps to one API error code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// The body is not a JSON object of the known fields.
    #[error("{0}")]
    InvalidBody(String),
    /// The URL is not an absolute `http://` or `https://` URL with a host.
    #[error("url: {0}")]
    InvalidUrl(String),
    /// The operator does not allow deliveries to this host.
    #[error("url: {0}")]
    TargetNotAllowed(String),
    /// A filter is unknown or its value is not valid.
    #[error("filter: {0}")]
    InvalidFilter(String),
    /// A filter's address is malformed or fails its EIP-55 checksum.
    #[error("filter.{0}")]
    InvalidAddress(String),
    /// A supplied secret is too short, too long, or not printable ASCII.
    #[error("secret: {0}")]
    InvalidSecret(String),
}

/// A request to create a subscription, as the API reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRequest {
    /// Where to POST.
    pub url: String,
    /// Which transfers.
    pub filter: SubscriptionFilter,
    /// The secret to sign with; generated when not given.
    pub secret: Option<String>,
}

/// The host of an `http(s)://` URL, checked enough to be sent a request: a scheme, a host, no
/// credentials, no fragment, no whitespace.
pub fn url_host(url: &str) -> Result<String, SubscriptionError> {
    let invalid = |why: &str| Err(SubscriptionError::InvalidUrl(why.to_owned()));
    if url.len() > MAX_URL_LEN {
        return invalid("longer than 2048 characters");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("contains whitespace or control characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return invalid("not an absolute URL (http://host/... or https://host/...)");
    };
    match scheme.to_ascii_lowercase().as_str() {
        "http" => {}
        // The indexer's HTTP client carries no TLS stack (the workspace builds none): an https
        // target would never be delivered to, so it is refused at once rather than retried
        // forever. Operators put a TLS-terminating proxy in front of such receivers.
        "https" => {
            return invalid(
                "https targets are not supported by this build's HTTP client (no TLS); use an \
                 http:// URL on a trusted network or a TLS-terminating proxy",
            )
        }
        _ => return invalid("the scheme must be http"),
    }
    if url.contains('#') {
        return invalid("a fragment (#...) is not sent to the server");
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return invalid("credentials in the URL are not allowed");
    }
    // `[::1]:8080` or `host:8080`.
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return invalid("no host");
    }
    if let Some((_, port)) = authority
        .rsplit_once(':')
        .filter(|_| !authority.ends_with(']'))
    {
        if !port.is_empty() && !authority.starts_with('[') && port.parse::<u16>().is_err() {
            return invalid("the port is not a number from 0 to 65535");
        }
    }
    if reqwest::Url::parse(url).is_err() {
        return invalid("does not parse as a URL");
    }
    Ok(host.to_ascii_lowercase())
}

/// Whether `host` is allowed by the operator's list (empty: every host); an entry `example.com`
/// allows the host and its subdomains.
pub fn host_allowed(allowed: &[String], host: &str) -> bool {
    allowed.is_empty()
        || allowed.iter().any(|entry| {
            let entry = entry.trim().trim_start_matches('.').to_ascii_lowercase();
            host == entry || host.ends_with(&format!(".{entry}"))
        })
}

impl SubscriptionRequest {
    /// Reads a request body: `{"url": ..., "filter": {"sender"|"recipient"|"router"|
    /// "transfer_id": ...}, "secret": ...}`; `filter` and `secret` are optional.
    pub fn parse(body: &[u8], allowed_hosts: &[String]) -> Result<Self, SubscriptionError> {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|err| SubscriptionError::InvalidBody(format!("not JSON: {err}")))?;
        let serde_json::Value::Object(fields) = value else {
            return Err(SubscriptionError::InvalidBody(
                "the body must be a JSON object".to_owned(),
            ));
        };
        let mut url = None;
        let mut filter = SubscriptionFilter::default();
        let mut secret = None;
        for (key, value) in fields {
            match key.as_str() {
                "url" => {
                    url = Some(
                        value
                            .as_str()
                            .ok_or_else(|| {
                                SubscriptionError::InvalidUrl("must be a string".to_owned())
                            })?
                            .to_owned(),
                    );
                }
                "filter" => filter = parse_filter(value)?,
                "secret" => match value {
                    serde_json::Value::Null => {}
                    serde_json::Value::String(text) => secret = Some(check_secret(text)?),
                    _ => {
                        return Err(SubscriptionError::InvalidSecret(
                            "must be a string".to_owned(),
                        ))
                    }
                },
                other => {
                    return Err(SubscriptionError::InvalidBody(format!(
                        "unknown field `{}` (known: url, filter, secret)",
                        other.chars().take(40).collect::<String>()
                    )))
                }
            }
        }
        let url = url.ok_or_else(|| SubscriptionError::InvalidUrl("missing".to_owned()))?;
        let host = url_host(&url)?;
        if !host_allowed(allowed_hosts, &host) {
            return Err(SubscriptionError::TargetNotAllowed(format!(
                "the operator does not allow deliveries to `{host}`"
            )));
        }
        Ok(Self {
            url,
            filter,
            secret,
        })
    }
}

fn parse_filter(value: serde_json::Value) -> Result<SubscriptionFilter, SubscriptionError> {
    let serde_json::Value::Object(fields) = value else {
        return Err(SubscriptionError::InvalidFilter(
            "must be an object of sender, recipient, router, transfer_id".to_owned(),
        ));
    };
    let mut filter = SubscriptionFilter::default();
    for (key, value) in fields {
        let text = value
            .as_str()
            .ok_or_else(|| SubscriptionError::InvalidFilter(format!("{key}: must be a string")))?;
        let address = |name: &str| {
            parse_checked_address(text)
                .map_err(|err| SubscriptionError::InvalidAddress(format!("{name}: {err}")))
        };
        match key.as_str() {
            "sender" => filter.sender = Some(address("sender")?),
            "recipient" => filter.recipient = Some(address("recipient")?),
            "router" => filter.router = Some(address("router")?),
            "transfer_id" => {
                filter.transfer_id = Some(parse_hash(text).ok_or_else(|| {
                    SubscriptionError::InvalidFilter(
                        "transfer_id: not 0x followed by 64 hex digits".to_owned(),
                    )
                })?);
            }
            other => {
                return Err(SubscriptionError::InvalidFilter(format!(
                    "unknown filter `{}` (known: sender, recipient, router, transfer_id)",
                    other.chars().take(40).collect::<String>()
                )))
            }
        }
    }
    Ok(filter)
}

fn parse_hash(text: &str) -> Option<B256> {
    let digits = text.strip_prefix("0x")?;
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    digits.parse().ok()
}

fn check_secret(secret: String) -> Result<String, SubscriptionError> {
    if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&secret.len()) {
        return Err(SubscriptionError::InvalidSecret(format!(
            "must be {MIN_SECRET_LEN} to {MAX_SECRET_LEN} characters"
        )));
    }
    if !secret.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SubscriptionError::InvalidSecret(
            "must be printable ASCII without spaces".to_owned(),
        ));
    }
    Ok(secret)
}

/// `prefix` and `bytes` random bytes in hex, from the OS's generator.
fn random_token(prefix: &str, bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    format!("{prefix}{}", alloy::hex::encode(buffer))
}

impl SubscriptionRequest {
    /// The subscription to store: a fresh id, and the supplied secret or a fresh one.
    pub fn into_subscription(self, now_ms: u64) -> SubscriptionWithSecret {
        SubscriptionWithSecret {
            subscription: Subscription {
                id: random_token("sub_", 16),
                url: self.url,
                filter: self.filter,
                created_at: now_ms,
            },
            secret: self.secret.unwrap_or_else(|| random_token("whsec_", 32)),
        }
    }
}

/// Lower-case `0x` hex, as every table stores addresses and hashes.
fn text_of<T: AsRef<[u8]>>(value: Option<T>) -> Value {
    value.map_or(Value::Null, |value| {
        Value::Text(alloy::hex::encode_prefixed(value))
    })
}

/// Stores `subscription`.
pub(crate) fn insert(db: &mut dyn Exec, new: &SubscriptionWithSecret) -> Result<(), StoreError> {
    let subscription = &new.subscription;
    let filter = &subscription.filter;
    db.execute(
        "INSERT INTO webhook_subscriptions (id, url, secret, sender, recipient, router,
            transfer_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            subscription.id.as_str().into(),
            subscription.url.as_str().into(),
            new.secret.as_str().into(),
            text_of(filter.sender),
            text_of(filter.recipient),
            text_of(filter.router),
            text_of(filter.transfer_id),
            subscription.created_at.into(),
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "id, url, secret, sender, recipient, router, transfer_id, created_at";

fn parse_row(values: &[Value]) -> Result<SubscriptionWithSecret, StoreError> {
    let text = |index: usize| values.get(index).and_then(Value::text);
    let corrupt = |what: &str| StoreError::Corrupt(format!("webhook subscription: {what}"));
    let parsed = |index: usize, name: &str| -> Result<Option<Address>, StoreError> {
        text(index)
            .map(|text| text.parse().map_err(|_| corrupt(name)))
            .transpose()
    };
    Ok(SubscriptionWithSecret {
        subscription: Subscription {
            id: text(0).ok_or_else(|| corrupt("id"))?.to_owned(),
            url: text(1).ok_or_else(|| corrupt("url"))?.to_owned(),
            filter: SubscriptionFilter {
                sender: parsed(3, "sender")?,
                recipient: parsed(4, "recipient")?,
                router: parsed(5, "router")?,
                transfer_id: text(6)
                    .map(|text| text.parse().map_err(|_| corrupt("transfer_id")))
                    .transpose()?,
            },
            created_at: values
                .get(7)
                .and_then(Value::int)
                .and_then(|at| u64::try_from(at).ok())
                .ok_or_else(|| corrupt("created_at"))?,
        },
        secret: text(2).ok_or_else(|| corrupt("secret"))?.to_owned(),
    })
}

/// Every subscription, oldest first.
pub(crate) fn all(db: &mut dyn Exec) -> Result<Vec<SubscriptionWithSecret>, StoreError> {
    db.query(
        &format!("SELECT {COLUMNS} FROM webhook_subscriptions ORDER BY created_at, id"),
        &[],
    )?
    .iter()
    .map(|values| parse_row(values))
    .collect()
}

/// One subscription.
pub(crate) fn one(
    db: &mut dyn Exec,
    id: &str,
) -> Result<Option<SubscriptionWithSecret>, StoreError> {
    db.query(
        &format!("SELECT {COLUMNS} FROM webhook_subscriptions WHERE id = $1"),
        &[id.into()],
    )?
    .first()
    .map(|values| parse_row(values))
    .transpose()
}

/// Deletes a subscription with its pending deliveries; whether it existed.
pub(crate) fn delete(db: &mut dyn Exec, id: &str) -> Result<bool, StoreError> {
    db.execute(
        "DELETE FROM webhook_outbox WHERE subscription_id = $1",
        &[id.into()],
    )?;
    db.execute(
        "DELETE FROM webhook_transfer_state WHERE subscription_id = $1",
        &[id.into()],
    )?;
    Ok(db.execute(
        "DELETE FROM webhook_subscriptions WHERE id = $1",
        &[id.into()],
    )? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_http_and_a_host() {
        assert_eq!(
            url_host("http://127.0.0.1:8080/hook").as_deref(),
            Ok("127.0.0.1")
        );
        assert_eq!(url_host("http://[::1]:80/x?y=1").as_deref(), Ok("::1"));
        assert_eq!(url_host("HTTP://Example.com").as_deref(), Ok("example.com"));
        for bad in [
            "ftp://example.com",
            "example.com/hook",
            "http://",
            "http://user:pw@example.com/",
            "http://example.com/a b",
            "http://example.com:99999/",
            "http://example.com/#frag",
            "https://example.com/hook",
        ] {
            assert!(
                matches!(url_host(bad), Err(SubscriptionError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn allowed_hosts_match_subdomains_only() {
        let allowed = vec!["example.com".to_owned()];
        assert!(host_allowed(&allowed, "example.com"));
        assert!(host_allowed(&allowed, "hooks.example.com"));
        assert!(!host_allowed(&allowed, "badexample.com"));
        assert!(host_allowed(&[], "anything"));
    }

    #[test]
    fn requests_are_read_strictly() {
        let ok = SubscriptionRequest::parse(
            br#"{"url":"http://127.0.0.1:9/h","filter":{"sender":"0x5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"}}"#,
            &[],
        )
        .expect("valid");
        assert_eq!(ok.filter.sender, Some(Address::repeat_byte(0x5e)));
        assert_eq!(ok.secret, None);
        let refused =
            |body: &str| SubscriptionRequest::parse(body.as_bytes(), &[]).expect_err("refused");
        assert!(matches!(refused("[]"), SubscriptionError::InvalidBody(_)));
        assert!(matches!(refused("{"), SubscriptionError::InvalidBody(_)));
        assert!(matches!(
            refused(r#"{"url":"http://h/","extra":1}"#),
            SubscriptionError::InvalidBody(_)
        ));
        assert!(matches!(refused("{}"), SubscriptionError::InvalidUrl(_)));
        assert!(matches!(
            refused(r#"{"url":"http://h/","filter":{"asset":"0x00"}}"#),
            SubscriptionError::InvalidFilter(_)
        ));
        assert!(matches!(
            refused(r#"{"url":"http://h/","filter":{"router":"0x12"}}"#),
            SubscriptionError::InvalidAddress(_)
        ));
        assert!(matches!(
            refused(r#"{"url":"http://h/","secret":"short"}"#),
            SubscriptionError::InvalidSecret(_)
        ));
        assert!(matches!(
            SubscriptionRequest::parse(br#"{"url":"http://evil.org/"}"#, &["example.com".into()])
                .expect_err("refused"),
            SubscriptionError::TargetNotAllowed(_)
        ));
    }

    #[test]
    fn filters_match_every_given_field() {
        let id = B256::repeat_byte(1);
        let sender = Address::repeat_byte(2);
        let router = Address::repeat_byte(3);
        let everything = SubscriptionFilter::default();
        assert!(everything.matches(id, None, None, &[]));
        let by_sender = SubscriptionFilter {
            sender: Some(sender),
            ..SubscriptionFilter::default()
        };
        assert!(by_sender.matches(id, Some(sender), None, &[]));
        assert!(!by_sender.matches(id, None, None, &[]));
        let by_router = SubscriptionFilter {
            router: Some(router),
            transfer_id: Some(id),
            ..SubscriptionFilter::default()
        };
        assert!(by_router.matches(id, None, None, &[router]));
        assert!(!by_router.matches(B256::ZERO, None, None, &[router]));
        assert!(!by_router.matches(id, None, None, &[]));
    }
}
