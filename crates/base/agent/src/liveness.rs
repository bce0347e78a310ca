//! An agent's `/health` derived from what each of its loops (streams of work) last saw: healthy while
//! no stream is failing, otherwise naming the first failing one.

use crate::Health;
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, PoisonError},
};

/// The streams of work that are failing, shared by every task; `/health` is healthy while none
/// is, and otherwise names the first failing one.
#[derive(Clone, Debug)]
pub struct Liveness {
    health: Health,
    failing: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Liveness {
    /// Reports through `health`.
    pub fn new(health: Health) -> Self {
        Self {
            health,
            failing: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }

    /// `stream` just worked.
    pub fn ok(&self, stream: &str) {
        self.update(|failing| {
            failing.remove(stream);
        });
    }

    /// `stream` just failed for `reason`.
    pub fn failing(&self, stream: &str, reason: impl ToString) {
        let reason = reason.to_string();
        self.update(|failing| {
            failing.insert(stream.to_owned(), reason);
        });
    }

    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, String>)) {
        // Each change replaces whole entries, so a panicking writer cannot leave one torn.
        let mut failing = self.failing.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut failing);
        match failing.iter().next() {
            None => self.health.set_healthy(),
            Some((stream, reason)) => self.health.set_unhealthy(format!("{stream}: {reason}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HealthStatus;

    #[test]
    fn healthy_only_while_nothing_fails() {
        let health = Health::new();
        let liveness = Liveness::new(health.clone());
        liveness.ok("home 1000");
        assert_eq!(health.status(), HealthStatus::Healthy);
        liveness.failing("replica 2000", "connection refused");
        assert_eq!(
            health.status(),
            HealthStatus::Unhealthy {
                reason: "replica 2000: connection refused".into()
            }
        );
        liveness.ok("home 1000");
        assert!(matches!(health.status(), HealthStatus::Unhealthy { .. }));
        liveness.ok("replica 2000");
        assert_eq!(health.status(), HealthStatus::Healthy);
    }
}
