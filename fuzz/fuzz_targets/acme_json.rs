#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| acmers::fuzzing::acme_json(data));
