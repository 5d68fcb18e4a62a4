//! A login to a real instance, named on the command line, with the user's browser; what
//! happens is told on stderr through the progress observer, and the token goes to stdout:
//!
//! ```sh
//! cargo run --example login -- misskey.io
//! cargo run --no-default-features --example login -- misskey.io > token
//! ```

use std::sync::Arc;

use miauth::{Instance, Login, Permissions, Progress};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Some(instance) = std::env::args().nth(1) else {
        eprintln!("usage: login INSTANCE   (like misskey.io)");
        return std::process::ExitCode::from(miauth::exit::USAGE);
    };
    match login(&instance).await {
        Ok(token) => {
            println!("{token}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            // One line: what failed, then what to do about it.
            match e.hint() {
                Some(hint) => eprintln!("login: {e}; {hint}"),
                None => eprintln!("login: {e}"),
            }
            std::process::ExitCode::from(e.exit_code())
        }
    }
}

async fn login(instance: &str) -> Result<String, miauth::Error> {
    let credentials = Login::new(Instance::parse(instance)?)
        .name("login example")
        .permissions(Permissions::parse(["read:account"])?)
        .on_progress(Arc::new(|step: &Progress<'_>| match step {
            Progress::Authorize { url, .. } => {
                eprintln!(
                    "Approve the login in your browser, or open:\n  {}",
                    url.as_str()
                );
            }
            Progress::BrowserFailed { reason } => eprintln!("(no browser: {reason})"),
            Progress::CallbackReceived => eprintln!("The browser came back; fetching the token..."),
            Progress::Trouble { error, retry_in } => {
                eprintln!("{error}; trying again in {}s", retry_in.as_secs());
            }
            // Progress is non-exhaustive: new steps may come in any release.
            _ => {}
        }))
        .run()
        .await?;
    eprintln!("Logged in as {}.", credentials.handle());
    Ok(credentials.token.expose().to_owned())
}
