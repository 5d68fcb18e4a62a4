//! A fake Misskey instance, faithful to how real servers answer MiAuth, quirks included.
//!
//! It serves the consent page `/miauth/{session}` (Accept and Deny, after an account picker when
//! dressed as a server that has one), the check endpoint with its
//! exact semantics, `/api/meta`, `/api/i`, `/api/users/show` and nodeinfo, on loopback. Tests use it through
//! [`MockServer`], users through `miauth mock`, newcomers through `miauth demo`. Behaviours of
//! other versions and forks come with [`MockConfig::dressed_as`] or one by one with [`Quirks`].
//! Like a real server it lets two checks at once hand out the same token, and it records each
//! check from the moment it arrives, so tests can see whether a client ever had two out. The consent page here answers with
//! plain HTML forms and HTTP redirects instead of a JavaScript app, so `curl` can play the browser.

mod api;
pub mod browser;
mod check;
mod config;
mod consent;
mod discovery;
mod firefish;
mod quirks;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{any, get};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinHandle;

pub use browser::{Choice, Journey, ScriptedBrowser, Visit};
pub use config::{CheckFault, MockConfig, Redirect};
pub use quirks::Quirks;
use state::{MockState, Records, TokenCheck};

/// The permission names the newest server played knows, one a line: the fake's own copy of
/// Misskey's list, kept apart from the client's so that a wrong entry in either shows up in
/// their comparison.
const SERVER_PERMISSIONS: &str = include_str!("permissions.txt");

/// Names of [`SERVER_PERMISSIONS`] that came with a later release than some the fake plays,
/// and that release: a server dressed as an older Misskey does not know them, and since
/// 2024.11.0 drops them from the token. The fake's own record, apart from the client's
/// `permission::introduced_in` for the same reason as the list.
const LEARNED_IN: &[(&str, (u64, u64, u64))] = &[("write:admin:unset-mfa", (2026, 7, 0))];

/// Whether a server following Misskey `follows` knows the permission `name`; one whose version
/// is not known (`None`) knows every name of the newest.
fn server_knows(name: &str, follows: Option<(u64, u64, u64)>) -> bool {
    let learned_later = LEARNED_IN
        .iter()
        .any(|(learned, since)| *learned == name && follows.is_some_and(|v| v < *since));
    !learned_later && SERVER_PERMISSIONS.lines().any(|known| known == name)
}

/// Which of the permission names a consent page was asked for the server passes on to the
/// token it creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kept {
    /// Every name, known or not: Misskey before 2024.11.0, Sharkey, the Firefish family.
    Every,
    /// Those a server following this Misskey release knows (`None`: the newest).
    Known(Option<(u64, u64, u64)>),
}

impl Kept {
    /// What the server `config` plays passes on.
    fn of(config: &MockConfig) -> Kept {
        if config.quirks.keeps_unknown_permissions {
            Kept::Every
        } else {
            Kept::Known(config.misskey_followed())
        }
    }

    fn keeps(self, name: &str) -> bool {
        match self {
            Kept::Every => true,
            Kept::Known(follows) => server_knows(name, follows),
        }
    }
}

/// What a consent page was asked to show, after the server's decoding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsentRequest {
    /// The `name` parameter; `None` when the URL had none.
    pub name: Option<String>,
    /// The `icon` parameter; `None` when the URL had none.
    pub icon: Option<String>,
    /// The `callback` parameter; `None` when the URL had none.
    pub callback: Option<String>,
    /// The `permission` parameter, comma-separated names; `None` when the URL had none.
    pub permission: Option<String>,
}

/// When one check request arrived and, once it has, when its answer was ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckSpan {
    /// When the request arrived.
    pub started: Instant,
    /// `None` while the check is out (or if it was dropped before an answer).
    pub answered: Option<Instant>,
}

