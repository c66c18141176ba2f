//! Which ports are probed and what each is expected to be: the guide's list plus the modern
//! control-plane ports, `--ports` lists with ranges and role tags (`kubelet=20250`), and the
//! NodePort range on request.

use std::fmt;
use std::str::FromStr;

use crate::ProbeError;

/// What a port is expected to serve, which decides the questions asked after the connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// SSH: the banner is read.
    Ssh,
    /// etcd client or peer port: does it answer without a client certificate?
    Etcd,
    /// kube-apiserver: what it answers without credentials.
    ApiServer,
    /// The kubelet API (10250): `/pods`, `/runningpods/`, `/configz`, `/metrics` anonymously.
    Kubelet,
    /// The kubelet's read-only port (10255): answering at all is the problem.
    KubeletReadOnly,
    /// kube-proxy's health server (10256).
    KubeProxy,
    /// kube-controller-manager's secure port (10257).
    ControllerManager,
    /// kube-scheduler's secure port (10259).
    Scheduler,
    /// The old stand-alone or kubelet-embedded cAdvisor (4194, 4149).
    Cadvisor,
    /// Calico / Canal felix health (9099).
    Calico,
    /// The API server's old insecure port (8080): plain HTTP, no authentication at all.
    InsecureApi,
    /// The Kubernetes Dashboard (9090 plain, or behind HTTPS).
    Dashboard,
    /// An HTTPS port that may be the API server or the Dashboard (443, 8443).
    Https,
    /// A NodePort (30000-32767): reachable or not.
    NodePort,
    /// Anything else the user asked for: reachable, TLS or not, first bytes.
    Other,
}

impl Role {
    pub const ALL: [Role; 15] = [
        Role::Ssh,
        Role::Etcd,
        Role::ApiServer,
        Role::Kubelet,
        Role::KubeletReadOnly,
        Role::KubeProxy,
        Role::ControllerManager,
        Role::Scheduler,
        Role::Cadvisor,
        Role::Calico,
        Role::InsecureApi,
        Role::Dashboard,
        Role::Https,
        Role::NodePort,
        Role::Other,
    ];

    /// The tag used in `--ports` (`kubelet=20250`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Ssh => "ssh",
            Role::Etcd => "etcd",
            Role::ApiServer => "apiserver",
            Role::Kubelet => "kubelet",
            Role::KubeletReadOnly => "kubelet-read-only",
            Role::KubeProxy => "kube-proxy",
            Role::ControllerManager => "controller-manager",
            Role::Scheduler => "scheduler",
            Role::Cadvisor => "cadvisor",
            Role::Calico => "calico",
            Role::InsecureApi => "insecure-api",
            Role::Dashboard => "dashboard",
            Role::Https => "https",
            Role::NodePort => "nodeport",
            Role::Other => "other",
        }
    }

    /// The role of a well-known port, `Other` for the rest.
    pub fn of_port(port: u16) -> Role {
        DEFAULT_PORTS
            .iter()
            .find(|(p, _)| *p == port)
            .map(|(_, r)| *r)
            .unwrap_or(if NODEPORT_RANGE.contains(&port) {
                Role::NodePort
            } else {
                Role::Other
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = ProbeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                ProbeError::Ports(format!(
                    "unknown role `{s}` (expected one of: {})",
                    Role::ALL.map(Role::name).join(", ")
                ))
            })
    }
}

/// The ports probed by default: the guide's firewall list (4149, 10250, 10255, 10256, 9099,
/// 6443), the modern control plane (2379-2380, 10257, 10259), the old cAdvisor (4194) and insecure
/// API (8080) ports, SSH, and the Dashboard's usual ports.
pub const DEFAULT_PORTS: &[(u16, Role)] = &[
    (22, Role::Ssh),
    (443, Role::Https),
    (2379, Role::Etcd),
    (2380, Role::Etcd),
    (4149, Role::Cadvisor),
    (4194, Role::Cadvisor),
    (6443, Role::ApiServer),
    (8080, Role::InsecureApi),
    (8443, Role::Https),
    (9090, Role::Dashboard),
    (9099, Role::Calico),
    (10250, Role::Kubelet),
    (10255, Role::KubeletReadOnly),
    (10256, Role::KubeProxy),
    (10257, Role::ControllerManager),
    (10259, Role::Scheduler),
];

/// The default NodePort range of kube-apiserver (`--service-node-port-range`).
pub const NODEPORT_RANGE: std::ops::RangeInclusive<u16> = 30000..=32767;

