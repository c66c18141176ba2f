//! SARIF 2.1.0, shaped for GitHub code scanning.
//!
//! A small serde model of our own, as ruff and cargo-deny do: the SARIF crates model the whole
//! standard, and we emit a few dozen fields. Tests validate the output against the OASIS schema.
//!
//! What code scanning reads, and so what matters here:
//! - `tool.driver.rules`: every rule that ran, not only those that fired, so an alert whose rule
//!   ran and found nothing is closed rather than left open. Title (`shortDescription`), docs
//!   (`help.markdown`), `defaultConfiguration.level`, and `properties.security-severity`, which
//!   code scanning turns into its critical/high/medium/low label.
//! - `results[].partialFingerprints`: how an alert is recognised across runs. Ours hashes what
//!   identifies a finding (code, file, JSON pointer, object) and not the line, so editing
//!   unrelated parts of a manifest does not reopen or duplicate alerts.
//! - `results[].locations[0].physicalLocation`: a relative URI against `%SRCROOT%` and a region
//!   whose columns count code points (`run.columnKind`), as our positions do.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use palisade_core::finding::{Finding, Location};
use palisade_core::report::{InputProblem, NotEvaluated, ScanReport};
use palisade_core::yaml::edit::{pos_of, Editor};
use palisade_core::yaml::Pos;
use palisade_core::{RuleMeta, Severity};
use serde::Serialize;

use crate::paths::{artifact_uri, normalize};
use crate::{family, Reporter, SourceText, ToolInfo};

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `partialFingerprints` key. Versioned: if what the hash covers ever changes, the key
/// changes too, so code scanning does not match old alerts against new hashes.
const FINGERPRINT_KEY: &str = "palisade/v1";

/// Writes a SARIF 2.1.0 log with one run.
#[derive(Clone)]
pub struct SarifReporter<'s> {
    tool: ToolInfo,
    /// The scanned files' texts: findings whose rule declares a fix get SARIF `fixes` (text
    /// replacements), which need the text the fix edits.
    source: Option<&'s dyn SourceText>,
}

impl<'s> SarifReporter<'s> {
    pub fn new(tool: ToolInfo) -> Self {
        SarifReporter { tool, source: None }
    }

    /// With the scanned texts, so fixes can be reported as replacements.
    pub fn with_source(mut self, source: Option<&'s dyn SourceText>) -> Self {
        self.source = source;
        self
    }

    /// SARIF `fixes` for each finding (by index) whose fix applies in one step to its file's text
    /// as given: the same edits `palisade fix` makes, computed on the same spans.
    fn fixes(&self, report: &ScanReport) -> HashMap<usize, Vec<SarifFix>> {
        let mut out = HashMap::new();
        let Some(source) = self.source else {
            return out;
        };
        let mut by_file: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, f) in report.findings.iter().enumerate() {
            if let (Some(_), Location::File { path, .. }) = (&f.fix, &f.location) {
                by_file.entry(path).or_default().push(i);
            }
        }
        for (path, indexes) in by_file {
            let Some(text) = source.text(path) else {
                continue;
            };
            let objects = palisade_core::source::objects_from_str(path, text).objects;
            let editor = Editor::new(text);
            let (uri, relative) = artifact_uri(path);
            for i in indexes {
                let f = &report.findings[i];
                let Some(edits) = palisade_core::fix::edits_of(&editor, &objects, f) else {
                    continue;
                };
                let fix = f.fix.as_deref().expect("selected on fixes");
                let replacements = edits
                    .iter()
                    .map(|e| {
                        let (start, end) = (pos_of(text, e.start), pos_of(text, e.end));
                        Replacement {
                            deleted_region: Region {
                                start_line: start.line,
                                start_column: start.col,
                                end_line: Some(end.line),
                                end_column: Some(end.col),
                            },
                            inserted_content: (!e.text.is_empty()).then(|| Content {
                                text: e.text.clone(),
                            }),
                        }
                    })
                    .collect();
                out.insert(
                    i,
                    vec![SarifFix {
                        description: NotificationMessage {
                            text: format!("{} ({})", fix.description, fix.safety.as_str()),
                        },
                        artifact_changes: vec![ArtifactChange {
                            artifact_location: ArtifactLocation {
                                uri: uri.clone(),
                                uri_base_id: relative.then_some("%SRCROOT%"),
                            },
                            replacements,
                        }],
                    }],
                );
            }
        }
        out
    }
}

