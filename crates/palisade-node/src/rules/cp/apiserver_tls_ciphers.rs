//! CP521: the API server offers only strong TLS cipher suites.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "CP521",
    name: "apiserver-tls-cipher-suites",
    severity: Severity::Low,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.29 (Manual)",
        "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/",
    ],
    summary: "The API server may negotiate weak TLS cipher suites",
    what: "kube-apiserver's `--tls-cipher-suites` must be set and list only the suites of \
           kube-bench's cis-1.12 allow-list: the TLS 1.3 suites and the ECDHE suites with AES-GCM \
           or ChaCha20-Poly1305. Unset, the API server uses Go's defaults, which include CBC \
           suites (and, before Go 1.22, RSA key exchange), so an unset flag fails as in \
           kube-bench.",
    why: "CBC-mode suites and static RSA key exchange have a history of practical attacks \
          (Lucky13, ROBOT) and no forward secrecy: recorded traffic can be decrypted once the \
          key leaks.",
    example: "# fails\n- --tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA\n# passes\n\
              - --tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,\
              TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    fix: "Set `--tls-cipher-suites` to ECDHE suites with AES-GCM or ChaCha20-Poly1305 (TLS 1.3 \
          suites are not configurable in Go and always strong).",
    help: "set --tls-cipher-suites to ECDHE AES-GCM/ChaCha20 suites only",
};

/// kube-bench cis-1.12 1.2.29's `valid_elements`.
pub const STRONG: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["1.2.29"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, &["1.2.29"], out) else {
            return;
        };
        let e = c.flag_or("tls-cipher-suites", None);
        let weak: Vec<String> = e
            .as_ref()
            .map(|e| {
                e.items()
                    .into_iter()
                    .filter(|s| !STRONG.contains(s))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let ok = e.is_some() && weak.is_empty();
        out.setting(
            &META,
            Some("1.2.29"),
            c,
            "--tls-cipher-suites",
            e.as_ref(),
            ok,
            |e| match e {
                None => "kube-apiserver has no --tls-cipher-suites: Go's default suites include \
                         CBC ciphers"
                    .to_owned(),
                Some(e) => format!(
                    "kube-apiserver offers weak cipher suites {} ({})",
                    weak.join(", "),
                    e.source
                ),
            },
        );
    }
}
