//! Rules whose object stage runs on what their inventory stage kept
//! ([`palisade_core::InventoryRule::checks_kept`]: RB201, NP303) must judge the kept projection
//! exactly as the whole object: same findings (location, message, fix, related object) and the
//! same exemption annotations. Checked on hand-written edge cases, the examples, the CLI's test
//! fixtures and the real-world corpus when present, each object projected by the rule's own
//! `keep` alone (a scan's projection holds at least that).

mod corpus_support;

use std::path::{Path, PathBuf};

use palisade_core::source::objects_from_str;
use palisade_core::suppress::object_waivers;
use palisade_core::{keep_all, Context, Emitter, Finding, Object, Rule, Settings};

use corpus_support::{corpus_dir, walk};

/// Edge cases for what the two rules read: mirror pods, explicit automounting, waivers on the
/// object and on the pod template, no pod metadata, no labels, hostNetwork, controlled pods.
const EDGES: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: mirror
  namespace: kube-system
  annotations: {kubernetes.io/config.mirror: abc}
spec:
  containers: [{name: c, image: x}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: opted-in
  namespace: shop
  annotations: {palisade.dev/ignore: RB201 — calls the API, container.palisade.dev/c: NP303 — tested}
spec:
  template:
    metadata:
      annotations: {palisade.dev/ignore: NP303}
    spec:
      automountServiceAccountToken: true
      containers: [{name: c, image: x}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: no-pod-metadata, namespace: shop}
spec:
  template:
    spec:
      serviceAccount: legacy
      containers: [{name: c, image: x}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: job, namespace: shop}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {name: inner}
        spec:
          automountServiceAccountToken: \"false\"
          containers: [{name: c, image: x}]
---
apiVersion: v1
kind: Pod
metadata:
  name: host
  labels: {app: host}
spec:
  hostNetwork: true
  containers: [{name: c, image: x}]
---
apiVersion: v1
kind: Pod
metadata:
  name: controlled
  namespace: shop
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: u, controller: true}]
spec:
  serviceAccountName: default
  automountServiceAccountToken: yes
  containers: [{name: c, image: x}]
";

fn rules() -> Vec<&'static Rule> {
    let rules: Vec<&'static Rule> = palisade_rules::registry::objects()
        .filter(|r| r.checks_kept())
        .collect();
    let codes: Vec<&str> = rules.iter().map(|r| r.meta.code).collect();
    assert_eq!(codes, ["NP303", "RB201"], "update this test's edge cases");
    rules
}

fn check(rule: &Rule, object: &Object) -> Vec<Finding> {
    let settings = Settings::default();
    let cx = Context {
        settings: &settings,
    };
    let mut out = Vec::new();
    let check = rule.object().expect("an object stage");
    check.check(&cx, object, &mut Emitter::new(object, rule.meta, &mut out));
    out
}

/// Compares both ways for every object; returns how many findings the whole objects gave.
fn compare(name: &str, text: &str) -> usize {
    let objects = objects_from_str(name, text).objects;
    let mut findings = 0;
    for rule in rules() {
        let inventory = rule.inventory().expect("an inventory stage");
        for object in &objects {
            let whole = check(rule, object);
            let kept = keep_all(inventory, std::slice::from_ref(object));
            let Some(projection) = kept.first() else {
                assert!(
                    whole.is_empty(),
                    "{} reports on {name} {:?} but keeps nothing of it",
                    rule.meta.code,
                    object.name()
                );
                continue;
            };
            assert_eq!(
                check(rule, projection),
                whole,
                "{} on {name} {:?}: the projection judges otherwise",
                rule.meta.code,
                object.name()
            );
            if !whole.is_empty() {
                assert_eq!(
                    object_waivers(projection),
                    object_waivers(object),
                    "{} on {name} {:?}: exemption annotations not kept",
                    rule.meta.code,
                    object.name()
                );
            }
            findings += whole.len();
        }
    }
    findings
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if dir.is_dir() {
        walk(dir, &mut files);
    }
    files
}

#[test]
fn edge_cases_are_judged_alike_on_the_projection() {
    // The mirror pod and the opted-in dedicated account give nothing; the rest give RB201
    // and NP303 findings.
    assert!(compare("edges.yaml", EDGES) >= 5);
}