impl Reporter for SarifReporter<'_> {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.log(report))?;
        out.write_all(b"\n")
    }
}

/// The SARIF `level` for a severity: code scanning fails a check on `error` by default, so the
/// guide's critical and high items are errors, medium a warning, low a note.
pub fn severity_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// The `security-severity` score for a severity. Code scanning labels scores over 9.0 critical,
/// 7.0–8.9 high, 4.0–6.9 medium and 0.1–3.9 low; each value sits inside its band.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// A finding's stable identity as 16 hex digits: FNV-1a (64-bit) over its code, file (forward
/// slashes, no `./`), JSON pointer and object (apiVersion, kind, namespace, name).
///
/// Written out rather than taken from `std::hash`: `DefaultHasher` is seeded per process and its
/// algorithm may change between Rust releases, and a fingerprint must be the same on every run,
/// platform and compiler. Lines and messages are left out on purpose: they move and get reworded
/// while the finding stays the same.
pub fn fingerprint(finding: &Finding) -> String {
    let mut h = Fnv64::new();
    h.field(Some(finding.code));
    let file = match &finding.location {
        Location::File { path, .. } | Location::Path { path, .. } => normalize(path),
        Location::Object { source, .. } => source.to_string(),
    };
    h.field(Some(&file));
    h.field(finding.location.pointer());
    let o = finding.object.as_ref();
    h.field(o.map(|o| o.api_version.as_str()));
    h.field(o.map(|o| o.kind.as_str()));
    h.field(o.and_then(|o| o.namespace.as_deref()));
    h.field(o.and_then(|o| o.name.as_deref()));
    format!("{:016x}", h.0)
}

/// FNV-1a, 64-bit: tiny, fixed, and plenty for telling findings of one repository apart.
struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// One field, terminated by a byte UTF-8 never contains (so `("ab","c")` and `("a","bc")`
    /// differ), with absent fields distinct from empty ones.
    fn field(&mut self, value: Option<&str>) {
        match value {
            Some(v) => {
                self.bytes(v.as_bytes());
                self.bytes(&[0xFF]);
            }
            None => self.bytes(&[0xFE]),
        }
    }
}

impl SarifReporter<'_> {
    fn log<'r>(&'r self, report: &'r ScanReport) -> Log<'r> {
        let (rules, index) = rules(report);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut fixes = self.fixes(report);
        let results = report
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                // Two findings with the same identity (one rule, one field, reported twice) get
                // `:1`, `:2`, … so code scanning keeps both, as its own line hashes do.
                let hash = fingerprint(f);
                let n = seen.entry(hash.clone()).or_insert(0);
                *n += 1;
                let mut r = result(f, index[f.code], format!("{hash}:{n}"));
                if report.baseline.is_some() {
                    r.baseline_state = Some(if f.baselined { "unchanged" } else { "new" });
                }
                r.fixes = fixes.remove(&i).unwrap_or_default();
                r
            })
            .collect();
        Log {
            schema: SCHEMA_URI,
            version: "2.1.0",
            runs: vec![Run {
                tool: Tool {
                    driver: Driver {
                        name: &self.tool.name,
                        version: &self.tool.version,
                        semantic_version: &self.tool.version,
                        information_uri: &self.tool.information_uri,
                        rules,
                    },
                },
                invocations: vec![Invocation {
                    // Unreadable inputs make the run exit 2 (an input error), so a run with
                    // problems did not succeed, even though it reports on everything else.
                    execution_successful: report.problems.is_empty(),
                    tool_execution_notifications: report
                        .problems
                        .iter()
                        .map(|p| notification(p, "error"))
                        .chain(report.notes.iter().map(|p| notification(p, "note")))
                        .chain(
                            report
                                .not_evaluated
                                .iter()
                                .map(|n| not_evaluated(n, index.get(n.code).copied())),
                        )
                        .collect(),
                }],
                column_kind: "unicodeCodePoints",
                results,
                properties: RunProperties {
                    guide: crate::scorecard::Scorecard::of(report).to_json(),
                },
            }],
        }
    }
}

