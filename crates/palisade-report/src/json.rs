//! The JSON report: one object per run, in the schema `docs/json-schema.md` documents.
//!
//! The schema is a promise to scripts, so the model here is its own set of structs rather than
//! `Serialize` on the core types: core can change shape without changing what users parse.
//! Additive changes keep [`SCHEMA_VERSION`]; renaming, removing or retyping a field bumps it.

use std::io::{self, Write};

use palisade_core::baseline::{Baseline, Fingerprint, FingerprintParts};
use palisade_core::finding::{Finding, Location};
use palisade_core::report::{InputProblem, NotEvaluated, ScanReport};
use palisade_core::{Fix, FixOp, FixValue, ObjectRef, Severity};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::snippet::{Snippet, SnippetSource};
use crate::{severity_count, Reporter, SourceText, ToolInfo};

/// Version of the JSON report's schema, written as `schema_version`.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes the JSON report (pretty-printed, one trailing newline).
#[derive(Clone)]
pub struct JsonReporter<'a> {
    tool: ToolInfo,
    source: Option<&'a dyn SourceText>,
}

impl<'a> JsonReporter<'a> {
    pub fn new(tool: ToolInfo) -> Self {
        JsonReporter { tool, source: None }
    }

    /// File texts, for each finding's `snippet` (the lines of its code frame).
    pub fn with_source(self, source: Option<&'a dyn SourceText>) -> JsonReporter<'a> {
        JsonReporter { source, ..self }
    }
}

impl Reporter for JsonReporter<'_> {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
        let doc = Document {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: &self.tool.name,
                version: &self.tool.version,
            },
            findings: Vec::new(),
            errors: report.problems.iter().map(JsonError::from).collect(),
            notes: report.notes.iter().map(JsonError::from).collect(),
            summary: Summary::of(report),
        };
        // The findings are most of the document (a scan of 100,000 objects has hundreds of
        // thousands): they are rendered on every core and spliced into the otherwise serial
        // document, byte for byte what one pretty serialization would write (the snapshot tests
        // hold it to that).
        let frame = serde_json::to_string_pretty(&doc)?;
        let (before, after) = frame
            .split_once(EMPTY_FINDINGS)
            .expect("the document has a findings field");
        out.write_all(before.as_bytes())?;
        out.write_all(b"\"findings\": ")?;
        let snippets = self.source.map(SnippetSource::new);
        write_findings(&report.findings, snippets, out)?;
        out.write_all(after.as_bytes())?;
        out.write_all(b"\n")
    }
}

/// How the empty findings list appears in the pretty-printed frame. Strings inside the document
/// are escaped, so this text can only be the field itself.
const EMPTY_FINDINGS: &str = "\"findings\": []";

/// Writes the findings array as `serde_json`'s pretty printer writes it two levels deep. Findings
/// are rendered on every core a block at a time and written in order, so memory holds one block
/// of text, not the whole array.
/// `snippets` gives the findings' code-frame lines (`None`: no snippets), a block at a time.
fn write_findings<'a>(
    findings: &'a [Finding],
    mut snippets: Option<SnippetSource<'a>>,
    out: &mut dyn Write,
) -> io::Result<()> {
    if findings.is_empty() {
        return out.write_all(b"[]");
    }
    const BLOCK: usize = 4096;
    out.write_all(b"[\n    ")?;
    for (b, block) in findings.chunks(BLOCK).enumerate() {
        let frames = snippets
            .as_mut()
            .map(|s| s.block(block))
            .unwrap_or_default();
        let one = |(i, f): (usize, &Finding)| -> io::Result<Nested> {
            let mut json = JsonFinding::from(f);
            json.snippet = frames.get(i).and_then(Option::as_ref);
            Ok(Nested::print(&json)?)
        };
        let items: Vec<Nested> = if block.len() > 256 {
            block
                .par_iter()
                .enumerate()
                .map(one)
                .collect::<io::Result<_>>()?
        } else {
            block
                .iter()
                .enumerate()
                .map(one)
                .collect::<io::Result<_>>()?
        };
        for (i, item) in items.iter().enumerate() {
            if b > 0 || i > 0 {
                out.write_all(b",\n    ")?;
            }
            out.write_all(item.inner())?;
        }
    }
    out.write_all(b"\n  ]")
}