/// One port and what it is expected to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortSpec {
    pub port: u16,
    pub role: Role,
}

/// The default list.
pub fn default_ports() -> Vec<PortSpec> {
    DEFAULT_PORTS
        .iter()
        .map(|&(port, role)| PortSpec { port, role })
        .collect()
}

/// The NodePort range, as `nodeport` ports.
pub fn nodeports() -> Vec<PortSpec> {
    NODEPORT_RANGE
        .map(|port| PortSpec {
            port,
            role: Role::NodePort,
        })
        .collect()
}

/// Parses a `--ports` list: comma-separated ports and ranges, each optionally tagged with a role
/// (`22,6443,10250-10259,kubelet=20250,etcd=32379-32380`). An untagged port takes its well-known
/// role. Duplicates keep the last tag.
pub fn parse_ports(spec: &str) -> Result<Vec<PortSpec>, ProbeError> {
    let mut out: Vec<PortSpec> = Vec::new();
    for item in spec.split(',').map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let (role, range) = match item.split_once('=') {
            Some((r, p)) => (Some(r.parse::<Role>()?), p.trim()),
            None => (None, item),
        };
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (port(a, item)?, port(b, item)?),
            None => {
                let p = port(range, item)?;
                (p, p)
            }
        };
        if lo > hi {
            return Err(ProbeError::Ports(format!(
                "`{item}`: the range ends before it starts"
            )));
        }
        for p in lo..=hi {
            let spec = PortSpec {
                port: p,
                role: role.unwrap_or_else(|| Role::of_port(p)),
            };
            match out.iter_mut().find(|s| s.port == p) {
                Some(s) => *s = spec,
                None => out.push(spec),
            }
        }
    }
    if out.is_empty() {
        return Err(ProbeError::Ports("no port given".into()));
    }
    Ok(out)
}

fn port(s: &str, item: &str) -> Result<u16, ProbeError> {
    let s = s.trim();
    match s.parse::<u32>() {
        Ok(0) => Err(ProbeError::Ports(format!(
            "`{item}`: port 0 cannot be probed (ports are 1-65535)"
        ))),
        Ok(p) if p <= 65535 => Ok(p as u16),
        Ok(_) => Err(ProbeError::Ports(format!(
            "`{item}`: {s} is not a port (ports are 1-65535)"
        ))),
        Err(_) => Err(ProbeError::Ports(format!(
            "`{item}`: `{s}` is not a port number"
        ))),
    }
}

/// Adds `extra` to `ports`, keeping the first role given for a port.
pub fn merge(ports: &mut Vec<PortSpec>, extra: Vec<PortSpec>) {
    for e in extra {
        if !ports.iter().any(|p| p.port == e.port) {
            ports.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_ranges_and_roles() {
        let p = parse_ports("22, 10250-10252,kubelet=20250,etcd=32379-32380").unwrap();
        let got: Vec<(u16, &str)> = p.iter().map(|s| (s.port, s.role.name())).collect();
        assert_eq!(
            got,
            [
                (22, "ssh"),
                (10250, "kubelet"),
                (10251, "other"),
                (10252, "other"),
                (20250, "kubelet"),
                (32379, "etcd"),
                (32380, "etcd")
            ]
        );
        assert_eq!(parse_ports("31000").unwrap()[0].role, Role::NodePort);
        // The last tag wins.
        assert_eq!(parse_ports("8080,ssh=8080").unwrap()[0].role, Role::Ssh);
    }

    #[test]
    fn bad_ports_are_errors() {
        for (spec, needle) in [
            ("0", "port 0"),
            ("22,0-5", "port 0"),
            ("65536", "not a port"),
            ("abc", "not a port number"),
            ("100-90", "ends before it starts"),
            ("kublet=20250", "unknown role `kublet`"),
            ("", "no port"),
        ] {
            let e = parse_ports(spec).unwrap_err().to_string();
            assert!(e.contains(needle), "{spec}: {e}");
        }
    }

    #[test]
    fn default_list_covers_the_guide() {
        let ports: Vec<u16> = default_ports().iter().map(|p| p.port).collect();
        for p in [
            4149, 10250, 10255, 10256, 9099, 6443, 2379, 2380, 10257, 10259, 4194, 8080, 22,
        ] {
            assert!(ports.contains(&p), "{p}");
        }
        assert_eq!(Role::of_port(10255), Role::KubeletReadOnly);
        assert_eq!(nodeports().len(), 2768);
    }
}
