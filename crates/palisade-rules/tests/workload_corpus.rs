//! The workload rules over real-world manifests (`shared/corpus/real-world`): no panics, and
//! finding counts printed for review. Also checks every rule's declaration.

mod corpus_support;

mod workload_support;

use std::collections::BTreeMap;

use palisade_core::source::objects_from_str;
use palisade_core::{check_objects, Context, Finding, Settings};

use corpus_support::{corpus_dir, walk};

/// Runs every workload rule over each repository of the corpus as one scan (so inventory rules
/// see the ServiceAccounts and LimitRanges next to the workloads).
fn scan(settings: &Settings) -> Option<(usize, usize, Vec<Finding>)> {
    let Some(dir) = corpus_dir() else {
        eprintln!("skipping: no corpus at shared/corpus/real-world (set PALISADE_CORPUS)");
        return None;
    };
    let mut repos: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    let cx = Context { settings };
    let (mut objects_seen, mut pods, mut findings) = (0, 0, Vec::new());
    for repo in repos {
        let mut files = Vec::new();
        walk(&repo, &mut files);
        let mut objects = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let name = f.strip_prefix(&dir).unwrap().display().to_string();
            objects.extend(objects_from_str(&name, &text).objects);
        }
        objects_seen += objects.len();
        pods += objects
            .iter()
            .filter(|o| o.pod_template().is_some())
            .count();
        for rule in workload_rules() {
            check_objects(rule, &cx, &objects, &mut findings);
        }
    }
    Some((objects_seen, pods, findings))
}

fn counts(findings: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut by_rule = BTreeMap::new();
    for rule in workload_rules() {
        by_rule.insert(rule.meta.code, 0);
    }
    for f in findings {
        *by_rule.entry(f.code).or_default() += 1;
    }
    by_rule
}

#[test]
fn real_world_corpus() {
    let Some((objects, pods, findings)) = scan(&Settings::default()) else {
        return;
    };
    println!("{objects} objects, {pods} with a pod template");
    let by_rule = counts(&findings);
    for (code, n) in &by_rule {
        let name = workload_rules()
            .find(|r| r.meta.code == *code)
            .map_or("", |r| r.meta.name);
        println!("{code} {name:<36} {n}");
    }
    if std::env::var_os("PALISADE_SHOW").is_some() {
        for f in &findings {
            println!("{} {} {}", f.code, f.location, f.message);
        }
    }
    assert!(pods > 100, "the corpus should hold many workloads");
    // The Docker socket mounts in the corpus (two files) must be found.
    assert!(by_rule["PS150"] >= 2, "{by_rule:?}");
    // The corpus has long-lived token Secrets (GKE inference gateway samples).
    assert!(by_rule["RB204"] >= 1, "{by_rule:?}");
    // Well-typed upstream manifests: a type finding there would be a false positive.
    assert_eq!(by_rule["PA903"], 0, "{by_rule:?}");
    // Nobody ships the Dashboard with skip-login on, nor an allow-list check without a list.
    assert_eq!(by_rule["RB203"], 0, "{by_rule:?}");
    assert_eq!(by_rule["IM403"], 0, "{by_rule:?}");
    for f in &findings {
        assert!(!f.message.is_empty() && f.object.is_some(), "{f:?}");
    }
}

#[test]
fn real_world_corpus_with_allow_list() {
    let settings = Settings {
        allowed_registries: vec!["registry.k8s.io".into(), "docker.io/library".into()],
        ..Settings::default()
    };
    let Some((_, _, findings)) = scan(&settings) else {
        return;
    };
    let n = findings.iter().filter(|f| f.code == "IM403").count();
    println!("IM403 with a two-entry allow-list: {n}");
    assert!(n > 0);
}

#[test]
fn every_rule_is_declared_and_registered() {
    let mut codes = std::collections::HashSet::new();
    for rule in workload_rules() {
        let m = rule.meta;
        assert!(codes.insert(m.code), "duplicate code {}", m.code);
        corpus_support::assert_declared(m);
        assert!(m.pss_check.is_none(), "{} is not a PSS check", m.code);
    }
}

/// The rules about workloads' own fields (service-account tokens, images, containers, field
/// types).
fn workload_rules() -> impl Iterator<Item = &'static palisade_core::Rule> {
    const CODES: &[&str] = &[
        "RB201", "RB202", "RB203", "RB204", "IM401", "IM402", "IM403", "IM404", "IM405", "PS150",
        "PS151", "PS152", "PS153", "PS154", "PA903",
    ];
    palisade_rules::registry::objects().filter(|r| CODES.contains(&r.meta.code))
}
