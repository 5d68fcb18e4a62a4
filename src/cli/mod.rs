//! The command line: parse, set up logging, call the library, deliver the result or the error.
//!
//! No protocol logic lives here. stdout carries only the result (or, with `--events`, one JSON
//! object a line), so it pipes; the URL, progress and errors go to stderr (`report.rs`). Where
//! the token goes is `deliver.rs`. The exit code comes from the error ([`miauth::exit`]).

mod deliver;
mod report;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miauth::browser::{Browser, NoBrowser, SystemBrowser, can_open_browser};
use miauth::mock::{Choice, MockConfig, MockServer, Quirks, ScriptedBrowser};
use miauth::{Error, Format, Instance, Login, Permissions, exit};

use deliver::Destination;
use report::{QrMode, ReportConfig, Reporter, error_event};

const EXIT_CODES: &str = "\
Exit codes:
  0    the token was delivered
  1    internal error (a bug in miauth)
  2    usage error or invalid input
  3    not approved before the deadline (a denial looks the same)
  4    instance error: unreachable, TLS, no MiAuth there, unexpected answer, no token
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
        /// Permissions to ask for; repeat or separate with commas. Patterns expand: read:*,
        /// write:*, read:admin:*, *:admin:*, all [default: read:account].
        #[arg(short, long = "permission", value_name = "NAMES")]
        permissions: Vec<String>,
        /// Send permission names Misskey does not know (a fork's own) instead of refusing them.
        #[arg(long)]
        allow_unknown_permission: bool,
        #[command(flatten)]
        instance_args: InstanceArgs,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Run a fake Misskey instance on loopback, for testing MiAuth clients; prints its URL first.
    Mock {
        /// The port to listen on [default: chosen by the system].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        port: u16,
        /// Approve every session as soon as its consent page opens (even `curl -L` can log in).
        #[arg(long)]
        auto_approve: bool,
        /// Behave like a particular version or fork; repeatable.
        #[arg(long = "quirk", value_enum)]
        quirks: Vec<QuirkArg>,
    },
    /// List the permission names Misskey knows, one a line; deprecated ones are marked.
    Permissions,
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
struct InstanceArgs {
    /// Do not ask the instance, before the browser opens, whether it offers MiAuth.
    #[arg(long)]
    skip_detect: bool,
    /// Also trust the CA certificate(s) in FILE (PEM), for an instance with a private CA.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Confirm the token with POST /api/i [default: when read:account is asked for].
    #[arg(long, conflicts_with = "no_verify")]
    verify: bool,
    /// Do not confirm the token.
    #[arg(long)]
    no_verify: bool,
}

#[derive(Args, Debug)]
struct WaitArgs {
    /// How long to wait for approval, like 90s, 10m or 1h.
    #[arg(long, default_value = "5m", value_parser = parse_timeout)]
    timeout: Duration,
    /// The loopback port of the callback server [default: chosen by the system].
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    port: u16,
    /// The loopback address of the callback server: 127.0.0.1 or ::1.
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_bind)]
    bind: IpAddr,
    /// Do not open a browser; open the printed URL yourself, on any device.
    #[arg(long)]
    no_browser: bool,
    /// Run no callback server: approve anywhere, and miauth finds the approval by polling.
    /// For SSH sessions and CI jobs whose browser is on another device.
    #[arg(long)]
    no_callback: bool,
    /// Time between two checks while polling (at least 1s; three times slower beside a callback).
    #[arg(long, default_value = "3s", value_parser = parse_poll_interval)]
    poll_interval: Duration,
    /// Always show a QR code of the URL [default: when no browser opens, on a terminal].
    #[arg(long, conflicts_with = "no_qr")]
    qr: bool,
    /// Never show a QR code of the URL.
    #[arg(long)]
    no_qr: bool,
}

#[derive(Args, Debug)]
struct OutputArgs {
    /// What to print: the token, a JSON object, or MISSKEY_URL/MISSKEY_TOKEN lines.
    #[arg(long, value_enum, default_value_t = Format::Token)]
    format: Format,
    /// Write the result to FILE (owner-only, atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print progress on stdout as JSON lines for a program: authorize, waiting, retrying,
    /// callback, then one success or error (see README).
    #[arg(long)]
    events: bool,
    /// In GitHub Actions: append the result to $GITHUB_OUTPUT as step output NAME.
    #[arg(long, value_name = "NAME")]
    github_output: Option<String>,
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
    if d > miauth::MAX_TIMEOUT {
        return Err("the timeout can be 30 days at most".into());
    }
    Ok(d)
}

