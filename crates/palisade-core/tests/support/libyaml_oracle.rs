//! The differential oracle: what Kubernetes reads from a YAML file, computed with libyaml itself
//! (`unsafe-libyaml`, a line-by-line translation of libyaml 0.2.5 to Rust) and go-yaml v2's
//! decoding rules re-implemented on top of its event stream. Nothing here uses Palisade's loader.
//!
//! The path a manifest takes in Kubernetes, and what each step does here:
//!
//! 1. **Decoding** (`kubectl`'s file visitor: `unicode.BOMOverride(unicode.UTF8.NewDecoder())`): a
//!    UTF-16 byte-order mark (LE `FF FE`, BE `FE FF`) switches to UTF-16, unpaired surrogates
//!    becoming U+FFFD; a UTF-8 mark is dropped. There is no UTF-32: its mark starts with the
//!    UTF-16LE one, so kubectl reads NULs and the file fails. Bytes that are not UTF-8 are left to
//!    libyaml, which rejects them (kubectl itself would replace them by U+FFFD; Palisade, like
//!    libyaml, refuses such a file, which is a documented choice — see docs/yaml-compatibility.md).
//! 2. **Cutting the stream** (`k8s.io/apimachinery/pkg/util/yaml.YAMLReader`): at every line that
//!    starts with `---` and has nothing after it but white space or a comment. The marker line
//!    belongs to no piece. A line such as `--- {a: 1}` is not a cut (newer kubectl refuses it, older
//!    kubectl keeps it in the piece); libyaml sees it as a document start inside the piece.
//! 3. **Parsing** each piece with libyaml's parser into go-yaml's node tree (scalar, sequence,
//!    mapping, alias), anchors recorded when their node starts, so an alias to a node that
//!    contains it is found. Every document of the piece is read (go-yaml's `Unmarshal` would read
//!    only the first one; kubectl never sees a later `...`-separated one).
//! 4. **Decoding into values** (go-yaml v2.4 `decode.go` into `interface{}`, then
//!    `sigs.k8s.io/yaml`'s conversion to JSON):
//!    - a scalar without a tag that is not plain (quoted, literal, folded) is a string;
//!    - a plain scalar, or one tagged `!!str`/`!!bool`/`!!int`/`!!float`/`!!null`/`!!timestamp`, is
//!      resolved as `resolve.go` resolves it (see [`resolve`]); a tagged scalar whose value does not
//!      resolve to its tag is an error, except an integer tagged `!!float`, which becomes a float;
//!    - any other tag (`!`, `!local`, `!!set`, …) leaves the scalar a string, and `!!binary` is
//!      base64-decoded (invalid base64 is an error);
//!    - timestamps (`2001-12-14`) stay strings: go-yaml v2 hands them to `interface{}` as text;
//!    - a mapping is filled in document order, a later key replacing an earlier one; a merge key
//!      (`<<`, plain or tagged `!!merge`) merges its value at that point: a mapping, an alias to
//!      one, or a sequence of those, the sequence's items applied last to first (so the earlier
//!      wins), each merged key replacing what is already there — go-yaml v2 has no "explicit keys
//!      win" rule; anything else is an error;
//!    - a mapping or sequence as a key is an error; keys become JSON strings as `sigs.k8s.io/yaml`
//!      makes them: a string as is, an integer in decimal, a float with Go's
//!      `FormatFloat(f, 'g', -1, 32)`, a boolean as `true`/`false`; a null or an unsigned (above
//!      `i64::MAX`) key is an error;
//!    - an alias inside the node it names is an error ("anchor value contains itself");
//!    - NaN and infinities cannot be JSON: a document holding one is an error.
//!
//! Bounds: the oracle stops (as [`Outcome::Bounds`]) past 1,000 levels of nesting or 1,000,000
//! decoded nodes, well past Palisade's own `yaml::Limits`, so that the comparison treats such
//! input as "over the bounds" rather than hanging on a billion-laughs document.

