//! Who sent a request: the client's address and whether it came over HTTPS, read through the
//! configured trusted proxies once per request by the outermost layer and kept in the
//! request, so the rate limits, the request log, the sessions' cookies and the security
//! headers all see the same client.
//!
//! The client address is the right-most `X-Forwarded-For` hop that is not a trusted proxy,
//! found by walking leftwards from the peer while each hop is trusted: the hops left of it
//! were written by the client (or by proxies nobody vouches for) and are never believed.
//! `X-Forwarded-Proto` counts only when the peer is a trusted proxy.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use poem::Request;
use poem::http::uri::Scheme;

/// The client of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Client {
    /// The client's address (through trusted proxies).
    pub(crate) ip: IpAddr,
    /// Whether the client reached us over HTTPS (directly, or as a trusted proxy says).
    pub(crate) https: bool,
    /// Whether the request came through a trusted proxy, whose `X-Forwarded-*` headers are
    /// believed.
    pub(crate) proxied: bool,
}

/// The trusted reverse proxies of `[web]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Proxies {
    nets: Arc<[IpNet]>,
    /// `trust_proxy_headers`: the immediate peer is trusted whatever its address.
    trust_peer: bool,
}

impl Proxies {
    /// The proxies of `web.trusted_proxies` and `web.trust_proxy_headers` (validated when
    /// the configuration was loaded: a bad entry left here is logged and skipped).
    pub(crate) fn from_config(web: &owums_core::config::WebConfig) -> Proxies {
        let nets = web.trusted_networks().unwrap_or_else(|e| {
            tracing::error!(error = %e, "web.trusted_proxies ignored");
            Vec::new()
        });
        Proxies {
            nets: nets.into(),
            trust_peer: web.trust_proxy_headers,
        }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client of `req`.
    pub(crate) fn resolve(&self, req: &Request) -> Client {
        let peer = peer_ip(req);
        let direct_https = *req.scheme() == Scheme::HTTPS;
        if !(self.trust_peer || self.trusted(peer)) {
            return Client {
                ip: peer,
                https: direct_https,
                proxied: false,
            };
        }
        let mut ip = peer;
        let hops: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Some(hop) = parse_hop(hop) else {
                break;
            };
            ip = hop;
            if !self.trusted(hop) {
                break;
            }
        }
        let forwarded_https = req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        Client {
            ip,
            https: direct_https || forwarded_https,
            proxied: true,
        }
    }
}

/// The client of `req` as the outermost layer found it (the socket peer for a request that
/// did not pass through it).
pub(crate) fn of(req: &Request) -> Client {
    req.extensions().get::<Client>().copied().unwrap_or(Client {
        ip: peer_ip(req),
        https: *req.scheme() == Scheme::HTTPS,
        proxied: false,
    })
}

/// The socket peer's address (loopback for a request without one, as in poem's tests).
fn peer_ip(req: &Request) -> IpAddr {
    match req.remote_addr().0 {
        poem::Addr::SocketAddr(a) => canonical(a.ip()),
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

/// An IPv4-mapped IPv6 address as IPv4, so `10.0.0.0/8` matches `::ffff:10.1.2.3`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` hop: an address, or an address with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(nets: &[&str], trust_peer: bool) -> Proxies {
        let web = owums_core::config::WebConfig {
            trusted_proxies: nets.iter().map(|s| (*s).to_owned()).collect(),
            trust_proxy_headers: trust_peer,
            ..Default::default()
        };
        Proxies::from_config(&web)
    }

    fn req(xff: &[&str], proto: Option<&str>) -> Request {
        let mut b = Request::builder();
        for v in xff {
            b = b.header("x-forwarded-for", *v);
        }
        if let Some(p) = proto {
            b = b.header("x-forwarded-proto", p);
        }
        b.finish()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let p = proxies(&["10.0.0.0/8"], false);
        // poem's test requests have no socket: the peer counts as 127.0.0.1
        let c = p.resolve(&req(&["203.0.113.9"], Some("https")));
        assert_eq!(
            c,
            Client {
                ip: ip("127.0.0.1"),
                https: false,
                proxied: false,
            }
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let p = proxies(&["127.0.0.1", "10.0.0.0/8"], false);
        let c = p.resolve(&req(&["6.6.6.6, 198.51.100.4, 10.1.1.1"], Some("https")));
        assert_eq!(
            c,
            Client {
                ip: ip("198.51.100.4"),
                https: true,
                proxied: true,
            }
        );
        // several headers are one list, in order
        let c = p.resolve(&req(&["6.6.6.6", "198.51.100.4:5555"], None));
        assert_eq!(c.ip, ip("198.51.100.4"));
        // a garbled hop stops the walk at the last trusted one
        let c = p.resolve(&req(&["6.6.6.6, nonsense, 10.1.1.1"], None));
        assert_eq!(c.ip, ip("10.1.1.1"));
        // every hop trusted: the left-most one
        let c = p.resolve(&req(&["10.9.9.9, 10.1.1.1"], None));
        assert_eq!(c.ip, ip("10.9.9.9"));
    }

    #[test]
    fn trust_proxy_headers_trusts_the_peer_only() {
        let p = proxies(&[], true);
        let c = p.resolve(&req(&["6.6.6.6, 198.51.100.4"], Some("https")));
        assert_eq!(
            c,
            Client {
                ip: ip("198.51.100.4"),
                https: true,
                proxied: true,
            }
        );
    }
}
