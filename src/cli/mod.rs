//! The command line: parse, set up logging, call the library, deliver the result or the error.
//!
//! No protocol logic lives here. The words of the command line are `args.rs`. stdout carries
//! only the result (or, with `--events`, one JSON object a line), so it pipes; the URL, progress
//! and errors go to stderr (`report.rs`). Where the token goes is `deliver.rs`. The exit code
//! comes from the error ([`miauth::exit`]).

mod accounts;
mod args;
mod deliver;
mod exec;
mod fake;
mod generate;
mod keep;
mod kept;
mod qr;
mod report;
mod revoke;
mod start;
mod status;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use clap::Parser;
use miauth::handle::Handle;
use miauth::mock::{MockConfig, Redirect};
use miauth::{Error, Instance, Login, Permissions, exit};

use args::{AppArgs, Cli, Command, InstanceArgs, OutputArgs};
use deliver::Destination;
use report::Reporter;
use start::Start;

/// Runs the command line and returns the process exit code.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line, like every other error: clap's first line, without its own prefix.
            let rendered = e.render().to_string();
            let first = first_line(&rendered);
            let first = first.as_str();
            // An invalid value names the valid ones, which clap puts on a line of their own.
            let first = match e.get(clap::error::ContextKind::ValidValue) {
                Some(clap::error::ContextValue::Strings(valid)) if !valid.is_empty() => {
                    format!("{first}; possible values: {}", valid.join(", "))
                }
                _ => first.to_owned(),
            };
            eprintln!("miauth: error: {first}; see `miauth --help`");
            // A program reading --events still gets its one final event.
            // `args_os`: an argument that is not UTF-8 is this very usage error.
            if std::env::args_os().any(|a| a == "--events") {
                let event = serde_json::json!({
                    "event": "error",
                    "code": exit::USAGE,
                    "kind": "usage",
                    "message": first,
                    "hint": "see `miauth --help`",
                });
                let _ = deliver::write_stdout(&format!("{event}\n"));
            }
            return exit::USAGE;
        }
        Err(e) => {
            let _ = e.print();
            return exit::SUCCESS;
        }
    };
    init_logging(cli.quiet, cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("miauth: error: internal error: cannot start the runtime: {e}");
            return exit::INTERNAL;
        }
    };
    let (quiet, verbose) = (cli.quiet, cli.verbose);
    runtime.block_on(async move {
        match cli.command {
            Command::Login {
                instance,
                app,
                save,
                store,
                instance_args,
                wait,
                out,
            } => {
                let start = Start::new(quiet, verbose, &wait, &out, false);
                let store = match save.then(|| keep::open_store(&store)).transpose() {
                    Ok(store) => store,
                    Err(e) => return start.fail_early(&e, &out),
                };
                let roots = match read_ca(&instance_args) {
                    Ok(found) => found.map(|(_, certs)| certs).unwrap_or_default(),
                    Err(e) => return start.fail_early(&e, &out),
                };
                let keep = store.as_ref().map(|store| (store, roots.as_slice()));
                match prepare_login(&instance, app, &instance_args, &start.reporter).await {
                    Ok(login) => start.run(login, &wait, &out, keep).await,
                    Err(e) => start.fail_early(&e, &out),
                }
            }
            Command::Token { target, wait, out } => {
                kept::token(quiet, verbose, target.into_asked(), &wait, &out).await
            }
            Command::Exec {
                target,
                wait,
                command,
            } => exec::exec(quiet, verbose, target.into_asked(), &wait, &command).await,
            Command::Status {
                instance,
                offline,
                timeout,
                format,
                store,
                instance_args,
            } => status::status(instance, offline, timeout, format, &store, &instance_args).await,
            Command::Logout {
                instance,
                user,
                local,
                force,
                revoke,
                store,
            } => {
                let asked = accounts::LogoutAsked {
                    instance: &instance,
                    user: user.as_deref(),
                    local,
                    force,
                    revoke: &revoke,
                };
                accounts::logout(quiet, asked, &store).await
            }
            Command::Revoke {
                instance,
                token,
                revoke: args,
            } => revoke::revoke(quiet, instance, token, &args).await,
            Command::Switch {
                instance,
                user,
                store,
            } => accounts::switch(quiet, &instance, &user, &store).await,
            Command::Mock {
                port,
                auto_approve,
                redirect_delay,
                dressed_as,
                quirks,
                ping_delay,
            } => {
                let config = MockConfig {
                    auto_approve,
                    redirect: redirect_delay.map_or(Redirect::AtOnce, Redirect::After),
                    ping_delay: ping_delay.unwrap_or_default(),
                    ..fake::config_of(dressed_as, &quirks)
                };
                fake::mock(quiet, port, config).await
            }
            Command::Permissions => list_permissions(),
            Command::Demo {
                auto_approve,
                wait,
                out,
            } => fake::demo(quiet, verbose, auto_approve, &wait, &out).await,
            Command::Completions { shell } => generate::completions(shell),
            Command::Manpage => generate::manpage(),
        }
    })
}

