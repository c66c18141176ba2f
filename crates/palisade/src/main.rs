//! The `palisade` binary: argument parsing, configuration, exit codes. Errors become `anyhow` only
//! here, at the edge.

/// The scan allocates and frees millions of small nodes across threads; mimalloc does that
/// markedly faster than the system allocator (see bench/).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod catalogue;
mod cli;
mod netpol_cmd;
mod scan;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Parser;
use palisade_core::config::{self, Config};
use palisade_core::source::SourceLimits;
use palisade_core::{KubeVersion, Settings, Severity};
use palisade_report::{Format, OutputSpec, RenderOptions};
use palisade_rules::pss::Level;
use palisade_rules::{Engine, Mode, Selection};

use cli::{Cli, ColorChoice, Command, ScanArgs};

/// Exit code for usage, input and configuration errors.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Rules(args) => catalogue::rules(args.format).map(|()| 0),
        Command::Explain { code } => catalogue::explain(&code).map(|()| 0),
        Command::Netpol(args) => netpol_cmd::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    let config = load_config(&args)?;
    let version = match &args.kubernetes_version {
        Some(v) => v
            .parse()
            .map_err(|e| anyhow!("--kubernetes-version: {e}"))?,
        None => config.kubernetes_version.unwrap_or_default(),
    };
    let mode = match &args.pod_security {
        Some(spec) => parse_pod_security(spec)?,
        None => Mode::Rules,
    };
    let fail_on = match (&args.fail_on, mode) {
        (Some(s), _) => s.parse().map_err(|e| anyhow!("--fail-on: {e}"))?,
        // Pod Security mode: any violation fails, as admission would reject the pod.
        (None, Mode::PodSecurity { .. }) => Severity::Low,
        (None, Mode::Rules) => config.fail_on.unwrap_or(Severity::High),
    };
    let stdout_format: Format = args.format.parse().map_err(|e| anyhow!("--format: {e}"))?;
    let outputs = args
        .output
        .iter()
        .map(|o| {
            o.parse::<OutputSpec>()
                .map(|s| (s.format, s.path))
                .map_err(|e| anyhow!("--output {o}: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(j) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(j.max(1))
            .build_global()
            .context("--jobs")?;
    }

    let mut allowed_registries = config.allowed_registries.clone();
    allowed_registries.extend(args.allowed_registries.iter().cloned());
    let settings = Settings {
        kubernetes_version: version,
        allowed_registries,
    };
    let mut selection = Selection {
        select: [config.select.clone(), args.select.clone()].concat(),
        ignore: [config.ignore.clone(), args.ignore.clone()].concat(),
    };
    check_patterns(&selection)?;
    if args.parse_only {
        selection.ignore.push("*".into());
    }
    let engine = Engine::new(settings, selection, config.exemptions.clone(), mode);

    let (inputs, mut problems) = scan::expand(&args.paths);
    let wants_text =
        stdout_format == Format::Text || outputs.iter().any(|(f, _)| *f == Format::Text);
    let opts = scan::ScanOptions {
        limits: SourceLimits {
            max_file_bytes: args.max_file_size,
            ..SourceLimits::default()
        },
        keep_sources: wants_text,
        progress: std::io::stderr().is_terminal(),
    };
    let (mut report, sources) = scan::run(&engine, inputs, &opts);
    problems.append(&mut report.problems);
    report.problems = problems;
    report.fail_on = Some(fail_on);
    if let Mode::PodSecurity { level, version } = mode {
        report.pod_security = Some(format!("{level}:{version}"));
    }

    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    for (format, path) in &outputs {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        );
        let options = RenderOptions::default().with_source(&sources);
        palisade_report::render(*format, &report, &options, &mut file)
            .and_then(|()| file.flush())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let options = RenderOptions::default()
        .with_color(color)
        .with_source(&sources);
    // Stdout is line-buffered; a report is written in many small pieces.
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    palisade_report::render(stdout_format, &report, &options, &mut stdout)
        .and_then(|()| stdout.flush())
        .context("cannot write the report")?;
    // The process ends here: leave the large report to the OS instead of freeing it piece by piece.
    let code = if !report.problems.is_empty() {
        EXIT_ERROR
    } else if report.failing() > 0 {
        1
    } else {
        0
    };
    std::mem::forget(report);
    Ok(code)
}

impl palisade_report::SourceText for scan::Sources {
    fn text(&self, path: &str) -> Option<&str> {
        self.get(path)
    }
}

fn load_config(args: &ScanArgs) -> Result<Config> {
    if args.no_config {
        return Ok(Config::default());
    }
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| config::discover(&d)),
    };
    match path {
        Some(p) => Ok(config::load(&p)?),
        None => Ok(Config::default()),
    }
}

/// A `--select`/`--ignore` pattern that matches no rule is a typo, not a request for nothing.
fn check_patterns(selection: &Selection) -> Result<()> {
    let catalogue = palisade_rules::registry::catalogue();
    for p in selection.select.iter().chain(&selection.ignore) {
        let known = catalogue
            .iter()
            .any(|m| palisade_core::suppress::code_matches(p, m.code, m.name));
        if !known {
            bail!("no rule matches `{p}` (`palisade rules` lists every code)");
        }
    }
    Ok(())
}

/// `LEVEL[:VERSION]`, e.g. `restricted`, `baseline:v1.29`, `restricted:latest`.
fn parse_pod_security(spec: &str) -> Result<Mode> {
    let (level, version) = spec.split_once(':').unwrap_or((spec, "latest"));
    let level: Level = level.parse().map_err(|e| anyhow!("--pod-security: {e}"))?;
    let version: KubeVersion = version
        .parse()
        .map_err(|e| anyhow!("--pod-security: {e}"))?;
    if version > palisade_rules::pss::LATEST_POLICY {
        bail!(
            "--pod-security: policy version {version} is newer than the newest Palisade knows ({})",
            palisade_rules::pss::LATEST_POLICY
        );
    }
    Ok(Mode::PodSecurity { level, version })
}
