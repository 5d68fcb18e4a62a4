//! The order of the steps of a login, its deadline and its cancellation; nothing else does.
//!
//! [`Login`] is the library's front door: a builder in, [`Credentials`] out. It makes the
//! session, binds the callback server (unless told to do without one), builds the authorisation
//! URL, hands it to the [`Browser`], then leaves the waiting to `wait.rs`: a valid callback, a
//! poll that finds the approval, the deadline or the caller's cancellation ends it. The result
//! comes back as soon as it is known; what is left for the browser (`ending.rs`) is awaited
//! after it. It prints nothing: progress goes to an optional observer, errors are returned.
//! The builder is here; the steps, in their order, are `steps.rs`.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use crate::browser::{Browser, SystemBrowser};
use crate::callback::CallbackConfig;
use crate::progress::{Cancel, Observer};
use crate::{AccessToken, Error, Instance, Permissions, User};

mod steps;

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
}
