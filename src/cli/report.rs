//! What the person and the program watching a login see while it runs.
//!
//! On stderr: the URL (with a QR code where a phone may have to open it), then a spinner with
//! the time left on a terminal, or a plain line now and then elsewhere (CI logs get no control
//! characters), trouble reports at a bounded rate, and errors as one line. With `--events`,
//! stdout carries one JSON object a line for programs: `authorize`, `waiting`, `retrying`,
//! `callback`, then exactly one `success` or `error`.
//!
//! Colours (the QR code's, the log's) go only to a terminal that shows them: not with
//! `NO_COLOR`, and on Windows only once the console has agreed to read escape codes, so they
//! never show up as text.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use miauth::{Error, Progress};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

#[cfg(test)]
use super::qr::{BLACK_ON_WHITE, QrStyle, RESET};
use super::qr::{qr_code, qr_style};

/// At most one "still waiting" or trouble line per this long off a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(30);

/// Whether to draw a QR code of the URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QrMode {
    /// When no browser is opened and stderr is a terminal.
    Auto,
    Always,
    Never,
}

/// How the reporter was asked to behave.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReportConfig {
    pub quiet: bool,
    pub verbose: u8,
    pub events: bool,
    pub qr: QrMode,
    /// Whether a browser is asked to open the URL.
    pub opens_browser: bool,
    /// Whether the consent page will redirect back here (else the user returns by hand).
    pub callback: bool,
    /// A browser was wanted, but none can be opened here, for this reason.
    pub no_browser_because: Option<&'static str>,
    /// The demo's scripted browser plays the user.
    pub scripted: bool,
}

#[derive(Default)]
struct State {
    spinner: Option<ProgressBar>,
    ticker: Option<JoinHandle<()>>,
    deadline: Option<Instant>,
    last_plain: Option<Instant>,
    last_trouble: Option<Instant>,
    /// The URL quiet mode held back, shown only if the browser then fails to open.
    pending_url: Option<String>,
    finished: bool,
}

/// Prints a login's progress; shared with the library's observer.
pub(crate) struct Reporter {
    config: ReportConfig,
    terminal: bool,
    colours: bool,
    state: Mutex<State>,
}

