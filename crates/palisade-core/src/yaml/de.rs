//! A serde [`Deserializer`](serde::Deserializer) over the loaded [`Node`] tree, so that settings
//! files (`palisade.yaml`) are read into `#[derive(Deserialize)]` structs while every error still
//! names the line and column it is about.
//!
//! Why not a serde YAML crate: the loader is the one that reads manifests the way Kubernetes does
//! (YAML 1.1, merge keys, bounds, repairs), and the same file must not mean one thing to the scan
//! and another to its configuration. Reading the tree it builds keeps one YAML reading and the
//! spans that come with it.
//!
//! How a node is read, by what the target type asks for:
//!
//! - a string: any scalar but null gives its text as written (`name: yes` is `"yes"`, as a
//!   Kubernetes string field reads it); a boolean or number: the scalar as YAML 1.1 resolves it
//!   (a quoted `"true"` is not a boolean);
//! - an `Option`: always `Some` of the value. A key that is written must hold a valid value;
//!   leaving the key out is how a setting is left unset (`#[serde(default)]`), so `kind:` with
//!   nothing after it is an error rather than silently "any kind";
//! - a struct or map: a mapping, or an empty value (a section written as `webhook:` alone is a
//!   section with every default);
//! - anything else ([`serde::Deserializer::deserialize_any`]): the node as it resolved.
//!
//! Where an error points: at the value when it is a scalar with something written (`fail-on:
//! severe` points at `severe`), at the key otherwise (a list where a string belongs, an empty
//! value), at the item for an error about a list item, and at the key for an unknown key. An error
//! that a `Deserialize` impl returns after reading a node (a validation) points at that node too.
//!
//! Messages speak the language of settings files: they start with the keys leading to the value
//! (`webhook: mode: unknown mode …`), and an unknown key is named with the section it is in:
//! ``unknown mutate setting `x` (known: …)`` for a key of a mapping under `mutate:`, ``unknown
//! pod-templates field `x` `` for a key of a mapping in the list under `pod-templates:`.

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Visitor};

use super::node::{Entry, Node, Pos, ScalarKind, Value};

/// Deepest nesting read (the loader's own bound): a [`Node`] built by other code may be deeper,
/// and reading it must not exhaust the stack.
pub const MAX_DEPTH: usize = 512;

/// Reads `node` into `T`.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Node) -> Result<T, Error> {
    T::deserialize(NodeDeserializer::new(node)).map_err(|e| e.at(node.span.start))
}

/// Why a node could not be read, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", pos.map(|p| format!("{p}: ")).unwrap_or_default())]
pub struct Error {
    /// The position the error is about; `None` only for an error not yet placed.
    pub pos: Option<Pos>,
    pub message: String,
    /// An unknown key, kept until the mapping it is in names it with its section.
    unknown: Option<(String, &'static [&'static str])>,
    /// The message already names the key the erroring mapping sits under: that key adds no prefix.
    named: bool,
}

impl Error {
    fn new(message: impl Into<String>) -> Error {
        Error {
            pos: None,
            message: message.into(),
            unknown: None,
            named: false,
        }
    }

    /// Places the error at `pos` unless something deeper placed it already.
    fn at(mut self, pos: Pos) -> Error {
        self.pos.get_or_insert(pos);
        self
    }

    /// An unknown key of a mapping read at `place`: named with that place's section.
    fn in_mapping(mut self, place: Place<'_>) -> Error {
        let Some((key, known)) = self.unknown.take() else {
            return self;
        };
        let what = match place {
            Place::Root => "setting".to_owned(),
            Place::Value(section) => format!("{section} setting"),
            Place::Item("") => "field".to_owned(),
            Place::Item(list) => format!("{list} field"),
        };
        self.message = unknown_message(&what, &key, known);
        self.named = !matches!(place, Place::Root);
        self
    }

