//! The short fuzzing run of `cargo test` (docs/fuzzing.md), on stable and without cargo-fuzz:
//! every file of `fuzz/corpus/<target>/`, then a bounded number of generated inputs per target
//! (corpus files mutated, shell and PEM fragments strung together, plain random bytes), each
//! through the same `acmers::fuzzing` function the `cargo fuzz` target calls. The random
//! generator has a fixed seed and nothing is persisted, so every run feeds the same inputs; a
//! failure names the target and the (shrunk) input.

use std::path::PathBuf;

use acmers::fuzzing::TARGETS;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// Generated inputs per target.
const CASES: u32 = 3000;

/// Text that means something to one of the parsers, for inputs built from pieces.
const FRAGMENTS: &[&str] = &[
    "Le_Domain",
    "KEY",
    "=",
    "'",
    "\"",
    "\\",
    "#",
    " ",
    "\t",
    "\n",
    "\r\n",
    "export ",
    ";",
    "$(x)",
    "`",
    "__ACME_BASE64__START_",
    "__ACME_BASE64__END_",
    "aGk=",
    "é",
    "\u{85}",
    "-----BEGIN CERTIFICATE-----",
    "-----END CERTIFICATE-----",
    "MIIB",
    "<",
    ">",
    "rel=\"alternate\"",
    ",",
    "https://a/b",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "1e999",
    "\"status\"",
    "\"subproblems\"",
    "GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "2026-12-20T00:00:00Z",
];

/// The files of `fuzz/corpus/<target>/`, in name order.
fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

#[test]
fn every_corpus_file_passes_its_target() {
    for (name, target) in TARGETS {
        let files = corpus(name);
        assert!(!files.is_empty(), "fuzz/corpus/{name} is empty");
        for file in &files {
            target(file);
        }
    }
}

/// One edit of a mutated input: what to do, where (scaled to the input's length), with which
/// byte.
type Edit = (u8, usize, u8);

fn mutate(mut input: Vec<u8>, edits: &[Edit], other: &[u8]) -> Vec<u8> {
    for &(kind, at, byte) in edits {
        let at = if input.is_empty() {
            0
        } else {
            at % (input.len() + 1)
        };
        match kind % 6 {
            0 => {
                if let Some(b) = input.get_mut(at) {
                    *b ^= byte;
                }
            }
            1 => input.insert(at, byte),
            2 if at < input.len() => {
                input.remove(at);
            }
            3 => input.truncate(at),
            // Repeat a stretch of the input at its own position.
            4 => {
                let end = (at + usize::from(byte)).min(input.len());
                let stretch = input[at..end].to_vec();
                input.splice(at..at, stretch);
            }
            // Splice in the tail of another corpus file.
            _ => {
                let from = usize::from(byte) % (other.len() + 1);
                input.splice(at..at, other[from..].iter().copied());
            }
        }
    }
    input
}

fn inputs(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = seeds.len();
    let mutated = (
        0..count,
        0..count,
        prop::collection::vec(any::<Edit>(), 1..8),
    )
        .prop_map(move |(seed, other, edits)| mutate(seeds[seed].clone(), &edits, &seeds[other]));
    let pieces = prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40)
        .prop_map(|pieces| pieces.concat().into_bytes());
    let random = prop::collection::vec(any::<u8>(), 0..512);
    prop_oneof![3 => mutated, 1 => pieces, 1 => random]
}

#[test]
fn generated_inputs_pass_every_target() {
    for (name, target) in TARGETS {
        let config = Config {
            cases: CASES,
            rng_seed: RngSeed::Fixed(13),
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&inputs(corpus(name)), |input| {
            target(&input);
            Ok(())
        });
        if let Err(e) = result {
            panic!("fuzz target {name}: {e}");
        }
    }
}
