//! The order of the steps of a login, its deadline and its cancellation; nothing else does.
//!
//! [`Login`] is the library's front door: a builder in, [`Credentials`] out. It makes the
//! session, binds the callback server (unless told to do without one), builds the authorisation
//! URL, hands it to the [`Browser`], then leaves the waiting to `wait.rs`: a valid callback, a
//! poll that finds the approval, the deadline or the caller's cancellation ends it. The result
//! comes back as soon as it is known; what is left for the browser (`ending.rs`) is awaited
//! after it. It prints nothing: progress goes to an optional observer, errors are returned.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use crate::authorize::{AuthorizeRequest, authorization_url};
use crate::browser::{Browser, SystemBrowser};
use crate::callback::{CallbackConfig, CallbackServer, PageOutcome};
use crate::check::InstanceClient;
use crate::detect::Software;
use crate::ending::BrowserPage;
use crate::progress::{Cancel, Observer, Progress, Sticky};
use crate::wait::Wait;
use crate::{AccessToken, Error, Instance, Permissions, SessionId, User};

/// How long a login waits for approval unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The time between two checks while polling, unless told otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(3);
/// Polling never goes faster than this.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Polling never waits longer than this between checks.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(3600);
/// A login never waits longer than this.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30 * 24 * 3600);
/// With a callback server, polling (for a browser whose redirect cannot reach this machine)
/// runs this many times slower.
const CALLBACK_POLL_FACTOR: u32 = 3;

/// What a successful login yields.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The access token; read it with [`AccessToken::expose`].
    pub token: AccessToken,
    /// The account the token belongs to.
    pub user: User,
    /// The instance that issued it.
    pub instance: Instance,
    /// The permissions that were asked for.
    pub permissions: Permissions,
    /// Whether `POST /api/i` accepted the token.
    pub verified: bool,
}

impl Credentials {
    /// `@username@host` of the account.
    pub fn handle(&self) -> String {
        self.user.handle(&self.instance)
    }
}

/// A MiAuth login, configured with builder methods and performed by [`Login::run`].
pub struct Login {
    instance: Instance,
    name: String,
    icon: Option<String>,
    permissions: Permissions,
    timeout: Duration,
    poll_interval: Duration,
    use_callback: bool,
    detect: bool,
    verify: Option<bool>,
    request_timeout: Duration,
    ca_certs: Vec<reqwest::Certificate>,
    callback: CallbackConfig,
    browser: Arc<dyn Browser>,
    observer: Option<Observer>,
    cancel: Option<Cancel>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("instance", &self.instance)
            .field("name", &self.name)
            .field("permissions", &self.permissions)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Login {
    /// A login to `instance` as application `miauth`, asking for `read:account`, waiting at
    /// most [`DEFAULT_TIMEOUT`], opening the user's browser.
    pub fn new(instance: Instance) -> Self {
        Login {
            instance,
            name: "miauth".to_owned(),
            icon: None,
            permissions: Permissions::default(),
            timeout: DEFAULT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            use_callback: true,
            detect: true,
            verify: None,
            request_timeout: crate::client::DEFAULT_REQUEST_TIMEOUT,
            ca_certs: Vec::new(),
            callback: CallbackConfig {
                bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 0,
                app_name: "miauth".to_owned(),
            },
            browser: Arc::new(SystemBrowser),
            observer: None,
            cancel: None,
        }
    }

    /// The application name the consent page shows.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self.callback.app_name.clone_from(&self.name);
        self
    }

    /// The URL of an icon the consent page shows.
    pub fn icon(mut self, icon: impl Into<String>) -> Self {
        self.icon = Some(icon.into());
        self
    }

