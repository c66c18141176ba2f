//! `palisade node`: audits the Kubernetes components of a node (the machine it runs on, or a
//! node's file system copied or mounted at `--root`), and optionally prints the CIS Kubernetes
//! Benchmark report.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, ValueEnum};
use palisade_core::report::{Evidence, InputProblem, ScanReport, Source, SourceKind, Stats};
use palisade_core::{KubeVersion, Severity};
use palisade_node::cis::{Benchmark, Status, BENCHMARK};
use palisade_node::{NodeReport, Options};
use palisade_report::{Format, RenderOptions};

use palisade_core::config::{self, Config};
use palisade_core::suppress::code_matches;
use palisade_rules::Selection;

use crate::cli::ColorChoice;
use crate::session::EXIT_ERROR;

#[derive(Args, Debug)]
pub struct NodeArgs {
    /// The node's root directory: a copy or mount of a node's file system [default: /]
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,

    /// The proc tree to read running processes from [default: /proc when --root is /, else none]
    #[arg(long, value_name = "DIR")]
    pub proc: Option<PathBuf>,

    /// Kubernetes version of the node [default: from the control-plane image tags, else newest]
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,

    /// Print the benchmark report (every item PASS / FAIL / MANUAL / NOT EVALUATED) instead of
    /// findings
    #[arg(long, value_enum, value_name = "BENCHMARK")]
    pub benchmark: Option<BenchmarkChoice>,

    /// Output format: text, json or sarif (findings); text, json or junit (--benchmark)
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text")]
    pub format: String,

    /// Exit 1 when a finding at or above this severity is reported [default: high]
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,

