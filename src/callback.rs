//! The loopback server the consent page redirects the browser to.
//!
//! It binds before the authorisation URL is built, on a loopback address and (by default) a port
//! the system picks, and serves exactly one path, `/cb/<32 random hex>`, which is the whole
//! callback URL: unreserved characters only, so the consent page's double decoding leaves it
//! intact. It knows nothing of the instance. A GET of its path, naming its own address in
//! `Host` and carrying our session, is reported to the flow as a [`CallbackHit`]; the browser's
//! answer waits until the flow says how the login ended, so the page tells the truth. Everything
//! else gets an error page and has no effect: no stray or forged request can end a login.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::page::{MessagePage, Tone, html};
use crate::{Error, SessionId};

/// How long shutting down may wait for open connections before they are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Where and for whom the callback server listens.
#[derive(Clone, Debug)]
pub struct CallbackConfig {
    /// A loopback address (`127.0.0.1` by default).
    pub bind: IpAddr,
    /// `0` lets the system choose.
    pub port: u16,
    /// The application name the pages mention.
    pub app_name: String,
}

/// A valid callback arrived; the browser waits for [`CallbackHit::respond`].
#[derive(Debug)]
pub struct CallbackHit {
    respond: oneshot::Sender<PageOutcome>,
}

impl CallbackHit {
    /// Tells the waiting browser how the login ended.
    pub fn respond(self, outcome: PageOutcome) {
        // The browser may have gone away; the login's result does not depend on it.
        let _ = self.respond.send(outcome);
    }
}

/// What the page shown after a valid callback says.
#[derive(Debug, Clone)]
pub enum PageOutcome {
    /// The token was fetched; `account` is `@user@host`.
    Success { account: String, instance: String },
    /// The login failed; `message` and `hint` are those of the error (never a secret).
    Failure {
        message: String,
        hint: Option<String>,
    },
}

/// The running callback server.
#[derive(Debug)]
pub struct CallbackServer {
    url: String,
    hits: mpsc::Receiver<CallbackHit>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl CallbackServer {
    /// Binds the loopback listener and starts serving.
    pub async fn bind(config: &CallbackConfig, session: SessionId) -> Result<Self, Error> {
        let wanted = SocketAddr::new(config.bind, config.port);
        if !config.bind.is_loopback() {
            return Err(Error::InvalidOption {
                option: "--bind",
                input: config.bind.to_string(),
                reason: "the callback server listens on loopback addresses only".into(),
            });
        }
        let listener = tokio::net::TcpListener::bind(wanted)
            .await
            .map_err(|e| Error::Bind {
                addr: wanted.to_string(),
                reason: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| Error::Bind {
            addr: wanted.to_string(),
            reason: e.to_string(),
        })?;
        let nonce = crate::secret::random_hex(16)
            .map_err(|e| Error::Internal(format!("no secure random source: {e}")))?;
        let path = format!("/cb/{nonce}");
        let (hits_tx, hits) = mpsc::channel(1);
        let state = CallbackState {
            host: addr.to_string(),
            path: path.clone(),
            session,
            app_name: config.app_name.clone(),
            hits: hits_tx,
        };
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let app = router(state);
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = shutdown_rx.await;
            });
            if let Err(e) = server.await {
                tracing::warn!(error = %e, "callback server stopped with an error");
            }
        });
        tracing::debug!(%addr, "callback server listening");
        Ok(CallbackServer {
            url: format!("http://{addr}{path}"),
            hits,
            shutdown: Some(shutdown_tx),
            task: Some(task),
        })
    }

    /// The callback URL to hand to the consent page.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits for the next valid callback; `None` if the server has stopped.
    pub async fn next_hit(&mut self) -> Option<CallbackHit> {
        self.hits.recv().await
    }

    /// Stops listening; waits a short while for open connections, then drops them.
    pub async fn shutdown(mut self) {
        self.hits.close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            tracing::debug!("callback server connections still open; dropping them");
            task.abort();
        }
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

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
    if uri.path() != state.path {
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
    if state.hits.send(CallbackHit { respond }).await.is_err() {
        return html(StatusCode::GONE, &finished_page(&state.app_name));
    }
    match outcome.await {
        Ok(PageOutcome::Success { account, instance }) => html(
            StatusCode::OK,
            &success_page(&state.app_name, &account, &instance),
        ),
        Ok(PageOutcome::Failure { message, hint }) => html(
            StatusCode::OK,
            &failure_page(&state.app_name, &message, hint.as_deref()),
        ),
        Err(_) => html(StatusCode::GONE, &finished_page(&state.app_name)),
    }
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

    async fn send(router: Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let res = router.oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
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

    #[tokio::test]
    async fn the_valid_callback_waits_for_the_flow_and_shows_its_outcome() {
        let (state, mut rx) = state();
        let flow = tokio::spawn(async move {
            let hit = rx.recv().await.unwrap();
            hit.respond(PageOutcome::Success {
                account: "@alice@misskey.io".into(),
                instance: "https://misskey.io".into(),
            });
        });
        let (status, _, body) = send(
            router(state),
            request(
                Method::GET,
                &format!("{CB}?x=1&session=our-session"),
                "127.0.0.1:4000",
            ),
        )
        .await;
        flow.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("You are logged in"), "{body}");
        assert!(body.contains("@alice@misskey.io"), "{body}");
        assert!(body.contains("testapp"), "{body}");
    }

    #[tokio::test]
    async fn a_failure_outcome_shows_the_message_and_next_step() {
        let (state, mut rx) = state();
        tokio::spawn(async move {
            let hit = rx.recv().await.unwrap();
            hit.respond(PageOutcome::Failure {
                message: "the instance reported approval but handed out no token".into(),
                hint: Some("look under Settings > Connected apps".into()),
            });
        });
        let (_, _, body) = send(
            router(state),
            request(
                Method::GET,
                &format!("{CB}?session=our-session"),
                "127.0.0.1:4000",
            ),
        )
        .await;
        assert!(body.contains("did not complete"), "{body}");
        assert!(body.contains("Settings &#62; Connected apps"), "{body}");
    }
}
