//! What the watcher catches and what it does about it.
//!
//! Every signed update seen on any Home or Replica is remembered. Two kinds of fraud are proven:
//!
//! - an **improper update**: a Replica accepted a root the origin's Home never produced
//!   (`Home.checkpoints(root).produced == false`);
//! - a **double update**: the same key signed two different new roots over one old root.
//!
//! And one **threat** that is not the updater's fault:
//!
//! - an **unbacked root**: a Replica holds a root that the origin's Home produced when it was
//!   judged but no longer holds, after a reorg of the origin deeper than the finality its agents
//!   assume. Messages under that root may no longer exist on the origin (a transfer whose
//!   `xcall` is gone), yet the root ripens like any other. The response halts every Replica of
//!   the origin with notices; nothing is proven at the Home, since the updater signed a root the
//!   Home did produce (proving `improperUpdate` now would slash an honest bond for the chain's
//!   broken finality). See `watch` for when roots are judged again.
//!
//! For each origin caught, the response is one [`Target`] on the origin (the proof at its Home,
//! which fails it and slashes the updater) and one on every domain holding a Replica of it (a
//! signed notice to that domain's `ConnectionManager`, which halts the Replica at once). Each
//! target runs its own small state machine:
//!
//! ```text
//!                 ┌─ already done on chain (Home failed, Replica unenrolled, key no longer accountable) ─▶ Done
//! Due ──check─────┤
//!                 └─ submit attempt n (idempotent key) ─▶ InFlight ──confirmed──────────────▶ Done
//!                                                           │ reverted in simulation ─────▶ Done (refused)
//!                                                           └─ dropped / RPC / reverted on chain: backoff ─▶ Due
//! ```
//!
//! Targets are driven from the database, so after a restart each one resumes where it stood.

use alloy::primitives::{Address, Bytes, B256};
use nxtp_primitives::Domain;
use std::fmt;

/// One signed update, as seen in an `Update` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedUpdate {
    /// The domain whose Home the update is about.
    pub origin: Domain,
    /// The root it moves from.
    pub old_root: B256,
    /// The root it moves to.
    pub new_root: B256,
    /// The signature, as the event carried it.
    pub signature: Bytes,
    /// Who signed it.
    pub signer: Address,
}

/// Proof that an origin's updater signed fraud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// A signed root the Home never produced.
    Improper(SignedUpdate),
    /// Two different roots signed over one old root.
    Double {
        /// The update seen first.
        first: SignedUpdate,
        /// The conflicting one.
        second: SignedUpdate,
    },
    /// A root a Replica holds that the Home produced once but no longer holds (a reorg deeper
    /// than the origin's finality): a threat, not fraud; answered with notices only.
    Unbacked(SignedUpdate),
}

impl Evidence {
    /// `improper`, `double` or `unbacked`, as stored and in metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Improper(_) => "improper",
            Self::Double { .. } => "double",
            Self::Unbacked(_) => "unbacked",
        }
    }

    /// The key that signed the fraud.
    pub fn signer(&self) -> Address {
        match self {
            Self::Improper(update)
            | Self::Unbacked(update)
            | Self::Double { first: update, .. } => update.signer,
        }
    }

    /// The origin whose updater signed it.
    pub fn origin(&self) -> Domain {
        match self {
            Self::Improper(update)
            | Self::Unbacked(update)
            | Self::Double { first: update, .. } => update.origin,
        }
    }
}

/// A caught fraud, as stored: one per origin (the first caught; one is enough to fail the Home
/// and halt every Replica).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fraud {
    /// The proof.
    pub evidence: Evidence,
    /// Where it was noticed.
    pub detected_on: Domain,
}

/// Something to do about a fraud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// Prove the fraud at the origin's Home (`improperUpdate` or `doubleUpdate`).
    HomeProof,
    /// Halt the origin's Replica on `domain` with a signed notice.
    Notice {
        /// The domain holding the Replica.
        domain: Domain,
    },
    /// Halt the origin's Replica on `domain` with a signed notice, in answer to the unbacked
    /// root recorded as threat `threat`.
    ThreatNotice {
        /// The threat's number in the database.
        threat: u64,
        /// The domain holding the Replica.
        domain: Domain,
    },
}

impl Target {
    /// The name stored in the database: `home`, `notice-<domain>` or
    /// `threat-<number>-notice-<domain>`.
    pub fn name(self) -> String {
        match self {
            Self::HomeProof => "home".to_owned(),
            Self::Notice { domain } => format!("notice-{domain}"),
            Self::ThreatNotice { threat, domain } => format!("threat-{threat}-notice-{domain}"),
        }
    }

    /// The domain the target's transaction goes to.
    pub fn domain(self, origin: Domain) -> Domain {
        match self {
            Self::HomeProof => origin,
            Self::Notice { domain } | Self::ThreatNotice { domain, .. } => domain,
        }
    }

    /// The submitter key of attempt `attempt` of this target.
    pub fn submitter_key(self, origin: Domain, attempt: u32) -> String {
        format!("watcher/{origin}/{}/{attempt}", self.name())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HomeProof => f.write_str("fraud proof at the Home"),
            Self::Notice { domain } => write!(f, "notice on {domain}"),
            Self::ThreatNotice { threat, domain } => {
                write!(f, "notice on {domain} (unbacked root, threat {threat})")
            }
        }
    }
}

/// Why a target needs nothing more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Done {
    /// Our transaction was confirmed.
    Confirmed,
    /// The Home is already failed (by us before a restart, or by another watcher).
    HomeAlreadyFailed,
    /// No Replica of the origin is enrolled on the domain any more.
    ReplicaUnenrolled,
    /// The Replica now trusts another updater key and no longer holds the fraudulent one
    /// accountable (every root it signed is past its window): a notice naming it is refused.
    UpdaterRotated {
        /// The Replica's updater now.
        current: Address,
    },
    /// The contract refuses the call (it reverts in simulation), so sending it would only
    /// waste gas; the revert is logged.
    Refused {
        /// Why, with the revert decoded when possible.
        reason: String,
    },
}

/// Where a target stands after one look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetStatus {
    /// Nothing more to do.
    Done(Done),
    /// A transaction is on its way, or a retry waits for its backoff.
    InFlight,
}
