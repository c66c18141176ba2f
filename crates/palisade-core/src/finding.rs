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

/// Puts findings in report order ([`Finding::sort_key`]), findings with equal keys kept in the
/// order they came in.
pub fn sort_for_report(findings: &mut [Finding]) {
    sort_stably_in_place(findings, |a, b| a.sort_key().cmp(&b.sort_key()));
}

/// A stable sort that needs no copy of the items: `slice::sort_by` borrows room for half of
/// them (23 MB for the 214,000 findings of a 100,000-object scan), held at the scan's peak.
/// Sorts their indices instead (4 bytes each; ties broken by index, hence stable), then moves
/// each item once into place, a cycle of the permutation at a time.
fn sort_stably_in_place<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    let Ok(n) = u32::try_from(items.len()) else {
        return items.sort_by(cmp);
    };
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| cmp(&items[a as usize], &items[b as usize]).then(a.cmp(&b)));
    // Position `i` takes the item at `order[i]`; a position done is marked `order[i] == i`.
    for start in 0..items.len() {
        let mut at = start;
        loop {
            let from = order[at] as usize;
            order[at] = at as u32;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sort_stably_in_place;

    /// Equal keys stay in their order, as with `slice::sort_by`, whatever the permutation's
    /// cycles: many ties, sorted and reversed input, fixed points, one item, none.
    #[test]
    fn sorts_as_the_stable_sort_does() {
        let mut seed = 0x2545_f491_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut inputs: Vec<Vec<(u32, usize)>> = vec![Vec::new(), vec![(1, 0)]];
        for (len, keys) in [(10, 3), (257, 5), (1000, 1000), (4096, 2)] {
            inputs.push((0..len).map(|i| (next() % keys, i)).collect());
        }
        inputs.push((0..300).map(|i| (i as u32 / 7, i)).collect());
        inputs.push((0..300).rev().map(|i| (i as u32 / 7, i)).collect());
        for input in inputs {
            let mut expected = input.clone();
            expected.sort_by_key(|a| a.0);
            let mut got = input;
            sort_stably_in_place(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, expected);
        }
    }
}
