//! Runs the selected rules over objects and applies exemptions. Every source (files, cluster,
//! admission request) goes through [`Engine::check_object`], so verdicts agree by construction.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use palisade_core::config::Exemption;
use palisade_core::report::NothingJudged;
use palisade_core::suppress::{self, code_matches};
use palisade_core::yaml::DuplicateKey;
use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Judges, Keep, Kept, KubeVersion, Models,
    NotEvaluated, Object, Origin, Rule, RuleMeta, Settings, Stage,
};

use crate::pss::{self, Level};
use crate::registry;

/// Which rules run: codes, code prefixes or rule names.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Run only these (empty: all).
    pub select: Vec<String>,
    /// Never run these.
    pub ignore: Vec<String>,
}

impl Selection {
    pub fn includes(&self, meta: &RuleMeta) -> bool {
        let hit = |p: &String| code_matches(p, meta.code, meta.name);
        (self.select.is_empty() || self.select.iter().any(hit)) && !self.ignore.iter().any(hit)
    }
}

/// What the engine evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every selected rule, at the target Kubernetes version.
    Rules,
    /// Only the Pod Security Standards at one level and policy version, exactly as
    /// Pod Security Admission would (`--pod-security LEVEL[:VERSION]`).
    PodSecurity { level: Level, version: KubeVersion },
}

pub struct Engine {
    /// The selected rules that read objects, by code, then the input rules (`PA9xx`, which the
    /// engine reports itself).
    rules: Vec<&'static Rule>,
    /// For each rule with an inventory stage (in `rules` order), the slot its kept objects and
    /// models go to: rules of one keep group share a slot.
    slots: Vec<usize>,
    /// Whether the input rules PA902 (duplicate key) and PA904 (waiver without a reason) are
    /// selected: decided once here, not for every object.
    duplicate_keys: bool,
    waivers: bool,
    settings: Settings,
    exemptions: Vec<Exemption>,
    mode: Mode,
}

/// The cross-object rules' findings taken out for `refine`, one vector per rule with an
/// inventory stage, in the engine's rule order (see [`Engine::take_refined`]).
pub struct ToRefine(Vec<Vec<Finding>>);

