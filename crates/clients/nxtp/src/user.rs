//! The user's commands, on the SDK: `nxtp quote`, `nxtp xcall`, `nxtp status`, `nxtp bump`, `nxtp update-slippage`,
//! `nxtp receive-local`, `nxtp router add-liquidity|remove-liquidity|balance`.
//!
//! Keys come only from an environment variable or an encrypted keystore and are never printed. Every refusal is
//! the SDK's one-line reason, raised before anything is sent. With `--json`, each prints one JSON document (the
//! SDK's `json` views, documented in `docs/cli.md`) on stdout instead of text.

use clap::{Args, Subcommand};
use nxtp_agent::KeySource;
use nxtp_sdk::{
    format_units,
    json::{self, BumpJson, OverrideJson, QuoteJson, RouterJson, TransferJson, XcallJson},
    parse_checked_address, Address, AddressError, Allowance, Amount, AssetInfo, AssetRef, Bytes,
    CallOutcome, Domain, FeeSource, Manifest, PrivateKeySigner, RelayerFee, Sdk, Stage,
    TransferReport, Url, XReceiveCall, XcallRequest, B256, DEFAULT_SLIPPAGE_BPS, U256,
};
use std::{error::Error, path::PathBuf, str::FromStr, time::Duration};

/// What a user command fails with: the SDK's, the manifest's or the key's own error.
pub type UserError = Box<dyn Error + Send + Sync>;

/// Where the deployment is.
#[derive(Debug, Args)]
pub struct Target {
    /// The deployment manifest (the devnet writes `manifest.json` in its run folder).
    #[arg(long, env = "NXTP_MANIFEST")]
    manifest: PathBuf,
    /// The sequencer's URL, for relayer fee quotes and for why a transfer waits (default: the manifest's).
    #[arg(long, env = "NXTP_SEQUENCER_URL")]
    sequencer: Option<Url>,
}

impl Target {
    fn sdk(&self) -> Result<Sdk, UserError> {
        let manifest = Manifest::load(&self.manifest)?;
        let sequencer = match (&self.sequencer, &manifest.services) {
            (Some(url), _) => Some(url.clone()),
            (None, Some(services)) => Some(services.sequencer_url.parse().map_err(|err| {
                format!(
                    "{}: the sequencer URL {:?} is not a URL: {err}",
                    self.manifest.display(),
                    nxtp_primitives::redact_keys(&services.sequencer_url)
                )
            })?),
            (None, None) => None,
        };
        Ok(Sdk::from_manifest(&manifest, sequencer)?)
    }

    /// The status API the manifest names, if any.
    fn indexer(&self) -> Result<Option<nxtp_sdk::indexer::IndexerClient>, UserError> {
        let manifest = Manifest::load(&self.manifest)?;
        let Some(url) = manifest.services.and_then(|services| services.indexer_url) else {
            return Ok(None);
        };
        let url: Url = url.parse().map_err(|err| {
            format!(
                "{}: the indexer URL {:?} is not a URL: {err}",
                self.manifest.display(),
                nxtp_primitives::redact_keys(&url)
            )
        })?;
        Ok(Some(
            nxtp_sdk::indexer::IndexerClient::new(url).map_err(|err| err.to_string())?,
        ))
    }
}

/// How results are printed.
#[derive(Debug, Args)]
pub struct Output {
    /// Print the result as one JSON document on stdout (stable field names: docs/cli.md); warnings still go to
    /// stderr, and a failure prints nothing on stdout.
    #[arg(long)]
    json: bool,
}

impl Output {
    /// Prints `document` as JSON if asked, else the text `lines` gives.
    fn print<T: serde::Serialize>(&self, document: &T, lines: impl FnOnce()) {
        if self.json {
            println!("{}", json::to_pretty(document));
        } else {
            lines();
        }
    }
}

/// Whose key signs: a hex key in an environment variable, or an encrypted keystore.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The environment variable holding the signer's hex private key.
    #[arg(
        long,
        value_name = "VAR",
        required_unless_present = "keystore",
        conflicts_with = "keystore"
    )]
    key_env: Option<String>,
    /// An encrypted JSON keystore holding the signer's key.
    #[arg(long, requires = "password_env")]
    keystore: Option<PathBuf>,
    /// The environment variable holding the keystore's password.
    #[arg(long, value_name = "VAR", requires = "keystore")]
    password_env: Option<String>,
}

