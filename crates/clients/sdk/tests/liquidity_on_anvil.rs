//! Router liquidity through the SDK on real chains: add (approving first), read, remove to an address, and the
//! refusals (not the owner, more than the router holds, an unapproved router) sent before any transaction.

mod common;

use alloy::primitives::{Address, U256};
use common::{Net, HOME};
use nxtp_devnet::{liquidity::demo_units, Role};
use nxtp_sdk::SdkError;

#[tokio::test]
async fn add_and_remove_liquidity_round_trip() {
    let net = Net::start().await;
    let sdk = net.sdk();
    let demo = Net::demo();
    let user = net.signer(Role::User);
    let owner = net.signer(Role::RouterA);
    let router = owner.address();
    let payee = net.accounts.address(Role::Watcher);
    let amount = demo_units(5);

    let start = sdk
        .router_balance(HOME, router, &demo)
        .await
        .expect("balance");
    assert!(!start.is_zero(), "the devnet funds its routers at home");

    // Anyone may add for an approved router; the SDK approves Connext first.
    let added = sdk
        .add_liquidity(&user, HOME, router, &demo, amount)
        .await
        .expect("add");
    assert!(added.approval.is_some());
    assert_eq!(added.balance, start + amount);
    assert_eq!(
        sdk.router_balance(HOME, router, &demo)
            .await
            .expect("balance"),
        start + amount
    );

    let accounts = [user.address(), router];
    let before = net.nonces(HOME, &accounts).await;
    let err = sdk
        .remove_liquidity(&user, HOME, router, &demo, amount, payee)
        .await
        .expect_err("not the owner");
    assert!(
        matches!(&err, SdkError::NotRouterOwner { owner: o, signer, .. } if *o == router && *signer == user.address()),
        "{err}"
    );
    let err = sdk
        .remove_liquidity(
            &owner,
            HOME,
            router,
            &demo,
            start + amount + U256::from(1u64),
            payee,
        )
        .await
        .expect_err("more than it holds");
    assert!(
        matches!(err, SdkError::InsufficientLiquidity { available, .. } if available == start + amount),
        "{err}"
    );
    let stranger = Address::repeat_byte(0x51);
    let err = sdk
        .add_liquidity(&user, HOME, stranger, &demo, amount)
        .await
        .expect_err("not a router");
    assert!(
        matches!(err, SdkError::RouterNotApproved { router: r, .. } if r == stranger),
        "{err}"
    );
    assert!(matches!(
        sdk.add_liquidity(&user, HOME, router, &demo, U256::ZERO)
            .await,
        Err(SdkError::ZeroAmount)
    ));
    assert_eq!(
        net.nonces(HOME, &accounts).await,
        before,
        "refusals send nothing"
    );

    let removed = sdk
        .remove_liquidity(&owner, HOME, router, &demo, amount, payee)
        .await
        .expect("remove");
    assert_eq!(removed.balance, start);
    assert_eq!(
        sdk.router_balance(HOME, router, &demo)
            .await
            .expect("balance"),
        start
    );
    assert_eq!(
        sdk.balance_of(HOME, payee, &demo).await.expect("payee"),
        amount,
        "the removed liquidity went to the payee"
    );
}

/// The name of the contract error a refused call decoded to.
fn revert_name(err: &SdkError) -> &str {
    match err {
        SdkError::Reverted { revert, .. } => &revert.name,
        other => panic!("expected a decoded revert, got {other}"),
    }
}

#[tokio::test]
async fn router_recipient_changes_wait_for_the_delay() {
    let net = Net::start().await;
    let sdk = net.sdk();
    let demo = Net::demo();
    let owner = net.signer(Role::RouterA);
    let router = owner.address();
    let payee = net.accounts.address(Role::Watcher);
    let thief = Address::repeat_byte(0x7e);

    // Not the owner: refused before any transaction.
    let user = net.signer(Role::User);
    let before = net.nonces(HOME, &[user.address()]).await;
    let err = sdk
        .propose_router_recipient(&user, HOME, router, payee)
        .await
        .expect_err("not the owner");
    assert!(matches!(err, SdkError::NotRouterOwner { .. }), "{err}");
    assert_eq!(net.nonces(HOME, &[user.address()]).await, before);

    // A first recipient applies at once.
    assert_eq!(
        sdk.pending_router_recipient(HOME, router)
            .await
            .expect("reads"),
        None
    );
    let (_, first) = sdk
        .propose_router_recipient(&owner, HOME, router, payee)
        .await
        .expect("proposes");
    assert_eq!(first.recipient, payee);
    sdk.accept_router_recipient(&owner, HOME, router)
        .await
        .expect("a first recipient is accepted at once");
    assert_eq!(
        sdk.pending_router_recipient(HOME, router)
            .await
            .expect("reads"),
        None
    );

    // Re-pointing it waits for the delay: the owner's key alone cannot drain to a new address.
    let (_, change) = sdk
        .propose_router_recipient(&owner, HOME, router, thief)
        .await
        .expect("proposes");
    let week = 7 * 24 * 3600;
    assert!(
        (first.acceptable_at + week..first.acceptable_at + week + 60)
            .contains(&change.acceptable_at),
        "seven days after the proposal: {change:?}"
    );
    assert_eq!(
        sdk.pending_router_recipient(HOME, router)
            .await
            .expect("reads"),
        Some(change)
    );
    let err = sdk
        .accept_router_recipient(&owner, HOME, router)
        .await
        .expect_err("inside the delay");
    assert_eq!(revert_name(&err), "RouterRecipientDelayNotElapsed", "{err}");
    let err = sdk
        .remove_liquidity(&owner, HOME, router, &demo, demo_units(1), thief)
        .await
        .expect_err("the recipient is still the payee");
    assert_eq!(revert_name(&err), "RouterRecipientIsSet", "{err}");

    // The owner cancels; nothing is pending any more.
    sdk.cancel_router_recipient(&owner, HOME, router)
        .await
        .expect("cancels");
    assert_eq!(
        sdk.pending_router_recipient(HOME, router)
            .await
            .expect("reads"),
        None
    );
    let err = sdk
        .cancel_router_recipient(&owner, HOME, router)
        .await
        .expect_err("nothing to cancel");
    assert_eq!(revert_name(&err), "NoRouterRecipientProposed", "{err}");
}
