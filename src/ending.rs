//! How a login ends in the browser: the page each browser that came back is owed, and a short
//! wait for a browser still on its way.
//!
//! A real server creates the token before its page sends the browser to the callback, so the
//! check that runs beside the callback may get the token first. The browser's redirect then
//! arrives a moment later (seconds, on a loaded machine), and must still find the callback
//! server and be shown how the login ended. So when the token comes before any browser, the
//! callback server keeps answering for [`PAGE_GRACE`] after it, and stops as soon as that
//! browser has its page, or at once when the login is cancelled. The token is never held back
//! for this: [`BrowserPage`] is what is left to await once the result is in hand. The wait for
//! approval is `wait.rs`; what a request to the callback server gets is `callback/`.

use std::time::Duration;

use tokio::time::Instant;

use crate::callback::{CallbackHit, CallbackServer, PageOutcome};
use crate::progress::Sticky;

/// When the token arrives before any browser came back, how long after it a browser is still
/// answered with how the login ended. A browser slower still finds nothing listening; the
/// login's result does not depend on it.
pub const PAGE_GRACE: Duration = Duration::from_secs(8);

/// What is left once the wait is over: browsers still owed their page, and the server.
#[must_use = "the waiting browsers must be told how the login ended"]
pub(crate) struct Ending {
    pub browsers: Vec<CallbackHit>,
    pub server: Option<CallbackServer>,
}

impl Ending {
    /// Tells every browser that came back (and any waiting in the queue) how the login ended,
    /// at once. `token_at`: when the wait got the token, if it did; when no browser had come
    /// back by then, one is still awaited until [`PAGE_GRACE`] after it.
    pub fn answer(
        self,
        outcome: PageOutcome,
        token_at: Option<Instant>,
        cancel: Option<Sticky>,
    ) -> BrowserPage {
        let Ending {
            browsers,
            mut server,
        } = self;
        let mut answered = !browsers.is_empty();
        let waiting = server
            .as_mut()
            .map(CallbackServer::waiting_hits)
            .unwrap_or_default();
        for hit in browsers.into_iter().chain(waiting) {
            answered = true;
            hit.respond(outcome.clone());
        }
        let late_until = token_at
            .filter(|_| !answered && server.is_some())
            .map(|at| at + PAGE_GRACE);
        BrowserPage {
            server,
            outcome,
            late_until,
            cancel,
        }
    }
}

/// The end of a login in the browser, left to await once the result is in hand; from
/// [`Login::run_with_page`](crate::Login::run_with_page).
///
/// The browsers that came back before the result was known have been answered already. When
/// the token came first (found by the check that runs beside the callback, or by the last
/// check), the browser may still be on its way: [`BrowserPage::served`] keeps the callback
/// server answering it for up to [`PAGE_GRACE`] after the token arrived. Dropping this value
/// instead stops the callback server at once: a browser still on its way finds nothing, and
/// one already back may not get to load its final page.
#[must_use = "dropping it stops the callback server at once; await `served` to let a late browser see its page"]
pub struct BrowserPage {
    server: Option<CallbackServer>,
    outcome: PageOutcome,
    /// When a browser not yet back stops being awaited; `None` when none is.
    late_until: Option<Instant>,
    cancel: Option<Sticky>,
}

impl std::fmt::Debug for BrowserPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserPage")
            .field("callback_server", &self.server.is_some())
            .field("awaits_browser", &self.awaits_browser())
            .finish_non_exhaustive()
    }
}

impl BrowserPage {
    /// Nothing to await: the login ended before a callback server was started, or without one.
    pub(crate) fn none() -> Self {
        BrowserPage {
            server: None,
            outcome: PageOutcome::Failure {
                message: String::new(),
                hint: None,
            },
            late_until: None,
            cancel: None,
        }
    }

    /// How much longer a browser that has not come back yet is awaited; `None` when no browser
    /// is awaited (one came back already, the login ran without a callback server, or it
    /// failed before the token arrived).
    pub fn awaits_browser(&self) -> Option<Duration> {
        self.late_until
            .map(|until| until.saturating_duration_since(Instant::now()))
            .filter(|left| !left.is_zero())
    }

