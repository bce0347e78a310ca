//! `nxtp init <role> --manifest <file>`: a working config for one agent of a deployment, its keys read from
//! encrypted keystores, ready to edit. The tables are written by the devnet's writer
//! (`nxtp_deployment::agent_toml`), so a config from `nxtp init` reads like the devnet's.

use clap::{Args, ValueEnum};
use nxtp_deployment::{
    agent_toml::{self, AgentToml, ChainReading, Finality},
    Manifest,
};
use nxtp_primitives::Domain;
use std::{
    error::Error,
    path::{Path, PathBuf},
};

/// The agents `nxtp init` writes configs for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// `nxtp router-agent`: bids its liquidity.
    Router,
    /// `nxtp sequencer`: runs the auctions.
    Sequencer,
    /// `nxtp relayer`: submits execute and process jobs.
    Relayer,
    /// `nxtp updater`: signs one domain's roots (`--domain`).
    Updater,
    /// `nxtp watcher`: halts Replicas on fraud.
    Watcher,
    /// `nxtp processor`: proves and delivers messages.
    Processor,
    /// `nxtp message-relayer`: copies Home updates to the Replicas.
    MessageRelayer,
    /// `nxtp executor`: executes reconciled transfers no router served.
    Executor,
}

impl Role {
    /// The role's name in files and variables (`message-relayer` → `message_relayer`).
    fn stem(self) -> &'static str {
        match self {
            Self::Router => "router",
            Self::Sequencer => "sequencer",
            Self::Relayer => "relayer",
            Self::Updater => "updater",
            Self::Watcher => "watcher",
            Self::Processor => "processor",
            Self::MessageRelayer => "message_relayer",
            Self::Executor => "executor",
        }
    }
}

/// Options of `nxtp init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The agent to configure.
    role: Role,
    /// The deployment's manifest (`nxtp deploy` writes it).
    #[arg(long)]
    manifest: PathBuf,
    /// Where to write the config; standard output if not given.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The folder of the agent's database (created if missing).
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// The agent's encrypted keystore (`keys/<role>.json` if not given).
    #[arg(long)]
    keystore: Option<PathBuf>,
    /// The variable holding the keystore's password (`NXTP_<ROLE>_PASSWORD` if not given).
    #[arg(long)]
    password_env: Option<String>,
    /// The updater's checkpointer keystore (`keys/checkpointer.json` if not given), unlocked by
    /// `NXTP_CHECKPOINTER_PASSWORD`.
    #[arg(long)]
    checkpointer_keystore: Option<PathBuf>,
    /// The updater's domain.
    #[arg(long)]
    domain: Option<Domain>,
    /// The sequencer's URL (routers); the manifest's `services` if not given.
    #[arg(long)]
    sequencer_url: Option<String>,
    /// The relayer's URL (sequencer, executor); the manifest's `services` if not given.
    #[arg(long)]
    relayer_url: Option<String>,
    /// Where the sequencer's or relayer's API listens.
    #[arg(long)]
    api_listen: Option<String>,
    /// Where the agent's /health and /metrics listen.
    #[arg(long, default_value = "127.0.0.1:9100")]
    telemetry_listen: String,
    /// Blocks built on a block before the agent acts on it.
    #[arg(long, default_value_t = 2)]
    confirmations: u64,
    /// Take blocks this deep as final instead of the node's `finalized` block (chains without one).
    #[arg(long)]
    finality_depth: Option<u64>,
    /// How often every chain is polled, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    poll_interval_ms: u64,
    /// The sequencer's relayer fee quote, in native wei.
    #[arg(long, default_value = "1000000000000000")]
    default_relayer_fee: String,
    /// The largest transfer a router bids on, in whole tokens of each asset.
    #[arg(long, default_value_t = 100_000)]
    max_whole_tokens: u64,
    /// The sequencer's auction window, in milliseconds.
    #[arg(long)]
    auction_window_ms: Option<u64>,
}

/// Why `nxtp init` could not write a config.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// An option the role needs is missing.
    #[error("{role:?} needs {what}")]
    Missing {
        /// The role.
        role: Role,
        /// What to pass.
        what: &'static str,
    },
    /// The manifest has no such domain.
    #[error("the manifest has no domain {0}")]
    UnknownDomain(Domain),
    /// The manifest has no liquidity layer for a liquidity agent.
    #[error("the manifest has no liquidity layer")]
    NoLiquidity,
}

