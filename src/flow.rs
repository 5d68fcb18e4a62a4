//! The order of the steps of a login, its deadline and its cancellation; nothing else does.
//!
//! [`Login`] is the library's front door: a builder in, [`Credentials`] out. It makes the
//! session, binds the callback server, builds the authorisation URL, hands it to the
//! [`Browser`], then waits for the first of: a valid callback (check at once, then tell the
//! browser the outcome), the deadline, or the caller's cancellation. The deadline and the
//! cancellation both make one last check, since the user may have approved in the last second.
//! It prints nothing: progress goes to an optional observer, errors are returned.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::authorize::{AuthorizationUrl, AuthorizeRequest, authorization_url};
use crate::browser::{Browser, SystemBrowser};
use crate::callback::{CallbackConfig, CallbackServer, PageOutcome};
use crate::check::{CheckOutcome, InstanceClient};
use crate::{AccessToken, Error, Instance, Permissions, SessionId, User};

/// How long a login waits for approval unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The most the last check after the deadline or a cancellation may take.
const LAST_CHECK_LIMIT: Duration = Duration::from_secs(10);

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
}

impl Credentials {
    /// `@username@host` of the account.
    pub fn handle(&self) -> String {
        self.user.handle(&self.instance)
    }
}

/// Steps of a login, reported as they happen.
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// The authorisation URL is ready; the user must open it.
    Authorize {
        url: &'a AuthorizationUrl,
        callback: Option<&'a str>,
        timeout: Duration,
    },
    /// The browser was asked to open the URL.
    BrowserOpened,
    /// The browser could not be opened; the user must open the URL by hand.
    BrowserFailed { reason: String },
    /// The browser came back with our session; checking now.
    CallbackReceived,
    /// The deadline passed or the caller cancelled; one last check is made.
    LastCheck,
}

/// Called with each [`Progress`] step.
pub type Observer = Arc<dyn Fn(&Progress<'_>) + Send + Sync>;

/// A future that, once it completes, cancels the login.
pub type Cancel = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A MiAuth login, configured with builder methods and performed by [`Login::run`].
pub struct Login {
    instance: Instance,
    name: String,
    icon: Option<String>,
    permissions: Permissions,
    timeout: Duration,
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

    /// How long to wait for approval.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
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

    /// Performs the login.
    pub async fn run(self) -> Result<Credentials, Error> {
        let Login {
            instance,
            name,
            icon,
            permissions,
            timeout,
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
        crate::authorize::validate_app(&name, icon.as_deref())?;
        let deadline = tokio::time::Instant::now() + timeout;
        let session = SessionId::generate();
        let client = InstanceClient::new(&instance)?;
        let mut server = CallbackServer::bind(&callback, session.clone()).await?;
        let url = authorization_url(&AuthorizeRequest {
            instance: &instance,
            session: &session,
            name: &name,
            icon: icon.as_deref(),
            callback: Some(server.url()),
            permissions: &permissions,
        });
        report(Progress::Authorize {
            url: &url,
            callback: Some(server.url()),
            timeout,
        });
        match browser.open(url.as_str()) {
            Ok(()) => report(Progress::BrowserOpened),
            Err(reason) => report(Progress::BrowserFailed { reason }),
        }

        let mut cancel = cancel.unwrap_or_else(|| Box::pin(std::future::pending()));
        let result = tokio::select! {
            hit = server.next_hit() => match hit {
                Some(hit) => {
                    report(Progress::CallbackReceived);
                    let result = redeem_after_callback(&client, &session).await;
                    hit.respond(match &result {
                        Ok((_, user)) => PageOutcome::Success {
                            account: user.handle(&instance),
                            instance: instance.authority(),
                        },
                        Err(e) => PageOutcome::Failure {
                            message: e.to_string(),
                            hint: e.hint(),
                        },
                    });
                    result
                }
                None => Err(Error::Internal("the callback server stopped unexpectedly".into())),
            },
            () = tokio::time::sleep_until(deadline) => {
                report(Progress::LastCheck);
                last_check(&client, &session, Error::Deadline { waited: timeout }).await
            }
            () = &mut cancel => {
                report(Progress::LastCheck);
                last_check(&client, &session, Error::Interrupted).await
            }
        };
        server.shutdown().await;
        let (token, user) = result?;
        tracing::info!(account = %user.handle(&instance), "token received");
        Ok(Credentials {
            token,
            user,
            instance,
            permissions,
        })
    }
}

/// The browser says the user approved: the check must now hand out the token.
async fn redeem_after_callback(
    client: &InstanceClient,
    session: &SessionId,
) -> Result<(AccessToken, User), Error> {
    match client.check(session).await? {
        CheckOutcome::Approved { token, user } => Ok((token, user)),
        CheckOutcome::NotApproved => Err(Error::ApprovedWithoutToken {
            instance: client.instance().to_string(),
        }),
    }
}

/// One bounded check after the wait ended; `otherwise` is the result when it finds nothing.
async fn last_check(
    client: &InstanceClient,
    session: &SessionId,
    otherwise: Error,
) -> Result<(AccessToken, User), Error> {
    match tokio::time::timeout(LAST_CHECK_LIMIT, client.check(session)).await {
        Ok(Ok(CheckOutcome::Approved { token, user })) => {
            tracing::info!("approval found by the last check");
            Ok((token, user))
        }
        Ok(Ok(CheckOutcome::NotApproved)) => Err(otherwise),
        // A token may be lost, or the instance is gone: either says more than the deadline.
        Ok(Err(
            e @ (Error::CheckAnswerLost { .. } | Error::Unreachable { .. } | Error::Tls { .. }),
        )) => Err(e),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "the last check failed");
            Err(otherwise)
        }
        Err(_) => {
            tracing::debug!("the last check timed out");
            Err(otherwise)
        }
    }
}
