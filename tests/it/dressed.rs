//! The fake instance dressed as an older Misskey or a fork behaves as that server does, and a
//! whole login copes: unknown permission names kept, the callback built by concatenation, and
//! a redirect after a failed token creation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use miauth::mock::{Choice, MockConfig, ScriptedBrowser};
use miauth::{Error, Permissions, Progress};

use crate::support::{accept_in_browser, assert_issued, login_to, mock, query_param, session_of};

#[tokio::test]
async fn an_old_misskey_keeps_an_unknown_permission_in_the_token_and_a_new_one_drops_it() {
    let asked = Permissions::resolve(["read:account,read:fork-only"], true).unwrap();
    for (version, granted) in [
        ("2023.11.0", vec!["read:account", "read:fork-only"]),
        ("2025.11.1", vec!["read:account"]),
    ] {
        let server = mock(MockConfig::dressed_as("misskey", version)).await;
        let creds = login_to(&server)
            .permissions(asked.clone())
            .browser(Arc::new(ScriptedBrowser::new(Choice::Accept)))
            .run()
            .await
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_issued(&server, &creds);
        assert_eq!(
            server.granted_permissions(creds.token.expose()).unwrap(),
            granted,
            "{version}"
        );
    }
}

#[tokio::test]
async fn on_firefish_the_session_is_appended_to_the_callback_and_the_login_succeeds() {
    let server = mock(MockConfig::dressed_as("firefish", "1.0.5")).await;
    let url = Arc::new(Mutex::new(None));
    let sink = url.clone();
    let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
    let creds = login_to(&server)
        .browser(browser.clone())
        .on_progress(Arc::new(move |step: &Progress<'_>| {
            if let Progress::Authorize { url, .. } = step {
                *sink.lock().unwrap() = Some(url.as_str().to_owned());
            }
        }))
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    let url = url.lock().unwrap().clone().unwrap();
    let callback = query_param(&url, "callback").unwrap();
    let journey = browser.journeys().await.remove(0).unwrap();
    let appended = format!("{callback}?session={}", session_of(&url));
    assert!(
        journey.visits.iter().any(|v| v.url == appended),
        "no visit to {appended}: {journey:?}"
    );
    assert!(journey.last().unwrap().body.contains("You are logged in"));
}

#[tokio::test]
async fn misskey_2024_11_0_redirects_after_a_failed_token_creation_and_miauth_exits_4() {
    let server = mock(MockConfig {
        token_creation_fails: true,
        ..MockConfig::dressed_as("misskey", "2024.11.0")
    })
    .await;
    let (done, _) = accept_in_browser(
        &[
            "login",
            server.base_url(),
            "--no-browser",
            "--timeout",
            "20s",
        ],
        &[],
    )
    .await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert!(
        done.stderr
            .contains("reported approval but handed out no token"),
        "{}",
        done.stderr
    );
    assert!(server.issued_tokens().is_empty());
}

#[tokio::test]
async fn misskey_2024_11_1_stops_on_its_page_after_a_failed_token_creation() {
    // Fixed in 2024.11.1: the page shows the failure and sends the browser nowhere, so the
    // login waits until its deadline.
    let server = mock(MockConfig {
        token_creation_fails: true,
        ..MockConfig::dressed_as("misskey", "2024.11.1")
    })
    .await;
    let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
    let err = login_to(&server)
        .timeout(Duration::from_secs(2))
        .browser(browser.clone())
        .run()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Deadline { .. }), "{err:?}");
    let journey = browser.journeys().await.remove(0).unwrap();
    let last = journey.last().unwrap();
    assert_eq!(last.status, 400, "{journey:?}");
    assert!(
        last.body.contains("Could not create the token"),
        "{}",
        last.body
    );
}
