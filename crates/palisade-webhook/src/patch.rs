//! Fixes → RFC 6902 JSONPatch against the request's object.
//!
//! A fix says "set this field" on the document model; a patch must say how, against the object
//! exactly as the API server sent it. Each op is applied to a working copy of the object as it is
//! emitted, so a later op sees the parents an earlier one created (two fixes under one missing
//! `securityContext` give one `add` of the mapping and one `add` of the second field, never two
//! `add`s where the second would replace the first).
//!
//! The webhook never changes what the user wrote: a `Set` whose target exists (and is not
//! `null`, which the API server treats as absent) is skipped, and `Remove` is never applied.

use palisade_core::yaml::{push_to, Entry, Node, Scalar, ScalarKind, Span, Value};
use palisade_core::{FixOp, FixValue};

/// One JSONPatch operation (`add` only: the webhook adds what is missing).
#[derive(Clone, Debug, PartialEq)]
pub struct PatchOp {
    /// RFC 6901 pointer, segments escaped (`~0`, `~1`).
    pub path: String,
    pub value: serde_json::Value,
}

/// The JSONPatch document.
pub fn to_json(ops: &[PatchOp]) -> serde_json::Value {
    serde_json::Value::Array(
        ops.iter()
            .map(|op| serde_json::json!({"op": "add", "path": op.path, "value": op.value}))
            .collect(),
    )
}

/// Builds the patch for `ops` against `object`, which is updated as ops are applied.
pub fn build(object: &mut Node, ops: &[&FixOp], out: &mut Vec<PatchOp>) {
    for op in ops {
        match op {
            FixOp::Set { pointer, value } => set(object, pointer, value, out),
            FixOp::Append { pointer, value } => append(object, pointer, value, out),
            // Removing is deleting something the user wrote: never at admission.
            FixOp::Remove { .. } => {}
        }
    }
}

fn segments(pointer: &str) -> Vec<&str> {
    match pointer.strip_prefix('/') {
        Some(rest) => rest.split('/').collect(),
        None => Vec::new(),
    }
}

fn unescape(seg: &str) -> String {
    palisade_core::yaml::unescape_pointer(seg).into_owned()
}

/// Walks `segs` from `node`; returns how many segments resolved to a present (non-null) node.
fn present_depth(node: &Node, segs: &[&str]) -> usize {
    let mut n = node;
    for (i, raw) in segs.iter().enumerate() {
        let next = match &n.value {
            Value::Map(entries) => {
                let key = unescape(raw);
                entries.iter().find(|e| *e.key == *key).map(|e| &e.value)
            }
            Value::Seq(items) => raw.parse::<usize>().ok().and_then(|i| items.get(i)),
            Value::Scalar(_) => None,
        };
        match next {
            Some(next) if !next.is_null() => n = next,
            _ => return i,
        }
    }
    segs.len()
}

fn set(object: &mut Node, pointer: &str, value: &FixValue, out: &mut Vec<PatchOp>) {
    let segs = segments(pointer);
    if segs.is_empty() {
        return;
    }
    let depth = present_depth(object, &segs);
    if depth == segs.len() {
        return; // the user set it
    }
    // segs[depth] is missing (or null) under a present parent: add it with the rest nested.
    let mut wrapped = value.clone();
    for raw in segs[depth + 1..].iter().rev() {
        wrapped = FixValue::Map(vec![(unescape(raw), wrapped)]);
    }
    if !insert(object, &segs[..depth], segs[depth], &wrapped) {
        return; // the parent is a sequence without that index, or a scalar: nothing to add to
    }
    out.push(PatchOp {
        path: format!("/{}", segs[..=depth].join("/")),
        value: json_of(&wrapped),
    });
}

fn append(object: &mut Node, pointer: &str, value: &FixValue, out: &mut Vec<PatchOp>) {
    let segs = segments(pointer);
    let depth = present_depth(object, &segs);
    if depth == segs.len() {
        let Some(Node {
            value: Value::Seq(items),
            ..
        }) = lookup_mut(object, &segs)
        else {
            return;
        };
        push_to(items, node_of(value));
        out.push(PatchOp {
            path: format!("{pointer}/-"),
            value: json_of(value),
        });
    } else {
        set(object, pointer, &FixValue::List(vec![value.clone()]), out);
    }
}

