//! Edges of the node audit and the probe ([`NodeFacts`]): what a node's kubelet credentials reach
//! beyond the node's own pods, a kubelet that serves anyone, an API server that answers requests
//! without credentials. Each edge cites the setting (`file:line` on the node) or the probe's
//! answer; a fact no report gave is said to be not evaluated, never taken as safe or unsafe.
//!
//! - The Node authorizer limits a kubelet's credentials to the Secrets, ConfigMaps, volumes and
//!   ServiceAccount tokens of pods bound to its node, and NodeRestriction limits the pods it may
//!   create to mirror pods on its node that name no ServiceAccount. Without NodeRestriction a
//!   kubelet may create a pod bound to its own node naming any ServiceAccount of any namespace,
//!   and the Node authorizer then hands it that pod's token: every account of the cluster.
//! - Whatever the authorizers, the kubelet's credentials are in group `system:nodes` (TLS
//!   bootstrapping issues them so, the Node authorizer requires it) and get what RBAC grants that
//!   group in the input: an edge of how Kubernetes works, added whenever a binding names the
//!   group. Without the Node authorizer that is all they get; with AlwaysAllow, everything.

use super::build::Builder;
use super::facts::{Cited, NodeFacts, Setting};
use super::graph::{Evidence, Vertex};
use crate::rbac::authorizer::ANONYMOUS;

/// The group every kubelet's credentials are in (the Node authorizer requires it).
pub const NODES_GROUP: &str = "system:nodes";
/// The group of every authenticated request.
const AUTHENTICATED: &str = "system:authenticated";

fn evidence(c: &Cited, cut: &str) -> Evidence {
    Evidence {
        object: None,
        pointer: String::new(),
        text: c.text.as_str().into(),
        cut: Some(cut.into()),
        place: c.place.clone(),
    }
}

/// Adds the edges of `facts`, and what they leave unknown.
pub(super) fn add(b: &mut Builder<'_>, facts: &NodeFacts) {
    let nodes = Vertex::Group(NODES_GROUP.to_owned());
    if b.graph.find(&nodes).is_some() {
        b.graph.add(
            Vertex::Node,
            nodes,
            "holds the kubelet's credentials, which are in",
            Evidence {
                object: None,
                pointer: String::new(),
                text: "a kubelet authenticates as user system:node:NAME in group system:nodes \
                       (the identity TLS bootstrapping issues, the one the Node authorizer \
                       requires); RBAC grants to the group apply to it"
                    .into(),
                cut: None,
                place: None,
            },
        );
    }
    if !facts.given {
        b.graph.unknowns.push(
            "node-level edges (a kubelet's credentials beyond its own pods when NodeRestriction \
             is off or the Node authorizer is not used; a kubelet serving anonymous requests; \
             an API server answering them) are not evaluated: no node audit or probe report \
             given (--node-report)"
                .to_owned(),
        );
        return;
    }
    kubelet_credentials(b, facts);
    match &facts.open_kubelet {
        Ok(Some(c)) => b.graph.add(
            Vertex::User(ANONYMOUS.to_owned()),
            Vertex::Node,
            "reaches the kubelet API (port 10250), which serves requests without credentials and \
             authorizes all of them (exec in any pod of the node), so owns",
            evidence(c, "the kubelet's anonymous-auth and authorization mode"),
        ),
        Ok(None) => {}
        Err(why) => b.graph.unknowns.push(format!(
            "a kubelet serving anonymous requests with AlwaysAllow: {why}"
        )),
    }
    if let Some(c) = &facts.probed_kubelet {
        b.graph.add(
            Vertex::Internet,
            Vertex::Node,
            "reached a kubelet API that answered without credentials (from where the probe \
             ran), so owns",
            evidence(c, "the kubelet's anonymous-auth and authorization mode"),
        );
    }
    if let Some(c) = &facts.probed_apiserver {
        b.graph.add(
            Vertex::Internet,
            Vertex::User(ANONYMOUS.to_owned()),
            "sends requests without credentials to the API server (it answered the probe), \
             which takes them as",
            evidence(c, "the API server's --anonymous-auth"),
        );
    }
}

/// What a node's kubelet credentials reach beyond RBAC's grants to `system:nodes`: every
/// ServiceAccount without NodeRestriction (with the Node authorizer), everything with AlwaysAllow.
fn kubelet_credentials(b: &mut Builder<'_>, facts: &NodeFacts) {
    if let Some(c) = &facts.always_allow {
        let ev = evidence(c, "the API server's --authorization-mode (AlwaysAllow)");
        b.graph.add(
            Vertex::Node,
            Vertex::ClusterAdmin,
            "uses the kubelet's credentials, and the API server allows every authenticated \
             request (AlwaysAllow), so is",
            ev.clone(),
        );
        b.graph.add(
            Vertex::Group(AUTHENTICATED.to_owned()),
            Vertex::ClusterAdmin,
            "is allowed every request by the API server's AlwaysAllow authorizer, so is",
            ev,
        );
    }
    match (&facts.node_authorizer, &facts.node_restriction) {
        // RBAC alone authorizes the kubelet: its grants to system:nodes (above) are all.
        (Setting::Off(_), _) => {}
        (Setting::On(_), Setting::Off(c)) => {
            let ev = evidence(
                c,
                "the API server's --enable-admission-plugins (add NodeRestriction)",
            );
            for ns in b.namespaces.clone() {
                b.graph.add(
                    Vertex::Node,
                    Vertex::AnyServiceAccount(ns),
                    "uses the kubelet's credentials to create a pod bound to its node that names \
                     any ServiceAccount (no NodeRestriction), whose token the Node authorizer \
                     then hands over: it acts as",
                    ev.clone(),
                );
            }
        }
        (Setting::On(_), Setting::On(_)) => {}
        (Setting::Unknown(why), _) | (_, Setting::Unknown(why)) => b.graph.unknowns.push(format!(
            "a kubelet's credentials beyond its node's pods (NodeRestriction, Node authorizer): \
             {why}"
        )),
    }
}
