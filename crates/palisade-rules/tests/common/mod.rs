//! Shared helpers for the Pod Security Standards tests: building pods from YAML, evaluating them,
//! and running tables of cases that report every failing row at once.
#![allow(dead_code)] // each test binary uses a different subset

pub mod vap_equivalence;

use palisade_core::source::objects_from_str;
use palisade_core::{KubeVersion, Object};
use palisade_rules::pss::{self, Level};

#[allow(unused_imports)] // the vap_export tests name levels in full
pub use palisade_rules::pss::Level::{Baseline as B, Privileged as P, Restricted as R};

pub fn v(minor: u32) -> KubeVersion {
    KubeVersion::v1(minor)
}

/// The one object of a YAML document; panics on any input problem so a typo in a test YAML
/// cannot pass as "no violations".
pub fn object(yaml: &str) -> Object {
    let loaded = objects_from_str("test.yaml", yaml);
    assert!(
        loaded.errors.is_empty(),
        "test YAML does not load: {:?}\n{yaml}",
        loaded.errors
    );
    assert!(
        loaded.duplicate_keys.is_empty(),
        "test YAML has duplicate keys: {:?}\n{yaml}",
        loaded.duplicate_keys
    );
    assert_eq!(loaded.objects.len(), 1, "expected one object in\n{yaml}");
    loaded.objects.into_iter().next().unwrap()
}

/// One violation, flattened for assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub id: &'static str,
    pub code: &'static str,
    pub pointer: String,
    pub message: String,
    pub container: Option<String>,
}

/// Every violation of the pod in `yaml` at `level` and `version`, in evaluation order.
pub fn violations(yaml: &str, level: Level, version: KubeVersion) -> Vec<Found> {
    let obj = object(yaml);
    let pod = obj
        .pod_template()
        .unwrap_or_else(|| panic!("no pod template in\n{yaml}"));
    pss::evaluate(level, version, &pod)
        .into_iter()
        .map(|(c, v)| Found {
            id: c.id(),
            code: c.meta.code,
            pointer: v.pointer,
            message: v.message,
            container: v.container,
        })
        .collect()
}

/// The check IDs the pod violates, sorted and without repeats.
pub fn ids(yaml: &str, level: Level, version: KubeVersion) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = violations(yaml, level, version)
        .into_iter()
        .map(|f| f.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// One row of a table: evaluating `yaml` at `level`/`version` must violate exactly `expect`.
pub struct Case {
    pub name: String,
    pub yaml: String,
    pub level: Level,
    pub version: KubeVersion,
    pub expect: Vec<&'static str>,
}

pub fn case(
    name: &str,
    yaml: impl Into<String>,
    level: Level,
    version: KubeVersion,
    expect: &[&'static str],
) -> Case {
    Case {
        name: name.to_owned(),
        yaml: yaml.into(),
        level,
        version,
        expect: expect.to_vec(),
    }
}

/// The same pod at every policy version 1.0 … 1.37, expecting `expect(minor)`.
pub fn across(
    name: &str,
    yaml: &str,
    level: Level,
    expect: impl Fn(u32) -> Vec<&'static str>,
) -> Vec<Case> {
    (0..=37)
        .map(|minor| Case {
            name: format!("{name} @1.{minor}"),
            yaml: yaml.to_owned(),
            level,
            version: v(minor),
            expect: expect(minor),
        })
        .collect()
}

/// Runs a table and reports every failing row. Returns the number of rows run. Every row the
/// export targets is also judged by the exported ValidatingAdmissionPolicies
/// ([`vap_equivalence`]), which must reject the pod for the same checks.
pub fn run(cases: &[Case]) -> usize {
    assert!(!cases.is_empty(), "empty table");
    let mut failures = Vec::new();
    for c in cases {
        let mut want = c.expect.clone();
        want.sort_unstable();
        want.dedup();
        let got = ids(&c.yaml, c.level, c.version);
        if got != want {
            failures.push(format!(
                "{} [{} {}]: expected {want:?}, got {got:?}\n  {}\n  {:#?}",
                c.name,
                c.level,
                c.version,
                c.yaml,
                violations(&c.yaml, c.level, c.version)
            ));
        }
        if let Err(e) = vap_equivalence::compare(&c.name, &c.yaml, c.level, c.version) {
            failures.push(format!("exported policy differs: {e}"));
        }
    }
    let (compared, skipped) = vap_equivalence::counts();
    eprintln!(
        "exported policies agree on {compared} rows so far ({skipped} not decodable by the API \
         server, not compared)"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

// ---------------------------------------------------------------------------------------------
// Pod builders. Pods are written as YAML flow mappings so a row fits on a line or two.

/// A Pod whose spec is the flow-mapping body `spec` (without the braces).
pub fn pod(spec: &str) -> String {
    format!("{{apiVersion: v1, kind: Pod, metadata: {{name: p}}, spec: {{{spec}}}}}")
}

/// A Pod with annotations (flow-mapping body) and a spec body.
pub fn pod_annotated(annotations: &str, spec: &str) -> String {
    format!(
        "{{apiVersion: v1, kind: Pod, metadata: {{name: p, annotations: {{{annotations}}}}}, \
         spec: {{{spec}}}}}"
    )
}

/// Container securityContext fields that satisfy every restricted container-level check.
pub const OK_CSC: &str = "allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}";

/// Pod securityContext fields that satisfy the restricted pod-level requirements.
pub const OK_PSC: &str = "runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}";

/// A restricted-compliant container named `name`, with `extra` added to its securityContext
/// (`extra` must not set allowPrivilegeEscalation or capabilities).
pub fn ctr(name: &str, extra: &str) -> String {
    let sep = if extra.is_empty() { "" } else { ", " };
    format!("{{name: {name}, image: app:1, securityContext: {{{OK_CSC}{sep}{extra}}}}}")
}

/// A container named `name` with the raw field body `body` (no securityContext added).
pub fn ctr_raw(name: &str, body: &str) -> String {
    let sep = if body.is_empty() { "" } else { ", " };
    format!("{{name: {name}, image: app:1{sep}{body}}}")
}

/// A restricted-compliant pod: `OK_PSC` plus `psc_extra` at pod level, `spec_extra` in the
/// spec, and the given containers.
pub fn rpod(psc_extra: &str, spec_extra: &str, containers: &[String]) -> String {
    let psep = if psc_extra.is_empty() { "" } else { ", " };
    let ssep = if spec_extra.is_empty() { "" } else { ", " };
    pod(&format!(
        "securityContext: {{{OK_PSC}{psep}{psc_extra}}}{ssep}{spec_extra}, containers: [{}]",
        containers.join(", ")
    ))
}

/// A restricted-compliant pod with one compliant container `app` (with `csc_extra`).
pub fn rpod1(csc_extra: &str) -> String {
    rpod("", "", &[ctr("app", csc_extra)])
}

/// The restricted checks a pod with one bare container (`{name, image}` and nothing else)
/// violates at policy 1.`minor`.
pub fn bare_restricted(minor: u32) -> Vec<&'static str> {
    let mut ids = vec!["runAsNonRoot"];
    if minor >= 8 {
        ids.push("allowPrivilegeEscalation");
    }
    if minor >= 19 {
        ids.push("seccompProfile_restricted");
    }
    if minor >= 22 {
        ids.push("capabilities_restricted");
    }
    ids
}

/// Concatenation helper for expected ID lists.
pub fn with(mut base: Vec<&'static str>, extra: &[&'static str]) -> Vec<&'static str> {
    base.extend_from_slice(extra);
    base
}
