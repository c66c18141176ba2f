//! What a run produced, as every reporter (text, JSON, SARIF, …) receives it.

use std::sync::Arc;

use crate::baseline::BaselineSummary;
use crate::finding::{Finding, Severity};
use crate::rule::RuleMeta;
use crate::yaml::Pos;

/// An input that could not be read or parsed (all of it, or from `pos` on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    pub path: Arc<str>,
    pub pos: Option<Pos>,
    pub message: String,
}

/// A rule that ran but could not reach a verdict (on everything, or on part of the inventory)
/// because the data it needs was not in the inventory: "not evaluated" is not "passed". A scan of
/// files holds only what the files hold; a pod's namespace may be defined elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotEvaluated {
    /// The rule's code.
    pub code: &'static str,
    /// What was missing, naming the objects concerned (`no Namespace object in the scanned files
    /// for namespace "shop" (2 workloads)`).
    pub reason: String,
}

/// Counts for the summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: usize,
    pub documents: usize,
    pub objects: usize,
    /// Documents that are not Kubernetes objects (no apiVersion/kind, or empty).
    pub skipped_documents: usize,
    /// What `objects` counts when it is not Kubernetes objects (a node audit counts components,
    /// a probe host:port pairs); `None` for objects.
    pub subject: Option<Subject>,
}

/// How a summary names what a command looked at: `Audited 5 components in 14 files`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub verb: &'static str,
    pub one: &'static str,
    pub many: &'static str,
}

/// The whole result of a scan.
#[derive(Clone, Debug, Default)]
pub struct ScanReport {
    /// Findings, sorted by file, position and code; suppressed ones included (marked).
    pub findings: Vec<Finding>,
    /// Inputs that failed to read or parse.
    pub problems: Vec<InputProblem>,
    pub stats: Stats,
    /// The rules that ran (for SARIF rule metadata and HTML docs).
    pub rules: Vec<&'static RuleMeta>,
    /// Findings at or above this severity make the run fail (exit 1).
    pub fail_on: Option<Severity>,
    /// Target Kubernetes version the rules were evaluated for, e.g. "v1.37".
    pub kubernetes_version: String,
    /// Pod Security Standards mode (`restricted:v1.30`), when `--pod-security` was given.
    pub pod_security: Option<String>,
    /// Rules that could not be (fully) evaluated for lack of data, by code.
    pub not_evaluated: Vec<NotEvaluated>,
    /// What is worth knowing about the input but is no error (an object given twice: which copy
    /// counts). Reported, never a reason to fail.
    pub notes: Vec<InputProblem>,
    /// What a baseline (`--baseline`) made of the findings, when one was given.
    pub baseline: Option<BaselineSummary>,
    /// What fed the report (files, a cluster, nodes, a probe) and what it held, for the guide
    /// scorecard: a section holds only on evidence.
    pub evidence: Evidence,
}

/// What fed a report, so the guide scorecard can tell "nothing found" from "nothing looked at".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Every source, in the order given.
    pub sources: Vec<Source>,
    /// The rules of this run that had nothing to judge in the input (no object of a kind they
    /// inspect, nothing kept for their cross-object stage): their silence is no verdict, so the
    /// scorecard calls them not applicable. Empty for a source without an engine run.
    pub nothing_judged: Vec<NothingJudged>,
    /// For a report merged from saved reports (`palisade report`): each rule's state as the
    /// sources gave it, already merged. `None` for a report made by this run, whose rule states
    /// follow from `rules` and `not_evaluated`.
    pub judged: Option<Vec<Judged>>,
}

/// A rule that ran on input holding nothing it judges (see [`Evidence::nothing_judged`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NothingJudged {
    pub code: &'static str,
    /// What the input lacked: `no PodSecurityPolicies in the input`.
    pub reason: String,
}

/// One input of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
    /// What it was: the arguments of a scan, a cluster's context, a node's root, probed targets.
    pub name: String,
}

/// The kinds of input Palisade reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    /// Manifest files (`palisade scan`).
    Files,
    /// A live cluster's objects (`palisade cluster`).
    Cluster,
    /// Node components (`palisade node`, or `palisade cluster` through nodes/proxy).
    Node,
    /// Network answers (`palisade probe`).
    Probe,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Files => "files",
            SourceKind::Cluster => "cluster",
            SourceKind::Node => "node",
            SourceKind::Probe => "probe",
        }
    }

    pub fn parse(s: &str) -> Option<SourceKind> {
        [
            SourceKind::Files,
            SourceKind::Cluster,
            SourceKind::Node,
            SourceKind::Probe,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A rule's state in a merged report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    pub code: String,
    pub state: RuleState,
    /// The sources that judged it (names), for the scorecard's "fed by".
    pub sources: Vec<String>,
    /// What the saved report said about a rule this program may not declare (a report of a
    /// newer release): its name and severity, and the guide sections with their severities.
    pub declared: Option<Declared>,
}

/// A rule as a saved report declared it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    pub name: Option<String>,
    pub severity: Option<Severity>,
    pub sections: Vec<(String, Severity)>,
}

/// How far a rule got on the input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleState {
    /// Evaluated on everything it needed: its findings are all there is.
    Evaluated,
    /// Ran, but could not decide on some or all of the input (the reason).
    NotEvaluated(String),
    /// Not run because `--select`/`--ignore` (or `--pod-security`) left it out.
    Deselected,
    /// The input held nothing the rule judges, or the rule does not apply to its version.
    NotApplicable(String),
    /// No input of the kind the rule reads (node settings without a node audit): what to run.
    NoInput(String),
}

impl RuleState {
    /// Which of two sources' states about one rule a merged report keeps: the one that says the
    /// most (evaluated beats not evaluated beats deselected …).
    pub fn rank(&self) -> u8 {
        match self {
            RuleState::Evaluated => 0,
            RuleState::NotEvaluated(_) => 1,
            RuleState::Deselected => 2,
            RuleState::NotApplicable(_) => 3,
            RuleState::NoInput(_) => 4,
        }
    }
}

impl ScanReport {
    /// Findings that need attention: neither suppressed nor already in the baseline.
    pub fn open(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_none() && !f.baselined)
    }

    /// Open findings at or above the threshold.
    pub fn failing(&self) -> usize {
        match self.fail_on {
            Some(t) => self.open().filter(|f| f.severity >= t).count(),
            None => 0,
        }
    }

    /// Open findings of each severity, most severe first.
    pub fn counts(&self) -> [(Severity, usize); 4] {
        Severity::ALL.map(|s| (s, self.open().filter(|f| f.severity == s).count()))
    }

    /// Unsuppressed findings the baseline already held.
    pub fn baselined(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_none() && f.baselined)
            .count()
    }

    pub fn suppressed(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_some())
            .count()
    }
}
