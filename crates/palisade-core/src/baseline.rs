//! Baselines: adopting Palisade in a repository that already has findings, without a flag day.
//!
//! A baseline is an earlier report (`--write-baseline`, the JSON report). A later run counts only
//! findings that are *new* since then towards `--fail-on`; the others are reported as baselined.
//!
//! Findings are matched by a [`Fingerprint`] built from what identifies the problem rather than
//! where the text happens to put it: the rule, the object's identity (API group, kind,
//! namespace, name — not its version, so `v1beta1` → `v1` is no change), and the JSON pointer
//! inside the object, with container indices replaced by container names (reordering containers
//! is no change either). Line numbers never take part, so inserting a comment or reordering the
//! documents of a file changes nothing. A finding about no object (a node file, an input error)
//! is identified by its file and message instead.
//!
//! The same fingerprint may occur several times (two identical problems on one object); the
//! baseline is a multiset, so two baselined copies cover two findings and a third one is new.

use std::collections::HashMap;

use crate::finding::Finding;
use crate::report::ScanReport;

/// What identifies a finding across runs. Built from a [`Finding`] or from a finding of a saved
/// JSON report, which carries the same fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    code: String,
    subject: String,
    pointer: String,
}

/// The fields of a finding a fingerprint is made of, as both a live [`Finding`] and a saved
/// report hold them.
#[derive(Clone, Copy, Debug, Default)]
pub struct FingerprintParts<'a> {
    pub code: &'a str,
    /// `apiVersion`, kind, namespace and name of the object, when the finding is about one.
    pub object: Option<(&'a str, &'a str, Option<&'a str>, Option<&'a str>)>,
    pub container: Option<&'a str>,
    pub pointer: Option<&'a str>,
    pub file: Option<&'a str>,
    pub message: &'a str,
}

impl Fingerprint {
    pub fn new(p: FingerprintParts<'_>) -> Fingerprint {
        let subject = match p.object {
            Some((api_version, kind, namespace, name)) => {
                // The group only: a version bump of the same object is the same object.
                let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
                format!(
                    "{group}/{kind}/{}/{}",
                    namespace.unwrap_or(""),
                    name.unwrap_or("")
                )
            }
            // Without an object, the file and what was said are all that identify it.
            None => format!("file:{}\n{}", p.file.unwrap_or(""), p.message),
        };
        let pointer = p
            .pointer
            .map(|ptr| name_containers(ptr, p.container))
            .unwrap_or_default();
        Fingerprint {
            code: p.code.to_owned(),
            subject,
            pointer,
        }
    }

    pub fn of(f: &Finding) -> Fingerprint {
        let object = f.object.as_ref().map(|o| {
            (
                o.api_version.as_str(),
                o.kind.as_str(),
                o.namespace.as_deref(),
                o.name.as_deref(),
            )
        });
        Fingerprint::new(FingerprintParts {
            code: f.code,
            object,
            container: f.container.as_deref(),
            pointer: f.location.pointer(),
            file: f.location.path(),
            message: &f.message,
        })
    }
}

/// Replaces the index after `containers`, `initContainers` or `ephemeralContainers` by the
/// container's name, so that a pointer survives reordering: `/spec/containers/1/image` for
/// container `app` becomes `/spec/containers/name=app/image`. Only the first such index is the
/// finding's own container; pointers without a container name are kept as they are.
fn name_containers(pointer: &str, container: Option<&str>) -> String {
    let Some(name) = container else {
        return pointer.to_owned();
    };
    let mut out = String::with_capacity(pointer.len() + name.len());
    let mut replaced = false;
    let mut previous = "";
    for (i, segment) in pointer.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let is_index = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
        if !replaced
            && is_index
            && matches!(
                previous,
                "containers" | "initContainers" | "ephemeralContainers"
            )
        {
            out.push_str("name=");
            // A name cannot hold `/` (DNS-1123 label), but an invalid manifest's could: escape
            // as JSON pointers do.
            out.push_str(&crate::yaml::escape_pointer(name));
            replaced = true;
        } else {
            out.push_str(segment);
        }
        previous = segment;
    }
    out
}