/// Rule descriptors: the rules that ran, in report order, then any code a finding has that no
/// rule declared (a finding from outside the registry still needs a descriptor to point at).
fn rules(report: &ScanReport) -> (Vec<Rule<'_>>, HashMap<&'static str, usize>) {
    let mut rules = Vec::new();
    let mut index = HashMap::new();
    for meta in &report.rules {
        if !index.contains_key(meta.code) {
            index.insert(meta.code, rules.len());
            rules.push(Rule::from_meta(meta));
        }
    }
    for f in &report.findings {
        if !index.contains_key(f.code) {
            index.insert(f.code, rules.len());
            rules.push(Rule::from_finding(f));
        }
    }
    (rules, index)
}

fn result(f: &Finding, rule_index: usize, fingerprint: String) -> SarifResult<'_> {
    let logical = f
        .object
        .as_ref()
        .map(|o| {
            let fq = match (&o.namespace, &o.name) {
                (Some(ns), Some(n)) => format!("{}/{}/{ns}/{n}", o.api_version, o.kind),
                (None, Some(n)) => format!("{}/{}/{n}", o.api_version, o.kind),
                _ => format!("{}/{}", o.api_version, o.kind),
            };
            vec![LogicalLocation {
                name: o.name.as_deref(),
                fully_qualified_name: fq,
                kind: "resource",
            }]
        })
        .unwrap_or_default();
    let physical = match &f.location {
        Location::File { path, pos, end, .. } => Some(physical(path, Some(*pos), Some(*end))),
        Location::Path { path, pos } => Some(physical(path, *pos, None)),
        Location::Object { .. } => None,
    };
    SarifResult {
        rule_id: f.code,
        rule_index,
        level: severity_level(f.severity),
        message: Message { text: &f.message },
        locations: vec![ResultLocation {
            physical_location: physical,
            logical_locations: logical,
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
        suppressions: f
            .suppressed
            .as_deref()
            .map(|reason| {
                vec![Suppression {
                    // The finding records why it is exempt but not whether the exemption came
                    // from the object's `palisade.dev/ignore` annotation (in source) or from the
                    // config file. "external" is the kind that is never wrong about where to
                    // look for the justification: it is in this log, not necessarily in the file.
                    kind: "external",
                    status: "accepted",
                    justification: reason,
                }]
            })
            .unwrap_or_default(),
        fixes: Vec::new(),
        code_flows: code_flows(f),
        baseline_state: None,
        properties: ResultProperties {
            severity: f.severity.as_str(),
            pss_check: f.pss_check,
            container: f.container.as_deref(),
            pointer: f.location.pointer(),
        },
    }
}

/// A file location; `pos` of line 0 (unknown) and a missing `pos` both mean the whole file, for
/// which SARIF wants no region at all.
fn physical(path: &str, pos: Option<Pos>, end: Option<Pos>) -> PhysicalLocation {
    let (uri, relative) = artifact_uri(path);
    let region = pos.filter(|p| p.line > 0).map(|p| {
        let end = end.filter(|e| e.line > 0 && *e > p);
        Region {
            start_line: p.line,
            start_column: p.col.max(1),
            end_line: end.map(|e| e.line),
            end_column: end.map(|e| e.col.max(1)),
        }
    });
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri,
            uri_base_id: relative.then_some("%SRCROOT%"),
        },
        region,
    }
}

/// An input problem (`error`) or a note about the input (`note`), at its place.
fn notification<'a>(p: &'a InputProblem, level: &'static str) -> Notification<'a> {
    Notification {
        level,
        message: NotificationMessage {
            text: p.message.clone(),
        },
        locations: vec![ResultLocation {
            physical_location: Some(physical(&p.path, p.pos, None)),
            logical_locations: Vec::new(),
        }],
        associated_rule: None,
    }
}

