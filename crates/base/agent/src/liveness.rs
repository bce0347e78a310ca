//! The former per-stream health handle, kept as a thin alias of [`Health`]'s stream reports
//! only while the relayer still holds one; every other agent reports to [`Health`] directly
//! ([`Health::ok`], [`Health::failing`]), and so should new code.

use crate::Health;

/// Reports streams of work to a [`Health`] board; see [`Health::ok`] and [`Health::failing`].
#[derive(Clone, Debug)]
pub struct Liveness(Health);

impl Liveness {
    /// Reports through `health`.
    pub fn new(health: Health) -> Self {
        Self(health)
    }

    /// `stream` just worked.
    pub fn ok(&self, stream: &str) {
        self.0.ok(stream);
    }

    /// `stream` just failed for `reason`.
    pub fn failing(&self, stream: &str, reason: impl ToString) {
        self.0.failing(stream, reason);
    }
}

impl From<Liveness> for Health {
    fn from(liveness: Liveness) -> Self {
        liveness.0
    }
}
