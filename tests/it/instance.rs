//! Knowing the instance before the browser opens: software detection across Misskey and its
//! forks, refusals with reasons, the token confirmed, and TLS with a private CA.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use miauth::mock::{CheckFault, Choice, MockConfig, Quirks, ScriptedBrowser};
use miauth::{Error, Instance, Login, Progress};

use crate::support::tls::{connect_proxy, tls_front, tls_front_for};
use crate::support::{
    accept_in_browser, assert_issued, login_to, mock, session_of, spawn_miauth, spawn_miauth_with,
};

/// Runs a whole login against the fake instance dressed as `config`, with the user accepting;
/// returns the result and the software detection reported.
async fn login_against(config: MockConfig) -> (Result<miauth::Credentials, Error>, Option<String>) {
    let server = mock(config).await;
    let seen = Arc::new(Mutex::new(None));
    let sink = seen.clone();
    let result = login_to(&server)
        .timeout(Duration::from_secs(20))
        .browser(Arc::new(ScriptedBrowser::new(Choice::Accept)))
        .on_progress(Arc::new(move |step: &Progress<'_>| {
            if let Progress::Detected { software } = step {
                *sink.lock().unwrap() = software.map(|s| s.to_string());
            }
        }))
        .run()
        .await;
    let detected = seen.lock().unwrap().clone();
    (result, detected)
}

#[tokio::test]
async fn misskey_and_its_forks_are_detected_and_logged_in_to() {
    let family = [
        ("misskey", "2025.11.1"),
        ("misskey", "12.39.0"),
        ("misskey", "13.14.2"),
        ("sharkey", "2024.11.2"),
        ("cherrypick", "4.14.0"),
        ("firefish", "1.0.5"),
        ("iceshrimp", "2023.12.11"),
        ("catodon", "24.04-dev"),
    ];
    for (name, version) in family {
        let (result, detected) = login_against(MockConfig::dressed_as(name, version)).await;
        let creds = result.unwrap_or_else(|e| panic!("{name} {version}: {e}"));
        assert_eq!(
            detected.as_deref(),
            Some(format!("{name} {version}").as_str())
        );
        assert!(creds.verified, "{name}: the token is confirmed with /api/i");
    }
}

#[tokio::test]
async fn servers_without_miauth_are_refused_before_the_browser_opens_each_with_its_reason() {
    let refused = [
        (
            MockConfig::dressed_as("misskey", "12.20.0"),
            "Misskey 12.20.0 is older than 12.39.0",
        ),
        (
            MockConfig::dressed_as("misskey", "11.37.1"),
            "Misskey 11.37.1 is older than 12.39.0",
        ),
        (
            MockConfig::dressed_as("Iceshrimp.NET", "2024.1.0-beta3"),
            "Iceshrimp.NET 2024.1.0-beta3 offers Mastodon-style OAuth only",
        ),
        (
            MockConfig::dressed_as("foundkey", "13.0.0-preview5"),
            "foundkey 13.0.0-preview5 removed MiAuth",
        ),
        (
            MockConfig::dressed_as("mastodon", "4.3.0"),
            "mastodon 4.3.0 does not offer MiAuth",
        ),
        (
            MockConfig::dressed_as("pleroma", "2.7.0"),
            "pleroma 2.7.0 does not offer MiAuth",
        ),
    ];
    for (config, want) in refused {
        let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
        let server = mock(config).await;
        let err = login_to(&server)
            .browser(browser.clone())
            .run()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{want}: {err:?}");
        assert_eq!(err.exit_code(), 4);
        assert!(err.to_string().contains(want), "{err}");
        assert!(
            browser.journeys().await.is_empty(),
            "no browser opened for {want}"
        );
    }
}

#[tokio::test]
async fn nodeinfo_403_with_federation_off_does_not_fail_detection() {
    let config = MockConfig::default().with_quirks(Quirks::federation_off());
    let (result, detected) = login_against(config).await;
    result.unwrap();
    assert_eq!(detected.as_deref(), Some("misskey 2026.7.0"));
}

#[tokio::test]
async fn a_server_that_answers_nothing_misskey_like_is_named_as_such() {
    let app =
        axum::Router::new().fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "nope") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let err = Login::new(Instance::parse(&format!("http://{addr}")).unwrap())
        .browser(Arc::new(miauth::browser::NoBrowser))
        .run()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not look like a Misskey server"),
        "{err}"
    );
}

