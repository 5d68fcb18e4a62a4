//! The command line: parse, set up logging, call the library, print the result or the error.
//!
//! No protocol logic lives here. stdout carries only the result (so it pipes); the URL,
//! progress and errors go to stderr, errors as one line after `miauth: error:`. The exit code
//! comes from the error ([`miauth::exit`]).

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miauth::browser::{Browser, NoBrowser, SystemBrowser, can_open_browser};
use miauth::mock::{Choice, MockConfig, MockServer, Quirks, ScriptedBrowser};
use miauth::{Credentials, Error, Format, Instance, Login, Permissions, Progress, exit, output};

const EXIT_CODES: &str = "\
Exit codes:
  0    the token was delivered
  1    internal error (a bug in miauth)
  2    usage error or invalid input
  3    not approved before the deadline (a denial looks the same)
  4    instance error: unreachable, TLS, unexpected answer, approval without a token
  5    local error: the port cannot be bound, the output cannot be written
  130  interrupted by Ctrl-C (143: terminated by SIGTERM)";

/// Get a Misskey access token through MiAuth, the browser login of Misskey and its forks.
#[derive(Parser, Debug)]
#[command(name = "miauth", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print only errors (and the URL when no browser is opened).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More detail on stderr; repeat for more (-vv). Never shows the token.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Log in to a Misskey instance in the browser and print the access token.
    #[command(after_help = EXIT_CODES)]
    Login {
        /// The instance: misskey.io, https://misskey.io, example.com:8443 (http only for loopback).
        instance: String,
        /// The application name shown on the consent page (128 characters at most).
        #[arg(long, default_value = "miauth")]
        name: String,
        /// The URL of an icon shown on the consent page.
        #[arg(long)]
        icon: Option<String>,
        /// Permissions to ask for; repeat or separate with commas [default: read:account].
        #[arg(short, long = "permission", value_name = "NAMES")]
        permissions: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Run a fake Misskey instance on loopback, for testing MiAuth clients; prints its URL first.
    Mock {
        /// The port to listen on [default: chosen by the system].
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Approve every session as soon as its consent page opens (even `curl -L` can log in).
        #[arg(long)]
        auto_approve: bool,
        /// Behave like a particular version or fork; repeatable.
        #[arg(long = "quirk", value_enum)]
        quirks: Vec<QuirkArg>,
    },
    /// Log in to a built-in fake instance: the whole flow, offline, consent page included.
    #[command(after_help = EXIT_CODES)]
    Demo {
        /// Let the fake instance approve by itself (automatic where no browser can be opened).
        #[arg(long)]
        auto_approve: bool,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
}

#[derive(Args, Debug)]
struct WaitArgs {
    /// How long to wait for approval, like 90s, 10m or 1h.
    #[arg(long, default_value = "5m", value_parser = parse_timeout)]
    timeout: Duration,
    /// The loopback port of the callback server [default: chosen by the system].
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Do not open a browser; open the printed URL yourself.
    #[arg(long)]
    no_browser: bool,
}

#[derive(Args, Debug)]
struct OutputArgs {
    /// What to print: the token, a JSON object, or MISSKEY_URL/MISSKEY_TOKEN lines.
    #[arg(long, value_enum, default_value_t = Format::Token)]
    format: Format,
    /// Write the result to FILE (owner-only, atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum QuirkArg {
    /// Misskey 2024.11: Accept redirects although no token was created.
    ApproveWithoutToken,
    /// Firefish, Iceshrimp: the callback gets `?session=` appended as a string.
    ConcatenatedCallback,
    /// Decode query values once instead of twice.
    SingleDecode,
    /// Federation off: /.well-known/nodeinfo answers 403.
    NodeinfoForbidden,
}

fn parse_timeout(value: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(value).map_err(|e| format!("{e} (try 90s, 10m or 1h)"))?;
    if d.is_zero() {
        return Err("the timeout must be longer than zero".into());
    }
    Ok(d)
}

/// Runs the command line and returns the process exit code.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            };
            let _ = e.print();
            return code;
        }
    };
    init_logging(cli.quiet, cli.verbose);
    let ui = Ui { quiet: cli.quiet };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ui.error(&Error::Internal(format!("cannot start the runtime: {e}")));
            return exit::INTERNAL;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Login {
                instance,
                name,
                icon,
                permissions,
                wait,
                out,
            } => login(&ui, &instance, name, icon, &permissions, &wait, &out).await,
            Command::Mock {
                port,
                auto_approve,
                quirks,
            } => mock(&ui, port, auto_approve, &quirks).await,
            Command::Demo {
                auto_approve,
                wait,
                out,
            } => demo(&ui, auto_approve, &wait, &out).await,
        }
    })
}

