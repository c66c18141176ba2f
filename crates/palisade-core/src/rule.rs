//! The rule interface. Rules read objects (or the whole inventory) and emit findings; they never do
//! I/O, so the same rules serve files, a live cluster and the admission webhook.

use std::cell::OnceCell;
use std::sync::Arc;

use crate::keep::Keep;
use crate::kept::{Kept, Models};
use crate::registry::Rule;

use crate::finding::{Finding, Location, Severity};
use crate::object::{span_of, Container, Object, ObjectRef, Origin, PodTemplate};
use crate::report::NotEvaluated;
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
    /// Images must name a digest (`@sha256:…`); IM404. Off unless configured.
    pub require_image_digest: bool,
    /// Tags images may not use (`latest`); IM405. Empty: the rule does not run.
    pub denied_image_tags: Vec<String>,
    /// Reports of other sources, by name, that rules join with the objects: node audits and
    /// probes (`scan --node-report`, or what `cluster` read of the control plane and kubelets),
    /// whose NodeRestriction, authorizers and anonymous answers the attack-path rules read.
    pub reports: Vec<(String, std::sync::Arc<crate::report::ScanReport>)>,
}

/// What a rule sees besides the object.
pub struct Context<'a> {
    pub settings: &'a Settings,
}

/// The per-object stage of a rule: what can be said from one object alone.
pub trait ObjectRule: Send + Sync {
    /// Checks one object. Only called when the target version is in the rule's versions.
    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>);

    /// [`ObjectRule::check`] given `object.pod_template()`, which the engine looks up once per
    /// object rather than once per rule (each Pod Security check reads it). A rule that reads the
    /// pod template overrides this, and its `check` passes `object.pod_template()` here.
    fn check_pod(
        &self,
        cx: &Context<'_>,
        object: &Object,
        pod: Option<&PodTemplate<'_>>,
        out: &mut Emitter<'_>,
    ) {
        let _ = pod;
        self.check(cx, object, out);
    }

    /// The cross-object stage of this rule, when its verdict on an object can depend on other
    /// objects (a pod's token is not mounted when its ServiceAccount says so). See
    /// [`InventoryRule`].
    fn inventory(&self) -> Option<&dyn InventoryRule> {
        None
    }

    /// The objects this rule judges: without one in the input, "no finding" means nothing and
    /// the guide scorecard calls the rule not applicable rather than letting its section hold
    /// (a scan without a PodSecurityPolicy says nothing about what PodSecurityPolicies allow).
    /// Most object rules read pod specs, hence the default; the engine also counts every object
    /// the rule reported a finding on as judged.
    fn judges(&self) -> Judges {
        Judges::PODS
    }

    /// Whether this rule judges `object` (with its pod template): [`ObjectRule::judges`]'s test,
    /// unless the rule knows better from its own state (a user's rule: the objects its
    /// `matchConstraints` select).
    fn judged(&self, cx: &Context<'_>, object: &Object, pod: Option<&PodTemplate<'_>>) -> bool {
        (self.judges().test)(cx, object, pod)
    }
}

/// What an object rule judges (see [`ObjectRule::judges`]).
#[derive(Clone, Copy)]
pub struct Judges {
    /// What it judges, plural, as "not applicable" reasons name it: `no PodSecurityPolicies in
    /// the input`.
    pub what: &'static str,
    /// Whether `object` (with its pod template, looked up once by the engine) is one of them.
    pub test: fn(&Context<'_>, &Object, Option<&PodTemplate<'_>>) -> bool,
}

impl Judges {
    /// Pods and every object with a pod template.
    pub const PODS: Judges = Judges {
        what: "pods or workloads",
        test: |_, _, pod| pod.is_some(),
    };

    /// Every Kubernetes object.
    pub const OBJECTS: Judges = Judges {
        what: "Kubernetes objects",
        test: |_, _, _| true,
    };
}

impl std::fmt::Debug for Judges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judges").field("what", &self.what).finish()
    }
}

