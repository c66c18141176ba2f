//! One self-contained HTML page for people who read reports in a browser, attach them to a CI
//! run or print them: the guide scorecard on top, charts (inline SVG), findings grouped by guide
//! section and object with code frames and their fix as a diff, what was not evaluated and what
//! was suppressed, and the docs of every rule that reported something.
//!
//! No external assets: CSS, SVG and a small script are inline, so the page works offline and
//! from a CI artifact. The script only filters (severity, section, namespace, text); without it
//! everything is shown. The page is a `minijinja` template (`templates/report.html`) with HTML
//! auto-escaping, and every value from the input reaches it as data, never as markup, so a
//! manifest's names and messages cannot inject markup or script.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use minijinja::{AutoEscape, Environment};
use palisade_core::finding::Finding;
use palisade_core::guide;
use palisade_core::report::ScanReport;
use palisade_core::{FixOp, FixValue};
use serde_json::{json, Value};

use crate::scorecard::{state_name, state_reason, Scorecard, Status};
use crate::{Reporter, SourceText, ToolInfo};

use crate::snippet::FRAME_LINES;

const TEMPLATE: &str = include_str!("../templates/report.html");
const SCRIPT: &str = include_str!("../templates/report.js");

/// Characters of one code-frame line at most: minified manifests have very long lines.
const FRAME_WIDTH: usize = 160;
/// Bars in the namespace chart.
const NAMESPACE_BARS: usize = 12;

/// Renders a report as one HTML page.
#[derive(Clone)]
pub struct HtmlReporter<'a> {
    tool: ToolInfo,
    source: Option<&'a dyn SourceText>,
}

impl HtmlReporter<'static> {
    pub fn new(tool: ToolInfo) -> Self {
        HtmlReporter { tool, source: None }
    }
}

impl<'a> HtmlReporter<'a> {
    /// File texts for code frames and fix diffs.
    pub fn with_source(self, source: Option<&'a dyn SourceText>) -> HtmlReporter<'a> {
        HtmlReporter {
            tool: self.tool,
            source,
        }
    }
}

impl std::fmt::Debug for HtmlReporter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HtmlReporter")
            .field("tool", &self.tool)
            .finish_non_exhaustive()
    }
}

impl Reporter for HtmlReporter<'_> {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
                write_escaped(out, text).map_err(|_| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "writing the page")
                })
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        env.add_template("report.html", TEMPLATE)
            .map_err(io::Error::other)?;
        let page = env
            .get_template("report.html")
            .and_then(|t| t.render(page_context(report, &self.tool, self.source)))
            .map_err(io::Error::other)?;
        out.write_all(page.as_bytes())
    }
}

/// Text for element content and double- or single-quoted attribute values: the five characters
/// that can end or open markup there. minijinja's own HTML escape also writes `/` as `&#x2f;`
/// (six bytes for one), and the paths of a large report are mostly slashes: 0.57 MB of an
/// 8,092-finding page went to them.
fn write_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut rest = text;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.write_str(&rest[..i])?;
        out.write_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        })?;
        rest = &rest[i + 1..];
    }
    out.write_str(rest)
}