fn parse_bind(value: &str) -> Result<IpAddr, String> {
    let addr: IpAddr = value
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| "give a loopback address: 127.0.0.1 or ::1".to_owned())?;
    if !addr.is_loopback() {
        return Err(
            "the callback server listens on loopback addresses only (127.0.0.1 or ::1)".into(),
        );
    }
    Ok(addr)
}

fn parse_poll_interval(value: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(value).map_err(|e| format!("{e} (try 3s or 10s)"))?;
    if d < miauth::MIN_POLL_INTERVAL {
        return Err("polling faster than once a second is not allowed (try 3s)".into());
    }
    if d > miauth::MAX_POLL_INTERVAL {
        return Err("the poll interval can be 1h at most".into());
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
                name,
                icon,
                permissions,
                allow_unknown_permission,
                instance_args,
                wait,
                out,
            } => {
                let start = Start::new(quiet, verbose, &wait, &out, false);
                let asked = Asked {
                    instance: &instance,
                    name,
                    icon,
                    permissions: &permissions,
                    allow_unknown_permission,
                    instance_args: &instance_args,
                };
                match prepare_login(asked) {
                    Ok(login) => start.run(login, &wait, &out).await,
                    Err(e) => start.fail_early(&e, &out),
                }
            }
            Command::Mock {
                port,
                auto_approve,
                quirks,
            } => mock(quiet, port, auto_approve, &quirks).await,
            Command::Permissions => list_permissions(),
            Command::Demo {
                auto_approve,
                wait,
                out,
            } => demo(quiet, verbose, auto_approve, &wait, &out).await,
        }
    })
}

/// What `miauth login` was asked for, before it is checked.
struct Asked<'a> {
    instance: &'a str,
    name: String,
    icon: Option<String>,
    permissions: &'a [String],
    allow_unknown_permission: bool,
    instance_args: &'a InstanceArgs,
}

