//! Each rule of [`super::check`], and batches built by [`super::build`] passing it.

use super::*;
use crate::loopback::SharedChain;
use crate::value::tests::terms;
use alloy::primitives::Bytes;
use alloy::signers::local::PrivateKeySigner;
use nxtp_primitives::sign_digest;

/// `router`'s balance `balance` at `block` (hash derived from the number), read by every node.
fn read_balance(chain: &SharedChain, router: Address, block: u64, balance: u64) -> Observation {
    let observation = Observation {
        pool: terms(0, 0).pool,
        router,
        block,
        block_hash: keccak_of(block),
        balance: U256::from(balance),
    };
    chain.read_balance(observation);
    observation
}

fn keccak_of(block: u64) -> B256 {
    alloy::primitives::keccak256(block.to_be_bytes())
}

fn bid(router: &PrivateKeySigner, terms: &TransferTerms, n: u32) -> SignedBid {
    let digest = terms
        .signing_domain()
        .router_bid_digest(terms.transfer_id, n as usize);
    SignedBid {
        router: router.address(),
        path_length: n,
        signature: Bytes::copy_from_slice(&sign_digest(router, digest).expect("signs")),
    }
}

struct Setup {
    routers: Vec<PrivateKeySigner>,
    approved: BTreeSet<Address>,
    known: SharedChain,
    ledger: Ledger,
}

impl Setup {
    fn build(&self, bids: Vec<(B256, Vec<SignedBid>)>, ledger: &Ledger) -> Batch {
        build(bids, ledger, &self.known, &self.approved)
    }

    fn check(&self, batch: &Batch, ledger: &Ledger) -> Result<(), Invalid> {
        check(batch, ledger, &self.known, &self.approved)
    }

    /// Transfer `id`'s bid of path length 1 by router `index` alone.
    fn solo_bid(&self, index: usize, id: u8) -> Vec<(B256, Vec<SignedBid>)> {
        let t = self.known.terms(&B256::repeat_byte(id)).expect("set up");
        vec![(t.transfer_id, vec![bid(&self.routers[index], &t, 1)])]
    }
}

fn setup(balances: &[u64]) -> Setup {
    let routers: Vec<PrivateKeySigner> = balances
        .iter()
        .map(|_| PrivateKeySigner::random())
        .collect();
    let approved = routers.iter().map(|r| r.address()).collect();
    let pool = terms(0, 0).pool;
    let ledger = Ledger::new(
        routers
            .iter()
            .zip(balances)
            .map(|(r, &b)| ((pool, r.address()), U256::from(b))),
    );
    let known = SharedChain::default();
    for i in 1..=4 {
        known.xcall(terms(i, 100));
    }
    Setup {
        routers,
        approved,
        known,
        ledger,
    }
}

#[test]
fn a_built_batch_passes_and_no_liquidity_is_spent_twice() {
    let s = setup(&[150, 100]);
    let t1 = terms(1, 100);
    let t2 = terms(2, 100);
    let bids = vec![
        (
            t1.transfer_id,
            vec![bid(&s.routers[0], &t1, 1), bid(&s.routers[1], &t1, 1)],
        ),
        (
            t2.transfer_id,
            vec![bid(&s.routers[0], &t2, 1), bid(&s.routers[1], &t2, 1)],
        ),
    ];
    let batch = s.build(bids.clone(), &s.ledger);
    assert_eq!(batch.auctions.len(), 2);
    s.check(&batch, &s.ledger).expect("valid");
    // Each router covers only one transfer of 100: the two are on different routers.
    assert_ne!(batch.auctions[0].routers, batch.auctions[1].routers);

    let mut after = s.ledger.clone();
    after.apply(&batch);
    // Nothing can be decided twice, and nothing is left to decide with.
    assert!(s.build(bids, &after).is_empty());
    assert_eq!(
        s.check(&batch, &after),
        Err(Invalid::DecidedTwice(t1.transfer_id))
    );
}