use std::collections::HashMap;
use std::ffi::CStr;
use std::mem::MaybeUninit;

use unsafe_libyaml::{
    yaml_event_delete, yaml_event_t, yaml_parser_delete, yaml_parser_initialize, yaml_parser_parse,
    yaml_parser_set_encoding, yaml_parser_set_input_string, yaml_parser_t, YAML_ALIAS_EVENT,
    YAML_DOCUMENT_END_EVENT, YAML_DOCUMENT_START_EVENT, YAML_MAPPING_END_EVENT,
    YAML_MAPPING_START_EVENT, YAML_SCALAR_EVENT, YAML_SEQUENCE_END_EVENT,
    YAML_SEQUENCE_START_EVENT, YAML_STREAM_END_EVENT, YAML_UTF8_ENCODING,
};

/// A value as Kubernetes sees it once the YAML is JSON.
#[derive(Clone, Debug)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    /// go-yaml's `uint64`: an integer above `i64::MAX`.
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<V>),
    /// Keys as JSON keys, each once (a later one replaced an earlier one), in no particular order.
    Map(Vec<(String, V)>),
}

impl PartialEq for V {
    fn eq(&self, other: &V) -> bool {
        match (self, other) {
            (V::Null, V::Null) => true,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Int(a), V::Int(b)) => a == b,
            (V::UInt(a), V::UInt(b)) => a == b,
            (V::Float(a), V::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (V::Str(a), V::Str(b)) => a == b,
            (V::Seq(a), V::Seq(b)) => a == b,
            (V::Map(a), V::Map(b)) => {
                if a.len() != b.len() {
                    return false;
                }
                let mut a: Vec<_> = a.iter().collect();
                let mut b: Vec<_> = b.iter().collect();
                a.sort_by(|x, y| x.0.cmp(&y.0));
                b.sort_by(|x, y| x.0.cmp(&y.0));
                a.iter().zip(&b).all(|(x, y)| x.0 == y.0 && x.1 == y.1)
            }
            _ => false,
        }
    }
}

impl V {
    pub fn is_null(&self) -> bool {
        matches!(self, V::Null)
    }
}

/// What the oracle says about one piece of a stream.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The piece's documents (empty ones, whose value is null, left out).
    Ok(Vec<V>),
    /// libyaml or go-yaml's decoding refuses the piece.
    Err(String),
    /// Deeper or larger than the oracle follows (see the module's "Bounds").
    Bounds(String),
}

/// Decodes a file's bytes as kubectl does (step 1). `Err` when kubectl or libyaml would refuse it.
pub fn decode_bytes(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |be: bool, rest: &[u8]| -> String {
        let units = rest.chunks(2).map(|c| match (c, be) {
            ([a, b], false) => u16::from_le_bytes([*a, *b]),
            ([a, b], true) => u16::from_be_bytes([*a, *b]),
            _ => 0xFFFD,
        });
        char::decode_utf16(units)
            .map(|r| r.unwrap_or('\u{FFFD}'))
            .collect()
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Ok(utf16(false, rest));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Ok(utf16(true, rest));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("not UTF-8: {e}"))
}

/// A piece of a stream as kubectl cuts it (step 2).
#[derive(Clone, Debug)]
pub struct Piece {
    pub text: String,
    /// 1-based line of the piece's first line.
    pub first_line: u32,
    /// 1-based last line the piece answers for: its own last line, or the marker line that ends it
    /// (a loader may report an unclosed construct there).
    pub last_line: u32,
}

/// Cuts a decoded stream as kubectl's `YAMLReader` does.
pub fn split(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut first_line = 1u32;
    let mut line_no = 0u32;
    for line in text.split_inclusive('\n') {
        line_no += 1;
        let is_cut = line.strip_prefix("---").is_some_and(|rest| {
            let rest = rest.trim();
            rest.is_empty() || rest.starts_with('#')
        });
        if is_cut {
            pieces.push(Piece {
                text: std::mem::take(&mut current),
                first_line,
                last_line: line_no,
            });
            first_line = line_no + 1;
        } else {
            current.push_str(line);
        }
    }
    pieces.push(Piece {
        text: current,
        first_line,
        last_line: line_no.max(first_line),
    });
    pieces
}