/// A finding pretty-printed as it reads two levels deep in the document (each line after the
/// first indented by four more spaces). serde_json's pretty printer indents from the depth where
/// it starts, so the finding is printed inside two one-item arrays and read out of them: the
/// same bytes as re-indenting each line of a top-level print, without that second pass over
/// the text (it cost 1.9 % of a 10,000-object scan's instructions; printing nested saves 0.8 %
/// net: 5,130 -> 5,089 M). JSON strings escape their line breaks,
/// so every line break here is the printer's.
struct Nested(Vec<u8>);

impl Nested {
    /// What serde_json writes around a value printed as `[[value]]`.
    const OPEN: &'static [u8] = b"[\n  [\n    ";
    const CLOSE: &'static [u8] = b"\n  ]\n]";

    fn print(value: &impl Serialize) -> serde_json::Result<Nested> {
        let text = serde_json::to_vec_pretty(&[[value]])?;
        debug_assert!(text.starts_with(Nested::OPEN) && text.ends_with(Nested::CLOSE));
        Ok(Nested(text))
    }

    /// The value's own text.
    fn inner(&self) -> &[u8] {
        &self.0[Nested::OPEN.len()..self.0.len() - Nested::CLOSE.len()]
    }
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool<'a>,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    /// Same shape as errors; never a failure.
    notes: Vec<JsonError<'a>>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    rule: &'a str,
    severity: &'a str,
    pss_check: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    pointer: Option<&'a str>,
    object: Option<JsonObject<'a>>,
    container: Option<&'a str>,
    message: &'a str,
    help: &'a str,
    suppressed: bool,
    suppression_reason: Option<&'a str>,
    baselined: bool,
    fix: Option<JsonFix<'a>>,
    /// The steps of an attack path (AP rules only: absent elsewhere, so other findings keep
    /// their shape).
    #[serde(skip_serializing_if = "Option::is_none")]
    flow: Option<Vec<JsonStep<'a>>>,
    /// The lines of its code frame as the scan read them; `null` without the file's text.
    snippet: Option<&'a Snippet>,
}

/// One step of an attack path and where its fact is written.
#[derive(Serialize)]
struct JsonStep<'a> {
    message: &'a str,
    file: Option<&'a str>,
    line: Option<u32>,
    pointer: Option<&'a str>,
}

impl<'a> From<&'a palisade_core::FlowStep> for JsonStep<'a> {
    fn from(s: &'a palisade_core::FlowStep) -> Self {
        JsonStep {
            message: &s.message,
            file: s.location.as_ref().and_then(Location::path),
            line: s
                .location
                .as_ref()
                .and_then(Location::pos)
                .filter(|p| p.line > 0)
                .map(|p| p.line),
            pointer: s.location.as_ref().and_then(Location::pointer),
        }
    }
}

/// A finding's fix, as the rule declared it (see `palisade_core::fix`).
#[derive(Serialize)]
struct JsonFix<'a> {
    description: &'a str,
    safety: &'static str,
    ops: Vec<JsonFixOp<'a>>,
}

#[derive(Serialize)]
struct JsonFixOp<'a> {
    op: &'static str,
    pointer: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
}