#[tokio::test]
async fn something_that_is_not_a_web_server_is_named_as_such() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = conn.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").await;
        }
    });
    let err = Login::new(Instance::parse(&format!("http://{addr}")).unwrap())
        .browser(Arc::new(miauth::browser::NoBrowser))
        .run()
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 4);
    assert!(err.to_string().contains("is it a web server?"), "{err}");
}

#[tokio::test]
async fn skip_detect_goes_straight_to_the_consent_page() {
    let server = mock(MockConfig {
        features_miauth: None,
        ..MockConfig::default()
    })
    .await;
    let creds = login_to(&server)
        .skip_detect()
        .browser(Arc::new(ScriptedBrowser::new(Choice::Accept)))
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
}

#[tokio::test]
async fn a_token_the_instance_does_not_accept_is_an_error_and_not_delivered() {
    let server = mock(MockConfig {
        tokens_work: false,
        ..MockConfig::default()
    })
    .await;
    let (done, _) = accept_in_browser(&["login", server.base_url(), "--no-browser"], &[]).await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert_eq!(done.stdout, "", "a token that does not work is not written");
    assert!(
        done.stderr
            .contains("does not accept the token it handed out"),
        "{}",
        done.stderr
    );

    // Without confirmation, the same token is delivered.
    let (done, _) = accept_in_browser(
        &["login", server.base_url(), "--no-browser", "--no-verify"],
        &[],
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout.trim_end().len(), 32);
}

#[tokio::test]
async fn a_private_ca_is_trusted_through_ca_cert_and_refused_without_it() {
    let server = mock(MockConfig::default()).await;
    let backend = server
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let front = tls_front(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &front.ca_pem).unwrap();

    // The handshake fails at once; the deadline is only a safety net.
    let run = spawn_miauth(&["login", &front.base_url, "--no-browser", "--timeout", "30s"]);
    let done = run.finish().await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert!(
        done.stderr
            .contains(&format!("TLS connection to {} failed", front.base_url)),
        "{}",
        done.stderr
    );

    let mut run = spawn_miauth(&[
        "login",
        &front.base_url,
        "--ca-cert",
        ca.to_str().unwrap(),
        "--no-browser",
        "--no-callback",
        "--poll-interval",
        "1s",
        "--timeout",
        "20s",
    ]);
    let url = run.authorization_url().await;
    assert!(
        url.starts_with(&format!("{}/miauth/", front.base_url)),
        "{url}"
    );
    let token = server.approve(&session_of(&url)).unwrap();
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{token}\n"));
    assert!(
        done.stderr.contains("confirmed with /api/i"),
        "{}",
        done.stderr
    );
}

#[tokio::test]
async fn a_ca_cert_that_is_not_pem_is_a_usage_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("not-a-cert.txt");
    std::fs::write(&bad, "hello").unwrap();
    let run = spawn_miauth(&["login", "misskey.io", "--ca-cert", bad.to_str().unwrap()]);
    let done = run.finish().await;
    assert_eq!(done.code, Some(2), "{}", done.stderr);
    assert!(done.stderr.contains("invalid --ca-cert"), "{}", done.stderr);
    assert!(done.stderr.contains("not-a-cert.txt"), "{}", done.stderr);
}

#[tokio::test]
async fn asking_an_old_misskey_for_newer_permissions_warns_before_the_browser_opens() {
    let server = mock(MockConfig::dressed_as("misskey", "2023.11.0")).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "-p",
        "read:account,read:admin:meta,write:chat",
    ]);
    run.authorization_url().await;
    run.stop();
    let done = run.finish().await;
    assert!(
        done.stderr.contains(
            "miauth: warning: misskey 2023.11.0 predates read:admin:meta, write:chat; the token will not be able to use them there."
        ),
        "{}",
        done.stderr
    );
    let server = mock(MockConfig::dressed_as("misskey", "2025.11.1")).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "-p",
        "write:chat",
    ]);
    run.authorization_url().await;
    run.stop();
    let done = run.finish().await;
    assert!(!done.stderr.contains("warning"), "{}", done.stderr);
}