impl KeyArgs {
    fn signer(&self) -> Result<PrivateKeySigner, UserError> {
        let source = match (&self.key_env, &self.keystore, &self.password_env) {
            (Some(name), _, _) => KeySource::Env(name.clone()),
            (None, Some(path), Some(password_env)) => KeySource::Keystore {
                path: path.clone(),
                password_env: password_env.clone(),
            },
            _ => {
                return Err(
                    "give --key-env <VAR>, or --keystore <PATH> with --password-env <VAR>".into(),
                )
            }
        };
        Ok(source.load()?)
    }
}

/// Options of `nxtp xcall`.
#[derive(Debug, Args)]
pub struct XcallArgs {
    #[command(flatten)]
    target: Target,
    /// The domain to send from.
    #[arg(long)]
    origin: Domain,
    /// The domain to deliver on.
    #[arg(long)]
    destination: Domain,
    /// The asset on the origin: a symbol of the manifest (`DEMO`) or a token address.
    #[arg(long)]
    asset: AssetRef,
    /// How much: tokens with a fraction (`12.5`), or base units with a `wei` suffix (`12500wei`).
    #[arg(long)]
    amount: Amount,
    /// The recipient on the destination (and the receiver contract, with --calldata).
    #[arg(long, value_parser = address)]
    to: Address,
    /// Who may recover the transfer on the destination: this address, or the signer if given without one.
    #[arg(long, value_name = "ADDRESS", value_parser = address, num_args = 0..=1)]
    delegate: Option<Option<Address>>,
    /// The largest loss accepted, in basis points (at least the destination's liquidity fee).
    #[arg(long, default_value_t = DEFAULT_SLIPPAGE_BPS)]
    slippage_bps: u32,
    /// Calldata for the recipient's `xReceive`, 0x-hex.
    #[arg(long, value_parser = calldata)]
    calldata: Option<Bytes>,
    /// The native relayer fee: `quote` (ask the sequencer) or an amount in wei. Below the quote the
    /// transfer waits for a bump; zero is refused unless --allow-zero-relayer-fee is given.
    #[arg(long, default_value = "quote", value_parser = relayer_fee)]
    relayer_fee: RelayerFee,
    /// Accept `--relayer-fee 0`: nobody is paid to deliver the transfer, so the sequencer does not
    /// auction it and slow-path executors skip it until a bump pays them.
    #[arg(long)]
    allow_zero_relayer_fee: bool,
    /// Deliver the destination's local asset (`xcallIntoLocal`).
    #[arg(long)]
    receive_local: bool,
    /// Approve Connext first if the allowance falls short: `exact` (the amount alone, the default when given
    /// without a value), `unlimited` (never asked again for this token), or an amount such as `100` that covers
    /// later transfers too.
    #[arg(long, value_name = "ALLOWANCE", num_args = 0..=1, default_missing_value = "exact", value_parser = approval)]
    approve: Option<Approval>,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    output: Output,
}

/// How much `--approve` allows, before the token's decimals are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approval {
    /// The transfer's amount.
    Exact,
    /// Everything.
    Unlimited,
    /// This much (at least the amount).
    Amount(Amount),
}

impl Approval {
    fn allowance(&self, decimals: u8) -> Result<Allowance, UserError> {
        Ok(match self {
            Self::Exact => Allowance::Exact,
            Self::Unlimited => Allowance::Unlimited,
            Self::Amount(amount) => Allowance::Amount(amount.to_positive_base_units(decimals)?),
        })
    }
}

/// Options of `nxtp quote`.
#[derive(Debug, Args)]
pub struct QuoteArgs {
    #[command(flatten)]
    target: Target,
    /// The domain to send from.
    #[arg(long)]
    origin: Domain,
    /// The domain to deliver on.
    #[arg(long)]
    destination: Domain,
    /// The asset on the origin: a symbol of the manifest (`DEMO`) or a token address.
    #[arg(long)]
    asset: AssetRef,
    /// How much: tokens with a fraction (`12.5`), or base units with a `wei` suffix (`12500wei`).
    #[arg(long)]
    amount: Amount,
    /// The receiver, for a transfer with --calldata (a relayer fee estimated without the sequencer includes its
    /// gas).
    #[arg(long, value_parser = address, requires = "calldata")]
    to: Option<Address>,
    /// Calldata for the receiver's `xReceive`, 0x-hex.
    #[arg(long, value_parser = calldata, requires = "to")]
    calldata: Option<Bytes>,
    #[command(flatten)]
    output: Output,
}

