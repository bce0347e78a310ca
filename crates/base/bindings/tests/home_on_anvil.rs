//! The generated bindings deploy and drive the real contracts, and agree with `nxtp-primitives` on what
//! a dispatched message is.

use alloy::{
    primitives::{Address, Bytes, U256},
    providers::ProviderBuilder,
};
use nxtp_bindings::Home;
use nxtp_primitives::{address_to_bytes32, Message};

#[tokio::test]
async fn dispatch_through_bindings_matches_primitives() {
    let anvil = nxtp_toolchain::spawn_anvil(31337);
    let provider = ProviderBuilder::new()
        .wallet(anvil.wallet().expect("anvil has dev keys"))
        .connect_http(anvil.endpoint_url());
    let deployer = anvil.addresses()[0];

    let home = Home::deploy(&provider, 1000, deployer, deployer, U256::ZERO)
        .await
        .expect("deploy Home");
    let recipient = address_to_bytes32(Address::repeat_byte(0x22));
    let body = Bytes::from_static(b"hello");
    let receipt = home
        .dispatch(2000, recipient, body.clone())
        .send()
        .await
        .expect("send dispatch")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status(), "dispatch succeeded");

    let event = receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| log.log_decode::<Home::Dispatch>().ok())
        .expect("Dispatch event");
    let decoded = Message::decode(&event.inner.message).expect("the contract's message decodes");
    assert_eq!(
        decoded.leaf(),
        event.inner.leaf,
        "leaf computed the same way on both sides"
    );
    assert_eq!(decoded.origin.0, 1000);
    assert_eq!(decoded.destination.0, 2000);
    assert_eq!(decoded.nonce, 0);
    assert_eq!(decoded.sender, address_to_bytes32(deployer));
    assert_eq!(decoded.recipient, recipient);
    assert_eq!(&*decoded.body, body.as_ref());
    assert_eq!(home.count().call().await.expect("count"), U256::from(1));
}