/// A rule that could not be evaluated for lack of data: a note tied to the rule (SARIF
/// `associatedRule`), so that code scanning does not read its silence as a pass.
fn not_evaluated(n: &NotEvaluated, index: Option<usize>) -> Notification<'_> {
    Notification {
        level: "note",
        message: NotificationMessage {
            text: format!("{} not evaluated: {}", n.code, n.reason),
        },
        locations: Vec::new(),
        associated_rule: Some(RuleReference { id: n.code, index }),
    }
}

impl<'r> Rule<'r> {
    fn from_meta(m: &'r RuleMeta) -> Self {
        let mut tags = vec!["security".to_owned(), family(m.code)];
        if m.pss_check.is_some() {
            tags.push("pod-security-standards".to_owned());
        }
        Rule {
            id: m.code,
            name: m.name,
            short_description: Message { text: m.summary },
            full_description: (!m.what.is_empty()).then_some(Message { text: m.what }),
            help: Some(Help {
                text: help_text(m),
                markdown: help_markdown(m),
            }),
            default_configuration: Configuration {
                level: severity_level(m.severity),
            },
            properties: RuleProperties {
                tags,
                security_severity: security_severity(m.severity),
                precision: PRECISION,
                pss_check: m.pss_check,
                guide: Some(m.guide),
            },
        }
    }

    /// A descriptor made from a finding alone: no docs, but a valid target for `ruleIndex`.
    fn from_finding(f: &'r Finding) -> Self {
        Rule {
            id: f.code,
            name: f.rule,
            short_description: Message { text: f.rule },
            full_description: None,
            help: (!f.help.is_empty()).then(|| Help {
                text: f.help.to_owned(),
                markdown: f.help.to_owned(),
            }),
            default_configuration: Configuration {
                level: severity_level(f.severity),
            },
            properties: RuleProperties {
                tags: vec!["security".to_owned(), family(f.code)],
                security_severity: security_severity(f.severity),
                precision: PRECISION,
                pss_check: f.pss_check,
                guide: None,
            },
        }
    }
}

/// Rules read declared configuration, not inferred behaviour: when one fires, the field it names
/// says what it says. Code scanning uses precision to rank alerts.
const PRECISION: &str = "very-high";

fn help_text(m: &RuleMeta) -> String {
    let mut parts = Vec::new();
    for (title, body) in [
        ("What it checks", m.what),
        ("Why it matters", m.why),
        ("Example", m.example),
        ("How to fix", m.fix),
    ] {
        if !body.is_empty() {
            parts.push(format!("{title}:\n{body}"));
        }
    }
    if !m.references.is_empty() {
        let refs: Vec<String> = m.references.iter().map(|r| format!("- {r}")).collect();
        parts.push(format!("References:\n{}", refs.join("\n")));
    }
    if parts.is_empty() {
        m.help.to_owned()
    } else {
        parts.join("\n\n")
    }
}

fn help_markdown(m: &RuleMeta) -> String {
    let mut parts = Vec::new();
    for (title, body) in [
        ("What it checks", m.what),
        ("Why it matters", m.why),
        ("How to fix", m.fix),
    ] {
        if body.is_empty() {
            continue;
        }
        if title == "How to fix" && !m.example.is_empty() {
            parts.push(format!(
                "## Example\n\n```yaml\n{}\n```",
                m.example.trim_end()
            ));
        }
        parts.push(format!("## {title}\n\n{body}"));
    }
    if !m.references.is_empty() {
        let refs: Vec<String> = m.references.iter().map(|r| format!("- {r}")).collect();
        parts.push(format!("## References\n\n{}", refs.join("\n")));
    }
    if parts.is_empty() {
        m.help.to_owned()
    } else {
        parts.join("\n\n")
    }
}

// The model: only what we emit. Field names follow the SARIF spec through `rename_all`.

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: Vec<Invocation<'a>>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    /// The guide scorecard (`guide`), as JSON `summary.guide` writes it.
    properties: RunProperties,
}

