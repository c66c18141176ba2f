//! API objects (JSON) → the document model rules read. The API server has already decoded and
//! typed every field, so there is no YAML 1.1 reading to do and no source position to keep.

use std::sync::Arc;

use palisade_core::yaml::{Entry, Node, Scalar, ScalarKind, Span, Value};
use palisade_core::{Object, Origin};

/// The node for a JSON value.
pub fn node(v: &serde_json::Value) -> Node {
    let value = match v {
        serde_json::Value::Null => scalar("", ScalarKind::Null, false),
        serde_json::Value::Bool(b) => scalar(
            if *b { "true" } else { "false" },
            ScalarKind::Bool(*b),
            false,
        ),
        serde_json::Value::Number(n) => {
            let kind = match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => ScalarKind::Int(i),
                (None, Some(f)) => ScalarKind::Float(f),
                (None, None) => ScalarKind::Str,
            };
            scalar(&n.to_string(), kind, false)
        }
        // Strings are strings: `quoted` keeps the API's typing (a string "true" is not a boolean).
        serde_json::Value::String(s) => scalar(s, ScalarKind::Str, true),
        serde_json::Value::Array(items) => Value::Seq(items.iter().map(node).collect()),
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| Entry {
                    key: k.as_str().into(),
                    key_span: Span::default(),
                    value: node(v),
                })
                .collect(),
        ),
    };
    Node {
        value,
        span: Span::default(),
    }
}

fn scalar(text: &str, kind: ScalarKind, quoted: bool) -> Value {
    Value::Scalar(Scalar::new(text, kind, quoted))
}

/// The JSON a node stands for: the inverse of [`node`], for saving an inventory.
pub fn json(n: &Node) -> serde_json::Value {
    match &n.value {
        Value::Scalar(s) => match s.kind() {
            ScalarKind::Null => serde_json::Value::Null,
            ScalarKind::Bool(b) => serde_json::Value::Bool(b),
            ScalarKind::Int(i) => i.into(),
            ScalarKind::Float(f) => serde_json::Number::from_f64(f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            ScalarKind::Str => serde_json::Value::String(s.text.to_string()),
        },
        Value::Seq(items) => serde_json::Value::Array(items.iter().map(json).collect()),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|e| (e.key.to_string(), json(&e.value)))
                .collect(),
        ),
    }
}

/// An object read from the API server named `source` (the kubeconfig context, or "in-cluster").
pub fn object(source: &Arc<str>, v: &serde_json::Value) -> Object {
    Object {
        origin: Origin::Api {
            source: Arc::clone(source),
        },
        node: node(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_types_map_to_scalar_kinds() {
        let v = serde_json::json!({"a": true, "b": 3, "c": "true", "d": null, "e": [1.5], "f": {"g": "x"}});
        let n = node(&v);
        assert_eq!(n.get("a").unwrap().as_bool(), Some(true));
        assert_eq!(n.get("b").unwrap().as_i64(), Some(3));
        assert_eq!(
            n.get("c").unwrap().as_bool(),
            None,
            "a string is not a boolean"
        );
        assert_eq!(n.get("c").unwrap().as_str(), Some("true"));
        assert!(n.get("d").unwrap().is_null());
        assert_eq!(n.path(&["f", "g"]).unwrap().as_str(), Some("x"));
        assert_eq!(n.get("e").unwrap().items().len(), 1);
    }
}
