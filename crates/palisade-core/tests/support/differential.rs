//! The comparison of Palisade's loader with the libyaml oracle ([`super::libyaml_oracle`]), piece
//! by piece (a piece is a document as kubectl cuts the stream: see the oracle's step 2).
//!
//! Palisade reads the same bytes as `palisade scan` does (`source::decode`, then the loader); its
//! documents and errors are given to the piece whose lines hold the document's first node or the
//! error's position.

use std::fmt;

use palisade_core::source::{self, InputError, SourceLimits};
use palisade_core::yaml::{self, LoadErrorKind, Node, ScalarKind, Value};

use super::libyaml_oracle::{self as oracle, Outcome, V};

/// What one piece gave.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Nothing in it on either side (blank, comments only, empty documents).
    Empty,
    /// Both read the same documents with the same values.
    Equal,
    BothReject,
    /// libyaml (or go-yaml's decoding) refuses what Palisade reads: allowed. Why libyaml refuses.
    OnlyLibyamlRejects(String),
    /// Palisade refuses what libyaml reads: a loader bug.
    OnlyPalisadeRejects(String),
    /// Both read it, with different values: a loader bug.
    Mismatch(String),
    /// Equal once a documented deliberate difference is allowed for (see [`deliberate`]).
    Deliberate(&'static str),
    /// A known difference that is not fixed (see [`known_difference`]), counted apart.
    Known(&'static str),
    /// Over Palisade's `yaml::Limits` (or the oracle's own bounds): a deliberate refusal.
    Bounds(String),
}

/// Counts over a set of inputs.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub files: usize,
    pub documents: usize,
    pub equal: usize,
    pub both_reject: usize,
    pub only_libyaml_rejects: usize,
    pub only_palisade_rejects: usize,
    pub mismatches: usize,
    pub bounds: usize,
    pub deliberate: usize,
    pub known: usize,
    /// Why libyaml refused what Palisade read, with how often.
    pub libyaml_reasons: std::collections::BTreeMap<String, usize>,
    /// The first problems met (file, line, what), for the test's message.
    pub problems: Vec<String>,
}

impl Tally {
    pub fn add(&mut self, name: &str, results: &[(u32, Verdict)]) {
        self.files += 1;
        for (line, v) in results {
            if *v != Verdict::Empty {
                self.documents += 1;
            }
            match v {
                Verdict::Empty => {}
                Verdict::Equal => self.equal += 1,
                Verdict::BothReject => self.both_reject += 1,
                Verdict::OnlyLibyamlRejects(why) => {
                    self.only_libyaml_rejects += 1;
                    let why = why.split(" at line").next().unwrap_or(why);
                    *self.libyaml_reasons.entry(why.to_owned()).or_default() += 1;
                }
                Verdict::Bounds(_) => self.bounds += 1,
                Verdict::Deliberate(_) => self.deliberate += 1,
                Verdict::Known(why) => {
                    self.known += 1;
                    self.note(format!("{name}:{line}: known difference: {why}"));
                }
                Verdict::OnlyPalisadeRejects(why) => {
                    self.only_palisade_rejects += 1;
                    self.note(format!("{name}:{line}: only Palisade rejects: {why}"));
                }
                Verdict::Mismatch(why) => {
                    self.mismatches += 1;
                    self.note(format!("{name}:{line}: values differ: {why}"));
                }
            }
        }
    }

    fn note(&mut self, s: String) {
        if self.problems.len() < 40 {
            self.problems.push(s);
        }
    }

    pub fn is_clean(&self) -> bool {
        self.only_palisade_rejects == 0 && self.mismatches == 0
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} files, {} documents: {} equal, {} both reject, {} only libyaml rejects, \
             {} only Palisade rejects, {} value mismatches, {} over the bounds, \
             {} deliberate differences, {} known differences",
            self.files,
            self.documents,
            self.equal,
            self.both_reject,
            self.only_libyaml_rejects,
            self.only_palisade_rejects,
            self.mismatches,
            self.bounds,
            self.deliberate,
            self.known
        )?;
        for (why, n) in &self.libyaml_reasons {
            write!(f, "\n  only libyaml rejects ({n}): {why}")?;
        }
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// Palisade's reading of a node, as a JSON-like value.
pub fn value_of(node: &Node) -> V {
    match &node.value {
        Value::Scalar(s) => match s.kind() {
            ScalarKind::Null => V::Null,
            ScalarKind::Bool(b) => V::Bool(b),
            ScalarKind::Int(i) => V::Int(i),
            ScalarKind::Float(f) => V::Float(f),
            ScalarKind::Str => V::Str(s.text.to_string()),
        },
        Value::Seq(items) => V::Seq(items.iter().map(value_of).collect()),
        Value::Map(entries) => V::Map(
            entries
                .iter()
                .map(|e| (e.key.to_string(), value_of(&e.value)))
                .collect(),
        ),
    }
}