/// The cross-object stage of a rule: a pod's service-account token is mounted unless the pod *or
/// its ServiceAccount* says no; a container without a memory limit gets one from a LimitRange; a
/// pod is isolated only if some NetworkPolicy selects it.
///
/// Two stages, so that a scan of 100,000 objects never has to hold them all:
/// 1. while objects stream through, the engine runs the rule's [`ObjectRule::check`] on each (what
///    can be said from the object alone: a *provisional* verdict; rules registered as
///    [`Stage::Inventory`] have none) and keeps what the rule's [`keep`](InventoryRule::keep)
///    asks for: a whole small object (a ServiceAccount, a binding, a NetworkPolicy), some fields
///    of a large one (a workload's labels and ports), or nothing. One projection per object
///    serves every rule that keeps something of it (see [`Keep`]);
/// 2. after the last object, [`refine`](InventoryRule::refine) gets everything it kept (and the
///    models built from it, see [`Kept::model`]) and all findings of its code so far, and may drop
///    or reword them, or add new ones.
///
/// A finding that depends on another object names it in [`Finding::related`], which is what
/// `refine` can read back. The admission webhook, which sees one object, runs both stages on it.
pub trait InventoryRule: Send + Sync {
    /// What to keep of `object` for [`InventoryRule::refine`], if anything. What `refine` gets
    /// back holds at least these fields, and may hold more that other rules asked for.
    fn keep(&self, object: &Object) -> Option<Keep>;

    /// Rules that keep exactly the same thing (every RBAC rule keeps the RBAC objects, every
    /// NetworkPolicy rule the same projection) name one group here; the engine then calls `keep`
    /// once per group and object, shares the copy, and builds each [`Model`] the group's rules
    /// ask for once.
    fn keep_group(&self) -> Option<&'static str> {
        None
    }

    /// Revises the findings with what was kept.
    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>);

    /// Whether [`ObjectRule::check`] alone already gives the final verdicts, the inventory stage
    /// only refining what they carry (PS160/PS161 choose their fix's level from the namespace's
    /// workloads). Such rules also run where no inventory exists (the admission webhook's
    /// `/validate`); the others' single-object findings are provisional there.
    fn single_object_verdicts(&self) -> bool {
        false
    }

    /// Whether the rule's [`ObjectRule::check`] gives only provisional findings that
    /// [`InventoryRule::refine`] judges again (RB201 from the pod alone, before the
    /// ServiceAccount is known). Where the inventory stage runs, such a rule's `check` then runs
    /// on what [`InventoryRule::keep`] kept of each object instead of on the whole object, just
    /// before `refine`: a large scan does not hold a provisional finding for every workload until
    /// the end only to drop most of them. `keep` must keep every field `check` reads, and the
    /// annotations exemptions read ([`Keep::WAIVERS_META`], [`Keep::WAIVERS_ROOT`]); and `refine`
    /// must only keep, reword or drop the findings it is given, never add any, because the engine
    /// gives it a batch of objects' findings at a time. The engine's tests compare both ways.
    fn checks_kept(&self) -> bool {
        false
    }

    /// Why the rule could not reach a verdict on (part of) the inventory, given what it kept: the
    /// objects it needs were not there (`no Namespace object in the scanned files for namespace
    /// "shop"`). `None` (the default) means the rule's findings say everything. Reports list these
    /// as "not evaluated", which is not "passed". Called after [`InventoryRule::refine`], with the
    /// same objects.
    fn not_evaluated(&self, cx: &Context<'_>, kept: &Kept<'_>) -> Option<String> {
        let _ = (cx, kept);
        None
    }

    /// What the rule reads, plural, for the guide scorecard: a rule registered as
    /// [`Stage::Inventory`](crate::Stage::Inventory) that kept nothing of the input judged
    /// nothing, and is "not applicable: no {reads} in the input".
    fn reads(&self) -> &'static str {
        "objects of the kinds it reads"
    }

    /// For a rule whose [`keep`](InventoryRule::keep) leaves out objects it has already judged
    /// (a pod that passes every Pod Security level is not kept), what it judges, tested on each
    /// object as for [`ObjectRule::judges`]; `None` (the default): it judged something when it
    /// kept something. Only read for rules registered as
    /// [`Stage::Inventory`](crate::Stage::Inventory).
    fn judges(&self) -> Option<Judges> {
        None
    }
}

/// Runs `rule` over `objects` as an engine does: nothing outside the rule's Kubernetes versions,
/// `check` on each object, then the inventory stage with what it keeps.
pub fn check_objects(rule: &Rule, cx: &Context<'_>, objects: &[Object], out: &mut Vec<Finding>) {
    evaluate_objects(rule, cx, objects, out);
}

