//! The `acmers` binary: everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    acmers::cli::main(std::env::args_os())
}
