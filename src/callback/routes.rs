//! What the callback server answers, request by request.
//!
//! One path, `/cb/<32 random hex>`, is the callback. A GET of it that names the server's own
//! address in `Host`, is not a prefetch, and carries our session exactly once is reported to the
//! flow as a [`CallbackHit`]; the answer waits until the flow says how the login ended, then
//! sends the browser (303) to `/cb/<hex>/done/<random id>`, a clean URL without the session, where
//! the page tells the outcome. Everything else gets an answer with no effect on the login.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{Notify, mpsc, oneshot};
use tower_http::set_header::SetResponseHeaderLayer;

use super::{CallbackHit, PageOutcome};
use crate::SessionId;
use crate::page::{MessagePage, Tone, html};

/// What the request handler needs to tell a valid callback from anything else.
#[derive(Clone)]
pub(crate) struct CallbackState {
    /// `127.0.0.1:PORT`: the only `Host` accepted.
    pub host: String,
    /// `/cb/<hex>`: the only path served.
    pub path: String,
    pub session: SessionId,
    pub app_name: String,
    pub hits: mpsc::Sender<CallbackHit>,
    /// Outcome pages by their random id, and whether each has been shown.
    pub results: Arc<Results>,
}

/// The outcome pages the browser is sent to after a valid callback.
#[derive(Default)]
pub(crate) struct Results {
    pages: Mutex<HashMap<String, (PageOutcome, bool)>>,
    /// Valid callbacks handed to the flow whose outcome page has not been shown yet.
    unshown: AtomicUsize,
    /// Signalled each time an outcome page is shown (or a browser is answered otherwise).
    pub shown: Notify,
}

impl Results {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (PageOutcome, bool)>> {
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether every browser that came back valid has been shown its outcome.
    pub fn all_shown(&self) -> bool {
        self.unshown.load(Ordering::SeqCst) == 0
    }

    fn one_less(&self) {
        self.unshown.fetch_sub(1, Ordering::SeqCst);
        self.shown.notify_waiters();
    }
}

/// The callback server's routes, apart from any listener, so tests can drive it directly.
pub(crate) fn router(state: CallbackState) -> Router {
    Router::new()
        .fallback(handle)
        .with_state(Arc::new(state))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'"),
        ))
}

async fn handle(
    State(state): State<Arc<CallbackState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let result_id = uri
        .path()
        .strip_prefix(state.path.as_str())
        .and_then(|rest| rest.strip_prefix("/done/"));
    if uri.path() != state.path && result_id.is_none() {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if host != Some(state.host.as_str()) {
        tracing::debug!("callback request with a foreign Host header ignored");
        return (StatusCode::MISDIRECTED_REQUEST, "misdirected request").into_response();
    }
    if method == Method::HEAD {
        return StatusCode::OK.into_response();
    }
    if method != Method::GET {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "method not allowed",
        )
            .into_response();
    }
    if let Some(id) = result_id {
        return outcome_page(&state, id);
    }
    if is_prefetch(&headers) {
        // A speculative load must not spend the login; the real navigation follows.
        tracing::debug!("prefetch of the callback ignored");
        return (StatusCode::SERVICE_UNAVAILABLE, "prefetch refused").into_response();
    }
    let query = uri.query().unwrap_or("");
    let sessions: Vec<_> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "session")
        .map(|(_, v)| v)
        .collect();
    let valid = matches!(sessions.as_slice(), [only] if state.session.matches(only));
    if !valid {
        tracing::debug!(
            sessions = sessions.len(),
            "callback request without our session ignored"
        );
        return html(
            StatusCode::BAD_REQUEST,
            &wrong_session_page(&state.app_name),
        );
    }
    tracing::debug!("valid callback received");
    let (respond, outcome) = oneshot::channel();
    // Owed a page from now on; the guard settles the debt on every way out, a browser that
    // goes away included, unless the page is parked for the browser to fetch.
    let owed = Owed::new(&state.results);
    if state.hits.send(CallbackHit { respond }).await.is_err() {
        return html(StatusCode::GONE, &finished_page(&state.app_name));
    }
    let Ok(outcome) = outcome.await else {
        return html(StatusCode::GONE, &finished_page(&state.app_name));
    };
    let Ok(id) = crate::secret::random_hex(16) else {
        return page_of(&state.app_name, &outcome);
    };
    state.results.lock().insert(id.clone(), (outcome, false));
    owed.parked();
    // The session leaves the address bar and the history: the outcome has its own clean URL.
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("{}/done/{id}", state.path))],
    )
        .into_response()
}