const MAX_DEPTH: usize = 1000;
const MAX_NODES: usize = 1_000_000;

const TAG: &str = "tag:yaml.org,2002:";

enum N {
    Scalar {
        value: String,
        tag: Option<String>,
        /// libyaml's `plain_implicit`: plain style without a tag, or the non-specific tag `!`.
        implicit: bool,
    },
    Seq(Vec<usize>),
    /// Keys and values, alternating.
    Map(Vec<usize>),
    /// The node the alias names.
    Alias(usize),
}

/// Parses and decodes one piece (steps 3 and 4).
pub fn load(piece: &str) -> Outcome {
    let docs = match parse(piece) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let mut out = Vec::new();
    for (nodes, root) in docs {
        let mut d = Decoder {
            nodes: &nodes,
            active: vec![false; nodes.len()],
            count: 0,
            depth: 0,
        };
        match d.value(root).and_then(|v| check_json(&v).map(|()| v)) {
            Ok(v) => {
                if !v.is_null() {
                    out.push(v);
                }
            }
            Err(e) => return e,
        }
    }
    Outcome::Ok(out)
}

type Doc = (Vec<N>, usize);

fn parse(piece: &str) -> Result<Vec<Doc>, Outcome> {
    unsafe {
        let mut parser = MaybeUninit::<yaml_parser_t>::uninit();
        let parser = parser.as_mut_ptr();
        if yaml_parser_initialize(parser).fail {
            return Err(Outcome::Err("cannot initialise libyaml".into()));
        }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING);
        yaml_parser_set_input_string(parser, piece.as_ptr(), piece.len() as u64);
        let result = parse_events(parser);
        yaml_parser_delete(parser);
        result
    }
}

unsafe fn cstr(p: *const u8) -> Option<String> {
    (!p.is_null()).then(|| CStr::from_ptr(p.cast()).to_string_lossy().into_owned())
}

