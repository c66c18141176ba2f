#![no_main]
//! See `palisade_fuzz::differential::yaml_differential`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::differential::yaml_differential(data));
