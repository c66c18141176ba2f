//! A self-contained HTML page (no scripts, no external assets) for people who read reports in a
//! browser or attach them to a CI run: summary, input errors, findings by file, and the docs of
//! every rule that reported something.
//!
//! The page is a `minijinja` template (`templates/report.html`) with HTML auto-escaping, so text
//! from manifests (messages quote names and values) can never inject markup.

use std::collections::BTreeMap;
use std::io::{self, Write};

use minijinja::{AutoEscape, Environment};
use palisade_core::report::ScanReport;
use palisade_core::Severity;
use serde_json::{json, Value};

use crate::{Reporter, ToolInfo};

const TEMPLATE: &str = include_str!("../templates/report.html");

/// Renders a report as one HTML page.
#[derive(Clone, Debug)]
pub struct HtmlReporter {
    tool: ToolInfo,
}

impl HtmlReporter {
    pub fn new(tool: ToolInfo) -> Self {
        HtmlReporter { tool }
    }
}

impl Reporter for HtmlReporter {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.add_template("report.html", TEMPLATE)
            .map_err(io::Error::other)?;
        let page = env
            .get_template("report.html")
            .and_then(|t| t.render(page_context(report, &self.tool)))
            .map_err(io::Error::other)?;
        out.write_all(page.as_bytes())
    }
}

fn page_context(report: &ScanReport, tool: &ToolInfo) -> minijinja::Value {
    let failing = report.failing();
    let verdict = match (report.fail_on, failing, report.problems.len()) {
        (_, _, p) if p > 0 => format!("Failed: {p} input error(s)"),
        (Some(t), n, _) if n > 0 => format!("Failed: {n} finding(s) at or above {t}"),
        (Some(t), _, _) => format!("Passed: no findings at or above {t}"),
        (None, _, _) => "Findings are reported, none fails the run".to_owned(),
    };
    let mut files: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for f in &report.findings {
        let path = f
            .location
            .path()
            .map(str::to_owned)
            .unwrap_or_else(|| f.location.to_string());
        let at = f.location.pos().map(|p| p.to_string()).unwrap_or_default();
        files.entry(path).or_default().push(json!({
            "where": at,
            "severity": f.severity.as_str(),
            "emoji": f.severity.emoji(),
            "code": f.code,
            "rule": f.rule,
            "pss_check": f.pss_check,
            "object": f.object.as_ref().map(|o| o.to_string()).unwrap_or_default(),
            "message": f.message,
            "help": f.help,
            "suppressed": f.suppressed,
            "baselined": f.baselined,
        }));
    }
    let files: Vec<Value> = files
        .into_iter()
        .map(|(path, findings)| json!({"path": path, "findings": findings}))
        .collect();
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
    let counts: Vec<Value> = report
        .counts()
        .iter()
        .map(|(s, n)| json!({"severity": s.as_str(), "emoji": emoji(*s), "count": n}))
        .collect();
    let placed = |p: &palisade_core::report::InputProblem| {
        let at = p.pos.map(|pos| format!(":{pos}")).unwrap_or_default();
        json!({"where": format!("{}{at}", p.path), "message": p.message})
    };
    let problems: Vec<Value> = report.problems.iter().map(placed).collect();
    let notes: Vec<Value> = report.notes.iter().map(placed).collect();
    minijinja::Value::from(minijinja::value::Serde(json!({
        "verdict": verdict,
        "failing": failing > 0 || !report.problems.is_empty(),
        "stats": {
            "files": report.stats.files, "documents": report.stats.documents,
            "objects": report.stats.objects,
        },
        "kubernetes_version": report.kubernetes_version,
        "pod_security": report.pod_security,
        "tool": format!("{} {}", tool.name, tool.version),
        "counts": counts,
        "suppressed": report.suppressed(),
        "baseline": report.baseline.as_ref().map(|b| json!({
            "file": b.source, "new": b.new, "unchanged": b.unchanged, "absent": b.absent,
        })),
        "problems": problems,
        "notes": notes,
        "files": files,
        "rules": rules,
    })))
}

fn emoji(s: Severity) -> &'static str {
    s.emoji()
}
