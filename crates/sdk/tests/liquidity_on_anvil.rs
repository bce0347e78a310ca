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
