#![no_main]
//! See `palisade_fuzz::yaml::yaml_loader`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::yaml::yaml_loader(data));
