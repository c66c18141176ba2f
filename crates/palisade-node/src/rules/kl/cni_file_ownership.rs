//! KL609: CNI configuration files are owned by root:root (CIS 1.1.10).

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::discover::Inventory;
use crate::rules::{file_owner, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "KL609",
    name: "cni-file-ownership",
    severity: Severity::Medium,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.1.10 (Manual)",
        "https://www.cni.dev/docs/spec/",
    ],
    summary: "A CNI file is not owned by root:root",
    what: "The same CNI files as KL608 (the kubelet's `--cni-conf-dir`, `/etc/cni/net.d`, the \
           regular files below `/var/lib/cni/networks`) must be owned by `root:root`, names \
           taken from the node's `/etc/passwd` and `/etc/group` as `stat -c %U:%G` prints them.",
    why: "The owner of the network configuration can rewrite it: it must be the same trust \
          level as the kubelet that applies it.",
    example: "# fails\nnobody:nogroup /etc/cni/net.d/10-flannel.conflist\n# passes\n\
              root:root /etc/cni/net.d/10-flannel.conflist",
    fix: "`chown root:root` the files.",
    help: "chown root:root the CNI configuration files",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["1.1.10"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(files) = crate::rules::cni_files::files(inv, &META, "1.1.10", out) else {
            return;
        };
        for f in files {
            file_owner(out, &META, "1.1.10", inv, None, f, "root:root", true);
        }
    }
}
