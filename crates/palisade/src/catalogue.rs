//! `palisade rules` and `palisade explain`: the rule catalogue, generated from rule declarations.

use std::io::Write;

use anyhow::{anyhow, Result};
use palisade_core::RuleMeta;
use palisade_rules::registry;

use crate::cli::CatalogueFormat;

/// Every rule, whatever it reads (objects, a node's components, probe answers): the one
/// registry, by code.
pub fn catalogue() -> Vec<&'static RuleMeta> {
    registry::catalogue()
}

/// Prints every rule.
pub fn rules(format: CatalogueFormat) -> Result<()> {
    let metas = catalogue();
    let mut out = std::io::stdout().lock();
    match format {
        CatalogueFormat::Json => {
            let list: Vec<serde_json::Value> = metas.iter().map(|m| meta_json(m)).collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        CatalogueFormat::Text => {
            let name_w = metas.iter().map(|m| m.name.len()).max().unwrap_or(4);
            writeln!(
                out,
                "{:<6} {:<name_w$} {:<11} {:<12} GUIDE SECTION",
                "CODE", "NAME", "SEVERITY", "VERSIONS"
            )?;
            for m in &metas {
                writeln!(
                    out,
                    "{:<6} {:<name_w$} {:<11} {:<12} {}",
                    m.code,
                    m.name,
                    severity_label(m),
                    m.versions.to_string(),
                    m.guide
                )?;
            }
            writeln!(
                out,
                "\n{} rules. `palisade explain CODE` shows what a rule checks and how to fix it.",
                metas.len()
            )?;
        }
    }
    Ok(())
}

/// Prints one rule's documentation.
pub fn explain(code: &str) -> Result<()> {
    let m = catalogue()
        .into_iter()
        .find(|m| m.code.eq_ignore_ascii_case(code) || m.name == code)
        .ok_or_else(|| anyhow!("no rule `{code}`; `palisade rules` lists every code"))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} {} — {}", m.code, m.name, m.summary)?;
    writeln!(out, "Severity: {}", severity_label(m))?;
    writeln!(out, "Guide section: {}", m.guide)?;
    writeln!(out, "Kubernetes versions: {}", m.versions)?;
    if let Some(id) = m.pss_check {
        writeln!(out, "Pod Security Standards check: {id}")?;
    }
    // Every built-in rule fills each section; a user's own rule may leave some out.
    for (title, body) in sections(m).into_iter().filter(|(_, b)| !b.is_empty()) {
        writeln!(out, "\n## {title}\n{body}")?;
    }
    if !m.references.is_empty() {
        writeln!(out, "\n## References")?;
        for r in m.references {
            writeln!(out, "- {r}")?;
        }
    }
    Ok(())
}

/// The fixed documentation headings every rule fills.
pub fn sections(m: &RuleMeta) -> [(&'static str, &'static str); 4] {
    [
        ("What it checks", m.what),
        ("Why it matters", m.why),
        ("Example", m.example),
        ("How to fix", m.fix),
    ]
}

fn severity_label(m: &RuleMeta) -> String {
    let e = m.severity.emoji();
    if e.is_empty() {
        m.severity.to_string()
    } else {
        format!("{e} {}", m.severity)
    }
}

fn meta_json(m: &RuleMeta) -> serde_json::Value {
    serde_json::json!({
        "code": m.code,
        "name": m.name,
        "severity": m.severity.as_str(),
        "guide": m.guide,
        "versions": m.versions.to_string(),
        "pss_check": m.pss_check,
        "summary": m.summary,
        "what": m.what,
        "why": m.why,
        "example": m.example,
        "fix": m.fix,
        "help": m.help,
        "references": m.references,
    })
}
