//! The RBAC rules over real-world manifests (`shared/corpus/real-world`), each repository as one
//! scan: no panics, the expected findings on the guide's and the Dashboard's manifests, none on
//! well-scoped ones, and every rule declared completely. `PALISADE_SHOW=1` prints the findings.

mod corpus_support;

use std::collections::BTreeMap;

use palisade_core::source::objects_from_str;
use palisade_core::{check_objects, Context, Finding, Settings};

use corpus_support::{corpus_dir, walk};

/// Findings of every RBAC rule, per repository of the corpus.
fn scan() -> Option<BTreeMap<String, Vec<Finding>>> {
    let Some(dir) = corpus_dir() else {
        eprintln!("skipping: no corpus at shared/corpus/real-world (set PALISADE_CORPUS)");
        return None;
    };
    let settings = Settings::default();
    let cx = Context {
        settings: &settings,
    };
    let mut out = BTreeMap::new();
    let mut repos: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    for repo in repos {
        let mut files = Vec::new();
        walk(&repo, &mut files);
        let mut objects = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let name = f.strip_prefix(&dir).unwrap().display().to_string();
            objects.extend(objects_from_str(&name, &text).objects);
        }
        let mut findings = Vec::new();
        for rule in rbac_rules() {
            check_objects(rule, &cx, &objects, &mut findings);
        }
        let name = repo.file_name().unwrap().to_string_lossy().into_owned();
        out.insert(name, findings);
    }
    Some(out)
}

#[test]
fn real_world_corpus() {
    let Some(by_repo) = scan() else {
        return;
    };
    let mut by_rule: BTreeMap<&str, usize> = rbac_rules().map(|r| (r.meta.code, 0)).collect();
    for (repo, findings) in &by_repo {
        for f in findings {
            *by_rule.entry(f.code).or_default() += 1;
            if std::env::var_os("PALISADE_SHOW").is_some() {
                println!("{repo}: {} {} {}", f.code, f.location, f.message);
            }
            assert!(f.object.is_some() && !f.message.is_empty(), "{f:?}");
        }
    }
    for (code, n) in &by_rule {
        println!("{code} {n}");
    }
    let count = |repo: &str, code: &str| by_repo[repo].iter().filter(|f| f.code == code).count();
    // Argo CD's application controller is bound to `*` on `*`.
    assert!(count("argoproj__argo-cd", "RB210") >= 1, "{by_rule:?}");
    // The guide's own setup grants `use` of the restrictive PSP to every user: not a finding.
    assert_eq!(
        count("freach__kubernetes-security-best-practice", "RB212"),
        0
    );
    // The Dashboard's current manifests bind minimal roles, restricted to named Secrets.
    for code in ["RB210", "RB214", "RB215"] {
        assert_eq!(count("kubernetes__dashboard", code), 0, "{code}");
    }
    // Upstream manifests never bind anything to anonymous users.
    assert_eq!(by_rule["RB211"], 0);
}

#[test]
fn every_rule_is_declared_and_registered() {
    let mut codes = std::collections::HashSet::new();
    for rule in rbac_rules() {
        let m = rule.meta;
        assert!(codes.insert(m.code), "duplicate code {}", m.code);
        assert!(
            m.code.starts_with("RB2") && ("RB210".."RB250").contains(&m.code),
            "{}",
            m.code
        );
        corpus_support::assert_declared(m);
        assert!(m.pss_check.is_none(), "{} is not a PSS check", m.code);
        assert!(
            rule.inventory().is_some(),
            "{} needs the inventory stage",
            m.code
        );
    }
}

/// The RBAC rules proper (RB210–RB224), which read only RBAC objects.
fn rbac_rules() -> impl Iterator<Item = &'static palisade_core::Rule> {
    palisade_rules::registry::objects().filter(|r| ("RB210"..="RB224").contains(&r.meta.code))
}
