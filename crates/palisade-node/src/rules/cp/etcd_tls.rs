//! CP515: etcd serves clients and peers over TLS with client certificates.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes, Verdict};

static META: RuleMeta = RuleMeta {
    code: "CP515",
    name: "etcd-tls",
    severity: Severity::High,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 2.1, 2.2, 2.3, 2.4, 2.5, 2.6 (and 2.7, Manual)",
        "https://etcd.io/docs/latest/op-guide/security/",
    ],
    summary: "etcd accepts clients or peers without TLS client certificates",
    what: "etcd's `--cert-file`/`--key-file` (2.1), `--client-cert-auth=true` (2.2), no \
           `--auto-tls=true` (2.3), `--peer-cert-file`/`--peer-key-file` (2.4), \
           `--peer-client-cert-auth=true` (2.5), no `--peer-auto-tls=true` (2.6), and \
           `--trusted-ca-file` (2.7, Manual: a CA for etcd only). Flags are read from the static \
           pod, process or unit, and from `ETCD_*` environment variables (static pod `env`, \
           unit `Environment=`/`EnvironmentFile=`, process environment); as in etcd, a flag on \
           the command line wins over its variable.",
    why: "etcd holds every Secret of the cluster. Without client certificate authentication \
          anyone who reaches port 2379 reads and writes the whole cluster state.",
    example: "# fails\n- --client-cert-auth=false\n# passes\n- --client-cert-auth=true\n\
              - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
    fix: "Set the certificate flags and `--client-cert-auth=true`, `--peer-client-cert-auth=true` \
          (kubeadm does); never use `--auto-tls` (self-signed, unauthenticated).",
    help: "set --client-cert-auth=true and --peer-client-cert-auth=true with certificate files",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &["2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::Etcd, &META, CIS, out) else {
            return;
        };
        if c.flag("config-file").is_some() && c.config.is_empty() {
            // etcd takes every setting from that file, which could not be read.
            let why = format!("etcd --config-file not readable: {}", c.problems.join("; "));
            out.not_evaluated(&META, CIS, &why);
            return;
        }
        for (id, flags) in [
            ("2.1", &["cert-file", "key-file"][..]),
            ("2.4", &["peer-cert-file", "peer-key-file"][..]),
        ] {
            let missing: Vec<&str> = flags
                .iter()
                .copied()
                .filter(|f| c.flag(f).is_none())
                .collect();
            out.item(
                &META,
                id,
                if missing.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                if missing.is_empty() {
                    "set".to_owned()
                } else {
                    format!("--{} not set", missing.join(", --"))
                },
            );
            if !missing.is_empty() {
                out.report(
                    &META,
                    Some(c.kind),
                    c.defined_in.clone(),
                    format!("etcd has no --{} (no TLS)", missing.join(", --")),
                );
            }
        }
        for (id, flag) in [
            ("2.2", "client-cert-auth"),
            ("2.5", "peer-client-cert-auth"),
        ] {
            let e = c.flag_or(flag, Some("false"));
            let ok = e.as_ref().is_some_and(|e| e.is_true());
            out.setting(
                &META,
                Some(id),
                c,
                &format!("--{flag}"),
                e.as_ref(),
                ok,
                |e| {
                    format!(
                        "etcd does not require client certificates ({})",
                        crate::rules::describe(&format!("--{flag}"), e)
                    )
                },
            );
        }
        for (id, flag) in [("2.3", "auto-tls"), ("2.6", "peer-auto-tls")] {
            let e = c.flag_or(flag, Some("false"));
            let ok = !e.as_ref().is_some_and(|e| e.is_true());
            out.setting(
                &META,
                Some(id),
                c,
                &format!("--{flag}"),
                e.as_ref(),
                ok,
                |e| {
                    format!(
                        "etcd uses self-signed auto TLS ({})",
                        crate::rules::describe(&format!("--{flag}"), e)
                    )
                },
            );
        }
        let ca = c.flag_or("trusted-ca-file", None);
        out.item(
            &META,
            "2.7",
            if ca.is_some() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            crate::rules::describe("--trusted-ca-file", ca.as_ref()),
        );
    }
}
