//! How a login is started from the command line and brought to its end: the browser (the
//! system's, none, or the demo's scripted one), the reporter on stderr, the signal that may
//! cancel it, and the page a late browser is still shown after the token.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use miauth::browser::{Browser, NoBrowser, Showing, SystemBrowser, current_showing};
use miauth::mock::{Choice, ScriptedBrowser};
use miauth::{BrowserPage, Error, Login, PageEnd, exit};

use super::args::{OutputArgs, WaitArgs};
use super::deliver;
use super::report::{self, QrMode, ReportConfig, Reporter, error_event};
use super::{cancelled, destination, keep};

/// How a login is started from the command line: its browser, its reporter, and (once a login
/// has run) what is left to show in the browser.
pub(super) struct Start {
    pub(super) browser: Arc<dyn Browser>,
    pub(super) reporter: Arc<Reporter>,
    pub(super) page: Mutex<Option<BrowserPage>>,
    /// The exit code of the signal that cancelled the login (Ctrl-C, SIGTERM), once one did.
    pub(super) signal: Arc<AtomicU8>,
}

impl Start {
    /// `scripted`: the demo's scripted browser visits the page, whatever `$BROWSER` and the
    /// display say.
    pub(super) fn new(
        quiet: bool,
        verbose: u8,
        wait: &WaitArgs,
        out: &OutputArgs,
        scripted: bool,
    ) -> Self {
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
    pub(super) fn fail_early(&self, e: &Error, out: &OutputArgs) -> u8 {
        let code = e.exit_code();
        self.reporter.error(e);
        let _ = self
            .reporter
            .finish(out.events.then(|| error_event(e, code)));
        code
    }

    /// Runs a configured login with the terminal's progress, signals and output; with a
    /// `store`, the token is also kept there (and one it replaces revoked, trusting `roots`
    /// beside the system's CAs).
    pub(super) async fn run(
        &self,
        login: Login,
        wait: &WaitArgs,
        out: &OutputArgs,
        store: Option<(&miauth::Store, &[reqwest::Certificate])>,
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
            Some((store, roots)) => keep::save(&self.reporter, store, &credentials, roots).await,
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
    pub(super) async fn page_served(&self) -> Option<u8> {
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
    pub(super) async fn obtain(
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
