//! The library's login against the fake instance, with a scripted user in the browser seat.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use miauth::mock::{Choice, MockConfig, ScriptedBrowser};
use miauth::{Error, Permissions, Progress};

use crate::support::{
    Steps, StrayThenReal, assert_issued, login_to, mock, query_param, session_of, step_name,
};

/// Captures the authorisation URL the flow reports.
fn url_catcher() -> (miauth::Observer, Arc<Mutex<Option<String>>>) {
    let seen = Arc::new(Mutex::new(None));
    let sink = seen.clone();
    let observer: miauth::Observer = Arc::new(move |step: &Progress<'_>| {
        if let Progress::Authorize { url, .. } = step {
            *sink.lock().unwrap() = Some(url.as_str().to_owned());
        }
    });
    (observer, seen)
}

#[tokio::test]
async fn accepting_delivers_the_token_the_instance_issued_and_the_page_names_the_account() {
    let server = mock(MockConfig::default()).await;
    let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
    let creds = login_to(&server)
        .name("my-bot")
        .permissions(Permissions::parse(["read:account,write:notes"]).unwrap())
        .browser(browser.clone())
        .run()
        .await
        .unwrap();

    assert_issued(&server, &creds);
    assert_eq!(creds.user.username, "alice");
    let authority = server.base_url().trim_start_matches("http://");
    assert_eq!(creds.handle(), format!("@alice@{authority}"));
    assert_eq!(creds.permissions.to_string(), "read:account,write:notes");

    let journey = browser.journeys().await.remove(0).unwrap();
    let consent = &journey.visits[0];
    assert!(consent.body.contains("my-bot"), "{}", consent.body);
    assert!(consent.body.contains("write:notes"));
    let last = journey.last().unwrap();
    assert!(last.url.starts_with("http://127.0.0.1:"), "{}", last.url);
    // The browser came back with the session, then was sent on to a clean URL.
    let callback = &journey.visits[journey.visits.len() - 2];
    assert!(callback.url.contains("session="), "{}", callback.url);
    assert_eq!(callback.status, 303);
    assert!(!last.url.contains("session"), "{}", last.url);
    assert!(last.url.contains("/done/"), "{}", last.url);
    assert_eq!(last.status, 200);
    assert!(last.body.contains("You are logged in"), "{}", last.body);
    assert!(last.body.contains(&format!("@alice@{authority}")));

    // The token is handed out once: the callback server is gone, and the session is spent.
    let gone = crate::support::http()
        .no_proxy()
        .build()
        .unwrap()
        .get(&last.url)
        .send()
        .await;
    assert!(
        gone.is_err(),
        "the callback server must stop listening after the login"
    );
}

#[tokio::test]
async fn every_query_value_survives_the_consent_pages_double_decoding() {
    let server = mock(MockConfig::default()).await;
    let name = "sure + café & co/?#=~ 'x'";
    let icon = "https://example.com/i.png?size=64&v=a+b#top";
    login_to(&server)
        .name(name)
        .icon(icon)
        .browser(Arc::new(ScriptedBrowser::new(Choice::Accept)))
        .run()
        .await
        .unwrap();
    let seen = server.consent_requests().remove(0);
    assert_eq!(seen.name.as_deref(), Some(name));
    assert_eq!(seen.icon.as_deref(), Some(icon));
    assert_eq!(seen.permission.as_deref(), Some("read:account"));
    let callback = seen.callback.unwrap();
    let rest = callback.strip_prefix("http://127.0.0.1:").unwrap();
    let (port, path) = rest.split_once("/cb/").unwrap();
    assert!(port.parse::<u16>().is_ok());
    assert_eq!(path.len(), 32, "128 random bits as hex: {path}");
    assert!(path.chars().all(|c| c.is_ascii_hexdigit()));
}

#[tokio::test]
async fn stray_requests_before_the_real_callback_do_not_end_the_login() {
    let server = mock(MockConfig::default()).await;
    let browser = Arc::new(StrayThenReal::new());
    let creds = login_to(&server)
        .browser(browser.clone())
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    let answers: Vec<_> = browser
        .answers
        .lock()
        .unwrap()
        .iter()
        .map(|a| (a.what, a.status))
        .collect();
    assert_eq!(
        answers,
        vec![
            ("another session", 400),
            ("no session", 400),
            ("foreign Host", 421),
            ("favicon", 404)
        ]
    );
    let journey = browser.real.journeys().await.remove(0).unwrap();
    assert!(journey.last().unwrap().body.contains("You are logged in"));
}

