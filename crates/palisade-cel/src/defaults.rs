//! What the API server's built-in mutating admission adds to an object before validating
//! admission (ValidatingAdmissionPolicies, Gatekeeper's webhook) sees it, for the plugins whose
//! mutation depends on nothing but the object.
//!
//! Only `DefaultTolerationSeconds` so far: enabled in every kube-apiserver by default, it gives
//! each Pod created without them tolerations of `node.kubernetes.io/not-ready` and
//! `node.kubernetes.io/unreachable` (NoExecute, 300 s). Policies read `object.spec.tolerations`
//! without `has()` because in a cluster the list is never missing (GKE's compute-class samples
//! do); offline, without the plugin, every Pod without tolerations failed them with
//! `no such key`. Objects read from a cluster or an AdmissionReview already hold the two
//! tolerations, and the plugin adds nothing to a Pod that has them. Other defaulting (field
//! defaults, the ServiceAccount plugin's token volume) is not applied: see
//! docs/custom-rules.md.

use std::collections::HashMap;
use std::sync::Arc;

use kube_cel::cel::objects::{Key, Map};
use kube_cel::cel::Value;

use crate::value;

const NOT_READY: &str = "node.kubernetes.io/not-ready";
const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// The plugin's default for both (`--default-not-ready-toleration-seconds`,
/// `--default-unreachable-toleration-seconds`).
const SECONDS: i64 = 300;

/// `object` (of API group `group` and kind `kind`) as validating admission sees it on a CREATE.
pub fn admitted(group: &str, kind: &str, object: Value) -> Value {
    if group.is_empty() && kind == "Pod" {
        with_default_tolerations(object)
    } else {
        object
    }
}

fn key(k: &str) -> Key {
    Key::String(Arc::new(k.to_owned()))
}

/// The plugin's `Admit`: a toleration with this key, or with no key, and with effect
/// `NoExecute` or no effect, already tolerates the taint; otherwise one is appended. A Pod
/// without a `spec` map or with `tolerations` that is not a list is left as it is (the API
/// server's validation refuses it).
fn with_default_tolerations(object: Value) -> Value {
    let Value::Map(pod) = &object else {
        return object;
    };
    let Some(Value::Map(spec)) = pod.map.get(&key("spec")) else {
        return object;
    };
    let existing: Vec<Value> = match spec.map.get(&key("tolerations")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::List(items)) => items.to_vec(),
        Some(_) => return object,
    };
    let text = |t: &Value, field: &str| match t {
        Value::Map(m) => match m.map.get(&key(field)) {
            Some(Value::String(s)) => s.to_string(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let tolerates = |taint: &str| {
        existing.iter().any(|t| {
            let (k, effect) = (text(t, "key"), text(t, "effect"));
            (k == taint || k.is_empty()) && (effect == "NoExecute" || effect.is_empty())
        })
    };
    let missing: Vec<&str> = [NOT_READY, UNREACHABLE]
        .into_iter()
        .filter(|taint| !tolerates(taint))
        .collect();
    if missing.is_empty() {
        return object;
    }
    let mut tolerations = existing;
    tolerations.extend(missing.into_iter().map(|taint| {
        value::map([
            ("key", value::string(taint)),
            ("operator", value::string("Exists")),
            ("effect", value::string("NoExecute")),
            ("tolerationSeconds", Value::Int(SECONDS)),
        ])
    }));
    let mut spec: HashMap<Key, Value> = (*spec.map).clone();
    spec.insert(key("tolerations"), Value::List(Arc::new(tolerations)));
    let mut pod: HashMap<Key, Value> = (*pod.map).clone();
    pod.insert(
        key("spec"),
        Value::Map(Map {
            map: Arc::new(spec),
        }),
    );
    Value::Map(Map { map: Arc::new(pod) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::source::objects_from_str;

    fn tolerations(yaml: &str) -> Vec<(String, String)> {
        let o = objects_from_str("p.yaml", yaml).objects.remove(0);
        let admitted = admitted(o.group(), o.kind(), value::to_value(&o.node));
        let Value::Map(pod) = admitted else { panic!() };
        let Some(Value::Map(spec)) = pod.map.get(&key("spec")) else {
            return Vec::new();
        };
        let Some(Value::List(items)) = spec.map.get(&key("tolerations")) else {
            return Vec::new();
        };
        items
            .iter()
            .map(|t| {
                let Value::Map(m) = t else { panic!() };
                let s = |f: &str| match m.map.get(&key(f)) {
                    Some(Value::String(s)) => s.to_string(),
                    Some(Value::Int(i)) => i.to_string(),
                    _ => String::new(),
                };
                (
                    s("key"),
                    format!(
                        "{}/{}/{}",
                        s("operator"),
                        s("effect"),
                        s("tolerationSeconds")
                    ),
                )
            })
            .collect()
    }

    const DEFAULTS: [(&str, &str); 2] = [
        (NOT_READY, "Exists/NoExecute/300"),
        (UNREACHABLE, "Exists/NoExecute/300"),
    ];

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_pod_without_them_gets_both_tolerations_after_its_own() {
        assert_eq!(
            tolerations("apiVersion: v1\nkind: Pod\nspec: {containers: []}\n"),
            owned(&DEFAULTS)
        );
        let own = "apiVersion: v1\nkind: Pod\nspec:\n  tolerations:\n  - {key: gpu, operator: Exists, effect: NoSchedule}\n";
        let mut expected = owned(&[("gpu", "Exists/NoSchedule/")]);
        expected.extend(owned(&DEFAULTS));
        assert_eq!(tolerations(own), expected);
    }

    #[test]
    fn a_pod_that_tolerates_them_is_left_alone() {
        // No key and no effect tolerate every taint.
        let all = "apiVersion: v1\nkind: Pod\nspec:\n  tolerations: [{operator: Exists}]\n";
        assert_eq!(tolerations(all), owned(&[("", "Exists//")]));
        // One of the two already tolerated (any effect when none is given): the other is added.
        let one = "apiVersion: v1\nkind: Pod\nspec:\n  tolerations:\n  - {key: node.kubernetes.io/unreachable, operator: Exists, tolerationSeconds: 60}\n";
        assert_eq!(
            tolerations(one),
            owned(&[
                (UNREACHABLE, "Exists//60"),
                (NOT_READY, "Exists/NoExecute/300")
            ])
        );
        // A NoSchedule toleration of the taint does not count.
        let no_schedule = "apiVersion: v1\nkind: Pod\nspec:\n  tolerations:\n  - {key: node.kubernetes.io/not-ready, effect: NoSchedule}\n";
        assert_eq!(tolerations(no_schedule).len(), 3);
    }

    #[test]
    fn only_pods_of_the_core_group() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nspec: {template: {spec: {}}}\n";
        let o = objects_from_str("d.yaml", deployment).objects.remove(0);
        let v = value::to_value(&o.node);
        assert_eq!(admitted(o.group(), o.kind(), v.clone()), v);
        let custom = "apiVersion: example.com/v1\nkind: Pod\nspec: {}\n";
        let o = objects_from_str("c.yaml", custom).objects.remove(0);
        let v = value::to_value(&o.node);
        assert_eq!(admitted(o.group(), o.kind(), v.clone()), v);
    }
}
