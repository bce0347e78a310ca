//! The executor on real chains with the real messaging agents and relayer, all in this process:
//! a transfer no router fronts is reconciled by the messaging layer, and the executor completes
//! it by the slow path, exactly once, though the relayer is down when it first posts the job and
//! the executor is killed before it learns the job was received. A transfer that paid no relayer
//! fee is skipped (metrics, stored reason) until a `bumpTransfer` pays the executor's floor.

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::DynProvider,
};
use nxtp_agent::{Agent, AgentContext, CancellationToken, Health, HealthStatus, LogFormat};
use nxtp_bindings::{Connext, DemoToken};
use nxtp_deployment::Manifest;
use nxtp_devnet::{liquidity::demo_units, LiquidityConfig, Role};
use nxtp_executor::{Executor, ExecutorConfig, FEE_BELOW_FLOOR};
use nxtp_primitives::{transfer_id, TransferStatus};
use nxtp_relayer::RelayerConfig;
use nxtp_testnet::{eventually, Mining, Options, TestNet};
use std::{future::Future, net::SocketAddr, path::Path, time::Duration};

const HOME: u32 = 1000;
const REMOTE: u32 = 2000;
/// The native relayer fee the paying transfers pay: the executor's default floor is 1 wei.
const FEE: U256 = U256::from_limbs([1_000_000_000_000_000, 0, 0, 0]);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciled_transfer_is_executed_once_across_a_relayer_outage_and_a_crash() {
    let _ = nxtp_agent::logging::init_logging(LogFormat::Plain, "info");
    let net = start_net().await;
    let manifest = &net.manifest;
    let messaging = CancellationToken::new();
    run_messaging(manifest, net.dir(), &messaging);

    // The relayer's port, not served yet: the executor's first posts are refused.
    let relayer_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("address");
    let executor_config = executor_config(manifest, net.dir(), relayer_addr);
    let executor = Process::start(|ctx| Executor::run(executor_config.clone(), ctx));

    let user = net.accounts.address(Role::User);
    let amount = demo_units(5);
    let free = xcall(&net, user, amount, U256::ZERO).await;
    let id = xcall(&net, user, amount, FEE).await;
    let remote = net.reader(REMOTE);
    let connext = Connext::new(net.connext(REMOTE), &remote);
    eventually("the transfer to be reconciled", || async {
        status(&connext, id).await == TransferStatus::Reconciled
    })
    .await;
    eventually("the executor to find the relayer down", || async {
        matches!(
            executor.health.status(),
            HealthStatus::Unhealthy { reason } if reason.contains("relayer unreachable")
        )
    })
    .await;
    executor.crash();

    let relayer_listener = std::net::TcpListener::bind(relayer_addr).expect("port still free");
    let relayer_config = relayer_config(manifest, net.dir(), &net.path("relayer.sqlite"));
    let relayer = Process::start(move |ctx| {
        nxtp_relayer::serve(relayer_config.clone(), ctx, relayer_listener)
    });
    let executor = Process::start(|ctx| Executor::run(executor_config.clone(), ctx));
    eventually("the transfer to be completed", || async {
        status(&connext, id).await == TransferStatus::Completed
    })
    .await;
    let token = DemoToken::new(net.demo_on(REMOTE), &remote);
    assert_eq!(token.balanceOf(user).call().await.expect("balance"), amount);
    assert_eq!(
        net.sent_txs(REMOTE, Role::Relayer).await,
        1,
        "the relayer sent one transaction: the execute"
    );
    eventually("the executor to record the outcome", || async {
        outcome(&executor_config.database, id).as_deref() == Some("executed")
    })
    .await;
    assert_eq!(executor.health.status(), HealthStatus::Healthy);

    // The transfer that paid nothing: reconciled, skipped with its reason, never relayed.
    eventually("the free transfer to be skipped", || async {
        skipped(&executor_config.database, free).as_deref() == Some(FEE_BELOW_FLOOR)
    })
    .await;
    assert_eq!(status(&connext, free).await, TransferStatus::Reconciled);
    // This process reports it once it looks at it (the one before the crash may have skipped it
    // first), then never again while it stays skipped.
    eventually("the skip to be reported", || async {
        executor.counter("nxtp_executor_transfers_skipped_total") == 1.0
    })
    .await;
    assert_eq!(net.sent_txs(REMOTE, Role::Relayer).await, 1, "still one");
    // A bump paying the floor makes it eligible at once.
    let wallet = net.wallet(HOME, Role::User);
    let bump = Connext::new(net.connext(HOME), &wallet)
        .bumpTransfer(free, Address::ZERO, U256::ZERO)
        .value(FEE)
        .send()
        .await
        .expect("bump")
        .get_receipt()
        .await
        .expect("mined");
    assert!(bump.status());
    eventually("the bumped transfer to be completed", || async {
        status(&connext, free).await == TransferStatus::Completed
    })
    .await;
    eventually("the executor to record it", || async {
        outcome(&executor_config.database, free).as_deref() == Some("executed")
    })
    .await;
    assert_eq!(
        executor.counter("nxtp_executor_transfers_skipped_total"),
        1.0,
        "reported once"
    );

    executor.stop().await;
    relayer.stop().await;
    messaging.cancel();
    drop(net);
}