    /// Lets the browser see how the login ended, then stops the callback server. A browser
    /// still awaited ([`BrowserPage::awaits_browser`]) is answered if it comes back within
    /// [`PAGE_GRACE`] of the token; the wait ends as soon as it has its page, when the grace
    /// is over, or at once when the login's cancellation ([`Login::cancel_on`]) completes,
    /// even if it completed before. A page already sent is given up to two seconds to be
    /// fetched. Returns at once when there is no callback server.
    ///
    /// [`Login::cancel_on`]: crate::Login::cancel_on
    pub async fn served(mut self) -> PageEnd {
        let Some(mut server) = self.server.take() else {
            return PageEnd::Served;
        };
        let mut end = PageEnd::Served;
        if let Some(until) = self.late_until {
            let mut cancel = self.cancel.take();
            tokio::select! {
                biased;
                () = cancelled(&mut cancel) => {
                    tracing::debug!("cancelled while a browser was awaited; stopping now");
                    end = PageEnd::Cancelled;
                }
                hit = server.next_hit() => {
                    if let Some(hit) = hit {
                        tracing::debug!("the browser came back after the token");
                        hit.respond(self.outcome.clone());
                    }
                }
                () = tokio::time::sleep_until(until) => {
                    tracing::debug!("no browser came back within the grace");
                    end = PageEnd::NoBrowser;
                }
            }
        }
        for hit in server.queued_hits() {
            hit.respond(self.outcome.clone());
        }
        server.shutdown().await;
        end
    }
}

/// How [`BrowserPage::served`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageEnd {
    /// Every browser that came back was shown its page, and none was still awaited (or the
    /// one awaited came back in time).
    Served,
    /// The browser awaited did not come back within [`PAGE_GRACE`].
    NoBrowser,
    /// The login's cancellation ended the wait for the browser.
    Cancelled,
}

/// Completes when the cancellation does; never without one.
async fn cancelled(cancel: &mut Option<Sticky>) {
    match cancel {
        Some(cancel) => cancel.await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionId;
    use crate::callback::CallbackConfig;

    /// A callback server that no browser ever visits, and the ending of a login whose wait
    /// returned with no browser back.
    async fn nobody_came_back() -> Ending {
        let config = CallbackConfig {
            bind: std::net::Ipv4Addr::LOCALHOST.into(),
            port: 0,
            app_name: "test".into(),
        };
        let server = CallbackServer::bind(&config, SessionId::from_existing("s"))
            .await
            .unwrap();
        Ending {
            browsers: Vec::new(),
            server: Some(server),
        }
    }

    fn success() -> PageOutcome {
        PageOutcome::Success {
            account: "@alice@example.com".into(),
            instance: "example.com".into(),
        }
    }

    // The clock is Tokio's paused one: it moves only when nothing else can, so the elapsed
    // times below are exact, whatever the machine's load.

    #[tokio::test(start_paused = true)]
    async fn a_token_before_any_browser_keeps_the_callback_up_for_the_grace_and_no_longer() {
        let start = Instant::now();
        let page = nobody_came_back()
            .await
            .answer(success(), Some(start), None);
        assert_eq!(page.awaits_browser(), Some(PAGE_GRACE));
        assert_eq!(page.served().await, PageEnd::NoBrowser);
        assert_eq!(Instant::now() - start, PAGE_GRACE);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_ends_the_wait_for_a_late_browser_at_once() {
        let start = Instant::now();
        // Cancelled already (Ctrl-C during the confirmation, say): it stays cancelled.
        let mut cancel = Sticky::new(Box::pin(std::future::ready(())));
        (&mut cancel).await;
        let page = nobody_came_back()
            .await
            .answer(success(), Some(start), Some(cancel));
        assert!(page.awaits_browser().is_some());
        assert_eq!(page.served().await, PageEnd::Cancelled);
        assert_eq!(Instant::now() - start, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn no_browser_is_awaited_without_a_token_or_without_a_callback_server() {
        let failed = nobody_came_back().await.answer(success(), None, None);
        assert_eq!(failed.awaits_browser(), None);
        let start = Instant::now();
        assert_eq!(failed.served().await, PageEnd::Served);
        assert_eq!(Instant::now() - start, Duration::ZERO);
        let without_server = Ending {
            browsers: Vec::new(),
            server: None,
        }
        .answer(success(), Some(start), None);
        assert_eq!(without_server.awaits_browser(), None);
    }
}
