//! Reporters: turn a [`ScanReport`] into text, JSON or SARIF.
//!
//! Every format is a [`Reporter`]: a sink that writes one whole report to a byte stream. The CLI
//! picks formats by name ([`Format`], [`OutputSpec`] for `--output FORMAT=FILE`) and calls
//! [`render`]; a new format (JUnit, HTML) is one more `Reporter` and one more `Format` variant, with
//! nothing else to change. Reporters never decide anything about the run (exit code, what fails):
//! they show what [`ScanReport`] says, so every format agrees with every other.
//!
//! ```
//! use std::collections::HashMap;
//! use palisade_core::report::ScanReport;
//! use palisade_report::{render, Format, OutputSpec, RenderOptions};
//!
//! let report = ScanReport::default();
//! let files: HashMap<String, String> = HashMap::new(); // path → text, for code frames
//! let options = RenderOptions::default().with_color(false).with_source(&files);
//!
//! let mut terminal = Vec::new();
//! render(Format::Text, &report, &options, &mut terminal)?;
//!
//! let spec: OutputSpec = "sarif=palisade.sarif".parse().unwrap();
//! let mut file = Vec::new(); // a BufWriter<File> at `spec.path` in the CLI
//! render(spec.format, &report, &options, &mut file)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;
use std::str::FromStr;

use palisade_core::report::ScanReport;
use palisade_core::Severity;

mod html;
mod json;
mod junit;
pub mod markdown;
mod paths;
pub mod policyreport;
pub mod read;
mod sarif;
pub mod scorecard;
pub mod snippet;
mod text;

pub use html::HtmlReporter;
pub use json::{read_baseline, BaselineError, JsonReporter, SCHEMA_VERSION};
pub use junit::JunitReporter;
pub use markdown::MarkdownReporter;
pub use policyreport::PolicyReportReporter;
pub use sarif::{fingerprint, security_severity, severity_level, SarifReporter};
pub use text::TextReporter;

/// A sink for a whole scan report in one format.
///
/// Object-safe on purpose: the CLI holds a `Box<dyn Reporter>` per `--output` it was given.
pub trait Reporter {
    /// Writes `report` to `out`. Only I/O can fail: every report has a rendering.
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()>;
}

/// The text of a scanned file, for code frames in the text report.
///
/// A trait rather than a map so the caller keeps the files however it already does (the scan has
/// them in memory; a cluster scan has none) and the reporter borrows, never copies, them.
pub trait SourceText {
    /// The whole text of `path` (as the finding names it), when it is available.
    fn text(&self, path: &str) -> Option<&str>;
}

impl<K, V, S> SourceText for std::collections::HashMap<K, V, S>
where
    K: std::borrow::Borrow<str> + std::hash::Hash + Eq,
    V: AsRef<str>,
    S: std::hash::BuildHasher,
{
    fn text(&self, path: &str) -> Option<&str> {
        self.get(path).map(AsRef::as_ref)
    }
}

impl<K, V> SourceText for std::collections::BTreeMap<K, V>
where
    K: std::borrow::Borrow<str> + Ord,
    V: AsRef<str>,
{
    fn text(&self, path: &str) -> Option<&str> {
        self.get(path).map(AsRef::as_ref)
    }
}

/// Who made the report, as JSON and SARIF name it.
///
/// Carried in the options (not hard-coded) so snapshot tests can pin the version and the binary
/// can name itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// Where users learn about the tool (SARIF `tool.driver.informationUri`).
    pub information_uri: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "palisade".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            // The project's domain: the one its annotations (`palisade.dev/ignore`) are keyed on.
            information_uri: "https://palisade.dev/".to_owned(),
        }
    }
}

/// What a reporter needs besides the report.
///
/// `#[non_exhaustive]` so options can be added without breaking callers: build it with
/// [`RenderOptions::default`] and the `with_*` methods.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct RenderOptions<'a> {
    /// ANSI colour in the text report. The caller decides (TTY, `NO_COLOR`, `--color`); reporters
    /// never look at the environment, so output is a pure function of its inputs.
    pub color: bool,
    /// File contents for code frames; `None` shows findings without frames.
    pub source: Option<&'a dyn SourceText>,
    pub tool: ToolInfo,
    /// Seconds since the epoch, for formats that stamp results (PolicyReport); the caller reads
    /// the clock, so reporters stay pure.
    pub timestamp: i64,
}

impl<'a> RenderOptions<'a> {
    pub fn with_color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }

    pub fn with_source(mut self, source: &'a dyn SourceText) -> Self {
        self.source = Some(source);
        self
    }

    pub fn with_tool(mut self, tool: ToolInfo) -> Self {
        self.tool = tool;
        self
    }

    pub fn with_timestamp(mut self, seconds: i64) -> Self {
        self.timestamp = seconds;
        self
    }
}

