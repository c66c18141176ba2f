//! The bundle on the repository's examples, the guide's own examples and (when present) the
//! real-world corpus: it parses, a re-scan is clean of every code it claims, its NetworkPolicies
//! keep DNS and every Service's clients working and block the rest, its Pod Security levels admit
//! every workload.

use std::path::{Path, PathBuf};

use palisade_core::source::objects_from_str;
use palisade_core::{KubeVersion, Object};
use palisade_harden::{harden, Bundle, Options};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

/// Every object of the manifests below `dir` (files that do not load are skipped: the corpus
/// holds a few deliberately broken ones).
fn load(dir: &Path) -> Vec<Object> {
    let mut paths = Vec::new();
    files(dir, &mut paths);
    let mut objects = Vec::new();
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let rel = p.strip_prefix(root()).unwrap_or(&p).display().to_string();
        objects.extend(objects_from_str(&rel, &text).objects);
    }
    objects
}

fn bundle(objects: Vec<Object>, minor: u32) -> Bundle {
    harden(
        objects,
        &Options {
            version: KubeVersion::v1(minor),
            encryption_key: None,
        },
    )
}

/// Everything the acceptance asks of a bundle.
fn assert_sound(name: &str, b: &Bundle) {
    let proof = b.proof().unwrap_or_else(|e| panic!("{name}: {e}"));
    let show = |v: &[palisade_harden::Check]| {
        v.iter()
            .take(20)
            .map(|c| c.what.clone())
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    assert!(
        proof.unresolved.is_empty(),
        "{name}: claimed codes still reported:\n  {}",
        proof
            .unresolved
            .iter()
            .take(20)
            .map(|f| format!("{} {:?} {}", f.code, f.object, f.message))
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    assert!(
        proof.breakages.is_empty(),
        "{name}: breaks\n  {}",
        show(&proof.breakages)
    );
    assert!(
        proof.leaks.is_empty(),
        "{name}: leaks\n  {}",
        show(&proof.leaks)
    );
    // Per claimed code: reported before (when the inventory had the problem), never after.
    for code in &proof.claimed {
        let after = proof
            .per_code
            .iter()
            .find(|(c, ..)| c == code)
            .map_or(0, |x| x.2);
        if *code != "NP305" {
            assert_eq!(after, 0, "{name}: {code} after applying");
        }
    }
}

#[test]
fn insecure_app() {
    let b = bundle(load(&root().join("examples/insecure-app")), 37);
    assert_sound("insecure-app", &b);
    let proof = b.proof().unwrap();
    eprintln!(
        "{:?}\n{:?}\n{:?}",
        proof.before, proof.after, proof.per_code
    );
    print!("{}", b.stream());
}

#[test]
fn hardened_app() {
    let b = bundle(load(&root().join("examples/hardened-app")), 37);
    assert_sound("hardened-app", &b);
}

#[test]
fn examples_at_every_era() {
    // PodSecurityPolicy era, both admissions (1.23-1.24), structured authz (1.30+), authn (1.32+).
    for minor in [19, 22, 24, 28, 31, 33, 37] {
        let b = bundle(load(&root().join("examples")), minor);
        assert_sound(&format!("examples at 1.{minor}"), &b);
    }
}

/// `/work/shared/corpus/real-world` (or `$PALISADE_CORPUS`), when present.
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("PALISADE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus/real-world"));
    dir.is_dir().then_some(dir)
}

#[test]
fn real_world_corpus() {
    let Some(dir) = corpus() else {
        eprintln!("real-world corpus not present: skipped");
        return;
    };
    let objects = load(&dir);
    for minor in [24, 37] {
        let start = std::time::Instant::now();
        let b = bundle(objects.clone(), minor);
        let generated = start.elapsed();
        assert_sound(&format!("corpus at 1.{minor}"), &b);
        let proof = b.proof().unwrap();
        eprintln!(
            "corpus 1.{minor}: {} objects, {} generated in {generated:?}, proof in {:?}: {} \
             connections, {} workloads at their level; before {:?} after {:?}",
            b.inventory.objects.len(),
            b.objects().count(),
            start.elapsed() - generated,
            proof.connections,
            proof.workloads_evaluated,
            proof.before,
            proof.after
        );
    }
}