/// The findings of an earlier report, as a multiset of fingerprints.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    /// Where the baseline was read from, for messages.
    pub source: String,
    counts: HashMap<Fingerprint, usize>,
    total: usize,
}

/// What applying a baseline found, for the summary of every report format.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaselineSummary {
    /// Where the baseline was read from.
    pub source: String,
    /// Unsuppressed findings not in the baseline: these count towards `--fail-on`.
    pub new: usize,
    /// Unsuppressed findings already in the baseline.
    pub unchanged: usize,
    /// Baseline findings this run no longer has (fixed, or their rule or object is gone).
    pub absent: usize,
}

impl Baseline {
    pub fn new(source: impl Into<String>) -> Baseline {
        Baseline {
            source: source.into(),
            ..Baseline::default()
        }
    }

    pub fn insert(&mut self, fingerprint: Fingerprint) {
        *self.counts.entry(fingerprint).or_default() += 1;
        self.total += 1;
    }

    /// How many findings the baseline holds.
    pub fn len(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Marks the report's findings that the baseline holds as baselined and records the
    /// summary in the report. Findings are matched in report order, each baseline entry at most
    /// once. Suppressed findings take their baseline entry too (an exemption added after the
    /// baseline must not turn another copy into a "new" finding) and are marked, but the
    /// summary counts only unsuppressed ones.
    pub fn apply(&self, report: &mut ScanReport) {
        let mut left = self.counts.clone();
        let mut summary = BaselineSummary {
            source: self.source.clone(),
            ..BaselineSummary::default()
        };
        for f in &mut report.findings {
            let known = match left.get_mut(&Fingerprint::of(f)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            };
            f.baselined = known;
            if f.suppressed.is_some() {
                continue;
            }
            if known {
                summary.unchanged += 1;
            } else {
                summary.new += 1;
            }
        }
        summary.absent = left.values().sum();
        report.baseline = Some(summary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_indices_become_names() {
        assert_eq!(
            name_containers("/spec/template/spec/containers/3/image", Some("app")),
            "/spec/template/spec/containers/name=app/image"
        );
        assert_eq!(
            name_containers("/spec/initContainers/0", Some("a/b~c")),
            "/spec/initContainers/name=a~1b~0c"
        );
        // No container named: the pointer is kept.
        assert_eq!(
            name_containers("/spec/containers/0/image", None),
            "/spec/containers/0/image"
        );
        // Only an index right after a container list is replaced.
        assert_eq!(
            name_containers("/spec/volumes/0/name", Some("app")),
            "/spec/volumes/0/name"
        );
    }

    #[test]
    fn version_changes_keep_the_identity() {
        let parts = |api_version| FingerprintParts {
            code: "PS101",
            object: Some((api_version, "Deployment", Some("shop"), Some("web"))),
            pointer: Some("/spec"),
            ..FingerprintParts::default()
        };
        assert_eq!(
            Fingerprint::new(parts("apps/v1beta1")),
            Fingerprint::new(parts("apps/v1"))
        );
        assert_ne!(
            Fingerprint::new(parts("apps/v1")),
            Fingerprint::new(parts("extensions/v1beta1"))
        );
    }

    #[test]
    fn objectless_findings_are_told_apart_by_file_and_message() {
        let parts = |file, message| FingerprintParts {
            code: "CP501",
            file: Some(file),
            message,
            ..FingerprintParts::default()
        };
        assert_eq!(
            Fingerprint::new(parts("/etc/a", "x")),
            Fingerprint::new(parts("/etc/a", "x"))
        );
        assert_ne!(
            Fingerprint::new(parts("/etc/a", "x")),
            Fingerprint::new(parts("/etc/b", "x"))
        );
        assert_ne!(
            Fingerprint::new(parts("/etc/a", "x")),
            Fingerprint::new(parts("/etc/a", "y"))
        );
    }
}
