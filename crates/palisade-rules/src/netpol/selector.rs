//! Label selectors (`metav1.LabelSelector`) as the API server reads and matches them.
//!
//! A selector is the AND of its `matchLabels` pairs and its `matchExpressions` requirements. A
//! selector with neither selects everything; whether an *absent* selector means "everything" or
//! "not set" depends on the field holding it, so that decision is left to the caller (see
//! [`super::policy`]).

use std::collections::BTreeMap;
use std::fmt;

use palisade_core::yaml::{escape_pointer, Node};

use super::PolicyError;

/// A set of labels (of a pod or a namespace).
pub type Labels = BTreeMap<String, String>;

/// The operator of a `matchExpressions` requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

impl Requirement {
    /// Upstream semantics: `In` needs the key with one of the values; `NotIn` is true when the key
    /// is absent or its value is none of them; `Exists`/`DoesNotExist` look at the key only.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_with(&|k| labels.get(k).map(String::as_str))
    }

    /// [`Requirement::matches`] over any label lookup.
    pub fn matches_with<'l>(&self, label: &dyn Fn(&str) -> Option<&'l str>) -> bool {
        let value = label(&self.key);
        let listed = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Operator::In => value.is_some_and(listed),
            Operator::NotIn => value.is_none_or(|v| !listed(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

/// A Service's `spec.selector`: a plain map of labels, not a `LabelSelector`. Unlike a label
/// selector, a missing or empty one selects no pod: the Service's endpoints are managed by hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSelector<'a>(Vec<(&'a str, &'a str)>);

impl<'a> ServiceSelector<'a> {
    /// The selector of a Service object (its root node), or `None` when it selects no pod:
    /// absent, empty, or holding a value that is not a string (the API server rejects such a
    /// Service: label values are strings).
    pub fn of(service: &'a Node) -> Option<Self> {
        let entries = service.path(&["spec", "selector"]).map(Node::entries)?;
        let pairs = entries
            .iter()
            .map(|e| Some((&*e.key, e.value.as_str()?)))
            .collect::<Option<Vec<_>>>()?;
        (!pairs.is_empty()).then_some(ServiceSelector(pairs))
    }

    /// The `(key, value)` pairs a pod must carry, all of them.
    pub fn pairs(&self) -> &[(&'a str, &'a str)] {
        &self.0
    }

    /// Whether pods with these labels are selected.
    pub fn matches_with<'l>(&self, label: impl Fn(&str) -> Option<&'l str>) -> bool {
        self.0.iter().all(|(k, v)| label(k) == Some(*v))
    }
}

/// A label selector. The empty selector (`{}`) matches every set of labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<Requirement>,
}

impl Selector {
    /// A selector of exact labels, as `matchLabels` would give it.
    pub fn from_labels(labels: &[(&str, &str)]) -> Selector {
        Selector {
            match_labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            match_expressions: Vec::new(),
        }
    }

    /// No requirement at all: selects everything.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_with(&|k| labels.get(k).map(String::as_str))
    }

    /// [`Selector::matches`] over any label lookup (RBAC keeps a role's labels as a list).
    pub fn matches_with<'l>(&self, label: &dyn Fn(&str) -> Option<&'l str>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| label(k) == Some(v.as_str()))
            && self.match_expressions.iter().all(|r| r.matches_with(label))
    }

    /// Reads a selector at `pointer`. A null node is the empty selector (the API server decodes
    /// `podSelector:` with no value as `{}`). Problems the API server would reject the object for
    /// are pushed to `errors`; the selector then holds what could be read.
    pub fn parse(node: &Node, pointer: &str, errors: &mut Vec<PolicyError>) -> Selector {
        let mut selector = Selector::default();
        if node.is_null() {
            return selector;
        }
        if node.as_map().is_none() {
            errors.push(PolicyError::new(
                pointer,
                "a label selector must be a mapping",
            ));
            return selector;
        }
        if let Some(labels) = node.get("matchLabels").filter(|n| !n.is_null()) {
            if labels.as_map().is_none() {
                errors.push(PolicyError::new(
                    format!("{pointer}/matchLabels"),
                    "matchLabels must be a mapping of label keys to values",
                ));
            }
            for e in labels.entries() {
                match e.value.as_str() {
                    Some(v) => selector
                        .match_labels
                        .push((e.key.to_string(), v.to_owned())),
                    None => errors.push(PolicyError::new(
                        format!("{pointer}/matchLabels/{}", escape_pointer(&e.key)),
                        format!("the value of label {:?} must be a string", &*e.key),
                    )),
                }
            }
        }
        if let Some(exprs) = node.get("matchExpressions").filter(|n| !n.is_null()) {
            if exprs.as_seq().is_none() {
                errors.push(PolicyError::new(
                    format!("{pointer}/matchExpressions"),
                    "matchExpressions must be a list",
                ));
            }
            for (i, expr) in exprs.items().iter().enumerate() {
                let at = format!("{pointer}/matchExpressions/{i}");
                if let Some(r) = parse_requirement(expr, &at, errors) {
                    selector.match_expressions.push(r);
                }
            }
        }
        selector
    }
}

fn parse_requirement(
    node: &Node,
    pointer: &str,
    errors: &mut Vec<PolicyError>,
) -> Option<Requirement> {
    let Some(key) = node
        .get("key")
        .and_then(Node::as_str)
        .filter(|k| !k.is_empty())
    else {
        errors.push(PolicyError::new(
            format!("{pointer}/key"),
            "a matchExpressions entry needs a key",
        ));
        return None;
    };
    let operator = match node.get("operator").and_then(Node::as_str) {
        Some("In") => Operator::In,
        Some("NotIn") => Operator::NotIn,
        Some("Exists") => Operator::Exists,
        Some("DoesNotExist") => Operator::DoesNotExist,
        other => {
            errors.push(PolicyError::new(
                format!("{pointer}/operator"),
                match other {
                    Some(op) => format!(
                        "operator {op:?} is not one of In, NotIn, Exists, DoesNotExist \
                         (they are case-sensitive)"
                    ),
                    None => "a matchExpressions entry needs an operator".to_owned(),
                },
            ));
            return None;
        }
    };
    let values: Vec<String> = node
        .get("values")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let needs_values = matches!(operator, Operator::In | Operator::NotIn);
    if needs_values && values.is_empty() {
        errors.push(PolicyError::new(
            format!("{pointer}/values"),
            format!("operator {operator:?} needs at least one value"),
        ));
        return None;
    }
    if !needs_values && !values.is_empty() {
        errors.push(PolicyError::new(
            format!("{pointer}/values"),
            format!("operator {operator:?} takes no values"),
        ));
        return None;
    }
    Some(Requirement {
        key: key.to_owned(),
        operator,
        values,
    })
}

impl fmt::Display for Selector {
    /// `kubectl`'s selector syntax: `app=web,tier in (a,b),!legacy`; `{}` for the empty
    /// selector.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("{}");
        }
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.match_expressions {
            parts.push(match r.operator {
                Operator::In => format!("{} in ({})", r.key, r.values.join(",")),
                Operator::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
                Operator::Exists => r.key.clone(),
                Operator::DoesNotExist => format!("!{}", r.key),
            });
        }
        f.write_str(&parts.join(","))
    }
}
