//! Where the devnet's HTTP services listen: free loopback ports chosen before the agents start, so each
//! agent's config can name the others and the manifest can tell users.

use std::net::SocketAddr;

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
    fn only_generated_http_urls_have_a_listen_address() {
        assert_eq!(
            listen_address("http://127.0.0.1:8080/"),
            Some(SocketAddr::from(([127, 0, 0, 1], 8080)))
        );
        assert_eq!(listen_address("ftp://127.0.0.1:1"), None);
        assert_eq!(listen_address("http://localhost:1"), None);
    }
}
