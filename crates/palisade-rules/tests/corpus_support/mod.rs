//! Shared by the rule-family tests: the real-world corpus (when present) and the checks every
//! rule declaration must pass.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

use palisade_core::RuleMeta;

/// `shared/corpus/real-world` beside the repository (or `PALISADE_CORPUS`), when it exists.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PALISADE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/real-world")
        });
    dir.is_dir().then_some(dir)
}

/// Every manifest below `dir`, in a stable order.
pub fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

/// What every rule declaration needs: registered, kebab-case name, every docs section, an
/// example with a failing and a passing form, references.
pub fn assert_declared(m: &RuleMeta) {
    assert!(
        palisade_rules::registry::by_code(m.code).is_some(),
        "{} not in the registry",
        m.code
    );
    assert!(
        m.name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "{} name {}",
        m.code,
        m.name
    );
    for (field, text) in [
        ("guide", m.guide),
        ("summary", m.summary),
        ("what", m.what),
        ("why", m.why),
        ("fix", m.fix),
        ("help", m.help),
    ] {
        assert!(text.len() > 10, "{} has no {field}", m.code);
    }
    assert!(
        m.example.contains("# fails") && m.example.contains("# passes"),
        "{} example needs a failing and a passing form",
        m.code
    );
    assert!(!m.references.is_empty(), "{} has no references", m.code);
}
