//! The SDK against real chains and contracts: a checked `xcall` whose id is `transfer_id(params)`, its status,
//! fee bumps and the delegate's overrides; and every refusal typed and sent before any transaction.

mod common;

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::SolEvent,
};
use common::{sequencer, Net, HOME, REMOTE};
use nxtp_bindings::Connext;
use nxtp_devnet::{liquidity::demo_units, Role};
use nxtp_primitives::{transfer_id, Domain};
use nxtp_sdk::{AssetRef, RelayerFee, SdkError, Stage, Timing, XcallRequest};
use std::time::Duration;

#[tokio::test]
async fn xcall_status_bump_and_delegate_overrides() {
    let net = Net::start().await;
    let fee = U256::from(1_000_000_000_000_000u64);
    let url = sequencer::serve(fee).await;
    let sdk = nxtp_sdk::Sdk::from_manifest(&net.manifest, Some(url.parse().expect("url")))
        .expect("sdk")
        .with_timing(Timing {
            receipt_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_millis(100),
        });
    let user = net.signer(Role::User);
    let recipient = net.accounts.address(Role::Watcher);
    let amount = demo_units(10);

    let quote = sdk
        .quote(HOME, REMOTE, &Net::demo(), amount)
        .await
        .expect("quote");
    assert_eq!(quote.relayer_fee, Some(fee));
    assert_eq!(quote.liquidity_fee_bps, 5);
    assert_eq!(
        Some(quote.amount_received),
        nxtp_primitives::fees::fronted_amount(amount, 5)
    );
    assert_eq!(
        quote.amount_received,
        demo_units(10) * U256::from(9_995u64) / U256::from(10_000u64)
    );
    assert_eq!(quote.destination_asset, net.demo_on(REMOTE));

    let escrow_before = sdk
        .balance_of(HOME, net.connext(HOME), &Net::demo())
        .await
        .expect("escrow");
    let mut request = XcallRequest::new(HOME, REMOTE, Net::demo(), amount, recipient);
    request.delegate = user.address();
    request.auto_approve = true;
    let sent = sdk.xcall(&user, &request).await.expect("xcall");
    assert_eq!(sent.transfer_id, transfer_id(&sent.params));
    assert_eq!(sent.relayer_fee, fee, "the quoted fee is paid");
    assert!(sent.approval.is_some(), "the user had no allowance");
    assert_eq!(sent.params.originSender, user.address());
    assert_eq!(sent.params.to, recipient);
    assert_eq!(sent.params.bridgedAmt, amount);
    assert_eq!(sent.params.destinationDomain, REMOTE.get());
    assert_eq!(
        sdk.balance_of(HOME, net.connext(HOME), &Net::demo())
            .await
            .expect("escrow"),
        escrow_before + amount,
        "the canonical token is escrowed"
    );

    let report = sdk.status(sent.transfer_id).await.expect("status");
    assert_eq!(report.stage, Stage::XCalled);
    assert_eq!((report.origin(), report.destination()), (HOME, REMOTE));
    assert_eq!(report.sent.params, sent.params);
    assert_eq!(report.sent.origin_tx, sent.origin_tx);
    assert_eq!(report.sent.origin_block, sent.origin_block);
    assert_eq!(report.waiting.as_deref(), Some(sequencer::REASON));
    assert!(matches!(
        sdk.status(B256::repeat_byte(9)).await,
        Err(SdkError::TransferNotFound(_))
    ));

    let followed = sdk
        .wait_for(
            sent.transfer_id,
            Stage::XCalled,
            Duration::from_secs(10),
            |_| {},
        )
        .await
        .expect("already XCalled");
    assert_eq!(followed.transitions.len(), 1);
    assert_eq!(followed.transitions[0].stage, Stage::XCalled);
    let mut seen = Vec::new();
    let short = sdk
        .wait_for(
            sent.transfer_id,
            Stage::Executed,
            Duration::from_millis(500),
            |change| seen.push(change.stage),
        )
        .await;
    assert!(
        matches!(
            short,
            Err(SdkError::WaitTimeout {
                last: Stage::XCalled,
                target: Stage::Executed,
                ..
            })
        ),
        "{short:?}"
    );
    assert_eq!(seen, vec![Stage::XCalled]);

    // Anyone may add relayer fee, but only to a transfer its origin sent.
    let bump = U256::from(500_000_000_000_000u64);
    sdk.bump_fee(&user, HOME, sent.transfer_id, bump)
        .await
        .expect("bump");
    let increases: Vec<U256> = net
        .reader(HOME)
        .get_logs(
            &Filter::new()
                .address(net.connext(HOME))
                .event_signature(Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH)
                .topic1(sent.transfer_id)
                .from_block(0),
        )
        .await
        .expect("logs")
        .iter()
        .map(|log| {
            log.log_decode::<Connext::TransferRelayerFeesIncreased>()
                .expect("decodes")
                .inner
                .data
                .increase
        })
        .collect();
    assert_eq!(increases, vec![fee, bump]);
    assert!(matches!(
        sdk.bump_fee(&user, REMOTE, sent.transfer_id, bump).await,
        Err(SdkError::TransferNotFound(id)) if id == sent.transfer_id
    ));
    assert!(matches!(
        sdk.bump_fee(&user, HOME, sent.transfer_id, U256::ZERO)
            .await,
        Err(SdkError::ZeroAmount)
    ));

    // The delegate's overrides on the destination; a stranger is refused before sending, a lowering is
    // refused by the contract and shown by name.
    sdk.force_update_slippage(&user, &sent.params, 100)
        .await
        .expect("raise slippage");
    let remote_connext = Connext::new(net.connext(REMOTE), net.reader(REMOTE));
    let overrides = remote_connext
        .transferOverrides(sent.transfer_id)
        .call()
        .await
        .expect("overrides");
    assert!(overrides.slippageOverridden && !overrides.receiveLocal);
    assert_eq!(overrides.slippage, U256::from(100u64));

    let stranger = net.signer(Role::RouterB);
    let nonce = net.nonce(REMOTE, stranger.address()).await;
    let refused = sdk
        .force_update_slippage(&stranger, &sent.params, 200)
        .await
        .expect_err("not the delegate");
    assert!(matches!(refused, SdkError::NotDelegate { .. }), "{refused}");
    assert_eq!(net.nonce(REMOTE, stranger.address()).await, nonce);

    let nonce = net.nonce(REMOTE, user.address()).await;
    let lowered = sdk
        .force_update_slippage(&user, &sent.params, 50)
        .await
        .expect_err("not a raise");
    match &lowered {
        SdkError::Reverted { revert, .. } => {
            assert_eq!(revert.name, "SlippageNotRaised");
            assert_eq!(
                revert.args,
                vec![
                    ("current".to_owned(), "100".to_owned()),
                    ("requested".to_owned(), "50".to_owned())
                ]
            );
        }
        other => panic!("expected a decoded revert, got {other}"),
    }
    assert_eq!(
        lowered.to_string(),
        "forceUpdateSlippage on domain 2000 would revert: SlippageNotRaised(current: 100, requested: 50)"
    );
    assert_eq!(
        net.nonce(REMOTE, user.address()).await,
        nonce,
        "simulation refused it"
    );

    sdk.force_receive_local(&user, &sent.params)
        .await
        .expect("receive local");
    let overrides = remote_connext
        .transferOverrides(sent.transfer_id)
        .call()
        .await
        .expect("overrides");
    assert!(overrides.receiveLocal);
}

