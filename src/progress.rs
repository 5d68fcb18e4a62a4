//! What the steps of a login share: the progress they report and the cancellation they obey.
//!
//! [`Progress`] names each step as it happens, for an [`Observer`] (the command line draws its
//! spinner and events from them). [`Sticky`] wraps the caller's [`Cancel`] so that detection,
//! the wait and the confirmation all see one cancellation that, once it has happened, stays
//! happened. `flow.rs` decides the order of the steps; `wait.rs` reports from inside the wait;
//! both depend on this module, and it on neither.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::Error;
use crate::authorize::AuthorizationUrl;
use crate::detect::Software;

/// Steps of a login, reported as they happen.
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// The authorisation URL is ready; the user must open it.
    Authorize {
        /// The consent page's URL, with the session in it.
        url: &'a AuthorizationUrl,
        /// The loopback callback's URL; `None` without a callback server (the approval is
        /// found by polling).
        callback: Option<&'a str>,
        /// How long the login waits for approval from now.
        timeout: Duration,
    },
    /// Detection found an instance that offers MiAuth; nodeinfo named its software, if it could.
    Detected {
        /// The software and version; `None` when nodeinfo did not say.
        software: Option<&'a Software>,
    },
    /// Detection could not tell whether the instance offers MiAuth (a CDN refused, say); the
    /// login goes on.
    DetectionInconclusive {
        /// What the instance answered instead.
        reason: &'a str,
    },
    /// The server's Misskey version predates these permissions: no endpoint there uses them.
    /// Misskey 2024.11.0 and later drop them from the token without a word; older ones and
    /// Sharkey keep them, unused.
    PermissionsTooNew {
        /// The software and version detection found.
        software: &'a Software,
        /// The permission names asked for that this version does not know.
        names: Vec<&'a str>,
    },
    /// The token could not be confirmed with `/api/i`; it is delivered all the same.
    Unconfirmed {
        /// Why the token could not be confirmed.
        reason: &'a str,
    },
    /// The browser was asked to open the URL.
    BrowserOpened,
    /// The browser could not be opened; the user must open the URL by hand.
    BrowserFailed {
        /// What the browser's command or the system opener said.
        reason: String,
    },
    /// A check said the login is not approved yet.
    Waiting {
        /// The time left before the deadline.
        remaining: Duration,
    },
    /// A check failed in a way worth retrying; the next one follows in `retry_in`.
    Trouble {
        /// What went wrong with this check.
        error: &'a Error,
        /// The delay before the next check.
        retry_in: Duration,
    },
    /// The browser came back with our session; checking now.
    CallbackReceived,
    /// The deadline passed or the caller cancelled; one last check is made.
    LastCheck,
}

/// Called with each [`Progress`] step.
pub type Observer = Arc<dyn Fn(&Progress<'_>) + Send + Sync>;

/// A future that, once it completes, cancels the login.
pub type Cancel = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A cancellation that, once it has happened, stays happened: the wait, the detection before it
/// and the confirmation after it all watch the same one.
pub(crate) struct Sticky {
    pending: Option<Cancel>,
}

impl Sticky {
    pub(crate) fn new(cancel: Cancel) -> Self {
        Sticky {
            pending: Some(cancel),
        }
    }
}

impl Future for Sticky {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        let Some(pending) = self.pending.as_mut() else {
            return std::task::Poll::Ready(());
        };
        match pending.as_mut().poll(cx) {
            std::task::Poll::Ready(()) => {
                self.pending = None;
                std::task::Poll::Ready(())
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}
