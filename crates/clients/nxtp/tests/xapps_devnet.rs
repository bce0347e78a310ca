//! Connext's example xApps (`contracts/test/xapps/`, compiled against the npm package
//! `@connext/interfaces`) on a devnet, delivered by its agents: the routers, sequencer and relayer on
//! the fast path (SwapAndXCall's relayer fee paid in the bridged asset only, which the devnet's
//! sequencer accepts at a demo rate), the messaging agents and the slow-path executor on the slow
//! one. Nothing in this test plays an agent's part: it deploys the xApps, calls them as a user would
//! and waits for the result.

#[allow(dead_code)]
mod transfers;

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};
use nxtp_bindings::{
    Connext, DemoSwapper, DemoToken, DestinationGreeter, DestinationGreeterAuthenticated,
    GasHungryReceiver, PingPong, SourceGreeter, SourceGreeterAuthenticated, SwapAndXCall,
};
use nxtp_devnet::{default_agents, liquidity::demo_units};
use nxtp_primitives::Domain;
use nxtp_sdk::XcallRequest;
use transfers::{
    eventually,
    plan::{complete_all, Path, Plan, Sent},
    World, COMPLETION_TIMEOUT,
};

/// What `GasHungryReceiver` burns in `xReceive`: twice `Connext`'s default `xReceiveGasLimit`.
const HUNGRY_GAS: u64 = 2_000_000;
/// Half of `Connext`'s default `xReceiveGasLimit` (1M): the relayer's estimate keeps a cheap receiver's
/// execute below it, gas limit and gas used alike, rather than always sending the limit.
const SMALL_TRANSACTION: u64 = 500_000;

