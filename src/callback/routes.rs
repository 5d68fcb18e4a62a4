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
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn state() -> (CallbackState, mpsc::Receiver<CallbackHit>) {
        let (hits, rx) = mpsc::channel(1);
        (
            CallbackState {
                host: "127.0.0.1:4000".into(),
                path: "/cb/00112233445566778899aabbccddeeff".into(),
                session: SessionId::from_existing("our-session"),
                app_name: "testapp".into(),
                hits,
                results: Arc::new(Results::default()),
            },
            rx,
        )
    }

    fn request(method: Method, uri: &str, host: &str) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap()
    }

    /// A request that should have been refused but reached the flow waits for an outcome
    /// no one sends: the timeout turns that into a failure instead of a hang.
    const NO_HANG: std::time::Duration = std::time::Duration::from_secs(10);

    async fn send(router: Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let uri = req.uri().clone();
        tokio::time::timeout(NO_HANG, async {
            let res = router.oneshot(req).await.unwrap();
            let status = res.status();
            let headers = res.headers().clone();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, headers, String::from_utf8_lossy(&body).into_owned())
        })
        .await
        .unwrap_or_else(|_| panic!("no answer to {uri} within {NO_HANG:?}"))
    }

    const CB: &str = "/cb/00112233445566778899aabbccddeeff";

    #[tokio::test]
    async fn requests_that_are_not_our_callback_have_no_effect() {
        let (state, mut rx) = state();
        let cases = [
            (
                Method::GET,
                "/favicon.ico".to_owned(),
                "127.0.0.1:4000",
                404,
            ),
            (
                Method::GET,
                format!("{CB}x?session=our-session"),
                "127.0.0.1:4000",
                404,
            ),
            (
                Method::GET,
                format!("{CB}?session=our-session"),
                "evil.example:4000",
                421,
            ),
            (
                Method::GET,
                format!("{CB}?session=our-session"),
                "localhost:4000",
                421,
            ),
            (
                Method::POST,
                format!("{CB}?session=our-session"),
                "127.0.0.1:4000",
                405,
            ),
            (
                Method::HEAD,
                format!("{CB}?session=our-session"),
                "127.0.0.1:4000",
                200,
            ),
            (
                Method::GET,
                format!("{CB}?session=other"),
                "127.0.0.1:4000",
                400,
            ),
            (Method::GET, CB.to_owned(), "127.0.0.1:4000", 400),
            (
                Method::GET,
                format!("{CB}?session=our-session&session=our-session"),
                "127.0.0.1:4000",
                400,
            ),
        ];
        for (method, uri, host, want) in cases {
            let (status, headers, _) =
                send(router(state.clone()), request(method.clone(), &uri, host)).await;
            assert_eq!(status.as_u16(), want, "{method} {uri} Host: {host}");
            assert_eq!(headers[header::CACHE_CONTROL], "no-store");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        }
        assert!(rx.try_recv().is_err(), "no request may reach the flow");
    }

    #[tokio::test]
    async fn a_wrong_session_gets_an_explaining_page() {
        let (state, _rx) = state();
        let (status, headers, body) = send(
            router(state),
            request(
                Method::GET,
                &format!("{CB}?session=other"),
                "127.0.0.1:4000",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(body.contains("not part of the waiting login"), "{body}");
        assert!(!body.contains("other"));
    }

    /// Sends a valid callback, lets `outcome` be the flow's answer, follows the 303.
    async fn valid_callback(outcome: PageOutcome) -> (HeaderMap, StatusCode, String) {
        let (state, mut rx) = state();
        tokio::spawn(async move {
            let hit = rx.recv().await.unwrap();
            hit.respond(outcome);
        });
        let (status, headers, _) = send(
            router(state.clone()),
            request(
                Method::GET,
                &format!("{CB}?x=1&session=our-session"),
                "127.0.0.1:4000",
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = headers[header::LOCATION].to_str().unwrap().to_owned();
        assert!(!state.results.all_shown(), "the outcome page is still owed");
        let (status, _, body) = send(
            router(state.clone()),
            request(Method::GET, &location, "127.0.0.1:4000"),
        )
        .await;
        assert!(state.results.all_shown());
        (headers, status, body)
    }

    #[tokio::test]
    async fn the_valid_callback_waits_for_the_flow_then_sends_the_browser_to_a_clean_url() {
        let (headers, status, body) = valid_callback(PageOutcome::Success {
            account: "@alice@misskey.io".into(),
            instance: "misskey.io".into(),
        })
        .await;
        let location = headers[header::LOCATION].to_str().unwrap();
        assert!(location.starts_with(&format!("{CB}/done/")), "{location}");
        assert!(!location.contains("session"), "{location}");
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("You are logged in"), "{body}");
        assert!(body.contains("@alice@misskey.io"), "{body}");
        assert!(body.contains("testapp"), "{body}");
    }

    #[tokio::test]
    async fn prefetches_and_unknown_outcome_pages_have_no_effect() {
        let (state, mut rx) = state();
        // Every header a browser marks a speculative load with, each value it uses.
        let prefetches = [
            ("sec-purpose", "prefetch"),
            ("sec-purpose", "prefetch;prerender"),
            ("purpose", "prefetch"),
            ("x-purpose", "preview"),
            ("x-moz", "prefetch"),
        ];
        for (name, value) in prefetches {
            let mut req = request(
                Method::GET,
                &format!("{CB}?session=our-session"),
                "127.0.0.1:4000",
            );
            req.headers_mut()
                .insert(name, HeaderValue::from_static(value));
            let (status, _, body) = send(router(state.clone()), req).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{name}: {value}");
            assert_eq!(body, "prefetch refused", "{name}: {value}");
            assert!(rx.try_recv().is_err(), "{name}: {value} reached the flow");
        }
        let (status, _, _) = send(
            router(state.clone()),
            request(Method::GET, &format!("{CB}/done/guess"), "127.0.0.1:4000"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(rx.try_recv().is_err(), "no request may reach the flow");
        assert!(state.results.all_shown(), "no outcome page is owed");
    }

    #[tokio::test]
    async fn a_failure_outcome_shows_the_message_and_next_step() {
        let (_, _, body) = valid_callback(PageOutcome::Failure {
            message: "the instance reported approval but handed out no token".into(),
            hint: Some("look under Settings > Connected apps".into()),
        })
        .await;
        assert!(body.contains("did not complete"), "{body}");
        assert!(body.contains("Settings &#62; Connected apps"), "{body}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        /// No query, however odd, reaches the flow unless it carries our session exactly once.
        #[test]
        fn only_our_session_exactly_once_reaches_the_flow(
            before in "[a-z=&%0-9;+-]{0,20}",
            ours in 0usize..3,
            after in "[a-z=&%0-9;+-]{0,20}",
        ) {
            let query = format!("{before}&{}{after}", "session=our-session&".repeat(ours));
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (state, mut rx) = state();
            let ours = url::form_urlencoded::parse(query.as_bytes())
                .filter(|(k, _)| k == "session")
                .collect::<Vec<_>>();
            let expect_hit = matches!(ours.as_slice(), [(_, v)] if v == "our-session");
            let reached = runtime.block_on(async {
                let uri = format!("{CB}?{query}");
                let Ok(req) = Request::builder().uri(&uri).header(header::HOST, "127.0.0.1:4000").body(Body::empty()) else {
                    return false;
                };
                let call = router(state).oneshot(req);
                let reached = async {
                    tokio::select! {
                        _ = call => rx.try_recv().is_ok(),
                        hit = rx.recv() => hit.is_some(),
                    }
                };
                tokio::time::timeout(NO_HANG, reached).await.expect("an answer or a hit")
            });
            proptest::prop_assert_eq!(reached, expect_hit);
        }
    }
}
