#![no_main]
//! See `palisade_fuzz::admission::admission_review`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::admission::admission_review(data));
