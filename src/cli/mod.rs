//! The command line: parse, set up logging, call the library, deliver the result or the error.
//!
//! No protocol logic lives here. The words of the command line are `args.rs`. stdout carries
//! only the result (or, with `--events`, one JSON object a line), so it pipes; the URL, progress
//! and errors go to stderr (`report.rs`). Where the token goes is `deliver.rs`. The exit code
//! comes from the error ([`miauth::exit`]).

mod args;
mod deliver;
mod generate;
mod kept;
mod report;
mod status;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use clap::Parser;
use miauth::browser::{Browser, NoBrowser, Showing, SystemBrowser, current_showing};
use miauth::handle::Handle;
use miauth::mock::{Choice, MockConfig, MockServer, Redirect, ScriptedBrowser};
use miauth::{BrowserPage, Error, Instance, Login, PageEnd, Permissions, exit};

use args::{AppArgs, Cli, Command, DressArg, InstanceArgs, OutputArgs, QuirkArg, WaitArgs};
use deliver::Destination;
use report::{QrMode, ReportConfig, Reporter, error_event};

/// Runs the command line and returns the process exit code.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line, like every other error: clap's first line, without its own prefix.
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
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
                let store = match save.then(|| kept::open_store(&store)).transpose() {
                    Ok(store) => store,
                    Err(e) => return start.fail_early(&e, &out),
                };
                match prepare_login(&instance, app, &instance_args, &start.reporter).await {
                    Ok(login) => start.run(login, &wait, &out, store.as_ref()).await,
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
            } => kept::exec(quiet, verbose, target.into_asked(), &wait, &command).await,
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
                force,
                store,
            } => kept::logout(quiet, &instance, user.as_deref(), force, &store).await,
            Command::Switch {
                instance,
                user,
                store,
            } => kept::switch(quiet, &instance, &user, &store).await,
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
                    ..config_of(dressed_as, &quirks)
                };
                mock(quiet, port, config).await
            }
            Command::Permissions => list_permissions(),
            Command::Demo {
                auto_approve,
                wait,
                out,
            } => demo(quiet, verbose, auto_approve, &wait, &out).await,
            Command::Completions { shell } => generate::completions(shell),
            Command::Manpage => generate::manpage(),
        }
    })
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

/// How a login is started from the command line: its browser, its reporter, and (once a login
/// has run) what is left to show in the browser.
struct Start {
    browser: Arc<dyn Browser>,
    reporter: Arc<Reporter>,
    page: Mutex<Option<BrowserPage>>,
    /// The exit code of the signal that cancelled the login (Ctrl-C, SIGTERM), once one did.
    signal: Arc<AtomicU8>,
}