/// Options of `nxtp bump`.
#[derive(Debug, Args)]
pub struct BumpArgs {
    /// The transfer's id.
    #[arg(value_parser = transfer_id)]
    transfer_id: B256,
    #[command(flatten)]
    target: Target,
    /// Native tokens to add: `0.001` (ether) or `1000000wei`. Without it, what the sequencer's quote asks beyond
    /// what was paid.
    #[arg(long)]
    amount: Option<Amount>,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    output: Output,
}

/// Options of `nxtp update-slippage`.
#[derive(Debug, Args)]
pub struct SlippageArgs {
    /// The transfer's id.
    #[arg(value_parser = transfer_id)]
    transfer_id: B256,
    #[command(flatten)]
    target: Target,
    /// The new tolerance, in basis points (above the current one, at most 10000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    slippage_bps: u32,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    output: Output,
}

/// Options of `nxtp receive-local`.
#[derive(Debug, Args)]
pub struct ReceiveLocalArgs {
    /// The transfer's id.
    #[arg(value_parser = transfer_id)]
    transfer_id: B256,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    output: Output,
}

/// Options of `nxtp status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The transfer's id.
    #[arg(value_parser = transfer_id)]
    transfer_id: B256,
    #[command(flatten)]
    target: Target,
    /// Follow the transfer, printing each change, until it reaches --until or completes.
    #[arg(long)]
    wait: bool,
    /// The stage to wait for: xcalled, executed, reconciled, completed-fast, completed-slow (either completion ends
    /// the wait).
    #[arg(long, requires = "wait", default_value = "completed-fast")]
    until: Stage,
    /// How long to wait, in seconds.
    #[arg(long, requires = "wait", default_value_t = 600)]
    timeout: u64,
    #[command(flatten)]
    output: Output,
}

/// `nxtp router ...`: a router's liquidity.
#[derive(Debug, Subcommand)]
pub enum RouterCommand {
    /// Add liquidity for a router (anyone may), approving Connext first if needed.
    AddLiquidity(LiquidityArgs),
    /// Remove a router's liquidity (its owner only) to an address.
    RemoveLiquidity(RemoveArgs),
    /// Show a router's liquidity.
    Balance(BalanceArgs),
}

/// Which router's liquidity, where, in what.
#[derive(Debug, Args)]
pub struct PositionArgs {
    #[command(flatten)]
    target: Target,
    /// The domain.
    #[arg(long)]
    domain: Domain,
    /// The asset: a symbol of the manifest or a token address.
    #[arg(long)]
    asset: AssetRef,
    #[command(flatten)]
    output: Output,
}

/// Options of `nxtp router add-liquidity`.
#[derive(Debug, Args)]
pub struct LiquidityArgs {
    #[command(flatten)]
    position: PositionArgs,
    /// The router credited (default: the signer).
    #[arg(long, value_parser = address)]
    router: Option<Address>,
    /// How much: tokens (`100`, `0.5`) or base units (`500wei`).
    #[arg(long)]
    amount: Amount,
    #[command(flatten)]
    key: KeyArgs,
}

/// Options of `nxtp router remove-liquidity`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    liquidity: LiquidityArgs,
    /// Where the removed liquidity goes (default: the signer).
    #[arg(long, value_parser = address)]
    to: Option<Address>,
}

/// Options of `nxtp router balance`.
#[derive(Debug, Args)]
pub struct BalanceArgs {
    #[command(flatten)]
    position: PositionArgs,
    /// The router.
    #[arg(long, value_parser = address)]
    router: Address,
}

