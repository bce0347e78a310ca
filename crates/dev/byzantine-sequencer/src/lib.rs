//! A Byzantine consensus sequencer node, for tests only: it runs the `nxtp sequencer` code (origin
//! indexers, bids API, consensus node, hand-over) with a node that steers every transfer it touches
//! to a router the selection rule did not pick. Each batch it proposes names that router, and its
//! precommits sign that router set instead of the batch it votes for. The honest nodes must refuse
//! both and log the refusal with its address (`docs/consensus.md`, "Tests").
//!
//! It is its own crate and binary so that none of it is in the `nxtp` binary: the hook it uses,
//! [`nxtp_sequencer::run_byzantine_node`], is reached by no config key.

use alloy::primitives::Address;
use nxtp_agent::{Agent, AgentContext, TelemetryConfig};
use nxtp_consensus::{Batch, Tamper};
use nxtp_sequencer::{consensus::Misbehaviour, SequencerConfig, SequencerError};
use std::sync::Arc;

/// The Byzantine node as an agent: `nxtp_agent::run::<ByzantineSequencer>(config_path)` with an
/// `nxtp sequencer` config that has a `[consensus]` section.
#[derive(Debug)]
pub struct ByzantineSequencer;

impl Agent for ByzantineSequencer {
    const NAME: &'static str = "byzantine-sequencer";
    type Config = SequencerConfig;
    type Error = SequencerError;

    fn telemetry(config: &SequencerConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: SequencerConfig, ctx: AgentContext) -> Result<(), SequencerError> {
        // The routers with genesis liquidity are approved and funded: a rigged selection naming
        // one of them fails only the selection rule, not a cruder check.
        let mut routers: Vec<Address> = Vec::new();
        for entry in config.consensus.iter().flat_map(|c| &c.liquidity) {
            if !routers.contains(&entry.router) {
                routers.push(entry.router);
            }
        }
        let rig = rigging(routers);
        let misbehaviour = Misbehaviour {
            proposals: Some(Arc::clone(&rig)),
            signatures: Some(rig),
        };
        nxtp_sequencer::run_byzantine_node(config, ctx, misbehaviour).await
    }
}

/// Alters each auction of a batch to name, alone, the first of `routers` the batch did not select
/// for it: a selection the rule did not make. An auction for which every one of `routers` is
/// selected already is left as it is.
pub fn rigging(routers: Vec<Address>) -> Tamper {
    Arc::new(move |batch: &mut Batch| {
        for auction in &mut batch.auctions {
            if let Some(other) = routers
                .iter()
                .find(|router| !auction.routers.contains(router))
            {
                auction.routers = vec![*other];
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{B256, U256};
    use nxtp_consensus::{Auction, Pool, TransferTerms};

    fn auction(routers: &[Address]) -> Auction {
        Auction {
            terms: TransferTerms {
                transfer_id: B256::repeat_byte(1),
                destination_chain_id: 31337,
                destination_connext: Address::repeat_byte(0xcc),
                pool: Pool {
                    destination: 2000,
                    canonical_domain: 1000,
                    canonical_id: B256::repeat_byte(0xaa),
                },
                to_front: U256::from(100),
                max_routers: 4,
            },
            bids: Vec::new(),
            routers: routers.to_vec(),
        }
    }

    #[test]
    fn each_auction_names_a_router_the_batch_did_not_select() {
        let (a, b) = (Address::repeat_byte(0xa), Address::repeat_byte(0xb));
        let rig = rigging(vec![a, b]);
        let mut batch = Batch {
            auctions: vec![auction(&[a]), auction(&[b]), auction(&[a, b])],
            ..Batch::default()
        };
        let before = batch.clone();
        rig(&mut batch);
        let routers: Vec<Vec<Address>> = batch.auctions.iter().map(|x| x.routers.clone()).collect();
        // Every router already selected: nothing to steer to, left as proposed.
        assert_eq!(routers, vec![vec![b], vec![a], vec![a, b]]);
        for (rigged, proposed) in batch.auctions.iter().zip(&before.auctions) {
            assert_eq!(
                (&rigged.terms, &rigged.bids),
                (&proposed.terms, &proposed.bids),
                "only the routers change"
            );
        }
    }
}
