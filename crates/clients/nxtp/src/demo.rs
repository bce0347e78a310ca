//! The devnet's demo: three transfers that show each way through the system, sent as the `user` dev account
//! with the SDK, each followed to completion with its status progression and timings.
//!
//! - a fast transfer, fronted by a router within seconds and reconciled after the window;
//! - a transfer with calldata to the `DemoReceiver`, which forwards the funds to the user;
//! - a transfer too large for the routers' liquidity, completed by the slow path once reconciled.

use alloy::sol_types::SolValue;
use nxtp_devnet::liquidity::{demo_units, DEMO_RECEIVER, DEMO_SYMBOL};
use nxtp_sdk::{
    format_units, Address, AssetRef, Bytes, Domain, Manifest, PrivateKeySigner, Sdk, SdkError,
    Stage, Transition, Url, XcallRequest,
};
use std::{
    fmt,
    time::{Duration, SystemTime},
};

/// How long one demo transfer may take, window included, before the demo gives up on it.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(240);

/// One demo transfer: what it shows and what is sent.
struct DemoTransfer {
    name: &'static str,
    destination: Domain,
    whole_tokens: u64,
    to: Address,
    call_data: Bytes,
    expected: Stage,
}

/// Why the demo failed, naming the transfer.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The manifest lacks something the demo needs.
    #[error("the devnet cannot run the demo: {0}")]
    Unsupported(&'static str),
    /// The SDK could not be set up.
    #[error("cannot set up the SDK")]
    Sdk(#[source] SdkError),
    /// A transfer could not be sent.
    #[error("the {name} transfer could not be sent")]
    Send {
        /// Which demo transfer.
        name: &'static str,
        /// Why.
        #[source]
        source: SdkError,
    },
    /// A transfer did not complete as expected.
    #[error("the {name} transfer {outcome}")]
    Incomplete {
        /// Which demo transfer.
        name: &'static str,
        /// What happened instead.
        outcome: Outcome,
    },
}

/// How a demo transfer ended when it did not end as expected.
#[derive(Debug)]
pub enum Outcome {
    /// It was still at `stage` when the wait ended.
    Stuck {
        /// Where it stood.
        stage: String,
        /// Why it waits, if anyone said.
        why: String,
    },
    /// It completed, but not the expected way.
    Unexpected {
        /// The expected final stage.
        expected: Stage,
        /// The stage reached.
        reached: Stage,
    },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stuck { stage, why } => write!(f, "did not complete: {stage} ({why})"),
            Self::Unexpected { expected, reached } => {
                write!(f, "ended {reached}, expected {expected}")
            }
        }
    }
}

