//! Probe rules `EX702`–`EX729`: ordinary rule declarations ([`RuleMeta`], one rule per file) that
//! read the probe's [`Observation`]s instead of objects. The API server's anonymous access reuses
//! `EX701` (declared in palisade-rules, also reported by `palisade cluster`).
//!
//! Findings are located at `host:port` ([`Location::Object`] with the request path as pointer),
//! name the node when the cluster told which node owns the address, quote the evidence (status,
//! first bytes, TLS or not), and carry what a node audit said about the same setting.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use palisade_core::{Finding, Location, ObjectRef, RuleMeta, Severity};

use crate::check::{Observation, State};
use crate::correlate::{self, NodeReport};
use crate::net::{Answer, Transport};
use crate::ports::Role;
use crate::Outcome;

pub mod apiserver_anonymous;
mod apiserver_reachable;
mod cadvisor_reachable;
mod calico_health_reachable;
mod control_plane_anonymous;
mod control_plane_reachable;
mod dashboard_reachable;
mod etcd_reachable;
mod etcd_without_client_cert;
mod insecure_api_port;
mod kube_proxy_health_reachable;
mod kubelet_anonymous;
mod kubelet_reachable;
mod kubelet_read_only_port;
mod nodeports_reachable;
mod ssh_without_bastion;
mod unidentified_port;

/// What the rules know besides the observations.
#[derive(Default)]
pub struct Context {
    /// `--bastion`: the one host expected to answer SSH.
    pub bastion: Option<IpAddr>,
    /// Node names by address, from the cluster (`--from-cluster`).
    pub nodes: HashMap<IpAddr, String>,
    /// Node audits to correlate with (`--node-report`).
    pub reports: Vec<NodeReport>,
    /// The Services that ask for each node port, from manifests (`--services`) or the cluster
    /// (`--from-cluster`): names the Service behind a NodePort that answers.
    pub node_ports: BTreeMap<u16, Vec<String>>,
}

/// The stage of a probe rule (registered as [`palisade_core::Stage::Probe`]).
pub trait ProbeRule: Send + Sync {
    /// Reports findings about the observations (all of them: some rules compare hosts).
    fn check(&self, observations: &[Observation], cx: &Context, out: &mut Findings);
}

/// Every registered probe rule, by code.
pub fn all() -> Vec<(&'static RuleMeta, &'static dyn ProbeRule)> {
    palisade_core::registry::all()
        .iter()
        .filter_map(|r| Some((r.meta, *r.downcast::<&'static dyn ProbeRule>()?)))
        .collect()
}

/// The declarations of the probe rules.
pub fn metas() -> Vec<&'static RuleMeta> {
    all().into_iter().map(|(meta, _)| meta).collect()
}

/// Runs every rule `include` selects on what the probe saw.
pub fn evaluate(
    outcome: &Outcome,
    cx: &Context,
    include: &dyn Fn(&RuleMeta) -> bool,
) -> Vec<Finding> {
    let mut out = Findings {
        cx,
        findings: Vec::new(),
    };
    for (meta, rule) in all() {
        if include(meta) {
            rule.check(&outcome.observations, cx, &mut out);
        }
    }
    let mut findings = out.findings;
    // By address (numerically), then port and code.
    let key = |f: &Finding| {
        let source = match &f.location {
            Location::Object { source, .. } => source.to_string(),
            other => other.to_string(),
        };
        (source.parse::<std::net::SocketAddr>().ok(), source, f.code)
    };
    findings.sort_by_cached_key(key);
    findings
}

/// Where rules put findings; builds them with the location, node and correlation.
pub struct Findings<'a> {
    cx: &'a Context,
    pub findings: Vec<Finding>,
}

impl Findings<'_> {
    /// A finding of `meta` about the port `obs` (at request `path`, "" for the port as a whole),
    /// with the rule's severity.
    pub fn report(
        &mut self,
        meta: &'static RuleMeta,
        obs: &Observation,
        path: &str,
        message: String,
    ) {
        self.report_as(meta, meta.severity, obs, path, message);
    }

    /// A finding at `severity` (a rule whose severity depends on what was seen).
    pub fn report_as(
        &mut self,
        meta: &'static RuleMeta,
        severity: Severity,
        obs: &Observation,
        path: &str,
        message: String,
    ) {
        let ip = obs.target.ip;
        let mut message = message;
        if let Some(note) = correlate::annotate(meta.code, ip, &self.cx.reports) {
            message.push_str(&note);
        }
        self.findings.push(Finding {
            code: meta.code,
            rule: meta.name,
            severity,
            pss_check: None,
            location: Location::Object {
                source: Arc::from(obs.endpoint()),
                pointer: path.to_owned(),
            },
            object: self.cx.nodes.get(&ip).map(|name| {
                Arc::new(ObjectRef {
                    api_version: "v1".to_owned(),
                    kind: "Node".to_owned(),
                    namespace: None,
                    name: Some(name.clone()),
                })
            }),
            container: None,
            related: None,
            message: message.into(),
            help: meta.help,
            suppressed: None,
            baselined: false,
            fix: None,
            flow: None,
        });
    }

    /// `10.0.0.5:10250`, with the node's or the given name: `10.0.0.5:10250 (node worker-1)`.
    pub fn place(&self, obs: &Observation) -> String {
        format!("{}{}", obs.endpoint(), self.name_of(obs))
    }

    /// `10.0.0.5`, with the node's or the given name.
    pub fn host(&self, obs: &Observation) -> String {
        format!("{}{}", obs.target.ip, self.name_of(obs))
    }

    fn name_of(&self, obs: &Observation) -> String {
        match (self.cx.nodes.get(&obs.target.ip), &obs.target.name) {
            (Some(n), _) => format!(" (node {n})"),
            (None, Some(n)) => format!(" ({n})"),
            (None, None) => String::new(),
        }
    }
}

