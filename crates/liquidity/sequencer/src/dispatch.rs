//! Hands recorded decisions to the relayers as soon as they are made and follows them to their
//! end, up to [`CONCURRENCY`] requests at once, new decisions first. A decision not yet
//! acknowledged is posted again (the same calldata, so the same job) until it is, including after
//! a restart; an acknowledged one is polled until the job is confirmed or failed, but only from
//! [`FIRST_LOOK_INTERVALS`] poll intervals after its acknowledgement on: its execute normally
//! shows on chain first, which ends the job without a request. Meanwhile the oldest job of each
//! relayer is polled every interval, so a relayer that dies holding jobs is noticed at once. What
//! a round learns is recorded in one transaction; an execute that ended releases the liquidity its
//! decision committed.
//!
//! A relayer that fails holds back only the jobs it failed, each with its own backoff (at most
//! [`MAX_JOB_BACKOFF`]); a job goes to the next configured relayer when one is down or refuses
//! it ([`crate::relayers`]). A relayer that is down is asked every poll interval whether it
//! answers again, and when it does every job held back is tried at once. An execute seen on
//! the destination ([`crate::executed`]) ends its job whatever the relayers say.

use crate::{
    error::SequencerError,
    executed,
    metrics::SequencerMetrics,
    relayers::{RelayerIndex, Relayers},
    reservations::Ledger,
    store::{self, Decision, Outcome},
};
use alloy::primitives::B256;
use futures::{stream, StreamExt};
use nxtp_agent::{CancellationToken, Classify, Health, Store};
use nxtp_api::relayer::{JobRequest, JobState};
use nxtp_chain::retry::RetryPolicy;
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// The stream named on `/health` while no relayer answers.
const STREAM: &str = "relayer";

/// Requests to the relayers in flight at once.
const CONCURRENCY: usize = 8;

/// The longest one job waits before it is tried again after its relayers failed: short, since
/// a transfer whose routers are chosen falls to the slow path if its execute comes late.
pub(crate) const MAX_JOB_BACKOFF: Duration = Duration::from_secs(4);

/// How many poll intervals after a relayer acknowledged a job it is first asked about it, unless
/// the relayer went down: by then its execute has usually shown on chain and ended the job, so
/// a job costs the relayer no poll at all in the usual case.
pub(crate) const FIRST_LOOK_INTERVALS: u32 = 10;

/// The dispatch task.
pub(crate) struct DispatchTask {
    pub(crate) store: Store,
    pub(crate) relayers: Relayers,
    pub(crate) metrics: SequencerMetrics,
    pub(crate) health: Health,
    /// Released when an execute ends.
    pub(crate) ledger: Ledger,
    /// Woken when a decision is recorded, or an execute seen on chain.
    pub(crate) wake: Arc<Notify>,
    /// Pause between two looks at the jobs in flight (and two probes of a relayer down).
    pub(crate) interval: Duration,
}

/// What one look at a decision found.
#[derive(Clone, Debug)]
enum Step {
    /// A relayer took the job under this id.
    Acknowledged { job_id: B256, relayer: RelayerIndex },
    /// The execute ended.
    Finished(Outcome),
    /// Nothing new; the job is with this relayer.
    Waiting(RelayerIndex),
    /// No relayer could be asked about the job; try it again later.
    Retry(String),
}

/// What the dispatch remembers of one job between rounds.
#[derive(Clone, Copy, Debug, Default)]
struct Track {
    /// The relayer holding the job, once one acknowledged it (unknown after a restart).
    relayer: Option<RelayerIndex>,
    /// Rounds in a row no relayer could be asked about it.
    failures: u32,
    /// Not tried again before this.
    retry_at: Option<Instant>,
    /// An acknowledged job is not asked about before this while its relayer is up.
    first_look_at: Option<Instant>,
}

