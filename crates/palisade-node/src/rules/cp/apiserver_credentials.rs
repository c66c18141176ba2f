//! CP512: the API server's TLS, client and service-account credentials are configured.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "CP512",
    name: "apiserver-tls-and-credentials",
    severity: Severity::High,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.2, 1.2.4, 1.2.5, 1.2.21, 1.2.22, 1.2.23, 1.2.24, 1.2.25, 1.2.26, 1.2.30",
        "https://kubernetes.io/docs/setup/best-practices/certificates/",
    ],
    summary: "The API server lacks TLS or credential settings, or uses static token files",
    what: "The API server flags CIS checks for credentials: no `--token-auth-file` (1.2.2); \
           `--kubelet-client-certificate` and `--kubelet-client-key` (1.2.4); \
           `--kubelet-certificate-authority` (1.2.5); `--service-account-lookup` not false \
           (1.2.21); `--service-account-key-file` (1.2.22); `--etcd-certfile` and `--etcd-keyfile` \
           (1.2.23); `--tls-cert-file` and `--tls-private-key-file` (1.2.24); `--client-ca-file` \
           (1.2.25); `--etcd-cafile` (1.2.26); `--service-account-extend-token-expiration=false` \
           (1.2.30, default true).",
    why: "Static token files hold long-lived cleartext credentials; without kubelet and etcd \
          client certificates and CAs, the API server's connections to kubelets and etcd can be \
          intercepted; without service account lookup a deleted service account's token keeps \
          working.",
    example: "# fails\n- --token-auth-file=/etc/kubernetes/tokens.csv\n# passes\n\
              - --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
    fix: "Remove `--token-auth-file`; set the certificate, key and CA flags (kubeadm sets all but \
          `--kubelet-certificate-authority`, which needs kubelet serving certificates signed by \
          the cluster CA: `serverTLSBootstrap: true`).",
    help: "set the missing TLS/CA flags; remove --token-auth-file",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &[
    "1.2.2", "1.2.4", "1.2.5", "1.2.21", "1.2.22", "1.2.23", "1.2.24", "1.2.25", "1.2.26", "1.2.30",
];

/// Items that pass when every listed flag is set.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "1.2.4",
        &["kubelet-client-certificate", "kubelet-client-key"],
    ),
    ("1.2.5", &["kubelet-certificate-authority"]),
    ("1.2.22", &["service-account-key-file"]),
    ("1.2.23", &["etcd-certfile", "etcd-keyfile"]),
    ("1.2.24", &["tls-cert-file", "tls-private-key-file"]),
    ("1.2.25", &["client-ca-file"]),
    ("1.2.26", &["etcd-cafile"]),
];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, CIS, out) else {
            return;
        };
        let token = c.flag_or("token-auth-file", None);
        out.setting(
            &META,
            Some("1.2.2"),
            c,
            "--token-auth-file",
            token.as_ref(),
            token.is_none(),
            |e| {
                format!(
                    "kube-apiserver authenticates static tokens from a file ({})",
                    crate::rules::describe("--token-auth-file", e)
                )
            },
        );
        for &(id, flags) in REQUIRED {
            let missing: Vec<&str> = flags
                .iter()
                .copied()
                .filter(|f| c.flag(f).is_none())
                .collect();
            let what = flags
                .iter()
                .map(|f| format!("--{f}"))
                .collect::<Vec<_>>()
                .join(" and ");
            let evidence = if missing.is_empty() {
                flags
                    .iter()
                    .map(|f| crate::rules::flag_text(f, &c.flag_or(f, None).expect("set")))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                format!("{what}: --{} not set", missing.join(", --"))
            };
            out.item(
                &META,
                id,
                if missing.is_empty() {
                    crate::rules::Verdict::Pass
                } else {
                    crate::rules::Verdict::Fail
                },
                evidence,
            );
            if !missing.is_empty() {
                out.report(
                    &META,
                    Some(c.kind),
                    c.defined_in.clone(),
                    format!(
                        "kube-apiserver has no --{} (CIS {id})",
                        missing.join(", --")
                    ),
                );
            }
        }
        let lookup = c.flag_or("service-account-lookup", Some("true"));
        let ok = !lookup.as_ref().is_some_and(|e| e.is_false());
        out.setting(
            &META,
            Some("1.2.21"),
            c,
            "--service-account-lookup",
            lookup.as_ref(),
            ok,
            |e| {
                format!(
                    "kube-apiserver accepts tokens of deleted service accounts ({})",
                    crate::rules::describe("--service-account-lookup", e)
                )
            },
        );
        let extend = c.flag_or("service-account-extend-token-expiration", Some("true"));
        let ok = extend.as_ref().is_some_and(|e| e.is_false());
        out.setting(
            &META,
            Some("1.2.30"),
            c,
            "--service-account-extend-token-expiration",
            extend.as_ref(),
            ok,
            |e| {
                format!(
                    "kube-apiserver extends projected service account tokens to a year ({})",
                    crate::rules::describe("--service-account-extend-token-expiration", e)
                )
            },
        );
    }
}
