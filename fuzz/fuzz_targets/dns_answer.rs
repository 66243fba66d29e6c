#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| acmers::fuzzing::dns_answer(data));
