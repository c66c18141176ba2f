//! RB213 `default-service-account-permissions`: the `default` ServiceAccount of a namespace (the
//! identity of every pod that names none) is granted write access or Secret reads.

use palisade_core::{
    Context, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::rbac::authorizer::ALL_SERVICE_ACCOUNTS;
use crate::rbac::{
    grant_text, grants_full_control, is_bootstrap, keep_rbac, report_subject, PolicyRule, Rbac,
    RbacModel, RuleRef, SubjectKind,
};

static META: RuleMeta = RuleMeta {
    code: "RB213",
    name: "default-service-account-permissions",
    severity: Severity::High,
    guide: "Auto mount default Service Account",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.1.5: Ensure that default service accounts are not actively used",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#default-service-account",
    ],
    summary: "The default ServiceAccount of a namespace may write, or read Secrets",
    what: "Bindings are resolved to their rules; a subject that is the `default` \
           ServiceAccount of a namespace, or the group of all service accounts of one namespace \
           (`system:serviceaccounts:NS`, which includes `default`), is reported when it gets a \
           write verb (`create`, `update`, `patch`, `delete`, `deletecollection`, `escalate`, \
           `bind`, `impersonate`, `approve` or `*`) on any resource other than access reviews, \
           or may read Secrets. Full control is RB210's finding and not repeated. Any other \
           binding of a namespace's `default` ServiceAccount is reported at low (CIS 5.1.5: \
           default service accounts should not be used).",
    why: "Every pod that does not name a service account runs as `default` and, unless \
          automounting is off, carries its token. Rights given to `default` are therefore \
          given to every such pod of the namespace, including ones written later by people \
          who never thought about the API. The guide grades the `default` token 💥 exactly when \
          it can do something.",
    example: "# fails\nkind: RoleBinding\napiVersion: rbac.authorization.k8s.io/v1\nmetadata:\n  \
              name: deployer\n  namespace: shop\nroleRef:\n  apiGroup: \
              rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: edit\nsubjects:\n\
              - kind: ServiceAccount\n  name: default\n\
              # passes: a dedicated account for the workload that needs the rights\nsubjects:\n\
              - kind: ServiceAccount\n  name: deployer",
    fix: "Create a ServiceAccount for the workload that needs the rights, bind the role to it, \
          and set `serviceAccountName` in that workload. Leave `default` without bindings and \
          with `automountServiceAccountToken: false`.",
    help: "bind the role to a dedicated service account, not to `default`",
};

/// Verbs that change something (or grant more rights).
const WRITE_VERBS: &[&str] = &[
    "*",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "escalate",
    "bind",
    "impersonate",
    "approve",
];

/// Review resources: `create` on them asks a question, it changes nothing.
const REVIEWS: &[&str] = &[
    "tokenreviews",
    "subjectaccessreviews",
    "localsubjectaccessreviews",
    "selfsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "selfsubjectreviews",
];

/// Whether a rule lets its holder write something or read Secrets.
pub fn writes_or_reads_secrets(rule: &PolicyRule<'_>) -> bool {
    if !rule.is_resource_rule() {
        return false;
    }
    let writes = rule.verbs.iter().any(|v| WRITE_VERBS.contains(v))
        && !rule.resources.iter().all(|r| REVIEWS.contains(r));
    let reads_secrets = ["get", "list", "watch"]
        .iter()
        .any(|v| rule.verb_matches(v))
        && rule.group_matches("")
        && rule.resource_matches("secrets", "")
        && rule.resource_names.is_empty();
    writes || reads_secrets
}

pub struct DefaultServiceAccountPermissions;

pub static RULE: DefaultServiceAccountPermissions = DefaultServiceAccountPermissions;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

impl InventoryRule for DefaultServiceAccountPermissions {
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
        let group_prefix = format!("{ALL_SERVICE_ACCOUNTS}:");
        for b in 0..rbac.bindings.len() {
            let binding = &rbac.bindings[b];
            if is_bootstrap(binding.object) || grants_full_control(rbac, b) {
                continue;
            }
            let rules: Vec<RuleRef> = rbac
                .binding_rules(b)
                .filter(|r| writes_or_reads_secrets(rbac.rule(*r)))
                .collect();
            if rules.is_empty() {
                low_binding_to_default(rbac, b, findings);
                continue;
            }
            for s in &binding.subjects {
                let who = match s.kind {
                    SubjectKind::ServiceAccount if s.name == "default" => {
                        let Some(ns) = s.service_account_namespace(binding.namespace) else {
                            continue;
                        };
                        format!(
                            "{} (the identity of every pod in \"{ns}\" that names no service \
                             account)",
                            s.describe(binding.namespace)
                        )
                    }
                    SubjectKind::Group => match s.name.strip_prefix(&group_prefix) {
                        Some(ns) if !ns.is_empty() => format!(
                            "{} (every service account of \"{ns}\", `default` included)",
                            s.describe(binding.namespace)
                        ),
                        _ => continue,
                    },
                    _ => continue,
                };
                let message = format!(
                    "{who} may write or read Secrets {} through {}",
                    binding.scope(),
                    grant_text(rbac, b, &rules)
                );
                report_subject(&META, findings, rbac, b, s.index, message);
            }
        }
    }
}

/// CIS 5.1.5: the `default` ServiceAccount should not be used at all, so a binding that names
/// it is worth a look even when what it grants is harmless (reads, or a role the input does not
/// hold): low. Bindings granting more are the finding above, at the rule's severity.
fn low_binding_to_default(rbac: &Rbac<'_>, b: usize, findings: &mut Vec<Finding>) {
    let binding = &rbac.bindings[b];
    for s in &binding.subjects {
        if s.kind != SubjectKind::ServiceAccount || s.name != "default" {
            continue;
        }
        let Some(ns) = s.service_account_namespace(binding.namespace) else {
            continue;
        };
        let message = format!(
            "{} binds {} to {}, the identity of every pod in \"{ns}\" that names no service \
             account (CIS 5.1.5: default service accounts should not be used); bind a \
             dedicated ServiceAccount instead",
            binding.describe(),
            match binding.role_kind {
                Some(kind) => format!("{} \"{}\"", kind.as_str(), binding.role_name),
                None => format!("role \"{}\"", binding.role_name),
            },
            s.describe(binding.namespace),
        );
        let before = findings.len();
        report_subject(&META, findings, rbac, b, s.index, message);
        for f in &mut findings[before..] {
            f.severity = Severity::Low;
        }
    }
}
