//! The bodies of Palisade's fuzz targets, one function per target taking the fuzzer's bytes.
//!
//! They live here, in an ordinary library of the workspace, rather than in `fuzz/` so that the
//! same code runs two ways: under libFuzzer (`fuzz/fuzz_targets/*.rs` are one-line wrappers, built
//! by `cargo +nightly fuzz`), and on the stable toolchain in `cargo test`, which replays every
//! committed seed and crash reproducer (`fuzz/seeds/<target>/`, `fuzz/regressions/<target>/`)
//! through them (`tests/replay.rs`). A fixed crash thus stays fixed without nightly in CI.
//!
//! A body never returns an error: any input is acceptable. It panics when the code under test
//! panics, or when an invariant the code promises does not hold (an `assert!` here is a finding).

pub mod admission;
pub mod differential;
pub mod fix;
pub mod node;
pub mod yaml;

use std::path::{Path, PathBuf};

/// A fuzz target: its name (the directory of its seeds and reproducers) and its body.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
}

/// Every target, as `fuzz/Cargo.toml` names them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "yaml_loader",
        run: yaml::yaml_loader,
    },
    Target {
        name: "admission_review",
        run: admission::admission_review,
    },
    Target {
        name: "node_parsers",
        run: node::node_parsers,
    },
    Target {
        name: "fix_editor",
        run: fix::fix_editor,
    },
    Target {
        name: "yaml_differential",
        run: differential::yaml_differential,
    },
];

/// The `fuzz/` directory of the repository.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The committed inputs of a target: its seeds and its crash reproducers, sorted by path.
pub fn committed_inputs(target: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for kind in ["seeds", "regressions"] {
        let dir = fuzz_dir().join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        out.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file()),
        );
    }
    out.sort();
    out
}