/// Greeter (fast, tokens and calldata through Connext's 7-argument `xcall`), AuthenticatedGreeter
/// (slow, authenticated `originSender`), PingPong (a nested `xcall` from inside `xReceive`), a
/// receiver burning 2M gas and SwapAndXCall (fast, Connext's 8-argument `xcall` paying the relayer
/// in the bridged asset, no native fee), all in flight at once from domain 1000 to 2000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connext_xapps_run_through_the_devnets_agents() {
    let world = World::start_with(default_agents, |config| config.chains = 2).await;
    let [origin, destination] = world.domains()[..] else {
        panic!("two domains");
    };
    let user = PrivateKeySigner::random();
    let (from, to) = (
        Side::funded(&world, origin, &user).await,
        Side::funded(&world, destination, &user).await,
    );
    let fee = world.quote(origin, destination).await;
    // Each PingPong answer pays its relayer fee from the contract's own balance: the quote back, with room.
    let answer_fee = world.quote(destination, origin).await * U256::from(2);

    // Deployed on both domains, each destination half knowing its source where it authenticates.
    let greeting_cost = demo_units(1);
    let greeter_source = from
        .deploy(SourceGreeter::deploy_builder(
            &from.wallet,
            world.connext(origin),
            world.local_demo(origin),
        ))
        .await;
    let greeter = to
        .deploy(DestinationGreeter::deploy_builder(
            &to.wallet,
            world.local_demo(destination),
            greeting_cost,
        ))
        .await;
    let authenticated_source = from
        .deploy(SourceGreeterAuthenticated::deploy_builder(
            &from.wallet,
            world.connext(origin),
        ))
        .await;
    let authenticated = to
        .deploy(DestinationGreeterAuthenticated::deploy_builder(
            &to.wallet,
            world.connext(destination),
            u32::from(origin),
            authenticated_source,
        ))
        .await;
    let hungry = to
        .deploy(GasHungryReceiver::deploy_builder(
            &to.wallet,
            U256::from(HUNGRY_GAS),
        ))
        .await;
    let ping = from
        .deploy(PingPong::deploy_builder(
            &from.wallet,
            world.connext(origin),
            answer_fee,
        ))
        .await;
    let pong = to
        .deploy(PingPong::deploy_builder(
            &to.wallet,
            world.connext(destination),
            answer_fee,
        ))
        .await;
    // SwapAndXCall and the DEX it swaps through, and the token the user swaps from.
    let swapper = from.deploy(DemoSwapper::deploy_builder(&from.wallet)).await;
    let swap_xapp = from
        .deploy(SwapAndXCall::deploy_builder(
            &from.wallet,
            world.connext(origin),
            swapper,
        ))
        .await;
    let swapped_in = from
        .deploy(DemoToken::deploy_builder(
            &from.wallet,
            "Other".to_owned(),
            "OTH".to_owned(),
            18,
        ))
        .await;
    from.send(PingPong::new(ping, &from.wallet).pair(u32::from(destination), pong))
        .await;
    to.send(PingPong::new(pong, &to.wallet).pair(u32::from(origin), ping))
        .await;
    to.reader
        .anvil_set_balance(pong, answer_fee * U256::from(4))
        .await
        .expect("funds the pong");

    // The calls, one after the other from one key.
    let amount = demo_units(10);
    let demo = DemoToken::new(world.local_demo(origin), &from.wallet);
    from.send(demo.mint(user.address(), amount * U256::from(2)))
        .await;
    from.send(demo.approve(greeter_source, amount)).await;
    let greeting = "hello from 1000 through the routers";
    let greeted = transfer_id(
        &from
            .send(
                SourceGreeter::new(greeter_source, &from.wallet)
                    .xUpdateGreeting(
                        greeter,
                        u32::from(destination),
                        greeting.to_owned(),
                        amount,
                        fee,
                    )
                    .value(fee),
            )
            .await,
    );
    let authentic = "hello, authentically from 1000";
    let authenticated_id = transfer_id(
        &from
            .send(
                SourceGreeterAuthenticated::new(authenticated_source, &from.wallet)
                    .xUpdateGreeting(authenticated, u32::from(destination), authentic.to_owned())
                    .value(fee),
            )
            .await,
    );
    // Two rounds: ping to 2000, whose xReceive answers with a nested xcall back to 1000.
    let ping_id = transfer_id(
        &from
            .send(
                PingPong::new(ping, &from.wallet)
                    .startPingPong(U256::from(2))
                    .value(answer_fee),
            )
            .await,
    );
    // SwapAndXCall: the user holds another token, the xApp swaps it into DEMO and pays the relayer
    // in DEMO alone, as much as the sequencer's quote says DEMO covers.
    let asset_fee = asset_fee(&world, (origin, destination)).await;
    let swap_recipient = PrivateKeySigner::random().address();
    from.send(demo.mint(swapper, amount)).await;
    let other = DemoToken::new(swapped_in, &from.wallet);
    from.send(other.mint(user.address(), amount)).await;
    from.send(other.approve(swap_xapp, amount)).await;
    let swapped_id = transfer_id(
        &from
            .send(SwapAndXCall::new(swap_xapp, &from.wallet).swapAndXCall(
                swapped_in,
                world.local_demo(origin),
                amount,
                amount,
                u32::from(destination),
                swap_recipient,
                asset_fee,
                Bytes::new(),
            ))
            .await,
    );
    let mut request = XcallRequest::new(origin, destination, world.demo.clone(), amount, hungry);
    request.call_data = Bytes::from_static(b"burn");
    request.auto_approve = true;
    let hungry_id = world
        .sdk
        .xcall(&user, &request)
        .await
        .expect("xcall to the hungry receiver")
        .transfer_id;

    let sent = [
        sent(
            "Greeter",
            greeted,
            (origin, destination),
            greeter,
            Path::Fast(1),
        ),
        sent(
            "AuthenticatedGreeter",
            authenticated_id,
            (origin, destination),
            authenticated,
            Path::Slow,
        ),
        sent("ping", ping_id, (origin, destination), pong, Path::Slow),
        sent(
            "2M-gas receiver",
            hungry_id,
            (origin, destination),
            hungry,
            Path::Fast(1),
        ),
        sent(
            "SwapAndXCall (fee in DEMO)",
            swapped_id,
            (origin, destination),
            swap_recipient,
            Path::Fast(1),
        ),
    ];
    let ((), ()) = tokio::join!(
        async {
            complete_all(&world, &sent).await;
        },
        pong_answers(&world, (ping, pong), (origin, destination)),
    );

    // Greeter: the greeting set, the tokens (less the routers' fee) with the greeter.
    let greeter_at = DestinationGreeter::new(greeter, &to.reader);
    assert_eq!(
        greeter_at.greeting().call().await.expect("greeting"),
        greeting
    );
    let paid = greeter_at.paid().call().await.expect("paid");
    assert!(
        paid >= greeting_cost && paid <= amount,
        "paid {paid} of {amount}"
    );
    let held = DemoToken::new(world.local_demo(destination), &to.reader)
        .balanceOf(greeter)
        .call()
        .await
        .expect("balance");
    assert_eq!(held, paid, "the greeter holds what it was paid");
    let cheap = execute_receipt(&world, destination, greeted).await;
    let cheap_limit = gas_limit(&to.reader, &cheap).await;
    assert!(
        cheap.gas_used < SMALL_TRANSACTION && cheap_limit < SMALL_TRANSACTION,
        "the cheap Greeter's execute ran in a small transaction: {} gas used of a {cheap_limit} limit",
        cheap.gas_used
    );

    // SwapAndXCall: the recipient got the swapped DEMO less the relayer fee (and the routers' fee);
    // the fee was paid in DEMO only.
    let received = DemoToken::new(world.local_demo(destination), &to.reader)
        .balanceOf(swap_recipient)
        .call()
        .await
        .expect("balance");
    let bridged = amount - asset_fee;
    assert!(
        received > U256::ZERO && received <= bridged,
        "received {received} of {bridged}"
    );
    let fees = world
        .connext_logs::<Connext::TransferRelayerFeesIncreased>(origin, swapped_id)
        .await;
    let paid: Vec<(Address, U256)> = fees
        .iter()
        .map(|log| {
            let fee = log
                .log_decode::<Connext::TransferRelayerFeesIncreased>()
                .expect("a fee event")
                .inner
                .data;
            (fee.asset, fee.increase)
        })
        .collect();
    assert_eq!(
        paid,
        [(world.local_demo(origin), asset_fee)],
        "the relayer was paid in DEMO alone"
    );

    // AuthenticatedGreeter: greeted once the slow path passed the authentic origin sender.
    let authenticated_at = DestinationGreeterAuthenticated::new(authenticated, &to.reader);
    assert_eq!(
        authenticated_at.greeting().call().await.expect("greeting"),
        authentic
    );

    // The 2M-gas receiver ran, in an execute the relayer gave more than 2M gas.
    let hungry_at = GasHungryReceiver::new(hungry, &to.reader);
    assert_eq!(
        hungry_at.calls().call().await.expect("calls"),
        U256::from(1)
    );
    let heavy = execute_receipt(&world, destination, hungry_id).await;
    assert!(
        heavy.gas_used > HUNGRY_GAS,
        "the hungry execute used {} gas",
        heavy.gas_used
    );
    eprintln!(
        "execute gas: Greeter {} used (limit {cheap_limit}), 2M-gas receiver {} used (limit {})",
        cheap.gas_used,
        heavy.gas_used,
        gas_limit(&to.reader, &heavy).await
    );
    world.devnet.stop().await;
}