async fn login(
    ui: &Ui,
    instance: &str,
    name: String,
    icon: Option<String>,
    permissions: &[String],
    wait: &WaitArgs,
    out: &OutputArgs,
) -> u8 {
    let prepared = Instance::parse(instance).and_then(|instance| {
        let permissions = if permissions.is_empty() {
            Permissions::default()
        } else {
            Permissions::parse(permissions)?
        };
        Ok((instance, permissions))
    });
    let (instance, permissions) = match prepared {
        Ok(p) => p,
        Err(e) => return ui.fail(&e),
    };
    let mut login = Login::new(instance).name(name).permissions(permissions);
    if let Some(icon) = icon {
        login = login.icon(icon);
    }
    let browser: Arc<dyn Browser> = if wait.no_browser {
        Arc::new(NoBrowser)
    } else if can_open_browser() {
        Arc::new(SystemBrowser)
    } else {
        ui.say("No browser can be opened here (no display); open the URL below on any device.");
        Arc::new(NoBrowser)
    };
    let opens = !wait.no_browser && can_open_browser();
    run_login(ui, login, browser, opens, wait, out).await
}

/// Runs a configured login with the terminal's progress, signals and output.
async fn run_login(
    ui: &Ui,
    login: Login,
    browser: Arc<dyn Browser>,
    opens_browser: bool,
    wait: &WaitArgs,
    out: &OutputArgs,
) -> u8 {
    let signal = Arc::new(AtomicU8::new(exit::INTERRUPTED));
    let login = login
        .timeout(wait.timeout)
        .port(wait.port)
        .browser(browser)
        .on_progress(progress_printer(*ui, opens_browser))
        .cancel_on(cancelled(signal.clone()));
    match login.run().await {
        Ok(credentials) => {
            ui.say(&format!("Logged in as {}.", clean(&credentials.handle())));
            deliver(ui, &credentials, out)
        }
        Err(Error::Interrupted) => {
            ui.fail(&Error::Interrupted);
            signal.load(Ordering::SeqCst)
        }
        Err(e) => ui.fail(&e),
    }
}

/// Prints the steps of a login on stderr.
fn progress_printer(ui: Ui, opens_browser: bool) -> miauth::Observer {
    let url_shown = Arc::new(Mutex::new(None::<String>));
    Arc::new(move |step: &Progress<'_>| match step {
        Progress::Authorize { url, timeout, .. } => {
            let must_show = !opens_browser;
            if !ui.quiet || must_show {
                eprintln!(
                    "Open this URL in a browser to approve the login:\n\n  {}\n",
                    url.as_str()
                );
            } else if let Ok(mut shown) = url_shown.lock() {
                *shown = Some(url.as_str().to_owned());
            }
            ui.say(&format!(
                "Waiting for approval (up to {}; Ctrl-C to cancel)...",
                humantime::format_duration(*timeout)
            ));
        }
        Progress::BrowserOpened => tracing::debug!("browser asked to open the URL"),
        Progress::BrowserFailed { reason } => {
            eprintln!(
                "miauth: could not open a browser ({}); open the URL by hand.",
                clean(reason)
            );
            if let Some(url) = url_shown.lock().ok().and_then(|mut u| u.take()) {
                eprintln!("\n  {url}\n");
            }
        }
        Progress::CallbackReceived => ui.say("The browser came back; fetching the token..."),
        Progress::LastCheck => ui.say("Checking one last time whether the login was approved..."),
        _ => {}
    })
}

/// Completes on Ctrl-C or SIGTERM, recording which exit code the interruption calls for.
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
    #[cfg(not(unix))]
    {
        async move {
            let _ = tokio::signal::ctrl_c().await;
            code.store(exit::INTERRUPTED, Ordering::SeqCst);
        }
    }
}