fn page_context(
    report: &ScanReport,
    tool: &ToolInfo,
    source: Option<&dyn SourceText>,
) -> minijinja::Value {
    let failing = report.failing();
    let verdict = match (report.fail_on, failing, report.problems.len()) {
        (_, _, p) if p > 0 => format!("Failed: {p} input error(s)"),
        (Some(t), n, _) if n > 0 => format!("Failed: {n} finding(s) at or above {t}"),
        (Some(t), _, _) => format!("Passed: no findings at or above {t}"),
        (None, _, _) => "Findings are reported, none fails the run".to_owned(),
    };
    let card = Scorecard::of(report);
    let section_index: HashMap<&str, usize> = card
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.section.as_str(), i))
        .collect();
    // The sections of each code, as row indices (a rule may serve two sections).
    let mut code_sections: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, row) in card.rows.iter().enumerate() {
        for r in &row.rules {
            code_sections.entry(r.code.as_str()).or_default().push(i);
        }
    }
    let beyond = section_index.get(guide::BEYOND).copied().unwrap_or(0);

    // Findings grouped by their first section, then by object (or file).
    let mut groups: BTreeMap<usize, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
    let mut namespaces: BTreeMap<String, usize> = BTreeMap::new();
    for f in &report.findings {
        let sections = code_sections
            .get(f.code)
            .cloned()
            .unwrap_or_else(|| vec![beyond]);
        let ns = namespace_of(f);
        if f.suppressed.is_none() {
            *namespaces.entry(ns.clone()).or_default() += 1;
        }
        let object = match &f.object {
            Some(o) => o.to_string(),
            None => f
                .location
                .path()
                .map_or_else(|| f.location.to_string(), str::to_owned),
        };
        let lines = source
            .zip(f.location.path())
            .and_then(|(src, path)| src.text(path));
        groups
            .entry(sections[0])
            .or_default()
            .entry(object)
            .or_default()
            .push(finding(f, &sections, &ns, lines));
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(i, objects)| {
            let row = &card.rows[i];
            json!({
                "index": i,
                "section": row.section,
                "status": row.status.slug(),
                "objects": objects.into_iter().map(|(name, findings)| json!({
                    "name": name, "findings": findings,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();

    let rows: Vec<Value> = card
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "index": i,
                "section": r.section,
                "severity": r.severity.as_str(),
                "emoji": r.severity.emoji(),
                "status": r.status.slug(),
                "label": r.status.as_str(),
                "reason": r.reason,
                "counts": r.counts_text(),
                "suppressed": r.suppressed,
                "sources": r.sources,
                "rules": r.rules.iter().map(|rule| json!({
                    "code": rule.code,
                    "name": rule.name,
                    "state": state_name(&rule.state),
                    "reason": state_reason(&rule.state),
                    "findings": rule.findings,
                    "suppressed": rule.suppressed,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let tally: Vec<Value> = card
        .tally()
        .iter()
        .map(|(s, n)| json!({"status": s.slug(), "label": s.as_str(), "count": n}))
        .collect();

    let counts = report.counts();
    let severity_chart = bars(
        counts
            .iter()
            .map(|(s, n)| (s.as_str().to_owned(), *n, s.as_str().to_owned()))
            .collect(),
    );
    let section_chart = bars(
        card.rows
            .iter()
            .filter(|r| r.findings() > 0)
            .map(|r| {
                let class = match r.status {
                    Status::Fails => "fails",
                    _ => "holds",
                };
                (r.section.clone(), r.findings(), class.to_owned())
            })
            .collect(),
    );
    let mut by_namespace: Vec<(String, usize)> = namespaces.clone().into_iter().collect();
    by_namespace.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let namespace_chart = bars(
        by_namespace
            .iter()
            .take(NAMESPACE_BARS)
            .map(|(ns, n)| (ns.clone(), *n, "ns".to_owned()))
            .collect(),
    );

    let reported: std::collections::BTreeSet<&str> =
        report.findings.iter().map(|f| f.code).collect();
    let rules: Vec<Value> = report
        .rules
        .iter()
        .filter(|m| reported.contains(m.code))
        .map(|m| {
            json!({
                "code": m.code, "name": m.name, "severity": m.severity.as_str(),
                "emoji": m.severity.emoji(), "summary": m.summary, "guide": m.guide,
                "versions": m.versions.to_string(), "what": m.what, "why": m.why,
                "example": m.example, "fix": m.fix, "references": m.references,
            })
        })
        .collect();
    let not_evaluated: Vec<Value> = report
        .not_evaluated
        .iter()
        .map(|n| {
            json!({
                "code": n.code,
                "rule": report.rules.iter().find(|m| m.code == n.code).map(|m| m.name),
                "reason": n.reason,
            })
        })
        .collect();
    let placed = |p: &palisade_core::report::InputProblem| {
        let at = p.pos.map(|pos| format!(":{pos}")).unwrap_or_default();
        json!({"where": format!("{}{at}", p.path), "message": p.message})
    };
    let problems: Vec<Value> = report.problems.iter().map(placed).collect();
    let notes: Vec<Value> = report.notes.iter().map(placed).collect();
    let severity_counts: Vec<Value> = counts
        .iter()
        .map(|(s, n)| json!({"severity": s.as_str(), "emoji": s.emoji(), "count": n}))
        .collect();
    let mut ctx = json!({
        "verdict": verdict,
        "failing": failing > 0 || !report.problems.is_empty(),
        "stats": {
            "files": report.stats.files, "documents": report.stats.documents,
            "objects": report.stats.objects,
        },
        "kubernetes_version": report.kubernetes_version,
        "pod_security": report.pod_security,
        "tool": format!("{} {}", tool.name, tool.version),
        "sources": card.sources.iter().map(|(k, n)| json!({"kind": k.as_str(), "name": n})).collect::<Vec<_>>(),
        "counts": severity_counts,
        "total": report.findings.len(),
        "suppressed": report.suppressed(),
        "baseline": report.baseline.as_ref().map(|b| json!({
            "file": b.source, "new": b.new, "unchanged": b.unchanged, "absent": b.absent,
        })),
        "rows": rows,
        "tally": tally,
        "charts": {
            "severity": severity_chart,
            "sections": section_chart,
            "namespaces": namespace_chart,
        },
        "namespaces": namespaces.keys().collect::<Vec<_>>(),
        "groups": groups,
        "not_evaluated": not_evaluated,
        "problems": problems,
        "notes": notes,
        "rules": rules,
    });
    ctx["script"] = Value::String(SCRIPT.to_owned());
    minijinja::Value::from(minijinja::value::Serde(ctx))
}

/// A finding as the template shows it.
fn finding(f: &Finding, sections: &[usize], ns: &str, text: Option<&str>) -> Value {
    let pos = f.location.pos();
    let frame = match (text, pos) {
        (Some(text), Some(start)) => {
            let end = match &f.location {
                palisade_core::Location::File { end, .. } => end.line.max(start.line),
                _ => start.line,
            };
            frame(text, start.line, end)
        }
        _ => Vec::new(),
    };
    let own_line = text
        .zip(pos)
        .and_then(|(t, p)| t.lines().nth(p.line.saturating_sub(1) as usize));
    json!({
        "sev": f.severity.as_str(),
        "emoji": f.severity.emoji(),
        "code": f.code,
        "rule": f.rule,
        "pss_check": f.pss_check,
        "where": f.location.to_string(),
        "container": f.container,
        "related": f.related.as_ref().map(|o| o.to_string()),
        // An attack path's steps, each with where its fact is written.
        "steps": f.flow.as_deref().map(|steps| {
            steps
                .iter()
                .map(|s| json!({
                    "message": s.message,
                    "where": s.location.as_ref().map(ToString::to_string),
                }))
                .collect::<Vec<_>>()
        }),
        "message": f.message,
        "help": f.help,
        "ns": ns,
        "sections": sections.iter().map(usize::to_string).collect::<Vec<_>>().join(" "),
        "suppressed": f.suppressed,
        "baselined": f.baselined,
        "frame": frame,
        "fix": f.fix.as_ref().map(|fix| json!({
            "description": fix.description,
            "safety": fix.safety.as_str(),
            "lines": fix_diff(&fix.ops, f.location.pointer(), own_line),
        })),
    })
}

/// The lines around a finding: one before it, its own (at most [`FRAME_LINES`] in all).
fn frame(text: &str, start: u32, end: u32) -> Vec<Value> {
    let first = start.saturating_sub(1).max(1);
    let last = end.min(first + FRAME_LINES - 1);
    text.lines()
        .enumerate()
        .skip(first as usize - 1)
        .take((last + 1 - first) as usize)
        .map(|(i, line)| {
            let n = i as u32 + 1;
            let shown: String = line.chars().take(FRAME_WIDTH).collect();
            json!({"n": n, "text": shown, "hit": n >= start && n <= end})
        })
        .collect()
}

/// The fix as diff lines: the finding's own line replaced when the fix sets the field the
/// finding points at, otherwise each operation as pointer and value.
fn fix_diff(ops: &[FixOp], pointer: Option<&str>, own_line: Option<&str>) -> Vec<Value> {
    let mut lines = Vec::new();
    for op in ops {
        // The finding's line is the field's own only when the field exists: for a missing
        // field the location is its nearest parent (`- name: opa`), which the fix does not edit.
        let same = pointer == Some(op.pointer()) && own_line.is_some_and(|l| is_key_of(l, op));
        match (op, own_line) {
            (FixOp::Set { pointer, value }, Some(line)) if same => {
                // A sequence item keeps its dash, a mapping entry its key.
                let item = pointer
                    .rsplit('/')
                    .next()
                    .is_some_and(|s| s.parse::<usize>().is_ok());
                let head = if item {
                    &line[..line.find('-').map_or(0, |d| d + 1)]
                } else {
                    &line[..line.find(':').unwrap_or(line.len())]
                };
                let sep = if item { " " } else { ": " };
                lines.push(json!({"sign": "-", "text": line}));
                lines.push(json!({
                    "sign": "+",
                    "text": format!("{head}{sep}{}", value_text(value)),
                }));
            }
            (FixOp::Set { pointer, value }, _) => lines.push(json!({
                "sign": "+", "text": format!("{pointer}: {}", value_text(value)),
            })),
            (FixOp::Append { pointer, value }, _) => lines.push(json!({
                "sign": "+", "text": format!("{pointer}/-: {}", value_text(value)),
            })),
            (FixOp::Remove { .. }, Some(line)) if same => {
                lines.push(json!({"sign": "-", "text": line}));
            }
            (FixOp::Remove { pointer }, _) => {
                lines.push(json!({"sign": "-", "text": pointer}));
            }
        }
    }
    lines
}

/// Whether `line` is the field `op` edits: its block mapping entry (`key: value`, or
/// `- key: value` as the first key of a sequence item), or for an index, its block sequence
/// item (`- NET_ADMIN`).
fn is_key_of(line: &str, op: &FixOp) -> bool {
    let Some(last) = op.pointer().rsplit('/').next() else {
        return false;
    };
    let entry = line.trim_start();
    if last.parse::<usize>().is_ok() {
        return entry.starts_with("- ") || entry == "-";
    }
    let entry = entry.strip_prefix("- ").map_or(entry, str::trim_start);
    let Some((key, _)) = entry.split_once(':') else {
        return false;
    };
    let key = key.trim_end();
    let key = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(key);
    key == palisade_core::yaml::unescape_pointer(last)
}

fn value_text(v: &FixValue) -> String {
    match v {
        FixValue::Bool(b) => b.to_string(),
        FixValue::Int(i) => i.to_string(),
        FixValue::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        FixValue::List(items) => format!(
            "[{}]",
            items.iter().map(value_text).collect::<Vec<_>>().join(", ")
        ),
        FixValue::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{k}: {}", value_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn namespace_of(f: &Finding) -> String {
    match f.object.as_ref().and_then(|o| o.namespace.as_deref()) {
        Some(ns) if !ns.is_empty() => ns.to_owned(),
        _ => "(no namespace)".to_owned(),
    }
}

/// Horizontal bars: label, value, width in percent of the largest, and a CSS class. The SVG is
/// drawn by the template from these numbers, so labels are escaped like every other text.
fn bars(items: Vec<(String, usize, String)>) -> Vec<Value> {
    let max = items.iter().map(|(_, n, _)| *n).max().unwrap_or(0).max(1);
    items
        .into_iter()
        .enumerate()
        .map(|(i, (label, n, class))| {
            let short = if label.chars().count() > 36 {
                format!("{}…", label.chars().take(35).collect::<String>())
            } else {
                label.clone()
            };
            json!({
                "label": label,
                "short": short,
                "value": n,
                "width": (n as f64 * 100.0 / max as f64 * 10.0).round() / 10.0,
                "y": i * 22,
                "class": class,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pointer: &str, value: FixValue) -> FixOp {
        FixOp::Set {
            pointer: pointer.to_owned(),
            value,
        }
    }

    fn texts(lines: &[Value]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                format!(
                    "{} {}",
                    l["sign"].as_str().unwrap(),
                    l["text"].as_str().unwrap()
                )
            })
            .collect()
    }

    #[test]
    fn a_fix_replaces_the_line_only_when_the_line_is_the_field() {
        let p = "/spec/containers/0/securityContext/allowPrivilegeEscalation";
        let op = set(p, FixValue::Bool(false));
        // The field exists: its line is replaced.
        let lines = fix_diff(
            std::slice::from_ref(&op),
            Some(p),
            Some("        allowPrivilegeEscalation: true"),
        );
        assert_eq!(
            texts(&lines),
            [
                "-         allowPrivilegeEscalation: true",
                "+         allowPrivilegeEscalation: false"
            ]
        );
        // The field is missing: the location is the container, which the fix does not edit.
        let lines = fix_diff(std::slice::from_ref(&op), Some(p), Some("    - name: opa"));
        assert_eq!(texts(&lines), [format!("+ {p}: false")]);
        // A sequence item's first key and a quoted key are still the field.
        let op = set("/spec/containers/0/name", FixValue::Str("x".into()));
        let lines = fix_diff(
            std::slice::from_ref(&op),
            Some("/spec/containers/0/name"),
            Some("  - \"name\": opa"),
        );
        assert_eq!(
            texts(&lines),
            ["-   - \"name\": opa", "+   - \"name\": \"x\""]
        );
        // Removing a block sequence item: its own line goes.
        let p = "/spec/containers/0/securityContext/capabilities/add/0";
        let op = FixOp::Remove {
            pointer: p.to_owned(),
        };
        let lines = fix_diff(
            std::slice::from_ref(&op),
            Some(p),
            Some("          - NET_ADMIN"),
        );
        assert_eq!(texts(&lines), ["-           - NET_ADMIN"]);
        // Setting an item keeps its dash.
        let replace = set(p, FixValue::Str("NET_BIND_SERVICE".into()));
        let lines = fix_diff(
            std::slice::from_ref(&replace),
            Some(p),
            Some("          - NET_ADMIN"),
        );
        assert_eq!(
            texts(&lines),
            [
                "-           - NET_ADMIN",
                "+           - \"NET_BIND_SERVICE\""
            ]
        );
        // A flow sequence: the line holds more than the item, so the pointer is shown.
        let lines = fix_diff(
            std::slice::from_ref(&op),
            Some(p),
            Some("        add: [NET_ADMIN]"),
        );
        assert_eq!(texts(&lines), [format!("- {p}")]);
    }
}
