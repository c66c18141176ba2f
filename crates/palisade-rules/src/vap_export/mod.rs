//! `palisade vap export`: Palisade's per-object rules as `admissionregistration.k8s.io/v1`
//! ValidatingAdmissionPolicies and their bindings, so that a cluster (1.30 or later, where the API
//! is GA) enforces them itself.
//!
//! # Where the CEL lives
//!
//! Each exported rule's CEL is written in the rule's own file, next to the Rust logic it
//! mirrors (`PssCheck::cel` for the Pod Security checks, an [`Exportable`] for the others), and
//! built from the same constants (the safe sysctls, the allowed capabilities, volume types,
//! SELinux types): a change to what a rule allows is made once and reaches both. This module
//! holds only what every exported policy shares: the variables that find the pod spec in a Pod
//! or a workload's template ([`variables`]), the match constraints, names, labels, the binding,
//! and the list of rules that cannot be exported, with the reason ([`not_exported`]).
//!
//! # Shape of a policy
//!
//! A rule's CEL is one expression, the variable `violations`: the list of what is wrong, each
//! item worded as the built-in rule words its finding (`container "app" runs privileged`). The
//! single validation passes when the list is empty, and its `messageExpression` names the rule
//! code and joins the list, so the API server's denial reads like Palisade's finding.
//!
//! # Versions
//!
//! The Pod Security checks are exported at one policy version (the target Kubernetes version,
//! clamped to [`crate::pss::LATEST_POLICY`]), with the checks that make up the chosen level there
//! (a restricted check replaces the baseline check it overrides, as Pod Security Admission
//! does). Versions before 1.30 are refused: `admissionregistration.k8s.io/v1` policies do not
//! exist there. The CEL of a check therefore only ever describes policy versions 1.30 and later.

pub mod cel;
mod render;

pub use cel::{CelFn, Exportable, VIOLATIONS};
pub use render::{export, render, skipped, Action, ExportError, Options};

use palisade_core::{KubeVersion, Rule, RuleMeta, Stage};

use crate::pss::{self, Level};

/// The first Kubernetes version with `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicy.
pub const MIN_VERSION: KubeVersion = KubeVersion::v1(30);

/// One rule as it is exported at a version: its declaration and its `violations` expression.
pub struct ExportedRule {
    pub meta: &'static RuleMeta,
    /// The CEL list-of-strings expression of what is wrong (see the module docs).
    pub violations: String,
}

/// The rules that are not Pod Security checks but are decidable from the object alone.
static OTHERS: &[&Exportable] = &[
    &crate::rules::im::image_pull_policy::EXPORT,
    &crate::rules::im::image_tag::EXPORT,
    &crate::rules::ps::readonly_root::EXPORT,
    &crate::rules::rb::sa_token::EXPORT,
];

/// Every rule exported at `level` and (policy) `version`, in code order: the Pod Security checks
/// that make up the level there, then the other exportable rules that exist at `version`.
/// `version` is clamped to the newest policy for the Pod Security checks, as they are evaluated.
pub fn rules(level: Level, version: KubeVersion) -> Vec<ExportedRule> {
    let policy = version.min(pss::LATEST_POLICY);
    let mut out: Vec<ExportedRule> = pss::checks_for(level, policy)
        .into_iter()
        .map(|(check, _)| ExportedRule {
            meta: check.meta,
            violations: (check.cel)(policy),
        })
        .collect();
    out.extend(
        OTHERS
            .iter()
            .filter(|e| e.meta.versions.contains(version))
            .map(|e| ExportedRule {
                meta: e.meta,
                violations: (e.cel)(version),
            }),
    );
    out.sort_by_key(|r| r.meta.code);
    out
}

