//! ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding as read from a manifest
//! (admissionregistration.k8s.io/v1; v1beta1 has the same fields).

use std::collections::BTreeMap;

use palisade_core::object::Object;
use palisade_core::yaml::de::from_node;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicySpec {
    pub param_kind: Option<ParamKind>,
    pub match_constraints: Option<MatchResources>,
    pub match_conditions: Vec<NamedExpression>,
    pub variables: Vec<NamedExpression>,
    pub validations: Vec<Validation>,
    pub failure_policy: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ParamKind {
    pub api_version: String,
    pub kind: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NamedExpression {
    pub name: String,
    pub expression: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Validation {
    pub expression: String,
    pub message: Option<String>,
    pub message_expression: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MatchResources {
    pub namespace_selector: Option<LabelSelector>,
    pub object_selector: Option<LabelSelector>,
    pub resource_rules: Vec<ResourceRule>,
    pub exclude_resource_rules: Vec<ResourceRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceRule {
    pub resource_names: Vec<String>,
    pub operations: Vec<String>,
    pub api_groups: Vec<String>,
    pub api_versions: Vec<String>,
    pub resources: Vec<String>,
    pub scope: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<Requirement>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

/// Whether an optional selector lets `labels` through: no selector, or no labels to judge (a
/// namespace selector on a cluster-scoped object), lets everything through.
pub fn selected(
    selector: Option<&LabelSelector>,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    match (selector, labels) {
        (Some(sel), Some(labels)) => sel.matches(labels),
        _ => true,
    }
}

impl LabelSelector {
    /// As `metav1.LabelSelectorAsSelector` reads it; an unknown operator matches nothing.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => value.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !r.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BindingSpec {
    pub policy_name: String,
    pub param_ref: Option<ParamRef>,
    pub match_resources: Option<MatchResources>,
    pub validation_actions: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ParamRef {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub selector: Option<LabelSelector>,
    pub parameter_not_found_action: Option<String>,
}

/// Whether `object` is a ValidatingAdmissionPolicy (`Some(false)`) or a binding (`Some(true)`).
pub fn admission_kind(object: &Object) -> Option<bool> {
    if object.group() != "admissionregistration.k8s.io" {
        return None;
    }
    match object.kind() {
        "ValidatingAdmissionPolicy" => Some(false),
        "ValidatingAdmissionPolicyBinding" => Some(true),
        _ => None,
    }
}

/// `spec` of `object` read as `T`, or why it cannot be.
pub fn spec<'a, T: Deserialize<'a> + Default>(object: &'a Object) -> Result<T, String> {
    match object.node.get("spec") {
        Some(spec) => from_node(spec).map_err(|e| e.to_string()),
        None => Ok(T::default()),
    }
}

/// The labels of `object`'s metadata.
pub fn labels(object: &palisade_core::yaml::Node) -> BTreeMap<String, String> {
    object
        .path(&["metadata", "labels"])
        .map(|l| {
            l.entries()
                .iter()
                .filter_map(|e| Some((e.key.to_string(), e.value.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
