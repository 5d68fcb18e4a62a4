//! The steps of a login in their order: detection, the session and the callback server, the
//! authorisation URL and the browser, the wait, and the confirmation of the token. The
//! [`Login`] builder (what was asked) is the parent module's.

use std::time::Duration;

use crate::authorize::{AuthorizeRequest, authorization_url};
use crate::callback::{CallbackServer, PageOutcome};
use crate::check::InstanceClient;
use crate::detect::Software;
use crate::ending::BrowserPage;
use crate::progress::{Progress, Sticky};
use crate::wait::Wait;
use crate::{AccessToken, Error, Permissions, SessionId, User};

use super::{CALLBACK_POLL_FACTOR, Credentials, Login};

impl Login {
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