fn fix_value(v: &FixValue) -> serde_json::Value {
    match v {
        FixValue::Bool(b) => (*b).into(),
        FixValue::Int(i) => (*i).into(),
        FixValue::Str(s) => s.as_str().into(),
        FixValue::List(items) => items.iter().map(fix_value).collect(),
        FixValue::Map(entries) => entries
            .iter()
            .map(|(k, v)| (k.clone(), fix_value(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

impl<'a> From<&'a Fix> for JsonFix<'a> {
    fn from(f: &'a Fix) -> Self {
        JsonFix {
            description: &f.description,
            safety: f.safety.as_str(),
            ops: f
                .ops
                .iter()
                .map(|op| match op {
                    FixOp::Set { pointer, value } => JsonFixOp {
                        op: "set",
                        pointer,
                        value: Some(fix_value(value)),
                    },
                    FixOp::Remove { pointer } => JsonFixOp {
                        op: "remove",
                        pointer,
                        value: None,
                    },
                    FixOp::Append { pointer, value } => JsonFixOp {
                        op: "append",
                        pointer,
                        value: Some(fix_value(value)),
                    },
                })
                .collect(),
        }
    }
}

impl<'a> From<&'a Finding> for JsonFinding<'a> {
    fn from(f: &'a Finding) -> Self {
        let pos = f.location.pos().filter(|p| p.line > 0);
        let end = match &f.location {
            Location::File { pos, end, .. } if end.line > 0 && end >= pos => Some(*end),
            _ => None,
        };
        JsonFinding {
            code: f.code,
            rule: f.rule,
            severity: f.severity.as_str(),
            pss_check: f.pss_check,
            file: f.location.path(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.col),
            end_line: end.map(|p| p.line),
            end_column: end.map(|p| p.col),
            pointer: f.location.pointer(),
            object: f.object.as_deref().map(JsonObject::from),
            container: f.container.as_deref(),
            message: &f.message,
            help: f.help,
            suppressed: f.suppressed.is_some(),
            suppression_reason: f.suppressed.as_deref(),
            baselined: f.baselined,
            fix: f.fix.as_deref().map(JsonFix::from),
            flow: f
                .flow
                .as_deref()
                .map(|steps| steps.iter().map(JsonStep::from).collect()),
            snippet: None,
        }
    }
}

#[derive(Serialize)]
struct JsonObject<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
}

impl<'a> From<&'a ObjectRef> for JsonObject<'a> {
    fn from(o: &'a ObjectRef) -> Self {
        JsonObject {
            api_version: &o.api_version,
            kind: &o.kind,
            namespace: o.namespace.as_deref(),
            name: o.name.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    file: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    message: &'a str,
}

impl<'a> From<&'a InputProblem> for JsonError<'a> {
    fn from(p: &'a InputProblem) -> Self {
        let pos = p.pos.filter(|p| p.line > 0);
        JsonError {
            file: &p.path,
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.col),
            message: &p.message,
        }
    }
}

#[derive(Serialize)]
struct Summary<'a> {
    files: usize,
    documents: usize,
    objects: usize,
    skipped_documents: usize,
    counts: Counts,
    suppressed: usize,
    baselined: usize,
    errors: usize,
    failing: usize,
    fail_on: Option<&'a str>,
    kubernetes_version: &'a str,
    pod_security: Option<&'a str>,
    not_evaluated: Vec<JsonNotEvaluated<'a>>,
    baseline: Option<JsonBaseline<'a>>,
    /// The guide scorecard (schema 1, added in 0.2: readers of older reports find it absent).
    guide: serde_json::Value,
}

/// What `--baseline` made of the findings.
#[derive(Serialize)]
struct JsonBaseline<'a> {
    file: &'a str,
    new: usize,
    unchanged: usize,
    absent: usize,
}

#[derive(Serialize)]
struct JsonNotEvaluated<'a> {
    code: &'a str,
    rule: Option<&'a str>,
    reason: &'a str,
}

impl<'a> JsonNotEvaluated<'a> {
    fn of(report: &'a ScanReport, n: &'a NotEvaluated) -> Self {
        JsonNotEvaluated {
            code: n.code,
            rule: report
                .rules
                .iter()
                .find(|m| m.code == n.code)
                .map(|m| m.name),
            reason: &n.reason,
        }
    }
}

impl<'a> Summary<'a> {
    fn of(report: &'a ScanReport) -> Self {
        Summary {
            files: report.stats.files,
            documents: report.stats.documents,
            objects: report.stats.objects,
            skipped_documents: report.stats.skipped_documents,
            counts: Counts {
                critical: severity_count(report, Severity::Critical),
                high: severity_count(report, Severity::High),
                medium: severity_count(report, Severity::Medium),
                low: severity_count(report, Severity::Low),
            },
            suppressed: report.suppressed(),
            baselined: report.baselined(),
            errors: report.problems.len(),
            failing: report.failing(),
            fail_on: report.fail_on.map(Severity::as_str),
            kubernetes_version: &report.kubernetes_version,
            pod_security: report.pod_security.as_deref(),
            not_evaluated: report
                .not_evaluated
                .iter()
                .map(|n| JsonNotEvaluated::of(report, n))
                .collect(),
            baseline: report.baseline.as_ref().map(|b| JsonBaseline {
                file: &b.source,
                new: b.new,
                unchanged: b.unchanged,
                absent: b.absent,
            }),
            guide: crate::scorecard::Scorecard::of(report).to_json(),
        }
    }
}

/// A saved JSON report could not be used as a baseline.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("not a Palisade JSON report: {0}")]
    Invalid(#[from] serde_json::Error),
    #[error(
        "written with JSON report schema {found}; this Palisade reads schema {SCHEMA_VERSION} \
         (write the baseline again with --write-baseline)"
    )]
    Schema { found: u32 },
}

/// What a baseline needs of a saved report: the schema version and each finding's identity.
/// Unknown fields are ignored, so reports that gained fields in later releases still read.
#[derive(Deserialize)]
struct SavedReport {
    schema_version: u32,
    findings: Vec<SavedFinding>,
}

