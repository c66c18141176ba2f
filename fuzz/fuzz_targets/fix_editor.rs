#![no_main]
//! See `palisade_fuzz::fix::fix_editor`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::fix::fix_editor(data));
