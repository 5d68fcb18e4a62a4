//! A fake Misskey instance, faithful to how real servers answer MiAuth, quirks included.
//!
//! It serves the consent page `/miauth/{session}` (Accept and Deny), the check endpoint with its
//! exact semantics, `/api/meta`, `/api/i` and nodeinfo, on loopback. Tests use it through
//! [`MockServer`], users through `miauth mock`, newcomers through `miauth demo`. Behaviours of
//! other versions and forks are switched on with [`Quirks`]. The consent page here answers with
//! plain HTML forms and HTTP redirects instead of a JavaScript app, so `curl` can play the browser.

mod api;
pub mod browser;
mod consent;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::Router;
use axum::routing::{any, get};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

pub use browser::{Choice, Journey, ScriptedBrowser, Visit};

/// Behaviours of particular versions and forks, off by default (Misskey 2025.11 behaviour).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Misskey 2024.11.0–2024.12.x with a failing token creation: Accept creates no token but
    /// still redirects to the callback, so the check that follows says `{"ok":false}`.
    pub approve_without_token: bool,
    /// Firefish and Iceshrimp: the callback is built by appending `?session=` or `&session=`
    /// to the callback string, instead of `new URL()` and `searchParams.set`.
    pub concatenated_callback: bool,
    /// Decode query values once, where real servers decode them twice.
    pub single_decode: bool,
    /// Federation off (the default since 2025.8): `/.well-known/nodeinfo` answers 403, empty.
    pub nodeinfo_forbidden: bool,
}

/// A misbehaviour of the check endpoint, applied to one check request each, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckFault {
    /// A CDN's overload page: 503 with HTML.
    ServiceUnavailableHtml,
    /// 429 with `Retry-After: SECONDS`.
    TooManyRequests { retry_after_secs: u64 },
    /// 200 with a body that is not JSON.
    MalformedJson,
    /// The normal answer, after a delay.
    Slow(std::time::Duration),
    /// 500 with an HTML error page.
    InternalErrorHtml,
    /// 301 to another address.
    MovedPermanently,
    /// 200 with JSON that is not a check answer.
    WrongShape,
    /// 200 with `{"ok":true}` and no token.
    OkWithoutToken,
    /// 200 with a 10 MB body.
    Huge,
    /// Headers and part of the body, then the connection is cut.
    ResetMidResponse,
    /// Headers, then a body that never ends.
    NeverEnds,
    /// This status with an HTML page, as a proxy or CDN writes it.
    HtmlStatus(u16),
    /// The token is handed out (and so spent), but a proxy answers 502 instead: the answer
    /// that carried it is lost on the way.
    SpendThen502,
}

/// What the fake instance is and how it behaves.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Approve every session as soon as its consent page is opened, answering with an HTTP
    /// redirect to the callback.
    pub auto_approve: bool,
    pub quirks: Quirks,
    /// nodeinfo's `software.name`.
    pub software: String,
    /// nodeinfo's `software.version` and meta's `version`.
    pub version: String,
    /// The account that approves: its username.
    pub username: String,
    /// Misbehaviours of the first check requests, one each, in order.
    pub check_faults: Vec<CheckFault>,
    /// `features.miauth` in `/api/meta`; `None` leaves the key out.
    pub features_miauth: Option<bool>,
    /// Whether Misskey's API (`/api/...`) exists at all; not on Mastodon and the like.
    pub misskey_api: bool,
    /// Whether MiAuth (the consent page and the check endpoint) exists.
    pub miauth: bool,
    /// CherryPick's `metadata.basedMisskeyVersion` in nodeinfo.
    pub based_misskey_version: Option<String>,
    /// Whether `/api/i` accepts the tokens the check hands out (a broken server does not).
    pub tokens_work: bool,
    /// How long `/api/i` takes to answer.
    pub api_i_delay: std::time::Duration,
    /// `/api/meta` refused by a CDN (403 with HTML), as some large instances do for clients
    /// they do not know.
    pub meta_blocked: bool,
}

impl Quirks {
    /// Only [`Quirks::approve_without_token`].
    pub fn approve_without_token() -> Self {
        Quirks {
            approve_without_token: true,
            ..Quirks::default()
        }
    }

    /// Only [`Quirks::concatenated_callback`].
    pub fn concatenated_callback() -> Self {
        Quirks {
            concatenated_callback: true,
            ..Quirks::default()
        }
    }

    /// Only [`Quirks::nodeinfo_forbidden`].
    pub fn nodeinfo_forbidden() -> Self {
        Quirks {
            nodeinfo_forbidden: true,
            ..Quirks::default()
        }
    }
}

impl MockConfig {
    /// This configuration with `faults` for its first check requests.
    pub fn with_check_faults(self, faults: Vec<CheckFault>) -> Self {
        MockConfig {
            check_faults: faults,
            ..self
        }
    }

    /// This configuration with `quirks`.
    pub fn with_quirks(self, quirks: Quirks) -> Self {
        MockConfig { quirks, ..self }
    }