#[tokio::test]
async fn every_refusal_is_typed_and_sends_nothing() {
    let net = Net::start().await;
    let sdk = net.sdk();
    let user = net.signer(Role::User);
    let poor = net.signer(Role::Watcher);
    let amount = demo_units(3);
    let request = |asset: AssetRef| {
        let mut request = XcallRequest::new(HOME, REMOTE, asset, amount, poor.address());
        request.relayer_fee = RelayerFee::Wei(U256::from(1_000u64));
        request
    };
    let accounts = [user.address(), poor.address()];
    let before = net.nonces(HOME, &accounts).await;

    let mut unknown = request(Net::demo());
    unknown.destination = Domain(3000);
    let err = sdk
        .xcall(&user, &unknown)
        .await
        .expect_err("unknown domain");
    assert!(
        matches!(
            err,
            SdkError::UnknownDomain {
                domain: Domain(3000),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.to_string(), "unknown domain 3000 (known: 1000, 2000)");

    let err = sdk
        .xcall(&user, &request(AssetRef::Symbol("USDC".into())))
        .await
        .expect_err("unknown symbol");
    assert_eq!(
        err.to_string(),
        "unknown asset USDC on domain 1000 (known: DEMO)"
    );

    let stray = Address::repeat_byte(0x42);
    let err = sdk
        .xcall(&user, &request(AssetRef::Address(stray)))
        .await
        .expect_err("unregistered");
    assert!(
        matches!(err, SdkError::AssetNotRegistered { domain: HOME, asset } if asset == stray),
        "{err}"
    );

    let err = sdk
        .xcall(&user, &request(Net::demo()))
        .await
        .expect_err("no allowance");
    match &err {
        SdkError::InsufficientAllowance {
            allowance,
            needed,
            spender,
            ..
        } => {
            assert_eq!((*allowance, *needed), (U256::ZERO, amount));
            assert_eq!(*spender, net.connext(HOME));
        }
        other => panic!("expected InsufficientAllowance, got {other}"),
    }
    assert!(
        err.to_string().starts_with("insufficient allowance:"),
        "{err}"
    );
    assert!(err.to_string().contains("needs 3;"), "{err}");

    let err = sdk
        .xcall(&poor, &request(Net::demo()))
        .await
        .expect_err("no DEMO");
    assert!(
        matches!(err, SdkError::InsufficientBalance { balance, needed, .. } if balance.is_zero() && needed == amount),
        "{err}"
    );

    let mut tight = request(Net::demo());
    tight.slippage_bps = 1;
    let err = sdk.xcall(&user, &tight).await.expect_err("slippage");
    assert!(
        matches!(
            err,
            SdkError::SlippageBelowFee {
                slippage: 1,
                fee_bps: 5,
                ..
            }
        ),
        "{err}"
    );

    let mut quoted = request(Net::demo());
    quoted.relayer_fee = RelayerFee::Quote;
    let err = sdk.xcall(&user, &quoted).await.expect_err("no sequencer");
    assert!(matches!(err, SdkError::NoSequencer), "{err}");

    let mut calldata = request(Net::demo());
    calldata.call_data = Bytes::from_static(b"call");
    calldata.to = Address::ZERO;
    assert!(matches!(
        sdk.xcall(&user, &calldata).await,
        Err(SdkError::ZeroRecipient)
    ));

    // Governance delists DEMO on the home domain: known, registered, but refused.
    let deployer = net.wallet(HOME, Role::Deployer);
    Connext::new(net.connext(HOME), &deployer)
        .setAssetApproval(net.demo_on(HOME), false)
        .send()
        .await
        .expect("sent")
        .get_receipt()
        .await
        .expect("mined");
    let mut approved = request(Net::demo());
    approved.auto_approve = true;
    let err = sdk.xcall(&user, &approved).await.expect_err("delisted");
    assert!(
        matches!(err, SdkError::AssetNotApproved { domain: HOME, .. }),
        "{err}"
    );

    assert_eq!(
        net.nonces(HOME, &accounts).await,
        before,
        "no refusal sent a transaction"
    );
    assert_eq!(
        sdk.allowance(HOME, user.address(), &Net::demo())
            .await
            .expect("allowance"),
        U256::ZERO
    );
}