impl Reporter {
    pub fn new(config: ReportConfig) -> Arc<Self> {
        Arc::new(Reporter {
            config,
            terminal: std::io::stderr().is_terminal(),
            colours: stderr_colours(),
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The observer to hand to [`miauth::Login::on_progress`].
    pub fn observer(self: &Arc<Self>) -> miauth::Observer {
        let me = self.clone();
        Arc::new(move |step: &Progress<'_>| me.on_progress(step))
    }

    /// A line on stderr, unless quiet; the spinner steps aside for it.
    pub fn say(&self, message: &str) {
        if !self.config.quiet {
            self.line(message);
        }
    }

    /// A line on stderr, even in quiet mode.
    pub fn say_always(&self, message: &str) {
        self.line(message);
    }

    fn line(&self, message: &str) {
        let spinner = self.state().spinner.clone();
        match spinner {
            Some(s) => s.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }

    /// The error as one line: what failed, then what to do next.
    pub fn error(&self, e: &Error) {
        self.stop_spinner();
        match e.hint() {
            Some(hint) => self.line(&format!(
                "miauth: error: {}; {}",
                clean(&e.to_string()),
                clean(&hint)
            )),
            None => self.line(&format!("miauth: error: {}", clean(&e.to_string()))),
        }
    }

    fn on_progress(&self, step: &Progress<'_>) {
        match step {
            Progress::Authorize {
                url,
                callback,
                timeout,
            } => {
                let _ = self.event(json!({
                    "event": "authorize",
                    "url": url.as_str(),
                    "callback": callback,
                    "expires_at": humantime::format_rfc3339_seconds(SystemTime::now() + *timeout).to_string(),
                }));
                self.show_url(url.as_str());
                self.state().deadline = Some(Instant::now() + *timeout);
                let how = if self.config.scripted {
                    "this terminal notices by itself"
                } else if self.config.callback {
                    "press Accept there; this terminal notices by itself"
                } else {
                    "press Accept there, then come back: miauth notices by itself"
                };
                self.say(&format!(
                    "Waiting for approval ({how}; up to {}; Ctrl-C to cancel)...",
                    humantime::format_duration(*timeout)
                ));
                self.start_spinner();
            }
            Progress::Detected { software: Some(sw) } => {
                self.say(&format!(
                    "The instance runs {}; it offers MiAuth.",
                    clean(&sw.to_string())
                ));
            }
            Progress::PermissionsTooNew { software, names } => {
                self.say_always(&format!(
                    "miauth: warning: {} predates {}; the token will not be able to use {} there.",
                    clean(&software.to_string()),
                    names.join(", "),
                    if names.len() == 1 { "it" } else { "them" }
                ));
            }
            Progress::DetectionInconclusive { reason } => self.say_always(&format!(
                "miauth: warning: could not confirm that the instance offers MiAuth ({}); going on.",
                clean(reason)
            )),
            Progress::Unconfirmed { reason } => self.say_always(&format!(
                "miauth: warning: the token could not be confirmed ({}); it is delivered unconfirmed.",
                clean(reason)
            )),
            Progress::BrowserOpened if self.config.opens_browser => {
                tracing::debug!("browser asked to open the URL");
            }
            Progress::BrowserFailed { reason } => {
                self.line(&format!(
                    "miauth: could not open a browser ({}); open the URL above by hand.",
                    clean(reason)
                ));
                if self.config.quiet && self.config.opens_browser {
                    // Quiet mode held the URL back, expecting the browser to show it.
                    self.line(&format!("\n  {}\n", self.pending_url()));
                }
            }
            Progress::Waiting { remaining } => {
                let _ = self.event(json!({"event": "waiting", "remaining_secs": remaining.as_secs()}));
                if !self.spinning() && self.due(|s| &mut s.last_plain) {
                    self.say(&format!(
                        "Still waiting for approval; {} left.",
                        humantime::format_duration(round_secs(*remaining))
                    ));
                }
            }
            Progress::Trouble { error, retry_in } => {
                let _ = self.event(json!({
                    "event": "retrying",
                    "message": error.to_string(),
                    "retry_in_secs": retry_in.as_secs(),
                }));
                if self.due(|s| &mut s.last_trouble) {
                    self.say(&format!(
                        "miauth: {}; trying again in {}.",
                        clean(&error.to_string()),
                        humantime::format_duration(round_secs(*retry_in))
                    ));
                }
            }
            Progress::CallbackReceived => {
                let _ = self.event(json!({"event": "callback"}));
                self.say("The browser came back; fetching the token...");
            }
            Progress::LastCheck => {
                self.stop_spinner();
                self.say("Checking one last time whether the login was approved...");
            }
            _ => {}
        }
    }

    fn show_url(&self, url: &str) {
        let must_show = !self.config.opens_browser;
        if self.config.quiet && !must_show {
            self.state().pending_url = Some(url.to_owned());
            return;
        }
        let header = if self.config.scripted {
            "The scripted browser visits this URL:"
        } else if let Some(reason) = self.config.no_browser_because {
            &format!(
                "No browser is opened here ({reason}); open this URL on any device to approve the login:"
            )
        } else {
            "Open this URL in a browser to approve the login:"
        };
        let mut text = format!("{header}\n\n  {url}\n");
        let qr = match self.config.qr {
            QrMode::Always => true,
            QrMode::Never => false,
            QrMode::Auto => must_show && self.terminal,
        };
        let style = qr_style(self.colours, std::env::var("COLORFGBG").ok().as_deref());
        if qr && let Some(code) = qr_code(url, style) {
            text.push_str("\nOr scan this code with a phone:\n\n");
            text.push_str(&code);
        }
        self.line(&text);
    }

    fn pending_url(&self) -> String {
        self.state().pending_url.take().unwrap_or_default()
    }

    /// Whether a rate-limited line is due; marks it printed if so.
    fn due(&self, which: impl FnOnce(&mut State) -> &mut Option<Instant>) -> bool {
        let mut state = self.state();
        let last = which(&mut state);
        let due = last.is_none_or(|t| t.elapsed() >= PLAIN_EVERY);
        if due {
            *last = Some(Instant::now());
        }
        due
    }

    fn spinning(&self) -> bool {
        self.state().spinner.is_some()
    }

    fn start_spinner(&self) {
        if !self.terminal || self.config.quiet || self.config.verbose > 0 {
            return;
        }
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            spinner.set_style(style);
        }
        spinner.set_message("Waiting for approval...");
        spinner.enable_steady_tick(Duration::from_millis(100));
        let mut state = self.state();
        let deadline = state.deadline;
        let ticking = spinner.clone();
        state.ticker = tokio::runtime::Handle::try_current().ok().map(|rt| {
            rt.spawn(async move {
                loop {
                    let left = deadline
                        .map(|d| d.saturating_duration_since(Instant::now()))
                        .unwrap_or_default();
                    ticking.set_message(format!(
                        "Waiting for approval... {} left",
                        humantime::format_duration(round_secs(left))
                    ));
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        });
        state.spinner = Some(spinner);
    }

    fn stop_spinner(&self) {
        let mut state = self.state();
        if let Some(ticker) = state.ticker.take() {
            ticker.abort();
        }
        if let Some(spinner) = state.spinner.take() {
            spinner.finish_and_clear();
        }
    }

    /// One line of `--events` output.
    fn event(&self, value: Value) -> std::io::Result<()> {
        if !self.config.events || self.state().finished {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "{value}").and_then(|()| out.flush())
    }

    /// The login ended: the spinner goes; with `--events`, the one final event is written.
    /// An error means the final event (which may hold the token) could not be written.
    pub fn finish(&self, last_event: Option<Value>) -> std::io::Result<()> {
        self.stop_spinner();
        let written = match last_event {
            Some(value) => self.event(value),
            None => Ok(()),
        };
        self.state().finished = true;
        written
    }

    pub fn events(&self) -> bool {
        self.config.events
    }
}

/// Whole seconds, for people.
fn round_secs(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs())
}

/// Whether stderr may carry colours: a terminal that shows them (console's check: not
/// `TERM=dumb`, and on Windows a console that agreed to read escape codes) and no `NO_COLOR`.
pub(crate) fn stderr_colours() -> bool {
    colours_allowed(
        std::env::var_os("NO_COLOR"),
        console::colors_enabled_stderr(),
    )
}

/// `NO_COLOR` set to anything but the empty string turns colours off (no-color.org).
fn colours_allowed(no_color: Option<OsString>, terminal_shows_them: bool) -> bool {
    terminal_shows_them && no_color.is_none_or(|v| v.is_empty())
}

/// The final `--events` line for an error.
pub(crate) fn error_event(e: &Error, code: u8) -> Value {
    json!({
        "event": "error",
        "code": code,
        "kind": e.kind(),
        "message": e.to_string(),
        "hint": e.hint(),
    })
}

/// Text that may come from a server, made safe for a terminal: control characters escaped.
pub(crate) fn clean(text: &str) -> String {
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

#[cfg(test)]
mod tests;