/// A browser that first prefetches the callback with our session, as a browser's speculative
/// load would, then lets a scripted user approve.
struct PrefetchThenReal {
    real: Arc<ScriptedBrowser>,
    /// The status and body the prefetch got.
    prefetched: Arc<Mutex<Option<(u16, String)>>>,
}

impl miauth::browser::Browser for PrefetchThenReal {
    fn open(&self, url: &str) -> Result<(), String> {
        let callback = query_param(url, "callback").ok_or("no callback in the URL")?;
        let (real, prefetched, url) = (self.real.clone(), self.prefetched.clone(), url.to_owned());
        tokio::spawn(async move {
            let http = crate::support::http().no_proxy().build().unwrap();
            let answer = http
                .get(format!("{callback}?session={}", session_of(&url)))
                .header("Sec-Purpose", "prefetch")
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            *prefetched.lock().unwrap() = Some((status, answer.text().await.unwrap()));
            real.open(&url).unwrap();
        });
        Ok(())
    }
}

#[tokio::test]
async fn a_prefetch_of_the_callback_before_the_real_visit_does_not_spend_the_login() {
    let server = mock(MockConfig::default()).await;
    let browser = Arc::new(PrefetchThenReal {
        real: Arc::new(ScriptedBrowser::new(Choice::Accept)),
        prefetched: Arc::new(Mutex::new(None)),
    });
    let callbacks = Arc::new(Mutex::new(0));
    let counter = callbacks.clone();
    // No background poll: every check is one a callback caused.
    let creds = login_to(&server)
        .poll_interval(Duration::from_secs(3600))
        .browser(browser.clone())
        .on_progress(Arc::new(move |step: &Progress<'_>| {
            if step_name(step) == "CallbackReceived" {
                *counter.lock().unwrap() += 1;
            }
        }))
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    let (status, body) = browser.prefetched.lock().unwrap().clone().unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("prefetch refused"), "{body}");
    assert_eq!(
        *callbacks.lock().unwrap(),
        1,
        "only the real visit reaches the login"
    );
    assert_eq!(
        server.check_spans().len(),
        1,
        "the prefetch caused no check"
    );
    let journey = browser.real.journeys().await.remove(0).unwrap();
    assert!(journey.last().unwrap().body.contains("You are logged in"));
}

#[tokio::test]
async fn a_denial_ends_at_the_deadline_with_its_own_error() {
    let server = mock(MockConfig::default()).await;
    let browser = Arc::new(ScriptedBrowser::new(Choice::Deny));
    // The deadline is what this is about: detection stays out of it.
    let err = login_to(&server)
        .skip_detect()
        .timeout(Duration::from_millis(800))
        .browser(browser.clone())
        .run()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Deadline { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 3);
    let journey = browser.journeys().await.remove(0).unwrap();
    assert!(journey.last().unwrap().body.contains("Access denied"));
    assert!(server.issued_tokens().is_empty());
}

#[tokio::test]
async fn approval_without_a_token_is_reported_as_such_on_the_page_and_to_the_caller() {
    let server = mock(MockConfig::approving_without_token()).await;
    let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
    let err = login_to(&server)
        .browser(browser.clone())
        .run()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ApprovedWithoutToken { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 4);
    assert!(
        err.to_string()
            .contains("reported approval but handed out no token")
    );
    assert!(err.hint().unwrap().contains("Settings > Connected apps"));
    let page = browser.journeys().await.remove(0).unwrap();
    let last = page.last().unwrap();
    assert!(last.body.contains("did not complete"), "{}", last.body);
    assert!(last.body.contains("Connected apps"));
}

