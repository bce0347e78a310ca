//! Where the devnet listens: free ports the OS picks (each run different), or fixed ports from a base port, the
//! same on every restart so wallets, scripts and dashboards pointed at the devnet keep working.
//!
//! With a base port `B`: chain `i` (from zero) on `B + i`, the sequencer API on `B + 100`, the relayer API on
//! `B + 101`, and each agent's ops server (`/health`, `/metrics`) on `B + 200 + k` for the `k`-th agent. A
//! network of sequencer nodes (`--sequencers N`) adds node `k`'s bids API on `B + 102 + k` (node 0 keeps
//! `B + 100`) and its consensus on `B + 110 + k`.

use nxtp_deployment::Services;
use std::{
    io,
    net::{SocketAddr, TcpListener},
};

/// The most chains a base port leaves room for below the services' ports.
pub const MAX_FIXED_CHAINS: usize = 100;
/// The sequencer API's offset from the base port.
pub const SEQUENCER_OFFSET: u16 = 100;
/// The relayer API's offset from the base port.
pub const RELAYER_OFFSET: u16 = 101;

/// The indexer's status API's port, from the base.
pub const INDEXER_OFFSET: u16 = 102;
/// The consensus port of the first sequencer node, from the base.
pub const CONSENSUS_OFFSET: u16 = 110;
/// The first agent ops server's offset from the base port.
pub const FIRST_OPS_OFFSET: u16 = 200;
/// The most agents a base port leaves room for.
pub const MAX_FIXED_AGENTS: u16 = 300;

/// How the devnet picks its ports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ports {
    /// Free ports, picked by the OS at every start.
    #[default]
    Any,
    /// Fixed ports counted from a base port (see the module's docs).
    Fixed {
        /// The first chain's port.
        base: u16,
    },
}

/// Why the fixed ports cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PortsError {
    /// The ports the layout needs run past 65535.
    #[error("base port {base} leaves no room for the devnet's ports (it needs up to {base} + {span}); choose a base port up to {}", u16::MAX - span)]
    TooHigh {
        /// The base port.
        base: u16,
        /// How far past it the layout reaches.
        span: u16,
    },
    /// More chains than the layout has room for.
    #[error("fixed ports have room for at most {MAX_FIXED_CHAINS} chains")]
    TooManyChains,
    /// A port is taken.
    #[error("port {port} ({what}) is in use: stop what holds it or choose another base port")]
    InUse {
        /// The port.
        port: u16,
        /// What the devnet wanted it for.
        what: String,
    },
    /// Free ports could not be reserved.
    #[error("cannot reserve local ports")]
    Reserve(#[source] io::Error),
}