#[tokio::test]
async fn https_proxy_is_honoured_for_a_remote_instance() {
    let server = mock(MockConfig::default()).await;
    let backend = server
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let front = tls_front_for(backend, &["misskey.example"]).await;
    let front_addr = front
        .base_url
        .trim_start_matches("https://")
        .replace("localhost", "127.0.0.1");
    let (proxy, asked) = connect_proxy(front_addr.parse().unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &front.ca_pem).unwrap();

    let proxy_url = format!("http://{proxy}");
    let mut run = spawn_miauth_with(
        &[
            "login",
            "https://misskey.example",
            "--ca-cert",
            ca.to_str().unwrap(),
            "--no-browser",
            "--no-callback",
            "--poll-interval",
            "1s",
            "--timeout",
            "20s",
        ],
        &[("HTTPS_PROXY", proxy_url.as_str()), ("NO_PROXY", "")],
    );
    let url = run.authorization_url().await;
    assert!(url.starts_with("https://misskey.example/miauth/"), "{url}");
    let token = server.approve(&session_of(&url)).unwrap();
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{token}\n"));
    let asked = asked.lock().unwrap().clone();
    assert!(!asked.is_empty());
    assert!(
        asked
            .iter()
            .all(|a| a.starts_with("CONNECT misskey.example:443 ")),
        "{asked:?}"
    );
}

#[tokio::test]
async fn a_token_without_read_account_is_delivered_unconfirmed_with_a_warning() {
    let server = mock(MockConfig::default()).await;
    let (done, _) = accept_in_browser(
        &[
            "login",
            server.base_url(),
            "--no-browser",
            "-p",
            "write:notes",
            "--verify",
        ],
        &[],
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{}\n", server.issued_tokens()[0]));
    assert!(
        done.stderr.contains("miauth: warning: the token could not be confirmed (POST /api/i answered HTTP 403 (it needs read:account)); it is delivered unconfirmed."),
        "{}",
        done.stderr
    );
}

#[tokio::test]
async fn a_cdn_refusing_detection_does_not_stop_the_login() {
    // /api/meta refused: the probe check answers instead.
    let server = mock(MockConfig {
        meta_blocked: true,
        ..MockConfig::default()
    })
    .await;
    let (done, _) = accept_in_browser(&["login", server.base_url(), "--no-browser"], &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(done.stderr.contains("it offers MiAuth"), "{}", done.stderr);

    // Both refused (the probe is the first check request): miauth warns and goes on.
    let server = mock(MockConfig {
        meta_blocked: true,
        check_faults: vec![CheckFault::ServiceUnavailableHtml],
        ..MockConfig::default()
    })
    .await;
    let (done, _) = accept_in_browser(&["login", server.base_url(), "--no-browser"], &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr.contains("could not confirm that the instance offers MiAuth (the instance answered HTTP 403 instead of saying whether it offers MiAuth); going on."),
        "{}",
        done.stderr
    );
}

/// A server that accepts connections and never answers; the receiver counts connections.
#[cfg(unix)]
async fn silent_server() -> (String, tokio::sync::watch::Receiver<usize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (accepted, count) = tokio::sync::watch::channel(0usize);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
            accepted.send_modify(|n| *n += 1);
        }
    });
    (format!("http://{addr}"), count)
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_and_the_deadline_also_end_detection() {
    let (base, mut connections) = silent_server().await;
    let run = spawn_miauth(&["login", &base, "--no-browser", "--timeout", "60s"]);
    // Detection has reached the server, so it is under way (and the signal handlers, set up
    // before it, are in place).
    connections.wait_for(|n| *n >= 1).await.unwrap();
    run.signal("INT");
    let started = std::time::Instant::now();
    let done = run.finish().await;
    assert_eq!(done.code, Some(130), "{}", done.stderr);
    // Detection's requests would otherwise wait out their 30 s timeout.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    let started = std::time::Instant::now();
    let done = spawn_miauth(&["login", &base, "--no-browser", "--timeout", "1s"])
        .finish()
        .await;
    assert_eq!(done.code, Some(3), "{}", done.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_account_handle_is_looked_up_with_webfinger() {
    let server = mock(MockConfig::default()).await;
    let authority = server.base_url().trim_start_matches("http://");
    let handle = format!("@alice@{authority}");
    let (done, _) = accept_in_browser(&["login", &handle, "--no-browser"], &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr
            .contains(&format!("{handle} lives on {}.", server.base_url())),
        "{}",
        done.stderr
    );
    assert_eq!(done.stdout, format!("{}\n", server.issued_tokens()[0]));

    // WebFinger's 404 sends miauth to the server's own API, which knows no such account
    // either: the handle was well formed, so it is the instance that failed (exit 4).
    let done = spawn_miauth(&["login", &format!("@nobody@{authority}"), "--no-browser"])
        .finish()
        .await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert!(
        done.stderr.contains(&format!(
            "cannot find the account @nobody@{authority}: WebFinger answered HTTP 404 Not Found there, and {authority} has no account nobody"
        )),
        "{}",
        done.stderr
    );
}