#[derive(Serialize)]
struct RunProperties {
    guide: serde_json::Value,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    information_uri: &'a str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Message<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Message<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Help>,
    default_configuration: Configuration,
    properties: RuleProperties<'a>,
}

#[derive(Serialize)]
struct Message<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    tags: Vec<String>,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    precision: &'static str,
    #[serde(rename = "pssCheck", skip_serializing_if = "Option::is_none")]
    pss_check: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    guide: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification<'a> {
    level: &'static str,
    message: NotificationMessage,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<ResultLocation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    associated_rule: Option<RuleReference<'a>>,
}

#[derive(Serialize)]
struct NotificationMessage {
    text: String,
}

/// SARIF `reportingDescriptorReference`: a rule by id and index in `driver.rules`.
#[derive(Serialize)]
struct RuleReference<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Message<'a>,
    locations: Vec<ResultLocation<'a>>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    /// `new` or `unchanged` against the `--baseline` report, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: ResultProperties<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    /// An attack path's steps, in order (AP rules): one code flow with one thread flow.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    code_flows: Vec<CodeFlow<'a>>,
}

/// SARIF `codeFlow`: the steps of one attack path.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeFlow<'a> {
    thread_flows: Vec<ThreadFlow<'a>>,
}

#[derive(Serialize)]
struct ThreadFlow<'a> {
    locations: Vec<ThreadFlowLocation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThreadFlowLocation<'a> {
    location: FlowLocation<'a>,
}

/// A step's place (when its fact is written in a file) and what happens there.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FlowLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    message: Message<'a>,
}

fn code_flows(f: &Finding) -> Vec<CodeFlow<'_>> {
    let Some(steps) = f.flow.as_deref() else {
        return Vec::new();
    };
    let locations = steps
        .iter()
        .map(|s| ThreadFlowLocation {
            location: FlowLocation {
                physical_location: match &s.location {
                    Some(Location::File { path, pos, end, .. }) => {
                        Some(physical(path, Some(*pos), Some(*end)))
                    }
                    Some(Location::Path { path, pos }) => Some(physical(path, *pos, None)),
                    Some(Location::Object { .. }) | None => None,
                },
                message: Message { text: &s.message },
            },
        })
        .collect();
    vec![CodeFlow {
        thread_flows: vec![ThreadFlow { locations }],
    }]
}

/// A proposed fix: replacements in the finding's file (SARIF `fix`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: NotificationMessage,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

/// Text between the region's start and end (exclusive; equal for an insertion) is replaced.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    #[serde(skip_serializing_if = "Option::is_none")]
    inserted_content: Option<Content>,
}

#[derive(Serialize)]
struct Content {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pss_check: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pointer: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use palisade_core::ObjectRef;

    use super::*;

    fn finding(path: &str, line: u32, pointer: &str) -> Finding {
        Finding {
            code: "PS101",
            rule: "privileged-container",
            severity: Severity::Critical,
            pss_check: Some("privileged"),
            location: Location::File {
                path: Arc::from(path),
                pos: Pos { line, col: 13 },
                end: Pos { line, col: 23 },
                pointer: pointer.to_owned(),
            },
            object: Some(std::sync::Arc::new(ObjectRef {
                api_version: "apps/v1".to_owned(),
                kind: "Deployment".to_owned(),
                namespace: Some("prod".to_owned()),
                name: Some("web".to_owned()),
            })),
            container: Some("app".into()),
            related: None,
            message: "container \"app\" runs privileged".into(),
            help: "",
            suppressed: None,
            baselined: false,
            fix: None,
            flow: None,
        }
    }

