//! The fake instance dressed as an older Misskey or a fork behaves as that server does, and a
//! whole login copes: unknown permission names kept, the callback built by concatenation, and
//! a redirect after a failed token creation, and a warning about permission names newer than
//! the Misskey a server follows.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use miauth::mock::{Choice, MockConfig, ScriptedBrowser};
use miauth::{Error, Permissions, Progress};

use crate::support::{accept_in_browser, assert_issued, login_to, mock, query_param, session_of};

/// Logs in to `config` asking for `asked`, the user accepting; returns the credentials and the
/// names the login warned were too new for the server, if it warned.
async fn login_warned(
    config: MockConfig,
    asked: &str,
) -> (
    miauth::Credentials,
    Option<Vec<String>>,
    miauth::mock::MockServer,
) {
    let server = mock(config).await;
    let warned = Arc::new(Mutex::new(None));
    let sink = warned.clone();
    let creds = login_to(&server)
        .permissions(Permissions::resolve([asked], false).unwrap())
        .browser(Arc::new(ScriptedBrowser::new(Choice::Accept)))
        .on_progress(Arc::new(move |step: &Progress<'_>| {
            if let Progress::PermissionsTooNew { names, .. } = step {
                *sink.lock().unwrap() = Some(names.iter().map(|n| (*n).to_owned()).collect());
            }
        }))
        .run()
        .await
        .unwrap();
    let warned = warned.lock().unwrap().clone();
    (creds, warned, server)
}

#[tokio::test]
async fn sharkey_2023_11_2_is_warned_about_names_it_would_keep_unused() {
    let (creds, warned, server) = login_warned(
        MockConfig::dressed_as("sharkey", "2023.11.2"),
        "read:account,read:chat,write:admin:roles",
    )
    .await;
    assert_eq!(
        warned,
        Some(vec!["read:chat".to_owned(), "write:admin:roles".to_owned()])
    );
    // Its page does not drop them: the token records names no endpoint of that version uses.
    assert_eq!(
        server.granted_permissions(creds.token.expose()).unwrap(),
        vec!["read:account", "read:chat", "write:admin:roles"]
    );
}

#[tokio::test]
async fn forks_with_numbers_of_their_own_are_warned_only_by_the_base_they_name() {
    let asked = "read:account,read:chat,read:admin:meta";
    for (name, version) in [("firefish", "1.0.5"), ("iceshrimp", "2023.12.11")] {
        let (_, warned, _) = login_warned(MockConfig::dressed_as(name, version), asked).await;
        assert_eq!(warned, None, "{name} {version}");
    }
    let cherrypick = MockConfig {
        based_misskey_version: Some("2024.11.0".into()),
        ..MockConfig::dressed_as("cherrypick", "4.14.0")
    };
    let (_, warned, _) = login_warned(cherrypick, asked).await;
    assert_eq!(warned, Some(vec!["read:chat".to_owned()]));
}

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