impl fmt::Debug for RenderOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderOptions")
            .field("color", &self.color)
            .field("source", &self.source.map(|_| ".."))
            .field("tool", &self.tool)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// An output format, as `--format` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// For people: grouped by file, code frames, colour on a terminal.
    Text,
    /// For scripts: the schema in `docs/json-schema.md`.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML, for CI test-report views.
    Junit,
    /// One self-contained HTML page.
    Html,
    /// wg-policy `PolicyReport`/`ClusterPolicyReport` objects (`wgpolicyk8s.io/v1alpha2`).
    PolicyReport,
    /// Markdown for pull-request comments and CI job summaries, within GitHub's comment limit.
    Markdown,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Html,
        Format::PolicyReport,
        Format::Markdown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Html => "html",
            Format::PolicyReport => "policyreport",
            Format::Markdown => "markdown",
        }
    }

    /// The reporter for this format.
    pub fn reporter<'a>(self, options: &RenderOptions<'a>) -> Box<dyn Reporter + 'a> {
        match self {
            Format::Text => Box::new(TextReporter::new(options.color, options.source)),
            Format::Json => {
                Box::new(JsonReporter::new(options.tool.clone()).with_source(options.source))
            }
            Format::Sarif => {
                Box::new(SarifReporter::new(options.tool.clone()).with_source(options.source))
            }
            Format::Junit => Box::new(JunitReporter),
            Format::Html => {
                Box::new(HtmlReporter::new(options.tool.clone()).with_source(options.source))
            }
            Format::PolicyReport => Box::new(PolicyReportReporter::new(
                options.tool.clone(),
                options.timestamp,
            )),
            Format::Markdown => Box::new(MarkdownReporter::default()),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}` (expected text, json, sarif, junit, html, policyreport or markdown)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// One `--output FORMAT=FILE`: write the report in `format` to `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Format,
    pub path: PathBuf,
}

/// Why an `--output` value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputSpecError {
    #[error("expected FORMAT=FILE (e.g. sarif=palisade.sarif), got `{0}`")]
    MissingEquals(String),
    #[error("no file name after `=` in `{0}`")]
    EmptyPath(String),
    #[error(transparent)]
    Format(#[from] UnknownFormat),
}

impl FromStr for OutputSpec {
    type Err = OutputSpecError;
    /// Splits at the first `=`: format names never contain one, file names may.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (format, path) = s
            .split_once('=')
            .ok_or_else(|| OutputSpecError::MissingEquals(s.to_owned()))?;
        let format = format.parse()?;
        if path.is_empty() {
            return Err(OutputSpecError::EmptyPath(s.to_owned()));
        }
        Ok(OutputSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

/// Writes `report` in `format` to `out`.
///
/// The JSON and SARIF reporters write in many small pieces: give them a buffered writer.
pub fn render(
    format: Format,
    report: &ScanReport,
    options: &RenderOptions<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    format.reporter(options).render(report, out)
}

/// The rule family a code belongs to, from its prefix (the scheme in `palisade-rules`' docs).
/// Used for SARIF tags, so code scanning can filter alerts by area.
pub(crate) fn family(code: &str) -> String {
    let prefix: String = code.chars().take_while(char::is_ascii_alphabetic).collect();
    match prefix.as_str() {
        "PS" => "pod-security".to_owned(),
        "RB" => "rbac".to_owned(),
        "NP" => "network-policy".to_owned(),
        "IM" => "images".to_owned(),
        "CP" => "control-plane".to_owned(),
        "KL" => "kubelet".to_owned(),
        "EX" => "exposure".to_owned(),
        "AP" => "attack-path".to_owned(),
        "PA" => "palisade".to_owned(),
        "VA" => "admission-policy".to_owned(),
        _ => prefix.to_ascii_lowercase(),
    }
}

/// Counts as the summary shows them; in one place so text and JSON cannot disagree.
pub(crate) fn severity_count(report: &ScanReport, severity: Severity) -> usize {
    report
        .counts()
        .iter()
        .find(|(s, _)| *s == severity)
        .map_or(0, |(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_round_trips_and_rejects_unknown() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
        assert_eq!(
            "csv".parse::<Format>(),
            Err(UnknownFormat("csv".to_owned()))
        );
    }

    #[test]
    fn output_spec_splits_at_first_equals() {
        let spec: OutputSpec = "sarif=out/a=b.sarif".parse().unwrap();
        assert_eq!(spec.format, Format::Sarif);
        assert_eq!(spec.path, PathBuf::from("out/a=b.sarif"));
        assert_eq!(
            "report.json".parse::<OutputSpec>(),
            Err(OutputSpecError::MissingEquals("report.json".to_owned()))
        );
        assert_eq!(
            "json=".parse::<OutputSpec>(),
            Err(OutputSpecError::EmptyPath("json=".to_owned()))
        );
        assert!(matches!(
            "xml=a.xml".parse::<OutputSpec>(),
            Err(OutputSpecError::Format(_))
        ));
    }

    #[test]
    fn families_follow_code_prefixes() {
        assert_eq!(family("PS101"), "pod-security");
        assert_eq!(family("RB201"), "rbac");
        assert_eq!(family("PA901"), "palisade");
        assert_eq!(family("ZZ1"), "zz");
    }

    #[test]
    fn source_text_maps_lookup_by_path() {
        let mut m = std::collections::HashMap::new();
        m.insert("a.yaml".to_owned(), "x: 1\n".to_owned());
        let s: &dyn SourceText = &m;
        assert_eq!(s.text("a.yaml"), Some("x: 1\n"));
        assert_eq!(s.text("b.yaml"), None);
        let b: std::collections::BTreeMap<&str, &str> = [("c.yaml", "y")].into();
        assert_eq!(b.text("c.yaml"), Some("y"));
    }
}
