//! What every reporting command shares: config, rule selection, thresholds, output formats, and
//! turning a finished report into files, stdout and an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::frames::KeepSources;
use anyhow::{anyhow, bail, Context as _, Result};
use palisade_core::baseline::Baseline;
use palisade_core::config::{self, Config};
use palisade_core::report::ScanReport;
use palisade_core::{KubeVersion, Settings, Severity};
use palisade_report::{Format, OutputSpec, RenderOptions, SourceText};
use palisade_rules::pss::Level;
use palisade_rules::{Engine, Mode, Selection};

use crate::cli::{ColorChoice, ReportArgs};

/// Exit code for usage, input and configuration errors.
pub const EXIT_ERROR: u8 = 2;

/// Standard output, buffered (it is line-buffered, and reports are written in many small
/// pieces), that a reader going away does not interrupt: after a broken pipe (`palisade … |
/// head`) further writes are dropped, and the command goes on to the exit code it would have had
/// with a reader (1 for findings), printing nothing about the pipe. Every command writes its
/// output through this.
pub fn stdout() -> std::io::BufWriter<QuietStdout> {
    std::io::BufWriter::with_capacity(
        1 << 16,
        QuietStdout {
            inner: std::io::stdout().lock(),
            closed: false,
        },
    )
}

/// See [`stdout`].
pub struct QuietStdout {
    inner: std::io::StdoutLock<'static>,
    closed: bool,
}

impl QuietStdout {
    fn quiet<T>(&mut self, r: std::io::Result<T>, all: T) -> std::io::Result<T> {
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(all)
            }
            r => r,
        }
    }
}

impl Write for QuietStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.quiet(r, buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.quiet(r, ())
    }
}

/// Everything decided before any input is read.
pub struct Session {
    pub config: Config,
    pub mode: Mode,
    pub fail_on: Severity,
    /// `--kubernetes-version`, or the config's.
    pub version: Option<KubeVersion>,
    pub selection: Selection,
    pub allowed_registries: Vec<String>,
    pub stdout_format: Format,
    pub outputs: Vec<(Format, PathBuf)>,
    pub color: bool,
    /// Rules not evaluated for lack of data fail the run (`--fail-on-not-evaluated`).
    pub fail_on_not_evaluated: bool,
    /// `--baseline`: findings it holds do not count towards `--fail-on`.
    pub baseline: Option<Baseline>,
    /// `--write-baseline`: where this run's findings are saved as the next baseline.
    pub write_baseline: Option<PathBuf>,
    /// `scan --node-report`/`--probe-report`: saved reports the attack-path rules join.
    pub reports: Vec<(String, std::sync::Arc<ScanReport>)>,
}

