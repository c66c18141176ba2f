//! The questions asked of one port after the connect, by its role: which transport it speaks
//! (TLS or plain, tried in the order the role makes likely), then the role's requests, always
//! without credentials.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::net::{self, Answer, Client, Failure, Transport};
use crate::ports::{PortSpec, Role};
use crate::target::Target;

/// What one host:port did.
#[derive(Clone, Debug)]
pub struct Observation {
    pub target: Arc<Target>,
    pub port: PortSpec,
    pub state: State,
}

impl Observation {
    /// `10.0.0.5:10250`.
    pub fn endpoint(&self) -> String {
        self.target.endpoint(self.port.port)
    }

    /// The answers, when the port speaks HTTP.
    pub fn answers(&self) -> &[(&'static str, Result<Answer, Failure>)] {
        match &self.state {
            State::Http { answers, .. } => answers,
            _ => &[],
        }
    }

    /// The answer to `path`, if it was asked and answered.
    pub fn answer(&self, path: &str) -> Option<&Answer> {
        self.answers()
            .iter()
            .find(|(p, _)| *p == path)
            .and_then(|(_, a)| a.as_ref().ok())
    }

    /// Whether anything accepted the connection.
    pub fn is_open(&self) -> bool {
        !matches!(
            self.state,
            State::Closed | State::Filtered | State::Failed(_)
        )
    }

    pub fn transport(&self) -> Option<Transport> {
        match &self.state {
            State::Http { transport, .. } => Some(*transport),
            State::ClientCertRequired { .. } => Some(Transport::Tls),
            _ => None,
        }
    }
}

/// How a port answered.
#[derive(Clone, Debug)]
pub enum State {
    /// Connection refused.
    Closed,
    /// The connect timed out (a firewall dropping packets, or a listener that never accepts).
    Filtered,
    /// The connect failed otherwise (no route, network unreachable).
    Failed(String),
    /// Accepted the connection, then said nothing: neither a banner nor an answer to TLS or HTTP.
    Silent,
    /// Sent these first bytes on its own (the SSH role reads what the server says first).
    Banner(Vec<u8>),
    /// TLS that refuses a client without a certificate.
    ClientCertRequired { reason: String },
    /// Answered HTTP over `transport`. `cert_requested`: the TLS server asked for a client
    /// certificate and answered without one.
    Http {
        transport: Transport,
        cert_requested: bool,
        answers: Vec<(&'static str, Result<Answer, Failure>)>,
    },
    /// Answered, but neither TLS with HTTP nor plain HTTP.
    Other(String),
}

impl Role {
    /// The requests asked of a port of this role (the first also decides the transport).
    pub fn paths(self) -> &'static [&'static str] {
        match self {
            Role::Kubelet => &["/pods", "/runningpods/", "/configz", "/metrics"],
            Role::KubeletReadOnly => &["/pods"],
            Role::ApiServer => &["/version", "/healthz", NAMESPACES],
            Role::Https => &["/", "/version", "/healthz", NAMESPACES],
            Role::InsecureApi => &["/version", NAMESPACES],
            Role::Etcd => &["/version", "/health"],
            Role::KubeProxy => &["/healthz"],
            Role::Calico => &["/liveness"],
            Role::Cadvisor => &["/metrics"],
            Role::ControllerManager | Role::Scheduler => &["/healthz", "/metrics", "/configz"],
            Role::Dashboard | Role::NodePort | Role::Other => &["/"],
            Role::Ssh => &[],
        }
    }

    /// The transport tried first: what the component serves by default.
    pub fn expected_transport(self) -> Transport {
        match self {
            Role::KubeletReadOnly
            | Role::InsecureApi
            | Role::Dashboard
            | Role::KubeProxy
            | Role::Calico
            | Role::Cadvisor => Transport::Plain,
            _ => Transport::Tls,
        }
    }
}

/// The API server's namespace list, one item: enough to know whether it is served.
pub const NAMESPACES: &str = "/api/v1/namespaces?limit=1";

/// Probes one port of one host.
pub async fn check(client: &Client, target: Arc<Target>, port: PortSpec) -> Observation {
    let addr = SocketAddr::new(target.ip, port.port);
    let state = match port.role {
        Role::Ssh => banner(client, addr).await,
        role => http(client, addr, target.name.as_deref(), role).await,
    };
    Observation {
        target,
        port,
        state,
    }
}

async fn banner(client: &Client, addr: SocketAddr) -> State {
    match net::banner(addr, client.timeout).await {
        Ok(bytes) if bytes.is_empty() => State::Silent,
        Ok(bytes) => State::Banner(bytes),
        Err(f) => from_failure(f),
    }
}

fn from_failure(f: Failure) -> State {
    match f {
        Failure::Closed => State::Closed,
        Failure::Filtered => State::Filtered,
        Failure::Timeout => State::Silent,
        Failure::Unreachable(e) => State::Failed(e),
        other => State::Other(other.to_string()),
    }
}

async fn http(client: &Client, addr: SocketAddr, name: Option<&str>, role: Role) -> State {
    let paths = role.paths();
    let first = role.expected_transport();
    let second = match first {
        Transport::Tls => Transport::Plain,
        Transport::Plain => Transport::Tls,
    };
    let mut found = None;
    let mut timeouts = 0;
    let mut last: Option<Failure> = None;
    for transport in [first, second] {
        let ex = client.get(addr, name, transport, paths[0]).await;
        match ex.answer {
            // A TLS server (Go's) answers plain HTTP with this 400.
            Ok(a)
                if transport == Transport::Plain
                    && a.body_contains("HTTP request to an HTTPS server") =>
            {
                last = Some(Failure::NotHttp(a.evidence()));
            }
            Ok(a) => {
                found = Some((transport, ex.cert_requested, a));
                break;
            }
            Err(Failure::Tls {
                cert_requested: true,
                reason,
            }) => return State::ClientCertRequired { reason },
            // Nothing listens: no second transport to try.
            Err(f @ (Failure::Closed | Failure::Filtered | Failure::Unreachable(_)))
                if last.is_none() && timeouts == 0 =>
            {
                return from_failure(f);
            }
            Err(Failure::Timeout) => timeouts += 1,
            Err(f) => last = Some(f),
        }
    }
    let Some((transport, cert_requested, answer)) = found else {
        return match last {
            Some(f) if timeouts < 2 => State::Other(f.to_string()),
            _ => State::Silent,
        };
    };
    let mut answers = vec![(paths[0], Ok(answer))];
    for &path in &paths[1..] {
        let ex = client.get(addr, name, transport, path).await;
        answers.push((path, ex.answer));
    }
    State::Http {
        transport,
        cert_requested,
        answers,
    }
}
