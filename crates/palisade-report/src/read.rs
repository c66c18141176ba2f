//! Reading saved JSON reports back (`palisade report`, `palisade diff`): the JSON any of `scan`,
//! `cluster`, `node` and `probe` writes, in the schema of `docs/json-schema.md`, becomes a
//! [`ScanReport`] again so every reporter can render it, and several become one ([`merge`]).
//!
//! Findings carry `&'static str` codes and rule names (every reporter shares them with the rule
//! registry): a code this program declares takes its rule's strings; a code it does not know (a
//! report from a newer release) is interned once per distinct text, so memory stays bounded by
//! the distinct codes, not the findings.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use palisade_core::baseline::Fingerprint;
use palisade_core::finding::{Finding, FlowStep, Location};
use palisade_core::report::{
    Declared, Evidence, InputProblem, Judged, NotEvaluated, RuleState, ScanReport, Source,
    SourceKind, Stats,
};
use palisade_core::yaml::Pos;
use palisade_core::{Fix, FixOp, FixSafety, FixValue, ObjectRef, RuleMeta, Severity};
use serde::Deserialize;
use serde_json::Value;

use crate::scorecard::{merge_judged, state_from, Scorecard};
use crate::snippet::{Snippet, Snippets};
use crate::SCHEMA_VERSION;

/// Saved reports larger than this are refused (as baselines are): a report is a few hundred bytes
/// per finding, so this is millions of findings.
pub const MAX_REPORT_BYTES: u64 = 512 << 20;

/// A saved report that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not a Palisade JSON report: {0}")]
    Invalid(#[from] serde_json::Error),
    #[error(
        "written with JSON report schema {found}; this Palisade reads schema {SCHEMA_VERSION}"
    )]
    Schema { found: u32 },
    #[error("unknown severity `{0}`")]
    Severity(String),
}

#[derive(Deserialize)]
struct Saved {
    schema_version: u32,
    findings: Vec<SavedFinding>,
    #[serde(default)]
    errors: Vec<SavedProblem>,
    #[serde(default)]
    notes: Vec<SavedProblem>,
    summary: SavedSummary,
}

#[derive(Deserialize)]
struct SavedFinding {
    code: String,
    #[serde(default)]
    rule: String,
    severity: String,
    #[serde(default)]
    pss_check: Option<String>,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    pointer: Option<String>,
    object: Option<SavedObject>,
    container: Option<String>,
    message: String,
    #[serde(default)]
    help: String,
    #[serde(default)]
    suppressed: bool,
    suppression_reason: Option<String>,
    #[serde(default)]
    fix: Option<SavedFix>,
    /// An attack path's steps (AP rules only).
    #[serde(default)]
    flow: Option<Vec<SavedStep>>,
    /// The lines of its code frame, as the scan read them.
    #[serde(default)]
    snippet: Option<Snippet>,
}

#[derive(Deserialize)]
struct SavedStep {
    message: String,
    file: Option<String>,
    line: Option<u32>,
    pointer: Option<String>,
}

