//! CP516: control-plane manifests, kubeconfigs, PKI and etcd data are not readable by others.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{file_mode, manifest_of, path_flag, NodeRule, Outcomes, Verdict};

static META: RuleMeta = RuleMeta {
    code: "CP516",
    name: "control-plane-file-permissions",
    severity: Severity::High,
    guide: "Your cluster is as secure as the system running it",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.1.1, 1.1.3, 1.1.5, 1.1.7, 1.1.11, 1.1.13, 1.1.15, 1.1.17 (and 1.1.20, 1.1.21, Manual)",
    ],
    summary: "A control-plane file is more permissive than CIS allows",
    what: "Modes, as kube-bench's `bitmask` test reads them (no permission bit beyond the \
           allowed ones): static pod manifests of the API server, controller manager, scheduler \
           and etcd 600 (1.1.1/3/5/7), the etcd data directory 700 (1.1.11), `admin.conf` and \
           `super-admin.conf` 600 (1.1.13), the scheduler's and controller manager's kubeconfigs \
           600 (1.1.15, 1.1.17); Manual: PKI certificates 644 (1.1.20) and keys 600 (1.1.21). \
           A file that does not exist is not evaluated.",
    why: "These files hold cluster-admin credentials, private keys and the definition of the \
          control plane: a local user who can read them owns the cluster.",
    example: "# fails\n-rw-r--r-- /etc/kubernetes/admin.conf\n# passes\n-rw------- /etc/kubernetes/admin.conf",
    fix: "`chmod 600` the files (700 for the etcd data directory).",
    help: "chmod 600 the file (700 for the etcd data directory)",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &[
    "1.1.1", "1.1.3", "1.1.5", "1.1.7", "1.1.11", "1.1.13", "1.1.15", "1.1.17", "1.1.20", "1.1.21",
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
            (ComponentKind::ApiServer, "1.1.1"),
            (ComponentKind::ControllerManager, "1.1.3"),
            (ComponentKind::Scheduler, "1.1.5"),
            (ComponentKind::Etcd, "1.1.7"),
        ] {
            match inv.component(kind).and_then(manifest_of) {
                Some(m) => file_mode(out, &META, id, inv, Some(kind), m, 0o600, true),
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
                file_mode(
                    out,
                    &META,
                    "1.1.11",
                    inv,
                    Some(ComponentKind::Etcd),
                    &dir,
                    0o700,
                    true,
                );
            }
            None => out.item(
                &META,
                "1.1.11",
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
                "1.1.13",
                Verdict::NotEvaluated,
                "no /etc/kubernetes/admin.conf",
            );
        }
        for p in admin {
            file_mode(out, &META, "1.1.13", inv, None, p, 0o600, true);
        }
        for (kind, id, default) in [
            (
                ComponentKind::Scheduler,
                "1.1.15",
                "/etc/kubernetes/scheduler.conf",
            ),
            (
                ComponentKind::ControllerManager,
                "1.1.17",
                "/etc/kubernetes/controller-manager.conf",
            ),
        ] {
            match inv.component(kind) {
                Some(c) => {
                    let p = path_flag(c, "kubeconfig", default);
                    file_mode(out, &META, id, inv, Some(kind), &p, 0o600, true);
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
            .filter(|p| p.starts_with("/etc/kubernetes/pki/"))
            .collect();
        let (mut crt, mut key) = (false, false);
        for p in pki {
            if p.ends_with(".crt") {
                crt = true;
                file_mode(out, &META, "1.1.20", inv, None, p, 0o644, false);
            } else if p.ends_with(".key") {
                key = true;
                file_mode(out, &META, "1.1.21", inv, None, p, 0o600, true);
            }
        }
        if !crt {
            out.item(
                &META,
                "1.1.20",
                Verdict::NotEvaluated,
                "no certificates under /etc/kubernetes/pki",
            );
        }
        if !key {
            out.item(
                &META,
                "1.1.21",
                Verdict::NotEvaluated,
                "no keys under /etc/kubernetes/pki",
            );
        }
    }
}
