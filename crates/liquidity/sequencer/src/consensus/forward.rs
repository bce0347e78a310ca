//! [`BidForwarder`]: every bid a router posted to this node, accepted and new here, is posted on
//! to the other nodes' bids API (`[consensus] forward_bids_to`), so whichever node proposes next
//! holds it.
//!
//! A forwarded bid carries the [`FORWARDED_HEADER`], and a node never forwards a bid that came
//! with it: each bid travels one hop, from the node a router chose to every other node. The
//! receiver trusts nothing of the forwarder: the bid goes through the same checks as a router's
//! own (its signature recovers to the router for the destination `Connext`, the router is
//! approved there, early bids are bounded), and a bid it already holds is dropped as any repeated
//! bid is. Each peer has its own bounded queue and sender, so a slow or down peer delays no other:
//! a bid that finds its queue full is not forwarded to that peer (it is still decided when a node
//! holding it proposes).

use crate::error::SequencerError;
use axum::body::Bytes;
use nxtp_agent::CancellationToken;
use reqwest::{StatusCode, Url};
use std::time::Duration;
use tokio::sync::mpsc;

/// The header marking a bid forwarded by another node: its receiver does not forward it again.
pub(crate) const FORWARDED_HEADER: &str = "x-nxtp-forwarded-bid";

/// Bids waiting to be forwarded to one peer; beyond this, new bids skip that peer.
const QUEUE: usize = 1024;

/// How long one post to a peer may take.
const POST_TIMEOUT: Duration = Duration::from_secs(2);

/// How many times a bid is posted to a peer that cannot take it now (unreachable, `unavailable`,
/// or too many early bids of the router while it has not seen the transfer).
const ATTEMPTS: u32 = 3;

/// The wait before the first retry, doubled at each.
const RETRY_AFTER: Duration = Duration::from_millis(250);

/// Hands each bid to every peer's queue; cheap to call from the API.
#[derive(Debug)]
pub(crate) struct BidForwarder {
    peers: Vec<(Url, mpsc::Sender<Bytes>)>,
}

/// The sender of one peer's queue: posts each bid in turn.
pub(crate) struct PeerForwarder {
    http: reqwest::Client,
    url: Url,
    bids: mpsc::Receiver<Bytes>,
}

impl BidForwarder {
    /// A forwarder to the bids APIs at `peers` (each a node's base URL), and the tasks that post
    /// to each.
    pub(crate) fn new(peers: &[Url]) -> Result<(Self, Vec<PeerForwarder>), SequencerError> {
        let http = reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            .build()
            .map_err(|err| SequencerError::Consensus(format!("bid forwarding client: {err}")))?;
        let mut queues = Vec::with_capacity(peers.len());
        let mut senders = Vec::with_capacity(peers.len());
        for peer in peers {
            let (queue, bids) = mpsc::channel(QUEUE);
            let url = peer.join("v1/bids").map_err(|err| {
                SequencerError::Consensus(format!("bid forwarding to {peer}: {err}"))
            })?;
            queues.push((peer.clone(), queue));
            senders.push(PeerForwarder {
                http: http.clone(),
                url,
                bids,
            });
        }
        Ok((Self { peers: queues }, senders))
    }

    /// Queues `bid` (the JSON body a router posted, accepted here) for every peer.
    pub(crate) fn forward(&self, bid: &Bytes) {
        for (peer, queue) in &self.peers {
            if let Err(err) = queue.try_send(bid.clone()) {
                tracing::warn!(%peer, %err, "a bid is not forwarded to this peer (its queue is full or stopped)");
            }
        }
    }
}

/// What a peer answered one post.
enum Answer {
    Taken,
    /// It cannot take it now: worth posting again.
    Later(String),
    /// It refused it for good (the auction closed there, ...): nothing to retry.
    Refused(String),
}

impl PeerForwarder {
    /// Posts queued bids until `shutdown`.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), SequencerError> {
        loop {
            let bid = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                bid = self.bids.recv() => match bid {
                    Some(bid) => bid,
                    None => return Ok(()),
                },
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.deliver(bid) => {}
            }
        }
    }

    /// Posts `bid`, again after a growing wait while the peer cannot take it now.
    async fn deliver(&self, bid: Bytes) {
        let mut wait = RETRY_AFTER;
        for attempt in 1..=ATTEMPTS {
            match self.post(bid.clone()).await {
                Answer::Taken => return,
                Answer::Refused(why) => {
                    tracing::debug!(peer = %self.url, %why, "a peer refused a forwarded bid");
                    return;
                }
                Answer::Later(why) if attempt == ATTEMPTS => {
                    tracing::warn!(peer = %self.url, %why, attempts = ATTEMPTS, "a bid could not be forwarded");
                }
                Answer::Later(_) => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    }

    async fn post(&self, bid: Bytes) -> Answer {
        let sent = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(FORWARDED_HEADER, "1")
            .body(bid)
            .send()
            .await;
        let status = match sent {
            Ok(response) => response.status(),
            Err(err) => return Answer::Later(err.without_url().to_string()),
        };
        if status.is_success() {
            Answer::Taken
        } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Answer::Later(status.to_string())
        } else {
            Answer::Refused(status.to_string())
        }
    }
}

/// The forwarder of a node whose `[consensus]` section lists peers to forward bids to, and its
/// senders; none otherwise (a single sequencer, or a node that does not forward).
pub(crate) fn bid_forwarding(
    config: Option<&crate::config::ConsensusConfig>,
) -> Result<(Option<BidForwarder>, Vec<PeerForwarder>), SequencerError> {
    match config {
        Some(config) if !config.forward_bids_to.is_empty() => {
            let (forwarder, senders) = BidForwarder::new(&config.forward_bids_to)?;
            Ok((Some(forwarder), senders))
        }
        _ => Ok((None, Vec::new())),
    }
}