/// Two chains with half-second blocks, both layers deployed, a two-second optimistic window.
async fn start_net() -> TestNet {
    let options = Options::new(&[HOME, REMOTE])
        .mining(Mining::every_ms(500))
        .optimistic_seconds(2)
        .liquidity(LiquidityConfig::default());
    TestNet::start(options).await.expect("the net starts")
}

/// An updater per domain, the message relayer and the processor, as the devnet configures
/// them, until `shutdown`.
fn run_messaging(manifest: &Manifest, run_dir: &Path, shutdown: &CancellationToken) {
    for domain in manifest.domains.keys() {
        let text = nxtp_devnet::updater_agent::config_toml(
            manifest,
            run_dir,
            *domain,
            &nxtp_devnet::AgentOptions::default(),
        )
        .expect("updater config");
        let config = toml::from_str(&text).expect("updater config loads");
        tokio::spawn(nxtp_agent::run_until::<nxtp_updater::Updater>(
            config,
            shutdown.clone(),
        ));
    }
    let text = nxtp_devnet::message_relayer_agent::config_toml(
        manifest,
        run_dir,
        &nxtp_devnet::AgentOptions::default(),
    )
    .expect("message relayer config");
    let config = toml::from_str(&text).expect("message relayer config loads");
    tokio::spawn(
        nxtp_agent::run_until::<nxtp_message_relayer::MessageRelayer>(config, shutdown.clone()),
    );
    let text = nxtp_devnet::processor_agent::config_toml(
        manifest,
        run_dir,
        &nxtp_devnet::AgentOptions::default(),
    )
    .expect("processor config");
    let config = toml::from_str(&text).expect("processor config loads");
    tokio::spawn(nxtp_agent::run_until::<nxtp_processor::Processor>(
        config,
        shutdown.clone(),
    ));
}

/// The executor's config, as the devnet generates it, with quick retries.
fn executor_config(manifest: &Manifest, run_dir: &Path, relayer: SocketAddr) -> ExecutorConfig {
    let text = nxtp_devnet::executor_agent::config_toml(
        manifest,
        run_dir,
        &format!("http://{relayer}"),
        &nxtp_devnet::AgentOptions::default(),
    )
    .expect("two domains with a liquidity layer");
    let mut config: ExecutorConfig = toml::from_str(&text).expect("the generated config loads");
    config.retry.base = Duration::from_millis(500);
    config.retry.max = Duration::from_secs(2);
    config
}

/// The relayer's config, as the devnet generates it, with its database at `db`.
fn relayer_config(manifest: &Manifest, run_dir: &Path, db: &Path) -> RelayerConfig {
    let listen = "127.0.0.1:0".parse().expect("address");
    let text = nxtp_devnet::relayer_agent::config_toml(
        manifest,
        run_dir,
        listen,
        &nxtp_devnet::AgentOptions::default(),
    )
    .expect("the manifest has the relayer's key");
    let mut config: RelayerConfig = toml::from_str(&text).expect("the generated config loads");
    config.database = db.to_owned();
    config
}