#[derive(Deserialize)]
struct SavedFinding {
    code: String,
    file: Option<String>,
    pointer: Option<String>,
    object: Option<SavedObject>,
    container: Option<String>,
    message: String,
}

#[derive(Deserialize)]
struct SavedObject {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: Option<String>,
}

/// Reads a JSON report written by `--format json`, `--output json=FILE` or `--write-baseline`
/// as a baseline; `source` names it in messages.
pub fn read_baseline(text: &[u8], source: &str) -> Result<Baseline, BaselineError> {
    let saved: SavedReport = serde_json::from_slice(text)?;
    if saved.schema_version != SCHEMA_VERSION {
        return Err(BaselineError::Schema {
            found: saved.schema_version,
        });
    }
    let mut baseline = Baseline::new(source);
    for f in &saved.findings {
        baseline.insert(Fingerprint::new(FingerprintParts {
            code: &f.code,
            object: f.object.as_ref().map(|o| {
                (
                    o.api_version.as_str(),
                    o.kind.as_str(),
                    o.namespace.as_deref(),
                    o.name.as_deref(),
                )
            }),
            container: f.container.as_deref(),
            pointer: f.pointer.as_deref(),
            file: f.file.as_deref(),
            message: &f.message,
        }));
    }
    Ok(baseline)
}

#[derive(Serialize)]
struct Counts {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use palisade_core::finding::{Finding, Location, Severity};
    use palisade_core::report::ScanReport;
    use palisade_core::yaml::Pos;

    use super::*;

    /// A value printed nested reads as its top-level print with every line after the first
    /// indented four more spaces, whatever it holds: empty and nested collections, strings
    /// with escaped line breaks and brackets, numbers, null.
    #[test]
    fn a_nested_print_is_the_top_level_print_indented() {
        let values = [
            serde_json::json!({}),
            serde_json::json!([]),
            serde_json::json!("a\nb ] [ {"),
            serde_json::json!(null),
            serde_json::json!({"a": [], "b": {}, "c": [1, {"d": "x\n  ]"}], "e": null}),
            serde_json::json!([[[]], [{"k": [true, 2.5]}]]),
        ];
        for value in values {
            let top = serde_json::to_string_pretty(&value).unwrap();
            let nested = Nested::print(&value).unwrap();
            assert_eq!(
                String::from_utf8_lossy(nested.inner()),
                top.replace('\n', "\n    "),
                "{value}"
            );
        }
    }

    fn finding(i: usize) -> Finding {
        Finding {
            code: "PS101",
            rule: "privileged-container",
            severity: if i.is_multiple_of(2) {
                Severity::Critical
            } else {
                Severity::Low
            },
            pss_check: i.is_multiple_of(3).then_some("privileged"),
            location: Location::File {
                path: Arc::from(format!("dir/f{i}.yaml").as_str()),
                pos: Pos {
                    line: i as u32 + 1,
                    col: 3,
                },
                end: Pos {
                    line: i as u32 + 1,
                    col: 13,
                },
                pointer: format!("/spec/containers/{i}/securityContext/privileged"),
            },
            object: None,
            container: Some(format!("c{i}").into()),
            related: None,
            message: format!("container \"c{i}\" runs privileged \u{2014} \"quoted\"\nnewline")
                .into(),
            help: "remove it",
            suppressed: i.is_multiple_of(7).then(|| "reason".into()),
            baselined: i.is_multiple_of(5),
            fix: None,
            flow: None,
        }
    }

    /// The spliced, parallel rendering is byte for byte one pretty serialization of the whole
    /// document, on both sides of the parallel threshold.
    #[test]
    fn spliced_rendering_equals_one_serialization() {
        for n in [0, 1, 3, 300] {
            let report = ScanReport {
                findings: (0..n).map(finding).collect(),
                ..ScanReport::default()
            };
            let tool = ToolInfo::default();
            let mut out = Vec::new();
            JsonReporter::new(tool.clone())
                .render(&report, &mut out)
                .unwrap();
            let whole = Document {
                schema_version: SCHEMA_VERSION,
                tool: Tool {
                    name: &tool.name,
                    version: &tool.version,
                },
                findings: report.findings.iter().map(JsonFinding::from).collect(),
                errors: Vec::new(),
                notes: Vec::new(),
                summary: Summary::of(&report),
            };
            let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{n} findings");
        }
    }
}
