//! `palisade report A.json B.json …`: saved JSON reports of `scan`, `cluster`, `node` and `probe`
//! as one document for the guide — one scorecard whose rows come from whichever source could judge
//! them, each finding counted once however many sources saw it — in any format.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use palisade_core::report::ScanReport;
use palisade_core::Severity;
use palisade_report::read::{merge, read_with_snippets, MAX_REPORT_BYTES};
use palisade_report::snippet::Snippets;
use palisade_report::{Format, OutputSpec, RenderOptions};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// JSON reports written by `scan`, `cluster`, `node` or `probe` (`--format json` or
    /// `--output json=FILE`)
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,

    /// Format on stdout: text, json, sarif, junit, html, markdown or policyreport
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text")]
    pub format: String,

    /// Also write the merged report to a file, e.g. `--output html=guide.html` (repeatable)
    #[arg(long, short = 'o', value_name = "FORMAT=FILE")]
    pub output: Vec<String>,

    /// Exit 1 when an unsuppressed finding at or above this severity is in the merged report
    /// [default: none, the command only renders]
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
}

/// Reads one saved report, bounded as baselines are.
pub fn load(path: &std::path::Path) -> Result<ScanReport> {
    load_with_snippets(path).map(|(report, _)| report)
}

/// [`load`], with the lines of its findings' code frames.
fn load_with_snippets(path: &std::path::Path) -> Result<(ScanReport, Snippets)> {
    let bytes = palisade_core::source::read_bounded(path, MAX_REPORT_BYTES)
        .with_context(|| format!("cannot read {}", path.display()))?;
    read_with_snippets(&bytes, &path.display().to_string())
        .with_context(|| path.display().to_string())
}

pub fn run(args: ReportArgs) -> Result<u8> {
    let format: Format = args.format.parse().context("--format")?;
    let outputs: Vec<OutputSpec> = args
        .output
        .iter()
        .map(|o| {
            o.parse::<OutputSpec>()
                .with_context(|| format!("--output {o}"))
        })
        .collect::<Result<_>>()?;
    let fail_on: Option<Severity> = args
        .fail_on
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--fail-on")?;
    let mut reports = Vec::with_capacity(args.reports.len());
    // Code frames come from the lines the reports carry, never from the files as they are now.
    let mut snippets = Snippets::default();
    for path in &args.reports {
        let (report, lines) = load_with_snippets(path)?;
        reports.push(report);
        snippets.merge(lines);
    }
    let snippets = snippets.finish();
    let mut report = merge(reports);
    report.fail_on = fail_on;
    let options = RenderOptions::default()
        .with_source(&snippets)
        .with_timestamp(crate::session::now());
    for spec in &outputs {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(&spec.path)
                .with_context(|| format!("cannot write {}", spec.path.display()))?,
        );
        palisade_report::render(spec.format, &report, &options, &mut file)
            .and_then(|()| file.flush())
            .with_context(|| format!("cannot write {}", spec.path.display()))?;
    }
    let mut out = crate::session::stdout();
    palisade_report::render(format, &report, &options, &mut out)
        .and_then(|()| out.flush())
        .context("cannot write the report")?;
    Ok(u8::from(report.failing() > 0))
}
