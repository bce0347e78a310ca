//! The relayers execute jobs go to, in the configured order, and which of them answer.
//!
//! A relayer is *down* from the first request it fails to answer (unreachable, or failing
//! internally) until it answers again: a request of a job, or a probe the dispatch sends every
//! poll interval while it is down. Jobs go to the first relayer that is up; every relayer runs
//! the same jobs under the same ids (the hash of domain, target and calldata), and `Connext`
//! executes a transfer once, so a job posted to two relayers is still executed once on chain.

use alloy::primitives::B256;
use nxtp_api::relayer::{RelayerClient, RelayerClientError};
use std::{
    sync::{Mutex, MutexGuard, PoisonError},
    time::Duration,
};

/// How long connecting to a relayer may take: a relayer that does not accept a connection in
/// this time is as good as down, and the next one should get the job.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// One relayer and whether it answered last time.
#[derive(Debug)]
struct Relayer {
    client: RelayerClient,
    /// Set while the relayer is down, to the last failure.
    down: Mutex<Option<String>>,
}

impl Relayer {
    /// The failure it is down for; a panic elsewhere cannot leave this state inconsistent.
    fn down(&self) -> MutexGuard<'_, Option<String>> {
        self.down.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The configured relayers; see the module docs.
#[derive(Debug)]
pub(crate) struct Relayers {
    relayers: Vec<Relayer>,
}

/// A relayer's place in the configured list.
pub(crate) type RelayerIndex = usize;

impl Relayers {
    /// The relayers at `urls`, preferred in that order; none is down yet.
    pub(crate) fn new(urls: &[reqwest::Url]) -> Result<Self, RelayerClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(RelayerClientError::Transport)?;
        let relayers = urls
            .iter()
            .map(|url| {
                Ok(Relayer {
                    client: RelayerClient::with_client(http.clone(), url.clone())?,
                    down: Mutex::new(None),
                })
            })
            .collect::<Result<_, RelayerClientError>>()?;
        Ok(Self { relayers })
    }

    /// The client of relayer `index`.
    pub(crate) fn client(&self, index: RelayerIndex) -> &RelayerClient {
        &self.relayers[index].client
    }

    /// Where relayer `index` is, for logs (its host and port: a URL may carry credentials).
    pub(crate) fn name(&self, index: RelayerIndex) -> String {
        let url = self.client(index).base_url();
        match (url.host_str(), url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            _ => format!("relayer #{index}"),
        }
    }

    /// The relayers up now, `preferred` first (when it is up), then the others in configured
    /// order.
    pub(crate) fn up_first(&self, preferred: Option<RelayerIndex>) -> Vec<RelayerIndex> {
        let mut order: Vec<RelayerIndex> = preferred
            .filter(|&index| self.is_up(index))
            .into_iter()
            .collect();
        order.extend((0..self.relayers.len()).filter(|&i| Some(i) != preferred && self.is_up(i)));
        order
    }

    /// Whether relayer `index` answered its last request.
    pub(crate) fn is_up(&self, index: RelayerIndex) -> bool {
        self.relayers
            .get(index)
            .is_some_and(|relayer| relayer.down().is_none())
    }

    /// The relayers down now.
    pub(crate) fn down_now(&self) -> Vec<RelayerIndex> {
        (0..self.relayers.len())
            .filter(|&index| !self.is_up(index))
            .collect()
    }

    /// Why no relayer is up, if none is.
    pub(crate) fn all_down(&self) -> Option<String> {
        if self.relayers.iter().any(|relayer| relayer.down().is_none()) {
            return None;
        }
        let reasons: Vec<String> = (0..self.relayers.len())
            .map(|index| {
                let reason = self.relayers[index].down().clone().unwrap_or_default();
                format!("{}: {reason}", self.name(index))
            })
            .collect();
        Some(format!("no relayer answers ({})", reasons.join("; ")))
    }

    /// Records that relayer `index` failed to answer with `err`.
    pub(crate) fn failed(&self, index: RelayerIndex, err: &RelayerClientError) {
        let newly = self.relayers[index].down().replace(err.to_string());
        if newly.is_none() {
            tracing::warn!(relayer = %self.name(index), error = %err, "relayer down; jobs go to the next one until it answers again");
        }
    }

    /// Records that relayer `index` answered; returns whether it was down until now.
    pub(crate) fn answered(&self, index: RelayerIndex) -> bool {
        let back = self.relayers[index].down().take().is_some();
        if back {
            tracing::info!(relayer = %self.name(index), "relayer answers again");
        }
        back
    }

    /// Asks every relayer that is down whether it answers again (a job no relayer holds: any
    /// answer of the API will do); returns whether one came back.
    pub(crate) async fn probe_down(&self) -> bool {
        let probes = self.down_now().into_iter().map(|index| async move {
            match self.client(index).job(B256::ZERO).await {
                Ok(_) => self.answered(index),
                Err(err) => {
                    self.failed(index, &err);
                    false
                }
            }
        });
        futures::future::join_all(probes)
            .await
            .into_iter()
            .any(|back| back)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relayers(count: u16) -> Relayers {
        let urls: Vec<reqwest::Url> = (0..count)
            .map(|i| {
                format!("http://127.0.0.1:{}", 9000 + i)
                    .parse()
                    .expect("url")
            })
            .collect();
        Relayers::new(&urls).expect("relayers")
    }

    fn unreachable() -> RelayerClientError {
        RelayerClientError::BadUrl("down for this test".to_owned())
    }

    #[test]
    fn jobs_go_to_the_relayers_up_preferred_first() {
        let relayers = relayers(3);
        assert_eq!(relayers.up_first(None), [0, 1, 2]);
        assert_eq!(relayers.up_first(Some(2)), [2, 0, 1]);
        relayers.failed(0, &unreachable());
        assert_eq!(relayers.up_first(None), [1, 2]);
        assert_eq!(
            relayers.up_first(Some(0)),
            [1, 2],
            "a preferred relayer down is skipped"
        );
        assert_eq!(relayers.down_now(), [0]);
        assert!(relayers.all_down().is_none());
        relayers.failed(1, &unreachable());
        relayers.failed(2, &unreachable());
        let reason = relayers.all_down().expect("all down");
        assert!(reason.contains("127.0.0.1:9001"), "{reason}");
        assert!(relayers.up_first(None).is_empty());
        assert!(relayers.answered(1), "back");
        assert!(!relayers.answered(1), "already back");
        assert_eq!(relayers.up_first(Some(0)), [1]);
    }
}
