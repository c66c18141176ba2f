//! Helpers shared by the workload rule tests: load YAML, run one rule, look at what it reported.
#![allow(dead_code)]

use palisade_core::source::objects_from_str;
use palisade_core::{
    check_objects, Context, Emitter, Finding, Kept, Location, Models, Object, Rule, Settings,
};

pub fn rule(code: &str) -> &'static Rule {
    palisade_rules::registry::by_code(code).unwrap_or_else(|| panic!("no rule {code}"))
}

/// Objects of a YAML text; the text must load cleanly.
pub fn objects(yaml: &str) -> Vec<Object> {
    let loaded = objects_from_str("t.yaml", yaml);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(!loaded.objects.is_empty(), "no objects in {yaml}");
    loaded.objects
}

/// Runs a rule's single-object check on every object of `yaml`.
pub fn check_with(code: &str, settings: &Settings, yaml: &str) -> Vec<Finding> {
    let rule = rule(code);
    let mut findings = Vec::new();
    for obj in objects(yaml) {
        let mut emitter = Emitter::new(&obj, rule.meta, &mut findings);
        if let Some(check) = rule.object() {
            check.check(&Context { settings }, &obj, &mut emitter);
        }
    }
    findings
}

pub fn check(code: &str, yaml: &str) -> Vec<Finding> {
    check_with(code, &Settings::default(), yaml)
}

/// Runs a rule the way an engine holding all objects does (inventory form when there is one).
pub fn check_all(code: &str, yaml: &str) -> Vec<Finding> {
    check_all_with(code, &Settings::default(), yaml)
}

/// [`check_all`] with settings (a target Kubernetes version, say).
pub fn check_all_with(code: &str, settings: &Settings, yaml: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_objects(
        rule(code),
        &Context { settings },
        &objects(yaml),
        &mut findings,
    );
    findings
}

pub fn pointer(f: &Finding) -> &str {
    match &f.location {
        Location::File { pointer, .. } => pointer,
        other => panic!("unexpected location {other:?}"),
    }
}

pub fn pointers(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(pointer).collect()
}

/// Asserts the findings' pointers, in order, and prints messages on failure.
#[track_caller]
pub fn assert_pointers(case: &str, findings: &[Finding], expected: &[&str]) {
    let got = pointers(findings);
    assert_eq!(
        got,
        expected,
        "case {case:?}: messages: {:#?}",
        findings.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
}

/// A Pod with the given `spec` body (indented by the caller to two spaces).
pub fn pod(spec: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n{spec}")
}

/// A Pod with one container `c` whose extra fields are `extra` (indented four spaces).
pub fn one_container(extra: &str) -> String {
    pod(&format!(
        "  containers:\n  - name: c\n    image: nginx:1.27\n{extra}"
    ))
}

/// What a rule's inventory stage says it could not evaluate over the objects of `objects`, as
/// an engine asks it (over the kept projections).
pub fn not_evaluated_of(code: &str, objects: &[Object]) -> Option<String> {
    let inventory = rule(code).inventory()?;
    let kept = palisade_core::keep_all(inventory, objects);
    let models = Models::default();
    inventory.not_evaluated(
        &Context {
            settings: &Settings::default(),
        },
        &Kept::new(&kept, &models),
    )
}

pub fn not_evaluated(code: &str, yaml: &str) -> Option<String> {
    not_evaluated_of(code, &objects(yaml))
}
