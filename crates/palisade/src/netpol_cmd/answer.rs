//! The answer: which side allows or denies, and which policy and rule decide, as text or JSON.

use std::io::Write;

use anyhow::Result;
use palisade_core::object::span_of;
use palisade_core::report::InputProblem;
use palisade_core::{Object, Origin};
use palisade_rules::netpol::{Allow, Direction, Network, PortQuery, Side, Verdict};
use serde_json::{json, Value};

use super::peer::PeerArg;

/// `path:line:col` of a field of an object (or `source#pointer` for an object from an API).
pub(super) fn locate(object: &Object, pointer: &str) -> String {
    match &object.origin {
        Origin::File { path, .. } => format!("{path}:{}", span_of(&object.node, pointer).start),
        Origin::Api { source } => format!("{source}#{pointer}"),
    }
}

pub(super) struct Question<'a> {
    pub(super) from: &'a PeerArg,
    pub(super) to: &'a PeerArg,
    pub(super) port: Option<PortQuery>,
    pub(super) scope: &'static str,
}

impl Question<'_> {
    fn port_text(&self) -> String {
        match self.port {
            Some(q) => format!("{}/{}", q.number, q.protocol),
            None => "any port".to_owned(),
        }
    }
}

/// One rule that allows the connection, as text.
fn describe_allow(network: &Network<'_>, a: &Allow) -> (String, String) {
    let policy = &network.policies[a.policy];
    let rule = &policy.rules(a.direction)[a.rule];
    let field = a.direction.peers_field();
    let peer = match a.peer {
        None => format!("every peer (no `{field}`)"),
        Some(i) => rule
            .peers
            .as_ref()
            .map_or(String::new(), |p| p[i].to_string()),
    };
    let ports = match &rule.ports {
        None => "every port".to_owned(),
        Some(specs) => a
            .ports
            .iter()
            .map(|&i| specs[i].to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let pointer = match a.peer {
        Some(i) => rule
            .peers
            .as_ref()
            .map_or(rule.pointer.clone(), |p| p[i].pointer().to_owned()),
        None => rule.pointer.clone(),
    };
    (
        format!(
            "NetworkPolicy {}, {} rule {} ({field} {peer}, on {ports})",
            policy.display_name(),
            a.direction.as_str(),
            a.rule
        ),
        locate(policy.object, &pointer),
    )
}

pub(super) fn write_text(
    out: &mut impl Write,
    q: &Question<'_>,
    network: &Network<'_>,
    verdict: &Verdict,
) -> Result<()> {
    writeln!(
        out,
        "{}: {} -> {} on {}",
        if verdict.allowed() {
            "reachable"
        } else {
            "blocked"
        },
        q.from,
        q.to,
        q.port_text()
    )?;
    for (direction, side, end) in [
        (Direction::Egress, &verdict.egress, q.from),
        (Direction::Ingress, &verdict.ingress, q.to),
    ] {
        let head = format!("  {} of {end}", direction.as_str());
        match side {
            Side::External => writeln!(
                out,
                "{head}: not governed (an address outside the cluster has no NetworkPolicy)"
            )?,
            Side::NotIsolated => writeln!(
                out,
                "{head}: allowed, not isolated: no NetworkPolicy {} selects it with policy type {}",
                q.scope,
                direction.policy_type()
            )?,
            Side::Allowed(allows) => {
                writeln!(out, "{head}: allowed by")?;
                for a in allows {
                    let (what, at) = describe_allow(network, a);
                    writeln!(out, "    {what}\n      at {at}")?;
                }
            }
            Side::Denied { isolated_by, notes } => {
                writeln!(
                    out,
                    "{head}: denied: isolated by {} polic{} whose {} rules do not admit {}",
                    isolated_by.len(),
                    if isolated_by.len() == 1 { "y" } else { "ies" },
                    direction.as_str(),
                    match direction {
                        Direction::Egress => q.to,
                        Direction::Ingress => q.from,
                    }
                )?;
                for &i in isolated_by {
                    let p = &network.policies[i];
                    writeln!(
                        out,
                        "    NetworkPolicy {} (podSelector {}) at {}",
                        p.display_name(),
                        p.pod_selector,
                        locate(p.object, "/spec/podSelector")
                    )?;
                }
                for n in notes {
                    writeln!(out, "    note: {n}")?;
                }
            }
        }
    }
    Ok(())
}

fn side_json(network: &Network<'_>, side: &Side) -> Value {
    let policy_json = |i: usize, pointer: &str| {
        let p = &network.policies[i];
        json!({
            "namespace": p.namespace,
            "name": p.name,
            "location": locate(p.object, pointer),
        })
    };
    match side {
        Side::External => json!({ "verdict": "external" }),
        Side::NotIsolated => json!({ "verdict": "not-isolated" }),
        Side::Allowed(allows) => json!({
            "verdict": "allowed",
            "allowed_by": allows.iter().map(|a| {
                let (what, at) = describe_allow(network, a);
                let mut v = policy_json(a.policy, "");
                v["rule"] = json!(a.rule);
                v["peer"] = json!(a.peer);
                v["description"] = json!(what);
                v["location"] = json!(at);
                v
            }).collect::<Vec<_>>(),
        }),
        Side::Denied { isolated_by, notes } => json!({
            "verdict": "denied",
            "isolated_by": isolated_by.iter().map(|&i| policy_json(i, "/spec/podSelector")).collect::<Vec<_>>(),
            "notes": notes,
        }),
    }
}

pub(super) fn to_json(
    q: &Question<'_>,
    network: &Network<'_>,
    verdict: &Verdict,
    problems: &[InputProblem],
) -> Value {
    json!({
        "reachable": verdict.allowed(),
        "from": q.from.to_string(),
        "to": q.to.to_string(),
        "port": q.port.map(|p| json!({ "number": p.number, "protocol": p.protocol.as_str() })),
        "egress": side_json(network, &verdict.egress),
        "ingress": side_json(network, &verdict.ingress),
        "ignored_policies": network.invalid.iter().map(|(p, errors)| json!({
            "namespace": p.namespace,
            "name": p.name,
            "errors": errors.iter().map(|e| json!({
                "location": locate(p.object, &e.pointer),
                "message": e.message,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "problems": problems.iter().map(|p| json!({
            "path": &*p.path,
            "position": p.pos.map(|pos| pos.to_string()),
            "message": p.message,
        })).collect::<Vec<_>>(),
    })
}
