//! The command line's PEER (`shop/app=web` or an address) and `--port` (`5432`, `53/UDP`, `http`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use anyhow::{anyhow, bail, Result};
use palisade_rules::netpol::{self, PortRef, Protocol};

/// A PEER as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PeerArg {
    Pod {
        namespace: String,
        labels: BTreeMap<String, String>,
    },
    Address(IpAddr),
}

impl std::fmt::Display for PeerArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerArg::Address(ip) => write!(f, "{ip}"),
            PeerArg::Pod { namespace, labels } => {
                write!(f, "{namespace}/{}", show_labels(labels))
            }
        }
    }
}

pub(super) fn show_labels(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn parse_peer(flag: &str, text: &str) -> Result<PeerArg> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(PeerArg::Address(ip));
    }
    let Some((namespace, labels)) = text.split_once('/') else {
        bail!(
            "{flag} {text:?}: expected NAMESPACE/LABELS (`shop/app=web`, `shop/` for a pod \
             without labels) or an IP address"
        );
    };
    if namespace.is_empty() || namespace.contains(['=', ',']) {
        bail!("{flag} {text:?}: the namespace before `/` is missing or not a name");
    }
    let mut map = BTreeMap::new();
    for pair in labels.split(',').filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("{flag} {text:?}: label {pair:?} is not KEY=VALUE");
        };
        if k.is_empty() {
            bail!("{flag} {text:?}: label {pair:?} has no key");
        }
        if map.insert(k.to_owned(), v.to_owned()).is_some() {
            bail!("{flag} {text:?}: label {k:?} is given twice");
        }
    }
    Ok(PeerArg::Pod {
        namespace: namespace.to_owned(),
        labels: map,
    })
}

/// `--port`: a number or a port name, with an optional protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PortArg {
    pub(super) port: PortRef,
    pub(super) protocol: Protocol,
}

pub(super) fn parse_port(text: &str) -> Result<PortArg> {
    let (port, protocol) = match text.split_once('/') {
        Some((p, proto)) => (
            p,
            Protocol::parse(&proto.to_ascii_uppercase()).ok_or_else(|| {
                anyhow!("--port {text:?}: protocol {proto:?} is not TCP, UDP or SCTP")
            })?,
        ),
        None => (text, Protocol::Tcp),
    };
    let port = if port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() {
        match port.parse::<u16>() {
            Ok(n) if n > 0 => PortRef::Number(n),
            _ => bail!("--port {text:?}: port must be between 1 and 65535"),
        }
    } else if netpol::is_port_name(port) {
        PortRef::Name(port.to_owned())
    } else {
        bail!("--port {text:?}: expected a port number or a container port name, e.g. 8080/TCP or http");
    };
    Ok(PortArg { port, protocol })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers() {
        assert_eq!(
            parse_peer("--from", "203.0.113.7").unwrap(),
            PeerArg::Address("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            parse_peer("--from", "shop/").unwrap(),
            PeerArg::Pod {
                namespace: "shop".into(),
                labels: BTreeMap::new()
            }
        );
        let PeerArg::Pod { labels, .. } = parse_peer("--to", "shop/app=web,tier=fe").unwrap()
        else {
            panic!()
        };
        assert_eq!(labels.len(), 2);
        for bad in [
            "shop",
            "/app=web",
            "shop/app",
            "shop/=x",
            "shop/a=1,a=2",
            "10.0.0.0/8",
        ] {
            assert!(parse_peer("--to", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports() {
        assert_eq!(
            parse_port("53/udp").unwrap(),
            PortArg {
                port: PortRef::Number(53),
                protocol: Protocol::Udp
            }
        );
        assert_eq!(
            parse_port("http").unwrap().port,
            PortRef::Name("http".into())
        );
        for bad in ["0", "70000", "80/ICMP", "Http", ""] {
            assert!(parse_port(bad).is_err(), "{bad}");
        }
    }
}
