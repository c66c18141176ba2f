//! RB223 `wildcard-role`: a custom Role or ClusterRole grants `*` verbs or `*` resources.

use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, ObjectRule,
    RuleMeta, Severity, VersionRange,
};

use crate::rbac::model::read_role;
use crate::rbac::{is_bootstrap, keep_rbac, RbacModel};

static META: RuleMeta = RuleMeta {
    code: "RB223",
    name: "wildcard-role",
    severity: Severity::Medium,
    guide: "beyond the guide",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.1.3: Minimize wildcard use in Roles and ClusterRoles",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
    ],
    summary: "A custom role uses `*` for verbs, resources or API groups",
    what: "Every Role and ClusterRole (except the API server's own bootstrap roles, and \
           aggregated roles whose rules the controller writes) is checked for rules with `*` \
           in `verbs`, `resources` or `apiGroups` (one finding per rule, naming the first of \
           these that has it). When the whole input is known, the message also says \
           which bindings use the role.",
    why: "A wildcard grants what exists today and whatever is added tomorrow: a new \
          subresource, a CRD holding credentials, a verb such as `escalate` or `impersonate`. \
          Nobody reviewing the role can tell what it really allows.",
    example: "# fails\nrules:\n- apiGroups: [apps]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n\
              # passes\nrules:\n- apiGroups: [apps]\n  resources: [deployments]\n  verbs: [get, \
              list, watch, update, patch]",
    fix: "List the resources and verbs the role needs (`kubectl auth can-i --list --as …` on a \
          test cluster, or the audit log, shows what a workload really uses).",
    help: "list resources and verbs explicitly instead of `*`",
};

pub struct WildcardRole;

pub static RULE: WildcardRole = WildcardRole;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for WildcardRole {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "Roles or ClusterRoles",
            test: |_, o, _| crate::rbac::is_rbac(o) && matches!(o.kind(), "Role" | "ClusterRole"),
        }
    }

    /// The role alone shows its wildcards; one finding per rule.
    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        let Some(role) = read_role(object) else {
            return;
        };
        if is_bootstrap(object) || role.aggregation.is_some() {
            return;
        }
        for rule in &role.rules {
            let field = if rule.verbs.contains(&"*") {
                "verbs"
            } else if rule.resources.contains(&"*") {
                "resources"
            } else if rule.api_groups.contains(&"*") {
                // `pods` in every group: today's core pods and any CRD of that name tomorrow.
                "apiGroups"
            } else {
                continue;
            };
            out.report(
                &format!("/rules/{}/{field}", rule.index),
                format!(
                    "{} \"{}\" grants `{}` with a wildcard in {field}",
                    role.kind.as_str(),
                    role.name,
                    rule.describe()
                ),
            );
        }
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

/// With the bindings known, each finding says who holds the role (or that nobody in the input
/// does, which makes it less urgent but not right).
impl InventoryRule for WildcardRole {
    fn keep(&self, object: &Object) -> Option<Keep> {
        keep_rbac(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("rbac")
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = kept.model::<RbacModel>(cx);
        let rbac = model.borrow_dependent();
        for f in findings.iter_mut().filter(|f| f.code == META.code) {
            let Some(role) = rbac
                .roles
                .iter()
                .position(|r| !r.builtin && f.object.as_ref().is_some_and(|o| o.is(r.object)))
            else {
                continue;
            };
            let users: Vec<String> = (0..rbac.bindings.len())
                .filter(|&b| rbac.roles_of(b).contains(&role))
                .map(|b| rbac.bindings[b].describe())
                .collect();
            if users.is_empty() {
                f.append_message("; no binding in the scanned input uses the role");
            } else {
                f.append_message(&format!("; bound by {}", users.join(", ")));
            }
        }
    }
}
