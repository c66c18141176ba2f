//! `palisade diff OLD.json NEW.json`: which findings are new, fixed or unchanged between two saved
//! reports, matched exactly as baselines match them (`palisade_core::baseline`: rule, object
//! identity and container-named pointer; lines and files take no part), and exit 1 when something
//! new is at or above `--fail-on`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use palisade_core::baseline::{Baseline, Fingerprint};
use palisade_core::finding::Finding;
use palisade_core::report::ScanReport;
use palisade_core::Severity;
use serde_json::json;

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier JSON report
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,

    /// The later JSON report
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,

    /// Output: text, json or markdown
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text")]
    pub format: String,

    /// Exit 1 when a new unsuppressed finding is at or above this severity
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,
}

/// What changed between two reports.
pub struct Diff {
    /// Findings of the new report the old one does not hold.
    pub new: Vec<Finding>,
    /// Findings of the old report the new one no longer holds.
    pub fixed: Vec<Finding>,
    /// Findings in both.
    pub unchanged: usize,
}

/// Each side is the other's baseline: what the old report does not cover in the new one is
/// new, what the new one does not cover in the old one is fixed. Multisets, as baselines: a
/// third copy of a problem the old report had twice is new.
pub fn diff(old: ScanReport, new: ScanReport) -> Diff {
    let covered = |base: &ScanReport, mut other: ScanReport| -> (Vec<Finding>, usize) {
        let mut baseline = Baseline::new("");
        for f in &base.findings {
            baseline.insert(Fingerprint::of(f));
        }
        baseline.apply(&mut other);
        let (kept, added): (Vec<Finding>, Vec<Finding>) =
            other.findings.into_iter().partition(|f| f.baselined);
        (added, kept.len())
    };
    let (fixed, _) = covered(&new, old.clone());
    let (added, unchanged) = covered(&old, new);
    Diff {
        new: added,
        fixed,
        unchanged,
    }
}

pub fn run(args: DiffArgs) -> Result<u8> {
    let fail_on: Severity = args.fail_on.parse().context("--fail-on")?;
    let old = crate::report_cmd::load(&args.old)?;
    let new = crate::report_cmd::load(&args.new)?;
    let d = diff(old, new);
    let failing = d
        .new
        .iter()
        .filter(|f| f.suppressed.is_none() && f.severity >= fail_on)
        .count();
    let mut out = crate::session::stdout();
    match args.format.to_ascii_lowercase().as_str() {
        "json" => {
            let doc = json!({
                "old": args.old.display().to_string(),
                "new_report": args.new.display().to_string(),
                "new": d.new.iter().map(finding_json).collect::<Vec<_>>(),
                "fixed": d.fixed.iter().map(finding_json).collect::<Vec<_>>(),
                "unchanged": d.unchanged,
                "fail_on": fail_on.as_str(),
                "failing": failing,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        "markdown" => {
            writeln!(
                out,
                "## Palisade diff\n\n**{} new** ({failing} at or above {fail_on}), **{} fixed**, {} unchanged.\n",
                d.new.len(),
                d.fixed.len(),
                d.unchanged
            )?;
            for (title, list) in [("New", &d.new), ("Fixed", &d.fixed)] {
                if list.is_empty() {
                    continue;
                }
                writeln!(
                    out,
                    "### {title}\n\n| Severity | Rule | Where | Message |\n|---|---|---|---|"
                )?;
                for f in list.iter().take(200) {
                    writeln!(
                        out,
                        "| {} | {} | {} | {} |",
                        f.severity,
                        f.code,
                        md(&place(f)),
                        md(&f.message)
                    )?;
                }
                if list.len() > 200 {
                    writeln!(out, "\n_{} more not shown._", list.len() - 200)?;
                }
                writeln!(out)?;
            }
        }
        "text" => {
            for (title, list) in [("New", &d.new), ("Fixed", &d.fixed)] {
                if list.is_empty() {
                    continue;
                }
                writeln!(out, "{title} ({}):", list.len())?;
                for f in list {
                    writeln!(
                        out,
                        "  {:<8} {} {}  {}",
                        f.severity.as_str(),
                        f.code,
                        clean(&place(f)),
                        clean(&f.message)
                    )?;
                }
            }
            writeln!(
                out,
                "{} new ({failing} at or above {fail_on}), {} fixed, {} unchanged.",
                d.new.len(),
                d.fixed.len(),
                d.unchanged
            )?;
        }
        other => {
            anyhow::bail!("--format: unknown format `{other}` (expected text, json or markdown)")
        }
    }
    out.flush().context("cannot write the diff")?;
    Ok(u8::from(failing > 0))
}

fn place(f: &Finding) -> String {
    let at = f.location.to_string();
    match &f.object {
        Some(o) => format!("{at} ({o})"),
        None => at,
    }
}

fn finding_json(f: &Finding) -> serde_json::Value {
    json!({
        "code": f.code,
        "rule": f.rule,
        "severity": f.severity.as_str(),
        "file": f.location.path(),
        "line": f.location.pos().map(|p| p.line),
        "pointer": f.location.pointer(),
        "object": f.object.as_ref().map(|o| json!({
            "apiVersion": o.api_version, "kind": o.kind,
            "namespace": o.namespace, "name": o.name,
        })),
        "container": f.container,
        "message": f.message,
        "suppressed": f.suppressed.is_some(),
    })
}

/// Terminal-safe text: control characters (escape sequences from a hostile manifest) dropped.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// A Markdown table cell.
fn md(text: &str) -> String {
    clean(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}