    /// Colour in text output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Run only these node rules: codes, prefixes (CP5, KL6) or names, comma-separated
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Skip these node rules: codes, prefixes or names, comma-separated
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Config file (its select, ignore and exemptions apply) [default: palisade.yaml in this
    /// directory or a parent]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Do not read any config file
    #[arg(long)]
    pub no_config: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchmarkChoice {
    /// CIS Kubernetes Benchmark (kube-bench's cis-1.12 items)
    Cis,
}

pub fn run(args: NodeArgs) -> Result<u8> {
    if !args.root.is_dir() {
        bail!("--root {}: not a directory", args.root.display());
    }
    if let Some(p) = &args.proc {
        if !p.is_dir() {
            bail!("--proc {}: not a directory", p.display());
        }
    }
    let kubernetes_version = match &args.kubernetes_version {
        Some(v) => Some(
            v.parse::<KubeVersion>()
                .map_err(|e| anyhow!("--kubernetes-version: {e}"))?,
        ),
        None => None,
    };
    let proc = args
        .proc
        .clone()
        .or_else(|| (args.root == std::path::Path::new("/")).then(|| PathBuf::from("/proc")));
    let fail_on: Severity = match &args.fail_on {
        Some(s) => s.parse().map_err(|e| anyhow!("--fail-on: {e}"))?,
        None => Severity::High,
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let config = if args.no_config {
        Config::default()
    } else {
        match args.config.clone().or_else(|| {
            std::env::current_dir()
                .ok()
                .and_then(|d| config::discover(&d))
        }) {
            Some(p) => config::load(&p)?,
            None => Config::default(),
        }
    };
    // The same selection as `scan`: config patterns, then the command line's. A shared
    // palisade.yaml may select manifest rules only (`select: [PS]`): its patterns that name no
    // node rule do not narrow the node audit; the command line's must name one.
    let metas = palisade_node::rules::metas();
    let names_node_rule = |p: &String| metas.iter().any(|m| code_matches(p, m.code, m.name));
    for p in args.select.iter().chain(&args.ignore) {
        if !names_node_rule(p) {
            bail!("no node rule matches `{p}` (`palisade rules` lists every code)");
        }
    }
    let selection = Selection {
        select: config
            .select
            .iter()
            .filter(|p| names_node_rule(p))
            .chain(&args.select)
            .cloned()
            .collect(),
        ignore: [config.ignore.clone(), args.ignore.clone()].concat(),
    };
    // Formats are checked before the audit: a usage error is one whatever the node holds.
    let format = match args.benchmark {
        Some(BenchmarkChoice::Cis) => {
            let f = args.format.to_ascii_lowercase();
            if !matches!(f.as_str(), "text" | "json" | "junit") {
                bail!("--format: `{f}` is not a benchmark format (text, json, junit)");
            }
            None
        }
        None => Some(
            args.format
                .parse::<Format>()
                .map_err(|e| anyhow!("--format: {e}"))?,
        ),
    };
    let local = args.root == std::path::Path::new("/");
    let inventory = palisade_node::discover(&Options {
        root: args.root.clone(),
        proc,
        kubernetes_version,
        run_binaries: local,
    });
    if inventory.components.is_empty() {
        // Nothing audited is not a pass: no report (which would say "Passed" or list every
        // item NOT EVALUATED), but an error naming where the audit looked, after what it
        // noticed on the way (unreadable directories, processes it did not believe).
        for p in &inventory.problems {
            let level = if p.invalid { "error" } else { "note" };
            eprintln!("{level}: {}", clean(&p.message));
        }
        bail!(
            "no Kubernetes component found on this node (looked in {})",
            inventory.looked_in.join("; ")
        );
    }
    let mut report = palisade_node::check_selected(inventory, &|m| selection.includes(m));
    for f in &mut report.findings {
        if let Some(e) = config.exemptions.iter().find(|e| e.matches_finding(f)) {
            f.suppressed = Some(e.reason.clone().into());
        }
    }
    let invalid_input = report.inventory.problems.iter().any(|p| p.invalid);
    for p in report.inventory.problems.iter().filter(|p| p.invalid) {
        eprintln!("error: {}", clean(&p.message));
    }
    let mut out = crate::session::stdout();
    let code = match format {
        None => {
            match args.format.to_ascii_lowercase().as_str() {
                "text" => benchmark_text(&report, color, &mut out)?,
                "json" => benchmark_json(&report, &mut out)?,
                _ => benchmark_junit(&report, &mut out)?,
            }
            u8::from(report.benchmark.counts().1 > 0)
        }
        Some(format) => {
            let scan = scan_report(&report, fail_on, &args.root, &|m| selection.includes(m));
            if format == Format::Text {
                inventory_text(&report, &mut out)?;
            }
            let options = RenderOptions::default()
                .with_color(color)
                .with_source(&report.inventory.sources);
            palisade_report::render(format, &scan, &options, &mut out)?;
            u8::from(scan.failing() > 0)
        }
    };
    out.flush().context("cannot write the report")?;
    // A manifest or config file that does not parse is an input error, as in `scan`: the rest
    // was audited and reported, and the run exits 2.
    Ok(if invalid_input { EXIT_ERROR } else { code })
}

/// The findings as a scan report, so every reporter (text, JSON, SARIF) shows them.
fn scan_report(
    report: &NodeReport,
    fail_on: Severity,
    root: &std::path::Path,
    include: &dyn Fn(&palisade_core::RuleMeta) -> bool,
) -> ScanReport {
    let inv = &report.inventory;
    ScanReport {
        findings: report.findings.clone(),
        problems: inv
            .problems
            .iter()
            .map(|p| InputProblem {
                path: p.path.as_str().into(),
                pos: p.pos,
                message: p.message.clone(),
            })
            .collect(),
        stats: Stats {
            files: inv.sources.len(),
            documents: 0,
            objects: inv.components.len(),
            skipped_documents: 0,
            subject: Some(palisade_core::report::Subject {
                verb: "Audited",
                one: "component",
                many: "components",
            }),
        },
        // The rules that ran: a deselected rule must not look evaluated to the guide scorecard.
        rules: palisade_node::rules::metas()
            .into_iter()
            .filter(|m| include(m))
            .collect(),
        fail_on: Some(fail_on),
        kubernetes_version: inv.version.to_string(),
        pod_security: None,
        not_evaluated: report
            .not_evaluated()
            .into_iter()
            .filter(|n| palisade_core::registry::find(n.code).is_some_and(|r| include(r.meta)))
            .collect(),
        notes: Vec::new(),
        baseline: None,
        evidence: Evidence {
            sources: vec![Source {
                kind: SourceKind::Node,
                name: format!("node {}", root.display()),
            }],
            ..Evidence::default()
        },
    }
}

/// What was found on the node, before the findings.
fn inventory_text(report: &NodeReport, out: &mut dyn Write) -> Result<()> {
    let inv = &report.inventory;
    writeln!(
        out,
        "Node: {:?} layout, Kubernetes {} ({})",
        inv.layout, inv.version, inv.version_source
    )?;
    for c in &inv.components {
        writeln!(
            out,
            "  {:<24} {} flags, {} config file(s), from {}{}",
            c.kind.name(),
            c.flags.len(),
            c.config.len(),
            c.defined_in,
            if c.running { " (running)" } else { "" }
        )?;
    }
    writeln!(out)?;
    Ok(())
}

fn benchmark_text(report: &NodeReport, color: bool, out: &mut dyn Write) -> Result<()> {
    let b = &report.benchmark;
    let paint = |s: Status| -> String {
        let code = match s {
            Status::Pass => "32",
            Status::Fail => "31",
            Status::Manual => "33",
            Status::NotEvaluated => "2",
        };
        if color {
            format!("\x1b[{code}m{:<13}\x1b[0m", s.as_str())
        } else {
            format!("{:<13}", s.as_str())
        }
    };
    writeln!(
        out,
        "CIS Kubernetes Benchmark ({BENCHMARK}) for {} — Kubernetes {} ({})",
        report.inventory.layout_name(),
        report.inventory.version,
        report.inventory.version_source
    )?;
    for row in &b.rows {
        let codes = if row.codes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", row.codes.join(", "))
        };
        writeln!(
            out,
            "{} {:<7} {}{codes}",
            paint(row.status),
            row.item.id,
            row.item.title
        )?;
        for e in &row.evidence {
            writeln!(out, "{:21} {}", "", clean(e))?;
        }
    }
    let (pass, fail, manual, ne) = b.counts();
    writeln!(
        out,
        "\n{} items: {pass} PASS, {fail} FAIL, {manual} MANUAL, {ne} NOT EVALUATED",
        b.rows.len()
    )?;
    Ok(())
}

/// Control characters from node files never reach the terminal.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn benchmark_json(report: &NodeReport, out: &mut dyn Write) -> Result<()> {
    let b: &Benchmark = &report.benchmark;
    let (pass, fail, manual, ne) = b.counts();
    let doc = serde_json::json!({
        "benchmark": BENCHMARK,
        "kubernetes_version": report.inventory.version.to_string(),
        "version_source": report.inventory.version_source.to_string(),
        "layout": report.inventory.layout_name(),
        "items": b.rows.iter().map(|r| serde_json::json!({
            "id": r.item.id,
            "title": r.item.title,
            "automated": r.item.automated,
            "status": r.status.as_str(),
            "observed": r.observed.map(|v| format!("{v:?}")),
            "rules": r.codes,
            "evidence": r.evidence,
        })).collect::<Vec<_>>(),
        "summary": {"pass": pass, "fail": fail, "manual": manual, "not_evaluated": ne},
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn benchmark_junit(report: &NodeReport, out: &mut dyn Write) -> Result<()> {
    let b = &report.benchmark;
    let (_, fail, manual, ne) = b.counts();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="palisade node {BENCHMARK}" tests="{}" failures="{fail}" skipped="{}">"#,
        b.rows.len(),
        manual + ne
    )?;
    writeln!(
        out,
        r#"  <testsuite name="{BENCHMARK}" tests="{}" failures="{fail}" skipped="{}">"#,
        b.rows.len(),
        manual + ne
    )?;
    for r in &b.rows {
        let evidence = xml(&r.evidence.join("\n"));
        write!(
            out,
            r#"    <testcase classname="{BENCHMARK}" name="{} {}">"#,
            r.item.id,
            xml(r.item.title)
        )?;
        match r.status {
            Status::Pass => {}
            Status::Fail => write!(out, r#"<failure message="FAIL">{evidence}</failure>"#)?,
            Status::Manual => write!(out, r#"<skipped message="MANUAL: {evidence}"/>"#)?,
            Status::NotEvaluated => {
                write!(out, r#"<skipped message="NOT EVALUATED: {evidence}"/>"#)?
            }
        }
        writeln!(out, "</testcase>")?;
    }
    writeln!(out, "  </testsuite>\n</testsuites>")?;
    Ok(())
}