/// Runs the demo on the devnet described by `manifest`: sends the three transfers from the first domain,
/// then follows them together, printing each one's progress. Returns once all completed as expected.
pub async fn run(manifest: &Manifest) -> Result<(), DemoError> {
    let domains: Vec<Domain> = manifest.domains.keys().copied().collect();
    let [origin, first_remote, ..] = domains[..] else {
        return Err(DemoError::Unsupported("it needs at least two chains"));
    };
    let last_remote = *domains.last().unwrap_or(&first_remote);
    let services = manifest
        .services
        .as_ref()
        .ok_or(DemoError::Unsupported("no sequencer is running"))?;
    let sequencer: Url = services
        .sequencer_url
        .parse()
        .map_err(|_| DemoError::Unsupported("the sequencer URL is not a URL"))?;
    let key = manifest
        .dev_keys
        .get("user")
        .ok_or(DemoError::Unsupported("the manifest has no user key"))?;
    let user = PrivateKeySigner::from_bytes(key)
        .map_err(|_| DemoError::Unsupported("the user key is not a private key"))?;
    let receiver = manifest
        .domain(last_remote)
        .and_then(|deployment| deployment.contracts.get(DEMO_RECEIVER).copied())
        .ok_or(DemoError::Unsupported("no DemoReceiver is deployed"))?;
    let sdk = Sdk::from_manifest(manifest, Some(sequencer)).map_err(DemoError::Sdk)?;

    let transfers = [
        DemoTransfer {
            name: "fast",
            destination: first_remote,
            whole_tokens: 10,
            to: user.address(),
            call_data: Bytes::new(),
            expected: Stage::CompletedFast,
        },
        DemoTransfer {
            name: "calldata",
            destination: last_remote,
            whole_tokens: 5,
            to: receiver,
            call_data: (user.address(), format!("hello from domain {origin}"))
                .abi_encode_params()
                .into(),
            expected: Stage::CompletedFast,
        },
        DemoTransfer {
            name: "slow",
            destination: first_remote,
            // More than both routers hold on any domain together.
            whole_tokens: 5_000,
            to: user.address(),
            call_data: Bytes::new(),
            expected: Stage::CompletedSlow,
        },
    ];

    // Sent one after another (one account, one nonce sequence), then followed together.
    let mut sent = Vec::new();
    for transfer in &transfers {
        let amount = demo_units(transfer.whole_tokens);
        let mut request = XcallRequest::new(
            origin,
            transfer.destination,
            AssetRef::Symbol(DEMO_SYMBOL.to_owned()),
            amount,
            transfer.to,
        );
        request.call_data = transfer.call_data.clone();
        request.auto_approve = true;
        let receipt = sdk
            .xcall(&user, &request)
            .await
            .map_err(|source| DemoError::Send {
                name: transfer.name,
                source,
            })?;
        println!(
            "demo: {} transfer of {} DEMO {origin} -> {}{}: {}",
            transfer.name,
            format_units(amount, 18),
            transfer.destination,
            if transfer.call_data.is_empty() {
                String::new()
            } else {
                format!(" with calldata to the DemoReceiver at {}", transfer.to)
            },
            receipt.transfer_id
        );
        sent.push((transfer, receipt.transfer_id, SystemTime::now()));
    }

    let followed = futures::future::join_all(sent.iter().map(|&(transfer, id, sent_at)| {
        let sdk = &sdk;
        async move {
            let outcome = sdk
                .wait_for(id, transfer.expected, TRANSFER_TIMEOUT, |change| {
                    print_transition(transfer.name, sent_at, change)
                })
                .await;
            (transfer, outcome)
        }
    }))
    .await;

    let mut first_failure = None;
    for (transfer, outcome) in followed {
        let failure = match outcome {
            Ok(followed) if followed.report.stage == transfer.expected => None,
            Ok(followed) if followed.report.stage.is_final() => Some(Outcome::Unexpected {
                expected: transfer.expected,
                reached: followed.report.stage,
            }),
            Ok(followed) => Some(Outcome::Stuck {
                stage: followed.report.stage.to_string(),
                why: followed
                    .report
                    .waiting
                    .unwrap_or_else(|| "no reason given".to_owned()),
            }),
            Err(err) => Some(Outcome::Stuck {
                stage: "unknown".to_owned(),
                why: err.to_string(),
            }),
        };
        match failure {
            None => println!(
                "demo: {} transfer: {} as expected",
                transfer.name, transfer.expected
            ),
            Some(outcome) => {
                eprintln!("demo: {} transfer {outcome}", transfer.name);
                first_failure.get_or_insert(DemoError::Incomplete {
                    name: transfer.name,
                    outcome,
                });
            }
        }
    }
    match first_failure {
        None => Ok(()),
        Some(err) => Err(err),
    }
}

/// One line per change: the time since the transfer's `xcall` was confirmed, its stage, and why it waits.
fn print_transition(name: &str, sent_at: SystemTime, change: &Transition) {
    let why = change
        .waiting
        .as_deref()
        .map(|why| format!(" ({why})"))
        .unwrap_or_default();
    let since = change.at.duration_since(sent_at).unwrap_or_default();
    println!(
        "demo: {name:<8} +{:>6.1}s  {}{why}",
        since.as_secs_f64(),
        change.stage
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_say_what_happened() {
        let stuck = Outcome::Stuck {
            stage: "XCalled".to_owned(),
            why: "waiting for bids".to_owned(),
        };
        assert_eq!(
            stuck.to_string(),
            "did not complete: XCalled (waiting for bids)"
        );
        let unexpected = Outcome::Unexpected {
            expected: Stage::CompletedFast,
            reached: Stage::CompletedSlow,
        };
        assert_eq!(
            unexpected.to_string(),
            "ended CompletedSlow, expected CompletedFast"
        );
    }
}
