//! Differential test of the YAML loader against libyaml with Kubernetes' (go-yaml v2) decoding
//! rules: every document libyaml accepts must load in Palisade with an equal value. See
//! `docs/yaml-compatibility.md` and `tests/support/libyaml_oracle.rs`.
//!
//! Inputs: the hand-made cases under `tests/yaml-compat/`; the real-world corpus
//! (`../shared/corpus/real-world` next to the repository, or `PALISADE_REAL_WORLD_CORPUS`), skipped
//! with a message when absent; and any directories in `PALISADE_YAML_CORPUS` (colon-separated).

mod support {
    pub mod differential;
    pub mod libyaml_oracle;
}

use std::path::{Path, PathBuf};

use support::differential::{compare, Tally, Verdict};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            out.push(p);
        }
    }
}

fn run_dir(dir: &Path) -> Tally {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    let mut tally = Tally::default();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let name = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        tally.add(&name, &compare(&bytes));
    }
    tally
}

fn real_world() -> PathBuf {
    std::env::var_os("PALISADE_REAL_WORLD_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/real-world")
        })
}

#[test]
fn real_world_corpus_reads_as_libyaml_reads_it() {
    let dir = real_world();
    if !dir.is_dir() {
        eprintln!(
            "skipped: no real-world corpus at {} (set PALISADE_REAL_WORLD_CORPUS)",
            dir.display()
        );
        return;
    }
    let tally = run_dir(&dir);
    eprintln!("real-world corpus: {tally}");
    assert!(
        tally.is_clean() && tally.known == 0,
        "real-world corpus: {tally}"
    );
}

#[test]
fn extra_corpora_read_as_libyaml_reads_them() {
    let Some(dirs) = std::env::var_os("PALISADE_YAML_CORPUS") else {
        eprintln!("skipped: PALISADE_YAML_CORPUS is not set");
        return;
    };
    let mut all = Tally::default();
    for dir in std::env::split_paths(&dirs) {
        let tally = run_dir(&dir);
        eprintln!("{}: {tally}", dir.display());
        all.files += tally.files;
        all.documents += tally.documents;
        all.equal += tally.equal;
        all.both_reject += tally.both_reject;
        all.only_libyaml_rejects += tally.only_libyaml_rejects;
        all.only_palisade_rejects += tally.only_palisade_rejects;
        all.mismatches += tally.mismatches;
        all.bounds += tally.bounds;
        all.deliberate += tally.deliberate;
        all.known += tally.known;
        all.problems.extend(tally.problems);
        for (why, n) in tally.libyaml_reasons {
            *all.libyaml_reasons.entry(why).or_default() += n;
        }
    }
    assert!(all.is_clean() && all.known == 0, "extra corpora: {all}");
}

/// The hand-made cases: each file is read by libyaml, and Palisade must read it the same way.
#[test]
fn hand_made_cases_read_as_libyaml_reads_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml-compat");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut tally = Tally::default();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        tally.add(&name, &compare(&std::fs::read(f).unwrap()));
    }
    eprintln!("hand-made cases: {tally}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let results = compare(&bytes);
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            results.iter().any(|(_, v)| *v == Verdict::Equal),
            "{name}: nothing compared: {results:?}"
        );
        for (line, v) in results {
            assert!(
                matches!(v, Verdict::Equal | Verdict::Empty | Verdict::Deliberate(_)),
                "{name}:{line}: {v:?}"
            );
        }
    }
}

/// What the yaml_differential fuzz target found (`fuzz/regressions/yaml_differential/`): the
/// inputs whose differences were fixed now read as libyaml reads them; those named `known_*`
/// show a difference that is known and not fixed (docs/yaml-compatibility.md), and must keep
/// being recognised as such rather than pass silently or fail.
#[test]
fn fuzz_findings_stay_fixed_or_known() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/yaml_differential");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let results = compare(&std::fs::read(&f).unwrap());
        for (line, v) in &results {
            assert!(
                !matches!(v, Verdict::OnlyPalisadeRejects(_) | Verdict::Mismatch(_)),
                "{name}:{line}: {v:?}"
            );
        }
        let known = results.iter().any(|(_, v)| matches!(v, Verdict::Known(_)));
        assert_eq!(known, name.starts_with("known_"), "{name}: {results:?}");
    }
}