/// `nxtp quote`: the relayer fee and what the recipient receives, without sending.
pub async fn quote(args: QuoteArgs) -> Result<(), UserError> {
    let sdk = args.target.sdk()?;
    let asset = sdk.asset(args.origin, &args.asset).await?;
    let amount = args.amount.to_positive_base_units(asset.decimals)?;
    let mut request = XcallRequest::new(
        args.origin,
        args.destination,
        args.asset.clone(),
        amount,
        args.to.unwrap_or(Address::ZERO),
    );
    request.call_data = args.calldata.unwrap_or_default();
    let quote = sdk.quote_transfer(&request).await?;
    if let Some(FeeSource::Estimated(estimate)) = &quote.relayer_fee_source {
        eprintln!("warning: {estimate}");
    }
    args.output.print(&QuoteJson::from(&quote), || {
        let decimals = quote.asset.decimals;
        println!(
            "route:          {} -> {}",
            quote.origin, quote.destination
        );
        println!(
            "send:           {} {}",
            format_units(quote.amount, decimals),
            name(&quote.asset)
        );
        println!(
            "receive:        {} {} on the fast path (liquidity fee {} bps); all of it on the slow path",
            format_units(quote.amount_received, decimals),
            name(&quote.asset),
            quote.liquidity_fee_bps
        );
        match (quote.relayer_fee, &quote.relayer_fee_source) {
            (Some(fee), Some(source)) => {
                println!("relayer fee:    {fee} wei ({})", source.name());
            }
            _ => println!("relayer fee:    no sequencer to quote it (give --sequencer)"),
        }
    });
    Ok(())
}

/// `nxtp xcall`: checks, sends, prints the transfer.
pub async fn xcall(args: XcallArgs) -> Result<(), UserError> {
    args.relayer_fee.check(args.allow_zero_relayer_fee)?;
    let sdk = args.target.sdk()?;
    let asset = sdk.asset(args.origin, &args.asset).await?;
    let amount = args.amount.to_positive_base_units(asset.decimals)?;
    let allowance = match &args.approve {
        Some(approval) => Some(approval.allowance(asset.decimals)?),
        None => None,
    };
    let signer = args.key.signer()?;
    let mut request = XcallRequest::new(
        args.origin,
        args.destination,
        args.asset.clone(),
        amount,
        args.to,
    );
    request.delegate = match args.delegate {
        Some(Some(delegate)) => delegate,
        Some(None) => signer.address(),
        None => Address::ZERO,
    };
    request.slippage_bps = args.slippage_bps;
    request.call_data = args.calldata.unwrap_or_default();
    request.relayer_fee = args.relayer_fee;
    request.allow_zero_relayer_fee = args.allow_zero_relayer_fee;
    request.receive_local = args.receive_local;
    request.auto_approve = allowance.is_some();
    request.allowance = allowance.unwrap_or_default();
    if !request.call_data.is_empty() {
        print_receiver_gas(&sdk, &request, args.output.json).await;
    }
    let sent = sdk.xcall(&signer, &request).await?;
    if let FeeSource::Estimated(estimate) = &sent.relayer_fee_source {
        eprintln!(
            "warning: {estimate}; if the sequencer asks more once it is back, `nxtp status {}` says so and \
             `nxtp bump {0}` pays the difference",
            sent.transfer_id
        );
    }
    if let Some(quote) = sent.below_quote {
        eprintln!(
            "warning: the relayer fee {} wei is below the sequencer's quote of {quote} wei: the \
             transfer is not auctioned to routers until a bump pays the quote (`nxtp bump {}`), and \
             slow-path executors may skip it",
            sent.relayer_fee, sent.transfer_id
        );
    }
    let approved = request.allowance.for_amount(amount);
    args.output
        .print(&XcallJson::new(&sent, &asset, approved), || {
            if let Some(approval) = sent.approval {
                println!(
                    "approved:     {} (block {}), allowance {}",
                    approval.tx,
                    approval.block,
                    if approved == U256::MAX {
                        "unlimited".to_owned()
                    } else {
                        format!(
                            "{} {}",
                            format_units(approved, asset.decimals),
                            name(&asset)
                        )
                    }
                );
            }
            println!("transfer id:  {}", sent.transfer_id);
            println!(
                "sent:         {} {} from {} on {} to {} on {}",
                format_units(amount, asset.decimals),
                name(&asset),
                signer.address(),
                args.origin,
                args.to,
                args.destination
            );
            println!(
                "relayer fee:  {} wei ({})",
                sent.relayer_fee,
                sent.relayer_fee_source.name()
            );
            println!(
                "origin tx:    {} (block {})",
                sent.origin_tx, sent.origin_block
            );
            println!("next:         nxtp status {} --wait", sent.transfer_id);
        });
    Ok(())
}

