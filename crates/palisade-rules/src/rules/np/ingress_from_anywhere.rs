//! NP304 `network-policy-allows-ingress-from-anywhere`: an ingress rule admits every source.

use palisade_core::{
    Context, Emitter, KubeVersion, Object, ObjectRule, RuleMeta, Severity, VersionRange,
};

use crate::netpol::{is_network_policy, parse_policy, Direction, Peer, Policy, PolicyRule};

static META: RuleMeta = RuleMeta {
    code: "NP304",
    name: "network-policy-allows-ingress-from-anywhere",
    severity: Severity::Medium,
    guide: "Use Network Policies",
    versions: VersionRange::since(KubeVersion::v1(7)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#allow-all-ingress-traffic",
        "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/",
    ],
    summary: "A NetworkPolicy allows ingress from anywhere",
    what: "Every ingress rule of every NetworkPolicy that has the Ingress type is checked for \
           peers that admit everyone: no `from` (or an empty one), which matches every source \
           inside and outside the cluster; an `ipBlock` whose CIDR is `0.0.0.0/0` or `::/0`; \
           or `namespaceSelector: {}` without a narrower `podSelector`, which admits every pod \
           of every namespace. The message says which ports the rule opens. Rules of a type \
           missing from an explicit `policyTypes` are ignored, as by the API server.",
    why: "A rule that admits every source undoes the isolation the policy exists for: the pods \
          it selects accept connections from any compromised pod, and with an external \
          load balancer from the Internet. `ingress: [{}]` on `podSelector: {}` is an \
          allow-all policy that silently cancels a namespace's default deny.",
    example: "# fails: every source, every port\ningress:\n- {}\n\
              # passes: only the frontend, only port 8080\ningress:\n- from:\n  - podSelector:\n      \
              matchLabels:\n        app: frontend\n  ports:\n  - port: 8080",
    fix: "Name the callers: `podSelector`/`namespaceSelector` for pods, a narrow `ipBlock` for \
          addresses outside the cluster, and list the ports. A public entry point (an ingress \
          controller) may need every source on its ports: keep that rule to those ports and \
          exempt the finding with a reason.",
    help: "list the allowed sources under `from` (pod and namespace selectors, narrow ipBlocks) \
           and the ports",
};

pub struct IngressFromAnywhere;

pub static RULE: IngressFromAnywhere = IngressFromAnywhere;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

/// What "anywhere" a rule admits, and where it says so.
fn everywhere(rule: &PolicyRule) -> Vec<(String, String)> {
    let Some(peers) = &rule.peers else {
        return vec![(
            rule.pointer.clone(),
            "every source, inside and outside the cluster (the rule has no `from`)".to_owned(),
        )];
    };
    peers
        .iter()
        .filter_map(|peer| match peer {
            Peer::IpBlock { pointer, block } if block.cidr.is_everything() => Some((
                format!("{pointer}/ipBlock/cidr"),
                format!("every address ({block})"),
            )),
            Peer::Pods {
                pointer,
                pods,
                namespaces: Some(ns),
            } if ns.is_empty() && pods.as_ref().is_none_or(|p| p.is_empty()) => Some((
                pointer.clone(),
                "every pod of every namespace (`namespaceSelector: {}`)".to_owned(),
            )),
            _ => None,
        })
        .collect()
}

fn ports(rule: &PolicyRule) -> String {
    match &rule.ports {
        None => "on every port".to_owned(),
        Some(specs) => format!(
            "on {}",
            specs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `pods app=web` or `every pod of namespace shop`.
pub(crate) fn targets(policy: &Policy<'_>) -> String {
    if policy.selects_all() {
        format!(
            "every pod of namespace {}",
            crate::netpol::show_namespace(&policy.namespace)
        )
    } else {
        format!("pods {}", policy.pod_selector)
    }
}

impl ObjectRule for IngressFromAnywhere {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "NetworkPolicies",
            test: |_, o, _| is_network_policy(o),
        }
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_network_policy(object) {
            return;
        }
        let (policy, errors) = parse_policy(object);
        // A policy the API server rejects does not exist; NP307 reports it.
        if !errors.is_empty() {
            return;
        }
        for (i, rule) in policy.rules(Direction::Ingress).iter().enumerate() {
            for (pointer, what) in everywhere(rule) {
                out.report(
                    &pointer,
                    format!(
                        "ingress rule {i} of NetworkPolicy {} admits {what} {} to {}",
                        policy.display_name(),
                        ports(rule),
                        targets(&policy)
                    ),
                );
            }
        }
    }
}