    /// The permissions to ask for.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// How long to wait for approval (at most [`MAX_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.min(MAX_TIMEOUT);
        self
    }

    /// The time between two checks while polling (at least [`MIN_POLL_INTERVAL`]). With a
    /// callback server, the background polling runs three times slower.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.clamp(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL);
        self
    }

    /// Runs no callback server: the consent page gets no `callback` and tells the user to
    /// return to the application, and the login is found by polling. For SSH sessions and CI,
    /// where the browser is on another device.
    pub fn without_callback(mut self) -> Self {
        self.use_callback = false;
        self
    }

    /// Skips asking the instance, before the browser opens, whether it offers MiAuth.
    pub fn skip_detect(mut self) -> Self {
        self.detect = false;
        self
    }

    /// Whether to confirm the token with `POST /api/i` before returning it. By default it is
    /// confirmed when `read:account` was asked for (the call needs it).
    pub fn verify(mut self, verify: bool) -> Self {
        self.verify = Some(verify);
        self
    }

    /// How long one request to the instance may take (30 s by default).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Also trusts the CA certificates in `pem` (one or more PEM blocks), for instances whose
    /// certificate comes from a private CA. The system's roots stay trusted.
    pub fn ca_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::InvalidOption {
                option: "--ca-cert",
                input: String::from_utf8_lossy(&pem[..pem.len().min(40)]).into_owned(),
                reason: "no PEM certificate could be read from it".into(),
            })?;
        self.ca_certs.extend(certs);
        Ok(self)
    }

    /// The loopback port of the callback server; `0` (the default) lets the system choose.
    pub fn port(mut self, port: u16) -> Self {
        self.callback.port = port;
        self
    }

    /// The loopback address of the callback server (`127.0.0.1` by default).
    pub fn bind(mut self, addr: IpAddr) -> Self {
        self.callback.bind = addr;
        self
    }

    /// What opens the authorisation URL ([`SystemBrowser`] by default).
    pub fn browser(mut self, browser: Arc<dyn Browser>) -> Self {
        self.browser = browser;
        self
    }

    /// Receives each step of the login as it happens.
    pub fn on_progress(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Ends the wait when `cancel` completes (after one last check), with [`Error::Interrupted`].
    pub fn cancel_on(mut self, cancel: impl Future<Output = ()> + Send + 'static) -> Self {
        self.cancel = Some(Box::pin(cancel));
        self
    }

    /// Performs the login. When the token comes before the browser returns (the approval was
    /// found by the check beside the callback), this also waits, up to
    /// [`PAGE_GRACE`](crate::PAGE_GRACE) after the token, for that browser to come back and be
    /// shown how the login ended; use [`Login::run_with_page`] to have the credentials at once.
    pub async fn run(self) -> Result<Credentials, Error> {
        let (result, page) = self.run_with_page().await;
        page.served().await;
        result
    }

    /// Performs the login and returns its result as soon as it is known, with what is left to
    /// do in the browser. The browsers that came back have been answered already; await
    /// [`BrowserPage::served`] once the result is in hand (after the token is stored, say) so
    /// that a browser slower than the check still sees how the login ended.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), miauth::Error> {
    /// use miauth::{Instance, Login};
    ///
    /// let (result, page) = Login::new(Instance::parse("misskey.io")?).run_with_page().await;
    /// let credentials = result?;
    /// println!("{}", credentials.token.expose()); // not held back for the browser
    /// page.served().await; // at most PAGE_GRACE after the token
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_with_page(self) -> (Result<Credentials, Error>, BrowserPage) {
        let Login {
            instance,
            name,
            icon,
            permissions,
            timeout,
            poll_interval,
            use_callback,
            detect,
            verify,
            request_timeout,
            ca_certs,
            callback,
            browser,
            observer,
            cancel,
        } = self;
        let report = |step: Progress<'_>| {
            if let Some(observer) = &observer {
                observer(&step);
            }
        };
        let ended = |e: Error| (Err(e), BrowserPage::none());
        if let Err(e) = crate::authorize::validate_app(&name, icon.as_deref()) {
            return ended(e);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let session = SessionId::generate();
        let client = match InstanceClient::new(&instance, &ca_certs, request_timeout) {
            Ok(client) => client,
            Err(e) => return ended(e),
        };
        let server = if use_callback {
            match CallbackServer::bind(&callback, session.clone()).await {
                Ok(server) => Some(server),
                Err(e) => return ended(e),
            }
        } else {
            None
        };
        // After binding, so a local problem (a busy port) is reported before any network one.
        let mut cancel = Sticky::new(cancel.unwrap_or_else(|| Box::pin(std::future::pending())));
        if detect
            && let Err(e) = detect_first(
                &client,
                &permissions,
                &report,
                &mut cancel,
                deadline,
                timeout,
            )
            .await
        {
            return ended(e);
        }
        let callback_url = server.as_ref().map(|s| s.url().to_owned());
        let url = authorization_url(&AuthorizeRequest {
            instance: &instance,
            session: &session,
            name: &name,
            icon: icon.as_deref(),
            callback: callback_url.as_deref(),
            permissions: &permissions,
        });
        report(Progress::Authorize {
            url: &url,
            callback: callback_url.as_deref(),
            timeout,
        });
        match browser.open(url.as_str()) {
            Ok(()) => report(Progress::BrowserOpened),
            Err(reason) => report(Progress::BrowserFailed { reason }),
        }
        let poll_every = if server.is_some() {
            poll_interval.saturating_mul(CALLBACK_POLL_FACTOR)
        } else {
            poll_interval
        };
        let (waited, ending) = Wait {
            client: &client,
            session: &session,
            instance: &instance,
            server,
            poll_every,
            timeout,
            deadline,
            report: &report,
        }
        .run(&mut cancel)
        .await;
        let token_at = waited.is_ok().then(tokio::time::Instant::now);
        let verify =
            verify.unwrap_or_else(|| permissions.names().iter().any(|p| p == "read:account"));
        let result = match waited {
            Ok((token, user)) => {
                tracing::info!(account = %user.handle(&instance), "token received");
                let confirmed = if verify {
                    // Ctrl-C now must not lose the token: it is delivered unconfirmed.
                    tokio::select! {
                        confirmed = confirm(&client, &token) => confirmed,
                        () = &mut cancel => Ok(Err("interrupted before /api/i answered".to_owned())),
                    }
                } else {
                    Ok(Err(String::new()))
                };
                confirmed.map(|confirmed| {
                    let (user, verified) = match confirmed {
                        Ok(confirmed) => (confirmed, true),
                        Err(reason) => {
                            if verify {
                                report(Progress::Unconfirmed { reason: &reason });
                            }
                            (user, false)
                        }
                    };
                    Credentials {
                        token,
                        user,
                        instance: instance.clone(),
                        permissions,
                        verified,
                    }
                })
            }
            Err(e) => Err(e),
        };
        // The browser's page tells the final result, confirmation included.
        let outcome = match &result {
            Ok(credentials) => PageOutcome::Success {
                account: credentials.handle(),
                instance: instance.authority(),
            },
            Err(e) => PageOutcome::Failure {
                message: e.to_string(),
                hint: e.hint(),
            },
        };
        let page = ending.answer(outcome, token_at, Some(cancel));
        (result, page)
    }
}

