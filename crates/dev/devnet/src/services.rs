//! Where the devnet's HTTP services listen: free loopback ports chosen before the agents start, so each
//! agent's config can name the others and the manifest can tell users.

use nxtp_deployment::Services;
use std::net::{SocketAddr, TcpListener};

/// Three free loopback ports, for the sequencer, the relayer and the indexer's status API. The ports are released before the agents bind
/// them; on a busy machine another process could take one in between, and the agent then fails at start-up
/// saying so.
pub fn reserve() -> std::io::Result<Services> {
    let sequencer = TcpListener::bind("127.0.0.1:0")?;
    let relayer = TcpListener::bind("127.0.0.1:0")?;
    let indexer = TcpListener::bind("127.0.0.1:0")?;
    Ok(Services {
        sequencer_url: format!("http://{}", sequencer.local_addr()?),
        relayer_url: format!("http://{}", relayer.local_addr()?),
        indexer_url: Some(format!("http://{}", indexer.local_addr()?)),
    })
}

/// The socket address of a `http://host:port` URL the devnet generated.
pub fn listen_address(url: &str) -> Option<SocketAddr> {
    url.strip_prefix("http://")?
        .trim_end_matches('/')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_urls_are_distinct_loopback_addresses() {
        let services = reserve().expect("ports");
        let sequencer = listen_address(&services.sequencer_url).expect("sequencer");
        let relayer = listen_address(&services.relayer_url).expect("relayer");
        assert!(sequencer.ip().is_loopback() && relayer.ip().is_loopback());
        let indexer =
            listen_address(services.indexer_url.as_deref().expect("indexer")).expect("indexer");
        assert_ne!(sequencer.port(), relayer.port());
        assert!(indexer.ip().is_loopback());
        assert_ne!(indexer.port(), relayer.port());
        assert_eq!(listen_address("ftp://127.0.0.1:1"), None);
    }
}