impl ToRefine {
    /// How many findings were taken.
    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Engine {
    pub fn new(
        settings: Settings,
        selection: Selection,
        exemptions: Vec<Exemption>,
        mode: Mode,
    ) -> Self {
        let version = settings.kubernetes_version;
        let mut rules: Vec<&'static Rule> = match mode {
            Mode::Rules => registry::objects()
                .filter(|r| selection.includes(r.meta) && r.meta.versions.contains(version))
                .collect(),
            Mode::PodSecurity { .. } => Vec::new(),
        };
        // Reports list the input rules last, after the rules that judge the cluster.
        rules.sort_by_key(|r| (matches!(r.stage, Stage::Input), r.meta.code));
        let mut groups: Vec<(&'static str, usize)> = Vec::new();
        let mut slots = Vec::new();
        for inv in rules.iter().filter_map(|r| r.inventory()) {
            let fresh = slots.iter().max().map_or(0, |m| m + 1);
            let slot = match inv.keep_group() {
                Some(g) => match groups.iter().find(|(n, _)| *n == g) {
                    Some(&(_, slot)) => slot,
                    None => {
                        groups.push((g, fresh));
                        fresh
                    }
                },
                None => fresh,
            };
            slots.push(slot);
        }
        let duplicate_keys = selection.includes(&crate::rules::pa::duplicate_key::META);
        let waivers = selection.includes(&crate::rules::pa::waiver_without_reason::META);
        Engine {
            rules,
            slots,
            duplicate_keys,
            waivers,
            settings,
            exemptions,
            mode,
        }
    }

    /// Declarations of every rule this engine can report, for reports and SARIF metadata.
    pub fn metas(&self) -> Vec<&'static RuleMeta> {
        match self.mode {
            Mode::Rules => self.rules.iter().map(|r| r.meta).collect(),
            Mode::PodSecurity { level, version } => pss::checks_for(level, version)
                .into_iter()
                .map(|(c, _)| c.meta)
                .collect(),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The selected rules (those the admission webhook runs as well).
    pub fn rules(&self) -> &[&'static Rule] {
        &self.rules
    }

    /// All findings for one object, exemptions applied (exempted findings are kept, marked):
    /// every selected rule's verdict from the object alone, provisional ones included (the
    /// admission webhook's). [`Engine::refine`] may follow.
    pub fn check_object(&self, object: &Object) -> Vec<Finding> {
        self.check_with(object, None, false)
    }

    /// The object stage of a scan whose cross-object stage follows ([`Engine::keep`], then
    /// [`Engine::take_refined`] and [`Engine::refine_taken`], or [`Engine::refine`]): as
    /// [`Engine::check_object`], except that rules whose object stage runs on what they kept
    /// ([`InventoryRule::checks_kept`]) run there and not here. Also marks in `judged` the rules
    /// that judged the object: it is one of those they inspect
    /// ([`palisade_core::ObjectRule::judges`]) or they reported a finding on it.
    /// [`Engine::nothing_judged`] reads the marks.
    pub fn check_and_judge(&self, object: &Object, judged: Option<&mut Judged>) -> Vec<Finding> {
        self.check_with(object, judged, true)
    }

    fn check_with(
        &self,
        object: &Object,
        judged: Option<&mut Judged>,
        inventory_follows: bool,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        match self.mode {
            Mode::Rules => {
                let cx = Context {
                    settings: &self.settings,
                };
                // Looked up once for all rules (see `ObjectRule::check_pod`), and one reference
                // for every finding about the object, whichever rule reports it.
                let pod = object.pod_template();
                let reference = OnceCell::new();
                let mut judged = judged;
                for (i, rule) in self.rules.iter().enumerate() {
                    let before = findings.len();
                    let later = inventory_follows && rule.checks_kept();
                    if let Some(check) = rule.object().filter(|_| !later) {
                        let mut out =
                            Emitter::with_reference(object, rule.meta, &mut findings, &reference);
                        check.check_pod(&cx, object, pod.as_ref(), &mut out);
                    }
                    if let Some(j) = judged.as_deref_mut() {
                        if !j.has(i)
                            && (findings.len() > before
                                || match rule.stage {
                                    Stage::Object(check) => check.judged(&cx, object, pod.as_ref()),
                                    _ => judges(rule)
                                        .is_some_and(|t| (t.test)(&cx, object, pod.as_ref())),
                                })
                        {
                            j.set(i);
                        }
                    }
                }
                self.waivers_without_reason(object, &mut findings);
            }
            Mode::PodSecurity { level, version } => {
                if let Some(pod) = object.pod_template() {
                    if let Some(j) = judged {
                        j.set(0);
                    }
                    for (check, violation) in pss::evaluate(level, version, &pod) {
                        pss::emit(
                            check,
                            vec![violation],
                            &mut Emitter::new(object, check.meta, &mut findings),
                        );
                    }
                }
            }
        }
        suppress::apply(object, &self.exemptions, &mut findings);
        findings
    }

    /// What cross-object rules keep of `object` for [`Engine::refine`]: (slot, what is kept).
    /// Rules of one keep group share a slot and `keep` runs once per slot. Every slot that keeps
    /// something of the object shares one projection holding what all of them asked for (see
    /// [`Keep`]): a workload is kept once, not once per rule group.
    pub fn keep(&self, object: &Object) -> Vec<(usize, Arc<Object>)> {
        if self.mode != Mode::Rules {
            return Vec::new();
        }
        let mut slots: Vec<usize> = Vec::new();
        // Slots already asked, whatever the answer: the rules of a keep group keep the same, so
        // a group that keeps nothing of the object is not asked again by each of its rules
        // (nine RBAC rules, five NetworkPolicy rules and PS164's pair per object).
        let mut asked: Vec<usize> = Vec::new();
        let mut wanted: Option<Keep> = None;
        for (_, inv, slot) in self.inventories() {
            if asked.contains(&slot) {
                continue;
            }
            asked.push(slot);
            if let Some(keep) = inv.keep(object) {
                match &mut wanted {
                    Some(w) => w.union(keep),
                    None => wanted = Some(keep),
                }
                slots.push(slot);
            }
        }
        let Some(wanted) = wanted else {
            return Vec::new();
        };
        let shared = Arc::new(wanted.project(object));
        slots
            .into_iter()
            .map(|slot| (slot, Arc::clone(&shared)))
            .collect()
    }

    /// The cross-object stage: after every object went through [`Engine::check_object`], rules
    /// with an inventory stage revise the findings using what they kept, and the models built
    /// from it once per slot. Findings they add about a kept object get that object's
    /// exemptions. Returns the rules that could not be (fully) evaluated for lack of data (see
    /// [`palisade_core::InventoryRule::not_evaluated`]), in rule order.
    pub fn refine(
        &self,
        kept: &[(usize, Arc<Object>)],
        findings: &mut Vec<Finding>,
    ) -> Vec<NotEvaluated> {
        let taken = self.take_refined(std::iter::once(&mut *findings));
        let (refined, not_evaluated) = self.refine_taken(kept, taken);
        findings.extend(refined);
        not_evaluated
    }

    /// The rules with an inventory stage, in order, each with its keep slot.
    fn inventories(&self) -> impl Iterator<Item = (&'static Rule, &dyn InventoryRule, usize)> {
        self.rules
            .iter()
            .filter_map(|r| r.inventory().map(|inv| (*r, inv)))
            .zip(&self.slots)
            .map(|((rule, inv), &slot)| (rule, inv, slot))
    }

    /// The first half of [`Engine::refine`] over findings held in several vectors (a scan's, one
    /// per object): the findings of the cross-object rules are taken out of them, in order. A scan
    /// merges what is left into one vector sized for it, which frees the small ones for the
    /// models `refine` builds, before [`Engine::refine_taken`] runs: the provisional findings
    /// `refine` drops (a third of a large scan's) are never copied.
    pub fn take_refined<'f>(&self, parts: impl Iterator<Item = &'f mut Vec<Finding>>) -> ToRefine {
        let codes: Vec<&'static str> = self.inventories().map(|(r, _, _)| r.meta.code).collect();
        let mut theirs: Vec<Vec<Finding>> = codes.iter().map(|_| Vec::new()).collect();
        if self.mode != Mode::Rules {
            return ToRefine(theirs);
        }
        let index: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        // In place: the other findings (most of a large scan's) stay where they are.
        for findings in parts {
            for f in findings.extract_if(.., |f| index.contains_key(f.code)) {
                theirs[index[f.code]].push(f);
            }
        }
        ToRefine(theirs)
    }

    /// The second half of [`Engine::refine`] (see [`Engine::take_refined`]): the findings to
    /// append to the rest, and what could not be evaluated.
    pub fn refine_taken(
        &self,
        kept: &[(usize, Arc<Object>)],
        taken: ToRefine,
    ) -> (Vec<Finding>, Vec<NotEvaluated>) {
        let mut not_evaluated = Vec::new();
        let mut refined = Vec::new();
        if self.mode != Mode::Rules {
            return (refined, not_evaluated);
        }
        let cx = Context {
            settings: &self.settings,
        };
        let slot_count = self.slots.iter().max().map_or(0, |m| m + 1);
        let mut by_slot: Vec<Vec<Arc<Object>>> = vec![Vec::new(); slot_count];
        for (slot, o) in kept {
            by_slot[*slot].push(Arc::clone(o));
        }
        let models: Vec<Models> = (0..slot_count).map(|_| Models::default()).collect();
        // A rule's `refine` only touches findings of its own code, so each rule gets just those
        // and the rules run in parallel.
        let inventories: Vec<(&'static Rule, &dyn InventoryRule, usize)> =
            self.inventories().collect();
        let results: Vec<(Vec<Finding>, Option<NotEvaluated>)> = inventories
            .par_iter()
            .zip(taken.0.into_par_iter())
            .map(|((rule, inventory, slot), mut own)| {
                let mine = Kept::new(&by_slot[*slot], &models[*slot]);
                if rule.checks_kept() {
                    // The object stage runs here, on what was kept; findings it gave on whole
                    // objects (`check_object`) would be the same ones again.
                    own.clear();
                    self.check_and_refine_kept(&cx, rule, *inventory, &mine, &mut own);
                } else {
                    let before = own.len();
                    inventory.refine(&cx, &mine, &mut own);
                    if own.len() > before {
                        self.exempt_added(&mine, &mut own[before..]);
                    }
                }
                let skipped = inventory
                    .not_evaluated(&cx, &mine)
                    .map(|reason| NotEvaluated {
                        code: rule.meta.code,
                        reason,
                    });
                (own, skipped)
            })
            .collect();
        refined.reserve(results.iter().map(|(own, _)| own.len()).sum());
        for (own, skipped) in results {
            refined.extend(own);
            not_evaluated.extend(skipped);
        }
        (refined, not_evaluated)
    }

    /// Both stages of a rule that runs its object stage on what it kept
    /// ([`InventoryRule::checks_kept`]): `check` over the kept objects in the order they were
    /// kept, each object's exemptions applied as [`Engine::check_object`] applies them, then
    /// `refine`, a batch of objects at a time. Most provisional findings are dropped (101,000 of
    /// a 100,000-object scan's), so only a batch's are ever held; `refine` only judges the
    /// findings it is given ([`InventoryRule::checks_kept`]), so batches change nothing but
    /// memory. At most [`KEPT_BATCHES`] batches: each call of `refine` has its own setup (the
    /// model lookup, its own indexes).
    fn check_and_refine_kept(
        &self,
        cx: &Context<'_>,
        rule: &'static Rule,
        inventory: &dyn InventoryRule,
        kept: &Kept<'_>,
        out: &mut Vec<Finding>,
    ) {
        let Some(check) = rule.object() else {
            return;
        };
        let objects: &[&Object] = kept;
        let size = objects.len().div_ceil(KEPT_BATCHES).max(KEPT_BATCH_OBJECTS);
        for part in objects.chunks(size) {
            // Checked on every core (the other rules' `refine`s may leave them idle), each
            // piece's findings in order.
            let pieces: Vec<Vec<Finding>> = part
                .par_chunks(KEPT_CHECK_PIECE)
                .map(|piece| {
                    let mut found = Vec::new();
                    for object in piece {
                        let before = found.len();
                        check.check(cx, object, &mut Emitter::new(object, rule.meta, &mut found));
                        suppress::apply(object, &self.exemptions, &mut found[before..]);
                    }
                    found
                })
                .collect();
            let mut batch = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
            for mut piece in pieces {
                batch.append(&mut piece);
            }
            let given = batch.len();
            inventory.refine(cx, kept, &mut batch);
            debug_assert!(batch.len() <= given, "{} added findings", rule.meta.code);
            out.append(&mut batch);
        }
    }

    /// Applies exemptions to findings a rule added in `refine` about objects it kept.
    fn exempt_added(&self, kept: &[&Object], added: &mut [Finding]) {
        // Index the findings by the object they name, then look each kept object up: a rule may
        // add a finding for each of 100,000 kept workloads (a search per finding would be
        // quadratic), or a few findings among them (an index of every kept object would cost
        // more than the rule).
        let mut about: HashMap<Identity<'_>, Vec<usize>> = HashMap::new();
        for (i, f) in added.iter().enumerate() {
            if let Some(o) = &f.object {
                about
                    .entry((&o.kind, o.namespace.as_deref(), o.name.as_deref()))
                    .or_default()
                    .push(i);
            }
        }
        // The first kept object that is the one a finding names decides its exemptions.
        let mut decides: Vec<Option<&Object>> = vec![None; added.len()];
        for o in kept {
            let Some(indices) = about.get(&(o.kind(), o.namespace(), o.name())) else {
                continue;
            };
            for &i in indices {
                let f = &added[i];
                if decides[i].is_none()
                    && f.object.as_ref().is_some_and(|r| r.is(o))
                    && f.location.path() == origin_path(o)
                {
                    decides[i] = Some(*o);
                }
            }
        }
        drop(about);
        for (f, o) in added.iter_mut().zip(decides) {
            if let Some(o) = o {
                suppress::apply(o, &self.exemptions, std::slice::from_mut(f));
            }
        }
    }

    /// The selected rules that judged nothing: an object rule that judged no object (see
    /// [`Engine::check_and_judge`]), a cross-object rule that kept nothing of the input (`kept`,
    /// as given to [`Engine::refine`]). The input rules (`PA9xx`) read every document and are
    /// left to the report's counts. In rule order.
    pub fn nothing_judged(
        &self,
        judged: &Judged,
        kept: &[(usize, Arc<Object>)],
    ) -> Vec<NothingJudged> {
        let nothing = |code: &'static str, what: &str| NothingJudged {
            code,
            reason: format!("no {what} in the input"),
        };
        if let Mode::PodSecurity { .. } = self.mode {
            if judged.has(0) {
                return Vec::new();
            }
            let what = Judges::PODS.what;
            return self
                .metas()
                .into_iter()
                .map(|m| nothing(m.code, what))
                .collect();
        }
        let mut used = vec![false; self.slots.iter().max().map_or(0, |m| m + 1)];
        for (slot, _) in kept {
            used[*slot] = true;
        }
        let mut slots = self.slots.iter();
        let mut out = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            // `slots` follows the rules with an inventory stage, in order.
            let slot = rule.inventory().and_then(|_| slots.next());
            let what = match (&rule.stage, judges(rule)) {
                (Stage::Input, _) => None,
                (_, Some(t)) => (!judged.has(i)).then_some(t.what),
                (Stage::Inventory(inventory), None) => {
                    (!slot.is_some_and(|s| used[*s])).then(|| inventory.reads())
                }
                _ => None,
            };
            out.extend(what.map(|what| nothing(rule.meta.code, what)));
        }
        out
    }

