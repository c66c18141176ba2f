//! KL607: kubelet and kube-proxy files belong to root.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::discover::Inventory;
use crate::rules::node_files::node_files;
use crate::rules::{file_owner, NodeRule, Outcomes, Verdict};

static META: RuleMeta = RuleMeta {
    code: "KL607",
    name: "node-file-ownership",
    severity: Severity::High,
    guide: "Your cluster is as secure as the system running it",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &["CIS Kubernetes Benchmark 4.1.2, 4.1.6, 4.1.10 (and 4.1.4, 4.1.8, Manual)"],
    summary: "A kubelet or kube-proxy file is not owned by root:root",
    what: "Owner and group (named from the node's `/etc/passwd` and `/etc/group`) of the \
           kubelet's unit and drop-ins (4.1.2), kube-proxy's kubeconfig (4.1.4, Manual), the \
           kubelet's kubeconfig (4.1.6), client CA file (4.1.8, Manual) and config file and \
           drop-ins (4.1.10): all `root:root`.",
    why: "Whoever owns these files can change how the kubelet authenticates and authorizes, or \
          take the node's credential.",
    example: "# fails\nkubelet:kubelet /var/lib/kubelet/config.yaml\n# passes\nroot:root /var/lib/kubelet/config.yaml",
    fix: "`chown root:root` the file.",
    help: "chown root:root the file",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["4.1.2", "4.1.4", "4.1.6", "4.1.8", "4.1.10"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        for group in node_files(inv) {
            match &group.files {
                Err(why) => out.item(&META, group.owner_id, Verdict::NotEvaluated, why.clone()),
                Ok(files) => {
                    for f in files {
                        file_owner(
                            out,
                            &META,
                            group.owner_id,
                            inv,
                            None,
                            f,
                            "root:root",
                            !group.manual,
                        );
                    }
                }
            }
        }
    }
}