/// `over TLS` / `over plain HTTP` / `over TLS (asked for a client certificate, accepted none)`.
pub fn transport(obs: &Observation) -> String {
    match &obs.state {
        State::Http {
            transport: Transport::Tls,
            cert_requested: true,
            ..
        } => "over TLS (it asked for a client certificate and went on without one)".into(),
        State::Http { transport, .. } => format!("over {transport}"),
        State::ClientCertRequired { .. } => "over TLS".into(),
        _ => String::new(),
    }
}

/// `GET /pods → HTTP 200, body "…"; GET /metrics → HTTP 200, body "…"` for the answers `keep`
/// selects.
pub fn exchanges(obs: &Observation, keep: impl Fn(&Answer) -> bool) -> String {
    obs.answers()
        .iter()
        .filter_map(|(p, a)| match a {
            Ok(a) if keep(a) => Some(format!("GET {p} → {}", a.evidence())),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Paths answered with 2xx.
pub fn ok_paths(obs: &Observation) -> Vec<&'static str> {
    obs.answers()
        .iter()
        .filter(|(_, a)| a.as_ref().is_ok_and(Answer::ok))
        .map(|(p, _)| *p)
        .collect()
}

/// Whether the port answered any HTTP at all.
pub fn answered_http(obs: &Observation) -> bool {
    obs.answers().iter().any(|(_, a)| a.is_ok())
}

/// Whether the answers are those of a kube-apiserver: its version document, or its `Status`
/// objects for refused requests.
pub fn is_apiserver(obs: &Observation) -> bool {
    obs.answers().iter().any(|(_, a)| {
        a.as_ref().is_ok_and(|a| {
            a.body_contains("\"gitVersion\"")
                || a.body_contains("\"NamespaceList\"")
                || (a.body_contains("\"kind\"") && a.body_contains("\"Status\""))
        })
    })
}

/// Whether `obs` has one of `roles`.
pub fn has_role(obs: &Observation, roles: &[Role]) -> bool {
    roles.contains(&obs.port.role)
}

/// Reports every port of `roles` that answered HTTP at all: `{label} answers on {place} …`.
pub fn report_answering(
    meta: &'static RuleMeta,
    observations: &[Observation],
    roles: &[Role],
    label: &str,
    out: &mut Findings,
) {
    for obs in observations
        .iter()
        .filter(|o| has_role(o, roles) && answered_http(o))
    {
        let path = obs.answers().first().map_or("", |(p, _)| *p);
        let msg = format!(
            "{label} answers on {} {}: {}",
            out.place(obs),
            transport(obs),
            exchanges(obs, |_| true)
        );
        out.report(meta, obs, path, msg);
    }
}

#[cfg(test)]
mod registry_tests {
    /// Every code declared under `src/rules` is registered: a rule file that forgot
    /// `register!` (or is not in the module tree) fails here.
    #[test]
    fn every_rule_file_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
        let registered: Vec<&str> = super::metas().into_iter().map(|m| m.code).collect();
        palisade_core::registry::assert_all_registered(&dir, &registered);
    }
}