#[derive(Deserialize)]
struct SavedObject {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct SavedFix {
    description: String,
    safety: String,
    ops: Vec<SavedOp>,
}

#[derive(Deserialize)]
struct SavedOp {
    op: String,
    pointer: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct SavedProblem {
    file: String,
    line: Option<u32>,
    column: Option<u32>,
    message: String,
}

#[derive(Deserialize)]
struct SavedSummary {
    #[serde(default)]
    files: usize,
    #[serde(default)]
    documents: usize,
    #[serde(default)]
    objects: usize,
    #[serde(default)]
    skipped_documents: usize,
    #[serde(default)]
    kubernetes_version: String,
    #[serde(default)]
    pod_security: Option<String>,
    #[serde(default)]
    not_evaluated: Vec<SavedNotEvaluated>,
    /// Absent in reports written before the scorecard.
    #[serde(default)]
    guide: Option<SavedGuide>,
}

#[derive(Deserialize)]
struct SavedNotEvaluated {
    code: String,
    reason: String,
}

#[derive(Deserialize)]
struct SavedGuide {
    sources: Vec<SavedSource>,
    sections: Vec<SavedSection>,
}

#[derive(Deserialize)]
struct SavedSource {
    kind: String,
    name: String,
}

#[derive(Deserialize)]
struct SavedSection {
    section: String,
    severity: String,
    rules: Vec<SavedRule>,
}

#[derive(Deserialize)]
struct SavedRule {
    code: String,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    state: String,
    reason: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
}

/// Reads one saved JSON report; `name` (its file) names it when the report does not say what fed
/// it (reports written before the scorecard).
pub fn read_report(text: &[u8], name: &str) -> Result<ScanReport, ReadError> {
    read_with_snippets(text, name).map(|(report, _)| report)
}

/// [`read_report`], also returning the code-frame lines its findings carry (see
/// [`crate::snippet`]), for rendering it with frames.
pub fn read_with_snippets(text: &[u8], name: &str) -> Result<(ScanReport, Snippets), ReadError> {
    let saved: Saved = serde_json::from_slice(text)?;
    if saved.schema_version != SCHEMA_VERSION {
        return Err(ReadError::Schema {
            found: saved.schema_version,
        });
    }
    let source: Arc<str> = Arc::from(name);
    let mut findings = Vec::with_capacity(saved.findings.len());
    let mut objects: Objects = HashMap::new();
    let mut snippets = Snippets::default();
    for mut f in saved.findings {
        let snippet = f.snippet.take();
        let finding = finding(f, &source, &mut objects)?;
        if let (Some(snippet), Some(path)) = (snippet, finding.location.path()) {
            snippets.add(&Arc::from(path), snippet);
        }
        findings.push(finding);
    }
    let problem = |p: SavedProblem| InputProblem {
        path: Arc::from(p.file),
        pos: p.line.map(|line| Pos {
            line,
            col: p.column.unwrap_or(1),
        }),
        message: p.message,
    };
    let s = saved.summary;
    let not_evaluated: Vec<NotEvaluated> = s
        .not_evaluated
        .into_iter()
        .map(|n| NotEvaluated {
            code: code_of(&n.code),
            reason: n.reason,
        })
        .collect();
    let (sources, judged) = match s.guide {
        Some(g) => {
            let sources = g
                .sources
                .into_iter()
                .map(|src| Source {
                    kind: SourceKind::parse(&src.kind).unwrap_or(SourceKind::Files),
                    name: src.name,
                })
                .collect();
            let mut index: HashMap<String, usize> = HashMap::new();
            let mut judged: Vec<Judged> = Vec::new();
            for sec in g.sections {
                let section_severity = sec.severity.parse().unwrap_or(Severity::Low);
                for r in sec.rules {
                    let Some(state) = state_from(&r.state, r.reason.as_deref()) else {
                        continue;
                    };
                    let at = *index.entry(r.code.clone()).or_insert_with(|| {
                        judged.push(Judged {
                            code: r.code.clone(),
                            state,
                            sources: r.sources,
                            declared: Some(Declared {
                                name: r.rule,
                                severity: r.severity.as_deref().and_then(|s| s.parse().ok()),
                                sections: Vec::new(),
                            }),
                        });
                        judged.len() - 1
                    });
                    if let Some(d) = judged[at].declared.as_mut() {
                        d.sections.push((sec.section.clone(), section_severity));
                    }
                }
            }
            (sources, judged)
        }
        // Before the scorecard, a report did not say which rules ran: only a rule with a finding
        // or a not-evaluated entry is known to have run, and nothing can hold on silence.
        None => {
            let kind = if s.files > 0 {
                SourceKind::Files
            } else {
                SourceKind::Cluster
            };
            let mut judged: Vec<Judged> = Vec::new();
            let codes: BTreeSet<&str> = findings.iter().map(|f| f.code).collect();
            for code in codes {
                judged.push(Judged {
                    code: code.to_owned(),
                    state: RuleState::Evaluated,
                    sources: vec![name.to_owned()],
                    declared: None,
                });
            }
            for n in &not_evaluated {
                judged.retain(|j| j.code != n.code);
                judged.push(Judged {
                    code: n.code.to_owned(),
                    state: RuleState::NotEvaluated(n.reason.clone()),
                    sources: vec![name.to_owned()],
                    declared: None,
                });
            }
            let sources = vec![Source {
                kind,
                name: name.to_owned(),
            }];
            (sources, judged)
        }
    };
    let rules = rules_of(&judged, &findings);
    let report = ScanReport {
        findings,
        problems: saved.errors.into_iter().map(problem).collect(),
        stats: Stats {
            files: s.files,
            documents: s.documents,
            objects: s.objects,
            skipped_documents: s.skipped_documents,
            subject: None,
        },
        rules,
        fail_on: None,
        kubernetes_version: s.kubernetes_version,
        pod_security: s.pod_security,
        not_evaluated,
        notes: saved.notes.into_iter().map(problem).collect(),
        baseline: None,
        evidence: Evidence {
            sources,
            nothing_judged: Vec::new(),
            judged: Some(judged),
        },
    };
    Ok((report, snippets))
}

/// Several reports as one: findings the baseline identity ([`Fingerprint`]) calls the same are
/// counted once (a multiset union: the most copies any one report has), each rule keeps the
/// state that says the most ([`merge_judged`]), and the sources are listed in order.
pub fn merge(reports: Vec<ScanReport>) -> ScanReport {
    let judged = merge_judged(
        &reports
            .iter()
            .map(|r| {
                r.evidence
                    .judged
                    .clone()
                    .unwrap_or_else(|| Scorecard::of(r).judged())
            })
            .collect::<Vec<_>>(),
    );
    let mut out = ScanReport::default();
    let mut kept: HashMap<Fingerprint, usize> = HashMap::new();
    for r in reports {
        let mut here: HashMap<Fingerprint, usize> = HashMap::new();
        for f in r.findings {
            let fp = Fingerprint::of(&f);
            let n = here.entry(fp.clone()).or_default();
            *n += 1;
            let k = kept.entry(fp).or_default();
            if *n > *k {
                *k = *n;
                out.findings.push(f);
            }
        }
        out.problems.extend(r.problems);
        out.notes.extend(r.notes);
        out.stats.files += r.stats.files;
        out.stats.documents += r.stats.documents;
        out.stats.objects += r.stats.objects;
        out.stats.skipped_documents += r.stats.skipped_documents;
        if out.kubernetes_version.is_empty() {
            out.kubernetes_version = r.kubernetes_version;
        }
        out.pod_security = out.pod_security.or(r.pod_security);
        out.not_evaluated.extend(r.not_evaluated);
        out.evidence.sources.extend(r.evidence.sources);
    }
    // What another source judged is no longer "not evaluated".
    let still: HashSet<&str> = judged
        .iter()
        .filter(|j| matches!(j.state, RuleState::NotEvaluated(_)))
        .map(|j| j.code.as_str())
        .collect();
    out.not_evaluated.retain(|n| still.contains(n.code));
    out.not_evaluated.dedup();
    out.rules = rules_of(&judged, &out.findings);
    out.evidence.judged = Some(judged);
    palisade_core::sort_for_report(&mut out.findings);
    out
}

/// The declarations of the rules a report ran (for SARIF descriptors and the HTML's docs).
fn rules_of(judged: &[Judged], findings: &[Finding]) -> Vec<&'static RuleMeta> {
    let mut codes: BTreeSet<&str> = judged
        .iter()
        .filter(|j| matches!(j.state, RuleState::Evaluated | RuleState::NotEvaluated(_)))
        .map(|j| j.code.as_str())
        .collect();
    codes.extend(findings.iter().map(|f| f.code));
    codes
        .into_iter()
        .filter_map(|c| {
            palisade_core::registry::find(c)
                .map(|r| r.meta)
                .filter(|m| m.code == c)
        })
        .collect()
}

/// The objects findings name, one shared copy each (a workload has dozens of findings):
/// `apiVersion`, kind, namespace, name.
type Objects = HashMap<(String, String, Option<String>, Option<String>), Arc<ObjectRef>>;

fn finding(
    f: SavedFinding,
    source: &Arc<str>,
    objects: &mut Objects,
) -> Result<Finding, ReadError> {
    let severity: Severity = f
        .severity
        .parse()
        .map_err(|_| ReadError::Severity(f.severity.clone()))?;
    let known = palisade_core::registry::find(&f.code).filter(|r| r.meta.code == f.code);
    let (code, rule, help) = match known {
        Some(r) => (r.meta.code, r.meta.name, r.meta.help),
        None => (intern(&f.code), intern(&f.rule), intern(&f.help)),
    };
    let pos = |line: Option<u32>, col: Option<u32>| {
        line.map(|line| Pos {
            line,
            col: col.unwrap_or(1),
        })
    };
    let start = pos(f.line, f.column);
    let location = match (f.file, f.pointer) {
        (Some(path), Some(pointer)) if start.is_some() => {
            let start = start.unwrap_or(Pos { line: 1, col: 1 });
            Location::File {
                path: Arc::from(path),
                pos: start,
                end: pos(f.end_line, f.end_column).unwrap_or(start),
                pointer,
            }
        }
        (Some(path), _) => Location::Path {
            path: Arc::from(path),
            pos: start,
        },
        (None, pointer) => Location::Object {
            source: Arc::clone(source),
            pointer: pointer.unwrap_or_default(),
        },
    };
    let object = f.object.map(|o| {
        let key = (o.api_version, o.kind, o.namespace, o.name);
        Arc::clone(objects.entry(key.clone()).or_insert_with(|| {
            Arc::new(ObjectRef {
                api_version: key.0,
                kind: key.1,
                namespace: key.2,
                name: key.3,
            })
        }))
    });
    Ok(Finding {
        code,
        rule,
        severity,
        pss_check: f.pss_check.as_deref().map(intern),
        location,
        object,
        container: f.container.map(String::into_boxed_str),
        related: None,
        message: f.message.into(),
        help,
        suppressed: f
            .suppressed
            .then(|| f.suppression_reason.unwrap_or_default().into_boxed_str()),
        baselined: false,
        fix: f.fix.and_then(fix).map(Box::new),
        flow: f.flow.map(|steps| steps.into_iter().map(step).collect()),
    })
}

/// A saved attack-path step: JSON keeps the step's file, line and pointer (no column).
fn step(s: SavedStep) -> FlowStep {
    let pos = s.line.map(|line| Pos { line, col: 1 });
    let location = match (s.file, pos) {
        (Some(path), Some(pos)) => Some(Location::File {
            path: Arc::from(path),
            pos,
            end: pos,
            pointer: s.pointer.unwrap_or_default(),
        }),
        (Some(path), None) => Some(Location::Path {
            path: Arc::from(path),
            pos: None,
        }),
        (None, _) => None,
    };
    FlowStep {
        message: s.message,
        location,
    }
}

fn fix(f: SavedFix) -> Option<Fix> {
    let safety = match f.safety.as_str() {
        "safe" => FixSafety::Safe,
        _ => FixSafety::Unsafe,
    };
    let ops = f
        .ops
        .into_iter()
        .map(|op| match op.op.as_str() {
            "set" => Some(FixOp::Set {
                pointer: op.pointer,
                value: fix_value(&op.value),
            }),
            "append" => Some(FixOp::Append {
                pointer: op.pointer,
                value: fix_value(&op.value),
            }),
            "remove" => Some(FixOp::Remove {
                pointer: op.pointer,
            }),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Fix {
        description: f.description,
        safety,
        ops,
    })
}

fn fix_value(v: &Value) -> FixValue {
    match v {
        Value::Bool(b) => FixValue::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map_or_else(|| FixValue::Str(n.to_string()), FixValue::Int),
        Value::String(s) => FixValue::Str(s.clone()),
        Value::Array(items) => FixValue::List(items.iter().map(fix_value).collect()),
        Value::Object(map) => {
            FixValue::Map(map.iter().map(|(k, v)| (k.clone(), fix_value(v))).collect())
        }
        Value::Null => FixValue::Str(String::new()),
    }
}

/// A code the registry has, as its `&'static str`; otherwise interned.
fn code_of(code: &str) -> &'static str {
    match palisade_core::registry::find(code).filter(|r| r.meta.code == code) {
        Some(r) => r.meta.code,
        None => intern(code),
    }
}

/// One leaked copy per distinct text, for strings from reports this release has no rule for.
fn intern(text: &str) -> &'static str {
    static TEXTS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut texts = TEXTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(t) = texts.get(text) {
        return t;
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    texts.insert(leaked);
    leaked
}
