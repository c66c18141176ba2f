//! Fixes: the change that makes a finding go away, declared by the rule that found it.
//!
//! A fix is expressed on the object's document model (JSON pointers and values), not as text, so
//! every consumer applies it its own way: `palisade fix` turns it into minimal text edits that keep
//! the rest of the file as written, the admission webhook's `/mutate` turns it into a JSONPatch,
//! and SARIF reports it as `fixes`. One declaration per rule, three renderings.

use std::fmt;

/// Whether applying a fix can change what the workload does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FixSafety {
    /// Cannot change behaviour (e.g. `allowPrivilegeEscalation: false` on a container that never
    /// calls a setuid binary is the default behaviour of most images; seccomp `RuntimeDefault`).
    /// Applied by `palisade fix` and, when configured, by the webhook's `/mutate`.
    Safe,
    /// May break the workload (e.g. `runAsNonRoot: true` on an image that runs as root). Applied
    /// only on request (`--unsafe-fixes`).
    Unsafe,
}

impl FixSafety {
    pub fn as_str(self) -> &'static str {
        match self {
            FixSafety::Safe => "safe",
            FixSafety::Unsafe => "unsafe",
        }
    }
}

/// A value a fix writes. Kept to what manifests need; rendered as YAML or JSON by the consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixValue {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<FixValue>),
    /// A mapping, in the order the keys should be written.
    Map(Vec<(String, FixValue)>),
}

impl FixValue {
    pub fn str(s: impl Into<String>) -> Self {
        FixValue::Str(s.into())
    }
}

/// One change to the object.
///
/// Pointers are JSON pointers (RFC 6901) relative to the object the finding is about
/// ([`crate::Finding::object`]; for an item of a `List` that is the item, not the file's document).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixOp {
    /// Set the field at `pointer` to `value`, creating missing parent mappings; replaces any value
    /// that is there.
    Set { pointer: String, value: FixValue },
    /// Remove the field (mapping key) or sequence item at `pointer`; nothing to do if absent.
    Remove { pointer: String },
    /// Append `value` to the sequence at `pointer`, creating the sequence (and missing parent
    /// mappings) if absent.
    Append { pointer: String, value: FixValue },
}

impl FixOp {
    pub fn pointer(&self) -> &str {
        match self {
            FixOp::Set { pointer, .. }
            | FixOp::Remove { pointer }
            | FixOp::Append { pointer, .. } => pointer,
        }
    }
}

/// The change a rule proposes for one finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, for people (`set allowPrivilegeEscalation: false`).
    pub description: String,
    pub safety: FixSafety,
    /// Applied in order.
    pub ops: Vec<FixOp>,
}

impl Fix {
    pub fn safe(description: impl Into<String>, ops: Vec<FixOp>) -> Self {
        Fix {
            description: description.into(),
            safety: FixSafety::Safe,
            ops,
        }
    }

    pub fn unsafe_(description: impl Into<String>, ops: Vec<FixOp>) -> Self {
        Fix {
            description: description.into(),
            safety: FixSafety::Unsafe,
            ops,
        }
    }

    /// A fix of one `Set`.
    pub fn set(
        safety: FixSafety,
        description: impl Into<String>,
        pointer: impl Into<String>,
        value: FixValue,
    ) -> Self {
        Fix {
            description: description.into(),
            safety,
            ops: vec![FixOp::Set {
                pointer: pointer.into(),
                value,
            }],
        }
    }
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description, self.safety.as_str())
    }
}

/// The object of `objects` (loaded from the finding's file) that `finding` is about: same
/// reference, its base a prefix of the finding's pointer (an item of a `List`), and, when several
/// remain (one name written twice), the one whose span holds the finding's position.
pub fn object_of<'o>(
    objects: &'o [crate::Object],
    finding: &crate::Finding,
) -> Option<&'o crate::Object> {
    let reference = finding.object.as_ref()?;
    let crate::Location::File { pointer, pos, .. } = &finding.location else {
        return None;
    };
    let mut candidates = objects.iter().filter(|o| {
        let base = match &o.origin {
            crate::Origin::File { base, .. } => base.as_str(),
            crate::Origin::Api { .. } => return false,
        };
        reference.is(o)
            && pointer.starts_with(base)
            && pointer[base.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == '/')
    });
    let first = candidates.next()?;
    let within = |o: &crate::Object| o.node.span.start <= *pos && *pos <= o.node.span.end;
    if within(first) {
        return Some(first);
    }
    Some(candidates.find(|o| within(o)).unwrap_or(first))
}

/// The text edits of one finding's fix on its own (for reports that show each fix separately,
/// such as SARIF `fixes`): `None` when the finding has no fix, its object is not in `objects`, or
/// the fix cannot be applied in one step (skipped, already satisfied, or operations that need
/// two rounds).
pub fn edits_of(
    editor: &crate::yaml::edit::Editor<'_>,
    objects: &[crate::Object],
    finding: &crate::Finding,
) -> Option<Vec<crate::yaml::edit::TextEdit>> {
    let fix = finding.fix.as_deref()?;
    let object = object_of(objects, finding)?;
    let edits = editor.edits(&object.node, fix).ok()?;
    let independent = edits.iter().enumerate().all(|(i, a)| {
        edits[i + 1..]
            .iter()
            .all(|b| !crate::yaml::edit::conflict(a, b))
    });
    (!edits.is_empty() && independent).then_some(edits)
}
