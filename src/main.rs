//! The `miauth` command: thin glue over the library; see `cli.rs` for what it does.

mod cli;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(cli::run())
}
