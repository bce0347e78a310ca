//! Where every unit of `DEMO` went: balances before a batch of transfers, the exact change each
//! completed transfer must have made, and the supply invariants once nothing is in flight.

use super::{
    plan::{Plan, Sent},
    World,
};
use alloy::primitives::{Address, U256};
use nxtp_bindings::{BridgeToken, Connext, DemoToken};
use nxtp_primitives::Domain;
use nxtp_sdk::{Stage, TransferReport};
use std::collections::{BTreeMap, BTreeSet};

/// The contracts' basis-point denominator.
const BPS: u64 = 10_000;

/// An account holding `DEMO` on one domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    /// A token balance.
    Wallet(Address),
    /// A router's liquidity inside `Connext`.
    Liquidity(Address),
}

/// Balances before a batch, and the changes the batch's transfers must have made.
pub struct Ledger {
    before: BTreeMap<(Domain, Holder), U256>,
    credits: BTreeMap<(Domain, Holder), U256>,
    debits: BTreeMap<(Domain, Holder), U256>,
    fee_bps: BTreeMap<Domain, u16>,
}

impl Ledger {
    /// Reads, on every domain, the user's, the receiver's and both routers' balances, and the
    /// balances of every recipient and beneficiary of `plans` on its destination: before they are
    /// sent.
    pub async fn open(world: &World, plans: &[Plan]) -> Self {
        let mut holders = BTreeSet::new();
        let mut fee_bps = BTreeMap::new();
        for domain in world.domains() {
            holders.insert((domain, Holder::Wallet(world.user.address())));
            holders.insert((domain, Holder::Wallet(world.receiver(domain))));
            for router in world.routers() {
                holders.insert((domain, Holder::Liquidity(router)));
            }
            let reader = world.reader(domain);
            let fee = Connext::new(world.connext(domain), &reader)
                .liquidityFeeBps()
                .call()
                .await
                .expect("liquidityFeeBps");
            fee_bps.insert(domain, fee);
        }
        for plan in plans {
            holders.insert((plan.destination, Holder::Wallet(plan.to)));
            if let Some((beneficiary, _)) = &plan.call {
                holders.insert((plan.destination, Holder::Wallet(*beneficiary)));
            }
        }
        let mut before = BTreeMap::new();
        for (domain, holder) in holders {
            before.insert((domain, holder), balance(world, domain, holder).await);
        }
        Self {
            before,
            credits: BTreeMap::new(),
            debits: BTreeMap::new(),
            fee_bps,
        }
    }

    /// Records what `transfer`, completed as `report` says, moved: the sender paid the amount; on
    /// the fast path the recipient got it less the liquidity fee, fronted by the routers, who were
    /// then repaid the full amount; on the slow path the recipient got all of it.
    pub fn settle(&mut self, world: &World, transfer: &Sent, report: &TransferReport) {
        let plan = &transfer.plan;
        let (origin, destination) = (plan.origin, plan.destination);
        self.debit(origin, Holder::Wallet(world.user.address()), plan.amount);
        let recipient = Holder::Wallet(plan.recipient(report.stage));
        let mut accounted = U256::ZERO;
        match report.stage {
            Stage::CompletedFast => {
                let keep = U256::from(BPS - u64::from(self.fee_bps[&destination]));
                let fronted = plan.amount * keep / U256::from(BPS);
                self.credit(destination, recipient, fronted);
                accounted += fronted;
                let fronts = shares(fronted, report.routers.len());
                let repaid = shares(plan.amount, report.routers.len());
                for ((router, front), repay) in report.routers.iter().zip(fronts).zip(repaid) {
                    self.debit(destination, Holder::Liquidity(*router), front);
                    self.credit(destination, Holder::Liquidity(*router), repay);
                    accounted += repay - front;
                }
            }
            Stage::CompletedSlow => {
                self.credit(destination, recipient, plan.amount);
                accounted += plan.amount;
            }
            stage => panic!("{} is not complete: {stage}", plan.name),
        }
        assert_eq!(
            accounted, plan.amount,
            "{}: the recipient and the routers account for every unit sent",
            plan.name
        );
    }

    /// Checks every balance read by [`Ledger::open`] changed by exactly what was recorded.
    pub async fn check(&self, world: &World) {
        let mut wrong = Vec::new();
        for (&(domain, holder), &before) in &self.before {
            let key = (domain, holder);
            let credit = self.credits.get(&key).copied().unwrap_or_default();
            let debit = self.debits.get(&key).copied().unwrap_or_default();
            let expected = before + credit - debit;
            let actual = balance(world, domain, holder).await;
            if actual != expected {
                wrong.push(format!(
                    "{holder:?} on {domain}: {actual}, expected {before} + {credit} - {debit}"
                ));
            }
        }
        assert!(wrong.is_empty(), "balances off:\n{}", wrong.join("\n"));
    }

    fn credit(&mut self, domain: Domain, holder: Holder, amount: U256) {
        *self.credits.entry((domain, holder)).or_default() += amount;
    }

    fn debit(&mut self, domain: Domain, holder: Holder, amount: U256) {
        *self.debits.entry((domain, holder)).or_default() += amount;
    }
}

/// `amount` split over `n` routers as `Connext` splits it: equal shares, the last one taking the
/// rounding dust.
fn shares(amount: U256, n: usize) -> Vec<U256> {
    let share = amount / U256::from(n);
    let mut all = vec![share; n];
    if let Some(last) = all.last_mut() {
        *last = amount - share * U256::from(n - 1);
    }
    all
}

async fn balance(world: &World, domain: Domain, holder: Holder) -> U256 {
    let reader = world.reader(domain);
    let local = world.local_demo(domain);
    match holder {
        Holder::Wallet(owner) => DemoToken::new(local, &reader)
            .balanceOf(owner)
            .call()
            .await
            .expect("balanceOf"),
        Holder::Liquidity(router) => Connext::new(world.connext(domain), &reader)
            .routerBalance(router, local)
            .call()
            .await
            .expect("routerBalance"),
    }
}

/// With nothing in flight: the home `Connext` escrows exactly the representations' total supply on
/// the other domains, and on every domain `Connext` holds exactly its routers' liquidity (plus the
/// escrow at home), so no unit is unaccounted for.
pub async fn assert_conserved(world: &World) {
    let mut supply_elsewhere = U256::ZERO;
    let mut escrow = U256::ZERO;
    for domain in world.domains() {
        let reader = world.reader(domain);
        let local = world.local_demo(domain);
        let connext = Connext::new(world.connext(domain), &reader);
        let mut owed = U256::ZERO;
        for router in world.routers() {
            owed += connext
                .routerBalance(router, local)
                .call()
                .await
                .expect("routerBalance");
        }
        if domain == world.home {
            escrow = connext
                .assetInfo(local)
                .call()
                .await
                .expect("assetInfo")
                .custodied;
            owed += escrow;
        } else {
            supply_elsewhere += BridgeToken::new(local, &reader)
                .totalSupply()
                .call()
                .await
                .expect("totalSupply");
        }
        let held = DemoToken::new(local, &reader)
            .balanceOf(world.connext(domain))
            .call()
            .await
            .expect("balanceOf");
        assert_eq!(
            held, owed,
            "Connext on {domain} holds its routers' liquidity (and the escrow at home)"
        );
    }
    assert_eq!(
        escrow, supply_elsewhere,
        "DEMO escrowed at home equals the representations' supply elsewhere"
    );
}
