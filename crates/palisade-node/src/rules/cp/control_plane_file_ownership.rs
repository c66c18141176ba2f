//! CP517: control-plane files belong to root (the etcd data directory to etcd).

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{file_owner, manifest_of, path_flag, NodeRule, Outcomes, Verdict};

static META: RuleMeta = RuleMeta {
    code: "CP517",
    name: "control-plane-file-ownership",
    severity: Severity::High,
    guide: "Your cluster is as secure as the system running it",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.1.2, 1.1.4, 1.1.6, 1.1.8, 1.1.12, 1.1.14, 1.1.16, 1.1.18, 1.1.19",
    ],
    summary: "A control-plane file is not owned by root:root (etcd data: etcd:etcd)",
    what: "Owner and group, named from the node's `/etc/passwd` and `/etc/group` as \
           `stat -c %U:%G` prints them: static pod manifests (1.1.2/4/6/8), `admin.conf` and \
           `super-admin.conf` (1.1.14), the scheduler's and controller manager's kubeconfigs \
           (1.1.16, 1.1.18) and everything under `/etc/kubernetes/pki` (1.1.19) must be \
           `root:root`; the etcd data directory `etcd:etcd` (1.1.12; kubeadm runs etcd as root, \
           so kube-bench and Palisade both fail it there).",
    why: "Whoever owns these files can rewrite them: change the API server's flags, swap a CA, \
          or read every credential.",
    example: "# fails\nkube:kube /etc/kubernetes/manifests/kube-apiserver.yaml\n# passes\nroot:root …",
    fix: "`chown root:root` the files (`chown -R etcd:etcd` the etcd data directory when etcd \
          runs as the etcd user).",
    help: "chown root:root the file (etcd:etcd for the etcd data directory)",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &[
    "1.1.2", "1.1.4", "1.1.6", "1.1.8", "1.1.12", "1.1.14", "1.1.16", "1.1.18", "1.1.19",
];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        if !inv.has_control_plane() {
            out.not_evaluated(
                &META,
                CIS,
                "no control-plane component on this node (a worker node, or a managed control plane)",
            );
            return;
        }
        for (kind, id) in [
            (ComponentKind::ApiServer, "1.1.2"),
            (ComponentKind::ControllerManager, "1.1.4"),
            (ComponentKind::Scheduler, "1.1.6"),
            (ComponentKind::Etcd, "1.1.8"),
        ] {
            match inv.component(kind).and_then(manifest_of) {
                Some(m) => file_owner(out, &META, id, inv, Some(kind), m, "root:root", true),
                None => out.item(
                    &META,
                    id,
                    Verdict::NotEvaluated,
                    if inv.layout == crate::discover::Layout::Api {
                        format!("static pod manifest of {kind}: {}", crate::api::NO_FILES)
                    } else {
                        format!("no static pod manifest for {kind}")
                    },
                ),
            }
        }
        match inv.component(ComponentKind::Etcd) {
            Some(etcd) => {
                let dir = path_flag(etcd, "data-dir", "/var/lib/etcd");
                file_owner(
                    out,
                    &META,
                    "1.1.12",
                    inv,
                    Some(ComponentKind::Etcd),
                    &dir,
                    "etcd:etcd",
                    true,
                );
            }
            None => out.item(
                &META,
                "1.1.12",
                Verdict::NotEvaluated,
                "no etcd on this node",
            ),
        }
        let admin: Vec<&str> = [
            "/etc/kubernetes/admin.conf",
            "/etc/kubernetes/super-admin.conf",
        ]
        .into_iter()
        .filter(|p| matches!(inv.files.get(*p), Some(Ok(_))))
        .collect();
        if admin.is_empty() {
            out.item(
                &META,
                "1.1.14",
                Verdict::NotEvaluated,
                "no /etc/kubernetes/admin.conf",
            );
        }
        for p in admin {
            file_owner(out, &META, "1.1.14", inv, None, p, "root:root", true);
        }
        for (kind, id, default) in [
            (
                ComponentKind::Scheduler,
                "1.1.16",
                "/etc/kubernetes/scheduler.conf",
            ),
            (
                ComponentKind::ControllerManager,
                "1.1.18",
                "/etc/kubernetes/controller-manager.conf",
            ),
        ] {
            match inv.component(kind) {
                Some(c) => {
                    let p = path_flag(c, "kubeconfig", default);
                    file_owner(out, &META, id, inv, Some(kind), &p, "root:root", true);
                }
                None => out.item(
                    &META,
                    id,
                    Verdict::NotEvaluated,
                    format!("no {kind} on this node"),
                ),
            }
        }
        let pki: Vec<&String> = inv
            .files
            .keys()
            .filter(|p| *p == "/etc/kubernetes/pki" || p.starts_with("/etc/kubernetes/pki/"))
            .collect();
        if pki.is_empty() {
            out.item(
                &META,
                "1.1.19",
                Verdict::NotEvaluated,
                "no /etc/kubernetes/pki",
            );
        }
        for p in pki {
            file_owner(out, &META, "1.1.19", inv, None, p, "root:root", true);
        }
    }
}