    /// An error from reading the value of `entry`: placed at the value or the key (see the
    /// module's documentation) and prefixed with the key.
    fn under(mut self, entry: &Entry) -> Error {
        let written_scalar =
            matches!(entry.value.value, Value::Scalar(_)) && !entry.value.is_null();
        let pos = if written_scalar {
            entry.value.span.start
        } else {
            entry.key_span.start
        };
        self = self.at(pos);
        if self.named {
            self.named = false;
        } else {
            self.message = format!("{}: {}", entry.key, self.message);
        }
        self
    }
}

fn unknown_message(what: &str, key: &str, known: &[&str]) -> String {
    if known.is_empty() {
        format!("unknown {what} `{key}`")
    } else {
        format!("unknown {what} `{key}` (known: {})", known.join(", "))
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }

    fn invalid_type(_unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Error::new(format!("expected {exp}"))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Error {
            unknown: Some((field.to_owned(), expected)),
            ..Error::new(unknown_message("field", field, expected))
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Error::new(format!(
            "unknown value `{variant}` (expected {})",
            one_of(expected)
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        Error::new(format!("missing `{field}`"))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Error::new(format!("`{field}` given twice"))
    }
}

/// `a, b or c`.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => "nothing".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// What holds the node being read, for naming unknown keys.
#[derive(Clone, Copy, Debug)]
enum Place<'de> {
    /// The document itself.
    Root,
    /// The value of this key.
    Value(&'de str),
    /// An item of the list under this key (`""` for a list at the root).
    Item(&'de str),
}

impl<'de> Place<'de> {
    /// The place of an item of a list read here.
    fn item(self) -> Place<'de> {
        match self {
            Place::Root => Place::Item(""),
            Place::Value(k) | Place::Item(k) => Place::Item(k),
        }
    }
}

/// The deserializer for one node.
struct NodeDeserializer<'de> {
    node: &'de Node,
    place: Place<'de>,
    depth: usize,
}

impl<'de> NodeDeserializer<'de> {
    fn new(node: &'de Node) -> Self {
        NodeDeserializer {
            node,
            place: Place::Root,
            depth: 0,
        }
    }

    /// The text of a scalar that is not null.
    fn text(&self) -> Option<&'de str> {
        match &self.node.value {
            Value::Scalar(s) if !s.is_null() => Some(&s.text),
            _ => None,
        }
    }

    fn int(&self) -> Result<i64, Error> {
        self.node
            .as_i64()
            .ok_or_else(|| Error::new("expected an integer"))
    }

    fn deeper(&self) -> Result<usize, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::new(format!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(self.depth + 1)
    }

    fn seq<V: Visitor<'de>>(self, items: &'de [Node], visitor: V) -> Result<V::Value, Error> {
        let depth = self.deeper()?;
        visitor.visit_seq(Items {
            items: items.iter(),
            place: self.place.item(),
            depth,
        })
    }

    fn map<V: Visitor<'de>>(self, entries: &'de [Entry], visitor: V) -> Result<V::Value, Error> {
        let depth = self.deeper()?;
        visitor.visit_map(Entries {
            entries: entries.iter(),
            current: None,
            place: self.place,
            depth,
        })
    }
}

macro_rules! signed {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_i64(self.int()?)
        }
    )*};
}

