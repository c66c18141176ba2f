//! Severities, locations and findings: the one output type every source and rule shares.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::fix::Fix;
use crate::object::ObjectRef;
use crate::yaml::Pos;

/// How bad a finding is, graded as the guide grades its items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The guide's mark for this severity (the guide leaves "low" unmarked).
    pub fn emoji(self) -> &'static str {
        match self {
            Severity::Critical => "💥",
            Severity::High => "🔥",
            Severity::Medium => "☁️",
            Severity::Low => "",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a severity name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}` (expected critical, high, medium or low)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(UnknownSeverity(s.to_owned())),
        }
    }
}

/// Where a finding is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A field of a manifest file. `pointer` is the JSON pointer of the field inside the document
    /// (it may name a field that is missing; `pos` is then the nearest parent that exists).
    File {
        path: Arc<str>,
        pos: Pos,
        end: Pos,
        pointer: String,
    },
    /// A file as a whole (it could not be parsed, read, …).
    Path { path: Arc<str>, pos: Option<Pos> },
    /// An object known by reference only (live cluster, admission request).
    Object { source: Arc<str>, pointer: String },
}

impl Location {
    pub fn path(&self) -> Option<&str> {
        match self {
            Location::File { path, .. } | Location::Path { path, .. } => Some(path),
            Location::Object { .. } => None,
        }
    }

    pub fn pos(&self) -> Option<Pos> {
        match self {
            Location::File { pos, .. } => Some(*pos),
            Location::Path { pos, .. } => *pos,
            Location::Object { .. } => None,
        }
    }

    pub fn pointer(&self) -> Option<&str> {
        match self {
            Location::File { pointer, .. } | Location::Object { pointer, .. } => Some(pointer),
            Location::Path { .. } => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, pos, .. } => write!(f, "{path}:{pos}"),
            Location::Path { path, pos: Some(p) } => write!(f, "{path}:{p}"),
            Location::Path { path, pos: None } => write!(f, "{path}"),
            Location::Object { source, pointer } => write!(f, "{source}#{pointer}"),
        }
    }
}

/// One thing found wrong. Findings are data, never errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable rule code (`PS101`).
    pub code: &'static str,
    /// The rule's kebab-case name.
    pub rule: &'static str,
    pub severity: Severity,
    /// The upstream Pod Security Standards check ID, for findings of those checks.
    pub pss_check: Option<&'static str>,
    pub location: Location,
    /// Shared by every finding about the object (a workload has dozens): see
    /// [`crate::rule::Emitter::with_reference`].
    pub object: Option<Arc<ObjectRef>>,
    /// The container a per-container finding is about.
    pub container: Option<Box<str>>,
    /// Another object the verdict depends on (the ServiceAccount whose token a pod mounts); see
    /// [`crate::rule::InventoryRule`].
    pub related: Option<Box<ObjectRef>>,
    /// What is wrong. A `Box<str>`, not a `String`: findings are many and the spare capacity a
    /// formatted `String` carries would be kept with each.
    pub message: Box<str>,
    /// What to do about it: the rule's advice ([`crate::RuleMeta::help`]), shared by every
    /// finding of the rule rather than copied into each.
    pub help: &'static str,
    /// Set when an exemption covers this finding: the reason given.
    pub suppressed: Option<Box<str>>,
    /// Set when a baseline (`--baseline`) already holds this finding: it is reported but does not
    /// count towards `--fail-on`. See [`crate::baseline`].
    pub baselined: bool,
    /// The change that would make this finding go away, when the rule knows one (boxed: most
    /// findings have none, and findings are many).
    pub fix: Option<Box<Fix>>,
    /// The steps of an attack path, in order, for findings that report one (SARIF `codeFlows`);
    /// boxed and absent for every other finding.
    pub flow: Option<Box<[FlowStep]>>,
}

/// One step of an attack path: what happens, and where the fact that allows it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowStep {
    pub message: String,
    /// `None` for a step that is how Kubernetes works rather than a fact of the input (a
    /// ServiceAccount is in `system:authenticated`).
    pub location: Option<Location>,
}

impl Finding {
    /// Adds `more` to the message (a rule saying more once it knows more).
    pub fn append_message(&mut self, more: &str) {
        let mut m = String::from(std::mem::take(&mut self.message));
        m.push_str(more);
        self.message = m.into_boxed_str();
    }

    /// Order for reports: by file, position, then code.
    pub fn sort_key(&self) -> (Option<&str>, Option<Pos>, &'static str, &str) {
        (
            self.location.path(),
            self.location.pos(),
            self.code,
            &self.message,
        )
    }
}