/// [`check_objects`], also returning what the rule could not evaluate (see
/// [`InventoryRule::not_evaluated`]).
pub fn evaluate_objects(
    rule: &Rule,
    cx: &Context<'_>,
    objects: &[Object],
    out: &mut Vec<Finding>,
) -> Option<NotEvaluated> {
    if !rule.meta.versions.contains(cx.settings.kubernetes_version) {
        return None;
    }
    let mut findings = Vec::new();
    let checks_kept = rule.checks_kept();
    if let Some(check) = rule.object().filter(|_| !checks_kept) {
        for object in objects {
            let mut emitter = Emitter::new(object, rule.meta, &mut findings);
            check.check(cx, object, &mut emitter);
        }
    }
    let mut not_evaluated = None;
    if let Some(inventory) = rule.inventory() {
        let kept = keep_all(inventory, objects);
        if let Some(check) = rule.object().filter(|_| checks_kept) {
            for object in &kept {
                let mut emitter = Emitter::new(object, rule.meta, &mut findings);
                check.check(cx, object, &mut emitter);
            }
        }
        let models = Models::default();
        let kept = Kept::new(&kept, &models);
        inventory.refine(cx, &kept, &mut findings);
        not_evaluated = inventory
            .not_evaluated(cx, &kept)
            .map(|reason| NotEvaluated {
                code: rule.meta.code,
                reason,
            });
    }
    out.append(&mut findings);
    not_evaluated
}

/// What one inventory rule alone keeps of `objects`: exactly the fields it asks for, so that a
/// rule's tests catch a `refine` reading a field its `keep` forgot (in a scan, other rules'
/// wishes may fill the gap).
pub fn keep_all(inventory: &dyn InventoryRule, objects: &[Object]) -> Vec<Arc<Object>> {
    objects
        .iter()
        .filter_map(|o| inventory.keep(o).map(|keep| Arc::new(keep.project(o))))
        .collect()
}

/// Where the field at `pointer` of `object` is (a missing field: its nearest existing parent), as
/// findings and attack-path steps report it.
pub fn location_of(object: &Object, pointer: &str) -> Location {
    match &object.origin {
        Origin::File { path, base, .. } => {
            let span = span_of(&object.node, pointer);
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
    }
}

/// Collects a rule's findings for one object, resolving pointers to source positions.
pub struct Emitter<'a> {
    object: &'a Object,
    meta: &'static RuleMeta,
    out: &'a mut Vec<Finding>,
    /// The object's reference, made on the first finding and shared by the rest.
    reference: Reference<'a>,
}

/// Where an emitter gets the reference its findings carry.
enum Reference<'a> {
    Own(OnceCell<Arc<ObjectRef>>),
    Shared(&'a OnceCell<Arc<ObjectRef>>),
}

impl<'a> Emitter<'a> {
    pub fn new(object: &'a Object, meta: &'static RuleMeta, out: &'a mut Vec<Finding>) -> Self {
        Emitter {
            object,
            meta,
            out,
            reference: Reference::Own(OnceCell::new()),
        }
    }

    /// An emitter whose findings share `reference` with every other emitter given the same cell:
    /// the engine gives all rules checking one object one cell, so the object's identity is
    /// stored once however many findings it gets.
    pub fn with_reference(
        object: &'a Object,
        meta: &'static RuleMeta,
        out: &'a mut Vec<Finding>,
        reference: &'a OnceCell<Arc<ObjectRef>>,
    ) -> Self {
        Emitter {
            object,
            meta,
            out,
            reference: Reference::Shared(reference),
        }
    }

    fn reference(&self) -> Arc<ObjectRef> {
        let cell = match &self.reference {
            Reference::Own(cell) => cell,
            Reference::Shared(cell) => *cell,
        };
        Arc::clone(cell.get_or_init(|| Arc::new(self.object.reference())))
    }

    /// Reports a finding at `pointer` (a JSON pointer inside the object; it may name a missing
    /// field, the finding then points at the nearest parent).
    pub fn report(&mut self, pointer: &str, message: impl Into<String>) -> &mut Finding {
        let location = location_of(self.object, pointer);
        self.out.push(Finding {
            code: self.meta.code,
            rule: self.meta.name,
            severity: self.meta.severity,
            pss_check: self.meta.pss_check,
            location,
            object: Some(self.reference()),
            container: None,
            related: None,
            message: message.into().into_boxed_str(),
            help: self.meta.help,
            suppressed: None,
            baselined: false,
            fix: None,
            flow: None,
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
        f.container = Some(container.name.into());
        f
    }
}