    const P: &str = "/spec/template/spec/containers/0/securityContext/privileged";

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        for (input, want) in [
            ("", 0xcbf2_9ce4_8422_2325_u64),
            ("a", 0xaf63_dc4c_8601_ec8c),
            ("foobar", 0x8594_4171_f739_67e8),
        ] {
            let mut h = Fnv64::new();
            h.bytes(input.as_bytes());
            assert_eq!(h.0, want, "{input:?}");
        }
    }

    #[test]
    fn fingerprint_is_pinned() {
        // A golden value (cross-checked with an independent FNV-1a): if this changes, every user's code scanning alerts reopen. Change the
        // algorithm only together with FINGERPRINT_KEY.
        assert_eq!(
            fingerprint(&finding("deploy/web.yaml", 14, P)),
            "e7d60438cd7035f3"
        );
    }

    #[test]
    fn fingerprint_ignores_position_message_and_path_spelling() {
        let base = fingerprint(&finding("deploy/web.yaml", 14, P));
        assert_eq!(fingerprint(&finding("deploy/web.yaml", 40, P)), base);
        assert_eq!(fingerprint(&finding("./deploy/web.yaml", 14, P)), base);
        assert_eq!(fingerprint(&finding("deploy\\web.yaml", 14, P)), base);
        let mut reworded = finding("deploy/web.yaml", 14, P);
        reworded.message = "something else".into();
        assert_eq!(fingerprint(&reworded), base);
    }

    #[test]
    fn fingerprint_tells_findings_apart() {
        let base = fingerprint(&finding("deploy/web.yaml", 14, P));
        assert_ne!(fingerprint(&finding("deploy/api.yaml", 14, P)), base);
        assert_ne!(
            fingerprint(&finding("deploy/web.yaml", 14, &P.replace("/0/", "/1/"))),
            base
        );
        let mut other_code = finding("deploy/web.yaml", 14, P);
        other_code.code = "PS102";
        assert_ne!(fingerprint(&other_code), base);
        let mut other_object = finding("deploy/web.yaml", 14, P);
        other_object
            .object
            .as_mut()
            .map(std::sync::Arc::make_mut)
            .unwrap()
            .name = Some("api".to_owned());
        assert_ne!(fingerprint(&other_object), base);
        let mut cluster_scoped = finding("deploy/web.yaml", 14, P);
        cluster_scoped
            .object
            .as_mut()
            .map(std::sync::Arc::make_mut)
            .unwrap()
            .namespace = None;
        assert_ne!(fingerprint(&cluster_scoped), base);
    }

    #[test]
    fn field_boundaries_matter() {
        let mut a = Fnv64::new();
        a.field(Some("ab"));
        a.field(Some("c"));
        let mut b = Fnv64::new();
        b.field(Some("a"));
        b.field(Some("bc"));
        assert_ne!(a.0, b.0);
        let mut none = Fnv64::new();
        none.field(None);
        let mut empty = Fnv64::new();
        empty.field(Some(""));
        assert_ne!(none.0, empty.0);
    }

    #[test]
    fn severities_map_to_levels() {
        assert_eq!(severity_level(Severity::Critical), "error");
        assert_eq!(severity_level(Severity::High), "error");
        assert_eq!(severity_level(Severity::Medium), "warning");
        assert_eq!(severity_level(Severity::Low), "note");
    }

    #[test]
    fn security_severity_falls_in_code_scannings_bands() {
        let score = |s| security_severity(s).parse::<f64>().unwrap();
        assert!(score(Severity::Critical) > 9.0);
        assert!((7.0..9.0).contains(&score(Severity::High)));
        assert!((4.0..7.0).contains(&score(Severity::Medium)));
        assert!((0.1..4.0).contains(&score(Severity::Low)));
    }

    #[test]
    fn whole_file_locations_have_no_region() {
        let p = physical("a.yaml", None, None);
        assert!(p.region.is_none());
        let p = physical("a.yaml", Some(Pos { line: 0, col: 0 }), None);
        assert!(p.region.is_none());
        // An end that is not after the start is dropped rather than emitted backwards.
        let p = physical(
            "a.yaml",
            Some(Pos { line: 3, col: 5 }),
            Some(Pos { line: 3, col: 5 }),
        );
        let r = p.region.unwrap();
        assert_eq!((r.start_line, r.start_column, r.end_line), (3, 5, None));
    }
}
