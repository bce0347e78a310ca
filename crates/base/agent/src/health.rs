//! The health an agent serves on `/health`: one board every task reports its progress to.
//!
//! Each task reports under a stream name of its own (`home 1000`, `relay 1000 -> 2000`):
//! [`Health::ok`] after a unit of work succeeded, [`Health::failing`] after one failed. The
//! agent is healthy once anything was reported and no stream is failing; otherwise `/health`
//! names every failing stream. Streams named up front with [`Health::expect`] count as failing
//! (`starting`) until their first report, so a probe does not pass before every task has worked
//! once. An agent with a single loop may report for the whole agent with
//! [`Health::set_healthy`] and [`Health::set_unhealthy`].
//!
//! Every report, done or failed, also counts as one round of its stream, served on `/metrics`
//! as `nxtp_agent_rounds_total{stream}`: an operator sees a stalled task, and a test waits for
//! a task's next rounds (a positive event) instead of sleeping before asserting that nothing
//! happened.

use prometheus::{IntCounterVec, Opts, Registry};
use serde::Serialize;
use std::{
    collections::BTreeMap,
    sync::{Arc, PoisonError, RwLock},
};

/// What an agent last said about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum HealthStatus {
    /// Doing its job.
    Healthy,
    /// Not doing its job, and why (e.g. `starting`, `rpc 1000 unreachable`).
    Unhealthy {
        /// A short reason for an operator.
        reason: String,
    },
}

/// What a task reports until its first report, and the agent until anything is reported.
const STARTING: &str = "starting";

/// The stream [`Health::set_healthy`] and [`Health::set_unhealthy`] report on: the whole
/// agent, whose reason is shown without a stream name.
const WHOLE_AGENT: &str = "";

/// The `stream` label of the whole agent's rounds.
const WHOLE_AGENT_LABEL: &str = "agent";

/// Every stream's last report.
#[derive(Debug, Default)]
struct Board {
    /// Whether anything was reported (or expected) yet.
    reported: bool,
    /// Each stream's problem, `None` while it works.
    streams: BTreeMap<String, Option<String>>,
    /// How many rounds (reports) each stream made.
    rounds: BTreeMap<String, u64>,
    /// Where rounds are counted for `/metrics`, once registered.
    counter: Option<IntCounterVec>,
}

impl Board {
    fn status(&self) -> HealthStatus {
        if !self.reported {
            return HealthStatus::Unhealthy {
                reason: STARTING.to_owned(),
            };
        }
        let problems: Vec<String> = self
            .streams
            .iter()
            .filter_map(|(stream, problem)| {
                problem.as_ref().map(|problem| match stream.as_str() {
                    WHOLE_AGENT => problem.clone(),
                    _ => format!("{stream}: {problem}"),
                })
            })
            .collect();
        if problems.is_empty() {
            HealthStatus::Healthy
        } else {
            HealthStatus::Unhealthy {
                reason: problems.join("; "),
            }
        }
    }
}

/// A shared handle to an agent's health board: tasks report to it, the ops server reads it.
/// Starts unhealthy (`starting`) so a probe does not pass before the agent has done anything.
#[derive(Clone, Debug, Default)]
pub struct Health(Arc<RwLock<Board>>);

impl Health {
    /// A new board, unhealthy with reason `starting`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new board whose rounds are also counted in `registry` as
    /// `nxtp_agent_rounds_total{stream}`.
    pub fn counting(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = IntCounterVec::new(
            Opts::new(
                "nxtp_agent_rounds_total",
                "Rounds of work (done or failed) each task of the agent reported",
            ),
            &["stream"],
        )?;
        registry.register(Box::new(counter.clone()))?;
        let board = Board {
            counter: Some(counter),
            ..Board::default()
        };
        Ok(Self(Arc::new(RwLock::new(board))))
    }

    /// How many rounds `stream` reported, done or failed (the whole agent's, from
    /// [`Health::set_healthy`] and [`Health::set_unhealthy`], under `agent`).
    pub fn rounds(&self, stream: &str) -> u64 {
        let board = self.0.read().unwrap_or_else(PoisonError::into_inner);
        board.rounds.get(stream).copied().unwrap_or(0)
    }

