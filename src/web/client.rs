//! Who is asking: the client's address as the rest of the service sees it.
//!
//! Throttles (sign-in delays, connection caps) count per client. An IPv6 client
//! usually holds a whole /64, so its addresses count as one. Behind a trusted reverse
//! proxy every user shares the proxy's address, so the client is the one the proxy
//! names in `X-Forwarded-For`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::error::AppError;
use crate::config::TrustedProxies;

/// The client's address for a request. The accept loop resolves it (see [`resolve`])
/// and puts it in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The key throttles count under: the address itself, or its /64 for IPv6.
    pub fn throttle_key(&self) -> String {
        client_group(self.0).to_string()
    }
}

/// The group an address is counted in: IPv4 as is (IPv4-mapped IPv6 as IPv4), IPv6 by
/// its /64 network.
pub fn client_group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}

/// The client behind the connection from `peer`. Only a trusted proxy's
/// `X-Forwarded-For` counts (anyone else could write one): read from the right, each
/// trusted proxy passes the request on, and the first address that is not one is the
/// client. An entry that is not an address ends the walk at the last hop known.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let mut client = peer.to_canonical();
    if !trusted.contains(client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    client
}

/// `203.0.113.7`, `2001:db8::1`, or either with a port (`[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|addr| addr.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(client) = parts.extensions.get::<ClientAddr>() {
            return Ok(*client);
        }
        // Servers without the accept loop (tests over `axum::serve`): the peer itself.
        match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => Ok(ClientAddr(peer.ip())),
            None => Err(AppError::internal("the connection's address is unknown")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_proxy;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_group(a), client_group(b));
        assert_ne!(client_group(a), client_group(other));
        assert_eq!(ClientAddr(a).throttle_key(), "2001:db8:1:2::");
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(ClientAddr(mapped).throttle_key(), "10.1.2.3");
        assert_eq!(
            ClientAddr("10.1.2.3".parse().unwrap()).throttle_key(),
            "10.1.2.3"
        );
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let trusted = TrustedProxies::new(vec![
            parse_proxy("10.0.0.0/8").unwrap(),
            parse_proxy("192.0.2.1").unwrap(),
        ]);
        // An untrusted peer's header is its own invention.
        let spoofed = forwarded(&["198.51.100.9"]);
        assert_eq!(
            resolve(ip("203.0.113.5"), &spoofed, &trusted),
            ip("203.0.113.5")
        );
        // Through one proxy; through two (the left-most entries are the client's to write).
        let one = forwarded(&["198.51.100.1, 203.0.113.7"]);
        assert_eq!(resolve(ip("10.1.1.1"), &one, &trusted), ip("203.0.113.7"));
        let two = forwarded(&["6.6.6.6", "203.0.113.7, 10.2.2.2"]);
        assert_eq!(resolve(ip("192.0.2.1"), &two, &trusted), ip("203.0.113.7"));
        // Every hop trusted: the left-most; no header: the proxy itself.
        let inside = forwarded(&["10.9.9.9, 10.2.2.2"]);
        assert_eq!(resolve(ip("10.1.1.1"), &inside, &trusted), ip("10.9.9.9"));
        assert_eq!(
            resolve(ip("10.1.1.1"), &HeaderMap::new(), &trusted),
            ip("10.1.1.1")
        );
        // Garbage or markup ends the walk at the last known hop.
        let junk = forwarded(&["<script>, 10.2.2.2"]);
        assert_eq!(resolve(ip("10.1.1.1"), &junk, &trusted), ip("10.2.2.2"));
        let huge = forwarded(&[&"9.9.9.9,".repeat(5000)]);
        assert_eq!(resolve(ip("10.1.1.1"), &huge, &trusted), ip("10.1.1.1"));
        // Ports, IPv6, and IPv4-mapped peers.
        let ported = forwarded(&["[2001:db8::1]:443"]);
        assert_eq!(
            resolve(ip("::ffff:10.1.1.1"), &ported, &trusted),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        assert!(parse_proxy(" 10.0.0.5 ").is_ok());
        assert!(parse_proxy("fd00::/8").is_ok());
        assert!(parse_proxy("10.0.0.0/33").is_err());
        let err = parse_proxy("proxy.local").unwrap_err();
        assert!(err.contains("不是 IP 地址或网段"), "{err}");
        // A network written with host bits set means the network.
        let net = TrustedProxies::new(vec![parse_proxy("10.1.2.3/16").unwrap()]);
        assert!(net.contains(ip("10.1.200.1")));
        assert!(!net.contains(ip("10.2.0.1")));
    }
}