/// Compares one file's bytes. Returns each piece's first line and verdict.
pub fn compare(bytes: &[u8]) -> Vec<(u32, Verdict)> {
    let limits = SourceLimits::default();
    let oracle_text = oracle::decode_bytes(bytes);
    let palisade_text = source::decode(bytes, &limits).map(|t| t.to_string());
    // Deliberate: a file with a NUL character is not text to Palisade and is refused whole,
    // where kubectl reads the documents that do not hold it.
    let binary = matches!(palisade_text, Err(InputError::Binary(_)));
    let pieces = match &oracle_text {
        Ok(t) => oracle::split(t),
        // One piece standing for the whole file.
        Err(_) => vec![oracle::Piece {
            text: String::new(),
            first_line: 1,
            last_line: u32::MAX,
        }],
    };
    let (docs, errors) = match &palisade_text {
        Ok(t) => {
            let (d, e) = yaml::load_str(t, &limits.yaml);
            (d, e.into_iter().map(Some).collect::<Vec<_>>())
        }
        Err(_) => (Vec::new(), vec![None]),
    };
    let mut out = Vec::new();
    for piece in &pieces {
        let within = |line: u32| line >= piece.first_line && line <= piece.last_line;
        let p_docs: Vec<V> = docs
            .iter()
            .filter(|d| within(d.root.span.start.line))
            .map(|d| value_of(&d.root))
            .collect();
        // An undecodable file is refused in every piece; a load error in the piece it is in.
        let p_errors: Vec<String> = errors
            .iter()
            .filter_map(|e| match e {
                None => Some(String::from("not decodable")),
                Some(e) if within(e.pos.line) => Some(e.to_string()),
                Some(_) => None,
            })
            .collect();
        let over_limits = errors.iter().flatten().any(|e| {
            within(e.pos.line)
                && matches!(
                    e.kind,
                    LoadErrorKind::AliasLimit(_) | LoadErrorKind::DepthLimit(_)
                )
        });
        let oracle_outcome = match &oracle_text {
            Ok(_) => oracle::load(&piece.text),
            Err(e) => Outcome::Err(e.clone()),
        };
        let verdict = match (oracle_outcome, p_errors.is_empty()) {
            _ if over_limits => Verdict::Bounds(p_errors.join("; ")),
            (Outcome::Bounds(why), _) => Verdict::Bounds(why),
            (Outcome::Err(_), false) => Verdict::BothReject,
            (Outcome::Err(why), true) => Verdict::OnlyLibyamlRejects(why),
            (Outcome::Ok(_), false) if binary => {
                Verdict::Deliberate("a file with a NUL character is refused whole")
            }
            (Outcome::Ok(_), false) => Verdict::OnlyPalisadeRejects(p_errors.join("; ")),
            (Outcome::Ok(o_docs), true) => {
                if o_docs.is_empty() && p_docs.is_empty() {
                    Verdict::Empty
                } else if o_docs == p_docs {
                    Verdict::Equal
                } else if o_docs.iter().map(deliberate).collect::<Vec<_>>() == p_docs {
                    Verdict::Deliberate("integer above i64::MAX read as a float")
                } else {
                    Verdict::Mismatch(describe_difference(&o_docs, &p_docs))
                }
            }
        };
        let verdict = match verdict {
            Verdict::OnlyPalisadeRejects(_) | Verdict::Mismatch(_) => {
                match oracle_text
                    .as_deref()
                    .ok()
                    .and_then(|t| known_difference(t, &verdict))
                {
                    Some(why) => Verdict::Known(why),
                    None => verdict,
                }
            }
            v => v,
        };
        out.push((piece.first_line, verdict));
    }
    out
}

