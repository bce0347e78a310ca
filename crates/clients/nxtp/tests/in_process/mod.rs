//! The agents in the test's process: which agent type runs each of the devnet's specs. The test-net
//! fixture runs them ([`nxtp_testnet::InProcessAgents`]) but links no agent crate (their own tests
//! depend on it); this binary's crate links every one.

use nxtp_devnet::AgentSpec;
use nxtp_testnet::{AgentsError, InProcessAgents, LiquidityNet, LiquidityNetOptions};
use std::path::Path;

/// Runs a messaging agent's spec as that agent; leaves any other out.
pub fn launch_messaging(
    agents: &mut InProcessAgents,
    spec: &AgentSpec,
    dir: &Path,
) -> Result<(), AgentsError> {
    match spec.subcommand.as_str() {
        "updater" => agents.spawn::<nxtp_updater::Updater>(spec, dir),
        "message-relayer" => agents.spawn::<nxtp_message_relayer::MessageRelayer>(spec, dir),
        "processor" => agents.spawn::<nxtp_processor::Processor>(spec, dir),
        "watcher" => agents.spawn::<nxtp_watcher::Watcher>(spec, dir),
        _ => Ok(()),
    }
}

/// Both layers with the messaging agents running in-process; panics (failing the test) if it cannot
/// start.
pub async fn liquidity_net(options: LiquidityNetOptions) -> LiquidityNet {
    LiquidityNet::start(options, launch_messaging)
        .await
        .expect("the net starts")
}
