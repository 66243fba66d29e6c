#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| acmers::fuzzing::retry_after(data));