impl Start {
    /// `scripted`: the demo's scripted browser visits the page, whatever `$BROWSER` and the
    /// display say.
    fn new(quiet: bool, verbose: u8, wait: &WaitArgs, out: &OutputArgs, scripted: bool) -> Self {
        let showing = if scripted || wait.no_browser {
            Showing::Browser
        } else {
            current_showing()
        };
        let display = !scripted && !wait.no_browser && showing == Showing::Browser;
        let browser: Arc<dyn Browser> = if scripted {
            Arc::new(ScriptedBrowser::new(Choice::Accept))
        } else if display {
            Arc::new(SystemBrowser)
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
            opens_browser: scripted || display,
            callback: !wait.no_callback,
            no_browser_because: showing.reason(),
            scripted,
        });
        Start {
            browser,
            reporter,
            page: Mutex::new(None),
            signal: Arc::new(AtomicU8::new(exit::INTERRUPTED)),
        }
    }

    /// An error before the login started: reported like any other.
    fn fail_early(&self, e: &Error, out: &OutputArgs) -> u8 {
        let code = e.exit_code();
        self.reporter.error(e);
        let _ = self
            .reporter
            .finish(out.events.then(|| error_event(e, code)));
        code
    }

    /// Runs a configured login with the terminal's progress, signals and output; with a
    /// `store`, the token is also kept there.
    async fn run(
        &self,
        login: Login,
        wait: &WaitArgs,
        out: &OutputArgs,
        store: Option<&miauth::Store>,
    ) -> u8 {
        let destination = match destination(out) {
            Ok(destination) => destination,
            Err(e) => return self.fail_early(&e, out),
        };
        let credentials = match self.obtain(login, wait, out).await {
            Ok(credentials) => credentials,
            Err(code) => {
                self.page_served().await;
                return code;
            }
        };
        // Kept before it is delivered; a store that fails never costs the token, which is
        // delivered all the same.
        let kept = match store {
            Some(store) => kept::save(&self.reporter, store, &credentials).await,
            None => Ok(()),
        };
        let code = deliver::deliver(
            &self.reporter,
            &credentials,
            &destination,
            kept.err().as_ref(),
        );
        self.page_served().await;
        code
    }

    /// Once the result is out: a browser slower than the check that found the token is still
    /// shown how the login ended, for a few seconds. The exit code stays the delivery's, even
    /// when Ctrl-C or SIGTERM ends this wait: the token was delivered, and a script must not
    /// throw it away. `Some` carries the exit code of the signal that ended the wait, for
    /// `exec`, which must not start its command then.
    async fn page_served(&self) -> Option<u8> {
        let page = self
            .page
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let page = page?;
        if let Some(left) = page.awaits_browser() {
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            self.reporter.say(&format!(
                "The browser has not come back yet; waiting up to {secs}s to show it how the login ended (Ctrl-C skips this)."
            ));
        }
        match page.served().await {
            PageEnd::Cancelled => Some(self.signal.load(Ordering::SeqCst)),
            _ => None,
        }
    }

    /// Runs the login; `Err` is the exit code of a failed login, already reported. What is
    /// left to show in the browser is kept for [`Start::page_served`], which every caller
    /// awaits once it is done with the result.
    async fn obtain(
        &self,
        login: Login,
        wait: &WaitArgs,
        out: &OutputArgs,
    ) -> Result<miauth::Credentials, u8> {
        let signal = self.signal.clone();
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
        let (result, page) = login.run_with_page().await;
        *self
            .page
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(page);
        match result {
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
                Ok(credentials)
            }
            Err(e) => {
                let code = match e {
                    Error::Interrupted { .. } => signal.load(Ordering::SeqCst),
                    _ => e.exit_code(),
                };
                self.reporter.error(&e);
                let _ = self
                    .reporter
                    .finish(out.events.then(|| error_event(&e, code)));
                Err(code)
            }
        }
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
    let Some(path) = &args.ca_cert else {
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

async fn mock(quiet: bool, port: u16, config: MockConfig) -> u8 {
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let playing = format!("{} {}", config.software, config.version);
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
            "Fake Misskey instance running, as {playing}; log in with `miauth login` at the URL above. Ctrl-C stops it."
        );
    }
    stop.await;
    server.shutdown().await;
    exit::SUCCESS
}

/// The fake instance `miauth mock --dressed-as ... --quirk ...` starts.
fn config_of(dressed_as: Option<DressArg>, args: &[QuirkArg]) -> MockConfig {
    // Dressing first: it sets the version and the quirks that come with it.
    let mut config = match dressed_as {
        Some(dress) => {
            let (software, version) = dress.software_version();
            MockConfig::dressed_as(software, version)
        }
        // Failing to create the token is best known from Misskey 2024.11.0.
        None if args.contains(&QuirkArg::ApproveWithoutToken) => {
            MockConfig::approving_without_token()
        }
        None => MockConfig::default(),
    };
    for arg in args {
        match arg {
            QuirkArg::ApproveWithoutToken => config.token_creation_fails = true,
            QuirkArg::ConcatenatedCallback => config.quirks.concatenated_callback = true,
            QuirkArg::SingleDecode => config.quirks.single_decode = true,
            QuirkArg::FederationOff => config.quirks.federation_off = true,
        }
    }
    config
}

async fn demo(
    quiet: bool,
    verbose: u8,
    auto_approve: bool,
    wait: &WaitArgs,
    out: &OutputArgs,
) -> u8 {
    let display = !wait.no_browser && current_showing() == Showing::Browser;
    // With --auto-approve, or where no browser can be opened, the scripted browser plays the
    // user: a `$BROWSER` that shows nothing (`true`, `echo`) must not leave the demo waiting.
    let scripted = auto_approve || (!display && !wait.no_browser);
    let config = MockConfig {
        auto_approve: auto_approve || !display,
        ..MockConfig::default()
    };
    let start = Start::new(quiet, verbose, wait, out, scripted);
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
    if scripted && display {
        start.reporter.say(
            "A scripted browser visits the consent page, and the fake instance approves by itself.",
        );
    } else if scripted {
        start.reporter.say("No browser can be opened here, so a scripted browser visits the page and the fake instance approves by itself.");
    } else if display {
        start
            .reporter
            .say("Your browser will open its consent page: press Accept.");
    }
    let login = Login::new(instance).name("miauth demo");
    let reporter = start.reporter.clone();
    let code = start.run(login, wait, out, None).await;
    if code == exit::SUCCESS {
        reporter.say("This token comes from the fake instance and works nowhere else.");
    }
    server.shutdown().await;
    code
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
