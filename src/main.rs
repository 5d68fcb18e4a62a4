//! The `miauth` command: thin glue over the library; see `cli/` for what it does.

mod cli;

fn main() -> std::process::ExitCode {
    // A panic is a bug: it ends with the documented exit code 1 (not 101, nor an abort), with
    // a one-line message. Panic messages never hold a secret (secret types hide themselves).
    std::panic::set_hook(Box::new(|info| {
        eprintln!("miauth: error: internal error: {info}; please report this as a bug in miauth");
        std::process::exit(i32::from(miauth::exit::INTERNAL));
    }));
    std::process::ExitCode::from(cli::run())
}