    /// Names streams that must each report before the agent is healthy; until then each is
    /// shown as `starting`.
    pub fn expect(&self, streams: impl IntoIterator<Item = impl Into<String>>) {
        self.update(|board| {
            for stream in streams {
                board
                    .streams
                    .insert(stream.into(), Some(STARTING.to_owned()));
            }
        });
    }

    /// `stream` just did a unit of work.
    pub fn ok(&self, stream: &str) {
        self.report(stream, None);
    }

    /// `stream` just failed for `reason` (and will try again).
    pub fn failing(&self, stream: &str, reason: impl ToString) {
        self.report(stream, Some(reason.to_string()));
    }

    /// Reports the whole agent healthy.
    pub fn set_healthy(&self) {
        self.report(WHOLE_AGENT, None);
    }

    /// Reports the whole agent unhealthy for `reason`.
    pub fn set_unhealthy(&self, reason: impl Into<String>) {
        self.report(WHOLE_AGENT, Some(reason.into()));
    }

    /// What `/health` serves now.
    pub fn status(&self) -> HealthStatus {
        // Reports replace whole entries, so a writer that panicked cannot have left one torn.
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .status()
    }

    fn report(&self, stream: &str, problem: Option<String>) {
        self.update(|board| {
            let label = match stream {
                WHOLE_AGENT => WHOLE_AGENT_LABEL,
                named => named,
            };
            *board.rounds.entry(label.to_owned()).or_default() += 1;
            if let Some(counter) = &board.counter {
                counter.with_label_values(&[label]).inc();
            }
            board.streams.insert(stream.to_owned(), problem);
        });
    }

    fn update(&self, change: impl FnOnce(&mut Board)) {
        let mut board = self.0.write().unwrap_or_else(PoisonError::into_inner);
        board.reported = true;
        change(&mut board);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_unhealthy_and_is_shared_between_clones() {
        let health = Health::new();
        let observer = health.clone();
        assert!(matches!(observer.status(), HealthStatus::Unhealthy { .. }));
        health.set_healthy();
        assert_eq!(observer.status(), HealthStatus::Healthy);
        health.set_unhealthy("rpc down");
        assert_eq!(
            observer.status(),
            HealthStatus::Unhealthy {
                reason: "rpc down".into()
            }
        );
    }

    #[test]
    fn healthy_only_while_no_stream_fails() {
        let health = Health::new();
        health.ok("home 1000");
        assert_eq!(health.status(), HealthStatus::Healthy);
        health.failing("replica 2000", "connection refused");
        assert_eq!(
            health.status(),
            HealthStatus::Unhealthy {
                reason: "replica 2000: connection refused".into()
            }
        );
        health.ok("home 1000");
        assert!(matches!(health.status(), HealthStatus::Unhealthy { .. }));
        health.ok("replica 2000");
        assert_eq!(health.status(), HealthStatus::Healthy);
    }

    #[test]
    fn counts_each_streams_rounds() {
        let registry = Registry::new();
        let health = Health::counting(&registry).expect("registers");
        assert!(matches!(health.status(), HealthStatus::Unhealthy { .. }));
        health.ok("home 1000");
        health.ok("home 1000");
        health.failing("home 1000", "rpc down");
        health.set_healthy();
        assert_eq!(health.rounds("home 1000"), 3);
        assert_eq!(health.rounds("agent"), 1);
        assert_eq!(health.rounds("replica 2000"), 0);
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .expect("encodes");
        assert!(
            text.contains("nxtp_agent_rounds_total{stream=\"home 1000\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("nxtp_agent_rounds_total{stream=\"agent\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn expected_streams_are_starting_until_they_report() {
        let health = Health::new();
        health.expect(["a", "b"]);
        assert_eq!(
            health.status(),
            HealthStatus::Unhealthy {
                reason: "a: starting; b: starting".into()
            }
        );
        health.ok("a");
        health.failing("b", "rpc down");
        assert_eq!(
            health.status(),
            HealthStatus::Unhealthy {
                reason: "b: rpc down".into()
            }
        );
        health.ok("b");
        assert_eq!(health.status(), HealthStatus::Healthy);
    }
}
