//! A contract event an agent read from a chain but cannot use.

use nxtp_primitives::Domain;

/// An event that does not decode or fails its checks (see [`crate::XCalledError`]). Agents stop on
/// it rather than retry: the chain will serve the same log again, and skipping it could hide a
/// transfer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("domain {domain}: unreadable {event} event in block {block}: {reason}")]
pub struct BadEvent {
    /// The domain whose chain served it.
    pub domain: Domain,
    /// The event's name.
    pub event: &'static str,
    /// Its block.
    pub block: u64,
    /// What is wrong with it.
    pub reason: String,
}

impl BadEvent {
    /// `event` in `block` of `domain` could not be used, for `reason`.
    pub fn new(domain: Domain, event: &'static str, block: u64, reason: impl ToString) -> Self {
        Self {
            domain,
            event,
            block,
            reason: reason.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_domain_event_and_block() {
        let bad = BadEvent::new(Domain(1000), "XCalled", 7, "truncated");
        assert_eq!(
            bad.to_string(),
            "domain 1000: unreadable XCalled event in block 7: truncated"
        );
    }
}
