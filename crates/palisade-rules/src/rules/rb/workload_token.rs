//! RB224 `workload-token-powerful`: a workload mounts the API token of a ServiceAccount that
//! RBAC lets read Secrets, exec into pods, create workloads, escalate, bind or impersonate, or
//! that is cluster-admin.
//!
//! The RBAC rules report a binding; this one joins it with the pods that carry the token, which
//! is what an attacker who gets code execution in the pod holds (kubernetes-goat's scenario:
//! the pod's own token reads every Secret of its namespace). Only grants to the account itself
//! or to all accounts of its namespace count: grants to every authenticated user are RB212's.

use std::collections::HashMap;

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::netpol::namespace_of;
use crate::rbac::authorizer::ALL_SERVICE_ACCOUNTS;
use crate::rbac::model::is_rbac;
use crate::rbac::{RbacModel, Request, SubjectKind};
use crate::workload::token_mount;

static META: RuleMeta = RuleMeta {
    code: "RB224",
    name: "workload-token-powerful",
    severity: Severity::High,
    guide: "Auto mount default Service Account",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
        "kubernetes-goat scenario 16: RBAC least privileges misconfiguration",
    ],
    summary: "A workload mounts the token of a ServiceAccount with dangerous rights",
    what: "For every pod and workload that mounts its ServiceAccount's API token \
           (`automountServiceAccountToken` not false on the pod or the account), the bindings \
           of the input are asked what that account may do in the pod's namespace: full \
           control (critical), read Secrets, exec into pods, create pods or workloads, \
           escalate, bind or impersonate (high). Only grants to the account itself or to all \
           service accounts of its namespace count; the message names the pod, the account and \
           the binding.",
    why: "Anyone who runs code in the pod — through a vulnerable application, a compromised \
          image or a debug shell — reads the token from \
          /var/run/secrets/kubernetes.io/serviceaccount and acts with the account's rights. A \
          token that reads Secrets hands out every credential of the namespace; one that can \
          exec, create pods or bind roles leads to the node and to cluster-admin.",
    example: "# fails\nkind: RoleBinding\nroleRef: {kind: ClusterRole, name: edit}\nsubjects:\n\
              - {kind: ServiceAccount, name: web, namespace: shop}\n---\nkind: Deployment\n\
              spec:\n  template:\n    spec:\n      serviceAccountName: web\n\
              # passes: the pod does not mount the token it does not use\n\
              spec:\n  template:\n    spec:\n      serviceAccountName: web\n      \
              automountServiceAccountToken: false",
    fix: "Give the workload an account with only what it calls (often nothing: then set \
          `automountServiceAccountToken: false`). Where it must call the API, mount the token \
          only in the container that does, narrow the Role to named resources, and never \
          grant Secrets, exec, pod creation, bind, escalate or impersonate to an application.",
    help: "set automountServiceAccountToken: false, or bind the account to a role without \
           Secrets, exec, workload creation or escalation",
};

pub struct WorkloadToken;

pub static RULE: WorkloadToken = WorkloadToken;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

/// The rights that make a token dangerous, most dangerous first, with how the message says it.
const DANGERS: &[(&str, &str, &str, &str, &str)] = &[
    // (verb, group, resource, subresource, what)
    ("*", "*", "*", "", "has full control"),
    ("get", "", "secrets", "", "reads Secrets"),
    ("list", "", "secrets", "", "lists Secrets"),
    ("create", "", "pods", "exec", "execs into pods"),
    ("create", "", "pods", "", "creates pods"),
    ("create", "apps", "deployments", "", "creates Deployments"),
    (
        "bind",
        "rbac.authorization.k8s.io",
        "clusterroles",
        "",
        "binds roles",
    ),
    (
        "escalate",
        "rbac.authorization.k8s.io",
        "clusterroles",
        "",
        "escalates roles",
    ),
    ("impersonate", "", "users", "", "impersonates users"),
    (
        "impersonate",
        "",
        "serviceaccounts",
        "",
        "impersonates service accounts",
    ),
];

fn request<'r>(
    (verb, group, resource, subresource, _): &'r (&str, &str, &str, &str, &str),
    namespace: &'r str,
) -> Request<'r> {
    Request::exact(verb, group, resource, subresource, "", namespace)
}

