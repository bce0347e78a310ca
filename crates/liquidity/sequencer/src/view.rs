//! What `GET /v1/transfers/<id>` (and a bid's answer) says about a transfer, derived from the
//! database alone so it is the same whichever task last touched the transfer.

use crate::{
    executed,
    pricing::Pricing,
    store::{self, Outcome},
};
use alloy::primitives::{Address, B256};
use nxtp_api::sequencer::{RouterBids, TransferState, TransferView};
use rusqlite::Connection;
use std::{collections::BTreeMap, time::Duration};

/// Everything known about `transfer_id` at `now_ms`; `None` when nothing is.
pub fn transfer_view(
    conn: &Connection,
    transfer_id: B256,
    pricing: &Pricing,
    window: Duration,
    now_ms: u64,
) -> rusqlite::Result<Option<TransferView>> {
    let transfer = store::transfer(conn, transfer_id)?;
    let bids = store::bids(conn, transfer_id)?;
    if transfer.is_none() && bids.is_empty() {
        return Ok(None);
    }
    let mut by_router: BTreeMap<Address, Vec<u32>> = BTreeMap::new();
    for bid in &bids {
        by_router
            .entry(bid.router)
            .or_default()
            .push(bid.path_length);
    }
    let mut view = TransferView {
        transfer_id,
        origin: transfer.as_ref().map(store::StoredTransfer::origin),
        destination: transfer.as_ref().map(store::StoredTransfer::destination),
        state: TransferState::AwaitingXcall,
        reason: "bids are kept until the transfer's XCalled is confirmed on its origin".to_owned(),
        bids: by_router
            .into_iter()
            .map(|(router, path_lengths)| RouterBids {
                router,
                path_lengths,
            })
            .collect(),
        selected: None,
        relayer_job: None,
    };
    let Some(transfer) = transfer else {
        return Ok(Some(view));
    };

    if let Some(decision) = store::decision(conn, transfer_id)? {
        let routers = decision.routers.len();
        (view.state, view.reason) = match decision.outcome {
            Outcome::Sent => (
                TransferState::Sent {
                    routers: decision.routers.clone(),
                    job_id: decision.job_id,
                },
                if decision.acknowledged {
                    format!("{routers} router(s) chosen; the relayer is executing the transfer")
                } else {
                    format!("{routers} router(s) chosen; handing the execute to the relayer")
                },
            ),
            Outcome::Executed { tx_hash } => (
                TransferState::Executed { tx_hash },
                format!("executed on the destination by {routers} router(s)"),
            ),
            Outcome::Failed { reason } => (
                TransferState::ExecuteFailed {
                    reason: reason.clone(),
                },
                format!("the execute failed ({reason}); the transfer falls back to the slow path"),
            ),
        };
        // The destination's word is final: a job a relayer reported failed may have gone
        // through at another relayer, and a failed fast execute is completed by the slow path.
        if let Some(execute) = executed::find(conn, transfer_id)? {
            view.reason = if execute.fast {
                format!("executed on the destination by {routers} router(s)")
            } else {
                "the fast execute did not go through; executed on the destination by the slow path"
                    .to_owned()
            };
            view.state = TransferState::Executed {
                tx_hash: execute.tx_hash,
            };
        }
        view.selected = Some(decision.routers);
        view.relayer_job = Some(decision.job_id);
        return Ok(Some(view));
    }

    if let Some(reason) = transfer.closed_reason {
        view.reason =
            format!("no longer auctioned: {reason}; the slow path completes the transfer");
        view.state = TransferState::SlowPath { reason };
        return Ok(Some(view));
    }

    let quote = pricing.relayer_fee(transfer.destination());
    let paid = store::fee_paid(conn, transfer.origin(), transfer_id)?;
    let paid = pricing.paid_value(transfer.origin(), transfer_id, &paid);
    let verified = bids.iter().any(|bid| bid.verified);
    (view.state, view.reason) = if paid < quote {
        (
            TransferState::AwaitingFee { paid, quote },
            format!(
                "the relayer fee paid ({paid} wei) is below the quote ({quote} wei); bump the \
                 transfer to raise it"
            ),
        )
    } else if !verified {
        (
            TransferState::AwaitingLiquidity,
            "no valid bid from an approved router yet".to_owned(),
        )
    } else {
        match (transfer.auction_opened_ms, transfer.short_since_ms) {
            (_, Some(_)) => (
                TransferState::AwaitingLiquidity,
                "no combination of bids covers the amount with the routers' current balances"
                    .to_owned(),
            ),
            (opened, None) => {
                let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
                let closes_at = opened.unwrap_or(now_ms).saturating_add(window_ms);
                let reason = if closes_at > now_ms {
                    "collecting bids until the auction window closes"
                } else {
                    "the auction window closed; choosing the routers"
                };
                (TransferState::Auction { closes_at }, reason.to_owned())
            }
        }
    };
    Ok(Some(view))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        bids::Checked,
        store::{Decision, NewTransfer},
    };
    use alloy::primitives::{Bytes, U256};
    use nxtp_agent::Store;
    use nxtp_liquidity::{FeeAssetRate, FeeValuation, RelayerFee, NATIVE};
    use nxtp_primitives::{transfer_id, Domain, TransferInfo};

    const WINDOW: Duration = Duration::from_millis(1_000);

    /// The token accepted for fees on 1000: one whole token (10^6 units) is worth 1000 wei.
    const TOKEN: Address = Address::repeat_byte(0x77);

    fn pricing() -> Pricing {
        let mut valuation = FeeValuation::native_only();
        let rate = FeeAssetRate::new(6, U256::from(1_000)).expect("valid");
        valuation.accept(Domain(1000), TOKEN, rate);
        Pricing {
            quotes: crate::config::Quotes {
                default_relayer_fee: U256::from(100),
                destinations: BTreeMap::new(),
            },
            valuation,
        }
    }

    fn params() -> TransferInfo {
        crate::testing::transfer(10)
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        store: Store,
        id: B256,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = Store::open(
                &dir.path().join("s.sqlite"),
                &[store::SCHEMA, executed::SCHEMA],
            )
            .expect("opens");
            Self {
                _dir: dir,
                store,
                id: transfer_id(&params()),
            }
        }

        fn view(&self, now_ms: u64) -> Option<TransferView> {
            self.store
                .with(|conn| transfer_view(conn, self.id, &pricing(), WINDOW, now_ms))
                .expect("reads")
        }

        fn state(&self, now_ms: u64) -> TransferState {
            self.view(now_ms).expect("known").state
        }

        fn xcall(&self, fee: u64) {
            self.xcall_paying(NATIVE, fee);
        }

        fn xcall_paying(&self, asset: Address, fee: u64) {
            let transfer = NewTransfer {
                transfer_id: self.id,
                params: params(),
                block: 1,
            };
            let fee = RelayerFee {
                transfer_id: self.id,
                asset,
                amount: U256::from(fee),
                block: 1,
                log_index: 0,
            };
            self.store
                .with(|conn| {
                    store::record_origin_events(conn, Domain(1000), &[transfer], &[fee], None)
                })
                .expect("records");
        }

        fn bid(&self, verified: bool) {
            let bid = Checked {
                signatures: vec![(1, Bytes::from_static(&[1]))],
                signed_for: Domain(2000),
            };
            self.store
                .with(|conn| {
                    store::insert_bids(conn, self.id, Address::repeat_byte(7), &bid, verified, 5)
                })
                .expect("bids");
        }
    }

    #[test]
    fn a_fee_in_an_accepted_asset_counts_at_its_rate() {
        let fixture = Fixture::new();
        // 99_999 units at 1000 wei a whole token (10^6 units): 99 wei, short of 100.
        fixture.xcall_paying(TOKEN, 99_999);
        assert_eq!(
            fixture.state(0),
            TransferState::AwaitingFee {
                paid: U256::from(99),
                quote: U256::from(100),
            }
        );
        let unknown = Fixture::new();
        unknown.xcall_paying(Address::repeat_byte(0x55), 1_000_000_000);
        assert_eq!(
            unknown.state(0),
            TransferState::AwaitingFee {
                paid: U256::ZERO,
                quote: U256::from(100),
            },
            "an asset not accepted counts zero"
        );
        let paid = Fixture::new();
        paid.xcall_paying(TOKEN, 100_000);
        assert_eq!(
            paid.state(0),
            TransferState::AwaitingLiquidity,
            "fee covered"
        );
    }

    #[test]
    fn unknown_until_a_bid_or_the_xcall() {
        let fixture = Fixture::new();
        assert_eq!(fixture.view(0), None);
        fixture.bid(false);
        let view = fixture.view(0).expect("known by its bid");
        assert_eq!(view.state, TransferState::AwaitingXcall);
        assert_eq!(view.origin, None);
        assert_eq!(view.bids[0].path_lengths, [1]);
    }

    #[test]
    fn waits_for_the_fee_then_the_window_then_liquidity() {
        let fixture = Fixture::new();
        fixture.xcall(60);
        assert_eq!(
            fixture.state(0),
            TransferState::AwaitingFee {
                paid: U256::from(60),
                quote: U256::from(100),
            }
        );
        let bump = RelayerFee {
            transfer_id: fixture.id,
            asset: NATIVE,
            amount: U256::from(40),
            block: 2,
            log_index: 3,
        };
        fixture
            .store
            .with(|conn| store::record_origin_events(conn, Domain(1000), &[], &[bump], None))
            .expect("bumps");
        assert_eq!(
            fixture.state(0),
            TransferState::AwaitingLiquidity,
            "no valid bid yet"
        );
        fixture.bid(true);
        fixture
            .store
            .with(|conn| store::open_auction(conn, fixture.id, 1_000))
            .expect("opens");
        assert_eq!(
            fixture.state(1_500),
            TransferState::Auction { closes_at: 2_000 }
        );
        fixture
            .store
            .with(|conn| store::mark_short(conn, fixture.id, 2_100))
            .expect("short");
        let view = fixture.view(2_200).expect("known");
        assert_eq!(view.state, TransferState::AwaitingLiquidity);
        assert!(view.reason.contains("covers"), "{}", view.reason);

        let reason = "the destination reconciled it (status Reconciled)";
        let closed = fixture
            .store
            .with(|conn| store::close(conn, fixture.id, reason, 2_300))
            .expect("closes");
        assert!(closed);
        let view = fixture.view(2_400).expect("known");
        assert_eq!(
            view.state,
            TransferState::SlowPath {
                reason: reason.to_owned()
            }
        );
        assert!(view.reason.contains("slow path"), "{}", view.reason);
        let again = fixture
            .store
            .with(|conn| store::close(conn, fixture.id, "later", 2_500))
            .expect("reads");
        assert!(!again, "closed once, with its first reason");
    }

    #[test]
    fn a_decision_shows_its_routers_and_outcome() {
        let fixture = Fixture::new();
        fixture.xcall(100);
        fixture.bid(true);
        let routers = vec![Address::repeat_byte(7)];
        let decision = Decision {
            transfer_id: fixture.id,
            destination: Domain(2000),
            routers: routers.clone(),
            calldata: Bytes::from_static(&[1]),
            job_id: B256::repeat_byte(9),
            acknowledged: false,
            outcome: Outcome::Sent,
            opened_ms: 1,
            decided_ms: 2,
        };
        fixture
            .store
            .with(|conn| store::record_decision(conn, &decision).map(drop))
            .expect("decides");
        let view = fixture.view(3).expect("known");
        assert_eq!(
            view.state,
            TransferState::Sent {
                routers: routers.clone(),
                job_id: B256::repeat_byte(9),
            }
        );
        assert_eq!(view.selected, Some(routers));
        assert_eq!(view.relayer_job, Some(B256::repeat_byte(9)));
        let failed = Outcome::Failed {
            reason: "InvalidTransferStatus".to_owned(),
        };
        fixture
            .store
            .with(|conn| store::finish(conn, fixture.id, &failed))
            .expect("finishes");
        assert_eq!(
            fixture.state(4),
            TransferState::ExecuteFailed {
                reason: "InvalidTransferStatus".to_owned()
            }
        );
    }
}