/// Clap's error as one line, without its own prefix: its first line, and when that ends with a
/// colon (the missing arguments), the indented lines it introduces.
fn first_line(rendered: &str) -> String {
    let mut lines = rendered.lines().skip_while(|l| l.trim().is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first).trim_end();
    match first.strip_suffix(':') {
        Some(head) => {
            let listed: Vec<&str> = lines
                .take_while(|l| l.starts_with(' '))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if listed.is_empty() {
                head.to_owned()
            } else {
                format!("{head}: {}", listed.join(", "))
            }
        }
        None => first.to_owned(),
    }
}

/// Checks every input before anything is opened or sent; an account handle is looked up
/// (WebFinger) last, once everything else is known to be usable.
async fn prepare_login(
    instance: &str,
    app: AppArgs,
    args: &InstanceArgs,
    reporter: &Reporter,
) -> Result<Login, Error> {
    let permissions = if app.permissions.is_empty() {
        Permissions::default()
    } else {
        Permissions::resolve(&app.permissions, app.allow_unknown_permission)?
    };
    miauth::authorize::validate_app(&app.name, app.icon.as_deref())?;
    let pem = read_ca(args)?;
    let instance = match Handle::parse(instance) {
        Some(handle) => {
            let roots = pem
                .as_ref()
                .map(|(_, certs)| certs.as_slice())
                .unwrap_or(&[]);
            let located = miauth::handle::resolve(&handle, roots).await?;
            reporter.say(&located.to_string());
            located.instance
        }
        None => Instance::parse(instance)?,
    };
    let mut login = Login::new(instance).name(app.name).permissions(permissions);
    if let Some(icon) = app.icon {
        login = login.icon(icon);
    }
    if args.skip_detect {
        login = login.skip_detect();
    }
    if args.verify || args.no_verify {
        login = login.verify(args.verify);
    }
    if let Some((pem, _)) = pem {
        login = login.ca_certificates_pem(&pem)?;
    }
    Ok(login)
}

/// `miauth permissions`: the known names, one a line, deprecated ones marked.
fn list_permissions() -> u8 {
    let text: String = miauth::permission::KNOWN
        .lines()
        .map(|name| {
            if miauth::permission::is_deprecated(name) {
                format!("{name}\t(deprecated: removed in Misskey 13)\n")
            } else {
                format!("{name}\n")
            }
        })
        .collect();
    match deliver::write_stdout(&text) {
        Ok(()) => exit::SUCCESS,
        Err(_) => exit::LOCAL,
    }
}

/// Where the result goes, checked before the login starts.
fn destination(out: &OutputArgs) -> Result<Destination, Error> {
    Ok(Destination {
        format: out.format,
        file: out.output.clone(),
        github_output: out
            .github_output
            .as_deref()
            .map(deliver::github_output)
            .transpose()?,
    })
}

/// The file of `--ca-cert`: its bytes and the certificates read from it.
type CaFile = (Vec<u8>, Vec<reqwest::Certificate>);

/// The CA certificates of `--ca-cert`, if given.
fn read_ca(args: &InstanceArgs) -> Result<Option<CaFile>, Error> {
    read_ca_file(args.ca_cert.as_deref())
}

/// The CA certificates of the file `--ca-cert` names, if given.
fn read_ca_file(path: Option<&std::path::Path>) -> Result<Option<CaFile>, Error> {
    let Some(path) = path else {
        return Ok(None);
    };
    let refuse = |reason: String| Error::InvalidOption {
        option: "--ca-cert",
        input: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| refuse(e.to_string()))?;
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(Some((pem, certs))),
        _ => Err(refuse("no PEM certificate could be read from it".into())),
    }
}

/// Completes on Ctrl-C or SIGTERM (on Windows: Ctrl-C, Ctrl-Break or the console closing),
/// recording which exit code the interruption calls for.
/// The handlers are installed now, not at the first poll, so a signal sent as soon as the URL
/// is printed is already caught.
fn cancelled(code: Arc<AtomicU8>) -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt());
        let term = signal(SignalKind::terminate());
        async move {
            match (int, term) {
                (Ok(mut int), Ok(mut term)) => tokio::select! {
                    _ = int.recv() => code.store(exit::INTERRUPTED, Ordering::SeqCst),
                    _ = term.recv() => code.store(exit::TERMINATED, Ordering::SeqCst),
                },
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(windows)]
    {
        // Windows has no SIGTERM: Ctrl-Break and closing the console window are the other
        // ways a console program is told to stop, and get the same last check as Ctrl-C.
        // Closing leaves the program a few seconds (the system's limit) before it is ended.
        use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
        let (int, brk, close) = (ctrl_c(), ctrl_break(), ctrl_close());
        async move {
            match (int, brk, close) {
                (Ok(mut int), Ok(mut brk), Ok(mut close)) => tokio::select! {
                    _ = int.recv() => {}
                    _ = brk.recv() => {}
                    _ = close.recv() => {}
                },
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
            code.store(exit::INTERRUPTED, Ordering::SeqCst);
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        async move {
            let _ = tokio::signal::ctrl_c().await;
            code.store(exit::INTERRUPTED, Ordering::SeqCst);
        }
    }
}

fn init_logging(quiet: bool, verbose: u8) {
    let filter = match (quiet, verbose) {
        (true, _) => "miauth=error",
        (false, 0) => "miauth=warn",
        (false, 1) => "miauth=debug",
        (false, _) => "miauth=trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .with_ansi(report::stderr_colours())
        .try_init();
}