    /// Both stages over a set of objects already in memory (a live cluster's inventory, a saved
    /// inventory): every finding, in no particular order, and the rules that could not be
    /// evaluated for lack of data.
    pub fn check_all(&self, objects: &[Object]) -> (Vec<Finding>, Vec<NotEvaluated>) {
        let e = self.evaluate(objects);
        (e.findings, e.not_evaluated)
    }

    /// [`Engine::check_all`], also saying which rules judged nothing.
    pub fn evaluate(&self, objects: &[Object]) -> Evaluation {
        let mut findings = Vec::new();
        let mut kept = Vec::new();
        let mut judged = Judged::default();
        for o in objects {
            findings.extend(self.check_and_judge(o, Some(&mut judged)));
            kept.extend(self.keep(o));
        }
        let not_evaluated = self.refine(&kept, &mut findings);
        let nothing_judged = self.nothing_judged(&judged, &kept);
        Evaluation {
            findings,
            not_evaluated,
            nothing_judged,
        }
    }

    /// The finding for a duplicate mapping key, when that rule is selected.
    pub fn duplicate_key(&self, path: &Arc<str>, dup: &DuplicateKey) -> Option<Finding> {
        (self.mode == Mode::Rules && self.duplicate_keys)
            .then(|| crate::rules::pa::duplicate_key::finding(path, dup))
    }