fn is_service_account(o: &Object) -> bool {
    o.kind() == "ServiceAccount" && o.group().is_empty()
}

impl InventoryRule for WorkloadToken {
    /// RBAC objects and ServiceAccounts whole; of workloads, what decides the token mount.
    fn keep(&self, object: &Object) -> Option<Keep> {
        if is_rbac(object) || is_service_account(object) {
            return Some(Keep::whole());
        }
        Keep::pod(
            object,
            &[],
            &[
                &["serviceAccountName"],
                &["serviceAccount"],
                &["automountServiceAccountToken"],
                &["containers", "name"],
            ],
            &[
                &["metadata", "ownerReferences"],
                &["metadata", "annotations"],
            ],
        )
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("rbac-tokens")
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = kept.model::<RbacModel>(cx);
        let rbac = model.borrow_dependent();
        if rbac.bindings.is_empty() {
            return;
        }
        // (namespace, name) → the account's own automountServiceAccountToken.
        let accounts: HashMap<(&str, &str), Option<bool>> = kept
            .iter()
            .filter(|o| is_service_account(o))
            .map(|o| {
                (
                    (namespace_of(o), o.name().unwrap_or("")),
                    o.node
                        .get("automountServiceAccountToken")
                        .and_then(Node::bool_intent),
                )
            })
            .collect();
        // Grants per (namespace, danger), computed once per namespace.
        let mut grants: HashMap<(&str, usize), Vec<crate::rbac::Grant>> = HashMap::new();
        for o in kept.iter().copied() {
            let Some(template) = o.pod_template() else {
                continue;
            };
            let controlled = o
                .node
                .path(&["metadata", "ownerReferences"])
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .any(|r| r.get("controller").and_then(Node::bool_intent) == Some(true));
            if controlled {
                continue;
            }
            let mount = token_mount(&template);
            let namespace = namespace_of(o);
            let account = accounts.get(&(namespace, mount.service_account)).copied();
            let mounted = match mount.pod_decision {
                Some(decision) => decision,
                None => account.flatten() != Some(false),
            };
            if !mounted {
                continue;
            }
            let own_group = format!("{ALL_SERVICE_ACCOUNTS}:{namespace}");
            for (d, danger) in DANGERS.iter().enumerate() {
                let list = grants
                    .entry((namespace, d))
                    .or_insert_with(|| rbac.who_can(&request(danger, namespace)));
                let Some(grant) = list.iter().find(|g| {
                    let binding = &rbac.bindings[g.binding];
                    let s = &binding.subjects[g.subject];
                    match s.kind {
                        SubjectKind::ServiceAccount => {
                            s.name == mount.service_account
                                && s.service_account_namespace(binding.namespace) == Some(namespace)
                        }
                        SubjectKind::Group => s.name == own_group,
                        _ => false,
                    }
                }) else {
                    continue;
                };
                let binding = &rbac.bindings[grant.binding];
                let subject = &binding.subjects[grant.subject];
                let pointer = ["serviceAccountName", "serviceAccount"]
                    .iter()
                    .find(|k| template.spec.get(k).is_some())
                    .map(|k| format!("{}/{k}", template.spec_pointer))
                    .unwrap_or_else(|| template.spec_pointer.to_owned());
                let through = if subject.kind == SubjectKind::Group {
                    format!(" (as a member of group {:?})", subject.name)
                } else {
                    String::new()
                };
                let mut emitter = Emitter::new(o, &META, findings);
                let finding = emitter.report(
                    &pointer,
                    format!(
                        "{} {}/{} mounts the token of ServiceAccount \"{namespace}/{}\", which {}{through} \
                         through {}: code running in the pod can do the same",
                        o.kind(),
                        namespace,
                        o.name().unwrap_or("(unnamed)"),
                        mount.service_account,
                        danger.4,
                        rbac.describe_grant(grant.binding, grant.rule),
                    ),
                );
                if d == 0 {
                    finding.severity = Severity::Critical;
                }
                // The most dangerous right is the one worth reading; one finding per workload.
                break;
            }
        }
    }
}
