//! The rule interface. Rules read objects (or the whole inventory) and emit findings; they never do
//! I/O, so the same rules serve files, a live cluster and the admission webhook.

use std::sync::Arc;

use crate::finding::{Finding, Location, Severity};
use crate::object::{span_of, Container, Object, Origin};
use crate::version::{KubeVersion, VersionRange};

/// Everything a rule declares about itself. `palisade rules`, `palisade explain`, SARIF rule
/// metadata and the HTML report are all generated from this.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, never reused: `PS101`.
    pub code: &'static str,
    /// kebab-case name: `privileged-container`.
    pub name: &'static str,
    pub severity: Severity,
    /// The guide section the rule implements, as the guide titles it, or "beyond the guide".
    pub guide: &'static str,
    /// Kubernetes versions the rule applies to.
    pub versions: VersionRange,
    /// Upstream Pod Security Standards check ID, for the rules that implement one.
    pub pss_check: Option<&'static str>,
    /// Pod Security Standards controls, CIS ids, documentation links.
    pub references: &'static [&'static str],
    /// One line for tables.
    pub summary: &'static str,
    /// Docs: what it checks.
    pub what: &'static str,
    /// Docs: why it matters.
    pub why: &'static str,
    /// Docs: a failing example and its fixed form (YAML).
    pub example: &'static str,
    /// Docs: how to fix.
    pub fix: &'static str,
    /// Short advice attached to every finding of the rule.
    pub help: &'static str,
}

/// Settings that shape what rules do.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Target Kubernetes version (from the cluster, or `--kubernetes-version`).
    pub kubernetes_version: KubeVersion,
    /// Registries images may come from (`registry.example.com`, `ghcr.io/org`). Empty: no
    /// allow-list configured, the rule does not run.
    pub allowed_registries: Vec<String>,
}

/// What a rule sees besides the object.
pub struct Context<'a> {
    pub settings: &'a Settings,
}

/// A rule that looks at one object at a time.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// Checks one object. Only called when the target version is in `meta().versions`.
    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>);

    /// The form of this rule that sees every object of the scan, when it has one.
    ///
    /// Some answers depend on another object: a pod's service-account token is mounted unless the
    /// pod *or its ServiceAccount* says no. Such a rule keeps a single-object `check` (what it can
    /// say from the pod alone, used when nothing else is known) and returns an
    /// [`InventoryRule`] here, which an engine holding the whole scan runs *instead of* `check`.
    /// Both report under the same code, so a finding never appears twice. Use
    /// [`check_objects`] rather than dispatching by hand.
    fn inventory(&self) -> Option<&dyn InventoryRule> {
        None
    }
}

/// A rule that looks at every object of a scan at once (a file set, a cluster, or the single object
/// of an admission request), for answers that need more than one object.
///
/// Kept minimal on purpose: it gets the objects and the findings list, and reports through an
/// [`Emitter`] built for the object each finding is about, so locations and object references
/// work as for single-object rules.
pub trait InventoryRule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// Checks all objects. Only called when the target version is in `meta().versions`.
    fn check_all(&self, cx: &Context<'_>, objects: &[Object], out: &mut Vec<Finding>);
}

/// Runs `rule` over `objects` the way an engine should: nothing outside the rule's Kubernetes
/// versions, the inventory form when the rule has one, otherwise `check` on each object.
pub fn check_objects(
    rule: &dyn Rule,
    cx: &Context<'_>,
    objects: &[Object],
    out: &mut Vec<Finding>,
) {
    if !rule
        .meta()
        .versions
        .contains(cx.settings.kubernetes_version)
    {
        return;
    }
    if let Some(inventory) = rule.inventory() {
        inventory.check_all(cx, objects, out);
        return;
    }
    for object in objects {
        let mut emitter = Emitter::new(object, rule.meta(), out);
        rule.check(cx, object, &mut emitter);
    }
}

/// Collects a rule's findings for one object, resolving pointers to source positions.
pub struct Emitter<'a> {
    object: &'a Object,
    meta: &'static RuleMeta,
    out: &'a mut Vec<Finding>,
}

impl<'a> Emitter<'a> {
    pub fn new(object: &'a Object, meta: &'static RuleMeta, out: &'a mut Vec<Finding>) -> Self {
        Emitter { object, meta, out }
    }

    /// Reports a finding at `pointer` (a JSON pointer inside the object; it may name a missing
    /// field, the finding then points at the nearest parent).
    pub fn report(&mut self, pointer: &str, message: impl Into<String>) -> &mut Finding {
        let location = match &self.object.origin {
            Origin::File { path, base, .. } => {
                let span = span_of(&self.object.node, pointer);
                Location::File {
                    path: Arc::clone(path),
                    pos: span.start,
                    end: span.end,
                    pointer: format!("{base}{pointer}"),
                }
            }
            Origin::Api { source } => Location::Object {
                source: Arc::clone(source),
                pointer: pointer.to_owned(),
            },
        };
        self.out.push(Finding {
            code: self.meta.code,
            rule: self.meta.name,
            severity: self.meta.severity,
            pss_check: self.meta.pss_check,
            location,
            object: Some(self.object.reference()),
            container: None,
            message: message.into(),
            help: self.meta.help.to_owned(),
            suppressed: None,
        });
        self.out.last_mut().expect("just pushed")
    }

    /// Reports a finding about one container; exemptions can then name the container.
    pub fn report_container(
        &mut self,
        container: &Container<'_>,
        pointer: &str,
        message: impl Into<String>,
    ) -> &mut Finding {
        let f = self.report(pointer, message);
        f.container = Some(container.name.to_owned());
        f
    }
}
