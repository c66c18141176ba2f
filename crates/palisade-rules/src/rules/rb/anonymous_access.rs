//! RB211 `anonymous-access`: a binding gives unauthenticated requests more than health and
//! discovery.

use palisade_core::{
    Context, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::rbac::authorizer::{ANONYMOUS, UNAUTHENTICATED};
use crate::rbac::{keep_rbac, report_everyone, RbacModel, SubjectKind};

static META: RuleMeta = RuleMeta {
    code: "RB211",
    name: "anonymous-access",
    severity: Severity::Critical,
    guide: "Authorization mode & anonymous auth",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 1.2.1: Ensure that the --anonymous-auth argument is set to false",
        "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles",
    ],
    summary: "Anonymous users get more than health and discovery endpoints",
    what: "Every binding whose subjects include the user `system:anonymous` or the group \
           `system:unauthenticated` is resolved to its rules. Rules that only read health, \
           version, API discovery or OpenAPI documents (what the default \
           `system:public-info-viewer` and `system:discovery` roles give), create \
           self-subject access reviews, or `use` a PodSecurityPolicy are fine; anything else \
           is reported, listing what is granted.",
    why: "With anonymous authentication on (the API server's default), every request without \
          credentials is `system:anonymous` in `system:unauthenticated`. A binding to either \
          gives its rights to anyone who can reach the API server's port, from inside the \
          cluster or, too often, from the Internet. The guide marks anonymous access 💥.",
    example: "# fails\nkind: ClusterRoleBinding\napiVersion: rbac.authorization.k8s.io/v1\n\
              metadata:\n  name: anonymous-view\nroleRef:\n  apiGroup: \
              rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n\
              - kind: User\n  name: system:anonymous\n\
              # passes: bind the role to the people or service accounts that need it\n\
              subjects:\n- kind: Group\n  name: monitoring-team",
    fix: "Remove anonymous users and `system:unauthenticated` from the binding; give the \
          rights to authenticated identities. Run the API server with \
          `--anonymous-auth=false`, or from 1.32 an `AuthenticationConfiguration` that \
          allows anonymous requests only on `/healthz`, `/livez` and `/readyz`.",
    help: "never bind roles to system:anonymous or system:unauthenticated",
};

pub struct AnonymousAccess;

pub static RULE: AnonymousAccess = AnonymousAccess;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

impl InventoryRule for AnonymousAccess {
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
                (SubjectKind::User, ANONYMOUS) => Some("every request without credentials"),
                (SubjectKind::Group, UNAUTHENTICATED) => Some("every request without credentials"),
                _ => None,
            },
        );
    }
}