/// What the receiver's `xReceive` needs on the fast path, simulated before sending: information only, so a
/// receiver that reverts in simulation is a warning (its transfer may still be meant to take the slow path).
async fn print_receiver_gas(sdk: &Sdk, request: &XcallRequest, quiet: bool) {
    let call = XReceiveCall::new(request.to, request.origin, request.call_data.clone());
    match sdk.estimate_xreceive_gas(request.destination, &call).await {
        Ok(gas) if !quiet => {
            println!(
                "receiver gas: {} (execute about {}{})",
                gas.receiver_gas,
                gas.execute_gas,
                if gas.above_limit {
                    format!(
                        ", above the destination's xReceiveGasLimit of {}",
                        gas.x_receive_gas_limit
                    )
                } else {
                    String::new()
                }
            );
        }
        Ok(_) => {}
        Err(err) => eprintln!("warning: {err}"),
    }
}

/// `nxtp status`: where a transfer stands, or (with --wait) each change until it gets there. Without
/// --wait, the status API the manifest names is read first (its waiting reason and remedy); when it is down
/// or has not indexed the transfer yet, the chains are, saying so in one line on stderr.
pub async fn status(args: StatusArgs) -> Result<(), UserError> {
    if !args.wait {
        if let Some(indexer) = args.target.indexer()? {
            match indexer.transfer(args.transfer_id).await {
                Ok(Some(indexed)) => {
                    args.output.print(&IndexedStatusJson::new(&indexed), || {
                        print_indexed(&indexed);
                    });
                    return Ok(());
                }
                Ok(None) => eprintln!(
                    "note: the status API at {} has not indexed {} yet; reading the chains",
                    indexer.base_url(),
                    args.transfer_id
                ),
                Err(err) => eprintln!(
                    "note: the status API at {} cannot answer ({err}); reading the chains",
                    indexer.base_url()
                ),
            }
        }
    }
    let sdk = args.target.sdk()?;
    let json = args.output.json;
    let report = if args.wait {
        let followed = sdk
            .wait_for(
                args.transfer_id,
                args.until,
                Duration::from_secs(args.timeout),
                |change| {
                    let why = change
                        .waiting
                        .as_deref()
                        .map(|why| format!(" ({why})"))
                        .unwrap_or_default();
                    // With --json, stdout holds the one document; the progress goes to stderr.
                    let line = format!(
                        "+{:>7.1}s  {}{why}",
                        change.elapsed.as_secs_f64(),
                        change.stage
                    );
                    if json {
                        eprintln!("{line}");
                    } else {
                        println!("{line}");
                    }
                },
            )
            .await?;
        followed.report
    } else {
        sdk.status(args.transfer_id).await?
    };
    // Amounts in tokens when the origin still knows the asset; base units otherwise.
    let asset = sdk
        .asset(report.origin(), &AssetRef::Address(report.sent.asset))
        .await
        .ok();
    args.output
        .print(&TransferJson::new(&report, asset.as_ref()), || {
            print_report(&report, asset.as_ref());
        });
    Ok(())
}

/// `nxtp status --json` when the status API answered: its view, marked `source: "indexer"` (the chains'
/// document is `TransferJson`, marked `source: "chain"`).
#[derive(serde::Serialize)]
struct IndexedStatusJson<'a> {
    source: &'static str,
    is_final: bool,
    #[serde(flatten)]
    transfer: &'a nxtp_sdk::indexer::IndexedTransfer,
}

impl<'a> IndexedStatusJson<'a> {
    fn new(transfer: &'a nxtp_sdk::indexer::IndexedTransfer) -> Self {
        Self {
            source: "indexer",
            is_final: transfer.is_final(),
            transfer,
        }
    }
}