fn lookup_mut<'a>(node: &'a mut Node, segs: &[&str]) -> Option<&'a mut Node> {
    let mut n = node;
    for raw in segs {
        n = match &mut n.value {
            Value::Map(entries) => {
                let key = unescape(raw);
                &mut entries.iter_mut().find(|e| *e.key == *key)?.value
            }
            Value::Seq(items) => items.get_mut(raw.parse::<usize>().ok()?)?,
            Value::Scalar(_) => return None,
        };
    }
    Some(n)
}

/// Adds (or replaces a `null`) `key` under the node at `parent`. False when impossible.
fn insert(object: &mut Node, parent: &[&str], key: &str, value: &FixValue) -> bool {
    let Some(p) = lookup_mut(object, parent) else {
        return false;
    };
    let key = unescape(key);
    match &mut p.value {
        Value::Map(entries) => {
            match entries.iter_mut().find(|e| *e.key == *key) {
                Some(e) => e.value = node_of(value),
                None => push_to(
                    entries,
                    Entry {
                        key: key.into(),
                        key_span: Span::default(),
                        value: node_of(value),
                    },
                ),
            }
            true
        }
        _ => false,
    }
}

fn node_of(v: &FixValue) -> Node {
    let scalar = |text: String, kind, quoted| Value::Scalar(Scalar::new(text, kind, quoted));
    let value = match v {
        FixValue::Bool(b) => scalar(b.to_string(), ScalarKind::Bool(*b), false),
        FixValue::Int(i) => scalar(i.to_string(), ScalarKind::Int(*i), false),
        FixValue::Str(s) => scalar(s.clone(), ScalarKind::Str, true),
        FixValue::List(items) => Value::Seq(items.iter().map(node_of).collect()),
        FixValue::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| Entry {
                    key: k.as_str().into(),
                    key_span: Span::default(),
                    value: node_of(v),
                })
                .collect(),
        ),
    };
    Node {
        value,
        span: Span::default(),
    }
}

/// The JSON for a fix value.
pub fn json_of(v: &FixValue) -> serde_json::Value {
    match v {
        FixValue::Bool(b) => (*b).into(),
        FixValue::Int(i) => (*i).into(),
        FixValue::Str(s) => s.as_str().into(),
        FixValue::List(items) => items.iter().map(json_of).collect(),
        FixValue::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), json_of(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::JsonNode;

    fn obj(v: serde_json::Value) -> Node {
        serde_json::from_value::<JsonNode>(v).unwrap().0
    }

    fn set_op(p: &str, v: FixValue) -> FixOp {
        FixOp::Set {
            pointer: p.into(),
            value: v,
        }
    }

    #[test]
    fn creates_parents_once_and_skips_explicit_values() {
        let mut o = obj(
            serde_json::json!({"spec": {"securityContext": null, "containers": [{"name": "a", "imagePullPolicy": "Never"}]}}),
        );
        let ops = [
            set_op(
                "/spec/containers/0/securityContext/allowPrivilegeEscalation",
                FixValue::Bool(false),
            ),
            set_op(
                "/spec/containers/0/securityContext/readOnlyRootFilesystem",
                FixValue::Bool(true),
            ),
            set_op(
                "/spec/containers/0/imagePullPolicy",
                FixValue::str("Always"),
            ),
            set_op(
                "/spec/securityContext/seccompProfile/type",
                FixValue::str("RuntimeDefault"),
            ),
            set_op("/spec/containers/5/x", FixValue::Bool(true)),
            set_op("/metadata/annotations/a~1b", FixValue::str("v")),
        ];
        let refs: Vec<&FixOp> = ops.iter().collect();
        let mut out = Vec::new();
        build(&mut o, &refs, &mut out);
        let paths: Vec<&str> = out.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/spec/containers/0/securityContext",
                "/spec/containers/0/securityContext/readOnlyRootFilesystem",
                "/spec/securityContext",
                "/metadata",
            ]
        );
        assert_eq!(
            out[2].value,
            serde_json::json!({"seccompProfile": {"type": "RuntimeDefault"}})
        );
        assert_eq!(
            out[3].value,
            serde_json::json!({"annotations": {"a/b": "v"}})
        );
    }

    #[test]
    fn escapes_keys_in_paths() {
        let mut o = obj(serde_json::json!({"metadata": {"annotations": {}}}));
        let op = set_op("/metadata/annotations/x~1y~0z", FixValue::str("1"));
        let mut out = Vec::new();
        build(&mut o, &[&op], &mut out);
        assert_eq!(out[0].path, "/metadata/annotations/x~1y~0z");
        assert_eq!(
            o.path(&["metadata", "annotations", "x/y~z"])
                .and_then(Node::as_str),
            Some("1")
        );
    }
}