/// One browser owed its outcome page, counted in [`Results`] while it lives.
struct Owed<'a> {
    results: &'a Results,
    parked: bool,
}

impl<'a> Owed<'a> {
    fn new(results: &'a Results) -> Self {
        results.unshown.fetch_add(1, Ordering::SeqCst);
        Owed {
            results,
            parked: false,
        }
    }

    /// The page waits under its id; showing it settles the debt.
    fn parked(mut self) {
        self.parked = true;
    }
}

impl Drop for Owed<'_> {
    fn drop(&mut self) {
        if !self.parked {
            self.results.one_less();
        }
    }
}

/// `GET /cb/<hex>/done/<id>`: the page that tells how the login ended.
fn outcome_page(state: &CallbackState, id: &str) -> Response {
    let found = {
        let mut pages = state.results.lock();
        pages
            .get_mut(id)
            .map(|(outcome, shown)| (outcome.clone(), std::mem::replace(shown, true)))
    };
    match found {
        Some((outcome, shown_before)) => {
            if !shown_before {
                state.results.one_less();
            }
            page_of(&state.app_name, &outcome)
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn page_of(app: &str, outcome: &PageOutcome) -> Response {
    match outcome {
        PageOutcome::Success { account, instance } => {
            html(StatusCode::OK, &success_page(app, account, instance))
        }
        PageOutcome::Failure { message, hint } => {
            html(StatusCode::OK, &failure_page(app, message, hint.as_deref()))
        }
    }
}

/// Whether the request is a browser's speculative load (Chromium, Firefox, Safari).
fn is_prefetch(headers: &HeaderMap) -> bool {
    ["sec-purpose", "purpose", "x-purpose", "x-moz"]
        .iter()
        .any(|name| {
            headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| {
                    v.to_ascii_lowercase().contains("prefetch")
                        || v.to_ascii_lowercase().contains("preview")
                })
        })
}

fn success_page(app: &str, account: &str, instance: &str) -> MessagePage {
    MessagePage {
        title: "You are logged in".into(),
        tone: Tone::Ok,
        badge: "Done",
        lines: vec![format!(
            "{app} now holds an access token for {account} on {instance}."
        )],
        next_step: "You can close this tab and return to the terminal.".into(),
        footer: "miauth",
    }
}

fn failure_page(app: &str, message: &str, hint: Option<&str>) -> MessagePage {
    MessagePage {
        title: "The login did not complete".into(),
        tone: Tone::Bad,
        badge: "Failed",
        lines: vec![format!("{app} could not get a token: {message}.")],
        next_step: match hint {
            Some(h) => format!("Next: {h}. You can close this tab."),
            None => "You can close this tab and try again from the terminal.".into(),
        },
        footer: "miauth",
    }
}

fn wrong_session_page(app: &str) -> MessagePage {
    MessagePage {
        title: "This link is not part of the waiting login".into(),
        tone: Tone::Bad,
        badge: "Ignored",
        lines: vec![format!(
            "{app} is waiting for a different login, so this request was ignored."
        )],
        next_step:
            "If you are logging in, open the link printed in your terminal. You can close this tab."
                .into(),
        footer: "miauth",
    }
}

fn finished_page(app: &str) -> MessagePage {
    MessagePage {
        title: "This login has already ended".into(),
        tone: Tone::Info,
        badge: "Ended",
        lines: vec![format!("{app} is no longer waiting for this login.")],
        next_step: "See the terminal for the result. You can close this tab.".into(),
        footer: "miauth",
    }
}

#[cfg(test)]
mod tests;
