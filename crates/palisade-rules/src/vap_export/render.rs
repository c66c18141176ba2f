//! The exported objects: one ValidatingAdmissionPolicy and one binding per rule, written with the
//! one writer of generated YAML ([`palisade_core::yaml::writer`]), which quotes every string.

use std::fmt;

use palisade_core::yaml::writer::Y;
use palisade_core::{KubeVersion, RuleMeta};

use super::{not_exported, policy_name, rules, variables, MIN_VERSION, RESOURCES, VIOLATIONS};
use crate::engine::Selection;
use crate::pss::Level;

/// A binding's `validationActions` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Deny,
    Warn,
    Audit,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deny => "Deny",
            Action::Warn => "Warn",
            Action::Audit => "Audit",
        }
    }
}

/// What to export.
#[derive(Clone, Debug)]
pub struct Options {
    /// The Pod Security level whose checks are exported.
    pub level: Level,
    /// The Kubernetes version the cluster runs (the policy version of the Pod Security checks).
    pub version: KubeVersion,
    /// The binding's `validationActions` (at least one; `Deny` and `Warn` may not be combined).
    pub actions: Vec<Action>,
    pub selection: Selection,
    /// The binding's `matchResources.namespaceSelector.matchExpressions`, as (key, operator,
    /// values) with the Kubernetes operators `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub namespace_selector: Vec<(String, String, Vec<String>)>,
}

/// Why nothing was exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error(
        "ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) needs Kubernetes {MIN_VERSION} \
         or later, not {0}"
    )]
    VersionTooOld(KubeVersion),
    #[error("no validation action: give --action Deny, Warn or Audit")]
    NoAction,
    #[error(
        "--action Deny and Warn together would warn about every request it denies: choose one"
    )]
    DenyAndWarn,
    #[error("no exportable rule is selected at the {0} level (see --help for the rules that cannot be exported)")]
    NothingSelected(Level),
    #[error("policy name {0:?} is not a valid DNS subdomain")]
    BadName(String),
    #[error("namespace selector: {0}")]
    BadSelector(String),
}

/// The policies and bindings of `options`, in rule-code order (each policy followed by its
/// binding).
pub fn export(options: &Options) -> Result<Vec<Y>, ExportError> {
    if options.version < MIN_VERSION {
        return Err(ExportError::VersionTooOld(options.version));
    }
    if options.actions.is_empty() {
        return Err(ExportError::NoAction);
    }
    if options.actions.contains(&Action::Deny) && options.actions.contains(&Action::Warn) {
        return Err(ExportError::DenyAndWarn);
    }
    for (key, op, values) in &options.namespace_selector {
        let needs_values = matches!(op.as_str(), "In" | "NotIn");
        if !matches!(op.as_str(), "In" | "NotIn" | "Exists" | "DoesNotExist")
            || needs_values == values.is_empty()
            || key.is_empty()
        {
            return Err(ExportError::BadSelector(format!(
                "{key} {op} {values:?}: operators are In/NotIn (with values) and Exists/DoesNotExist (without)"
            )));
        }
    }
    let mut out = Vec::new();
    for rule in rules(options.level, options.version) {
        if !options.selection.includes(rule.meta) {
            continue;
        }
        let name = policy_name(rule.meta);
        if !super::is_dns_subdomain(&name) {
            return Err(ExportError::BadName(name));
        }
        out.push(policy(&name, rule.meta, &rule.violations, options));
        out.push(binding(&name, rule.meta, options));
    }
    if out.is_empty() {
        return Err(ExportError::NothingSelected(options.level));
    }
    Ok(out)
}

fn labels(meta: &RuleMeta, options: &Options) -> Y {
    Y::map([
        ("app.kubernetes.io/managed-by", Y::str("palisade")),
        ("palisade.dev/rule", Y::str(meta.code)),
        ("palisade.dev/level", Y::str(options.level.as_str())),
        (
            "palisade.dev/kubernetes-version",
            Y::str(options.version.to_string()),
        ),
    ])
}

fn metadata(name: &str, meta: &RuleMeta, options: &Options) -> Y {
    Y::map([
        ("name", Y::str(name)),
        ("labels", labels(meta, options)),
        (
            "annotations",
            Y::map([(
                "palisade.dev/summary",
                Y::str(format!("{} {}: {}", meta.code, meta.name, meta.summary)),
            )]),
        ),
    ])
}

