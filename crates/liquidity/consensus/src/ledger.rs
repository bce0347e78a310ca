//! The replicated state: routers' liquidity, the liquidity reserved by decided auctions whose
//! execute has not ended, and every transfer ever decided. Every node derives it by applying the
//! decided batches in height order, so all honest nodes hold the same ledger at each height.
//!
//! A router's balance in a pool is the last balance observed on chain (or the genesis one), less
//! what the fast executes released since that observation fronted. An observation at block `B`
//! replaces the balance: it already lacks what every execute up to `B` fronted and holds every
//! deposit, withdrawal and repayment up to `B`. A reservation whose execute landed at or before
//! `B` but is not released yet is then counted twice (in the observed balance and as reserved):
//! the ledger errs low until the release, which then debits nothing. A release of an execute
//! after `B` debits the share reserved. An observation older than a debited execute would undo
//! the debit, so it is refused ([`Ledger::observable`]).

use crate::value::{Auction, Batch, Observation, Pool, Release, ReleaseCause};
use alloy::primitives::{Address, B256, U256};
use nxtp_primitives::fees;
use std::collections::{BTreeMap, BTreeSet};

/// How many batches a reservation outlives without an execute before any proposer may release
/// it ([`ReleaseCause::Expired`]), unless the genesis says otherwise
/// ([`Ledger::with_expiry`]). A height is at least one round long (about a second, longer
/// while idle), so this is an hour or more: far beyond a fast execute, and a transfer that
/// takes the slow path releases its reservation when its slow execute lands.
pub const DEFAULT_RESERVATION_EXPIRY: u64 = 3_600;

/// Liquidity held for one decided auction until its execute ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// Where the liquidity is.
    pub pool: Pool,
    /// The selected routers.
    pub routers: Vec<Address>,
    /// What each router holds back.
    pub each: U256,
    /// The number of batches applied before the one that decided it.
    pub decided_at: u64,
}

/// One router's balance in one pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Holding {
    /// The balance, before reservations.
    balance: U256,
    /// The destination block of the last observation (0: the genesis balance).
    observed_at: u64,
    /// The newest destination block of an execute whose release debited this balance.
    debited_through: u64,
}

/// The state every batch is checked against and applied to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ledger {
    holdings: BTreeMap<(Pool, Address), Holding>,
    reservations: BTreeMap<B256, Reservation>,
    decided: BTreeSet<B256>,
    /// Batches applied since genesis: the clock of expiries, the same on every node.
    batches: u64,
    /// Batches after which a reservation may be released without an execute.
    expiry: u64,
}

impl Default for Ledger {
    fn default() -> Self {
        Self::new([])
    }
}

impl Ledger {
    /// A ledger starting from the given balances, reservations expiring after
    /// [`DEFAULT_RESERVATION_EXPIRY`] batches.
    pub fn new(balances: impl IntoIterator<Item = ((Pool, Address), U256)>) -> Self {
        Self {
            holdings: balances
                .into_iter()
                .map(|(key, balance)| {
                    let holding = Holding {
                        balance,
                        ..Holding::default()
                    };
                    (key, holding)
                })
                .collect(),
            reservations: BTreeMap::new(),
            decided: BTreeSet::new(),
            batches: 0,
            expiry: DEFAULT_RESERVATION_EXPIRY,
        }
    }

    /// The same ledger with reservations expiring after `batches` batches (part of the
    /// genesis: every node of a network must use the same).
    pub fn with_expiry(mut self, batches: u64) -> Self {
        self.expiry = batches;
        self
    }

    /// What `router` holds in `pool` as far as the ledger knows, before reservations.
    pub fn balance(&self, pool: &Pool, router: Address) -> U256 {
        self.holding(pool, router).balance
    }

    /// What `router` can still commit in `pool`: its balance less its open reservations.
    pub fn available(&self, pool: &Pool, router: Address) -> U256 {
        let reserved = self
            .reservations
            .values()
            .filter(|reservation| {
                reservation.pool == *pool && reservation.routers.contains(&router)
            })
            .fold(U256::ZERO, |sum, reservation| {
                sum.saturating_add(reservation.each)
            });
        self.balance(pool, router).saturating_sub(reserved)
    }