    /// The fake instance dressed as `software` `version`, as nodeinfo names them, answering
    /// the way that software does: Misskey and its forks with MiAuth; FoundKey with Misskey's
    /// API but no MiAuth; Iceshrimp.NET, Mastodon and other software without Misskey's API.
    pub fn dressed_as(software: &str, version: &str) -> Self {
        let base = MockConfig {
            software: software.to_owned(),
            version: version.to_owned(),
            ..MockConfig::default()
        };
        match software.to_ascii_lowercase().as_str() {
            "misskey" if crate::detect::parse_version(version).is_some_and(|v| v < (12, 28, 0)) => {
                MockConfig {
                    features_miauth: None,
                    ..base
                }
            }
            "misskey" | "sharkey" | "cherrypick" | "firefish" | "iceshrimp" | "catodon" => base,
            "foundkey" => MockConfig {
                features_miauth: None,
                miauth: false,
                ..base
            },
            _ => MockConfig {
                features_miauth: None,
                misskey_api: false,
                miauth: false,
                ..base
            },
        }
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            auto_approve: false,
            quirks: Quirks::default(),
            software: "misskey".into(),
            version: "2025.11.1".into(),
            username: "alice".into(),
            check_faults: Vec::new(),
            features_miauth: Some(true),
            misskey_api: true,
            miauth: true,
            based_misskey_version: None,
            tokens_work: true,
            api_i_delay: std::time::Duration::ZERO,
            meta_blocked: false,
        }
    }
}

/// What a consent page was asked to show, after the server's decoding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsentRequest {
    pub name: Option<String>,
    pub icon: Option<String>,
    pub callback: Option<String>,
    pub permission: Option<String>,
}

/// One token the fake instance created.
#[derive(Clone, Debug)]
struct IssuedToken {
    value: String,
    fetched: bool,
    /// The permissions granted, as the consent page was asked (all known ones when approved
    /// without a page, like a token made by hand).
    permissions: Vec<String>,
}

/// What `/api/i` makes of a token.
#[derive(Debug, PartialEq, Eq)]
enum TokenCheck {
    Unknown,
    WithoutReadAccount,
    Fine,
}

#[derive(Default)]
struct Records {
    consent: HashMap<String, ConsentRequest>,
    tokens: HashMap<String, Vec<IssuedToken>>,
    checks: Vec<CheckSpan>,
    faults: VecDeque<CheckFault>,
}

/// How many check requests have arrived so far, and how many of them have been answered;
/// tests wait on these instead of on the clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct CheckCount {
    arrived: usize,
    answered: usize,
}

/// When one check request arrived and when its answer was ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckSpan {
    pub started: Instant,
    pub answered: Instant,
}

/// The fake instance's shared state.
pub(crate) struct MockState {
    config: MockConfig,
    base_url: String,
    records: Mutex<Records>,
    checks: watch::Sender<CheckCount>,
}

impl MockState {
    fn records(&self) -> MutexGuard<'_, Records> {
        // A panic while holding the lock cannot leave the records half-changed, so go on.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates a token for `session` (a second approval creates a second token), with the
    /// permissions its consent page was asked for, known ones only, as Misskey keeps them.
    fn create_token(&self, session: &str) -> Result<String, getrandom::Error> {
        let value = crate::secret::random_alphanumeric(32)?;
        let mut records = self.records();
        let permissions: Vec<String> = match records.consent.get(session) {
            Some(consent) => consent
                .permission
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter(|p| crate::permission::is_known(p))
                .map(str::to_owned)
                .collect(),
            None => crate::permission::KNOWN
                .lines()
                .map(str::to_owned)
                .collect(),
        };
        records
            .tokens
            .entry(session.to_owned())
            .or_default()
            .push(IssuedToken {
                value: value.clone(),
                fetched: false,
                permissions,
            });
        Ok(value)
    }

    /// The misbehaviour the next check request gets, if any.
    fn next_fault(&self) -> Option<CheckFault> {
        self.records().faults.pop_front()
    }

    /// A check request reached the endpoint (its answer may still be on the way).
    fn check_arrived(&self) {
        self.checks.send_modify(|c| c.arrived += 1);
    }

    fn record_check(&self, started: Instant) {
        self.records().checks.push(CheckSpan {
            started,
            answered: Instant::now(),
        });
        self.checks.send_modify(|c| c.answered += 1);
    }

    /// Hands out the oldest unfetched token of `session`, once.
    fn fetch_token(&self, session: &str) -> Option<String> {
        let mut records = self.records();
        let token = records
            .tokens
            .get_mut(session)?
            .iter_mut()
            .find(|t| !t.fetched)?;
        token.fetched = true;
        Some(token.value.clone())
    }

    fn token_check(&self, candidate: &str) -> TokenCheck {
        let records = self.records();
        match records
            .tokens
            .values()
            .flatten()
            .find(|t| t.value == candidate)
        {
            None => TokenCheck::Unknown,
            Some(t) if !t.permissions.iter().any(|p| p == "read:account") => {
                TokenCheck::WithoutReadAccount
            }
            Some(_) => TokenCheck::Fine,
        }
    }
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
            checks: watch::Sender::new(CheckCount::default()),
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

    /// When each check request arrived and was answered, in order of answer.
    pub fn check_spans(&self) -> Vec<CheckSpan> {
        self.state.records().checks.clone()
    }

    /// Waits until `n` check requests have reached the check endpoint, answered or not.
    pub async fn checks_arrived(&self, n: usize) {
        let mut counts = self.state.checks.subscribe();
        // The sender lives as long as `self`, so this ends only when the count is reached.
        let _ = counts.wait_for(|c| c.arrived >= n).await;
    }

    /// Waits until `n` check requests have been answered (as [`MockServer::check_spans`]
    /// records them).
    pub async fn checks_answered(&self, n: usize) {
        let mut counts = self.state.checks.subscribe();
        let _ = counts.wait_for(|c| c.answered >= n).await;
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
        .route("/api/miauth/{session}/check", any(api::check))
        .route("/api/meta", any(api::meta))
        .route("/api/i", any(api::i))
        .route("/.well-known/nodeinfo", get(api::nodeinfo_links))
        .route("/nodeinfo/{version}", get(api::nodeinfo))
        .route("/.well-known/webfinger", get(api::webfinger))
        .fallback(api::not_found)
        .with_state(state)
}