/// A transfer as the status API shows it, for people.
fn print_indexed(transfer: &nxtp_sdk::indexer::IndexedTransfer) {
    let domain = |d: Option<u32>| d.map_or_else(|| "?".to_owned(), |d| d.to_string());
    println!("transfer:     {}", transfer.transfer_id);
    println!("source:       status API");
    match &transfer.path {
        Some(path) => println!("stage:        {} ({path} path)", transfer.stage),
        None => println!("stage:        {}", transfer.stage),
    }
    println!(
        "route:        {} -> {}",
        domain(transfer.origin),
        domain(transfer.destination)
    );
    if let (Some(amount), Some(asset)) = (&transfer.amount, &transfer.asset) {
        println!("amount:       {amount} base units of {asset}");
    }
    if let Some(step) = &transfer.xcalled {
        println!("origin tx:    {} (block {})", step.tx_hash, step.block);
    }
    if let Some(step) = &transfer.executed {
        println!("delivered:    {} (block {})", step.tx_hash, step.block);
    }
    if let Some(amount) = &transfer.delivered_amount {
        println!("received:     {amount} base units after fees");
    }
    if let Some(step) = &transfer.reconciled {
        println!("reconciled:   {} (block {})", step.tx_hash, step.block);
    }
    if let Some(call) = &transfer.calldata {
        if call.success {
            println!("call:         succeeded");
        } else {
            println!(
                "call:         FAILED: {}",
                call.revert.as_deref().unwrap_or(&call.return_data)
            );
            if let Some(funds) = &call.funds {
                println!("funds:        {funds}");
            }
        }
    }
    if let Some(eta) = transfer.eta {
        println!("eta:          {eta} (unix seconds)");
    }
    if let Some(waiting) = &transfer.waiting {
        println!("waiting:      {}", waiting.reason);
        println!("remedy:       {}", waiting.remedy);
        if let Some(action) = &waiting.action {
            println!("run:          {}", action.cli);
        }
    }
}

/// `nxtp bump`: adds native relayer fee to a transfer, by the amount given or what the quote still asks.
pub async fn bump(args: BumpArgs) -> Result<(), UserError> {
    let sdk = args.target.sdk()?;
    // Native amounts have 18 decimals on every EVM chain.
    let amount = match &args.amount {
        Some(amount) => Some(amount.to_positive_base_units(18)?),
        None => None,
    };
    let signer = args.key.signer()?;
    let bumped = match amount {
        Some(amount) => sdk.bump(&signer, args.transfer_id, amount).await?,
        None => sdk.bump_to_quote(&signer, args.transfer_id).await?,
    };
    args.output
        .print(&BumpJson::new(args.transfer_id, &bumped), || {
            println!("transfer:     {}", args.transfer_id);
            println!(
                "added:        {} wei on domain {}",
                bumped.added, bumped.origin
            );
            println!("paid in all:  {} wei", bumped.paid);
            println!(
                "tx:           {} (block {})",
                bumped.outcome.tx, bumped.outcome.block
            );
        });
    Ok(())
}

/// `nxtp update-slippage`: the delegate raises a transfer's slippage tolerance on its destination.
pub async fn update_slippage(args: SlippageArgs) -> Result<(), UserError> {
    let sdk = args.target.sdk()?;
    let signer = args.key.signer()?;
    let updated = sdk
        .update_slippage(&signer, args.transfer_id, args.slippage_bps)
        .await?;
    let mut document = OverrideJson::new(args.transfer_id, &updated);
    document.slippage_bps = Some(args.slippage_bps);
    args.output.print(&document, || {
        println!("transfer:     {}", args.transfer_id);
        println!(
            "slippage:     {} bps on domain {}",
            args.slippage_bps, updated.destination
        );
        println!(
            "tx:           {} (block {})",
            updated.outcome.tx, updated.outcome.block
        );
    });
    Ok(())
}

/// `nxtp receive-local`: the delegate asks for delivery in the destination's local asset.
pub async fn receive_local(args: ReceiveLocalArgs) -> Result<(), UserError> {
    let sdk = args.target.sdk()?;
    let signer = args.key.signer()?;
    let updated = sdk.receive_local(&signer, args.transfer_id).await?;
    let mut document = OverrideJson::new(args.transfer_id, &updated);
    document.receive_local = Some(true);
    args.output.print(&document, || {
        println!("transfer:     {}", args.transfer_id);
        println!(
            "delivery:     in the local asset on domain {}",
            updated.destination
        );
        println!(
            "tx:           {} (block {})",
            updated.outcome.tx, updated.outcome.block
        );
    });
    Ok(())
}