    fn waivers_without_reason(&self, object: &Object, findings: &mut Vec<Finding>) {
        let meta = &crate::rules::pa::waiver_without_reason::META;
        if !self.waivers {
            return;
        }
        let annotations = object.node.path(&["metadata", "annotations"]);
        let pod_annotations = object
            .pod_template()
            .filter(|p| p.meta_pointer != "/metadata")
            .map(|p| {
                (
                    p.meta_pointer,
                    p.metadata.and_then(|m| m.get("annotations")),
                )
            });
        let sets = std::iter::once(("/metadata", annotations)).chain(pod_annotations);
        for (base, set) in sets {
            for e in set.map(|n| n.entries()).unwrap_or(&[]) {
                let is_waiver = &*e.key == suppress::OBJECT_ANNOTATION
                    || e.key.starts_with(suppress::CONTAINER_ANNOTATION_PREFIX);
                let Some(value) = e.value.as_str().filter(|_| is_waiver) else {
                    continue;
                };
                if suppress::parse_waiver(value).reason.is_none() {
                    let pointer = format!(
                        "{base}/annotations/{}",
                        palisade_core::yaml::escape_pointer(&e.key)
                    );
                    Emitter::new(object, meta, findings).report(
                        &pointer,
                        format!("exemption `{}: {value}` gives no reason", e.key),
                    );
                }
            }
        }
    }
}

