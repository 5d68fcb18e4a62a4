//! The `miauth` command: thin glue over the library; see `cli.rs` for what it does.

mod cli;

fn main() -> std::process::ExitCode {
    // A panic is a bug: it ends with the documented exit code 1, not Rust's 101.
    let code = std::panic::catch_unwind(cli::run).unwrap_or(miauth::exit::INTERNAL);
    std::process::ExitCode::from(code)
}
