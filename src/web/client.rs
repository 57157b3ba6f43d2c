//! Who is asking: the client's address as the rest of the service sees it.
//!
//! Throttles (sign-in delays, connection caps) count per client. An IPv6 client
//! usually holds a whole /64, so its addresses count as one.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::error::AppError;

/// The client's address for a request.
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

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => Ok(ClientAddr(peer.ip())),
            None => Err(AppError::internal("the connection's address is unknown")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
