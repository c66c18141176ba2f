//! PS179 `psp-permissive-usable`: who may `use` a permissive PodSecurityPolicy.
//!
//! A policy only matters through the subjects allowed to `use` it (RBAC verb `use` on
//! `podsecuritypolicies` in group `policy`, optionally restricted by `resourceNames`): the
//! requesting user's or the pod's service account's grants decide which policies admission may
//! pick. This rule joins the permission checks (PS170–PS176) with the RBAC engine.

use std::collections::BTreeSet;

use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, Object, RuleMeta, Severity, VersionRange,
};

use crate::psp::{describe, is_psp, privileges, REMOVED_IN};
use crate::rbac::model::{is_rbac, Request, Target};
use crate::rbac::RbacModel;

static META: RuleMeta = RuleMeta {
    code: "PS179",
    name: "psp-permissive-usable",
    severity: Severity::High,
    guide: "PodSecurityPolicy",
    versions: VersionRange::until(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://v1-24.docs.kubernetes.io/docs/concepts/security/pod-security-policy/#authorizing-policies",
        "Kubernetes Security Best Practice Guide: Use Pod Security Policies",
    ],
    summary: "Subjects may use a PodSecurityPolicy that allows privileged or host access",
    what: "For every PodSecurityPolicy that permits more than the guide's unprivileged default \
           (privileged containers, host namespaces or ports, added capabilities, host paths, \
           privilege escalation), the RoleBindings and ClusterRoleBindings in the scan are \
           evaluated with the RBAC engine for the `use` verb on that policy, and every subject \
           allowed is listed with the binding, role and rule that grant it.",
    why: "The PodSecurityPolicy controller admits a pod if any policy the requesting user or the \
          pod's service account may `use` allows it. A permissive policy is as safe as the list \
          of who may use it: the guide grants the privileged policy only to the nodes and to \
          kube-system's network and DNS components. A binding that lets every authenticated user \
          or every service account use it removes the protection for the whole cluster.",
    example: "# fails: everyone may use the privileged policy\nkind: ClusterRoleBinding\n\
              roleRef: {kind: ClusterRole, name: privileged-psp}\nsubjects:\n\
              - {kind: Group, name: system:authenticated}\n\
              # passes (reported as low): the guide's setup, only nodes, in kube-system\nkind: RoleBinding\nmetadata: \
              {namespace: kube-system}\nsubjects:\n- {kind: Group, name: system:nodes}",
    fix: "Grant `use` of permissive policies only through RoleBindings in kube-system, to the node \
          group and the service accounts of the system components that need them; give every \
          other subject the unprivileged default policy. On 1.25 and later use Pod Security \
          Admission labels instead.",
    help: "restrict `use` of this policy to the system components that need it",
};

pub struct PermissiveUsable;

pub static RULE: PermissiveUsable = PermissiveUsable;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

impl InventoryRule for PermissiveUsable {
    fn keep(&self, o: &Object) -> Option<Keep> {
        (is_psp(o) || is_rbac(o)).then(Keep::whole)
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = kept.model::<RbacModel>(cx);
        let rbac = model.borrow_dependent();
        // A RoleBinding grants `use` to pods of its own namespace: ask in every namespace a
        // binding lives in, and cluster-wide.
        let namespaces: BTreeSet<&str> = rbac
            .bindings
            .iter()
            .map(|b| b.namespace)
            .chain([""])
            .collect();
        for psp in kept.iter().copied().filter(|o| is_psp(o)) {
            let permits = privileges(psp);
            let Some(name) = psp.name().filter(|_| !permits.is_empty()) else {
                continue;
            };
            let mut users: Vec<String> = Vec::new();
            let mut kube_system_only = true;
            for ns in &namespaces {
                let request = Request {
                    verb: "use",
                    target: Target::Resource {
                        group: "policy",
                        resource: "podsecuritypolicies",
                        subresource: "",
                        name,
                        namespace: ns,
                    },
                };
                for g in rbac.who_can(&request) {
                    let binding = &rbac.bindings[g.binding];
                    kube_system_only &= !binding.cluster && binding.namespace == "kube-system";
                    let line = format!(
                        "{} through {}",
                        binding.subjects[g.subject].describe(binding.namespace),
                        rbac.describe_grant(g.binding, g.rule)
                    );
                    if !users.contains(&line) {
                        users.push(line);
                    }
                }
            }
            if users.is_empty() {
                continue;
            }
            let what: Vec<&str> = permits
                .iter()
                .map(|(_, m)| m.split(" allows ").nth(1).unwrap_or(m.as_str()))
                .collect();
            let mut out = Emitter::new(psp, &META, findings);
            let f = out.report(
                "/metadata/name",
                format!(
                    "{} (allows {}) may be used by: {}",
                    describe(psp),
                    what.join("; "),
                    users.join("; ")
                ),
            );
            if kube_system_only {
                // The guide's own setup: granted in kube-system only, to system components. Still
                // worth knowing, not worth failing a build.
                f.severity = Severity::Low;
                f.append_message(" (only in kube-system, as the guide sets it up)");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use palisade_core::{check_objects, Context, KubeVersion, Settings, Severity};

    const PSP: &str = "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: privileged\nspec:\n  privileged: true\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: privileged-psp\nrules:\n- apiGroups: [policy]\n  resources: [podsecuritypolicies]\n  resourceNames: [privileged]\n  verbs: [use]\n";

    fn run(extra: &str) -> Vec<(Severity, String)> {
        let yaml = format!("{PSP}---\n{extra}");
        let objects = palisade_core::source::objects_from_str("p.yaml", &yaml).objects;
        let settings = Settings {
            kubernetes_version: KubeVersion::v1(24),
            ..Settings::default()
        };
        let mut out = Vec::new();
        check_objects(
            &super::REGISTERED,
            &Context {
                settings: &settings,
            },
            &objects,
            &mut out,
        );
        out.into_iter()
            .map(|f| (f.severity, f.message.into_string()))
            .collect()
    }

    #[test]
    fn lists_who_may_use_a_permissive_policy() {
        let everyone = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: all\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: privileged-psp}\nsubjects:\n- {kind: Group, name: \"system:authenticated\", apiGroup: rbac.authorization.k8s.io}\n";
        let found = run(everyone);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, Severity::High);
        assert!(
            found[0].1.contains("system:authenticated"),
            "{}",
            found[0].1
        );

        let nodes = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: nodes\n  namespace: kube-system\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: privileged-psp}\nsubjects:\n- {kind: Group, name: \"system:nodes\", apiGroup: rbac.authorization.k8s.io}\n";
        let found = run(nodes);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, Severity::Low, "the guide's own setup");

        let unrelated = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n";
        assert!(run(unrelated).is_empty(), "nobody may use it");
    }
}
