//! Fix values as YAML text (block entries and items at an indentation, flow collections,
//! scalars plain when they read back as the same string, double-quoted otherwise, and always
//! quoted in a JSON file), and whether a node already holds a value.
//!
//! One place decides how a value is written, so a `Set`, an `Append` and a created parent write
//! the same value the same way.

use super::Editor;
use crate::fix::FixValue;
use crate::yaml::node::{Node, ScalarKind, Value};
use crate::yaml::scalar::resolve_plain;

impl<'t> Editor<'t> {
    pub(super) fn block_entry(&self, out: &mut String, key: &str, value: &FixValue, indent: usize) {
        let pad = " ".repeat(indent);
        match value {
            FixValue::Map(entries) if !entries.is_empty() => {
                out.push_str(&format!("{pad}{}:{}", key_text(key, self.json), self.nl));
                for (k, v) in entries {
                    self.block_entry(out, k, v, indent + 2);
                }
            }
            FixValue::List(items) if !items.is_empty() => {
                out.push_str(&format!("{pad}{}:{}", key_text(key, self.json), self.nl));
                for item in items {
                    self.block_item(out, item, indent + 2);
                }
            }
            _ => out.push_str(&format!(
                "{pad}{}: {}{}",
                key_text(key, self.json),
                flow(value, self.json),
                self.nl
            )),
        }
    }

    pub(super) fn block_item(&self, out: &mut String, value: &FixValue, indent: usize) {
        let pad = " ".repeat(indent);
        match value {
            FixValue::Map(entries) if !entries.is_empty() => {
                let mut body = String::new();
                for (k, v) in entries {
                    self.block_entry(&mut body, k, v, indent + 2);
                }
                // The first entry goes on the dash's line.
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(&body[indent + 2..]);
            }
            _ => out.push_str(&format!("{pad}- {}{}", flow(value, self.json), self.nl)),
        }
    }
}

/// `a/b/c = v` as key `a` with the value `{b: {c: v}}`.
pub(super) fn nest(rest: &[String], value: FixValue) -> (String, FixValue) {
    let mut value = value;
    for k in rest[1..].iter().rev() {
        value = FixValue::Map(vec![(k.clone(), value)]);
    }
    (rest[0].clone(), value)
}

pub(super) fn is_empty_null(node: &Node) -> bool {
    matches!(&node.value, Value::Scalar(s) if s.is_null() && s.text.is_empty() && !s.quoted)
}

/// Whether the node already holds `value`, as Kubernetes would read it.
pub(super) fn equals(node: &Node, value: &FixValue) -> bool {
    match (value, &node.value) {
        (FixValue::Bool(b), _) => node.as_bool() == Some(*b),
        (FixValue::Int(i), _) => node.as_i64() == Some(*i),
        (FixValue::Str(s), Value::Scalar(sc)) => !sc.is_null() && *sc.text == **s,
        (FixValue::List(items), Value::Seq(nodes)) => {
            items.len() == nodes.len() && items.iter().zip(nodes).all(|(v, n)| equals(n, v))
        }
        (FixValue::Map(entries), Value::Map(_)) => {
            node.entries().len() == entries.len()
                && entries
                    .iter()
                    .all(|(k, v)| node.get(k).is_some_and(|n| equals(n, v)))
        }
        _ => false,
    }
}

/// A scalar as YAML text: plain when it reads back as the same string, double-quoted otherwise.
pub(super) fn scalar(value: &FixValue, json: bool) -> String {
    match value {
        FixValue::Bool(b) => b.to_string(),
        FixValue::Int(i) => i.to_string(),
        FixValue::Str(s) => key_text(s, json),
        _ => flow(value, json),
    }
}

/// A string as a plain scalar when that is unambiguous, else double-quoted.
pub(super) fn key_text(s: &str, json: bool) -> String {
    let plain = !json
        && !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && resolve_plain(s) == ScalarKind::Str;
    if plain {
        return s.to_owned();
    }
    crate::yaml::scalar::double_quoted(s)
}

/// A value in flow style (`[ALL]`, `{type: RuntimeDefault}`).
pub(super) fn flow(value: &FixValue, json: bool) -> String {
    match value {
        FixValue::List(items) => {
            let items: Vec<String> = items.iter().map(|v| flow(v, json)).collect();
            format!("[{}]", items.join(", "))
        }
        FixValue::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", key_text(k, json), flow(v, json)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        _ => scalar(value, json),
    }
}
