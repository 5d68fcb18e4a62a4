//! `miauth exec`: a command run with the kept token (or one from a login) in its environment,
//! never in its arguments.

use miauth::{Credentials, exit};

use super::Start;
use super::args::{OutputArgs, WaitArgs};
use super::kept::{TokenAsked, resolve};
use super::report::clean;

/// `miauth exec`: runs the command with the token in its environment.
pub(super) async fn exec(
    quiet: bool,
    verbose: u8,
    asked: TokenAsked,
    wait: &WaitArgs,
    command: &[String],
) -> u8 {
    let out = OutputArgs::none();
    let start = Start::new(quiet, verbose, wait, &out, false);
    let resolved = resolve(&start, asked, wait, &out).await;
    // Before the command starts: on Unix miauth becomes the command, callback server and all.
    // Ctrl-C or SIGTERM then means stop: the command is not started (a token from a login was
    // kept all the same).
    if let Some(code) = start.page_served().await {
        eprintln!("miauth: interrupted while the browser was awaited; the command was not started");
        return code;
    }
    match resolved {
        Ok((credentials, _)) => {
            let _ = start.reporter.finish(None);
            run_command(command, &credentials)
        }
        Err(code) => code,
    }
}

/// Runs `command` with `MISSKEY_URL` and `MISSKEY_TOKEN` added to its environment. On Unix
/// miauth becomes the command, so signals reach it directly and its exit code is the one
/// the caller sees.
fn run_command(command: &[String], credentials: &Credentials) -> u8 {
    let Some((program, args)) = command.split_first() else {
        return exit::USAGE;
    };
    let mut child = std::process::Command::new(program);
    child
        .args(args)
        .env("MISSKEY_URL", credentials.instance.origin())
        .env("MISSKEY_TOKEN", credentials.token.expose());
    let failed = |e: std::io::Error| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        };
        eprintln!(
            "miauth: error: cannot run {}: {e}; check the command's name and that it is executable",
            clean(program)
        );
        code
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Only returns when the command could not be started.
        failed(child.exec())
    }
    #[cfg(not(unix))]
    {
        match child.status() {
            Ok(status) => status
                .code()
                .map(|c| u8::try_from(c).unwrap_or(1))
                .unwrap_or(1),
            Err(e) => failed(e),
        }
    }
}