#[tokio::test]
async fn an_approval_that_arrives_without_a_callback_is_found_by_the_last_check() {
    let server = Arc::new(mock(MockConfig::default()).await);
    let (observer, seen) = url_catcher();
    let approver = server.clone();
    let observer_and_approve: miauth::Observer = Arc::new(move |step: &Progress<'_>| {
        observer(step);
        if let Progress::Authorize { url, .. } = step {
            // Approved on another device: the redirect never reaches this machine.
            approver.approve(&session_of(url.as_str())).unwrap();
        }
    });
    // Detection stays out of the short deadline; the approval precedes the wait, so however
    // late the wait starts, its last check finds it.
    let creds = login_to(&server)
        .skip_detect()
        .timeout(Duration::from_millis(300))
        .browser(Arc::new(miauth::browser::NoBrowser))
        .on_progress(observer_and_approve)
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    assert!(query_param(&seen.lock().unwrap().clone().unwrap(), "callback").is_some());
}

#[tokio::test]
async fn cancelling_ends_the_wait_after_one_last_check() {
    let server = mock(MockConfig::default()).await;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (observer, mut steps) = Steps::observe();
    // No background poll can come between the cancellation and the last check.
    let task = tokio::spawn(
        login_to(&server)
            .poll_interval(Duration::from_secs(3600))
            .browser(Arc::new(miauth::browser::NoBrowser))
            .on_progress(observer)
            .cancel_on(async {
                let _ = rx.await;
            })
            .run(),
    );
    // Cancel once the wait has begun (the browser step comes right before it), not during
    // detection, where a cancellation ends the login without any check.
    steps.until("BrowserOpened").await;
    let before = server.check_spans().len();
    tx.send(()).unwrap();
    let err = task.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Interrupted { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 130);
    steps.until("LastCheck").await;
    assert_eq!(
        server.check_spans().len(),
        before + 1,
        "exactly one last check"
    );
}

#[tokio::test]
async fn a_busy_port_fails_at_once_with_a_local_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let server = mock(MockConfig::default()).await;
    let err = login_to(&server)
        .port(port)
        .browser(Arc::new(miauth::browser::NoBrowser))
        .run()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Bind { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 5);
    assert!(err.to_string().contains(&port.to_string()));
}

#[tokio::test]
async fn the_callback_server_can_listen_on_ipv6_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipping: this machine has no IPv6 loopback");
        return;
    }
    let server = mock(MockConfig::default()).await;
    let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
    let creds = login_to(&server)
        .bind("::1".parse().unwrap())
        .browser(browser.clone())
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    let journey = browser.journeys().await.remove(0).unwrap();
    let last = journey.last().unwrap();
    assert!(last.url.starts_with("http://[::1]:"), "{}", last.url);
    assert!(last.body.contains("You are logged in"));
}

#[tokio::test]
async fn the_browser_page_tells_the_final_result_after_the_token_is_checked() {
    // The check hands out a token that /api/i then rejects: the page must not say "logged in".
    let server = mock(MockConfig {
        tokens_work: false,
        ..MockConfig::default()
    })
    .await;
    let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
    let err = login_to(&server)
        .browser(browser.clone())
        .run()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TokenRejected { .. }), "{err:?}");
    let journey = browser.journeys().await.remove(0).unwrap();
    let page = &journey.last().unwrap().body;
    assert!(page.contains("did not complete"), "{page}");
    assert!(page.contains("does not accept the token"), "{page}");
}

#[tokio::test]
async fn a_name_and_icon_at_the_servers_exact_limits_log_in_even_with_emoji() {
    // 128 and 512 characters as the server counts them (code points): each '😀' is one,
    // though it takes two UTF-16 units and four bytes.
    let server = mock(MockConfig::default()).await;
    let name = "😀".repeat(128);
    let prefix = "https://e.example/";
    let icon = format!("{prefix}{}", "😀".repeat(512 - prefix.len()));
    let creds = login_to(&server)
        .name(name.clone())
        .icon(icon.clone())
        .browser(Arc::new(ScriptedBrowser::new(Choice::Accept)))
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    let asked = server.consent_requests().remove(0);
    assert_eq!(asked.name.as_deref(), Some(name.as_str()));
    assert_eq!(asked.icon.as_deref(), Some(icon.as_str()));

    // One character more is refused before anything is opened.
    for (name, icon) in [
        (format!("{name}😀"), icon.clone()),
        (name, format!("{icon}😀")),
    ] {
        let err = login_to(&server)
            .name(name)
            .icon(icon)
            .browser(Arc::new(ScriptedBrowser::new(Choice::Accept)))
            .run()
            .await
            .unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
    }
    assert_eq!(server.consent_requests().len(), 1);
}
