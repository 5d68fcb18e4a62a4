//! The fake instance dressed as an older Misskey or a fork behaves as that server does, and a
//! whole login copes: unknown permission names kept, the callback built by concatenation, and
//! a redirect after a failed token creation, and a warning about permission names newer than
//! the Misskey a server follows (`write:admin:unset-mfa` before 2026.7.0 among them).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use miauth::handle::{Handle, resolve};
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
async fn forks_with_numbers_of_their_own_are_warned_by_their_own_names_or_the_base_they_name() {
    let asked = "read:account,read:chat,read:admin:meta";
    // Firefish and Iceshrimp define their own 32 names: Misskey's newer ones mean nothing there,
    // while the messaging names Misskey 13 removed are still theirs.
    for (name, version) in [("firefish", "20241205"), ("iceshrimp", "2026.5.1")] {
        let (creds, warned, server) = login_warned(
            MockConfig::dressed_as(name, version),
            "read:account,read:chat,read:admin:meta,read:flash,read:messaging",
        )
        .await;
        assert_eq!(
            warned,
            Some(vec![
                "read:chat".to_owned(),
                "read:admin:meta".to_owned(),
                "read:flash".to_owned()
            ]),
            "{name} {version}"
        );
        // They keep what they do not know.
        let granted = server.granted_permissions(creds.token.expose()).unwrap();
        assert!(granted.iter().any(|n| n == "read:chat"), "{granted:?}");
    }
    // A fork whose names are not known is not warned about at all.
    let (_, warned, _) = login_warned(MockConfig::dressed_as("catodon", "24.01"), asked).await;
    assert_eq!(warned, None);
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

/// `write:admin:unset-mfa` came with Misskey 2026.7.0: asked of it, the login is quiet and the
/// token holds the name; asked of 2025.11.1, miauth warns, and the server drops the name it
/// does not know.
#[tokio::test]
async fn write_admin_unset_mfa_logs_in_quietly_on_misskey_2026_7_0_and_is_warned_about_before() {
    for (version, warned, granted) in [
        (
            "2026.7.0",
            false,
            vec!["read:account", "write:admin:unset-mfa"],
        ),
        ("2025.11.1", true, vec!["read:account"]),
    ] {
        let server = mock(MockConfig::dressed_as("misskey", version)).await;
        let (done, _) = accept_in_browser(
            &[
                "login",
                server.base_url(),
                "--no-browser",
                "-p",
                "read:account,write:admin:unset-mfa",
            ],
            &[],
        )
        .await;
        assert_eq!(done.code, Some(0), "{version}: {}", done.stderr);
        let warning = format!(
            "miauth: warning: misskey {version} predates write:admin:unset-mfa; the token will not be able to use it there."
        );
        assert_eq!(
            done.stderr.contains(&warning),
            warned,
            "{version}: {}",
            done.stderr
        );
        assert_eq!(
            done.stderr.contains("warning"),
            warned,
            "{version}: {}",
            done.stderr
        );
        let token = done.stdout.trim_end();
        assert_eq!(
            server.granted_permissions(token),
            Some(granted.iter().map(|n| (*n).to_owned()).collect()),
            "{version}"
        );
    }
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

/// A server observed on loopback (`observed-misskey-2025.11.1.md`), and what a login there
/// must show: whether its consent page asks for the account first, and which of
/// `read:account,read:chat,read:admin:meta` miauth warns the token will not be able to use.
pub struct Observed {
    pub software: &'static str,
    pub version: &'static str,
    picker: bool,
    too_new: &'static [&'static str],
}

pub const OBSERVED: [Observed; 9] = [
    Observed {
        software: "misskey",
        version: "2026.7.0",
        picker: true,
        too_new: &[],
    },
    Observed {
        software: "misskey",
        version: "2025.11.1",
        picker: true,
        too_new: &[],
    },
    Observed {
        software: "misskey",
        version: "2024.11.0",
        picker: true,
        too_new: &["read:chat"],
    },
    Observed {
        software: "misskey",
        version: "13.14.2",
        picker: false,
        too_new: &["read:chat", "read:admin:meta"],
    },
    Observed {
        software: "sharkey",
        version: "2023.11.2",
        picker: false,
        too_new: &["read:chat", "read:admin:meta"],
    },
    Observed {
        software: "sharkey",
        version: "2025.4.7",
        picker: true,
        too_new: &[],
    },
    // It names its base, Misskey 2025.10.2, and so is warned about nothing here.
    Observed {
        software: "cherrypick",
        version: "4.17.0",
        picker: true,
        too_new: &[],
    },
    // Numbers of their own, and the 32 names the Firefish family defines: warned of every
    // name Misskey added since.
    Observed {
        software: "iceshrimp",
        version: "2026.5.1",
        picker: false,
        too_new: &["read:chat", "read:admin:meta"],
    },
    Observed {
        software: "firefish",
        version: "20241205",
        picker: false,
        too_new: &["read:chat", "read:admin:meta"],
    },
];

#[tokio::test]
async fn every_observed_server_logs_in_finds_a_handle_and_warns_only_of_names_too_new_for_it() {
    for server_seen in OBSERVED {
        let (software, version) = (server_seen.software, server_seen.version);
        let name = format!("{software} {version}");
        let server = mock(MockConfig::dressed_as(software, version)).await;
        let warned = Arc::new(Mutex::new(Vec::new()));
        let detected = Arc::new(Mutex::new(None));
        let (warned_sink, detected_sink) = (warned.clone(), detected.clone());
        let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
        let creds = login_to(&server)
            .permissions(
                Permissions::resolve(["read:account,read:chat,read:admin:meta"], false).unwrap(),
            )
            .browser(browser.clone())
            .on_progress(Arc::new(move |step: &Progress<'_>| match step {
                Progress::PermissionsTooNew { names, .. } => {
                    warned_sink
                        .lock()
                        .unwrap()
                        .extend(names.iter().map(|n| (*n).to_owned()));
                }
                Progress::Detected { software } => {
                    *detected_sink.lock().unwrap() = software.map(|s| s.to_string());
                }
                _ => {}
            }))
            .run()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_issued(&server, &creds);
        assert_eq!(detected.lock().unwrap().as_deref(), Some(name.as_str()));
        let mut warned = warned.lock().unwrap().clone();
        warned.sort();
        let mut too_new = server_seen.too_new.to_vec();
        too_new.sort();
        assert_eq!(warned, too_new, "{name}");

        // The page asked which account to use first where the real one does.
        let journey = browser.journeys().await.remove(0).unwrap();
        let first = &journey.visits[0];
        assert_eq!(
            first.body.contains("accountSelector"),
            server_seen.picker,
            "{name}: {}",
            first.body
        );
        assert_eq!(
            journey.visits.iter().filter(|v| v.method == "POST").count(),
            if server_seen.picker { 2 } else { 1 },
            "{name}: Continue, then Accept: {journey:?}"
        );
        assert!(
            journey.last().unwrap().body.contains("You are logged in"),
            "{name}: {journey:?}"
        );

        // The account's handle leads to this server (WebFinger, or its API where federation
        // is off).
        let authority = server.base_url().trim_start_matches("http://");
        let handle = Handle::parse(&format!("@alice@{authority}")).unwrap();
        let located = resolve(&handle, &[])
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(located.instance.to_string(), server.base_url(), "{name}");
    }
}

#[tokio::test]
async fn cherrypick_4_17_0_names_its_base_and_serves_nodeinfo_with_federation_off() {
    let server = mock(MockConfig::dressed_as("cherrypick", "4.17.0")).await;
    let base = server.base_url();
    let http = crate::support::http().no_proxy().build().unwrap();
    let index = http
        .get(format!("{base}/.well-known/nodeinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(index.status(), 403);
    assert_eq!(index.text().await.unwrap(), "");
    let info: serde_json::Value = http
        .get(format!("{base}/nodeinfo/2.1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        info["software"],
        serde_json::json!({
            "name": "cherrypick",
            "version": "4.17.0",
            "basedMisskeyVersion": "2025.10.2",
            "homepage": "https://github.com/kokonect-link/cherrypick",
            "repository": "https://github.com/kokonect-link/cherrypick",
        })
    );
    let meta: serde_json::Value = http
        .post(format!("{base}/api/meta"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["version"], "4.17.0");
    assert_eq!(meta["basedMisskeyVersion"], "2025.10.2");
    let webfinger = http
        .get(format!(
            "{base}/.well-known/webfinger?resource=acct:alice@{}",
            base.trim_start_matches("http://")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(webfinger.status(), 403);
}
