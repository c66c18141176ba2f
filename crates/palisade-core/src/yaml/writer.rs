//! A small value tree for generated objects and its YAML rendering: the one writer of generated
//! YAML (the hardening bundle, exported ValidatingAdmissionPolicies).
//!
//! Generated objects are rendered as block YAML, the way `kubectl get -o yaml` writes them, and
//! parsed back with Palisade's own loader before anything else uses them: the re-scan then reads
//! exactly the text the user applies, so a rendering mistake cannot hide behind an in-memory model.

use super::scalar::plain_or_quoted as quote;
use super::{Node, ScalarType, Value};

/// A YAML value. Strings and keys are written by [`super::scalar::plain_or_quoted`],
/// quoted whenever a YAML 1.1 reader (Kubernetes) could read them as anything but that string:
/// values the bundle copies from scanned objects (which a tenant may control) cannot leave their
/// position.
#[derive(Clone, Debug, PartialEq)]
pub enum Y {
    Str(String),
    /// A scalar written as is: numbers, booleans, `null`.
    Plain(String),
    Seq(Vec<Y>),
    Map(Vec<(String, Y)>),
}

impl Y {
    pub fn str(s: impl Into<String>) -> Y {
        Y::Str(s.into())
    }

    pub fn int(n: i64) -> Y {
        Y::Plain(n.to_string())
    }

    pub fn bool(b: bool) -> Y {
        Y::Plain(b.to_string())
    }

    /// A mapping from `(key, value)` pairs, in order.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Y)>) -> Y {
        Y::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn seq(items: impl IntoIterator<Item = Y>) -> Y {
        Y::Seq(items.into_iter().collect())
    }

    /// An empty mapping (`{}`), as in `podSelector: {}`.
    pub fn empty() -> Y {
        Y::Map(Vec::new())
    }

    /// The value at `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Y> {
        match self {
            Y::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets `key` of a mapping (replacing an existing entry in place, else appending). Does
    /// nothing on a value that is not a mapping.
    pub fn set(&mut self, key: &str, value: Y) {
        if let Y::Map(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(e) => e.1 = value,
                None => entries.push((key.to_owned(), value)),
            }
        }
    }

    /// The mapping at `key`, created (or replaced, if it is not a mapping) when needed; a value
    /// that is not a mapping itself becomes an empty one first.
    pub fn map_at(&mut self, key: &str) -> &mut Y {
        if !matches!(self, Y::Map(_)) {
            *self = Y::empty();
        }
        let Y::Map(entries) = self else {
            unreachable!("made a mapping above")
        };
        let i = match entries.iter().position(|(k, _)| k == key) {
            Some(i) => {
                if !matches!(entries[i].1, Y::Map(_)) {
                    entries[i].1 = Y::empty();
                }
                i
            }
            None => {
                entries.push((key.to_owned(), Y::empty()));
                entries.len() - 1
            }
        };
        &mut entries[i].1
    }

    /// The value tree of a loaded document node, keeping how scalars read: a string stays a
    /// string (quoted on output when needed), a number or boolean stays plain.
    pub fn from_node(node: &Node) -> Y {
        match &node.value {
            Value::Map(entries) => Y::Map(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), Y::from_node(&e.value)))
                    .collect(),
            ),
            Value::Seq(items) => Y::Seq(items.iter().map(Y::from_node).collect()),
            Value::Scalar(s) => match s.scalar_type() {
                ScalarType::Str => Y::Str(s.text.to_string()),
                ScalarType::Null => Y::Plain("null".to_owned()),
                _ => Y::Plain(s.text.to_string()),
            },
        }
    }

    /// Block YAML for this value as a whole document (no `---`), ending in a newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        match self {
            Y::Map(e) if !e.is_empty() => write_map(e, 0, &mut out),
            Y::Seq(i) if !i.is_empty() => write_seq(i, 0, &mut out),
            other => {
                out.push_str(&inline(other).expect("scalars and empty collections are inline"));
                out.push('\n');
            }
        }
        out
    }
}

/// The one-line form of scalars and empty collections.
fn inline(y: &Y) -> Option<String> {
    match y {
        Y::Str(s) => Some(quote(s)),
        Y::Plain(s) => Some(s.clone()),
        Y::Map(e) if e.is_empty() => Some("{}".to_owned()),
        Y::Seq(i) if i.is_empty() => Some("[]".to_owned()),
        _ => None,
    }
}

fn write_map(entries: &[(String, Y)], indent: usize, out: &mut String) {
    for (k, v) in entries {
        out.push_str(&" ".repeat(indent));
        out.push_str(&quote(k));
        out.push(':');
        match (inline(v), v) {
            (Some(text), _) => {
                out.push(' ');
                out.push_str(&text);
                out.push('\n');
            }
            (None, Y::Map(e)) => {
                out.push('\n');
                write_map(e, indent + 2, out);
            }
            (None, Y::Seq(items)) => {
                out.push('\n');
                // kubectl's style: sequence items at the key's indentation.
                write_seq(items, indent, out);
            }
            (None, _) => unreachable!("only collections are not inline"),
        }
    }
}

fn write_seq(items: &[Y], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match (inline(item), item) {
            (Some(text), _) => {
                out.push_str(&text);
                out.push('\n');
            }
            (None, Y::Map(e)) => {
                // The first entry goes on the dash's line, the rest under it.
                let mut body = String::new();
                write_map(e, indent + 2, &mut body);
                out.push_str(&body[indent + 2..]);
            }
            (None, Y::Seq(inner)) => {
                let mut body = String::new();
                write_seq(inner, indent + 2, &mut body);
                out.push_str(&body[indent + 2..]);
            }
            (None, _) => unreachable!("only collections are not inline"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::objects_from_str;

    #[test]
    fn quotes_what_yaml_1_1_would_misread() {
        for (s, q) in [
            ("web", "web"),
            ("yes", "\"yes\""),
            ("Off", "\"Off\""),
            ("53", "\"53\""),
            ("", "\"\""),
            ("v1.30", "v1.30"),
            ("169.254.169.254/32", "\"169.254.169.254/32\""),
            ("a: b", "\"a: b\""),
            ("say \"hi\"\n", "\"say \\\"hi\\\"\\n\""),
            (
                "pod-security.kubernetes.io/enforce",
                "pod-security.kubernetes.io/enforce",
            ),
        ] {
            assert_eq!(quote(s), q, "{s:?}");
        }
    }

    #[test]
    fn rendered_text_reads_back_as_the_same_values() {
        let y = Y::map([
            ("apiVersion", Y::str("v1")),
            ("kind", Y::str("Thing")),
            (
                "spec",
                Y::map([
                    ("empty", Y::empty()),
                    ("none", Y::seq([])),
                    ("port", Y::int(53)),
                    ("flag", Y::bool(false)),
                    ("word", Y::str("on")),
                    (
                        "rules",
                        Y::seq([
                            Y::map([("a", Y::str("1")), ("b", Y::seq([Y::str("x")]))]),
                            Y::seq([Y::str("nested")]),
                        ]),
                    ),
                ]),
            ),
        ]);
        let text = y.render();
        let loaded = objects_from_str("t.yaml", &text);
        assert!(loaded.errors.is_empty(), "{:?}\n{text}", loaded.errors);
        assert_eq!(Y::from_node(&loaded.objects[0].node), y, "{text}");
    }
}
