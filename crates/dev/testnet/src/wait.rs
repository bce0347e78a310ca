//! Bounded waits: a broken agent fails the test instead of hanging it.

use std::{future::Future, time::Duration};

/// How long any wait may take, generous for 2 loaded CI cores.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// What a poll returns: `true` or `Some(value)` once the awaited state holds.
pub trait Ready {
    /// What the wait yields.
    type Value;
    /// The value, once ready.
    fn ready(self) -> Option<Self::Value>;
}

impl Ready for bool {
    type Value = ();
    fn ready(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Ready for Option<T> {
    type Value = T;
    fn ready(self) -> Self {
        self
    }
}

/// Polls `check` every 100 ms until it is ready and returns its value; panics naming `what`
/// after [`TIMEOUT`].
pub async fn eventually<R, F, Fut>(what: &str, mut check: F) -> R::Value
where
    R: Ready,
    F: FnMut() -> Fut,
    Fut: Future<Output = R>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        if let Some(value) = check().await.ready() {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
