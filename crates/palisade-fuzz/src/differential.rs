//! `yaml_differential`: the YAML loader against libyaml. The bytes are read by Palisade as
//! `palisade scan` reads them and by the oracle of `palisade-core`'s differential test (libyaml via
//! `unsafe-libyaml`, then go-yaml v2's and `sigs.k8s.io/yaml`'s decoding; the same source files,
//! included here), and compared document by document as kubectl cuts the stream.
//!
//! What it checks: no document that libyaml reads is refused by Palisade, and none is read with
//! a different value (documented deliberate differences and Palisade's `yaml::Limits` aside). libyaml
//! refusing what Palisade reads is allowed.

#[path = "../../palisade-core/tests/support/libyaml_oracle.rs"]
pub mod libyaml_oracle;

#[path = "../../palisade-core/tests/support/differential.rs"]
pub mod compare;

use compare::Verdict;

pub fn yaml_differential(data: &[u8]) {
    // Past a few hundred kilobytes the fuzzer learns nothing new and only slows down.
    if data.len() > 256 * 1024 {
        return;
    }
    for (line, verdict) in compare::compare(data) {
        match verdict {
            Verdict::OnlyPalisadeRejects(why) => {
                panic!("line {line}: libyaml reads this document, Palisade refuses it: {why}")
            }
            Verdict::Mismatch(why) => panic!("line {line}: values differ: {why}"),
            _ => {}
        }
    }
}
