//! Transfers as the tests describe them, sent through the SDK and followed to completion.

use super::{World, COMPLETION_TIMEOUT};
use alloy::{
    primitives::{Address, Bytes, B256, U256},
    sol_types::SolValue,
};
use nxtp_devnet::liquidity::demo_units;
use nxtp_primitives::Domain;
use nxtp_sdk::{RelayerFee, Stage, TransferReport, XcallRequest};
use std::{collections::BTreeMap, sync::Arc};
use tokio::task::JoinSet;

/// How a transfer must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Fronted by exactly this many routers.
    Fast(usize),
    /// Executed without routers after the message arrived.
    Slow,
    /// Either way (agents were killed while it was in flight).
    Any,
}

/// One transfer to send, from the `user` dev key.
#[derive(Clone, Debug)]
pub struct Plan {
    /// What the transfer is about, for failure messages.
    pub name: &'static str,
    pub origin: Domain,
    pub destination: Domain,
    pub amount: U256,
    /// The recipient (the `DemoReceiver` when `call` is set).
    pub to: Address,
    /// The `DemoReceiver` calldata: beneficiary (zero makes the call revert) and note.
    pub call: Option<(Address, String)>,
    /// The native relayer fee; `None` pays the sequencer's quote.
    pub fee: Option<U256>,
    pub path: Path,
}

impl Plan {
    /// `whole` DEMO to a fresh address.
    pub fn plain(
        name: &'static str,
        origin: Domain,
        destination: Domain,
        whole: u64,
        path: Path,
    ) -> Self {
        Self {
            name,
            origin,
            destination,
            amount: demo_units(whole),
            to: alloy::signers::local::PrivateKeySigner::random().address(),
            call: None,
            fee: None,
            path,
        }
    }

    /// `whole` DEMO to the destination's `DemoReceiver`, asking it to forward them to `beneficiary`.
    pub fn call(
        world: &World,
        name: &'static str,
        (origin, destination): (Domain, Domain),
        whole: u64,
        (beneficiary, note): (Address, &str),
        path: Path,
    ) -> Self {
        Self {
            to: world.receiver(destination),
            call: Some((beneficiary, note.to_owned())),
            ..Self::plain(name, origin, destination, whole, path)
        }
    }

    /// Who ends up with the funds: the beneficiary when the receiver's call succeeds, else `to`.
    pub fn recipient(&self, path_taken: Stage) -> Address {
        match &self.call {
            Some((beneficiary, _)) if !beneficiary.is_zero() => *beneficiary,
            // A reverting call fails the fast execute, so only a slow path delivers, to `to`.
            Some(_) => {
                assert_eq!(path_taken, Stage::CompletedSlow, "{}", self.name);
                self.to
            }
            None => self.to,
        }
    }

    fn request(&self, world: &World) -> XcallRequest {
        let mut request = XcallRequest::new(
            self.origin,
            self.destination,
            world.demo.clone(),
            self.amount,
            self.to,
        );
        request.auto_approve = true;
        if let Some((beneficiary, note)) = &self.call {
            request.call_data = Bytes::from((*beneficiary, note.clone()).abi_encode_params());
        }
        if let Some(fee) = self.fee {
            request.relayer_fee = RelayerFee::Wei(fee);
        }
        request
    }
}

/// A sent transfer.
#[derive(Clone, Debug)]
pub struct Sent {
    pub plan: Plan,
    pub id: B256,
}

/// Sends every plan: one origin's transfers one after the other (one key, one nonce sequence),
/// different origins at once. Returns them in the order given.
pub async fn send_all(world: &World, plans: &[Plan]) -> Vec<Sent> {
    let mut by_origin: BTreeMap<Domain, Vec<(usize, Plan)>> = BTreeMap::new();
    for (index, plan) in plans.iter().enumerate() {
        by_origin
            .entry(plan.origin)
            .or_default()
            .push((index, plan.clone()));
    }
    let mut tasks = JoinSet::new();
    for queue in by_origin.into_values() {
        let sdk = Arc::clone(&world.sdk);
        let user = world.user.clone();
        let queue: Vec<_> = queue
            .into_iter()
            .map(|(index, plan)| (index, plan.request(world), plan))
            .collect();
        tasks.spawn(async move {
            let mut sent = Vec::new();
            for (index, request, plan) in queue {
                let receipt = sdk
                    .xcall(&user, &request)
                    .await
                    .unwrap_or_else(|err| panic!("xcall {}: {err}", plan.name));
                sent.push((
                    index,
                    Sent {
                        plan,
                        id: receipt.transfer_id,
                    },
                ));
            }
            sent
        });
    }
    let mut all: Vec<(usize, Sent)> = tasks.join_all().await.into_iter().flatten().collect();
    all.sort_by_key(|(index, _)| *index);
    all.into_iter().map(|(_, sent)| sent).collect()
}

/// Follows every transfer at once until each is final; checks each took its planned path.
pub async fn complete_all(world: &World, sent: &[Sent]) -> Vec<TransferReport> {
    let mut tasks = JoinSet::new();
    for (index, transfer) in sent.iter().enumerate() {
        let sdk = Arc::clone(&world.sdk);
        let transfer = transfer.clone();
        let run_dir = world.devnet.run_dir().to_owned();
        tasks.spawn(async move {
            let followed = sdk
                .wait_for(
                    transfer.id,
                    Stage::CompletedFast,
                    COMPLETION_TIMEOUT,
                    |_| {},
                )
                .await
                .unwrap_or_else(|err| {
                    panic!(
                        "{} ({}) did not complete: {err}; logs in {}",
                        transfer.plan.name,
                        transfer.id,
                        run_dir.display()
                    )
                });
            let report = followed.report;
            let went: Vec<String> = followed
                .transitions
                .iter()
                .map(|t| format!("{} ({:?})", t.stage, t.waiting))
                .collect();
            let name = transfer.plan.name;
            match transfer.plan.path {
                Path::Fast(routers) => {
                    assert_eq!(report.stage, Stage::CompletedFast, "{name} went {went:?}");
                    assert_eq!(report.routers.len(), routers, "{name}'s routers");
                }
                Path::Slow => {
                    assert_eq!(report.stage, Stage::CompletedSlow, "{name} went {went:?}");
                }
                Path::Any => assert!(report.stage.is_final(), "{name} went {went:?}"),
            }
            (index, report)
        });
    }
    let mut reports = tasks.join_all().await;
    reports.sort_by_key(|(index, _)| *index);
    reports.into_iter().map(|(_, report)| report).collect()
}