fn policy(name: &str, meta: &RuleMeta, violations: &str, options: &Options) -> Y {
    let resource_rules = RESOURCES.iter().map(|(group, resources)| {
        Y::map([
            ("apiGroups", Y::seq([Y::str(*group)])),
            ("apiVersions", Y::seq([Y::str("v1")])),
            ("operations", Y::seq([Y::str("CREATE"), Y::str("UPDATE")])),
            ("resources", Y::seq(resources.iter().map(|r| Y::str(*r)))),
        ])
    });
    let mut vars: Vec<Y> = variables()
        .into_iter()
        .map(|(n, e)| Y::map([("name", Y::str(n)), ("expression", Y::str(e))]))
        .collect();
    vars.push(Y::map([
        ("name", Y::str(VIOLATIONS)),
        ("expression", Y::str(violations)),
    ]));
    let prefix = format!("{} {}: ", meta.code, meta.name);
    Y::map([
        ("apiVersion", Y::str("admissionregistration.k8s.io/v1")),
        ("kind", Y::str("ValidatingAdmissionPolicy")),
        ("metadata", metadata(name, meta, options)),
        (
            "spec",
            Y::map([
                // A pod the policy cannot judge is refused: enforcement that gives way on an
                // error is no enforcement.
                ("failurePolicy", Y::str("Fail")),
                (
                    "matchConstraints",
                    Y::map([("resourceRules", Y::seq(resource_rules))]),
                ),
                ("variables", Y::seq(vars)),
                (
                    "validations",
                    Y::seq([Y::map([
                        (
                            "expression",
                            Y::str(format!("size(variables.{VIOLATIONS}) == 0")),
                        ),
                        (
                            "messageExpression",
                            Y::str(format!(
                                "{} + variables.{VIOLATIONS}.join('; ')",
                                super::cel::lit(&prefix)
                            )),
                        ),
                        ("message", Y::str(format!("{prefix}{}", meta.summary))),
                        ("reason", Y::str("Forbidden")),
                    ])]),
                ),
            ]),
        ),
    ])
}

fn binding(name: &str, meta: &RuleMeta, options: &Options) -> Y {
    let mut spec = Y::map([
        ("policyName", Y::str(name)),
        (
            "validationActions",
            Y::seq(options.actions.iter().map(|a| Y::str(a.as_str()))),
        ),
    ]);
    if !options.namespace_selector.is_empty() {
        let exprs = options.namespace_selector.iter().map(|(k, op, values)| {
            let mut e = Y::map([("key", Y::str(k)), ("operator", Y::str(op))]);
            if !values.is_empty() {
                e.set("values", Y::seq(values.iter().map(Y::str)));
            }
            e
        });
        spec.set(
            "matchResources",
            Y::map([(
                "namespaceSelector",
                Y::map([("matchExpressions", Y::seq(exprs))]),
            )]),
        );
    }
    Y::map([
        ("apiVersion", Y::str("admissionregistration.k8s.io/v1")),
        ("kind", Y::str("ValidatingAdmissionPolicyBinding")),
        ("metadata", metadata(name, meta, options)),
        ("spec", spec),
    ])
}

/// The objects as one YAML stream, after a comment that says what was exported and which rules
/// that read objects were not, and why.
pub fn render(objects: &[Y], options: &Options) -> String {
    let mut out = String::new();
    out.push_str(&Header(options, &skipped()).to_string());
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&o.render());
    }
    out
}

struct Header<'a>(&'a Options, &'a [(&'a str, &'a str)]);

impl fmt::Display for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Header(o, skipped) = self;
        writeln!(
            f,
            "# Generated by `palisade vap export`: Pod Security level {} at Kubernetes {}, \
             validationActions {}.",
            o.level,
            o.version,
            o.actions
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(
            f,
            "# Needs Kubernetes {MIN_VERSION} or later (admissionregistration.k8s.io/v1)."
        )?;
        if !skipped.is_empty() {
            writeln!(f, "# Not exported, with why:")?;
            for (code, why) in skipped.iter() {
                writeln!(f, "#   {code}: {why}")?;
            }
        }
        Ok(())
    }
}

/// The registered rules that read objects and are not exported, with the reason, in code
/// order (for the header comment and the help).
pub fn skipped() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = crate::registry::objects()
        .filter_map(|r| not_exported(r).map(|why| (r.meta.code, why)))
        .collect();
    out.sort();
    out
}
