//! KL604: the kubelet's remaining CIS settings: client CA, iptables chains, certificate rotation
//! (and the Manual items, reported in the benchmark only).

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::{ComponentKind, Effective};
use crate::discover::Inventory;
use crate::rules::{describe, require, NodeRule, Outcomes, Verdict};

static META: RuleMeta = RuleMeta {
    code: "KL604",
    name: "kubelet-hardening",
    severity: Severity::Medium,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 4.2.3, 4.2.6, 4.2.10 (and 4.2.5, 4.2.7–4.2.9, 4.2.11–4.2.14, Manual)",
        "https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/",
    ],
    summary: "The kubelet lacks a client CA, iptables util chains or certificate rotation",
    what: "Effective kubelet settings (flag, else config file and drop-ins, else default): a \
           client CA (`--client-ca-file` / `authentication.x509.clientCAFile`, CIS 4.2.3); \
           `makeIPTablesUtilChains` not false (4.2.6); `rotateCertificates` not false (4.2.10). \
           The Manual items get benchmark verdicts and no finding: streaming idle timeout not 0 \
           (4.2.5; `0s` counts as 0, which kube-bench's string compare misses), no \
           `--hostname-override` (4.2.7), `eventRecordQPS` ≥ 0 (4.2.8), serving certificate and \
           key (4.2.9), `RotateKubeletServerCertificate` not disabled (4.2.11), strong TLS \
           ciphers only (4.2.12), `podPidsLimit` set (4.2.13), `seccompDefault: true` (4.2.14; \
           kube-bench accepts any value, Palisade requires true).",
    why: "Without a client CA the kubelet cannot authenticate the API server's client \
          certificate; without its iptables chains kube-proxy rules can be bypassed; without \
          certificate rotation the kubelet's credentials expire or are never replaced.",
    example: "# fails\nrotateCertificates: false\n# passes\nrotateCertificates: true\n\
              authentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt",
    fix: "Set the fields in the kubelet config file (kubeadm sets the client CA and rotation).",
    help: "set authentication.x509.clientCAFile, keep makeIPTablesUtilChains and rotateCertificates true",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &[
    "4.2.3", "4.2.5", "4.2.6", "4.2.7", "4.2.8", "4.2.9", "4.2.10", "4.2.11", "4.2.12", "4.2.13",
    "4.2.14",
];

/// The strong cipher suites CIS 4.2.12 allows.
const STRONG_CIPHERS: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
];

fn verdict(ok: bool) -> Verdict {
    if ok {
        Verdict::Pass
    } else {
        Verdict::Fail
    }
}