#[test]
fn refuses_each_broken_rule() {
    let s = setup(&[100, 100, 100]);
    let t = terms(1, 100);
    let bids = vec![(
        t.transfer_id,
        s.routers.iter().map(|r| bid(r, &t, 1)).collect::<Vec<_>>(),
    )];
    let good = s.build(bids, &s.ledger);
    let check = |batch: &Batch| s.check(batch, &s.ledger);
    check(&good).expect("valid");

    let chosen = good.auctions[0].routers[0];
    let other = s
        .routers
        .iter()
        .map(|r| r.address())
        .find(|&r| r != chosen)
        .expect("another");
    let mut rigged = good.clone();
    rigged.auctions[0].routers = vec![other];
    assert!(matches!(
        check(&rigged),
        Err(Invalid::WrongSelection { .. })
    ));

    let mut forged = good.clone();
    forged.auctions[0].bids[0].signature = forged.auctions[0].bids[1].signature.clone();
    assert!(matches!(check(&forged), Err(Invalid::BadSignature(..))));

    let mut made_up = good.clone();
    made_up.auctions[0].terms.to_front = U256::from(1);
    assert!(matches!(check(&made_up), Err(Invalid::UnconfirmedTerms(_))));

    let mut unsorted = good.clone();
    unsorted.auctions[0].bids.reverse();
    assert!(matches!(
        check(&unsorted),
        Err(Invalid::BidsNotCanonical(_))
    ));

    let stranger = PrivateKeySigner::random();
    let mut strangers = good.clone();
    strangers.auctions[0].bids = vec![bid(&stranger, &t, 1)];
    strangers.auctions[0].routers = vec![stranger.address()];
    assert!(matches!(check(&strangers), Err(Invalid::Unapproved(..))));

    let mut twice = good.clone();
    twice.auctions.push(good.auctions[0].clone());
    assert!(matches!(check(&twice), Err(Invalid::DecidedTwice(_))));

    let mut early = good;
    early.releases.push(Release {
        transfer_id: t.transfer_id,
        cause: ReleaseCause::Expired,
    });
    assert!(matches!(check(&early), Err(Invalid::UnconfirmedRelease(_))));
}

#[test]
fn a_release_frees_liquidity_only_once_the_execute_ended_as_stated() {
    let s = setup(&[100]);
    let mut ledger = s.ledger.clone();
    ledger.apply(&s.build(s.solo_bid(0, 1), &ledger));
    let t1 = B256::repeat_byte(1);
    assert!(ledger.reservation(&t1).is_some());
    assert!(s.build(s.solo_bid(0, 2), &ledger).is_empty());

    let executed = |block, fast| Batch {
        releases: vec![Release {
            transfer_id: t1,
            cause: ReleaseCause::Executed(ExecuteEnd { block, fast }),
        }],
        ..Batch::default()
    };
    assert_eq!(
        s.check(&executed(7, true), &ledger),
        Err(Invalid::UnconfirmedRelease(t1)),
        "not seen ended"
    );
    s.known.execute(
        t1,
        ExecuteEnd {
            block: 7,
            fast: true,
        },
    );
    let release = s.build(s.solo_bid(0, 2), &ledger);
    // The router fronted 100 of its 100: released, but nothing left for the next one.
    assert_eq!(release.releases, executed(7, true).releases);
    assert!(release.auctions.is_empty());
    s.check(&release, &ledger).expect("valid release");
    for (block, fast) in [(8, true), (7, false)] {
        assert_eq!(
            s.check(&executed(block, fast), &ledger),
            Err(Invalid::UnconfirmedRelease(t1)),
            "another block or path than this node saw"
        );
    }
    let mut twice = release;
    twice.releases.push(twice.releases[0]);
    assert_eq!(
        s.check(&twice, &ledger),
        Err(Invalid::UnconfirmedRelease(t1))
    );
}

#[test]
fn a_reservation_never_executed_is_released_at_its_expiry_only() {
    let s = setup(&[100]);
    let mut ledger = s.ledger.clone().with_expiry(2);
    ledger.apply(&s.build(s.solo_bid(0, 1), &ledger));
    let t1 = B256::repeat_byte(1);
    let expired = Batch {
        releases: vec![Release {
            transfer_id: t1,
            cause: ReleaseCause::Expired,
        }],
        ..Batch::default()
    };
    assert_eq!(
        s.check(&expired, &ledger),
        Err(Invalid::UnconfirmedRelease(t1))
    );
    assert!(s.build(s.solo_bid(0, 2), &ledger).is_empty());
    ledger.apply(&Batch::default());

    // Two batches after the one deciding it: every node agrees it expired.
    let batch = s.build(s.solo_bid(0, 2), &ledger);
    assert_eq!(batch.releases, expired.releases);
    assert_eq!(batch.auctions.len(), 1, "its liquidity is free again");
    s.check(&batch, &ledger).expect("valid expiry");
}

