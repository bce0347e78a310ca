//! Drives the response to every recorded fraud to completion: the proof at the origin's Home,
//! and a notice halting the origin's Replica on every other domain (see [`crate::fraud`]); and
//! to every recorded unbacked-root threat: the notices alone.

use crate::{
    error::{contract_error, WatcherError},
    fraud::{Done, Evidence, Fraud, Target, TargetStatus},
    metrics::WatcherMetrics,
    store::{self, AttemptState},
};
use alloy::{
    primitives::{Address, Bytes},
    providers::DynProvider,
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::{SolCall, SolInterface},
};
use futures::future::join_all;
use nxtp_agent::{clock::now_ms, CancellationToken, Classify, Health, StepFailure, Store};
use nxtp_bindings::{ConnectionManager, Home, Replica};
use nxtp_chain::retry::backoff;
use nxtp_chain::{FailureReason, FinalState, StartError, Submitter};
use nxtp_primitives::{sign_digest, Domain, ManagerSigningDomain};
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::Notify;

/// How to act on one domain.
#[derive(Clone, Debug)]
pub(crate) struct DomainLink {
    pub(crate) provider: DynProvider,
    pub(crate) submitter: Submitter,
    pub(crate) home: Address,
    pub(crate) connection_manager: Address,
    /// The connection manager's EIP-712 domain: what notices to it are signed for.
    pub(crate) manager_signing: ManagerSigningDomain,
    /// The origins with a Replica on this domain.
    pub(crate) origins: Vec<Domain>,
}

/// Why a target could not be looked at now: an RPC failure is retried on the next round, the
/// rest stop the watcher.
type TargetError = StepFailure<WatcherError, RpcFailure>;

/// An RPC call that failed, which the next round tries again.
struct RpcFailure {
    /// The domain called.
    domain: Domain,
    /// The call, e.g. `Home.failed`.
    what: &'static str,
    /// Why (endpoint redacted).
    message: String,
}

/// What a target needs, as found on chain.
enum Check {
    Done(Done),
    Send { to: Address, input: Bytes },
}

/// The task responding to frauds.
pub(crate) struct Responder {
    pub(crate) store: Store,
    pub(crate) signer: PrivateKeySigner,
    pub(crate) domains: Arc<BTreeMap<Domain, DomainLink>>,
    pub(crate) metrics: WatcherMetrics,
    pub(crate) health: Health,
    /// Woken by the watch tasks when they record fraud.
    pub(crate) wake: Arc<Notify>,
    pub(crate) poll_interval: Duration,
    /// The first pause before a failed attempt is made again.
    pub(crate) retry_delay: Duration,
}

