//! RB212 `all-authenticated-access`: a binding gives every authenticated user, or every service
//! account of the cluster, more than discovery.

use palisade_core::{
    Context, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::rbac::authorizer::{ALL_SERVICE_ACCOUNTS, AUTHENTICATED};
use crate::rbac::{keep_rbac, report_everyone, RbacModel, SubjectKind};

static META: RuleMeta = RuleMeta {
    code: "RB212",
    name: "all-authenticated-access",
    severity: Severity::High,
    guide: "Authorization mode & anonymous auth",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
        "CIS Kubernetes Benchmark (v1.8) 5.1.8: Limit use of the Bind, Impersonate and Escalate permissions",
    ],
    summary: "Every authenticated user (or every service account) gets more than discovery",
    what: "Every binding whose subjects include the group `system:authenticated` or \
           `system:serviceaccounts` is resolved to its rules. Reading health, version and \
           discovery endpoints, self-subject access reviews and `use` of a PodSecurityPolicy \
           are what every user gets by default and are fine; any other rule is reported.",
    why: "`system:authenticated` is everyone with any credential: every person, every node \
          and the service account of every pod in the cluster. `system:serviceaccounts` is \
          the token of every pod. Granting either anything is granting it to whoever \
          compromises the weakest workload, and on managed platforms sometimes to any account \
          of the cloud provider. It turns authorization off for what it grants, the guide's \
          AlwaysAllow concern on a smaller scale.",
    example: "# fails\nkind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\n\
              metadata:\n  name: everyone-reads-secrets\nroleRef:\n  apiGroup: \
              rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: secret-reader\n\
              subjects:\n- kind: Group\n  name: system:authenticated\n\
              # passes\nsubjects:\n- kind: ServiceAccount\n  name: backup\n  namespace: backup",
    fix: "Bind the role to the users, groups or service accounts that need it instead of \
          `system:authenticated` or `system:serviceaccounts`.",
    help: "bind to the identities that need the rights, not to every authenticated user",
};

pub struct AllAuthenticated;

pub static RULE: AllAuthenticated = AllAuthenticated;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

impl InventoryRule for AllAuthenticated {
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
        report_everyone(
            &META,
            kept.model::<RbacModel>(cx).borrow_dependent(),
            findings,
            &|s| match (s.kind, s.name) {
                (SubjectKind::Group, AUTHENTICATED) => {
                    Some("every authenticated user and service account")
                }
                (SubjectKind::Group, ALL_SERVICE_ACCOUNTS) => {
                    Some("the token of every pod in the cluster")
                }
                _ => None,
            },
        );
    }
}
