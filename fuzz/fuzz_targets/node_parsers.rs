#![no_main]
//! See `palisade_fuzz::node::node_parsers`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::node::node_parsers(data));