/// Writes the result where it was asked to go; a token the instance handed out is never dropped.
fn deliver(ui: &Ui, credentials: &Credentials, out: &OutputArgs) -> u8 {
    let text = output::render(credentials, out.format);
    let Some(path) = &out.output else {
        return match write_stdout(&text) {
            Ok(()) => exit::SUCCESS,
            Err(e) => ui.fail(&Error::WriteOutput {
                path: "standard output".into(),
                reason: e.to_string(),
            }),
        };
    };
    match output::write_atomic(path, &text) {
        Ok(()) => {
            ui.say(&format!(
                "Wrote the result to {} (owner-only).",
                path.display()
            ));
            exit::SUCCESS
        }
        Err(e) => {
            ui.error(&e);
            eprintln!(
                "miauth: the result goes to standard output instead, so the token is not lost."
            );
            if let Err(e) = write_stdout(&text) {
                eprintln!("miauth: error: cannot write to standard output either: {e}");
            }
            exit::LOCAL
        }
    }
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

async fn mock(ui: &Ui, port: u16, auto_approve: bool, quirks: &[QuirkArg]) -> u8 {
    let config = MockConfig {
        auto_approve,
        quirks: quirks_of(quirks),
        ..MockConfig::default()
    };
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let server = match MockServer::start(config, addr).await {
        Ok(s) => s,
        Err(e) => {
            return ui.fail(&Error::Bind {
                addr: addr.to_string(),
                reason: e.to_string(),
            });
        }
    };
    if write_stdout(&format!("{}\n", server.base_url())).is_err() {
        return exit::LOCAL;
    }
    ui.say("Fake Misskey instance running; log in with `miauth login` at the URL above. Ctrl-C stops it.");
    let code = Arc::new(AtomicU8::new(exit::SUCCESS));
    cancelled(code).await;
    server.shutdown().await;
    exit::SUCCESS
}

fn quirks_of(args: &[QuirkArg]) -> Quirks {
    let mut q = Quirks::default();
    for arg in args {
        match arg {
            QuirkArg::ApproveWithoutToken => q.approve_without_token = true,
            QuirkArg::ConcatenatedCallback => q.concatenated_callback = true,
            QuirkArg::SingleDecode => q.single_decode = true,
            QuirkArg::NodeinfoForbidden => q.nodeinfo_forbidden = true,
        }
    }
    q
}

async fn demo(ui: &Ui, auto_approve: bool, wait: &WaitArgs, out: &OutputArgs) -> u8 {
    let display = !wait.no_browser && can_open_browser();
    let config = MockConfig {
        auto_approve: auto_approve || !display,
        ..MockConfig::default()
    };
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let server = match MockServer::start(config, addr).await {
        Ok(s) => s,
        Err(e) => {
            return ui.fail(&Error::Bind {
                addr: addr.to_string(),
                reason: e.to_string(),
            });
        }
    };
    let instance = match Instance::parse(server.base_url()) {
        Ok(i) => i,
        Err(e) => return ui.fail(&e),
    };
    ui.say(&format!(
        "miauth demo: a fake Misskey instance runs at {instance}."
    ));
    let browser: Arc<dyn Browser> = if display {
        ui.say("Your browser will open its consent page: press Accept.");
        Arc::new(SystemBrowser)
    } else {
        ui.say("No browser can be opened here, so a scripted browser visits the page and the fake instance approves by itself.");
        Arc::new(ScriptedBrowser::new(Choice::Accept))
    };
    let login = Login::new(instance)
        .name("miauth demo")
        .permissions(Permissions::default());
    let code = run_login(ui, login, browser, true, wait, out).await;
    if code == exit::SUCCESS {
        ui.say("This token comes from the fake instance and works nowhere else.");
    }
    server.shutdown().await;
    code
}

/// Messages on stderr.
#[derive(Clone, Copy, Debug)]
struct Ui {
    quiet: bool,
}

impl Ui {
    fn say(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// Prints the error and its hint on one line.
    fn error(&self, e: &Error) {
        match e.hint() {
            Some(hint) => eprintln!("miauth: error: {}; {}", clean(&e.to_string()), clean(&hint)),
            None => eprintln!("miauth: error: {}", clean(&e.to_string())),
        }
    }

    fn fail(&self, e: &Error) -> u8 {
        self.error(e);
        e.exit_code()
    }
}

/// Text that may come from a server, made safe for a terminal: control characters escaped.
fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
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
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_from_servers_are_escaped() {
        assert_eq!(clean("bad\x1b[31mred\nline"), "bad\\u{1b}[31mred\\nline");
    }

    #[test]
    fn timeouts_take_human_units_and_refuse_zero() {
        assert_eq!(parse_timeout("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_timeout("10m").unwrap(), Duration::from_secs(600));
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("soon").unwrap_err().contains("try 90s"));
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
