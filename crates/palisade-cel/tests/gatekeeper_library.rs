//! Conformance with gatekeeper-library (open-policy-agent/gatekeeper-library): every policy of
//! the library whose ConstraintTemplate has `K8sNativeValidation` code, judged on its samples,
//! must give the number of violations its suite expects. Read from the real-world corpus
//! (`/work/shared/corpus/real-world`, or `$PALISADE_CORPUS`); skipped with a note when absent.
//!
//! Expectations: a policy's `suite.yaml` when the copy has one (cases with `violations: yes`,
//! `no` or a count, optionally narrowed by `message`). The corpus keeps Kubernetes manifests only,
//! without the suites: there the library's own naming is the expectation, per sample directory,
//! with the directory's `constraint.yaml`: `*disallowed*` files must give at least one violation,
//! other `*allowed*` files none. Cases with an `inventory`, UPDATE (AdmissionReview) objects, and
//! files whose name says neither are listed as skipped, with why.

use std::path::{Path, PathBuf};

use palisade_cel::gatekeeper::template::{self, Template};
use palisade_cel::vap::{Engine, PolicySet};
use palisade_core::object::{objects_of_document, Object};
use palisade_core::yaml::Node;
use std::sync::Arc;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("PALISADE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/real-world")
        });
    let library = dir.join("open-policy-agent__gatekeeper-library/library");
    library.is_dir().then_some(library)
}

fn load(path: &Path) -> Vec<Arc<Object>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name: Arc<str> = Arc::from(path.display().to_string());
    let (docs, errors) = palisade_core::yaml::load_str(&text, &Default::default());
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    docs.into_iter()
        .enumerate()
        .flat_map(|(i, d)| objects_of_document(&name, i, d.root).unwrap_or_default())
        .map(Arc::new)
        .collect()
}

#[derive(Debug)]
enum Expect {
    Some,
    None,
    Count(usize),
}

struct Case {
    name: String,
    template: PathBuf,
    constraint: PathBuf,
    object: PathBuf,
    expect: Expect,
    /// Only violations whose message holds this count (a suite's `message`).
    message: Option<String>,
}