/// Asks the instance, before the browser opens, whether it offers MiAuth, within the login's
/// deadline and cancellation, and reports what it found.
async fn detect_first(
    client: &InstanceClient,
    permissions: &Permissions,
    report: &(dyn Fn(Progress<'_>) + Send + Sync),
    cancel: &mut Sticky,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<(), Error> {
    let detected = tokio::select! {
        detected = crate::detect::detect(client) => detected?,
        () = &mut *cancel => return Err(Error::Interrupted { answer_lost: false, approved: false }),
        () = tokio::time::sleep_until(deadline) => {
            return Err(Error::Deadline { waited: timeout, answer_lost: false });
        }
    };
    match &detected.doubt {
        None => report(Progress::Detected {
            software: detected.software.as_ref(),
        }),
        Some(reason) => report(Progress::DetectionInconclusive { reason }),
    }
    if let Some(software) = &detected.software {
        let names = too_new_for(software, permissions);
        if !names.is_empty() {
            report(Progress::PermissionsTooNew { software, names });
        }
    }
    Ok(())
}

/// Asks `POST /api/i` for the token's account. `Ok(Err(why))` when the instance could not say
/// (no read:account, network trouble): the token is then delivered unconfirmed, not lost.
async fn confirm(
    client: &InstanceClient,
    token: &AccessToken,
) -> Result<Result<User, String>, Error> {
    let answer = client
        .request_json(
            reqwest::Method::POST,
            "/api/i",
            Some(&serde_json::json!({})),
            Some(token),
        )
        .await;
    match answer {
        // 401 is Misskey's answer to a token it does not know. (403 is one without
        // read:account, or a CDN's refusal: the token may well work.)
        Ok(a) if a.status == 401 => Err(Error::TokenRejected {
            instance: client.instance().to_string(),
            detail: format!("POST /api/i answered HTTP {}", a.status),
        }),
        Ok(a) => match a
            .ok_json()
            .and_then(|j| serde_json::from_value(j.clone()).ok())
        {
            Some(user) => Ok(Ok(user)),
            None if a.status == 403 => Ok(Err(
                "POST /api/i answered HTTP 403 (it needs read:account)".to_owned(),
            )),
            None => Ok(Err(format!("POST /api/i answered HTTP {}", a.status))),
        },
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// The permissions a server is too old for: by its Misskey base where it is known, by the
/// names the Firefish family defines on Firefish and Iceshrimp (which branched from Misskey 12
/// and keep every name in the token, meaningful or not).
fn too_new_for<'a>(software: &Software, permissions: &'a Permissions) -> Vec<&'a str> {
    let names = permissions.names().iter().map(String::as_str);
    if software.has_firefish_permissions() {
        return names
            .filter(|name| !crate::permission::firefish_knows(name))
            .collect();
    }
    let Some(version) = software
        .misskey_base()
        .and_then(crate::detect::parse_version)
    else {
        return Vec::new();
    };
    names
        .filter(|name| crate::permission::introduced_in(name).is_some_and(|since| version < since))
        .collect()
}
