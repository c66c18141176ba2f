//! The document model as CEL values.
//!
//! Scalars are already resolved the way Kubernetes reads YAML (YAML 1.1: `yes` is `true`,
//! `0777` is octal), so `Scalar::kind` is the value the API server would hold. Integers are
//! `int` (Kubernetes schemas use `int64`, never `uint`); mapping keys are strings.

use std::collections::HashMap;
use std::sync::Arc;

use kube_cel::cel::objects::{Key, Map};
use kube_cel::cel::Value;
use palisade_core::yaml::{Node, ScalarKind, Value as NodeValue};

/// `node` as a CEL value.
pub fn to_value(node: &Node) -> Value {
    match &node.value {
        NodeValue::Scalar(s) => match s.kind() {
            ScalarKind::Null => Value::Null,
            ScalarKind::Bool(b) => Value::Bool(b),
            ScalarKind::Int(i) => Value::Int(i),
            ScalarKind::Float(f) => Value::Float(f),
            ScalarKind::Str => Value::String(Arc::new(s.text.to_string())),
        },
        NodeValue::Seq(items) => Value::List(Arc::new(items.iter().map(to_value).collect())),
        NodeValue::Map(entries) => {
            let map: HashMap<Key, Value> = entries
                .iter()
                .map(|e| (Key::String(Arc::new(e.key.to_string())), to_value(&e.value)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

/// A map value from string keys, for the variables Palisade builds itself (`request`).
pub fn map<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let map: HashMap<Key, Value> = entries
        .into_iter()
        .map(|(k, v)| (Key::String(Arc::new(k.to_owned())), v))
        .collect();
    Value::Map(Map { map: Arc::new(map) })
}

/// A string value.
pub fn string(s: &str) -> Value {
    Value::String(Arc::new(s.to_owned()))
}

/// The largest size anything inside `value` has: the length of its longest string or the number of
/// elements of its largest list or map, whichever is larger. The cost estimate reads every
/// collection an expression iterates as at most this large ([`crate::cost`]).
pub fn width(value: &Value) -> u64 {
    match value {
        Value::List(items) => items.iter().map(width).fold(items.len() as u64, u64::max),
        Value::Map(m) => m
            .map
            .iter()
            .map(|(k, v)| {
                let key = match k {
                    Key::String(s) => s.len() as u64,
                    _ => 1,
                };
                key.max(width(v))
            })
            .fold(m.map.len() as u64, u64::max),
        Value::String(s) => s.len() as u64,
        Value::Bytes(b) => b.len() as u64,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::yaml::load_str;

    #[test]
    fn scalars_keep_kubernetes_meaning() {
        let (docs, _) = load_str(
            "a: yes\nb: '7'\nc: 0777\nd: ~\ne: 1.5\nf: [x, yy]\n",
            &Default::default(),
        );
        let v = to_value(&docs[0].root);
        let Value::Map(m) = &v else { panic!("{v:?}") };
        let get = |k: &str| m.map.get(&Key::String(Arc::new(k.into()))).cloned();
        assert_eq!(get("a"), Some(Value::Bool(true)));
        assert_eq!(get("b"), Some(string("7")));
        assert_eq!(get("c"), Some(Value::Int(0o777)));
        assert_eq!(get("d"), Some(Value::Null));
        assert_eq!(get("e"), Some(Value::Float(1.5)));
        assert_eq!(width(&v), 6);
    }
}