/// Why a rule that reads objects is not exported, for the rules that are not: the output's
/// header comment and docs/custom-rules.md say the same. `None` for exported rules. The reason
/// follows from how the rule is declared (its stages), so a new rule gets one without an edit
/// here; only the families whose reason is not in their stages (PA, VA, PSP, the image policy)
/// are named.
pub fn not_exported(rule: &Rule) -> Option<&'static str> {
    let meta = rule.meta;
    if meta.pss_check.is_some() || OTHERS.iter().any(|e| e.meta.code == meta.code) {
        return None;
    }
    Some(match rule.stage {
        _ if matches!(rule.stage, Stage::Input) || meta.code.starts_with("PA") => {
            "judges the manifest text (keys, quoting, waivers), which the API server never sees \
             (or rejects itself)"
        }
        _ if meta.code.starts_with("VA") => "is the evaluation of ValidatingAdmissionPolicies",
        _ if meta.code.starts_with("PS17") => {
            "judges PodSecurityPolicy objects, removed in Kubernetes 1.25 (before policies are GA)"
        }
        _ if matches!(meta.code, "IM403" | "IM404" | "IM405") => {
            "follows the image policy of palisade.yaml (registries, digests, denied tags)"
        }
        Stage::Inventory(_) => "reads several objects (the inventory), which a policy cannot",
        Stage::Object(r) if r.inventory().is_some() => {
            "its verdict needs other objects (ServiceAccounts, bindings, LimitRanges, Namespaces)"
        }
        _ => "decidable from the object, not yet written in CEL",
    })
}

/// The shared variables of every exported policy, in order (later ones read earlier ones). A
/// policy's `violations` reads these; the API server evaluates variables lazily, so unused ones
/// cost nothing.
pub fn variables() -> Vec<(&'static str, String)> {
    vec![
        // The Pod itself, or the pod template of a workload (a CronJob's is one level deeper).
        (
            "pod",
            "object.kind == 'Pod' ? object : (object.kind == 'CronJob' ? \
             object.spec.jobTemplate.spec.template : object.spec.template)"
                .to_owned(),
        ),
        ("spec", "variables.pod.spec".to_owned()),
        (
            "annotations",
            "has(variables.pod.metadata) && has(variables.pod.metadata.annotations) ? \
             variables.pod.metadata.annotations : {}"
                .to_owned(),
        ),
        (
            "psc",
            "has(variables.spec.securityContext) ? variables.spec.securityContext : {}".to_owned(),
        ),
        // Init containers, containers, ephemeral containers: the order Pod Security Admission
        // visits them in.
        (
            "containers",
            "(has(variables.spec.initContainers) ? variables.spec.initContainers : []) + \
             (has(variables.spec.containers) ? variables.spec.containers : []) + \
             (has(variables.spec.ephemeralContainers) ? variables.spec.ephemeralContainers : [])"
                .to_owned(),
        ),
        (
            "volumes",
            "has(variables.spec.volumes) ? variables.spec.volumes : []".to_owned(),
        ),
        (
            "windows",
            "has(variables.spec.os) && has(variables.spec.os.name) && \
             variables.spec.os.name == 'windows'"
                .to_owned(),
        ),
        (
            "userNamespace",
            "has(variables.spec.hostUsers) && variables.spec.hostUsers == false".to_owned(),
        ),
    ]
}

/// `apiGroup`, resources: what the policies match, CREATE and UPDATE. Pods (and their
/// `ephemeralcontainers` subresource, through which containers are added to a running pod) and
/// every built-in kind with a pod template.
pub const RESOURCES: &[(&str, &[&str])] = &[
    (
        "",
        &["pods", "pods/ephemeralcontainers", "replicationcontrollers"],
    ),
    (
        "apps",
        &["deployments", "statefulsets", "daemonsets", "replicasets"],
    ),
    ("batch", &["jobs", "cronjobs"]),
];

/// The policy (and binding) name of a rule: `palisade-<code>-<name>`, lower case, a valid DNS
/// subdomain (codes and rule names are lower-case letters, digits and dashes once lowered; the
/// export checks it and refuses anything else).
pub fn policy_name(meta: &RuleMeta) -> String {
    format!("palisade-{}-{}", meta.code.to_ascii_lowercase(), meta.name)
}

/// Whether `s` is a valid DNS subdomain (RFC 1123), as Kubernetes requires of object names.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}
