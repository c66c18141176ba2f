//! NP307 `network-policy-invalid`: a NetworkPolicy the API server would reject, so it does not
//! protect anything.

use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::netpol::{is_network_policy, parse_policy};

static META: RuleMeta = RuleMeta {
    code: "NP307",
    name: "network-policy-invalid",
    severity: Severity::Medium,
    guide: "Use Network Policies",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/",
    ],
    summary: "A NetworkPolicy would be rejected by the API server",
    what: "Every NetworkPolicy is validated as the API server validates it: label selectors \
           (operators In, NotIn, Exists, DoesNotExist, case-sensitive, with values only for In \
           and NotIn), peers (one of podSelector/namespaceSelector, or an ipBlock alone), \
           ipBlock CIDRs and `except` entries (strict subsets of the CIDR), ports (1-65535 or a \
           valid port name; protocol TCP, UDP or SCTP; `endPort` only after a numeric port and \
           not below it) and `policyTypes` (Ingress, Egress).",
    why: "`kubectl apply` fails on such a policy, and in a pipeline that ignores the error the \
          pods stay unprotected while the manifest suggests otherwise. `palisade netpol \
          can-reach` and the other NP rules ignore invalid policies, as a cluster would not \
          have them.",
    example: "# fails: \"TCP\" is case-sensitive; a peer needs a selector or an ipBlock\n\
              ingress:\n- from:\n  - {}\n  ports:\n  - protocol: tcp\n    port: 80\n\
              # passes\ningress:\n- from:\n  - podSelector: {}\n  ports:\n  - protocol: TCP\n    \
              port: 80",
    fix: "Correct the field the finding points at; `kubectl apply --dry-run=server -f FILE` \
          shows the API server's own message.",
    help: "fix the field so the API server accepts the policy",
};

pub struct InvalidPolicy;

pub static RULE: InvalidPolicy = InvalidPolicy;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for InvalidPolicy {
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
        for e in errors {
            out.report(
                &e.pointer,
                format!(
                    "NetworkPolicy {} would be rejected by the API server: {}",
                    policy.display_name(),
                    e.message
                ),
            );
        }
    }
}
