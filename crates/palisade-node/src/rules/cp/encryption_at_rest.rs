//! CP511: Secrets are encrypted at rest in etcd.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes, Verdict};
use crate::structured::{secrets_encryption, SecretsEncryption};

static META: RuleMeta = RuleMeta {
    code: "CP511",
    name: "secrets-encryption-at-rest",
    severity: Severity::High,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.27, 1.2.28 (Manual)",
        "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",
    ],
    summary: "Secrets are stored in etcd unencrypted",
    what: "`--encryption-provider-config` (CIS 1.2.27) and, in that file, the first provider of \
           the entry covering `secrets` (1.2.28: `aescbc`, `kms` or `secretbox`; the first \
           provider is the one that writes). A first provider `identity` stores plain text. \
           kube-bench reads the line after the first `providers:` of the file with grep, which \
           misses a config whose first entry is not about Secrets; Palisade reads the YAML.",
    why: "Anyone who reads etcd, an etcd backup or the disk of a control-plane node reads every \
          Secret: service account tokens, registry credentials, TLS keys.",
    example: "# fails\nproviders:\n- identity: {}\n- aescbc: {…}\n# passes\nproviders:\n- aescbc: {…}\n- identity: {}",
    fix: "Write an EncryptionConfiguration with `kms` (v2) or `aescbc` first for `secrets`, set \
          `--encryption-provider-config`, then rewrite existing Secrets \
          (`kubectl get secrets -A -o json | kubectl replace -f -`).",
    help: "configure --encryption-provider-config with kms or aescbc first for secrets",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &["1.2.27", "1.2.28"];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, CIS, out) else {
            return;
        };
        let flag = c.flag_or("encryption-provider-config", None);
        out.item(
            &META,
            "1.2.27",
            if flag.is_some() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            crate::rules::describe("--encryption-provider-config", flag.as_ref()),
        );
        match secrets_encryption(c) {
            SecretsEncryption::NotConfigured => {
                out.item(
                    &META,
                    "1.2.28",
                    Verdict::Fail,
                    "no encryption provider config",
                );
                out.report(
                    &META,
                    Some(c.kind),
                    c.defined_in.clone(),
                    "kube-apiserver stores Secrets unencrypted (--encryption-provider-config not set)",
                );
            }
            SecretsEncryption::Unknown(e) => {
                out.item(&META, "1.2.28", Verdict::NotEvaluated, e);
            }
            SecretsEncryption::SecretsNotListed(source) => {
                out.item(
                    &META,
                    "1.2.28",
                    Verdict::Fail,
                    format!("no entry for secrets ({source})"),
                );
                out.report(
                    &META,
                    Some(c.kind),
                    source.location().unwrap_or_else(|| c.defined_in.clone()),
                    "the encryption config has no entry for secrets: Secrets are stored unencrypted",
                );
            }
            SecretsEncryption::Provider { name, source } => {
                let cis_ok = matches!(name.as_str(), "aescbc" | "kms" | "secretbox");
                out.item(
                    &META,
                    "1.2.28",
                    if cis_ok { Verdict::Pass } else { Verdict::Fail },
                    format!("first provider for secrets: {name} ({source})"),
                );
                if name == "identity" {
                    out.report(
                        &META,
                        Some(c.kind),
                        source.location().unwrap_or_else(|| c.defined_in.clone()),
                        "the first encryption provider for secrets is identity: new Secrets are written unencrypted",
                    );
                }
            }
        }
    }
}
