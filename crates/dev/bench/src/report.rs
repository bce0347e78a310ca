//! Pieces of a results file every benchmark shares: rounded quantile summaries and the agents' resource use.

use crate::stats::{self, Peaks};
use nxtp_devnet::Devnet;
use serde_json::json;
use std::{collections::BTreeMap, future::Future, time::Duration};

/// How often agents are sampled while a benchmark runs.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// p50, p95 and max of `values`, rounded to hundredths (`null` when empty).
pub fn summary(values: &[f64]) -> serde_json::Value {
    json!({
        "p50": stats::quantile(values, 0.5).map(round),
        "p95": stats::quantile(values, 0.95).map(round),
        "max": stats::quantile(values, 1.0).map(round),
    })
}

/// `value` rounded to hundredths, as results files show figures.
pub fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Every agent's peak RSS (MB) and CPU seconds seen so far, by agent name.
#[derive(Default)]
pub struct AgentUsage {
    /// Largest `VmHWM` seen per agent, in MB.
    pub peak_rss_mb: Peaks,
    /// CPU seconds (user + system) per agent at the last sample.
    pub cpu_seconds: Peaks,
}

impl AgentUsage {
    /// Reads every running agent's figures from `/proc` (the supervisor knows their pids).
    pub fn sample(&mut self, devnet: &Devnet) {
        for agent in devnet.supervisor().status() {
            let Some(pid) = agent.pid else { continue };
            if let Some(mb) = stats::peak_rss_mb(pid) {
                self.peak_rss_mb.observe(&agent.name, mb);
            }
            if let Some(seconds) = stats::cpu_seconds(pid) {
                self.cpu_seconds.observe(&agent.name, seconds);
            }
        }
    }

    /// Runs `work`, sampling every agent every [`SAMPLE_EVERY`] meanwhile and once more when it is done.
    pub async fn while_sampling<T>(&mut self, devnet: &Devnet, work: impl Future<Output = T>) -> T {
        tokio::pin!(work);
        let output = loop {
            self.sample(devnet);
            tokio::select! {
                output = &mut work => break output,
                () = tokio::time::sleep(SAMPLE_EVERY) => {}
            }
        };
        self.sample(devnet);
        output
    }

    /// Each agent's CPU use between two samples, `before` and `self`, `seconds` apart, in
    /// milliseconds per second, with their sum under `total`.
    pub fn cpu_ms_per_second_since(&self, before: &Peaks, seconds: f64) -> serde_json::Value {
        let by_agent: BTreeMap<String, f64> = self
            .cpu_seconds
            .0
            .iter()
            .filter_map(|(name, &now)| {
                let then = before.0.get(name)?;
                Some((
                    name.clone(),
                    (now - then) * 1000.0 / seconds.max(f64::EPSILON),
                ))
            })
            .collect();
        let total: f64 = by_agent.values().sum();
        json!({
            "by_agent": by_agent.iter().map(|(name, value)| (name.clone(), round(*value))).collect::<BTreeMap<_, _>>(),
            "total": round(total),
        })
    }

    /// The figures by agent name, rounded.
    pub fn to_json(peaks: &Peaks) -> serde_json::Value {
        json!(peaks
            .0
            .iter()
            .map(|(name, value)| (name.clone(), round(*value)))
            .collect::<BTreeMap<_, _>>())
    }
}