impl Ports {
    /// Checks the layout fits `chains` chains and is free now (a free-port devnet always fits).
    pub fn check(self, chains: usize) -> Result<(), PortsError> {
        let Self::Fixed { base } = self else {
            return Ok(());
        };
        if chains > MAX_FIXED_CHAINS {
            return Err(PortsError::TooManyChains);
        }
        let span = FIRST_OPS_OFFSET + MAX_FIXED_AGENTS;
        if base == 0 || base > u16::MAX - span {
            return Err(PortsError::TooHigh { base, span });
        }
        let mut wanted: Vec<(u16, String)> = (0..chains)
            .map(|index| (self.chain_port(index), format!("chain {}", index + 1)))
            .collect();
        wanted.push((base + SEQUENCER_OFFSET, "sequencer API".to_owned()));
        wanted.push((base + RELAYER_OFFSET, "relayer API".to_owned()));
        wanted.push((base + INDEXER_OFFSET, "status API".to_owned()));
        for (port, what) in wanted {
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                return Err(PortsError::InUse { port, what });
            }
        }
        Ok(())
    }

    /// The port anvil of chain `index` listens on: 0 (the OS picks) unless fixed.
    pub fn chain_port(self, index: usize) -> u16 {
        match self {
            Self::Any => 0,
            Self::Fixed { base } => base.saturating_add(u16::try_from(index).unwrap_or(u16::MAX)),
        }
    }

    /// Where the sequencer, relayer and status APIs listen (free ports held in `book`).
    pub fn services(self, book: &mut PortBook) -> Result<Services, PortsError> {
        match self {
            Self::Any => Ok(Services {
                sequencer_url: format!("http://{}", book.free()?),
                relayer_url: format!("http://{}", book.free()?),
                indexer_url: Some(format!("http://{}", book.free()?)),
            }),
            Self::Fixed { base } => Ok(Services {
                sequencer_url: format!("http://{}", loopback(base + SEQUENCER_OFFSET)),
                relayer_url: format!("http://{}", loopback(base + RELAYER_OFFSET)),
                indexer_url: Some(format!("http://{}", loopback(base + INDEXER_OFFSET))),
            }),
        }
    }

    /// Where each of `count` sequencer nodes listens: its bids API (node 0's is the services'
    /// `sequencer_url`, `sequencer_api`) and its consensus. Free ports are held in `book`; fixed ports are
    /// checked free here.
    pub fn sequencer_nodes(
        self,
        count: usize,
        sequencer_api: SocketAddr,
        book: &mut PortBook,
    ) -> Result<Vec<(SocketAddr, SocketAddr)>, PortsError> {
        let mut nodes = Vec::with_capacity(count);
        for k in 0..count {
            let (api, consensus) = match self {
                Self::Any => (
                    if k == 0 { sequencer_api } else { book.free()? },
                    book.free()?,
                ),
                Self::Fixed { base } => {
                    let k16 = u16::try_from(k).unwrap_or(u16::MAX);
                    let consensus = base.saturating_add(CONSENSUS_OFFSET).saturating_add(k16);
                    let mut wanted = vec![(consensus, format!("sequencer node {k} consensus"))];
                    let api = if k == 0 {
                        sequencer_api
                    } else {
                        let port = base.saturating_add(INDEXER_OFFSET).saturating_add(k16);
                        wanted.push((port, format!("sequencer node {k} API")));
                        loopback(port)
                    };
                    for (port, what) in wanted {
                        if TcpListener::bind(("127.0.0.1", port)).is_err() {
                            return Err(PortsError::InUse { port, what });
                        }
                    }
                    (api, loopback(consensus))
                }
            };
            nodes.push((api, consensus));
        }
        Ok(nodes)
    }

    /// Where the `k`-th agent's ops server listens (a free port held in `book`). Fixed ports are checked free
    /// here: an agent started on a taken port would only fail and be restarted.
    pub fn ops(self, k: usize, book: &mut PortBook) -> Result<SocketAddr, PortsError> {
        match self {
            Self::Any => book.free(),
            Self::Fixed { base } => {
                let k = u16::try_from(k)
                    .ok()
                    .filter(|k| *k < MAX_FIXED_AGENTS)
                    .ok_or(PortsError::TooHigh {
                        base,
                        span: FIRST_OPS_OFFSET + MAX_FIXED_AGENTS,
                    })?;
                let port = base + FIRST_OPS_OFFSET + k;
                TcpListener::bind(("127.0.0.1", port)).map_err(|_| PortsError::InUse {
                    port,
                    what: format!("agent ops server {}", k + 1),
                })?;
                Ok(loopback(port))
            }
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The free ports picked for one start, each held open until the agents are about to bind them. Released one by
/// one, the OS could hand the same port out twice (two agents then fight over it and one never starts); held
/// together, every pick is distinct. Once the book is dropped another process could still take a port before
/// its agent binds it: that agent fails at start-up saying so.
#[derive(Debug, Default)]
pub struct PortBook {
    held: Vec<TcpListener>,
}

impl PortBook {
    /// A free loopback port no other pick in this book has.
    pub fn free(&mut self) -> Result<SocketAddr, PortsError> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(PortsError::Reserve)?;
        let addr = listener.local_addr().map_err(PortsError::Reserve)?;
        self.held.push(listener);
        Ok(addr)
    }
}

/// The text the devnet's agent configs carry for an ops server on a free port, and the same section on `listen`.
pub(crate) fn with_ops_listen(config_toml: &str, listen: SocketAddr) -> Option<String> {
    const ANY: &str = "[telemetry]\nlisten = \"127.0.0.1:0\"";
    config_toml
        .contains(ANY)
        .then(|| config_toml.replacen(ANY, &format!("[telemetry]\nlisten = \"{listen}\""), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_ports_count_from_the_base() {
        let ports = Ports::Fixed { base: 20_000 };
        assert_eq!(ports.chain_port(0), 20_000);
        assert_eq!(ports.chain_port(2), 20_002);
        assert_eq!(Ports::Any.chain_port(2), 0);
        let services = ports.services(&mut PortBook::default()).expect("fixed");
        assert_eq!(services.sequencer_url, "http://127.0.0.1:20100");
        assert_eq!(services.relayer_url, "http://127.0.0.1:20101");
        assert_eq!(
            services.indexer_url.as_deref(),
            Some("http://127.0.0.1:20102")
        );
        assert!(matches!(
            Ports::Fixed { base: 65_100 }.check(3),
            Err(PortsError::TooHigh { .. })
        ));
        assert!(matches!(
            ports.check(MAX_FIXED_CHAINS + 1),
            Err(PortsError::TooManyChains)
        ));
    }

    #[test]
    fn sequencer_nodes_get_their_own_ports_and_node_0_the_sequencer_api() {
        let api = loopback(9_100);
        let nodes = Ports::Any
            .sequencer_nodes(4, api, &mut PortBook::default())
            .expect("free ports");
        assert_eq!(nodes.len(), 4);
        assert_eq!(nodes[0].0, api);
        let mut ports: Vec<u16> = nodes
            .iter()
            .flat_map(|(api, consensus)| [api.port(), consensus.port()])
            .collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 8, "every port its own: {nodes:?}");
    }

    #[test]
    fn free_ports_of_one_start_are_all_distinct() {
        let mut book = PortBook::default();
        let services = Ports::Any.services(&mut book).expect("services");
        let api = crate::services::listen_address(&services.sequencer_url).expect("api");
        let mut ports: Vec<u16> = Ports::Any
            .sequencer_nodes(4, api, &mut book)
            .expect("nodes")
            .into_iter()
            .flat_map(|(api, consensus)| [api.port(), consensus.port()])
            .collect();
        for url in [services.relayer_url, services.indexer_url.expect("status")] {
            ports.push(crate::services::listen_address(&url).expect("url").port());
        }
        for k in 0..200 {
            ports.push(Ports::Any.ops(k, &mut book).expect("ops").port());
        }
        let picked = ports.len();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), picked, "a port was picked twice");
        drop(book);
        TcpListener::bind(("127.0.0.1", ports[0])).expect("released with the book");
    }

    #[test]
    fn a_taken_port_is_named() {
        let taken = TcpListener::bind("127.0.0.1:0").expect("binds");
        let base = taken.local_addr().expect("address").port();
        if base > u16::MAX - FIRST_OPS_OFFSET - MAX_FIXED_AGENTS {
            return; // the OS picked a port too high to be a base; nothing to show
        }
        let refused = Ports::Fixed { base }.check(1).expect_err("taken");
        assert_eq!(
            refused.to_string(),
            format!(
                "port {base} (chain 1) is in use: stop what holds it or choose another base port"
            )
        );
    }

    #[test]
    fn the_ops_listen_address_is_set_in_the_telemetry_section() {
        let config = "home = \"0x01\"\n\n[telemetry]\nlisten = \"127.0.0.1:0\"\n\n[domains.1000]\n";
        let listen = loopback(9_105);
        assert_eq!(
            with_ops_listen(config, listen).as_deref(),
            Some("home = \"0x01\"\n\n[telemetry]\nlisten = \"127.0.0.1:9105\"\n\n[domains.1000]\n")
        );
        assert_eq!(
            with_ops_listen("[telemetry]\nlisten = \"0.0.0.0:1\"", listen),
            None
        );
    }
}