/// One domain as the test's user sees it: a reader and a wallet, the user funded with native tokens.
struct Side {
    reader: DynProvider,
    wallet: DynProvider,
}

impl Side {
    async fn funded(world: &World, domain: Domain, user: &PrivateKeySigner) -> Self {
        let reader = world.reader(domain);
        reader
            .anvil_set_balance(user.address(), U256::from(10u64).pow(U256::from(19)))
            .await
            .expect("funds the user");
        let url = &world.manifest.domain(domain).expect("deployed").rpc_url;
        let wallet = ProviderBuilder::new()
            .wallet(EthereumWallet::from(user.clone()))
            .connect_http(url.parse().expect("rpc url"))
            .erased();
        Self { reader, wallet }
    }

    /// Deploys a contract and returns its address.
    async fn deploy<P: Provider>(&self, builder: alloy::contract::RawCallBuilder<P>) -> Address {
        builder.deploy().await.expect("deploys")
    }

    /// Sends a call and checks it succeeded.
    async fn send<P: Provider, C: alloy::contract::CallDecoder>(
        &self,
        call: alloy::contract::CallBuilder<P, C>,
    ) -> TransactionReceipt {
        let receipt = call
            .send()
            .await
            .expect("sends")
            .get_receipt()
            .await
            .expect("receipt");
        assert!(receipt.status(), "call reverted: {receipt:?}");
        receipt
    }
}