#[test]
fn an_observation_this_node_did_not_read_is_refused() {
    let s = setup(&[100, 100]);
    let router = s.routers[0].address();
    let read = read_balance(&s.known, router, 10, 500);
    let batch = s.build(Vec::new(), &s.ledger);
    assert_eq!(batch.observations, [read]);
    s.check(&batch, &s.ledger).expect("valid observation");

    let unconfirmed = Invalid::UnconfirmedObservation { router, block: 10 };
    let mut richer = batch.clone();
    richer.observations[0].balance = U256::from(501);
    assert_eq!(s.check(&richer, &s.ledger), Err(unconfirmed.clone()));
    let mut other_branch = batch.clone();
    other_branch.observations[0].block_hash = keccak_of(11);
    assert_eq!(s.check(&other_branch, &s.ledger), Err(unconfirmed));

    let mut after = s.ledger.clone();
    after.apply(&batch);
    assert_eq!(after.available(&read.pool, router), U256::from(500));
    assert_eq!(
        s.check(&batch, &after),
        Err(Invalid::StaleObservation { router, block: 10 }),
        "the same block again"
    );
    assert!(
        s.build(Vec::new(), &after).is_empty(),
        "nothing new to observe"
    );

    let second = read_balance(&s.known, s.routers[1].address(), 10, 0);
    let mut unsorted = s.build(Vec::new(), &s.ledger);
    assert_eq!(unsorted.observations.len(), 2);
    unsorted.observations.reverse();
    assert_eq!(
        s.check(&unsorted, &s.ledger),
        Err(Invalid::ObservationsNotCanonical)
    );
    let mut repeated = s.build(Vec::new(), &s.ledger);
    repeated.observations = vec![read, read];
    assert_eq!(
        s.check(&repeated, &s.ledger),
        Err(Invalid::ObservationsNotCanonical)
    );
    assert!(s
        .build(Vec::new(), &s.ledger)
        .observations
        .contains(&second));
}

#[test]
fn a_deposit_makes_a_router_selectable_again() {
    let s = setup(&[100]);
    let mut ledger = s.ledger.clone();
    ledger.apply(&s.build(s.solo_bid(0, 1), &ledger));
    // Its 100 are reserved: transfer 2 waits.
    assert!(s.build(s.solo_bid(0, 2), &ledger).is_empty());

    // The router adds 100 on chain (block 5): its balance reads 200 while transfer 1's 100
    // are still reserved (not executed yet).
    let router = s.routers[0].address();
    read_balance(&s.known, router, 5, 200);
    let batch = s.build(s.solo_bid(0, 2), &ledger);
    assert_eq!(batch.observations.len(), 1);
    assert_eq!(batch.auctions.len(), 1);
    assert_eq!(batch.auctions[0].routers, [router]);
    s.check(&batch, &ledger).expect("valid");

    // Without the observation, the same auction spends liquidity the ledger does not hold.
    let mut unobserved = batch;
    unobserved.observations.clear();
    assert!(matches!(
        s.check(&unobserved, &ledger),
        Err(Invalid::WrongSelection { expected: None, .. })
    ));
}

#[test]
fn a_withdrawal_refuses_a_proposal_that_spends_it() {
    let s = setup(&[100]);
    let router = s.routers[0].address();
    let full = s.build(s.solo_bid(0, 1), &s.ledger);
    s.check(&full, &s.ledger).expect("the genesis 100 cover it");

    // The router withdrew 50 at block 3: once the network observed it, or in the same batch,
    // a selection of it for 100 is refused.
    read_balance(&s.known, router, 3, 50);
    let mut observed = s.ledger.clone();
    observed.apply(&s.build(Vec::new(), &s.ledger));
    assert_eq!(
        observed.available(&terms(0, 0).pool, router),
        U256::from(50)
    );
    assert!(matches!(
        s.check(&full, &observed),
        Err(Invalid::WrongSelection { expected: None, .. })
    ));
    let mut spent_after_withdrawal = full;
    spent_after_withdrawal.observations = s.build(Vec::new(), &s.ledger).observations;
    assert!(matches!(
        s.check(&spent_after_withdrawal, &s.ledger),
        Err(Invalid::WrongSelection { expected: None, .. })
    ));
    assert!(s.build(s.solo_bid(0, 1), &observed).is_empty());
}

/// Terms of a transfer numbered `n`, of 1 to front.
fn numbered(n: usize) -> TransferTerms {
    let mut t = terms(0, 1);
    t.transfer_id = B256::from(U256::from(n));
    t
}

