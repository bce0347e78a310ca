//! Byzantine consensus sequencer nodes, for tests only: they run the `nxtp sequencer` code (origin
//! indexers, bids API, consensus node, hand-over) with a node that misbehaves in one of two ways:
//!
//! - [`ByzantineSequencer`] steers every transfer it touches to a router the selection rule did
//!   not pick. Each batch it proposes names that router, and its precommits sign that router set
//!   instead of the batch it votes for. The honest nodes must refuse both and log the refusal
//!   with its address;
//! - [`EquivocatingSequencer`] proposes as an honest node does and, each time, also streams a
//!   second valid batch signed for the same height and round ([`second_proposal`]); its
//!   precommits sign rigged router sets as the first's do. The honest nodes must log the
//!   equivocation with its address and keep both signed parts as evidence, and still decide
//!   (`docs/consensus.md`, "Tests").
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
        let rig = rigging(genesis_routers(&config));
        let misbehaviour = Misbehaviour {
            proposals: Some(Arc::clone(&rig)),
            signatures: Some(rig),
            ..Misbehaviour::default()
        };
        nxtp_sequencer::run_byzantine_node(config, ctx, misbehaviour).await
    }
}

/// The equivocating node as an agent: `nxtp_agent::run::<EquivocatingSequencer>(config_path)`
/// with an `nxtp sequencer` config that has a `[consensus]` section.
#[derive(Debug)]
pub struct EquivocatingSequencer;

impl Agent for EquivocatingSequencer {
    const NAME: &'static str = "equivocating-sequencer";
    type Config = SequencerConfig;
    type Error = SequencerError;

    fn telemetry(config: &SequencerConfig) -> &TelemetryConfig {
        &config.telemetry
    }

    async fn run(config: SequencerConfig, ctx: AgentContext) -> Result<(), SequencerError> {
        // Its precommits sign rigged router sets too, so that a test can tell its signatures
        // never reach an execute; its proposals stay valid, so only the equivocation shows them.
        let misbehaviour = Misbehaviour {
            signatures: Some(rigging(genesis_routers(&config))),
            equivocation: Some(second_proposal()),
            ..Misbehaviour::default()
        };
        nxtp_sequencer::run_byzantine_node(config, ctx, misbehaviour).await
    }
}

/// Alters a batch into the second one an equivocating node proposes beside it: without its last
/// auction, or, with no auction, without its releases and observations (an empty batch stays
/// empty: there is nothing else valid to propose). Valid whenever the batch is, so only the
/// signatures can tell the equivocation: the auctions apply in order after the releases and
/// observations, so the ones left select as they did, and an empty batch is always valid.
pub fn second_proposal() -> Tamper {
    Arc::new(|batch: &mut Batch| {
        if batch.auctions.pop().is_none() {
            *batch = Batch::default();
        }
    })
}

/// The routers with genesis liquidity in `config`: approved and funded, so a rigged selection
/// naming one of them fails only the selection rule, not a cruder check.
fn genesis_routers(config: &SequencerConfig) -> Vec<Address> {
    let mut routers: Vec<Address> = Vec::new();
    for entry in config.consensus.iter().flat_map(|c| &c.liquidity) {
        if !routers.contains(&entry.router) {
            routers.push(entry.router);
        }
    }
    routers
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
    use nxtp_consensus::{Auction, Pool, Release, ReleaseCause, TransferTerms};

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

    #[test]
    fn the_second_proposal_drops_the_last_auction_or_else_everything() {
        let (a, b) = (Address::repeat_byte(0xa), Address::repeat_byte(0xb));
        let second = second_proposal();
        let release = Release {
            transfer_id: B256::repeat_byte(2),
            cause: ReleaseCause::Expired,
        };
        let mut batch = Batch {
            auctions: vec![auction(&[a]), auction(&[b])],
            releases: vec![release],
            ..Batch::default()
        };
        second(&mut batch);
        assert_eq!(
            batch,
            Batch {
                auctions: vec![auction(&[a])],
                releases: vec![release],
                ..Batch::default()
            }
        );
        second(&mut batch);
        assert_eq!(batch.auctions, []);
        assert_eq!(batch.releases, [release]);
        second(&mut batch);
        assert_eq!(batch, Batch::default());
        second(&mut batch);
        assert_eq!(batch, Batch::default(), "nothing else to propose");
    }
}