/// The DEMO units on `origin` that pay the sequencer's quote for `route`, at the rate its quote
/// lists for DEMO.
async fn asset_fee(world: &World, route: (Domain, Domain)) -> U256 {
    let quote = world
        .sequencer
        .quote_with_fee_assets(route.0, route.1)
        .await
        .expect("quote");
    let demo = world.local_demo(route.0);
    let rate = quote
        .fee_assets
        .iter()
        .find(|asset| asset.asset == demo)
        .unwrap_or_else(|| panic!("DEMO is no fee asset of the quote: {quote:?}"));
    let fee = rate.amount_for(quote.quote.relayer_fee);
    assert!(fee > U256::ZERO, "a fee in DEMO: {quote:?}");
    fee
}

/// The transfer an xcall's receipt started.
fn transfer_id(receipt: &TransactionReceipt) -> B256 {
    receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| log.log_decode::<Connext::XCalled>().ok())
        .expect("an XCalled")
        .inner
        .data
        .transferId
}

/// `id` as the shared completion helpers follow it (no DEMO plan of its own: the xApp sent it).
fn sent(name: &'static str, id: B256, route: (Domain, Domain), to: Address, path: Path) -> Sent {
    let mut plan = Plan::plain(name, route.0, route.1, 0, path);
    plan.to = to;
    Sent { plan, id }
}

/// Waits for the pong's nested xcall (sent from inside its `xReceive`) to reach the ping.
async fn pong_answers(world: &World, (ping, pong): (Address, Address), route: (Domain, Domain)) {
    let (origin, destination) = route;
    let reader = world.reader(destination);
    let pong_at = PingPong::new(pong, &reader);
    let answer = eventually("the pong's answer", COMPLETION_TIMEOUT, || async {
        let last = pong_at.lastSent().call().await.ok()?;
        (!last.is_zero()).then_some(last)
    })
    .await;
    complete_all(
        world,
        &[sent(
            "pong",
            answer,
            (destination, origin),
            ping,
            Path::Slow,
        )],
    )
    .await;
    let origin_reader = world.reader(origin);
    let ping_at = PingPong::new(ping, &origin_reader);
    assert_eq!(
        ping_at.pings().call().await.expect("pings"),
        U256::from(1),
        "the ping got its answer"
    );
    assert_eq!(
        pong_at.pings().call().await.expect("pings"),
        U256::from(1),
        "the pong got one ping"
    );
}

/// The receipt of the transaction that executed `id` on `domain`.
async fn execute_receipt(world: &World, domain: Domain, id: B256) -> TransactionReceipt {
    let logs = world.connext_logs::<Connext::Executed>(domain, id).await;
    let [log] = &logs[..] else {
        panic!("one Executed for {id}: {logs:?}");
    };
    let hash = log.transaction_hash.expect("a mined log");
    world
        .reader(domain)
        .get_transaction_receipt(hash)
        .await
        .expect("reads the receipt")
        .expect("the receipt exists")
}

/// The gas limit the relayer set on the transaction of `receipt`.
async fn gas_limit(reader: &DynProvider, receipt: &TransactionReceipt) -> u64 {
    use alloy::consensus::Transaction;
    reader
        .get_transaction_by_hash(receipt.transaction_hash)
        .await
        .expect("reads the transaction")
        .expect("the transaction exists")
        .gas_limit()
}
