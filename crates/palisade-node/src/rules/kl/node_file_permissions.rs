//! KL606: kubelet and kube-proxy files are not readable by others.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::discover::Inventory;
use crate::rules::node_files::node_files;
use crate::rules::{file_mode, NodeRule, Outcomes, Verdict};

static META: RuleMeta = RuleMeta {
    code: "KL606",
    name: "node-file-permissions",
    severity: Severity::High,
    guide: "Your cluster is as secure as the system running it",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &["CIS Kubernetes Benchmark 4.1.1, 4.1.5, 4.1.9 (and 4.1.3, 4.1.7, Manual)"],
    summary: "A kubelet or kube-proxy file is more permissive than CIS allows",
    what: "Modes (kube-bench's `bitmask` test) of the files the node's kubelet and kube-proxy \
           actually use, found from their effective settings: the kubelet's systemd unit and \
           drop-ins 600 (4.1.1), kube-proxy's kubeconfig 600 (4.1.3, Manual), the kubelet's \
           `--kubeconfig` 600 (4.1.5), its client CA file 644 (4.1.7, Manual), and its config \
           file and drop-ins 600 (4.1.9). kube-bench looks at fixed default paths; Palisade \
           follows `--config`, `--config-dir` and `--kubeconfig` to the files really in use.",
    why: "The kubelet's kubeconfig is the node's credential; its unit and config decide whether \
          the kubelet API is open. Others must not read or change them.",
    example: "# fails\n-rw-r--r-- /var/lib/kubelet/config.yaml\n# passes\n-rw------- /var/lib/kubelet/config.yaml",
    fix: "`chmod 600` the file (644 is enough for the CA certificate).",
    help: "chmod 600 the file",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["4.1.1", "4.1.3", "4.1.5", "4.1.7", "4.1.9"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        for group in node_files(inv) {
            match &group.files {
                Err(why) => out.item(&META, group.perm_id, Verdict::NotEvaluated, why.clone()),
                Ok(files) => {
                    for f in files {
                        file_mode(
                            out,
                            &META,
                            group.perm_id,
                            inv,
                            None,
                            f,
                            group.mode,
                            !group.manual,
                        );
                    }
                }
            }
        }
    }
}
