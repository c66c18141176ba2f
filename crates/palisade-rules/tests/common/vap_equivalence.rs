//! The equivalence of `palisade vap export` with the built-in checks: every row of the Pod
//! Security tables (the repository's PSS fixtures) whose level and version the export targets is
//! also judged by the exported ValidatingAdmissionPolicies, evaluated offline by `palisade-cel`,
//! and each check must reject exactly the pods the built-in check rejects.
//!
//! The API server decodes an object before any policy sees it, so each fixture is first brought
//! to what the API server would hold: a field set to `null` is absent (it decodes as unset), and
//! a fixture it would refuse to decode at all (a quoted boolean or integer, which PA903 reports)
//! never reaches admission and is not compared (counted in [`counts`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use palisade_cel::vap::PolicySet;
use palisade_core::source::objects_from_str;
use palisade_core::yaml::writer::Y;
use palisade_core::Object;
use palisade_core::{Context, Emitter, KubeVersion, Settings};
use palisade_rules::engine::Selection;
use palisade_rules::pss::{self, Level};
use palisade_rules::vap_export::{self, Action, Options};

/// Rows compared, and rows not compared because the API server would not decode them.
pub static COMPARED: AtomicUsize = AtomicUsize::new(0);
pub static SKIPPED: AtomicUsize = AtomicUsize::new(0);

/// (rows compared, rows skipped because the API server refuses to decode them) so far.
pub fn counts() -> (usize, usize) {
    (
        COMPARED.load(Ordering::Relaxed),
        SKIPPED.load(Ordering::Relaxed),
    )
}

/// Whether the export covers rows at `level` and `version`.
pub fn targets(level: Level, version: KubeVersion) -> bool {
    level != Level::Privileged && version >= vap_export::MIN_VERSION
}

/// Parses a YAML stream into objects, as a scan reads them.
pub fn objects(text: &str) -> Vec<Arc<Object>> {
    let loaded = objects_from_str("export.yaml", text);
    assert!(loaded.errors.is_empty(), "{:?}\n{text}", loaded.errors);
    loaded.objects.into_iter().map(Arc::new).collect()
}

/// The exported YAML for `level` at `version`, every rule, Deny.
pub fn exported(level: Level, version: KubeVersion) -> String {
    let options = Options {
        level,
        version,
        actions: vec![Action::Deny],
        selection: Selection::default(),
        namespace_selector: Vec::new(),
    };
    let objects = vap_export::export(&options).expect("export");
    vap_export::render(&objects, &options)
}

thread_local! {
    static SETS: RefCell<HashMap<(Level, KubeVersion), Arc<PolicySet>>> = RefCell::new(HashMap::new());
}

/// The policy set of the export at `level` and `version`, read from its YAML text once per thread.
pub fn policy_set(level: Level, version: KubeVersion) -> Arc<PolicySet> {
    SETS.with(|sets| {
        sets.borrow_mut()
            .entry((level, version))
            .or_insert_with(|| {
                let set = PolicySet::new(&objects(&exported(level, version)));
                assert!(set.problems.is_empty(), "{:?}", set.problems);
                Arc::new(set)
            })
            .clone()
    })
}

fn without_nulls(y: Y) -> Y {
    match y {
        Y::Map(entries) => Y::Map(
            entries
                .into_iter()
                .filter(|(_, v)| *v != Y::Plain("null".to_owned()))
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Y::Seq(items) => Y::Seq(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// Whether the API server would refuse to decode the object (PA903: a quoted boolean or integer
/// where the schema wants one).
fn undecodable(object: &Object) -> bool {
    let rule = palisade_rules::registry::objects()
        .find(|r| r.meta.code == "PA903")
        .expect("PA903 is registered");
    let settings = Settings::default();
    let cx = Context {
        settings: &settings,
    };
    let mut out = Vec::new();
    let mut emitter = Emitter::new(object, rule.meta, &mut out);
    rule.object()
        .expect("PA903 reads objects")
        .check(&cx, object, &mut emitter);
    !out.is_empty()
}

/// The rule codes the exported policies reject the object `yaml` for, or `None` when the API
/// server would not decode it.
pub fn rejected_by_export(yaml: &str, level: Level, version: KubeVersion) -> Option<Vec<String>> {
    let object = objects(yaml).pop().expect("one object");
    if undecodable(&object) {
        return None;
    }
    let text = without_nulls(Y::from_node(&object.node)).render();
    let object = objects(&text).pop().expect("one object");
    let set = policy_set(level, version);
    let mut codes: Vec<String> = set
        .evaluate(&object)
        .into_iter()
        .map(|v| {
            let code = v.message.split(' ').next().unwrap_or("").to_owned();
            assert!(
                code.len() == 5 && v.message.len() > 6,
                "{}: the message does not name a rule code: {}",
                v.policy,
                v.message
            );
            code
        })
        .collect();
    codes.sort();
    codes.dedup();
    Some(codes)
}

/// The rule codes of the checks the built-in standard rejects the pod for.
pub fn rejected_built_in(yaml: &str, level: Level, version: KubeVersion) -> Vec<String> {
    let mut codes: Vec<String> = crate::common::violations(yaml, level, version)
        .into_iter()
        .map(|f| f.code.to_owned())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Compares the export with the built-in checks for one row; `Err` says how they differ.
pub fn compare(name: &str, yaml: &str, level: Level, version: KubeVersion) -> Result<(), String> {
    if !targets(level, version) {
        return Ok(());
    }
    let Some(exported) = rejected_by_export(yaml, level, version) else {
        SKIPPED.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    };
    COMPARED.fetch_add(1, Ordering::Relaxed);
    // Only the Pod Security checks: IM402 and RB201 are exported too, and judged by their own
    // tests.
    let pss_codes: Vec<&str> = pss::CHECKS.iter().map(|c| c.meta.code).collect();
    let exported: Vec<String> = exported
        .into_iter()
        .filter(|c| pss_codes.contains(&c.as_str()))
        .collect();
    let built_in = rejected_built_in(yaml, level, version);
    if exported == built_in {
        Ok(())
    } else {
        Err(format!(
            "{name} [{level} {version}]: built-in rejects {built_in:?}, the exported policies \
             {exported:?}\n  {yaml}"
        ))
    }
}