impl DispatchTask {
    /// Sends and follows jobs until `shutdown`. A new decision wakes the task to post it at
    /// once; the jobs already acknowledged are polled every `interval` only, since polling them
    /// at every decision would load the relayer in proportion to the jobs in flight.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), SequencerError> {
        let mut tracks: HashMap<B256, Track> = HashMap::new();
        let mut next_follow = Instant::now();
        loop {
            let now = Instant::now();
            let follow = now >= next_follow;
            if follow {
                next_follow = now + self.interval;
                if self.relayers.probe_down().await {
                    // A relayer is back: every job held back goes now.
                    for track in tracks.values_mut() {
                        *track = Track {
                            relayer: track.relayer,
                            ..Track::default()
                        };
                    }
                }
            }
            self.round(follow, &mut tracks).await?;
            match self.relayers.all_down() {
                None => self.health.ok(STREAM),
                Some(reason) => self.health.failing(STREAM, reason),
            }
            let wake_at = tracks
                .values()
                .filter_map(|track| track.retry_at)
                .fold(next_follow, Instant::min);
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep_until(wake_at.into()) => {}
            }
        }
    }

    /// One pass over the decisions in flight: the ones to post, and when `follow`, the ones to
    /// poll, except those held back. Fails only when the sequencer must stop.
    async fn round(
        &self,
        follow: bool,
        tracks: &mut HashMap<B256, Track>,
    ) -> Result<(), SequencerError> {
        let decisions = self.store.call(|conn| executed::in_flight(conn)).await?;
        tracks.retain(|id, _| decisions.iter().any(|(d, _)| d.transfer_id == *id));
        let now = Instant::now();
        let mut work = Vec::new();
        let mut changes = Vec::new();
        let mut probed = HashSet::new();
        for (decision, executed) in decisions {
            if let Some(executed) = executed {
                // The chain settled it, whatever a relayer says.
                let outcome = Outcome::Executed {
                    tx_hash: executed.tx_hash,
                };
                changes.push((decision, Step::Finished(outcome)));
                continue;
            }
            let track = tracks
                .get(&decision.transfer_id)
                .copied()
                .unwrap_or_default();
            if track.retry_at.is_some_and(|at| at > now) {
                continue;
            }
            if !decision.acknowledged {
                work.push((decision, track));
                continue;
            }
            if !follow {
                continue;
            }
            let old_enough = track.first_look_at.is_none_or(|at| at <= now);
            let holder_down = track
                .relayer
                .is_some_and(|relayer| !self.relayers.is_up(relayer));
            // The oldest job each relayer holds is asked about every poll interval whatever its
            // age: a relayer that died holding jobs is noticed at once, for one request per
            // relayer, not one per job.
            let probe = track
                .relayer
                .is_some_and(|relayer| !probed.contains(&relayer));
            if old_enough || holder_down || probe {
                probed.extend(track.relayer);
                work.push((decision, track));
            }
        }
        // Not acknowledged first: their execute has not started yet.
        work.sort_by_key(|(decision, _)| decision.acknowledged);
        let steps: Vec<(Decision, Step)> = stream::iter(work)
            .map(|(decision, track)| async move {
                let step = if decision.acknowledged {
                    self.follow(&decision, track.relayer).await
                } else {
                    self.post(&decision, track.relayer).await
                };
                (decision, step)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let policy = RetryPolicy {
            base: self.interval,
            max: MAX_JOB_BACKOFF,
        };
        for (decision, step) in steps {
            let track = tracks.entry(decision.transfer_id).or_default();
            match step {
                Step::Waiting(relayer) => {
                    *track = Track {
                        relayer: Some(relayer),
                        ..Track::default()
                    };
                }
                Step::Acknowledged { relayer, .. } => {
                    *track = Track {
                        relayer: Some(relayer),
                        first_look_at: Some(Instant::now() + self.interval * FIRST_LOOK_INTERVALS),
                        ..Track::default()
                    };
                    changes.push((decision, step));
                }
                Step::Retry(reason) => {
                    track.failures = track.failures.saturating_add(1);
                    let pause = policy.delay(track.failures);
                    track.retry_at = Some(Instant::now() + pause);
                    tracing::warn!(transfer_id = %decision.transfer_id, %reason, retry_in = ?pause, "no relayer took the job");
                }
                Step::Finished(_) => changes.push((decision, step)),
            }
        }
        self.record(changes).await
    }

    /// Posts `decision`'s job to the relayers up, `preferred` first, until one takes it. One that
    /// refuses it for good passes it to the next; when every relayer refused it, the transfer
    /// falls back to the slow path.
    async fn post(&self, decision: &Decision, preferred: Option<RelayerIndex>) -> Step {
        let job = JobRequest::execute(decision.destination, decision.calldata.clone());
        let order = self.relayers.up_first(preferred);
        if order.is_empty() {
            return Step::Retry("every relayer is down".to_owned());
        }
        let mut refusals = Vec::new();
        let mut unavailable = None;
        for relayer in order {
            match self.relayers.client(relayer).submit(&job).await {
                Ok(job_id) => {
                    self.relayers.answered(relayer);
                    if job_id != decision.job_id {
                        tracing::warn!(transfer_id = %decision.transfer_id, expected = %decision.job_id, %job_id, "the relayer named the job differently");
                    }
                    return Step::Acknowledged { job_id, relayer };
                }
                Err(err) if err.is_retryable() => {
                    self.relayers.failed(relayer, &err);
                    unavailable = Some(err.to_string());
                }
                // This relayer refuses the job for good (e.g. it serves no such domain).
                Err(err) => {
                    self.relayers.answered(relayer);
                    refusals.push(format!("{}: {err}", self.relayers.name(relayer)));
                }
            }
        }
        match unavailable {
            // A relayer that could not answer may take it later.
            Some(reason) => Step::Retry(reason),
            None => Step::Finished(Outcome::Failed {
                reason: format!("the relayer refused the job: {}", refusals.join("; ")),
            }),
        }
    }

    /// Polls `decision`'s job at the relayer holding it (after a restart, the first one up). A
    /// job its relayer lost, or whose relayer is down, is posted again: to the same relayer it
    /// is the same job, and to another the destination's `Connext` still executes it once.
    async fn follow(&self, decision: &Decision, holder: Option<RelayerIndex>) -> Step {
        let Some(relayer) = self.relayers.up_first(holder).first().copied() else {
            return Step::Retry("every relayer is down".to_owned());
        };
        if holder.is_some_and(|holder| holder != relayer) {
            tracing::info!(transfer_id = %decision.transfer_id, to = %self.relayers.name(relayer), "the job's relayer is down; posting it to the next one");
            return self.post(decision, Some(relayer)).await;
        }
        let view = match self.relayers.client(relayer).job(decision.job_id).await {
            Ok(Some(view)) => view,
            // The relayer does not know the job (its database was reset, or another relayer
            // took it before a restart): posting the same calldata again is safe.
            Ok(None) => {
                self.relayers.answered(relayer);
                return self.post(decision, Some(relayer)).await;
            }
            Err(err) if err.is_retryable() => {
                self.relayers.failed(relayer, &err);
                // The next relayer up, if any, takes it now.
                return match self.relayers.up_first(None).first() {
                    Some(&next) => self.post(decision, Some(next)).await,
                    None => Step::Retry(err.to_string()),
                };
            }
            Err(err) => return Step::Retry(err.to_string()),
        };
        self.relayers.answered(relayer);
        match view.state {
            JobState::Confirmed => Step::Finished(Outcome::Executed {
                tx_hash: view.tx_hash.unwrap_or_default(),
            }),
            JobState::Failed => Step::Finished(Outcome::Failed {
                reason: view
                    .reason
                    .unwrap_or_else(|| "the relayer gave no reason".to_owned()),
            }),
            JobState::Pending | JobState::Submitted => Step::Waiting(relayer),
        }
    }

    /// Records what changed in one transaction, then reports it and releases the liquidity of
    /// the executes that ended.
    async fn record(&self, changes: Vec<(Decision, Step)>) -> Result<(), SequencerError> {
        if changes.is_empty() {
            return Ok(());
        }
        let writes: Vec<(B256, Step)> = changes
            .iter()
            .map(|(decision, step)| (decision.transfer_id, step.clone()))
            .collect();
        self.store
            .call(move |conn| {
                let tx = conn.transaction()?;
                for (transfer_id, step) in &writes {
                    match step {
                        Step::Acknowledged { job_id, .. } => {
                            store::acknowledge(&tx, *transfer_id, *job_id)?
                        }
                        Step::Finished(outcome) => store::finish(&tx, *transfer_id, outcome)?,
                        Step::Waiting(_) | Step::Retry(_) => {}
                    }
                }
                tx.commit()
            })
            .await?;
        for (decision, step) in changes {
            let transfer_id = decision.transfer_id;
            let label = match step {
                Step::Acknowledged { job_id, relayer } => {
                    let relayer = self.relayers.name(relayer);
                    tracing::info!(%transfer_id, %job_id, %relayer, "execute job acknowledged by the relayer");
                    continue;
                }
                Step::Waiting(_) | Step::Retry(_) | Step::Finished(Outcome::Sent) => continue,
                Step::Finished(Outcome::Executed { tx_hash }) => {
                    tracing::info!(%transfer_id, %tx_hash, "transfer executed");
                    "executed"
                }
                Step::Finished(Outcome::Failed { reason }) => {
                    tracing::warn!(%transfer_id, %reason, "execute failed; the transfer falls back to the slow path");
                    "execute_failed"
                }
            };
            self.ledger.lock().release(transfer_id);
            self.metrics.execution_ended(decision.destination, label);
        }
        Ok(())
    }
}
