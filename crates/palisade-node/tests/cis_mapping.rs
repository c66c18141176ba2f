//! `docs/cis-mapping.md` says what the node rules declare: its mapping part is generated
//! (`palisade_node::cis_mapping_markdown`), and this test fails when the file differs. With
//! `PALISADE_BLESS=1` it rewrites the generated part instead, keeping the hand-written part.

use std::path::PathBuf;

use palisade_node::cis_mapping::HAND_WRITTEN_MARKER;
use palisade_node::{cis_mapping_document, cis_mapping_markdown};

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/cis-mapping.md")
}

#[test]
fn cis_mapping_doc_is_generated_from_the_rules() {
    let path = doc_path();
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let want = cis_mapping_document(&current);
    // Without the line, blessing would drop the hand-written sections.
    assert!(
        current.contains(HAND_WRITTEN_MARKER),
        "docs/cis-mapping.md lost the line `{}`: put it back above the hand-written sections",
        HAND_WRITTEN_MARKER.trim_end()
    );
    if std::env::var_os("PALISADE_BLESS").is_some() {
        if current != want {
            std::fs::write(&path, &want).expect("docs/cis-mapping.md is writable");
        }
        return;
    }
    if current != want {
        let line = current
            .lines()
            .zip(want.lines())
            .take_while(|(a, b)| a == b)
            .count();
        let have = current.lines().nth(line).unwrap_or("(end of file)");
        let expected = want.lines().nth(line).unwrap_or("(end of file)");
        panic!(
            "docs/cis-mapping.md is out of date with the node rules' CIS declarations (first \
             difference at line {}:\n  file:      {have}\n  generated: {expected}\n).\n\
             Regenerate it with: PALISADE_BLESS=1 cargo test -p palisade-node cis_mapping\n\
             (only the part above the \"written by hand\" line is generated; edit rules, not \
             that part)",
            line + 1
        );
    }
}

/// Every CIS id a rule declares is an item of the benchmark, and the generated part ends where
/// the hand-written part begins.
#[test]
fn cis_mapping_declarations_name_benchmark_items() {
    let generated = cis_mapping_markdown();
    assert!(generated.ends_with(HAND_WRITTEN_MARKER));
    let unknown = format!("that are not {} items", palisade_node::cis::BENCHMARK);
    assert!(!generated.contains(&unknown), "{generated}");
    // Blessing keeps the hand-written part and replaces the rest.
    let doc = cis_mapping_document(&format!("stale\n{HAND_WRITTEN_MARKER}## Notes\n"));
    assert_eq!(doc, format!("{generated}## Notes\n"));
}