unsafe fn parse_events(parser: *mut yaml_parser_t) -> Result<Vec<Doc>, Outcome> {
    let mut docs = Vec::new();
    let mut nodes: Vec<N> = Vec::new();
    let mut anchors: HashMap<String, usize> = HashMap::new();
    // Open collections: their node index.
    let mut stack: Vec<usize> = Vec::new();
    let mut root: Option<usize> = None;
    let mut event = MaybeUninit::<yaml_event_t>::uninit();
    let event = event.as_mut_ptr();
    loop {
        if yaml_parser_parse(parser, event).fail {
            let p = &*parser;
            let problem = cstr(p.problem.cast()).unwrap_or_default();
            let m = p.problem_mark;
            return Err(Outcome::Err(format!(
                "libyaml: {problem} at line {} column {}",
                m.line + 1,
                m.column + 1
            )));
        }
        let ty = (*event).type_;
        let mut new_node: Option<(N, Option<String>)> = None;
        let mut done = false;
        let mut error = None;
        if ty == YAML_STREAM_END_EVENT {
            done = true;
        } else if ty == YAML_DOCUMENT_START_EVENT {
            nodes = Vec::new();
            anchors.clear();
            root = None;
        } else if ty == YAML_DOCUMENT_END_EVENT {
            let r = root.take().unwrap_or_else(|| {
                nodes.push(N::Scalar {
                    value: String::new(),
                    tag: None,
                    implicit: true,
                });
                nodes.len() - 1
            });
            docs.push((std::mem::take(&mut nodes), r));
        } else if ty == YAML_SCALAR_EVENT {
            let s = (*event).data.scalar;
            let bytes = std::slice::from_raw_parts(s.value, s.length as usize);
            new_node = Some((
                N::Scalar {
                    value: String::from_utf8_lossy(bytes).into_owned(),
                    tag: cstr(s.tag),
                    implicit: s.plain_implicit,
                },
                cstr(s.anchor),
            ));
        } else if ty == YAML_SEQUENCE_START_EVENT {
            new_node = Some((
                N::Seq(Vec::new()),
                cstr((*event).data.sequence_start.anchor),
            ));
        } else if ty == YAML_MAPPING_START_EVENT {
            new_node = Some((N::Map(Vec::new()), cstr((*event).data.mapping_start.anchor)));
        } else if ty == YAML_SEQUENCE_END_EVENT || ty == YAML_MAPPING_END_EVENT {
            stack.pop();
        } else if ty == YAML_ALIAS_EVENT {
            let name = cstr((*event).data.alias.anchor).unwrap_or_default();
            match anchors.get(&name) {
                Some(&target) => new_node = Some((N::Alias(target), None)),
                None => error = Some(format!("unknown anchor '{name}' referenced")),
            }
        }
        yaml_event_delete(event);
        if let Some(e) = error {
            return Err(Outcome::Err(e));
        }
        if done {
            return Ok(docs);
        }
        if let Some((node, anchor)) = new_node {
            let is_collection = matches!(node, N::Seq(_) | N::Map(_));
            let id = nodes.len();
            nodes.push(node);
            if let Some(a) = anchor {
                anchors.insert(a, id);
            }
            match stack.last() {
                None => root = Some(id),
                Some(&parent) => match &mut nodes[parent] {
                    N::Seq(items) | N::Map(items) => items.push(id),
                    _ => unreachable!("only collections are on the stack"),
                },
            }
            if is_collection {
                if stack.len() >= MAX_DEPTH {
                    return Err(Outcome::Bounds(format!("nesting deeper than {MAX_DEPTH}")));
                }
                stack.push(id);
            }
        }
    }
}

struct Decoder<'a> {
    nodes: &'a [N],
    /// Alias nodes being expanded (go-yaml's `d.aliases`).
    active: Vec<bool>,
    count: usize,
    depth: usize,
}

type R<T> = Result<T, Outcome>;

fn fail<T>(msg: impl Into<String>) -> R<T> {
    Err(Outcome::Err(msg.into()))
}