/// The user sends `amount` of `DEMO` from 1000 to `to` on 2000 paying `fee` wei to the relayer;
/// returns the transfer id.
async fn xcall(net: &TestNet, to: Address, amount: U256, fee: U256) -> B256 {
    let wallet = net.wallet(HOME, Role::User);
    let connext = net.connext(HOME);
    let approve = DemoToken::new(net.demo_on(HOME), &wallet)
        .approve(connext, amount)
        .send()
        .await
        .expect("approve")
        .get_receipt()
        .await
        .expect("mined");
    assert!(approve.status());
    let receipt = Connext::new(connext, &wallet)
        .xcall(
            REMOTE,
            to,
            net.demo_on(HOME),
            net.accounts.address(Role::User),
            amount,
            U256::from(100),
            Bytes::new(),
            U256::ZERO,
        )
        .value(fee)
        .send()
        .await
        .expect("xcall")
        .get_receipt()
        .await
        .expect("mined");
    assert!(receipt.status());
    let params = receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| log.log_decode::<Connext::XCalled>().ok())
        .expect("XCalled")
        .inner
        .data
        .params;
    transfer_id(&params.into())
}

async fn status(connext: &Connext::ConnextInstance<&DynProvider>, id: B256) -> TransferStatus {
    let raw = connext
        .transferStatus(id)
        .call()
        .await
        .expect("transferStatus");
    TransferStatus::try_from(raw).expect("known status")
}

/// The executor's recorded outcome for `id`, read from its database as an operator would.
fn outcome(database: &Path, id: B256) -> Option<String> {
    let store = nxtp_agent::Store::open(database, &[]).expect("opens");
    store
        .with(|conn| nxtp_executor::store::outcome(conn, id))
        .expect("reads")
}

/// Why the executor skips `id`, read from its database.
fn skipped(database: &Path, id: B256) -> Option<String> {
    let store = nxtp_agent::Store::open(database, &[]).expect("opens");
    store
        .with(|conn| nxtp_executor::store::skipped(conn, id))
        .expect("reads")
}

/// An agent on its own runtime and threads, as a process of its own: [`Self::crash`] drops it
/// without any shutdown, every task stopping at whatever await it was at.
struct Process<E> {
    runtime: Option<tokio::runtime::Runtime>,
    health: Health,
    metrics: nxtp_agent::prometheus::Registry,
    shutdown: CancellationToken,
    outcome: Option<tokio::task::JoinHandle<Result<(), E>>>,
}

impl<E: std::fmt::Debug + Send + 'static> Process<E> {
    fn start<F, Fut>(run: F) -> Self
    where
        F: FnOnce(AgentContext) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let health = Health::new();
        let shutdown = CancellationToken::new();
        let ctx = AgentContext {
            shutdown: shutdown.clone(),
            health: health.clone(),
            metrics: nxtp_agent::prometheus::Registry::new(),
            ops_addr: "127.0.0.1:0".parse().expect("address"),
        };
        let metrics = ctx.metrics.clone();
        let outcome = runtime.spawn(run(ctx));
        Self {
            runtime: Some(runtime),
            health,
            metrics,
            shutdown,
            outcome: Some(outcome),
        }
    }

    /// A counter family's value, summed over its series.
    fn counter(&self, name: &str) -> f64 {
        self.metrics
            .gather()
            .iter()
            .filter(|family| family.name() == name)
            .flat_map(|family| {
                family
                    .get_metric()
                    .iter()
                    .map(|metric| metric.get_counter().get_value())
            })
            .sum()
    }

    /// Kills it at whatever it was doing.
    fn crash(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// Stops it gracefully and checks it ran without error.
    async fn stop(mut self) {
        self.shutdown.cancel();
        let outcome = self.outcome.take().expect("running");
        tokio::time::timeout(Duration::from_secs(30), outcome)
            .await
            .expect("stops in time")
            .expect("did not panic")
            .expect("ran without error");
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl<E> Drop for Process<E> {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
