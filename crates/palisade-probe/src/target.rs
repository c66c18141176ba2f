//! What to probe: host names, IP addresses, CIDR ranges and `host:port` pairs, exactly as the user
//! named them. Nothing is discovered: a range is probed only when given, a range larger than a /24
//! only with an explicit `--max-hosts`.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::Path;

use palisade_core::cidr::Cidr;

use crate::ports::{PortSpec, Role};
use crate::ProbeError;

/// Hosts probed when `--max-hosts` is not given.
pub const DEFAULT_MAX_HOSTS: usize = 1024;
/// The most hosts one run will probe, whatever `--max-hosts` says.
pub const HARD_MAX_HOSTS: usize = 1 << 20;
/// Largest `--targets-file`.
pub const MAX_TARGETS_FILE: u64 = 4 << 20;

/// One host to probe.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub ip: IpAddr,
    /// The name it was given by (sent as TLS SNI and HTTP Host), when it was a name.
    pub name: Option<String>,
    /// Ports to probe on this host instead of the run's list (`host:port`, the API endpoint).
    pub ports: Option<Vec<PortSpec>>,
}

impl Target {
    pub fn ip(ip: IpAddr) -> Target {
        Target {
            ip,
            name: None,
            ports: None,
        }
    }

    /// `10.0.0.5:10250`, `[fd00::1]:6443`.
    pub fn endpoint(&self, port: u16) -> String {
        SocketAddr::new(self.ip, port).to_string()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} ({})", self.ip),
            None => write!(f, "{}", self.ip),
        }
    }
}

/// Turns names into addresses.
pub trait Resolver {
    /// The addresses of `name`, or why there are none.
    fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, String>;
}

/// The system resolver (`getaddrinfo`: /etc/hosts, then DNS). Names under `.invalid` are never
/// looked up (RFC 6761 §6.4: they never resolve).
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, String> {
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        if lower == "invalid" || lower.ends_with(".invalid") {
            return Err("names under .invalid never resolve (RFC 6761)".into());
        }
        (name, 0u16)
            .to_socket_addrs()
            .map(|a| a.map(|s| s.ip()).collect())
            .map_err(|e| e.to_string())
    }
}

/// How targets are expanded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `--max-hosts`: required for ranges larger than a /24, and the most hosts of a run.
    pub max_hosts: Option<usize>,
}