/// `nxtp router ...`.
pub async fn router(command: RouterCommand) -> Result<(), UserError> {
    match command {
        RouterCommand::AddLiquidity(args) => {
            let (sdk, signer, router, asset, amount) = liquidity_inputs(&args).await?;
            let domain = args.position.domain;
            let added = sdk
                .add_liquidity(&signer, domain, router, &args.position.asset, amount)
                .await?;
            let document = RouterJson::change(domain, router, &asset, amount, None, &added);
            args.position.output.print(&document, || {
                if let Some(approval) = added.approval {
                    println!("approved:  {} (block {})", approval.tx, approval.block);
                }
                println!(
                    "added:     {} {} for router {router} on {domain}",
                    format_units(amount, asset.decimals),
                    name(&asset)
                );
                println!(
                    "tx:        {} (block {})",
                    added.outcome.tx, added.outcome.block
                );
                println!("balance:   {}", format_units(added.balance, asset.decimals));
            });
        }
        RouterCommand::RemoveLiquidity(args) => {
            let (sdk, signer, router, asset, amount) = liquidity_inputs(&args.liquidity).await?;
            let domain = args.liquidity.position.domain;
            let to = args.to.unwrap_or(signer.address());
            let removed = sdk
                .remove_liquidity(
                    &signer,
                    domain,
                    router,
                    &args.liquidity.position.asset,
                    amount,
                    to,
                )
                .await?;
            let document = RouterJson::change(domain, router, &asset, amount, Some(to), &removed);
            args.liquidity.position.output.print(&document, || {
                println!(
                    "removed:   {} {} of router {router} on {domain} to {to}",
                    format_units(amount, asset.decimals),
                    name(&asset)
                );
                println!(
                    "tx:        {} (block {})",
                    removed.outcome.tx, removed.outcome.block
                );
                println!(
                    "balance:   {}",
                    format_units(removed.balance, asset.decimals)
                );
            });
        }
        RouterCommand::Balance(args) => {
            let sdk = args.position.target.sdk()?;
            let domain = args.position.domain;
            let asset = sdk.asset(domain, &args.position.asset).await?;
            let balance = sdk
                .router_balance(domain, args.router, &args.position.asset)
                .await?;
            let document = RouterJson::balance(domain, args.router, &asset, balance);
            args.position.output.print(&document, || {
                println!("{} {}", format_units(balance, asset.decimals), name(&asset));
            });
        }
    }
    Ok(())
}

/// The SDK, signer, router, asset and base-unit amount of a liquidity change; the amount is checked before the
/// key is read.
async fn liquidity_inputs(
    args: &LiquidityArgs,
) -> Result<(Sdk, PrivateKeySigner, Address, AssetInfo, U256), UserError> {
    let sdk = args.position.target.sdk()?;
    let asset = sdk
        .asset(args.position.domain, &args.position.asset)
        .await?;
    let amount = args.amount.to_positive_base_units(asset.decimals)?;
    let signer = args.key.signer()?;
    let router = args.router.unwrap_or(signer.address());
    Ok((sdk, signer, router, asset, amount))
}

