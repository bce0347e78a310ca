//! The replicated state: routers' liquidity, the liquidity reserved by decided auctions whose
//! execute has not ended, and every transfer ever decided. Every node derives it by applying the
//! decided batches in height order, so all honest nodes hold the same ledger at each height.

use crate::value::{Batch, Pool};
use alloy::primitives::{Address, B256, U256};
use nxtp_primitives::fees;
use std::collections::{BTreeMap, BTreeSet};

/// Liquidity held for one decided auction until its execute ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// Where the liquidity is.
    pub pool: Pool,
    /// The selected routers.
    pub routers: Vec<Address>,
    /// What each router holds back.
    pub each: U256,
}

/// The state every batch is checked against and applied to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    balances: BTreeMap<(Pool, Address), U256>,
    reservations: BTreeMap<B256, Reservation>,
    decided: BTreeSet<B256>,
}

impl Ledger {
    /// A ledger starting from the given balances.
    pub fn new(balances: impl IntoIterator<Item = ((Pool, Address), U256)>) -> Self {
        Self {
            balances: balances.into_iter().collect(),
            ..Self::default()
        }
    }

    /// What `router` can still commit in `pool`: its balance less its open reservations.
    pub fn available(&self, pool: &Pool, router: Address) -> U256 {
        let held = self
            .balances
            .get(&(*pool, router))
            .copied()
            .unwrap_or_default();
        let reserved = self
            .reservations
            .values()
            .filter(|reservation| {
                reservation.pool == *pool && reservation.routers.contains(&router)
            })
            .fold(U256::ZERO, |sum, reservation| {
                sum.saturating_add(reservation.each)
            });
        held.saturating_sub(reserved)
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

    /// Applies a batch that passed [`crate::validity::check`]: releases first (each debits the
    /// routers what they fronted), then each auction reserves its routers' shares.
    pub fn apply(&mut self, batch: &Batch) {
        for transfer_id in &batch.releases {
            self.release(transfer_id);
        }
        for auction in &batch.auctions {
            let count = auction.routers.len();
            self.decided.insert(auction.terms.transfer_id);
            self.reservations.insert(
                auction.terms.transfer_id,
                Reservation {
                    pool: auction.terms.pool,
                    routers: auction.routers.clone(),
                    each: fees::share_needed(auction.terms.to_front, count),
                },
            );
        }
    }

    /// Ends a reservation: its execute confirmed, so the routers' balances now lack what they
    /// fronted (counted at the share reserved, an upper bound of each router's debit).
    fn release(&mut self, transfer_id: &B256) {
        if let Some(reservation) = self.reservations.remove(transfer_id) {
            for router in reservation.routers {
                if let Some(balance) = self.balances.get_mut(&(reservation.pool, router)) {
                    *balance = balance.saturating_sub(reservation.each);
                }
            }
        }
    }
}