/// Parses every target (command line and file lines alike) into hosts, resolving names with
/// `resolver`. Duplicates are probed once.
pub fn expand(
    specs: &[String],
    limits: Limits,
    resolver: &dyn Resolver,
) -> Result<Vec<Target>, ProbeError> {
    let max = limits.max_hosts.unwrap_or(DEFAULT_MAX_HOSTS);
    if max > HARD_MAX_HOSTS {
        return Err(ProbeError::Target(format!(
            "--max-hosts {max} is above the limit of {HARD_MAX_HOSTS} hosts per run"
        )));
    }
    let mut out: Vec<Target> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for spec in specs {
        let spec = spec.trim();
        if spec.is_empty() {
            continue;
        }
        for t in parse_one(spec, limits, resolver)? {
            if seen.insert((t.ip, t.ports.clone())) {
                out.push(t);
            }
            if out.len() > max {
                return Err(ProbeError::Target(format!(
                    "more than {max} hosts to probe; pass --max-hosts N to probe more"
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(ProbeError::Target(
            "no target: name hosts, addresses or CIDR ranges (or --targets-file, --from-cluster)"
                .into(),
        ));
    }
    Ok(out)
}

/// Reads a targets file: one or more targets per line, `#` starts a comment.
pub fn read_file(path: &Path) -> Result<Vec<String>, ProbeError> {
    let err = |e: String| ProbeError::Target(format!("--targets-file {}: {e}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if !meta.is_file() {
        return Err(err("not a regular file".into()));
    }
    let text = palisade_core::source::read_text_bounded(path, MAX_TARGETS_FILE)
        .map_err(|e| err(e.to_string()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split_whitespace().map(str::to_owned))
        .collect())
}

fn parse_one(
    spec: &str,
    limits: Limits,
    resolver: &dyn Resolver,
) -> Result<Vec<Target>, ProbeError> {
    if spec.contains('/') {
        return cidr(spec, limits);
    }
    let (host, port) = split_port(spec)?;
    let ports = port.map(|p| {
        vec![PortSpec {
            port: p,
            role: Role::of_port(p),
        }]
    });
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![Target {
            ip,
            name: None,
            ports,
        }]);
    }
    if !is_host_name(host) {
        return Err(ProbeError::Target(format!(
            "`{spec}` is not a host name, IP address, host:port or CIDR range"
        )));
    }
    let addrs = resolver
        .resolve(host)
        .map_err(|e| ProbeError::Target(format!("cannot resolve `{host}`: {e}")))?;
    // One address per name: the first IPv4 one when there is one (the name's owner may not
    // want every address it publishes probed, and most clusters are reached over IPv4).
    let ip = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| ProbeError::Target(format!("cannot resolve `{host}`: no address")))?;
    Ok(vec![Target {
        ip,
        name: Some(host.to_owned()),
        ports,
    }])
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`; a bare IPv6 address has no port.
fn split_port(spec: &str) -> Result<(&str, Option<u16>), ProbeError> {
    let bad_port = |p: &str| {
        ProbeError::Target(format!(
            "`{spec}`: `{p}` is not a port (ports are 1-65535; port 0 cannot be probed)"
        ))
    };
    let parse_port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad_port(p)),
        Ok(n) => Ok(n),
    };
    if let Some(rest) = spec.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| ProbeError::Target(format!("`{spec}`: missing `]`")))?;
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(p) => Ok((host, Some(parse_port(p)?))),
                None => Err(ProbeError::Target(format!(
                    "`{spec}`: expected `:PORT` after `]`"
                ))),
            },
        };
    }
    if spec.parse::<Ipv6Addr>().is_ok() {
        return Ok((spec, None));
    }
    match spec.rsplit_once(':') {
        Some((h, p)) => Ok((h, Some(parse_port(p)?))),
        None => Ok((spec, None)),
    }
}

fn is_host_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A range, in standard address syntax (`Cidr::parse`: an ambiguous `010.0.0.1` is refused, not
/// guessed), expanded to its hosts within the run's bounds.
fn cidr(spec: &str, limits: Limits) -> Result<Vec<Target>, ProbeError> {
    let range = Cidr::parse(spec)
        .map_err(|e| ProbeError::Target(format!("`{spec}` is not a valid CIDR range: {e}")))?;
    let size = range.address_count();
    let max = limits.max_hosts.unwrap_or(DEFAULT_MAX_HOSTS) as u128;
    // More than a /24 holds.
    if size.is_none_or(|n| n > 256) && limits.max_hosts.is_none() {
        return Err(ProbeError::Target(format!(
            "`{spec}` holds {} addresses: a range larger than a /24 is probed only with an \
             explicit --max-hosts (at least that many)",
            count(size)
        )));
    }
    if size.is_none_or(|n| n > max) {
        return Err(ProbeError::Target(format!(
            "`{spec}` holds {} addresses, more than --max-hosts {max}",
            count(size)
        )));
    }
    // Network and broadcast addresses of IPv4 ranges are not hosts (a /31 or /32 has neither).
    Ok(range.hosts().map(Target::ip).collect())
}

fn count(n: Option<u128>) -> String {
    match n {
        Some(n) => n.to_string(),
        None => "2^128".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Knows one name; never touches the network.
    struct Fake;
    impl Resolver for Fake {
        fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, String> {
            match name {
                "node1.test" => Ok(vec!["::1".parse().unwrap(), "127.0.0.9".parse().unwrap()]),
                _ => Err("Name or service not known".into()),
            }
        }
    }

    fn run(specs: &[&str], max: Option<usize>) -> Result<Vec<Target>, String> {
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        expand(&specs, Limits { max_hosts: max }, &Fake).map_err(|e| e.to_string())
    }

    #[test]
    fn hosts_addresses_and_ranges() {
        let t = run(
            &["127.0.0.2", "node1.test:6443", "[::1]:10250", "::1"],
            None,
        )
        .unwrap();
        assert_eq!(t[0].ip.to_string(), "127.0.0.2");
        assert_eq!(t[1].ip.to_string(), "127.0.0.9");
        assert_eq!(t[1].name.as_deref(), Some("node1.test"));
        assert_eq!(t[1].ports.as_ref().unwrap()[0].role, Role::ApiServer);
        assert_eq!(t[2].ports.as_ref().unwrap()[0].port, 10250);
        assert!(t[3].ports.is_none());

        let r = run(&["127.1.0.0/24"], None).unwrap();
        assert_eq!(r.len(), 254);
        assert_eq!(r[0].ip.to_string(), "127.1.0.1");
        assert_eq!(r[253].ip.to_string(), "127.1.0.254");
        assert_eq!(run(&["127.1.0.7/31"], None).unwrap().len(), 2);
        assert_eq!(
            run(&["127.1.0.7/32"], None).unwrap()[0].ip.to_string(),
            "127.1.0.7"
        );
        assert_eq!(run(&["fd00::/126"], None).unwrap().len(), 4);
        // Duplicates once.
        assert_eq!(run(&["127.0.0.2", "127.0.0.2/32"], None).unwrap().len(), 1);
        // Larger than /24 with --max-hosts.
        assert_eq!(run(&["127.2.0.0/22"], Some(1024)).unwrap().len(), 1022);
    }

    #[test]
    fn bad_targets_are_clear_errors() {
        for (spec, max, needle) in [
            (
                "10.0.0.0/8",
                None,
                "larger than a /24 is probed only with an explicit --max-hosts",
            ),
            (
                "10.0.0.0/8",
                Some(1000),
                "holds 16777216 addresses, more than --max-hosts 1000",
            ),
            (
                "10.0.0.0/33",
                None,
                "not a valid CIDR range: the prefix length is at most 32",
            ),
            ("10.0.0/24", None, "`10.0.0` is not an IP address"),
            ("10.0.0.0/x", None, "`x` is not a prefix length"),
            (
                "no-such-host.test",
                None,
                "cannot resolve `no-such-host.test`",
            ),
            ("10.0.0.1:0", None, "`0` is not a port"),
            ("10.0.0.1:99999", None, "`99999` is not a port"),
            ("bad host!", None, "is not a host name"),
            ("[::1", None, "missing `]`"),
        ] {
            let e = run(&[spec], max).unwrap_err();
            assert!(e.contains(needle), "{spec}: {e}");
        }
        assert!(run(&[], None).unwrap_err().contains("no target"));
        let e = run(&["127.1.0.0/24", "127.1.1.0/24"], Some(300)).unwrap_err();
        assert!(e.contains("more than 300 hosts"), "{e}");
    }

    #[test]
    fn invalid_names_are_never_looked_up() {
        let e = SystemResolver.resolve("nothing.invalid").unwrap_err();
        assert!(e.contains("RFC 6761"), "{e}");
    }

    #[test]
    fn targets_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.txt");
        std::fs::write(&p, "# nodes\n127.0.0.2  127.0.0.3 # two\n\n127.0.0.4:22\n").unwrap();
        assert_eq!(
            read_file(&p).unwrap(),
            ["127.0.0.2", "127.0.0.3", "127.0.0.4:22"]
        );
        assert!(read_file(&dir.path().join("none"))
            .unwrap_err()
            .to_string()
            .contains("--targets-file"));
    }
}
