//! The health an agent reports on `/health`.

use serde::Serialize;
use std::sync::{Arc, PoisonError, RwLock};

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

/// A shared handle to an agent's health: the agent sets it, the ops server reads it. Starts
/// unhealthy (`starting`) so a probe does not pass before the agent has done anything.
#[derive(Clone, Debug)]
pub struct Health(Arc<RwLock<HealthStatus>>);

impl Default for Health {
    fn default() -> Self {
        Self::new()
    }
}

impl Health {
    /// A new handle, unhealthy with reason `starting`.
    pub fn new() -> Self {
        Self(Arc::new(RwLock::new(HealthStatus::Unhealthy {
            reason: "starting".to_owned(),
        })))
    }

    /// Reports the agent healthy.
    pub fn set_healthy(&self) {
        self.set(HealthStatus::Healthy);
    }

    /// Reports the agent unhealthy for `reason`.
    pub fn set_unhealthy(&self, reason: impl Into<String>) {
        self.set(HealthStatus::Unhealthy {
            reason: reason.into(),
        });
    }

    /// The last report.
    pub fn status(&self) -> HealthStatus {
        // The value is replaced whole, so a writer that panicked cannot have left it torn.
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, status: HealthStatus) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = status;
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
}