impl Decoder<'_> {
    fn tick(&mut self) -> R<()> {
        self.count += 1;
        if self.count > MAX_NODES {
            return Err(Outcome::Bounds(format!("more than {MAX_NODES} nodes")));
        }
        Ok(())
    }

    fn value(&mut self, id: usize) -> R<V> {
        self.tick()?;
        match &self.nodes[id] {
            N::Scalar {
                value,
                tag,
                implicit,
            } => scalar(value, tag.as_deref(), *implicit),
            N::Seq(items) => {
                self.enter()?;
                let mut out = Vec::with_capacity(items.len());
                for &i in items {
                    out.push(self.value(i)?);
                }
                self.depth -= 1;
                Ok(V::Seq(out))
            }
            N::Map(_) => {
                self.enter()?;
                let mut out = Vec::new();
                let mut index = HashMap::new();
                self.fill(id, &mut out, &mut index)?;
                self.depth -= 1;
                Ok(V::Map(out))
            }
            &N::Alias(target) => self.alias(id, target, |d| d.value(target)),
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Outcome::Bounds(format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn alias<T>(&mut self, id: usize, _target: usize, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        if self.active[id] {
            return fail("anchor value contains itself");
        }
        self.active[id] = true;
        let r = f(self);
        self.active[id] = false;
        r
    }

    /// Decodes the pairs of mapping `id` into `out`, in order (go-yaml v2's `mapping`).
    fn fill(
        &mut self,
        id: usize,
        out: &mut Vec<(String, V)>,
        index: &mut HashMap<String, usize>,
    ) -> R<()> {
        let N::Map(pairs) = &self.nodes[id] else {
            return fail("map merge requires map or sequence of maps as the value");
        };
        for pair in pairs.chunks(2) {
            let (k, v) = (pair[0], pair[1]);
            if self.is_merge(k) {
                self.merge(v, out, index)?;
                continue;
            }
            let key = self.value(k)?;
            let key = json_key(key)?;
            let value = self.value(v)?;
            match index.get(&key) {
                Some(&i) => out[i].1 = value,
                None => {
                    index.insert(key.clone(), out.len());
                    out.push((key, value));
                }
            }
        }
        Ok(())
    }

    fn is_merge(&self, k: usize) -> bool {
        matches!(&self.nodes[k], N::Scalar { value, tag, implicit }
            if value == "<<" && (*implicit || tag.as_deref() == Some("tag:yaml.org,2002:merge")))
    }

    /// go-yaml v2's `merge`.
    fn merge(
        &mut self,
        v: usize,
        out: &mut Vec<(String, V)>,
        index: &mut HashMap<String, usize>,
    ) -> R<()> {
        self.tick()?;
        match &self.nodes[v] {
            N::Map(_) => self.fill(v, out, index),
            &N::Alias(target) => {
                if !matches!(self.nodes[target], N::Map(_)) {
                    return fail("map merge requires map or sequence of maps as the value");
                }
                self.alias(v, target, |d| d.fill(target, out, index))
            }
            N::Seq(items) => {
                for &item in items.iter().rev() {
                    match &self.nodes[item] {
                        N::Map(_) => self.fill(item, out, index)?,
                        &N::Alias(target) if matches!(self.nodes[target], N::Map(_)) => {
                            self.alias(item, target, |d| d.fill(target, out, index))?
                        }
                        _ => {
                            return fail("map merge requires map or sequence of maps as the value")
                        }
                    }
                }
                Ok(())
            }
            N::Scalar { .. } => fail("map merge requires map or sequence of maps as the value"),
        }
    }
}

/// `sigs.k8s.io/yaml`'s key conversion.
fn json_key(k: V) -> R<String> {
    match k {
        V::Str(s) => Ok(s),
        V::Int(i) => Ok(i.to_string()),
        V::Bool(b) => Ok(b.to_string()),
        V::Float(f) => Ok(go_format_float32_g(f)),
        V::Seq(_) | V::Map(_) => fail("invalid map key"),
        V::Null | V::UInt(_) => fail("unsupported map key"),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)` with `sigs.k8s.io/yaml`'s names for the infinities
/// and NaN.
pub fn go_format_float32_g(f: f64) -> String {
    let g = f as f32;
    if g.is_nan() {
        return ".nan".into();
    }
    if g.is_infinite() {
        return if g > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if g == 0.0 {
        return if g.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Shortest digits that round-trip as f32, and the decimal exponent.
    let e = format!("{g:e}");
    let (mantissa, exp) = e.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if neg { "-" } else { "" };
    // %e when exp < -4 || exp >= eprec, eprec = 6 for the shortest form (but at least the digit
    // count when that is larger... Go: `if shortest { eprec = 6 }`).
    if !(-4..6).contains(&exp) {
        let mut s = String::from(sign);
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            s.push('0');
        }
        s.push_str(&a.to_string());
        s
    } else if exp < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        }
    }
}

/// go-yaml v2's `scalar` into `interface{}`.
fn scalar(value: &str, tag: Option<&str>, implicit: bool) -> R<V> {
    let Some(tag) = tag else {
        if !implicit {
            return Ok(V::Str(value.to_owned()));
        }
        return resolve_checked("", value);
    };
    match tag.strip_prefix(TAG) {
        Some("str" | "bool" | "int" | "float" | "null" | "timestamp") => {
            resolve_checked(tag, value)
        }
        Some("binary") => match base64_std(value) {
            Some(bytes) => Ok(V::Str(String::from_utf8_lossy(&bytes).into_owned())),
            None => fail("!!binary value contains invalid base64 data"),
        },
        // `!`, local tags, other global tags: not resolvable, the text stays a string.
        _ => Ok(V::Str(value.to_owned())),
    }
}

/// `resolve` with its deferred check: a tag the value does not resolve to is an error, except an
/// integer tagged `!!float`.
fn resolve_checked(tag: &str, value: &str) -> R<V> {
    let (rtag, v) = resolve(tag, value);
    let short = tag.strip_prefix(TAG).unwrap_or(tag);
    let v = if tag.is_empty() || short == rtag || short == "str" {
        v
    } else if short == "float" && rtag == "int" {
        match v {
            V::Int(i) => V::Float(i as f64),
            _ => return fail(format!("cannot decode !!{rtag} `{value}` as a !!{short}")),
        }
    } else {
        return fail(format!("cannot decode !!{rtag} `{value}` as a !!{short}"));
    };
    Ok(v)
}

/// NaN and the infinities cannot be JSON values (they can be keys: `sigs.k8s.io/yaml` names them).
fn check_json(v: &V) -> R<()> {
    match v {
        V::Float(f) if !f.is_finite() => fail(format!("json: unsupported value: {f}")),
        V::Seq(items) => items.iter().try_for_each(check_json),
        V::Map(entries) => entries.iter().try_for_each(|(_, v)| check_json(v)),
        _ => Ok(()),
    }
}

/// go-yaml v2.4's `resolve`: the short tag it resolves to and the value. Timestamps are returned
/// as their text (go-yaml v2 gives `interface{}` the string).
pub fn resolve(tag: &str, input: &str) -> (&'static str, V) {
    let short = tag.strip_prefix(TAG).unwrap_or(tag);
    let s = |v: &str| V::Str(v.to_owned());
    let hint = match input.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint != 0 && short != "str" && short != "binary" {
        match input {
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
                return ("bool", V::Bool(true))
            }
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off"
            | "OFF" => return ("bool", V::Bool(false)),
            "" | "~" | "null" | "Null" | "NULL" => return ("null", V::Null),
            ".nan" | ".NaN" | ".NAN" => return ("float", V::Float(f64::NAN)),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
                return ("float", V::Float(f64::INFINITY))
            }
            "-.inf" | "-.Inf" | "-.INF" => return ("float", V::Float(f64::NEG_INFINITY)),
            "<<" => return ("merge", s(input)),
            _ => {}
        }
        match hint {
            b'.' => {
                if let Some(f) = go_parse_float(input) {
                    return ("float", V::Float(f));
                }
            }
            b'D' | b'S' => {
                if (short.is_empty() || short == "timestamp") && is_timestamp(input) {
                    return ("timestamp", s(input));
                }
                let plain = input.replace('_', "");
                if let Some(i) = go_parse_int(&plain) {
                    return ("int", V::Int(i));
                }
                if let Some(u) = go_parse_uint(&plain) {
                    return ("int", V::UInt(u));
                }
                if yaml_style_float(&plain) {
                    if let Some(f) = go_parse_float(&plain) {
                        return ("float", V::Float(f));
                    }
                }
                if let Some(b) = plain.strip_prefix("0b") {
                    if let Some(i) = go_parse_radix(b, 2).and_then(|m| i64::try_from(m).ok()) {
                        return ("int", V::Int(i));
                    }
                    if let Some(u) = go_parse_radix(b, 2) {
                        return ("int", V::UInt(u));
                    }
                } else if let Some(b) = plain.strip_prefix("-0b") {
                    // ParseInt("-" + digits, 2, 64)
                    if let Some(m) = go_parse_radix(b, 2) {
                        if m <= i64::MAX as u64 + 1 {
                            return ("int", V::Int((m as i64).wrapping_neg()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    ("str", s(input))
}

/// Go's `strconv.ParseInt(s, 0, 64)` (underscores already removed by the caller).
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let m = go_parse_uint_base0(body)?;
    if neg {
        (m <= i64::MAX as u64 + 1).then(|| (m as i64).wrapping_neg())
    } else {
        i64::try_from(m).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)`: no sign.
fn go_parse_uint(s: &str) -> Option<u64> {
    go_parse_uint_base0(s)
}

fn go_parse_uint_base0(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (radix, digits) = if b[0] == b'0' && b.len() >= 2 {
        match b[1].to_ascii_lowercase() {
            b'x' => (16, &s[2..]),
            b'o' => (8, &s[2..]),
            b'b' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    go_parse_radix(digits, radix)
}

fn go_parse_radix(digits: &str, radix: u32) -> Option<u64> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// go-yaml v2.4's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for the inputs go-yaml gives it: decimal (underscores between
/// digits allowed), `inf`/`infinity`/`nan` in any case, hexadecimal with a `p` exponent. `None`
/// on a syntax error or when the value is out of range (Go returns ±Inf with `ErrRange`).
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" && body.len() == s.len() {
        return Some(f64::NAN);
    }
    if lower.starts_with("0x") {
        return go_parse_hex_float(s);
    }
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let cleaned = s.replace('_', "");
    // Go's decimal syntax: digits with at most one point, at least one digit, optional exponent.
    let b = cleaned.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut mant_digits = 0;
    let mut point = false;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => mant_digits += 1,
            b'.' if !point => point = true,
            _ => break,
        }
        i += 1;
    }
    if mant_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    let f: f64 = cleaned.parse().ok()?;
    f.is_finite().then_some(f)
}

fn go_parse_hex_float(s: &str) -> Option<f64> {
    // Rare enough in manifests that only the shape matters: go-yaml reaches ParseFloat with a hex
    // float only through the '.' hint, which a hex float cannot start with. Treat as not a float.
    let _ = s;
    None
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut saw = b'^';
    let mut hex = false;
    if b.len() >= i + 2
        && b[i] == b'0'
        && matches!(b[i + 1].to_ascii_lowercase(), b'b' | b'o' | b'x')
    {
        hex = b[i + 1].eq_ignore_ascii_case(&b'x');
        i += 2;
        saw = b'0';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// go-yaml v2's `parseTimestamp` for the formats `2006-1-2T15:4:5.999999999Z07:00` (also with
/// `t`), `2006-1-2 15:4:5.999999999` and `2006-1-2`: the shape, with field ranges checked loosely.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let num = |i: &mut usize, max_len: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max_len {
            *i += 1;
        }
        (*i > start).then(|| s[start..*i].parse().ok()).flatten()
    };
    let mut i = 5;
    let Some(month) = num(&mut i, 2) else {
        return false;
    };
    if i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i, 2) else {
        return false;
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let with_zone = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    let mut fields = [0u32; 3];
    for (n, field) in fields.iter_mut().enumerate() {
        if n > 0 {
            if i >= b.len() || b[i] != b':' {
                return false;
            }
            i += 1;
        }
        match num(&mut i, 2) {
            Some(v) => *field = v,
            None => return false,
        }
    }
    if fields[0] > 23 || fields[1] > 59 || fields[2] > 59 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 9 {
            return false;
        }
    }
    if !with_zone {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let z = &s[i + 1..];
            z.len() == 5
                && z.as_bytes()[2] == b':'
                && z[..2].bytes().all(|c| c.is_ascii_digit())
                && z[3..].bytes().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Go's `base64.StdEncoding.DecodeString` (padding required; CR and LF ignored).
fn base64_std(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|&b| b != b'\n' && b != b'\r').collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let n = clean.len() / 4;
    for (q, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && q + 1 != n) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = acc << 6 | val(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        // Go rejects non-zero bits in the padding (strict only with Strict(); std is lenient).
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}