macro_rules! unsigned {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            // A negative number goes to the visitor as one, which says it is out of range.
            match self.int()? {
                i if i >= 0 => visitor.visit_u64(i.unsigned_abs()),
                i => visitor.visit_i64(i),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Scalar(s) => match s.kind() {
                ScalarKind::Null => visitor.visit_unit(),
                ScalarKind::Bool(b) => visitor.visit_bool(b),
                ScalarKind::Int(i) => visitor.visit_i64(i),
                ScalarKind::Float(f) => visitor.visit_f64(f),
                ScalarKind::Str => visitor.visit_borrowed_str(&s.text),
            },
            Value::Seq(items) => self.seq(items, visitor),
            Value::Map(entries) => self.map(entries, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.as_bool() {
            Some(b) => visitor.visit_bool(b),
            None => Err(Error::new("expected true or false")),
        }
    }

    signed!(
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128
    );
    unsigned!(
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128
    );

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Scalar(s) => match s.kind() {
                ScalarKind::Int(i) => visitor.visit_f64(i as f64),
                ScalarKind::Float(f) => visitor.visit_f64(f),
                _ => Err(Error::new("expected a number")),
            },
            _ => Err(Error::new("expected a number")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut chars = self.text().unwrap_or_default().chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(Error::new("expected a single character")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.text() {
            Some(t) => visitor.visit_borrowed_str(t),
            None => Err(Error::new("expected a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.text() {
            Some(t) => visitor.visit_borrowed_bytes(t.as_bytes()),
            None => Err(Error::new("expected a string")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            visitor.visit_unit()
        } else {
            Err(Error::new("expected an empty value"))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Seq(items) => self.seq(items, visitor),
            _ => Err(Error::new("expected a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Map(entries) => self.map(entries, visitor),
            _ if self.node.is_null() => self.map(&[], visitor),
            _ => Err(Error::new("expected a mapping")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    /// A unit variant is its name (`mode: warn`); any other variant a mapping of one key, its
    /// name, to its content (`limit: {max: 3}`).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match (&self.node.value, self.text()) {
            (Value::Scalar(_), Some(t)) => visitor.visit_enum(BorrowedStrDeserializer::new(t)),
            (Value::Map(entries), _) if entries.len() == 1 => {
                let depth = self.deeper()?;
                visitor.visit_enum(Variant {
                    entry: &entries[0],
                    depth,
                })
            }
            _ => Err(Error::new(format!("expected {}", one_of(variants)))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    /// Nothing under an ignored node is read, however deep it is.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// The items of a sequence; an error is placed at its item.
struct Items<'de> {
    items: std::slice::Iter<'de, Node>,
    place: Place<'de>,
    depth: usize,
}

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let de = NodeDeserializer {
            node,
            place: self.place,
            depth: self.depth,
        };
        seed.deserialize(de)
            .map(Some)
            .map_err(|e| e.at(node.span.start))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of a mapping; an unknown key is placed at the key, an error in a value under it.
struct Entries<'de> {
    entries: std::slice::Iter<'de, Entry>,
    /// The entry whose key was read last, whose value comes next.
    current: Option<&'de Entry>,
    /// Where the mapping itself is.
    place: Place<'de>,
    depth: usize,
}

impl<'de> de::MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(entry);
        seed.deserialize(BorrowedStrDeserializer::new(&entry.key))
            .map(Some)
            .map_err(|e: Error| e.in_mapping(self.place).at(entry.key_span.start))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some(entry) = self.current.take() else {
            return Err(Error::new("a value was asked for before its key"));
        };
        let de = NodeDeserializer {
            node: &entry.value,
            place: Place::Value(&entry.key),
            depth: self.depth,
        };
        seed.deserialize(de).map_err(|e| e.under(entry))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum written as a mapping of one key: the variant's name, and its content as the value.
struct Variant<'de> {
    entry: &'de Entry,
    depth: usize,
}

impl<'de> Variant<'de> {
    fn content(&self) -> NodeDeserializer<'de> {
        NodeDeserializer {
            node: &self.entry.value,
            place: Place::Value(&self.entry.key),
            depth: self.depth,
        }
    }
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let name = seed
            .deserialize(BorrowedStrDeserializer::<Error>::new(&self.entry.key))
            .map_err(|e| e.at(self.entry.key_span.start))?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserializer::deserialize_unit(self.content(), de::IgnoredAny)
            .map(|_| ())
            .map_err(|e| e.under(self.entry))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.content())
            .map_err(|e| e.under(self.entry))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self.content(), visitor).map_err(|e| e.under(self.entry))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self.content(), visitor).map_err(|e| e.under(self.entry))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess};
    use serde::Deserialize;

    use super::*;
    use crate::yaml::{load_str, Limits, Span};

    /// Any node, through `deserialize_any`, as a self-describing format is read.
    #[derive(Debug, PartialEq)]
    enum Any {
        Null,
        Bool(bool),
        Int(i64),
        UInt(u64),
        Float(f64),
        Str(String),
        Seq(Vec<Any>),
        Map(Vec<(String, Any)>),
    }

    impl<'de> Deserialize<'de> for Any {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Any;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("anything")
                }
                fn visit_unit<E>(self) -> Result<Any, E> {
                    Ok(Any::Null)
                }
                fn visit_bool<E>(self, b: bool) -> Result<Any, E> {
                    Ok(Any::Bool(b))
                }
                fn visit_i64<E>(self, i: i64) -> Result<Any, E> {
                    Ok(Any::Int(i))
                }
                fn visit_u64<E>(self, i: u64) -> Result<Any, E> {
                    Ok(Any::UInt(i))
                }
                fn visit_f64<E>(self, f: f64) -> Result<Any, E> {
                    Ok(Any::Float(f))
                }
                fn visit_str<E>(self, s: &str) -> Result<Any, E> {
                    Ok(Any::Str(s.to_owned()))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Any, A::Error> {
                    let mut out = Vec::new();
                    while let Some(x) = a.next_element()? {
                        out.push(x);
                    }
                    Ok(Any::Seq(out))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Any, A::Error> {
                    let mut out = Vec::new();
                    while let Some(kv) = a.next_entry()? {
                        out.push(kv);
                    }
                    Ok(Any::Map(out))
                }
            }
            d.deserialize_any(V)
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    enum Shape {
        A,
        B(i32),
        C(u8, u8),
        D { x: String },
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        a: Option<u16>,
        b: Vec<Shape>,
        #[serde(default)]
        c: BTreeMap<String, (bool, char)>,
    }

    fn placed<T: DeserializeOwned>(node: &Node) {
        if let Err(e) = from_node::<T>(node) {
            assert!(e.pos.is_some(), "{e:?} for {node:?}");
            assert!(!e.message.is_empty());
        }
    }

    fn every_target(node: &Node) {
        placed::<Any>(node);
        placed::<IgnoredAny>(node);
        placed::<crate::config::Config>(node);
        placed::<crate::webhook_config::WebhookConfig>(node);
        placed::<Strict>(node);
        placed::<Shape>(node);
        placed::<Vec<Shape>>(node);
        placed::<Vec<Vec<String>>>(node);
        placed::<HashMap<String, Option<i64>>>(node);
        placed::<BTreeMap<String, Vec<u8>>>(node);
        placed::<(i128, u128, f32, char, bool, ())>(node);
        placed::<Option<String>>(node);
        placed::<Vec<Option<i8>>>(node);
        placed::<f64>(node);
        placed::<u64>(node);
        placed::<String>(node);
        placed::<Vec<u8>>(node);
        placed::<()>(node);
        if let Err(e) = from_node::<Vec<&str>>(node) {
            assert!(e.pos.is_some());
        }
    }

    /// Whatever the loader builds, reading it into any type gives a value or a placed error.
    #[test]
    fn never_panics_on_odd_nodes() {
        let texts = [
            "",
            "~\n",
            "!!null ''\n",
            "!!str 123\n",
            "!custom {a: 1}\n",
            "!!map {a: !!seq [1]}\nkey: !!binary aGVsbG8=\n",
            "a: &x [1, 2]\nb: *x\nc: {<<: {d: 1}}\n",
            "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",
            "n: 99999999999999999999999999\nm: -9223372036854775809\nh: 0x7fffffffffffffffffff\n\
             o: 0o777\nf: .inf\ng: -.nan\ne: 1e400\nz: -0\n",
            "[[[[[[[[[[]]]]]]]]]]\n",
            "{? [a, b] : c, ? {x: y} : z}\n",
            "- - - - a\n  - b\n",
            "fail-on: ~\nselect: [~, 1, true, 1.5]\nwebhook: {mutate: ~, exec-guard: \
             {cache-ttl-seconds: -1}}\n",
            "A\n",
            "B: 3\n",
            "C: [1, 300]\n",
            "D: {x: y}\n",
            "D: ~\n",
            "B: {a: 1}\n",
            "{A: 1, B: 2}\n",
            "a: 70000\nb: [A, {B: -1}, {C: [1]}, {D: {x: [1]}}, {E: 1}]\nc: {k: [yes, ab]}\n",
            "x: \"\\0\\u00e9\"\n",
            "---\na: 1\n---\n- 2\n...\n",
            "? \n: x\n",
            "\"\": 1\n",
            "- ~\n- \n- ''\n",
            "a: b\nc\n",
        ];
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let (deep_ok, deep_over) = (deep(Limits::default().max_depth - 2), deep(600));
        for text in texts
            .iter()
            .copied()
            .chain([deep_ok.as_str(), deep_over.as_str()])
        {
            let (docs, _) = load_str(text, &Limits::default());
            for d in &docs {
                every_target(&d.root);
            }
        }
    }

    /// A tree deeper than the loader allows, as other code could build it, is refused with an
    /// error rather than read until the stack runs out.
    #[test]
    fn nesting_is_bounded() {
        let mut node = Node {
            value: Value::Seq(Box::default()),
            span: Span::default(),
        };
        for _ in 0..MAX_DEPTH + 10 {
            node = Node {
                value: Value::Seq(vec![node].into()),
                span: Span::default(),
            };
        }
        let e = from_node::<Any>(&node).unwrap_err();
        assert_eq!(e.message, format!("nesting deeper than {MAX_DEPTH} levels"));
        assert!(from_node::<IgnoredAny>(&node).is_ok());
    }

    fn read<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
        let (docs, errors) = load_str(text, &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        from_node(&docs[0].root)
    }

    #[test]
    fn scalars_read_as_the_target_type_asks() {
        // A string field takes any scalar's text; a boolean only a YAML 1.1 boolean.
        assert_eq!(
            read::<Vec<String>>("[yes, 0x10, 1.50, 'x']").unwrap(),
            ["yes", "0x10", "1.50", "x"]
        );
        assert_eq!(
            read::<Vec<bool>>("[yes, off, true]").unwrap(),
            [true, false, true]
        );
        assert_eq!(
            read::<Vec<bool>>("[true, 'true']").unwrap_err().to_string(),
            "1:8: expected true or false"
        );
        assert_eq!(
            read::<Any>("[1, a, ~]").unwrap(),
            Any::Seq(vec![Any::Int(1), Any::Str("a".into()), Any::Null])
        );
        // Out of range for the field's type.
        let e = read::<BTreeMap<String, u8>>("a: 300\n").unwrap_err();
        assert_eq!(e.pos, Some(Pos { line: 1, col: 4 }));
        assert!(
            e.message.starts_with("a: invalid value: integer `300`"),
            "{e}"
        );
        // An explicit empty value is not "unset".
        assert_eq!(
            read::<BTreeMap<String, Option<String>>>("a:\n")
                .unwrap_err()
                .to_string(),
            "1:1: a: expected a string"
        );
    }

    #[test]
    fn enums_are_names_or_one_key_mappings() {
        assert!(matches!(read::<Shape>("A").unwrap(), Shape::A));
        assert!(matches!(read::<Shape>("B: 3").unwrap(), Shape::B(3)));
        assert!(matches!(
            read::<Shape>("C: [1, 2]").unwrap(),
            Shape::C(1, 2)
        ));
        assert!(matches!(read::<Shape>("D: {x: y}").unwrap(), Shape::D { x } if x == "y"));
        assert_eq!(
            read::<Shape>("E").unwrap_err().to_string(),
            "1:1: unknown value `E` (expected A, B, C or D)"
        );
        assert_eq!(
            read::<Vec<Shape>>("- D: {x: y, z: 1}")
                .unwrap_err()
                .to_string(),
            "1:13: unknown D setting `z` (known: x)"
        );
    }
}
