//! KL608: CNI configuration files are not writable or readable by others (CIS 1.1.9).

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::discover::Inventory;
use crate::rules::{file_mode, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "KL608",
    name: "cni-file-permissions",
    severity: Severity::Medium,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.1.9 (Manual)",
        "https://www.cni.dev/docs/spec/",
    ],
    summary: "A CNI file is more permissive than 600",
    what: "Every file below the kubelet's `--cni-conf-dir` (when set), `/etc/cni/net.d`, and \
           the regular files below `/var/lib/cni/networks` (IP allocations) must have mode 600 or \
           stricter (kube-bench's bitmask test). kube-bench does not read `/etc/cni/net.d` when \
           the kubelet has no `--cni-conf-dir` (every kubelet since 1.24); Palisade does, since \
           that is where containerd and CRI-O read the network configuration.",
    why: "The CNI configuration decides how every pod is wired to the network; whoever can \
          write it can route pod traffic anywhere. It may also hold credentials of the network \
          plugin.",
    example: "# fails\n-rw-r--r-- /etc/cni/net.d/10-calico.conflist\n# passes\n\
              -rw------- /etc/cni/net.d/10-calico.conflist",
    fix: "`chmod 600` the files (the network plugin's installer usually writes them; fix its \
          settings so they stay so).",
    help: "chmod 600 the CNI configuration files",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["1.1.9"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(files) = crate::rules::cni_files::files(inv, &META, "1.1.9", out) else {
            return;
        };
        for f in files {
            file_mode(out, &META, "1.1.9", inv, None, f, 0o600, true);
        }
    }
}
