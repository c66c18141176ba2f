//! Replays every committed seed and crash reproducer of every fuzz target (`fuzz/seeds/<target>/`,
//! `fuzz/regressions/<target>/`) through the target's body, on the stable toolchain: a crash the
//! fuzzer once found fails `cargo test`, without nightly or cargo-fuzz.

use palisade_fuzz::{committed_inputs, TARGETS};

#[test]
fn committed_inputs_pass_every_target() {
    for target in TARGETS {
        let inputs = committed_inputs(target.name);
        assert!(
            !inputs.is_empty(),
            "no seeds for {} under {}",
            target.name,
            palisade_fuzz::fuzz_dir().display()
        );
        for path in inputs {
            let data = std::fs::read(&path).unwrap();
            // The path names the input that failed in the panic's output.
            eprintln!("{}: {}", target.name, path.display());
            (target.run)(&data);
        }
    }
}
