//! A Constraint: which objects it selects (`spec.match`, as Gatekeeper's matcher reads it) and
//! what a violation does (`spec.enforcementAction`).

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::object::Object;
use serde::Deserialize;

use super::CONSTRAINTS_GROUP;
use crate::vap::model::{self, selected, LabelSelector};
use crate::vap::Action;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ConstraintSpec {
    #[serde(rename = "match")]
    matches: Match,
    enforcement_action: Option<String>,
    scoped_enforcement_actions: Vec<ScopedAction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ScopedAction {
    action: String,
    enforcement_points: Vec<EnforcementPoint>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnforcementPoint {
    name: String,
}

/// `spec.match`. Every part left out matches everything.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Match {
    pub kinds: Vec<Kinds>,
    /// `Cluster`, `Namespaced` or `*` (anything else, as Gatekeeper reads it, is `*`).
    pub scope: Option<String>,
    pub namespaces: Vec<String>,
    pub excluded_namespaces: Vec<String>,
    pub label_selector: Option<LabelSelector>,
    pub namespace_selector: Option<LabelSelector>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Kinds {
    pub api_groups: Vec<String>,
    pub kinds: Vec<String>,
}

/// One Constraint, read.
#[derive(Debug)]
pub struct Constraint {
    pub object: Arc<Object>,
    pub matches: Match,
    /// What a violation does; empty when the constraint acts at no admission or audit point.
    pub actions: Vec<Action>,
}

pub fn is_constraint(object: &Object) -> bool {
    object.group() == CONSTRAINTS_GROUP
}

/// Enforcement points a constraint's scoped actions can name that judge objects as a scan does:
/// Gatekeeper's webhook, its generated ValidatingAdmissionPolicy and its audit.
const ENFORCEMENT_POINTS: [&str; 4] = [
    "*",
    "validation.gatekeeper.sh",
    "vap.k8s.io",
    "audit.gatekeeper.sh",
];

/// Reads a Constraint; `Err` says why it cannot be read (Gatekeeper refuses such a constraint
/// too).
pub fn read(object: &Arc<Object>) -> Result<Constraint, String> {
    let spec: ConstraintSpec = model::spec(object.as_ref())?;
    let action = |a: &str| match a {
        "deny" => Ok(Action::Deny),
        "warn" => Ok(Action::Warn),
        // Gatekeeper records a dryrun violation in the audit only (its VAP binding: `Audit`).
        "dryrun" => Ok(Action::Audit),
        other => Err(format!(
            "unrecognized enforcementAction '{other}', must be deny, dryrun, warn or scoped"
        )),
    };
    let mut actions = match spec.enforcement_action.as_deref().unwrap_or("deny") {
        "scoped" => spec
            .scoped_enforcement_actions
            .iter()
            .filter(|s| {
                s.enforcement_points
                    .iter()
                    .any(|p| ENFORCEMENT_POINTS.contains(&p.name.as_str()))
            })
            .map(|s| action(&s.action))
            .collect::<Result<Vec<_>, _>>()?,
        other => vec![action(other)?],
    };
    actions.sort();
    actions.dedup();
    Ok(Constraint {
        object: Arc::clone(object),
        matches: spec.matches,
        actions,
    })
}

/// What the matcher reads of an admitted object.
pub struct Subject<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    /// The namespace the request is in (`None` for cluster-scoped objects).
    pub namespace: Option<&'a str>,
    pub labels: &'a BTreeMap<String, String>,
    /// The labels of the object's Namespace (its own for a Namespace; `None` for other
    /// cluster-scoped objects).
    pub namespace_labels: Option<&'a BTreeMap<String, String>>,
}

impl Match {
    /// Whether Gatekeeper's matcher selects `s`: kinds, scope, namespaces, excludedNamespaces,
    /// labelSelector, namespaceSelector and name must all agree.
    pub fn selects(&self, s: &Subject<'_>) -> bool {
        let is_namespace = s.group.is_empty() && s.kind == "Namespace";
        // A Namespace is matched by its own name for `namespaces` and `excludedNamespaces`.
        let namespace = if is_namespace {
            Some(s.name)
        } else {
            s.namespace
        };
        let listed = |list: &[String], value: &str| list.iter().any(|x| x == "*" || x == value);
        let kinds_ok = self.kinds.is_empty()
            || self.kinds.iter().any(|k| {
                (k.kinds.is_empty() || listed(&k.kinds, s.kind))
                    && (k.api_groups.is_empty() || listed(&k.api_groups, s.group))
            });
        let scope_ok = match self.scope.as_deref() {
            Some("Cluster") => is_namespace || s.namespace.is_none(),
            Some("Namespaced") => !is_namespace && s.namespace.is_some(),
            _ => true,
        };
        // A cluster-scoped object other than a Namespace cannot be disqualified by namespace.
        let namespaces_ok = self.namespaces.is_empty()
            || namespace.is_none_or(|ns| self.namespaces.iter().any(|g| glob(g, ns)));
        let excluded_ok =
            namespace.is_none_or(|ns| !self.excluded_namespaces.iter().any(|g| glob(g, ns)));
        let labels_ok = selected(self.label_selector.as_ref(), Some(s.labels));
        let namespace_selector_ok = selected(self.namespace_selector.as_ref(), s.namespace_labels);
        let name_ok = self
            .name
            .as_deref()
            .is_none_or(|g| g.is_empty() || glob(g, s.name));
        kinds_ok
            && scope_ok
            && namespaces_ok
            && excluded_ok
            && labels_ok
            && namespace_selector_ok
            && name_ok
    }
}

/// Gatekeeper's wildcard: a `*` at the start, the end or both (`kube-*`, `*-system`,
/// `*system*`); without one, the exact name.
fn glob(pattern: &str, value: &str) -> bool {
    let (leading, rest) = match pattern.strip_prefix('*') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let (trailing, core) = match rest.strip_suffix('*') {
        Some(core) => (true, core),
        None => (false, rest),
    };
    match (leading, trailing) {
        (false, false) => value == core,
        (false, true) => value.starts_with(core),
        (true, false) => value.ends_with(core),
        (true, true) => value.contains(core),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_as_gatekeeper_reads_them() {
        assert!(glob("kube-*", "kube-system"));
        assert!(!glob("kube-*", "my-kube-system"));
        assert!(glob("*-system", "gatekeeper-system"));
        assert!(!glob("*-system", "system-x"));
        assert!(glob("*", "anything"));
        assert!(glob("prod", "prod"));
        assert!(!glob("prod", "production"));
        assert!(glob("*sys*", "kube-system"));
    }

    fn subject<'a>(
        kind: &'a str,
        namespace: Option<&'a str>,
        labels: &'a BTreeMap<String, String>,
    ) -> Subject<'a> {
        Subject {
            group: "",
            kind,
            name: "web",
            namespace,
            labels,
            namespace_labels: namespace.map(|_| labels),
        }
    }

    #[test]
    fn scope_namespaces_and_kinds() {
        let none = BTreeMap::new();
        let m = |yaml: &str| -> Match {
            let (docs, _) = palisade_core::yaml::load_str(yaml, &Default::default());
            palisade_core::yaml::de::from_node(&docs[0].root).expect("match")
        };
        let pod = subject("Pod", Some("kube-system"), &none);
        let node = subject("Node", None, &none);
        assert!(m("scope: Namespaced").selects(&pod));
        assert!(!m("scope: Namespaced").selects(&node));
        assert!(m("scope: Cluster").selects(&node));
        assert!(m("scope: cluster").selects(&pod), "an invalid scope is *");
        assert!(!m("excludedNamespaces: [kube-*]").selects(&pod));
        assert!(m("excludedNamespaces: [kube-*]").selects(&node));
        assert!(!m("namespaces: [prod]").selects(&pod));
        assert!(m("namespaces: [prod]").selects(&node));
        assert!(m("kinds: [{apiGroups: ['*'], kinds: [Pod]}]").selects(&pod));
        assert!(!m("kinds: [{apiGroups: [apps], kinds: [Pod]}]").selects(&pod));
        assert!(m("kinds: [{kinds: []}]").selects(&node));
        assert!(m("name: 'we*'").selects(&pod));
        assert!(!m("name: 'x*'").selects(&pod));
        let ns = Subject {
            name: "kube-system",
            ..subject("Namespace", None, &none)
        };
        assert!(!m("excludedNamespaces: [kube-system]").selects(&ns));
        assert!(m("scope: Cluster").selects(&ns));
    }
}