fn print_report(report: &TransferReport, asset: Option<&AssetInfo>) {
    let params = &report.sent.params;
    let amount = |units: U256| match asset {
        Some(asset) => format!("{} {}", format_units(units, asset.decimals), name(asset)),
        None => format!("{units} base units of {}", report.sent.asset),
    };
    println!("transfer:     {}", report.transfer_id);
    println!("stage:        {}", report.stage);
    println!(
        "route:        {} -> {}",
        report.origin(),
        report.destination()
    );
    println!("amount:       {}", amount(report.sent.amount));
    println!("from / to:    {} / {}", params.originSender, params.to);
    println!(
        "origin tx:    {} (block {})",
        report.sent.origin_tx, report.sent.origin_block
    );
    let fee = &report.relayer_fee;
    match fee.shortfall() {
        Some(short) => println!(
            "relayer fee:  {} wei paid; the sequencer asks {} wei: `nxtp bump {}` pays the {short} wei missing",
            fee.paid,
            fee.quote.unwrap_or_default(),
            report.transfer_id
        ),
        None => println!("relayer fee:  {} wei paid", fee.paid),
    }
    if !report.routers.is_empty() {
        let routers: Vec<String> = report.routers.iter().map(ToString::to_string).collect();
        println!("routers:      {}", routers.join(", "));
    }
    if let Some(delivery) = &report.delivery {
        println!(
            "delivered:    {} ({} path, block {})",
            delivery.tx,
            if delivery.fast { "fast" } else { "slow" },
            delivery.block
        );
        println!("received:     {} after fees", amount(delivery.amount));
    }
    match &report.call {
        Some(call @ CallOutcome::Failed { .. }) => {
            println!("call:         FAILED: {call} ({})", params.to);
        }
        Some(call) => println!("call:         {call}"),
        None => {}
    }
    if let Some(why) = &report.waiting {
        println!("waiting:      {why}");
    }
}

fn name(asset: &AssetInfo) -> String {
    asset
        .symbol
        .clone()
        .unwrap_or_else(|| asset.local.to_string())
}

/// An address argument: EIP-55 checksummed or all one case (see `parse_checked_address`).
fn address(text: &str) -> Result<Address, AddressError> {
    parse_checked_address(text)
}

fn transfer_id(text: &str) -> Result<B256, String> {
    let valid = text.len() == 66 && text.starts_with("0x");
    valid
        .then(|| B256::from_str(text).ok())
        .flatten()
        .ok_or_else(|| "expected a 0x-prefixed 32-byte hex transfer id".to_owned())
}

fn calldata(text: &str) -> Result<Bytes, String> {
    text.strip_prefix("0x")
        .and_then(|_| Bytes::from_str(text).ok())
        .ok_or_else(|| "expected 0x-prefixed hex bytes".to_owned())
}

fn approval(text: &str) -> Result<Approval, String> {
    match text {
        "exact" => Ok(Approval::Exact),
        "unlimited" => Ok(Approval::Unlimited),
        amount => amount.parse().map(Approval::Amount).map_err(|_| {
            "expected `exact`, `unlimited` or an amount such as `100` or `100wei`".to_owned()
        }),
    }
}

fn relayer_fee(text: &str) -> Result<RelayerFee, String> {
    if text == "quote" {
        return Ok(RelayerFee::Quote);
    }
    let digits = text.strip_suffix("wei").unwrap_or(text);
    U256::from_str_radix(digits, 10)
        .ok()
        .filter(|_| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .map(RelayerFee::Wei)
        .ok_or_else(|| "expected `quote` or an amount of wei".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_parsers_accept_the_documented_forms_only() {
        assert!(address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").is_ok());
        assert!(address("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").is_ok());
        for bad in [
            "0x1234",
            "70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79CZ",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C9",
        ] {
            assert!(address(bad).is_err(), "{bad}");
        }
        assert!(transfer_id(&format!("0x{}", "ab".repeat(32))).is_ok());
        assert!(transfer_id("0xab").is_err());
        assert_eq!(calldata("0xcafe"), Ok(Bytes::from_static(&[0xca, 0xfe])));
        assert!(calldata("cafe").is_err() && calldata("0xzz").is_err());
        assert_eq!(relayer_fee("quote"), Ok(RelayerFee::Quote));
        assert_eq!(
            relayer_fee("1000"),
            Ok(RelayerFee::Wei(U256::from(1000u64)))
        );
        assert_eq!(
            relayer_fee("1000wei"),
            Ok(RelayerFee::Wei(U256::from(1000u64)))
        );
        for bad in ["", "wei", "-1", "1.5", "lots"] {
            assert!(relayer_fee(bad).is_err(), "{bad}");
        }
        assert_eq!(approval("exact"), Ok(Approval::Exact));
        assert_eq!(approval("unlimited"), Ok(Approval::Unlimited));
        assert!(matches!(approval("100"), Ok(Approval::Amount(_))));
        assert!(approval("plenty").is_err());
    }
}