/// Runs `nxtp init`.
pub fn run(args: InitArgs) -> Result<(), Box<dyn Error + Send + Sync>> {
    let manifest = Manifest::load(&args.manifest)?;
    let text = config_toml(&args, &manifest)?;
    // The agent opens its database there: it must exist when the agent starts.
    std::fs::create_dir_all(&args.data_dir)?;
    match &args.out {
        Some(out) => {
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(out, text)?;
            eprintln!("wrote {}", out.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// `signer = { keystore = { ... } }` for `path`, unlocked by the variable `password_env`.
fn keystore(path: &Path, password_env: &str) -> String {
    format!(
        "{{ keystore = {{ path = {}, password_env = {} }} }}",
        agent_toml::string(&path.display().to_string()),
        agent_toml::string(password_env)
    )
}

/// The config of `args.role` for the deployment in `manifest`.
pub fn config_toml(args: &InitArgs, manifest: &Manifest) -> Result<String, InitError> {
    let role = args.role;
    let stem = role.stem();
    let reading = ChainReading {
        confirmations: args.confirmations,
        finality: args
            .finality_depth
            .map_or(Finality::Finalized, Finality::Depth),
        poll_interval_ms: args.poll_interval_ms,
    };
    let key_path = args
        .keystore
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("keys/{stem}.json")));
    let password_env = args
        .password_env
        .clone()
        .unwrap_or_else(|| format!("NXTP_{}_PASSWORD", stem.to_uppercase()));
    let signer = keystore(&key_path, &password_env);
    let services = manifest.services.as_ref();
    let sequencer_url = args
        .sequencer_url
        .clone()
        .or_else(|| services.map(|s| s.sequencer_url.clone()));
    let relayer_url = args
        .relayer_url
        .clone()
        .or_else(|| services.map(|s| s.relayer_url.clone()));
    let liquidity = agent_toml::with_liquidity(manifest);
    if matches!(role, Role::Router | Role::Sequencer | Role::Executor) && liquidity.is_empty() {
        return Err(InitError::NoLiquidity);
    }
    let mut config = AgentToml::new(reading);
    config.line(&format!(
        "# nxtp {} config, written by `nxtp init {}`: edit freely.",
        subcommand(role),
        role.to_possible_value()
            .map_or(String::new(), |v| v.get_name().to_owned())
    ));
    match role {
        Role::Router => {
            let sequencer_url = sequencer_url.ok_or(InitError::Missing {
                role,
                what: "--sequencer-url (or services in the manifest)",
            })?;
            config
                .database(&args.data_dir, stem)
                .value("signer", signer)
                .string("sequencer_url", &sequencer_url)
                .telemetry_on(&args.telemetry_listen)
                .liquidity_domains(manifest)
                .router_assets(manifest, args.max_whole_tokens);
        }
        Role::Sequencer => {
            let relayer_url = relayer_url.ok_or(InitError::Missing {
                role,
                what: "--relayer-url (or services in the manifest)",
            })?;
            config
                .database(&args.data_dir, stem)
                .value("signer", signer)
                .quoted(
                    "api_listen",
                    args.api_listen.as_deref().unwrap_or("127.0.0.1:8080"),
                );
            if let Some(window) = args.auction_window_ms {
                config.value("auction_window_ms", window);
            }
            config
                .string("relayer_url", &relayer_url)
                .table("quotes")
                .quoted("default_relayer_fee", &args.default_relayer_fee);
            fee_assets_example(&mut config, manifest);
            config
                .telemetry_on(&args.telemetry_listen)
                .liquidity_domains(manifest);
        }
        Role::Relayer => {
            config
                .database(&args.data_dir, stem)
                .value("signer", signer)
                .table("api")
                .quoted(
                    "listen",
                    args.api_listen.as_deref().unwrap_or("127.0.0.1:8081"),
                )
                .telemetry_on(&args.telemetry_listen)
                .relayer_domains(manifest);
        }
        Role::Executor => {
            let relayer_url = relayer_url.ok_or(InitError::Missing {
                role,
                what: "--relayer-url (or services in the manifest)",
            })?;
            config
                .database(&args.data_dir, stem)
                .string("relayer_url", &relayer_url);
            fee_assets_example(&mut config, manifest);
            config
                .telemetry_on(&args.telemetry_listen)
                .liquidity_domains(manifest);
        }
        Role::Updater => {
            let domain = args.domain.ok_or(InitError::Missing {
                role,
                what: "--domain",
            })?;
            manifest
                .domain(domain)
                .ok_or(InitError::UnknownDomain(domain))?;
            let checkpointer = args
                .checkpointer_keystore
                .clone()
                .unwrap_or_else(|| PathBuf::from("keys/checkpointer.json"));
            let manifest_path =
                std::fs::canonicalize(&args.manifest).unwrap_or_else(|_| args.manifest.clone());
            config
                .value("domain", domain)
                .database(&args.data_dir, &format!("updater-{domain}"))
                .path("manifest", &manifest_path)
                .value("signer", signer)
                .value(
                    "checkpointer",
                    keystore(&checkpointer, "NXTP_CHECKPOINTER_PASSWORD"),
                )
                .telemetry_on(&args.telemetry_listen)
                .chains(manifest);
        }
        Role::Watcher => {
            config
                .database(&args.data_dir, stem)
                .value("signer", signer)
                .telemetry_on(&args.telemetry_listen)
                .messaging_domains(manifest, true);
        }
        Role::Processor => {
            config
                .database(&args.data_dir, stem)
                .value("signer", signer)
                .telemetry_on(&args.telemetry_listen)
                .messaging_domains(manifest, false);
        }
        Role::MessageRelayer => {
            let manifest_path =
                std::fs::canonicalize(&args.manifest).unwrap_or_else(|_| args.manifest.clone());
            config
                .database(&args.data_dir, stem)
                .path("manifest", &manifest_path)
                .value("signer", signer)
                .telemetry_on(&args.telemetry_listen)
                .chains(manifest);
        }
    }
    Ok(config.finish())
}

/// The example rate of the commented `[[relayer_fee_assets]]` entries: 0.0004 ETH a whole token.
const EXAMPLE_WEI_PER_TOKEN: &str = "400000000000000";

/// The `[[relayer_fee_assets]]` section of the sequencer and the executor, commented out: one entry
/// per asset of each domain of `manifest` with the liquidity layer, at an example rate. Accepting
/// a token as fee is the operator's decision (and its rate theirs), so none is on by default.
fn fee_assets_example(config: &mut AgentToml, manifest: &Manifest) {
    config
        .line("")
        .line("# Relayer fees paid in a token count at the rate you give it: uncomment an entry")
        .line("# and set what one whole token (10^decimals units; the decimals are read from the")
        .line("# chain) is worth in native wei. Without any entry only native fees count.");
    for (domain, _, liquidity) in agent_toml::with_liquidity(manifest) {
        for (symbol, asset) in &liquidity.assets {
            config
                .line("# [[relayer_fee_assets]]")
                .line(&format!("# domain = {domain}"))
                .line(&format!("# asset = \"{}\"  # {symbol}", asset.local))
                .line(&format!(
                    "# native_wei_per_token = \"{EXAMPLE_WEI_PER_TOKEN}\""
                ));
        }
    }
}

/// The `nxtp` subcommand that runs `role`.
pub fn subcommand(role: Role) -> &'static str {
    match role {
        Role::Router => "router-agent",
        Role::Sequencer => "sequencer",
        Role::Relayer => "relayer",
        Role::Updater => "updater",
        Role::Watcher => "watcher",
        Role::Processor => "processor",
        Role::MessageRelayer => "message-relayer",
        Role::Executor => "executor",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use nxtp_agent::Agent;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        init: InitArgs,
    }

    fn manifest() -> Manifest {
        // Non-zero addresses: agents refuse a zero contract.
        let address = "0x0000000000000000000000000000000000000001";
        let one_word = format!("{}01", "00".repeat(31));
        let domain = |id: u32, other: u32| {
            format!(
                r#""{id}": {{
                    "chain_id": {id}, "rpc_url": "http://127.0.0.1:{id}", "deploy_block": 3,
                    "home": "{address}", "connection_manager": "{address}", "replicas": {{ "{other}": "{address}" }},
                    "updater": "{address}",
                    "liquidity": {{ "connext": "{address}", "assets": {{ "DEMO": {{ "local": "{address}",
                        "canonical_domain": 1000, "canonical_id": "0x{word}", "decimals": 18 }} }} }}
                }}"#,
                word = one_word
            )
        };
        let text = format!(
            r#"{{ "optimistic_seconds": 1800, "domains": {{ {}, {} }},
                "services": {{ "sequencer_url": "http://127.0.0.1:8080", "relayer_url": "http://127.0.0.1:8081" }} }}"#,
            domain(1000, 2000),
            domain(2000, 1000)
        );
        serde_json::from_str(&text).expect("manifest")
    }

    /// The config `nxtp init <args>` writes for `manifest`, read as the agent `A` reads its config.
    fn config<A: Agent>(args: &[&str], manifest: &Manifest) -> (String, A::Config) {
        let mut argv = vec!["init"];
        argv.extend(args);
        argv.extend(["--manifest", "manifest.json"]);
        let command = Command::try_parse_from(argv).expect("arguments");
        let text = config_toml(&command.init, manifest).expect("config");
        let parsed = nxtp_agent::config::parse_str::<A::Config>(&text)
            .unwrap_or_else(|err| panic!("{err}:\n{text}"));
        (text, parsed)
    }

    /// `text` with its example `[[relayer_fee_assets]]` entries uncommented, as an operator would.
    fn uncomment_fee_assets(text: &str) -> String {
        let mut entry = false;
        text.lines()
            .map(|line| {
                if line == "# [[relayer_fee_assets]]" {
                    entry = true;
                } else if !line.starts_with("# ") || line.starts_with("# Relayer") {
                    entry = false;
                }
                match line.strip_prefix("# ") {
                    Some(uncommented) if entry => format!("{uncommented}\n"),
                    _ => format!("{line}\n"),
                }
            })
            .collect()
    }

    #[test]
    fn every_role_gets_a_config_its_agent_reads() {
        let manifest = manifest();
        let (router, _) = config::<nxtp_router::Router>(&["router"], &manifest);
        assert!(
            router.contains(
                "signer = { keystore = { path = \"keys/router.json\", password_env = \"NXTP_ROUTER_PASSWORD\" } }"
            ) && router.contains("[assets.demo]")
                && router.contains("sequencer_url = \"http://127.0.0.1:8080\""),
            "{router}"
        );
        let (sequencer, parsed) = config::<nxtp_sequencer::Sequencer>(&["sequencer"], &manifest);
        assert!(parsed.relayer_fee_assets.is_empty(), "commented out");
        let uncommented = uncomment_fee_assets(&sequencer);
        let parsed = nxtp_agent::config::parse_str::<nxtp_sequencer::SequencerConfig>(&uncommented)
            .unwrap_or_else(|err| panic!("{err}:\n{uncommented}"));
        assert_eq!(parsed.relayer_fee_assets.0.len(), 2, "DEMO on each domain");
        config::<nxtp_relayer::Relayer>(&["relayer"], &manifest);
        let (executor, parsed) = config::<nxtp_executor::Executor>(&["executor"], &manifest);
        assert!(parsed.relayer_fee_assets.is_empty(), "commented out");
        let uncommented = uncomment_fee_assets(&executor);
        let parsed = nxtp_agent::config::parse_str::<nxtp_executor::ExecutorConfig>(&uncommented)
            .unwrap_or_else(|err| panic!("{err}:\n{uncommented}"));
        assert_eq!(parsed.relayer_fee_assets.0.len(), 2, "DEMO on each domain");
        config::<nxtp_watcher::Watcher>(&["watcher"], &manifest);
        config::<nxtp_processor::Processor>(&["processor"], &manifest);
        config::<nxtp_message_relayer::MessageRelayer>(&["message-relayer"], &manifest);
        let (updater, _) = config::<nxtp_updater::Updater>(
            &["updater", "--domain", "2000", "--finality-depth", "12"],
            &manifest,
        );
        assert!(
            updater.contains("domain = 2000")
                && updater.contains("keys/checkpointer.json")
                && updater.contains("finality = { depth = 12 }"),
            "{updater}"
        );
    }

    #[test]
    fn refuses_what_a_role_cannot_do_without() {
        let manifest = manifest();
        let parse = |args: &[&str]| {
            let mut argv = vec!["init"];
            argv.extend(args);
            argv.extend(["--manifest", "manifest.json"]);
            Command::try_parse_from(argv).expect("arguments").init
        };
        assert!(matches!(
            config_toml(&parse(&["updater"]), &manifest),
            Err(InitError::Missing { .. })
        ));
        assert!(matches!(
            config_toml(&parse(&["updater", "--domain", "3000"]), &manifest),
            Err(InitError::UnknownDomain(_))
        ));
        let mut without_services = manifest;
        without_services.services = None;
        assert!(matches!(
            config_toml(&parse(&["router"]), &without_services),
            Err(InitError::Missing { .. })
        ));
    }
}