    /// Whether `observation` may replace what the ledger holds: it is newer than the last
    /// observation of its router and pool, and not older than an execute whose release already
    /// debited the balance (its balance would not lack what that execute fronted).
    pub fn observable(&self, observation: &Observation) -> bool {
        let holding = self.holding(&observation.pool, observation.router);
        observation.block > holding.observed_at && observation.block >= holding.debited_through
    }

    /// Whether `transfer_id`'s reservation has been open for the ledger's expiry.
    pub fn expired(&self, transfer_id: &B256) -> bool {
        self.reservations
            .get(transfer_id)
            .is_some_and(|reservation| self.batches - reservation.decided_at >= self.expiry)
    }

    /// Whether `transfer_id` was decided at some height already.
    pub fn is_decided(&self, transfer_id: &B256) -> bool {
        self.decided.contains(transfer_id)
    }

    /// The open reservation of `transfer_id`.
    pub fn reservation(&self, transfer_id: &B256) -> Option<&Reservation> {
        self.reservations.get(transfer_id)
    }

    /// The transfers whose liquidity is still reserved.
    pub fn open(&self) -> impl Iterator<Item = &B256> {
        self.reservations.keys()
    }

    /// Applies a batch that passed [`crate::validity::check`]: its releases, then its
    /// observations, then each auction reserves its routers' shares.
    pub fn apply(&mut self, batch: &Batch) {
        for release in &batch.releases {
            self.release(release);
        }
        for observation in &batch.observations {
            self.observe(observation);
        }
        for auction in &batch.auctions {
            self.reserve(auction);
        }
        self.batches += 1;
    }

    fn holding(&self, pool: &Pool, router: Address) -> Holding {
        self.holdings
            .get(&(*pool, router))
            .copied()
            .unwrap_or_default()
    }

    /// Ends a reservation. A fast execute after the last observation debits each router the
    /// share reserved (an upper bound of its debit: the next observation corrects the rest);
    /// one at or before it is already in the observed balance; a slow one or an expiry fronted
    /// nothing.
    pub(crate) fn release(&mut self, release: &Release) {
        let Some(reservation) = self.reservations.remove(&release.transfer_id) else {
            return;
        };
        let ReleaseCause::Executed(end) = release.cause else {
            return;
        };
        if !end.fast {
            return;
        }
        for router in reservation.routers {
            let holding = self.holdings.entry((reservation.pool, router)).or_default();
            if end.block > holding.observed_at {
                holding.balance = holding.balance.saturating_sub(reservation.each);
                holding.debited_through = holding.debited_through.max(end.block);
            }
        }
    }

    /// Replaces a router's balance by what the chain held at the observation's block.
    pub(crate) fn observe(&mut self, observation: &Observation) {
        let holding = self
            .holdings
            .entry((observation.pool, observation.router))
            .or_default();
        holding.balance = observation.balance;
        holding.observed_at = observation.block;
    }

