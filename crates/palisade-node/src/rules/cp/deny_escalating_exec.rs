//! CP506: the DenyEscalatingExec admission plugin (before 1.21).

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{NodeRule, Outcomes};
use crate::structured::admission_enabled;

static META: RuleMeta = RuleMeta {
    code: "CP506",
    name: "deny-escalating-exec-admission",
    severity: Severity::Critical,
    guide: "DenyEscalatingExec",
    versions: VersionRange::until(KubeVersion::v1(21)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#denyescalatingexec",
        "https://github.com/kubernetes/kubernetes/pull/96276",
    ],
    summary: "DenyEscalatingExec is not enabled (Kubernetes before 1.21)",
    what: "Before 1.21: whether `DenyEscalatingExec` is in the API server's enabled admission \
           plugins. 1.21 removed the plugin; its modern equivalent is Pod Security Admission \
           (CP507, no privileged or host-namespace pods) plus tight RBAC on `pods/exec` and \
           `pods/attach`. A 1.21+ API server that still lists the plugin is reported by CP518.",
    why: "Exec into or attach to a privileged, hostPID or hostIPC pod is a shell on the node. \
          The plugin refused such requests.",
    example: "# fails (before 1.21)\n- --enable-admission-plugins=NodeRestriction\n# passes\n\
              - --enable-admission-plugins=NodeRestriction,DenyEscalatingExec",
    fix: "Before 1.21, add `DenyEscalatingExec` to `--enable-admission-plugins`; better, upgrade \
          and enforce Pod Security `baseline` so no such pods exist.",
    help: "add DenyEscalatingExec to --enable-admission-plugins (or upgrade and use Pod Security Admission)",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = inv.component(ComponentKind::ApiServer) else {
            return;
        };
        if !META.versions.contains(c.version) {
            return;
        }
        let e = admission_enabled(c);
        if e.as_ref().is_some_and(|e| e.has("DenyEscalatingExec")) {
            return;
        }
        out.report(
            &META,
            Some(c.kind),
            c.location_of(e.as_ref()),
            format!(
                "kube-apiserver {} does not enable DenyEscalatingExec ({})",
                c.version,
                crate::rules::describe("--enable-admission-plugins", e.as_ref())
            ),
        );
    }
}