#[test]
fn a_proposer_decides_at_most_a_batch_bound_and_the_rest_next_height() {
    let mut s = setup(&[1_000_000]);
    let count = MAX_AUCTIONS_PER_BATCH + 1;
    s.known = SharedChain::default();
    let all: Vec<TransferTerms> = (0..count).map(numbered).collect();
    for t in &all {
        s.known.xcall(t.clone());
    }
    let bids: Vec<(B256, Vec<SignedBid>)> = all
        .iter()
        .map(|t| (t.transfer_id, vec![bid(&s.routers[0], t, 1)]))
        .collect();

    let batch = s.build(bids.clone(), &s.ledger);
    assert_eq!(batch.auctions.len(), MAX_AUCTIONS_PER_BATCH);
    s.check(&batch, &s.ledger)
        .expect("a batch at its bound is valid");

    let mut over = batch.clone();
    over.auctions.push(batch.auctions[0].clone());
    assert_eq!(
        s.check(&over, &s.ledger),
        Err(Invalid::TooLarge {
            kind: "auctions",
            count,
            max: MAX_AUCTIONS_PER_BATCH
        })
    );

    let mut after = s.ledger.clone();
    after.apply(&batch);
    let next = s.build(bids, &after);
    assert_eq!(
        next.auctions.len(),
        1,
        "the one left over, at the next height"
    );
    s.check(&next, &after).expect("valid");
}

#[test]
fn releases_beyond_a_batch_bound_wait_for_the_next_height() {
    let s = setup(&[1_000_000]);
    let router = s.routers[0].address();
    let mut ledger = s.ledger.clone();
    let count = MAX_RELEASES_PER_BATCH + 1;
    for n in 0..count {
        let terms = numbered(n);
        s.known.execute(
            terms.transfer_id,
            ExecuteEnd {
                block: 7,
                fast: false,
            },
        );
        ledger.reserve(&Auction {
            terms,
            bids: Vec::new(),
            routers: vec![router],
        });
    }

    let batch = s.build(Vec::new(), &ledger);
    assert_eq!(batch.releases.len(), MAX_RELEASES_PER_BATCH);
    s.check(&batch, &ledger)
        .expect("a batch at its bound is valid");

    let mut over = batch.clone();
    over.releases.push(batch.releases[0]);
    assert_eq!(
        s.check(&over, &ledger),
        Err(Invalid::TooLarge {
            kind: "releases",
            count,
            max: MAX_RELEASES_PER_BATCH
        })
    );

    ledger.apply(&batch);
    assert_eq!(s.build(Vec::new(), &ledger).releases.len(), 1);
}

/// A view that learns what `known` knows only from `from` on: a node trailing the proposer.
struct Trailing<'a> {
    known: &'a SharedChain,
    from: std::time::Instant,
}

impl TransferSource for Trailing<'_> {
    fn terms(&self, transfer_id: &B256) -> Option<TransferTerms> {
        (std::time::Instant::now() >= self.from)
            .then(|| self.known.terms(transfer_id))
            .flatten()
    }
    fn execute_ended(&self, transfer_id: &B256) -> Option<ExecuteEnd> {
        self.known.execute_ended(transfer_id)
    }
    fn balance_at(&self, pool: &Pool, router: Address, block: u64, hash: B256) -> Option<U256> {
        self.known.balance_at(pool, router, block, hash)
    }
    fn balances(&self) -> Vec<Observation> {
        self.known.balances()
    }
}

#[tokio::test]
async fn a_trailing_view_is_given_patience_and_a_broken_rule_is_not() {
    let s = setup(&[100]);
    let batch = s.build(s.solo_bid(0, 1), &s.ledger);
    assert_eq!(batch.auctions.len(), 1);
    let patience = Duration::from_secs(30);

    // The transfer reaches this node's view 150 ms after the proposal: confirmed then.
    let trailing = Trailing {
        known: &s.known,
        from: std::time::Instant::now() + Duration::from_millis(150),
    };
    let id = batch.auctions[0].terms.transfer_id;
    assert_eq!(
        check(&batch, &s.ledger, &trailing, &s.approved),
        Err(Invalid::UnconfirmedTerms(id)),
        "refused at first sight"
    );
    check_patiently(&batch, &s.ledger, &trailing, &s.approved, patience)
        .await
        .expect("confirmed once the view caught up");

    // A view that never catches up is refused once the patience has passed.
    let never = Trailing {
        known: &s.known,
        from: std::time::Instant::now() + Duration::from_secs(3600),
    };
    assert_eq!(
        check_patiently(&batch, &s.ledger, &never, &s.approved, VIEW_RETRY * 3).await,
        Err(Invalid::UnconfirmedTerms(id))
    );

    // A rule broken by the proposer is refused at once, however patient the node.
    let mut forged = batch.clone();
    forged.auctions[0].bids[0].signature = Bytes::from_static(&[7; 65]);
    let started = std::time::Instant::now();
    let refused = check_patiently(&forged, &s.ledger, &s.known, &s.approved, patience).await;
    assert!(
        matches!(refused, Err(Invalid::BadSignature(..))),
        "{refused:?}"
    );
    assert!(
        started.elapsed() < patience / 2,
        "no waiting on a broken rule"
    );
}