/// Checks every input before anything is opened or sent.
fn prepare_login(asked: Asked<'_>) -> Result<Login, Error> {
    let instance = Instance::parse(asked.instance)?;
    let permissions = if asked.permissions.is_empty() {
        Permissions::default()
    } else {
        Permissions::resolve(asked.permissions, asked.allow_unknown_permission)?
    };
    miauth::authorize::validate_app(&asked.name, asked.icon.as_deref())?;
    let mut login = Login::new(instance)
        .name(asked.name)
        .permissions(permissions);
    if let Some(icon) = asked.icon {
        login = login.icon(icon);
    }
    let args = asked.instance_args;
    if args.skip_detect {
        login = login.skip_detect();
    }
    if args.verify || args.no_verify {
        login = login.verify(args.verify);
    }
    if let Some(path) = &args.ca_cert {
        let refuse = |reason: String| Error::InvalidOption {
            option: "--ca-cert",
            input: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| refuse(e.to_string()))?;
        login = login
            .ca_certificates_pem(&pem)
            .map_err(|_| refuse("no PEM certificate could be read from it".into()))?;
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

/// How a login is started from the command line: its browser and its reporter.
struct Start {
    browser: Arc<dyn Browser>,
    reporter: Arc<Reporter>,
}

impl Start {
    /// `scripted`: the demo's fallback where no browser can be opened.
    fn new(quiet: bool, verbose: u8, wait: &WaitArgs, out: &OutputArgs, scripted: bool) -> Self {
        let display = can_open_browser();
        let opens_browser = !wait.no_browser && (display || scripted);
        let browser: Arc<dyn Browser> = if wait.no_browser {
            Arc::new(NoBrowser)
        } else if display {
            Arc::new(SystemBrowser)
        } else if scripted {
            Arc::new(ScriptedBrowser::new(Choice::Accept))
        } else {
            Arc::new(NoBrowser)
        };
        let reporter = Reporter::new(ReportConfig {
            quiet,
            verbose,
            events: out.events,
            qr: if wait.qr {
                QrMode::Always
            } else if wait.no_qr {
                QrMode::Never
            } else {
                QrMode::Auto
            },
            opens_browser,
            callback: !wait.no_callback,
            no_display: !wait.no_browser && !display && !scripted,
        });
        Start { browser, reporter }
    }

    /// An error before the login started: reported like any other.
    fn fail_early(&self, e: &Error, out: &OutputArgs) -> u8 {
        let code = e.exit_code();
        self.reporter.error(e);
        self.reporter
            .finish(out.events.then(|| error_event(e, code)));
        code
    }

    /// Runs a configured login with the terminal's progress, signals and output.
    async fn run(self, login: Login, wait: &WaitArgs, out: &OutputArgs) -> u8 {
        let destination = Destination {
            format: out.format,
            file: out.output.clone(),
            github_output: match out.github_output.as_deref().map(deliver::github_output) {
                None => None,
                Some(Ok(target)) => Some(target),
                Some(Err(e)) => return self.fail_early(&e, out),
            },
        };
        let signal = Arc::new(AtomicU8::new(exit::INTERRUPTED));
        let mut login = login
            .timeout(wait.timeout)
            .poll_interval(wait.poll_interval)
            .port(wait.port)
            .bind(wait.bind)
            .browser(self.browser.clone())
            .on_progress(self.reporter.observer())
            .cancel_on(cancelled(signal.clone()));
        if wait.no_callback {
            login = login.without_callback();
        }
        match login.run().await {
            Ok(credentials) => {
                self.reporter.say(&format!(
                    "Logged in as {}{}.",
                    report::clean(&credentials.handle()),
                    if credentials.verified {
                        " (the token works: confirmed with /api/i)"
                    } else {
                        ""
                    }
                ));
                deliver::deliver(&self.reporter, &credentials, &destination)
            }
            Err(e) => {
                let code = match e {
                    Error::Interrupted { .. } => signal.load(Ordering::SeqCst),
                    _ => e.exit_code(),
                };
                self.reporter.error(&e);
                self.reporter
                    .finish(out.events.then(|| error_event(&e, code)));
                code
            }
        }
    }
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

async fn mock(quiet: bool, port: u16, auto_approve: bool, quirks: &[QuirkArg]) -> u8 {
    let config = MockConfig {
        auto_approve,
        quirks: quirks_of(quirks),
        ..MockConfig::default()
    };
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let stop = cancelled(Arc::new(AtomicU8::new(exit::SUCCESS)));
    let server = match MockServer::start(config, addr).await {
        Ok(s) => s,
        Err(e) => {
            let e = Error::Bind {
                addr: addr.to_string(),
                reason: e.to_string(),
            };
            eprintln!("miauth: error: {e}; {}", e.hint().unwrap_or_default());
            return e.exit_code();
        }
    };
    if deliver::write_stdout(&format!("{}\n", server.base_url())).is_err() {
        return exit::LOCAL;
    }
    if !quiet {
        eprintln!(
            "Fake Misskey instance running; log in with `miauth login` at the URL above. Ctrl-C stops it."
        );
    }
    stop.await;
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

async fn demo(
    quiet: bool,
    verbose: u8,
    auto_approve: bool,
    wait: &WaitArgs,
    out: &OutputArgs,
) -> u8 {
    let display = !wait.no_browser && can_open_browser();
    let config = MockConfig {
        auto_approve: auto_approve || !display,
        ..MockConfig::default()
    };
    let start = Start::new(quiet, verbose, wait, out, true);
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let server = match MockServer::start(config, addr).await {
        Ok(s) => s,
        Err(e) => {
            return start.fail_early(
                &Error::Bind {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                },
                out,
            );
        }
    };
    let instance = match Instance::parse(server.base_url()) {
        Ok(i) => i,
        Err(e) => return start.fail_early(&e, out),
    };
    start.reporter.say(&format!(
        "miauth demo: a fake Misskey instance runs at {instance}."
    ));
    if display {
        start
            .reporter
            .say("Your browser will open its consent page: press Accept.");
    } else if !wait.no_browser {
        start.reporter.say("No browser can be opened here, so a scripted browser visits the page and the fake instance approves by itself.");
    }
    let login = Login::new(instance).name("miauth demo");
    let reporter = start.reporter.clone();
    let code = start.run(login, wait, out).await;
    if code == exit::SUCCESS {
        reporter.say("This token comes from the fake instance and works nowhere else.");
    }
    server.shutdown().await;
    code
}

fn init_logging(quiet: bool, verbose: u8) {
    use std::io::IsTerminal;
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
    fn timeouts_take_human_units_and_refuse_zero() {
        assert_eq!(parse_timeout("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_timeout("10m").unwrap(), Duration::from_secs(600));
        assert!(parse_timeout("0s").is_err());
        assert!(
            parse_timeout("300000000000y")
                .unwrap_err()
                .contains("30 days")
        );
        assert!(parse_timeout("soon").unwrap_err().contains("try 90s"));
    }

    #[test]
    fn the_callback_binds_only_to_loopback() {
        assert_eq!(parse_bind("::1").unwrap().to_string(), "::1");
        assert_eq!(parse_bind("[::1]").unwrap().to_string(), "::1");
        assert!(parse_bind("0.0.0.0").unwrap_err().contains("loopback"));
        assert!(parse_bind("192.168.1.2").unwrap_err().contains("loopback"));
    }

    #[test]
    fn polling_faster_than_once_a_second_is_refused() {
        assert_eq!(parse_poll_interval("1s").unwrap(), Duration::from_secs(1));
        assert!(
            parse_poll_interval("500ms")
                .unwrap_err()
                .contains("once a second")
        );
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