#[test]
fn shipped_manifests_are_judged_alike_on_the_projection() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = files_under(&root.join("examples"));
    files.extend(files_under(&root.join("crates/palisade/tests/fixtures")));
    let mut findings = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue; // UTF-16 and other encodings the CLI's tests feed it
        };
        findings += compare(&f.display().to_string(), &text);
    }
    assert!(
        findings >= 10,
        "only {findings} findings in {} files",
        files.len()
    );
}

#[test]
fn corpus_is_judged_alike_on_the_projection() {
    let Some(dir) = corpus_dir() else {
        eprintln!("skipping: no corpus at shared/corpus/real-world (set PALISADE_CORPUS)");
        return;
    };
    let mut findings = 0;
    for f in files_under(&dir) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        findings += compare(&f.display().to_string(), &text);
    }
    eprintln!("{findings} findings compared");
    assert!(findings > 500);
}

/// A scan's engine gives such a rule's `refine` a batch of objects' findings at a time; with
/// more kept objects than several batches hold, the findings must be those of one `refine` over
/// all of them ([`palisade_core::evaluate_objects`]), in the same order. The accounts, bindings
/// and policies that decide each workload's verdict lie in other batches than most workloads.
#[test]
fn batched_refine_matches_one_refine_over_everything() {
    use std::fmt::Write;
    let mut text = String::new();
    for ns in 0..6 {
        // Namespaces 0 and 3 have a policy selecting `app: a` only; accounts opt out in 1,
        // a binding names account `bound` in 2.
        if ns % 3 == 0 {
            writeln!(text, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: n{ns}}}\nspec: {{podSelector: {{matchLabels: {{app: a}}}}}}").unwrap();
        }
    }
    for i in 0..15_000 {
        let ns = i % 6;
        let app = ["a", "b", "c"][(i / 6) % 3];
        let account = ["default", "own", "bound"][(i / 18) % 3];
        let waiver = if i % 97 == 0 {
            "\n  annotations: {palisade.dev/ignore: RB201}"
        } else {
            ""
        };
        writeln!(text, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{i}\n  namespace: n{ns}{waiver}\nspec:\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n    spec:\n      serviceAccountName: {account}\n      containers: [{{name: c, image: x}}]").unwrap();
    }
    for ns in 0..6 {
        let automount = if ns == 1 { "false" } else { "true" };
        writeln!(text, "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: own, namespace: n{ns}}}\nautomountServiceAccountToken: {automount}").unwrap();
        if ns == 2 {
            writeln!(text, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: n2}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}}\nsubjects: [{{kind: ServiceAccount, name: bound}}]").unwrap();
        }
    }
    let objects = objects_from_str("many.yaml", &text).objects;
    let engine = palisade_rules::Engine::new(
        Settings::default(),
        palisade_rules::Selection::default(),
        Vec::new(),
        palisade_rules::Mode::Rules,
    );
    let (all, _) = engine.check_all(&objects);
    let settings = Settings::default();
    let cx = Context {
        settings: &settings,
    };
    let key = |f: &Finding| format!("{:?} {:?} {}", f.location, f.object, f.message);
    for rule in rules() {
        let mut once = Vec::new();
        palisade_core::evaluate_objects(rule, &cx, &objects, &mut once);
        let mut batched: Vec<Finding> = all
            .iter()
            .filter(|f| f.code == rule.meta.code)
            .cloned()
            .collect();
        // The engine marks what the waiver annotation exempts; one `refine` knows no exemptions.
        for f in &mut batched {
            let name = f
                .object
                .as_ref()
                .and_then(|o| o.name.as_deref())
                .unwrap_or("");
            let waived =
                rule.meta.code == "RB201" && name[1..].parse::<usize>().is_ok_and(|i| i % 97 == 0);
            assert_eq!(
                f.suppressed.is_some(),
                waived,
                "{} on {name}",
                rule.meta.code
            );
            f.suppressed = None;
        }
        batched.sort_by_key(key);
        once.sort_by_key(key);
        assert!(
            once.len() > 3_000,
            "{}: {} findings",
            rule.meta.code,
            once.len()
        );
        assert!(
            once.len() < 15_000,
            "{}: {} findings",
            rule.meta.code,
            once.len()
        );
        assert_eq!(batched, once, "{}", rule.meta.code);
    }
}