/// Why a text may read differently, for the differences known and not fixed, all between
/// libyaml's YAML 1.1 scanner and Palisade's YAML 1.2 one (`saphyr-parser`); see
/// docs/yaml-compatibility.md:
/// - NEL, LS and PS are line breaks in YAML 1.1 only;
/// - a lone CR (old Mac line ends) is not taken for a line end by the loader's repairs;
/// - libyaml ends an anchor or alias name at the first character outside `A-Za-z0-9_-` (so
///   `&a:b` is the anchor `a` on the scalar `:b`); YAML 1.2 names take any such character;
/// - in a flow collection libyaml takes `?` and `:` for indicators even without a space after
///   them (`[?x]` is a mapping), and a `-` before `,` `]` `}` for a scalar;
/// - tags: libyaml reads URI characters (`!`, `:`…) into a tag's suffix where YAML 1.2 does not.
pub fn known_difference(text: &str, verdict: &Verdict) -> Option<&'static str> {
    if text.contains(['\u{85}', '\u{2028}', '\u{2029}']) {
        return Some("NEL, LS or PS, a line break in YAML 1.1 only");
    }
    let b = text.as_bytes();
    let lone_cr = b
        .iter()
        .enumerate()
        .any(|(i, &c)| c == b'\r' && b.get(i + 1) != Some(&b'\n'));
    if lone_cr {
        return Some("a lone CR line break");
    }
    // An anchor or alias name running into a character libyaml ends it at.
    let token_start =
        |i: usize| i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b',');
    for (i, &c) in b.iter().enumerate() {
        if (c == b'&' || c == b'*') && token_start(i) {
            let name_end = b[i + 1..]
                .iter()
                .position(|&x| !(x.is_ascii_alphanumeric() || x == b'-' || x == b'_'))
                .map_or(b.len(), |p| i + 1 + p);
            if matches!(b.get(name_end), Some(b'?' | b':' | b'%' | b'@' | b'`')) {
                return Some("an anchor or alias name followed by ? : % @ or `");
            }
        }
        if matches!(c, b'?' | b':')
            && token_start(i)
            && !matches!(b.get(i + 1), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
        {
            return Some("? or : without a space after it in a flow collection");
        }
    }
    if let Verdict::OnlyPalisadeRejects(why) = verdict {
        if why.contains("':' must be followed by a valid YAML whitespace")
            || why.contains("plain scalar cannot start with '-' followed by")
        {
            return Some("libyaml's flow indicators");
        }
        if why.contains("tag") {
            return Some("tag syntax");
        }
    }
    None
}

/// libyaml's reading with Palisade's deliberate differences applied: an integer above `i64::MAX`,
/// which go-yaml reads as a `uint64`, is a float in Palisade (its scalars hold an `i64`; JSON has one
/// number type and no Kubernetes field takes such a value).
pub fn deliberate(v: &V) -> V {
    match v {
        V::UInt(u) => V::Float(*u as f64),
        V::Seq(items) => V::Seq(items.iter().map(deliberate).collect()),
        V::Map(entries) => V::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), deliberate(v)))
                .collect(),
        ),
        v => v.clone(),
    }
}

/// The first place two document lists differ, as a path and both values.
pub fn describe_difference(libyaml: &[V], palisade: &[V]) -> String {
    if libyaml.len() != palisade.len() {
        return format!(
            "libyaml reads {} documents, Palisade {}",
            libyaml.len(),
            palisade.len()
        );
    }
    for (i, (a, b)) in libyaml.iter().zip(palisade).enumerate() {
        if a != b {
            return format!("document {i}: {}", diff_path(a, b, String::new()));
        }
    }
    String::from("(no difference found)")
}

fn short(v: &V) -> String {
    let s = format!("{v:?}");
    if s.len() > 120 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(120).map_or(s.len(), |c| c.0)]
        )
    } else {
        s
    }
}

fn diff_path(a: &V, b: &V, path: String) -> String {
    match (a, b) {
        (V::Seq(x), V::Seq(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if p != q {
                    return diff_path(p, q, format!("{path}/{i}"));
                }
            }
        }
        (V::Map(x), V::Map(y)) => {
            for (k, p) in x {
                match y.iter().find(|e| &e.0 == k) {
                    Some((_, q)) if p != q => return diff_path(p, q, format!("{path}/{k}")),
                    Some(_) => {}
                    None => return format!("{path}: key {k:?} only in libyaml's reading"),
                }
            }
            for (k, _) in y {
                if !x.iter().any(|e| &e.0 == k) {
                    return format!("{path}: key {k:?} only in Palisade's reading");
                }
            }
        }
        _ => {}
    }
    if let (V::Str(x), V::Str(y)) = (a, b) {
        let common = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count();
        let tail =
            |s: &str| -> String { s.chars().skip(common.saturating_sub(3)).take(12).collect() };
        return format!(
            "{path}: strings differ at character {common}: libyaml …{:?} vs Palisade …{:?}",
            tail(x),
            tail(y)
        );
    }
    format!("{path}: libyaml {} vs Palisade {}", short(a), short(b))
}