impl Responder {
    /// Responds until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), WatcherError> {
        loop {
            let (frauds, threats) = self
                .store
                .call(|conn| {
                    Ok((
                        store::unresolved_frauds(conn)?,
                        store::unresolved_threats(conn)?,
                    ))
                })
                .await?;
            self.metrics.unresolved(frauds.len() + threats.len());
            let mut failing = None;
            let all = frauds
                .iter()
                .map(|fraud| (None, fraud))
                .chain(threats.iter().map(|(id, threat)| (Some(*id), threat)));
            for (threat, fraud) in all {
                match self.respond(fraud, threat).await {
                    Ok(()) => {}
                    Err(failure) => {
                        let RpcFailure {
                            domain,
                            what,
                            message,
                        } = failure.into_retry()?;
                        tracing::warn!(origin = %fraud.evidence.origin(), %domain, what, %message, "cannot respond yet; retrying");
                        failing = Some(format!("domain {domain}: {what}: {message}"));
                    }
                }
            }
            match failing {
                None => self.health.ok("responses"),
                Some(reason) => self.health.failing("responses", reason),
            }
            let pause = if frauds.is_empty() && threats.is_empty() {
                // Nothing to do until fraud is recorded; wake up now and then regardless.
                self.poll_interval.saturating_mul(10)
            } else {
                self.poll_interval
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Looks at every target of `fraud` (of threat number `threat`, when it is one) at once;
    /// marks it resolved when all are done. A threat's targets are the notices alone.
    async fn respond(&self, fraud: &Fraud, threat: Option<u64>) -> Result<(), TargetError> {
        let origin = fraud.evidence.origin();
        let mut targets = match threat {
            None => vec![Target::HomeProof],
            Some(_) => Vec::new(),
        };
        targets.extend(
            self.domains
                .iter()
                .filter(|(_, link)| link.origins.contains(&origin))
                .map(|(&domain, _)| match threat {
                    None => Target::Notice { domain },
                    Some(threat) => Target::ThreatNotice { threat, domain },
                }),
        );
        let looks = join_all(targets.iter().map(|&target| self.drive(fraud, target))).await;
        let mut all_done = true;
        let mut first_error = None;
        for (target, look) in targets.into_iter().zip(looks) {
            match look {
                Ok(TargetStatus::Done(_)) => {}
                Ok(TargetStatus::InFlight) => all_done = false,
                Err(err) if err.is_fatal() => return Err(err),
                Err(err) => {
                    all_done = false;
                    tracing::debug!(%origin, %target, "target not looked at");
                    first_error.get_or_insert(err);
                }
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
        if all_done {
            let now = now_ms();
            match threat {
                None => {
                    self.store
                        .call(move |conn| store::resolve_fraud(conn, origin, now))
                        .await?;
                    tracing::info!(%origin, "fraud response complete");
                }
                Some(threat) => {
                    self.store
                        .call(move |conn| store::resolve_threat(conn, threat, now))
                        .await?;
                    tracing::info!(%origin, threat, "unbacked-root response complete");
                }
            }
        }
        Ok(())
    }

    /// One look at one target: follow its attempt in flight, or check on chain whether it is
    /// still needed and make the next attempt.
    async fn drive(&self, fraud: &Fraud, target: Target) -> Result<TargetStatus, TargetError> {
        let origin = fraud.evidence.origin();
        let domain = target.domain(origin);
        let link = self.link(domain)?;
        let latest = self
            .store
            .call(move |conn| store::latest_attempt(conn, origin, target))
            .await?;
        let next = match latest {
            None => 1,
            Some(attempt) => match attempt.state {
                AttemptState::Confirmed => return Ok(TargetStatus::Done(Done::Confirmed)),
                AttemptState::Failed => {
                    let wait = backoff(self.retry_delay, attempt.number);
                    let waited = now_ms().saturating_sub(attempt.updated_ms);
                    if u128::from(waited) < wait.as_millis() {
                        return Ok(TargetStatus::InFlight);
                    }
                    attempt.number.saturating_add(1)
                }
                AttemptState::Submitted => {
                    let operation =
                        link.submitter
                            .status(attempt.operation)
                            .await
                            .map_err(|source| {
                                StepFailure::Fatal(StartError::Submitter { domain, source }.into())
                            })?;
                    let Some(outcome) = operation.state.final_state() else {
                        return Ok(TargetStatus::InFlight);
                    };
                    let number = attempt.number;
                    let now = now_ms();
                    match outcome {
                        FinalState::Confirmed(inclusion) => {
                            let detail = format!("confirmed in block {}", inclusion.block_number);
                            self.store
                                .call(move |conn| {
                                    store::finish_attempt(
                                        conn,
                                        origin,
                                        target,
                                        number,
                                        &AttemptState::Confirmed,
                                        &detail,
                                        now,
                                    )
                                })
                                .await?;
                            match target {
                                Target::HomeProof => self.metrics.home_proof(origin),
                                Target::Notice { domain } | Target::ThreatNotice { domain, .. } => {
                                    self.metrics.notice_sent(origin, domain)
                                }
                            }
                            tracing::info!(%origin, %target, block = inclusion.block_number, tx = %inclusion.tx_hash, "response confirmed");
                            return Ok(TargetStatus::Done(Done::Confirmed));
                        }
                        FinalState::Failed(reason) => {
                            let explained = explain(&reason);
                            let detail = explained.clone();
                            self.store
                                .call(move |conn| {
                                    store::finish_attempt(
                                        conn,
                                        origin,
                                        target,
                                        number,
                                        &AttemptState::Failed,
                                        &detail,
                                        now,
                                    )
                                })
                                .await?;
                            if let FailureReason::Reverted { .. } = reason {
                                // Refused in simulation: the contract's mind will not change,
                                // unless the target is done anyway (checked first).
                                if let Check::Done(done) = self.check(fraud, target, link).await? {
                                    return Ok(TargetStatus::Done(done));
                                }
                                self.metrics.refused(origin, &target.name());
                                tracing::error!(%origin, %target, reason = %explained, "the contract refuses the response");
                                return Ok(TargetStatus::Done(Done::Refused { reason: explained }));
                            }
                            tracing::warn!(%origin, %target, reason = %explained, "response failed; retrying after a pause");
                            return Ok(TargetStatus::InFlight);
                        }
                    }
                }
            },
        };
        let (to, input) = match self.check(fraud, target, link).await? {
            Check::Done(done) => {
                tracing::info!(%origin, %target, ?done, "nothing to send");
                return Ok(TargetStatus::Done(done));
            }
            Check::Send { to, input } => (to, input),
        };
        let key = target.submitter_key(origin, next);
        let request = TransactionRequest::default().to(to).input(input.into());
        let operation = link
            .submitter
            .submit(&key, request)
            .await
            .map_err(|source| {
                StepFailure::Fatal(StartError::Submitter { domain, source }.into())
            })?;
        let now = now_ms();
        self.store
            .call(move |conn| store::record_attempt(conn, origin, target, next, operation, now))
            .await?;
        tracing::info!(%origin, %target, attempt = next, %operation, "response submitted");
        Ok(TargetStatus::InFlight)
    }

    /// Whether `target` still needs a transaction, and which.
    async fn check(
        &self,
        fraud: &Fraud,
        target: Target,
        link: &DomainLink,
    ) -> Result<Check, TargetError> {
        let origin = fraud.evidence.origin();
        match target {
            Target::HomeProof => {
                let failed = Home::new(link.home, &link.provider)
                    .failed()
                    .call()
                    .await
                    .map_err(rpc(origin, "Home.failed"))?;
                if failed {
                    return Ok(Check::Done(Done::HomeAlreadyFailed));
                }
                Ok(match home_proof(&fraud.evidence) {
                    Some(input) => Check::Send {
                        to: link.home,
                        input,
                    },
                    None => Check::Done(Done::Refused {
                        reason: "an unbacked root is not provable fraud".to_owned(),
                    }),
                })
            }
            Target::Notice { domain } | Target::ThreatNotice { domain, .. } => {
                let Some((replica, current)) = self.enrolled(origin, link, domain).await? else {
                    return Ok(Check::Done(Done::ReplicaUnenrolled));
                };
                // The notice names the key that signed the fraud. A rotation does not clear it: the
                // Replica holds a rotated key accountable while any root it signed may be unripe.
                let updater = fraud.evidence.signer();
                if current != updater && !self.accountable(replica, updater, link, domain).await? {
                    return Ok(Check::Done(Done::UpdaterRotated { current }));
                }
                let digest = link
                    .manager_signing
                    .watcher_notice_digest(origin, updater, replica);
                let signature = sign_digest(&self.signer, digest)
                    .map_err(|err| StepFailure::Fatal(err.into()))?;
                Ok(Check::Send {
                    to: link.connection_manager,
                    input: ConnectionManager::unenrollReplicaByWatcherCall {
                        domain: origin.get(),
                        updater,
                        signature: Bytes::copy_from_slice(&signature),
                    }
                    .abi_encode()
                    .into(),
                })
            }
        }
    }

    /// The Replica of `origin` enrolled on `domain` now, and its updater key.
    async fn enrolled(
        &self,
        origin: Domain,
        link: &DomainLink,
        domain: Domain,
    ) -> Result<Option<(Address, Address)>, TargetError> {
        let replica = ConnectionManager::new(link.connection_manager, &link.provider)
            .domainToReplica(origin.get())
            .call()
            .await
            .map_err(rpc(domain, "ConnectionManager.domainToReplica"))?;
        if replica == Address::ZERO {
            return Ok(None);
        }
        let updater = Replica::new(replica, &link.provider)
            .updater()
            .call()
            .await
            .map_err(rpc(domain, "Replica.updater"))?;
        Ok(Some((replica, updater)))
    }

    /// Whether the Replica on `domain` still holds the rotated-out `key` accountable.
    async fn accountable(
        &self,
        replica: Address,
        key: Address,
        link: &DomainLink,
        domain: Domain,
    ) -> Result<bool, TargetError> {
        Replica::new(replica, &link.provider)
            .isAccountable(key)
            .call()
            .await
            .map_err(rpc(domain, "Replica.isAccountable"))
    }

    fn link(&self, domain: Domain) -> Result<&DomainLink, TargetError> {
        self.domains.get(&domain).ok_or_else(|| {
            StepFailure::Fatal(WatcherError::Config(format!(
                "domain {domain} is not watched"
            )))
        })
    }
}

fn rpc(domain: Domain, what: &'static str) -> impl FnOnce(alloy::contract::Error) -> TargetError {
    move |err| {
        StepFailure::Retry(RpcFailure {
            domain,
            what,
            message: contract_error(err),
        })
    }
}

/// The calldata proving `evidence` at the origin's Home; `None` for an unbacked root, which
/// the Home has nothing to prove against (its updater signed a root the Home did produce).
pub(crate) fn home_proof(evidence: &Evidence) -> Option<Bytes> {
    Some(match evidence {
        Evidence::Unbacked(_) => return None,
        Evidence::Improper(update) => Home::improperUpdateCall {
            oldRoot: update.old_root,
            newRoot: update.new_root,
            signature: update.signature.clone(),
        }
        .abi_encode()
        .into(),
        Evidence::Double { first, second } => Home::doubleUpdateCall {
            oldRoot: first.old_root,
            newRoots: [first.new_root, second.new_root],
            signature0: first.signature.clone(),
            signature1: second.signature.clone(),
        }
        .abi_encode()
        .into(),
    })
}

/// A failure reason, with the revert decoded when it is one of the called contracts' errors.
fn explain(reason: &FailureReason) -> String {
    if let FailureReason::Reverted { data } = reason {
        if let Ok(error) = Home::HomeErrors::abi_decode(data) {
            return format!("the call reverts with {error:?}");
        }
        if let Ok(error) = ConnectionManager::ConnectionManagerErrors::abi_decode(data) {
            return format!("the call reverts with {error:?}");
        }
    }
    reason.to_string()
}