    /// Records a decided auction and reserves its routers' shares.
    pub(crate) fn reserve(&mut self, auction: &Auction) {
        let count = auction.routers.len();
        self.decided.insert(auction.terms.transfer_id);
        self.reservations.insert(
            auction.terms.transfer_id,
            Reservation {
                pool: auction.terms.pool,
                routers: auction.routers.clone(),
                each: fees::share_needed(auction.terms.to_front, count),
                decided_at: self.batches,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::tests::terms;
    use crate::value::ExecuteEnd;

    const ROUTER: Address = Address::repeat_byte(1);

    fn observation(block: u64, balance: u64) -> Observation {
        Observation {
            pool: terms(0, 0).pool,
            router: ROUTER,
            block,
            block_hash: B256::with_last_byte(block as u8),
            balance: U256::from(balance),
        }
    }

    fn decided(id: u8, to_front: u64) -> Batch {
        Batch {
            auctions: vec![Auction {
                terms: terms(id, to_front),
                bids: Vec::new(),
                routers: vec![ROUTER],
            }],
            ..Batch::default()
        }
    }

    fn executed(id: u8, block: u64, fast: bool) -> Release {
        Release {
            transfer_id: B256::repeat_byte(id),
            cause: ReleaseCause::Executed(ExecuteEnd { block, fast }),
        }
    }

    fn releasing(release: Release) -> Batch {
        Batch {
            releases: vec![release],
            ..Batch::default()
        }
    }

    fn observing(observation: Observation) -> Batch {
        Batch {
            observations: vec![observation],
            ..Batch::default()
        }
    }

    #[test]
    fn an_execute_is_counted_once_whether_observed_before_or_after_its_release() {
        let pool = terms(0, 0).pool;
        let mut before = Ledger::new([((pool, ROUTER), U256::from(1_000))]);
        before.apply(&decided(1, 300));
        assert_eq!(before.available(&pool, ROUTER), U256::from(700));

        // Released first (executed at block 10, after the genesis balance), then observed at
        // block 12, which lacks the 300: 700 either way, never 400.
        let mut released_first = before.clone();
        released_first.apply(&releasing(executed(1, 10, true)));
        assert_eq!(released_first.available(&pool, ROUTER), U256::from(700));
        released_first.apply(&observing(observation(12, 700)));
        assert_eq!(released_first.available(&pool, ROUTER), U256::from(700));

        // Observed first at block 12: the reservation still open is counted twice until its
        // release, which then debits nothing (the execute at 10 is in the observed balance).
        let mut observed_first = before;
        observed_first.apply(&observing(observation(12, 700)));
        assert_eq!(observed_first.available(&pool, ROUTER), U256::from(400));
        observed_first.apply(&releasing(executed(1, 10, true)));
        assert_eq!(observed_first.available(&pool, ROUTER), U256::from(700));
    }

    #[test]
    fn observations_only_move_forward_and_never_undo_a_debit() {
        let pool = terms(0, 0).pool;
        let mut ledger = Ledger::new([((pool, ROUTER), U256::from(1_000))]);
        assert!(
            !ledger.observable(&observation(0, 5)),
            "the genesis is block 0"
        );
        ledger.apply(&observing(observation(5, 900)));
        assert!(!ledger.observable(&observation(5, 900)));
        assert!(!ledger.observable(&observation(4, 900)));

        ledger.apply(&decided(1, 300));
        ledger.apply(&releasing(executed(1, 9, true)));
        assert_eq!(ledger.balance(&pool, ROUTER), U256::from(600));
        // Block 8's balance does not lack the execute at 9: it would undo the debit.
        assert!(!ledger.observable(&observation(8, 900)));
        assert!(ledger.observable(&observation(9, 600)));
    }

    #[test]
    fn a_slow_execute_or_an_expiry_debits_nothing() {
        let pool = terms(0, 0).pool;
        let mut ledger = Ledger::new([((pool, ROUTER), U256::from(1_000))]).with_expiry(3);
        ledger.apply(&decided(1, 300));
        ledger.apply(&decided(2, 300));
        ledger.apply(&releasing(executed(1, 7, false)));
        assert_eq!(ledger.available(&pool, ROUTER), U256::from(700));

        // Transfer 2 was decided in the second batch (1 batch before it): it expires once 3
        // batches passed since.
        assert!(!ledger.expired(&B256::repeat_byte(2)));
        ledger.apply(&Batch::default());
        assert!(ledger.expired(&B256::repeat_byte(2)));
        assert!(!ledger.expired(&B256::repeat_byte(1)), "released already");
        ledger.apply(&releasing(Release {
            transfer_id: B256::repeat_byte(2),
            cause: ReleaseCause::Expired,
        }));
        assert_eq!(ledger.available(&pool, ROUTER), U256::from(1_000));
        assert!(
            ledger.is_decided(&B256::repeat_byte(2)),
            "decided stays decided"
        );
    }
}