/// A running fake instance.
pub struct MockServer {
    state: Arc<MockState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.state.base_url)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts serving on `addr` (port `0`: the system chooses).
    pub async fn start(config: MockConfig, addr: SocketAddr) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let records = Records {
            faults: config.check_faults.iter().cloned().collect(),
            ..Records::default()
        };
        let state = Arc::new(MockState {
            config,
            base_url: format!("http://{local}"),
            records: Mutex::new(records),
            changed: watch::Sender::new(()),
            release: Semaphore::new(0),
        });
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = served.await {
                tracing::warn!(error = %e, "fake instance stopped with an error");
            }
        });
        Ok(MockServer {
            state,
            shutdown: Some(tx),
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// Approves `session` as a user on another device would, without any redirect.
    /// Returns the token created.
    pub fn approve(&self, session: &str) -> Result<String, getrandom::Error> {
        self.state.create_token(session)
    }

    /// What each consent page opened so far was asked to show, by session.
    pub fn consent_requests(&self) -> Vec<ConsentRequest> {
        self.state.records().consent.values().cloned().collect()
    }

    /// Every token created so far, in no particular order.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state
            .records()
            .tokens
            .values()
            .flatten()
            .map(|t| t.value.clone())
            .collect()
    }

    /// The permissions the token `value` holds, as the server recorded them; `None` for a
    /// token it never issued.
    pub fn granted_permissions(&self, value: &str) -> Option<Vec<String>> {
        self.state
            .records()
            .tokens
            .values()
            .flatten()
            .find(|t| t.value == value)
            .map(|t| t.permissions.clone())
    }

    /// When each check request arrived and was answered, in order of arrival.
    pub fn check_spans(&self) -> Vec<CheckSpan> {
        self.state.records().checks.clone()
    }

    /// Every request that arrived so far, as "METHOD /path" (no query), in order of arrival.
    pub fn requests(&self) -> Vec<String> {
        self.state.records().requests.clone()
    }

    /// How many times the consent page has sent a browser to its callback so far (after any
    /// [`Redirect`] delay).
    pub fn redirects(&self) -> usize {
        self.state.records().redirects
    }

    /// Waits until at least `n` tokens have been created.
    pub async fn wait_for_tokens(&self, n: usize) {
        self.state
            .wait_until(|r| r.tokens.values().map(Vec::len).sum::<usize>() >= n)
            .await;
    }

    /// Waits until at least `n` check requests have arrived.
    pub async fn wait_for_checks(&self, n: usize) {
        self.state.wait_until(|r| r.checks.len() >= n).await;
    }

    /// Waits until at least `n` check requests have been answered.
    pub async fn wait_for_answers(&self, n: usize) {
        self.state
            .wait_until(|r| r.checks.iter().filter(|c| c.answered.is_some()).count() >= n)
            .await;
    }

    /// Waits until `n` checks are held open by [`CheckFault::Hold`] at once.
    pub async fn wait_for_held(&self, n: usize) {
        self.state.wait_until(|r| r.held >= n).await;
    }

    /// Lets `n` checks held by [`CheckFault::Hold`] go on: those held now first, then any
    /// held later.
    pub fn release_held(&self, n: usize) {
        self.state.release.add_permits(n);
    }

    /// Revokes a token, as its user does under Settings > Connected apps: from now on
    /// `/api/i` and `/api/ping` answer 401 to it. `false` when no such token was issued.
    pub fn revoke(&self, token: &str) -> bool {
        self.state.revoke(token)
    }

    /// Stops serving.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(std::time::Duration::from_secs(2), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn router(state: Arc<MockState>) -> Router {
    Router::new()
        .route(
            "/miauth/{session}",
            get(consent::page).post(consent::decide),
        )
        .route("/api/miauth/{session}/check", any(check::check))
        .route("/api/meta", any(discovery::meta))
        .route("/api/i", any(api::i))
        .route("/api/ping", any(api::ping))
        .route("/api/i/revoke-token", any(api::revoke_token))
        // The fake's stand-in for Settings > Connected apps, so `miauth mock` users can
        // revoke a token from a script.
        .route("/mock/revoke", axum::routing::post(api::mock_revoke))
        .route("/.well-known/nodeinfo", get(discovery::nodeinfo_links))
        .route("/nodeinfo/{version}", get(discovery::nodeinfo))
        .route("/.well-known/webfinger", get(discovery::webfinger))
        .route("/.well-known/host-meta", get(discovery::host_meta))
        .route("/api/users/show", any(discovery::users_show))
        .route("/api/{*endpoint}", any(api::unknown))
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            record_request,
        ))
        .with_state(state)
}

/// Notes each request before it is answered, so tests can tell which ones a client sent.
async fn record_request(
    State(state): State<Arc<MockState>>,
    request: Request,
    next: Next,
) -> Response {
    let line = format!("{} {}", request.method(), request.uri().path());
    state.update(|records| records.requests.push(line));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fake plays the server, so it keeps its own copy of the server's permission names
    /// rather than reading the client's: a name wrongly added to or left out of miauth's list
    /// then makes the two differ here, instead of being agreed with by the fake.
    #[test]
    fn the_server_knows_the_same_permission_names_as_the_client() {
        let server: Vec<&str> = SERVER_PERMISSIONS.lines().collect();
        let client: Vec<&str> = crate::permission::KNOWN.lines().collect();
        assert_eq!(server, client);
        assert_eq!(server.len(), 86);
        assert!(server_knows("read:account", None) && !server_knows("read:nonsense", None));
        // The names a later release brought, the client dates by the same release.
        for (name, since) in LEARNED_IN {
            assert_eq!(
                crate::permission::introduced_in(name),
                Some(*since),
                "{name}"
            );
        }
    }

    #[test]
    fn write_admin_unset_mfa_is_known_from_misskey_2026_7_0_on() {
        let knows = |software, version| {
            Kept::of(&MockConfig::dressed_as(software, version)).keeps("write:admin:unset-mfa")
        };
        assert!(knows("misskey", "2026.7.0"));
        assert!(knows("misskey", "2026.9.0"));
        assert!(!knows("misskey", "2025.11.1"));
        // CherryPick 4.17.0 follows Misskey 2025.10.2.
        assert!(!knows("cherrypick", "4.17.0"));
        // Servers that keep every name keep this one too, unused.
        assert!(knows("misskey", "13.14.2"));
        assert!(knows("sharkey", "2025.4.7"));
        assert!(server_knows("write:admin:unset-mfa", None));
        assert!(server_knows("write:admin:meta", Some((2025, 11, 1))));
    }
}