/// At most this many calls of `refine` for a rule that checks what it kept, and at least
/// [`KEPT_BATCH_OBJECTS`] objects in each (see [`Engine::check_and_refine_kept`]).
const KEPT_BATCHES: usize = 8;
const KEPT_BATCH_OBJECTS: usize = 4096;
/// The objects one thread checks at a time within such a batch.
const KEPT_CHECK_PIECE: usize = 256;

/// What `rule` judges, tested on each object: an object rule's
/// [`palisade_core::ObjectRule::judges`], a cross-object rule's [`InventoryRule::judges`] when it
/// says (otherwise what it kept counts).
fn judges(rule: &Rule) -> Option<Judges> {
    match rule.stage {
        Stage::Object(check) => Some(check.judges()),
        Stage::Inventory(inventory) => inventory.judges(),
        _ => None,
    }
}

/// What [`Engine::evaluate`] gives.
pub struct Evaluation {
    /// Every finding, in no particular order.
    pub findings: Vec<Finding>,
    /// The rules that could not be evaluated for lack of data.
    pub not_evaluated: Vec<NotEvaluated>,
    /// The rules that had nothing to judge.
    pub nothing_judged: Vec<NothingJudged>,
}

/// Which of an engine's rules judged at least one object, by position (see
/// [`Engine::check_and_judge`]): one bit per rule, so a scan keeps one per input file and
/// merges them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Judged(Vec<u64>);

impl Judged {
    fn has(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn set(&mut self, i: usize) {
        if self.0.len() <= i / 64 {
            self.0.resize(i / 64 + 1, 0);
        }
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Adds the marks of `other` (of the same engine).
    pub fn merge(&mut self, other: &Judged) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
}

/// The file an object came from (`None` for live objects), as findings about it name it.
/// Kind, namespace and name: how `exempt_added` finds the kept object a finding names.
type Identity<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

fn origin_path(o: &Object) -> Option<&str> {
    match &o.origin {
        Origin::File { path, .. } => Some(path),
        Origin::Api { .. } => None,
    }
}