/// Every template of the library with CEL code, and why the others are skipped.
fn templates(library: &Path, skipped: &mut Vec<String>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for group in sorted_dir(library) {
        for policy in sorted_dir(&group) {
            let path = policy.join("template.yaml");
            if !path.is_file() {
                continue;
            }
            let objects = load(&path);
            match template::read(&objects[0]) {
                Ok(Template::Cel { .. }) => out.push(policy),
                Ok(Template::RegoOnly { .. }) => {
                    skipped.push(format!("{}: Rego only", rel(library, &policy)))
                }
                Err(e) => panic!("{}: {e}", path.display()),
            }
        }
    }
    out
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

fn rel(library: &Path, p: &Path) -> String {
    p.strip_prefix(library).unwrap_or(p).display().to_string()
}

/// The cases of `suite.yaml` in `policy`.
fn suite_cases(
    library: &Path,
    policy: &Path,
    suite: &Node,
    skipped: &mut Vec<String>,
) -> Vec<Case> {
    let text = |n: &Node, k: &str| n.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let mut out = Vec::new();
    for test in suite.get("tests").map(|t| t.items()).unwrap_or_default() {
        let (Some(template), Some(constraint)) = (text(test, "template"), text(test, "constraint"))
        else {
            continue;
        };
        for case in test.get("cases").map(|c| c.items()).unwrap_or_default() {
            let name = format!(
                "{}/{}/{}",
                rel(library, policy),
                text(test, "name").unwrap_or_default(),
                text(case, "name").unwrap_or_default()
            );
            if case.get("inventory").is_some() {
                skipped.push(format!("{name}: needs cluster inventory"));
                continue;
            }
            let Some(object) = text(case, "object") else {
                continue;
            };
            for a in case
                .get("assertions")
                .map(|a| a.items())
                .unwrap_or_default()
            {
                let v = a.get("violations");
                let expect = match (v.and_then(|v| v.as_bool()), v.and_then(|v| v.as_i64())) {
                    (Some(true), _) => Expect::Some,
                    (Some(false), _) => Expect::None,
                    (_, Some(n)) => Expect::Count(n as usize),
                    _ => match v.and_then(|v| v.as_str()) {
                        Some("yes") => Expect::Some,
                        Some("no") => Expect::None,
                        _ => continue,
                    },
                };
                out.push(Case {
                    name: name.clone(),
                    template: policy.join(&template),
                    constraint: policy.join(&constraint),
                    object: policy.join(&object),
                    expect,
                    message: text(a, "message"),
                });
            }
        }
    }
    out
}

/// The cases the library's file names give, per sample directory.
fn named_cases(library: &Path, policy: &Path, skipped: &mut Vec<String>) -> Vec<Case> {
    let mut out = Vec::new();
    for sample in sorted_dir(&policy.join("samples")) {
        let constraint = sample.join("constraint.yaml");
        let files = sorted_dir(&sample);
        if files.len() == 1 {
            skipped.push(format!(
                "{}: a constraint without objects of its own (the suite pairs it)",
                rel(library, &constraint)
            ));
        }
        for file in files {
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let name = rel(library, &file);
            let expect = if stem.starts_with("constraint") {
                if stem != "constraint" {
                    skipped.push(format!(
                        "{name}: no object is named for it without suite.yaml"
                    ));
                }
                continue;
            } else if stem.contains("disallowed") {
                Expect::Some
            } else if stem.contains("allowed") {
                Expect::None
            } else {
                skipped.push(format!("{name}: its name gives no expectation"));
                continue;
            };
            out.push(Case {
                name,
                template: policy.join("template.yaml"),
                constraint: constraint.clone(),
                object: file,
                expect,
                message: None,
            });
        }
    }
    out
}

/// The violations of the case's object, as messages.
fn run(case: &Case) -> Result<Vec<String>, String> {
    let mut objects = load(&case.template);
    objects.extend(load(&case.constraint));
    let targets = load(&case.object);
    if targets.iter().any(|o| o.kind() == "AdmissionReview") {
        return Err("an AdmissionReview (UPDATE or DELETE): every offline scan is a CREATE".into());
    }
    objects.extend(targets.iter().cloned());
    let set = PolicySet::new(&objects);
    assert!(set.problems.is_empty(), "{}: {:?}", case.name, set.problems);
    Ok(targets
        .iter()
        .flat_map(|o| set.evaluate_where(o, Engine::Gatekeeper, &|_| true))
        .map(|v| v.message)
        .filter(|m| case.message.as_deref().is_none_or(|want| m.contains(want)))
        .collect())
}

#[test]
fn gatekeeper_library_suites() {
    let Some(library) = corpus() else {
        eprintln!("gatekeeper-library not in the real-world corpus: skipped");
        return;
    };
    let mut skipped = Vec::new();
    let policies = templates(&library, &mut skipped);
    let mut cases = Vec::new();
    let mut from_suites = 0;
    for policy in &policies {
        let suite = policy.join("suite.yaml");
        if suite.is_file() {
            from_suites += 1;
            let text = std::fs::read_to_string(&suite).expect("suite");
            let (docs, _) = palisade_core::yaml::load_str(&text, &Default::default());
            cases.extend(suite_cases(&library, policy, &docs[0].root, &mut skipped));
        } else {
            cases.extend(named_cases(&library, policy, &mut skipped));
        }
    }
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in &cases {
        match run(case) {
            Err(why) => skipped.push(format!("{}: {why}", case.name)),
            Ok(found) => {
                let ok = match case.expect {
                    Expect::Some => !found.is_empty(),
                    Expect::None => found.is_empty(),
                    Expect::Count(n) => found.len() == n,
                };
                if ok {
                    passed += 1;
                } else {
                    failures.push(format!(
                        "{}: expected {:?}, got {found:?}",
                        case.name, case.expect
                    ));
                }
            }
        }
    }
    eprintln!(
        "gatekeeper-library: {} CEL templates ({from_suites} with suite.yaml), {passed} of {} cases agree",
        policies.len(),
        passed + failures.len()
    );
    for s in &skipped {
        eprintln!("  skipped {s}");
    }
    assert!(policies.len() >= 16, "{} CEL templates", policies.len());
    assert!(
        failures.is_empty(),
        "{} disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 60, "only {passed} cases ran");
}