/// `0`, `0s`, `0m0s`: a zero Go duration.
fn is_zero_duration(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty()
        && v.chars().all(|c| c == '0' || c.is_ascii_alphabetic())
        && v.chars().any(|c| c == '0')
}

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::Kubelet, &META, CIS, out) else {
            return;
        };
        if let Some(why) = crate::rules::kubelet_config_unreadable(c) {
            out.not_evaluated(&META, CIS, &why);
            return;
        }
        let get =
            |flag: &str, path: &[&str], fd: Option<&'static str>, cd: Option<&'static str>| {
                c.setting(Some(flag), path, fd, cd)
            };
        let ca = get(
            "client-ca-file",
            &["authentication", "x509", "clientCAFile"],
            None,
            None,
        );
        out.setting(&META, Some("4.2.3"), c, "clientCAFile", ca.as_ref(), ca.is_some(), |_| {
            "kubelet has no client CA (--client-ca-file / authentication.x509.clientCAFile): it cannot verify client certificates".into()
        });
        let chains = get(
            "make-iptables-util-chains",
            &["makeIPTablesUtilChains"],
            Some("true"),
            Some("true"),
        );
        let ok = !chains.as_ref().is_some_and(Effective::is_false);
        out.setting(
            &META,
            Some("4.2.6"),
            c,
            "makeIPTablesUtilChains",
            chains.as_ref(),
            ok,
            |e| {
                format!(
                    "kubelet does not manage its iptables chains ({})",
                    describe("makeIPTablesUtilChains", e)
                )
            },
        );
        let rotate = get(
            "rotate-certificates",
            &["rotateCertificates"],
            Some("false"),
            Some("false"),
        );
        // kube-bench passes an unset value (the check reads "not set to false").
        let explicit_false = rotate.as_ref().is_some_and(|e| {
            e.is_false() && !matches!(e.source, crate::component::Source::Default { .. })
        });
        out.setting(
            &META,
            Some("4.2.10"),
            c,
            "rotateCertificates",
            rotate.as_ref(),
            !explicit_false,
            |e| {
                format!(
                    "kubelet client certificate rotation is off ({})",
                    describe("rotateCertificates", e)
                )
            },
        );

        // Manual items: verdicts for the benchmark, no findings.
        let idle = get(
            "streaming-connection-idle-timeout",
            &["streamingConnectionIdleTimeout"],
            Some("4h0m0s"),
            Some("4h0m0s"),
        );
        let ok = !idle.as_ref().is_some_and(|e| is_zero_duration(&e.value));
        out.item(
            &META,
            "4.2.5",
            verdict(ok),
            describe("streamingConnectionIdleTimeout", idle.as_ref()),
        );
        let host = c.flag_or("hostname-override", None);
        out.item(
            &META,
            "4.2.7",
            verdict(host.is_none()),
            describe("--hostname-override", host.as_ref()),
        );
        let qps = get("event-qps", &["eventRecordQPS"], None, None);
        let ok = qps
            .as_ref()
            .is_none_or(|e| e.value.trim().parse::<f64>().is_ok_and(|n| n >= 0.0));
        out.item(
            &META,
            "4.2.8",
            verdict(ok),
            describe("eventRecordQPS", qps.as_ref()),
        );
        let cert = get("tls-cert-file", &["tlsCertFile"], None, None);
        let key = get("tls-private-key-file", &["tlsPrivateKeyFile"], None, None);
        out.item(
            &META,
            "4.2.9",
            verdict(cert.is_some() && key.is_some()),
            format!(
                "{}, {}",
                describe("tlsCertFile", cert.as_ref()),
                describe("tlsPrivateKeyFile", key.as_ref())
            ),
        );
        let gate_flag = c.flag_or("feature-gates", None);
        let gate_cfg = c.config_value(&["featureGates", "RotateKubeletServerCertificate"]);
        let off = gate_flag
            .as_ref()
            .is_some_and(|g| g.has("RotateKubeletServerCertificate=false"))
            || gate_cfg
                .as_ref()
                .is_some_and(|(n, _)| n.bool_intent() == Some(false));
        out.item(
            &META,
            "4.2.11",
            verdict(!off),
            describe("--feature-gates", gate_flag.as_ref()),
        );
        let ciphers = get("tls-cipher-suites", &["tlsCipherSuites"], None, None);
        let ok = ciphers.as_ref().is_some_and(|e| {
            !e.items().is_empty() && e.items().iter().all(|c| STRONG_CIPHERS.contains(c))
        });
        out.item(
            &META,
            "4.2.12",
            verdict(ok),
            describe("tlsCipherSuites", ciphers.as_ref()),
        );
        let pids = get("pod-max-pids", &["podPidsLimit"], None, None);
        out.item(
            &META,
            "4.2.13",
            verdict(pids.is_some()),
            describe("podPidsLimit", pids.as_ref()),
        );
        let seccomp = get(
            "seccomp-default",
            &["seccompDefault"],
            Some("false"),
            Some("false"),
        );
        out.item(
            &META,
            "4.2.14",
            verdict(seccomp.as_ref().is_some_and(Effective::is_true)),
            describe("seccompDefault", seccomp.as_ref()),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn zero_durations() {
        for z in ["0", "0s", "0m0s", "00"] {
            assert!(super::is_zero_duration(z), "{z}");
        }
        for nz in ["4h0m0s", "5m", "10s", ""] {
            assert!(!super::is_zero_duration(nz), "{nz}");
        }
    }
}
