//! The comparison of Palisade's loader with the libyaml oracle ([`super::libyaml_oracle`]), piece
//! by piece (a piece is a document as kubectl cuts the stream: see the oracle's step 2).
//!
//! Palisade reads the same bytes as `palisade scan` does (`source::decode`, then the loader); its
//! documents and errors are given to the piece whose lines hold the document's first node or the
//! error's position.

use std::fmt;

use palisade_core::source::{self, SourceLimits};
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
             {} only Palisade rejects, {} value mismatches, {} over the bounds",
            self.files,
            self.documents,
            self.equal,
            self.both_reject,
            self.only_libyaml_rejects,
            self.only_palisade_rejects,
            self.mismatches,
            self.bounds
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
        Value::Scalar(s) => match s.kind {
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
            (Outcome::Ok(_), false) => Verdict::OnlyPalisadeRejects(p_errors.join("; ")),
            (Outcome::Ok(o_docs), true) => {
                if o_docs.is_empty() && p_docs.is_empty() {
                    Verdict::Empty
                } else if o_docs == p_docs {
                    Verdict::Equal
                } else {
                    Verdict::Mismatch(describe_difference(&o_docs, &p_docs))
                }
            }
        };
        out.push((piece.first_line, verdict));
    }
    out
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
    format!("{path}: libyaml {} vs Palisade {}", short(a), short(b))
}
