//! RB210 `cluster-admin-binding`: full control of the cluster (`cluster-admin`, or any role with
//! `*` verbs on `*` resources in `*` groups) bound to someone who is not the control plane.

use palisade_core::{
    Context, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::rbac::{
    grants_full_control, is_bootstrap, is_control_plane, is_real, keep_rbac, report_subject,
    RbacModel, SubjectKind,
};

static META: RuleMeta = RuleMeta {
    code: "RB210",
    name: "cluster-admin-binding",
    severity: Severity::Critical,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.1.1: Ensure that the cluster-admin role is only used where required",
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
    ],
    summary: "cluster-admin (or `*` on `*`) is bound to a user, group or service account",
    what: "Every RoleBinding and ClusterRoleBinding is resolved to the rules it grants (following \
           the role reference, ClusterRole aggregation and the default `cluster-admin` role). A \
           binding that grants `*` verbs on `*` resources in `*` API groups is reported for each \
           subject other than the `system:masters` group and the control plane's own users. A \
           RoleBinding grants that power in its namespace only; the message says which.",
    why: "Whoever holds these rights can read every Secret, run any pod on any node, bind \
          themselves any role and so own the cluster and everything it can reach. The guide's \
          Dashboard item is exactly this: the Dashboard's service account bound to \
          cluster-admin turned the sign-in page's SKIP button into full cluster access. A \
          workload's service account with these rights hands them to anyone who compromises \
          the workload.",
    example: "# fails\nkind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\n\
              metadata:\n  name: kubernetes-dashboard\nroleRef:\n  apiGroup: \
              rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n\
              - kind: ServiceAccount\n  name: kubernetes-dashboard\n  namespace: kube-system\n\
              # passes: a role with only what the account needs\nroleRef:\n  apiGroup: \
              rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: kubernetes-dashboard-minimal",
    fix: "Bind a role listing only the resources and verbs the subject needs (start from `view` \
          or `edit` in one namespace). People who administer the cluster should get admin \
          rights through `system:masters` credentials kept offline or, better, through a \
          break-glass process, not a standing binding.",
    help: "bind a least-privilege role instead of cluster-admin",
};

pub struct ClusterAdminBinding;

pub static RULE: ClusterAdminBinding = ClusterAdminBinding;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

impl InventoryRule for ClusterAdminBinding {
    fn keep(&self, object: &Object) -> Option<Keep> {
        keep_rbac(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("rbac")
    }

    fn reads(&self) -> &'static str {
        crate::rbac::READS
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = kept.model::<RbacModel>(cx);
        let rbac = model.borrow_dependent();
        for b in 0..rbac.bindings.len() {
            let binding = &rbac.bindings[b];
            if is_bootstrap(binding.object) || !grants_full_control(rbac, b) {
                continue;
            }
            let rule = rbac
                .binding_allows(b, &crate::rbac::full_control())
                .expect("checked above");
            let power = if binding.cluster {
                "full control of the cluster".to_owned()
            } else {
                format!(
                    "full control of namespace \"{}\", its Secrets and RBAC included",
                    binding.namespace
                )
            };
            for s in &binding.subjects {
                if !is_real(s, binding) {
                    // A subject the input does not pin down (an unknown kind, a ServiceAccount
                    // without its namespace, as a template left empty renders them): whoever it
                    // names once filled in gets the grant, so the grant is the finding.
                    let message = format!(
                        "{} gives {power} through {} to {}, a subject the input does not \
                         identify: whoever it turns out to name is cluster-admin by another name",
                        binding.describe(),
                        rbac.describe_grant(b, rule),
                        s.describe(binding.namespace),
                    );
                    report_subject(&META, findings, rbac, b, s.index, message);
                    continue;
                }
                if is_control_plane(s) {
                    continue;
                }
                let mut message = format!(
                    "{} has {power} through {}",
                    s.describe(binding.namespace),
                    rbac.describe_grant(b, rule)
                );
                if s.kind == SubjectKind::ServiceAccount && s.name.contains("dashboard") {
                    message.push_str(
                        "; this is the guide's Kubernetes Dashboard case: anyone who reaches \
                         the Dashboard (or skips its login) acts with these rights",
                    );
                }
                report_subject(&META, findings, rbac, b, s.index, message);
            }
        }
    }
}