impl Session {
    /// Reads the config and checks every option, so that a usage error is reported before any
    /// work is done.
    pub fn new(args: &ReportArgs, mode: Mode) -> Result<Session> {
        let config = load_config(args)?;
        let version = match &args.kubernetes_version {
            Some(v) => Some(
                v.parse()
                    .map_err(|e| anyhow!("--kubernetes-version: {e}"))?,
            ),
            None => config.kubernetes_version,
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
        let selection = Selection {
            select: [config.select.clone(), args.rules.select.clone()].concat(),
            ignore: [config.ignore.clone(), args.rules.ignore.clone()].concat(),
        };
        check_patterns(&selection)?;
        let mut allowed_registries = config.allowed_registries.clone();
        allowed_registries.extend(args.allowed_registries.iter().cloned());
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Ok(Session {
            config,
            mode,
            fail_on,
            version,
            selection,
            allowed_registries,
            stdout_format,
            outputs,
            color,
            fail_on_not_evaluated: args.fail_on_not_evaluated,
            baseline: args.baseline.as_deref().map(load_baseline).transpose()?,
            write_baseline: args.write_baseline.clone(),
            reports: Vec::new(),
        })
    }

    /// What the reports read of the scanned texts: SARIF the whole texts (fixes as replacements),
    /// text, JSON and HTML the lines of their code frames, the others nothing.
    pub fn wants_source(&self) -> KeepSources {
        let formats =
            || std::iter::once(self.stdout_format).chain(self.outputs.iter().map(|(f, _)| *f));
        if formats().any(|f| matches!(f, Format::Sarif)) {
            KeepSources::Whole
        } else if formats().any(|f| matches!(f, Format::Text | Format::Html | Format::Json)) {
            KeepSources::Frames
        } else {
            KeepSources::None
        }
    }

    /// The engine for a target version: `--kubernetes-version` (or the config's) wins over
    /// `detected` (a cluster's own version), then the newest version Palisade knows.
    pub fn engine(&self, detected: Option<KubeVersion>) -> Engine {
        self.engine_with(detected, self.reports.clone())
    }

    /// [`Session::engine`], joining `reports` (node audits, probes) instead of `--node-report`'s.
    pub fn engine_with(
        &self,
        detected: Option<KubeVersion>,
        reports: Vec<(String, std::sync::Arc<ScanReport>)>,
    ) -> Engine {
        let mut settings = Settings {
            kubernetes_version: self.version.or(detected).unwrap_or_default(),
            allowed_registries: self.allowed_registries.clone(),
            reports,
            ..Settings::default()
        };
        // The admission webhook's image policy (its default for all namespaces) applies to scans
        // too, so that what passes in CI passes at admission.
        if let Some(policy) = self.config.webhook.as_ref().map(|w| &w.image_policy) {
            settings.require_image_digest = policy.require_digest;
            settings.denied_image_tags = policy.denied_tags.clone();
            if settings.allowed_registries.is_empty() {
                settings.allowed_registries = policy.allowed_registries.clone().unwrap_or_default();
            }
        }
        Engine::new(
            settings,
            self.selection.clone(),
            self.config.exemptions.clone(),
            self.mode,
        )
    }

    /// Writes every report and returns the exit code: 2 for input errors, 1 for findings at or
    /// above the threshold, 0 otherwise.
    pub fn finish(&self, mut report: ScanReport, sources: &dyn SourceText) -> Result<u8> {
        report.fail_on = Some(self.fail_on);
        if let Some(baseline) = &self.baseline {
            baseline.apply(&mut report);
        }
        if let Mode::PodSecurity { level, version } = self.mode {
            report.pod_security = Some(format!("{level}:{version}"));
        }
        for (format, path) in &self.outputs {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
            let options = RenderOptions::default()
                .with_source(sources)
                .with_timestamp(now());
            palisade_report::render(*format, &report, &options, &mut file)
                .and_then(|()| file.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let options = RenderOptions::default()
            .with_color(self.color)
            .with_source(sources)
            .with_timestamp(now());
        let mut stdout = stdout();
        palisade_report::render(self.stdout_format, &report, &options, &mut stdout)
            .and_then(|()| stdout.flush())
            .context("cannot write the report")?;
        if let Some(path) = &self.write_baseline {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot write the baseline {}", path.display()))?,
            );
            palisade_report::render(Format::Json, &report, &RenderOptions::default(), &mut file)
                .and_then(|()| file.flush())
                .with_context(|| format!("cannot write the baseline {}", path.display()))?;
            eprintln!(
                "Wrote a baseline of {} to {}; pass it as --baseline to fail only on new findings.",
                match report.findings.len() {
                    1 => "1 finding".to_owned(),
                    n => format!("{n} findings"),
                },
                path.display()
            );
        }
        let code = if !report.problems.is_empty() {
            EXIT_ERROR
        } else if report.failing() > 0
            || (self.fail_on_not_evaluated && !report.not_evaluated.is_empty())
        {
            1
        } else {
            0
        };
        // The process ends soon: leave the large report to the OS instead of freeing it piece
        // by piece.
        std::mem::forget(report);
        Ok(code)
    }
}

/// Seconds since the epoch, for reports that stamp their results.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The largest baseline read: a JSON report of a very large repository is tens of megabytes.
const MAX_BASELINE_BYTES: u64 = 512 * 1024 * 1024;

fn load_baseline(path: &std::path::Path) -> Result<Baseline> {
    let bytes = palisade_core::source::read_bounded(path, MAX_BASELINE_BYTES)
        .with_context(|| format!("--baseline {}", path.display()))?;
    palisade_report::read_baseline(&bytes, &path.display().to_string())
        .with_context(|| format!("--baseline: {}", path.display()))
}

fn load_config(args: &ReportArgs) -> Result<Config> {
    if args.no_config {
        return Ok(Config::default());
    }
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| config::discover(&d)),
    };
    let config = match path {
        Some(p) => config::load(&p)?,
        None => Config::default(),
    };
    palisade_core::object::declare_template_kinds(&config.pod_templates)
        .map_err(anyhow::Error::msg)?;
    palisade_cel::custom::declare(&config)?;
    Ok(config)
}

/// The user's own rules of the `palisade.yaml` found from the working directory, for the
/// commands that list rules without reading a config otherwise (`rules`, `explain`).
pub fn declare_discovered_rules() -> Result<()> {
    let Some(path) = std::env::current_dir()
        .ok()
        .and_then(|d| config::discover(&d))
    else {
        return Ok(());
    };
    palisade_cel::custom::declare(&config::load(&path)?)?;
    Ok(())
}

/// A `--select`/`--ignore` pattern that matches no rule is a typo, not a request for nothing.
fn check_patterns(selection: &Selection) -> Result<()> {
    let catalogue = crate::catalogue::catalogue();
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
pub fn parse_pod_security(spec: &str) -> Result<Mode> {
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
