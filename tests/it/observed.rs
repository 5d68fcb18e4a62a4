//! Every server observed (`miauth mock --dressed-as`), through the life of a kept token: log in
//! with a handle and keep the token, have it revoked in the web UI (Settings > Connected apps),
//! be told so by `token --check` and `status` (exit 6, "revoked"), and log in again with
//! `token --check --login`. Misskey and most forks refuse a revoked token with 401, Firefish and
//! Iceshrimp with 403 and the error unwrapped: both are a revocation.

use miauth::mock::MockConfig;
use serde_json::json;

use crate::dressed::OBSERVED;
use crate::support::{SHELL, accept_in_browser, mock, spawn_miauth_with};

#[tokio::test]
async fn on_every_observed_server_a_revoked_token_is_revoked_and_a_login_replaces_it() {
    for (software, version) in OBSERVED.iter().map(|o| (o.software, o.version)) {
        let server = mock(MockConfig::dressed_as(software, version)).await;
        let dir = tempfile::tempdir().unwrap();
        let env = [
            ("MIAUTH_CONFIG_DIR", dir.path().to_str().unwrap()),
            ("MIAUTH_STORE", "file"),
        ];
        let run = |args: &[&str]| spawn_miauth_with(args, &env).finish();
        let base = server.base_url();
        let handle = format!("@alice@{}", base.trim_start_matches("http://"));
        let server_name = format!("{software} {version}");

        let (done, _) =
            accept_in_browser(&["login", &handle, "--save", "--no-browser"], &env).await;
        assert_eq!(done.code, Some(0), "{server_name}: {}", done.stderr);
        let first = done.stdout.trim_end().to_owned();
        let checked = run(&["token", base, "--check"]).await;
        assert_eq!(
            (checked.code, checked.stdout.trim_end()),
            (Some(0), first.as_str()),
            "{server_name}: {}",
            checked.stderr
        );

        // The user deletes the app in the web UI.
        let revoked = crate::support::http()
            .no_proxy()
            .build()
            .unwrap()
            .post(format!("{base}/mock/revoke"))
            .body(json!({"token": first}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status().as_u16(), 204, "{server_name}");

        let checked = run(&["token", base, "--check", "--no-login"]).await;
        assert_eq!(checked.code, Some(6), "{server_name}: {}", checked.stderr);
        assert_eq!(checked.stdout, "", "{server_name}");
        assert!(
            checked.stderr.contains("revoked"),
            "{server_name}: {}",
            checked.stderr
        );
        let status = run(&["status"]).await;
        assert_eq!(status.code, Some(6), "{server_name}: {}", status.stderr);
        assert!(
            status.stdout.contains("state: revoked"),
            "{server_name}: {}",
            status.stdout
        );

        let exec = run(&[
            "exec",
            base,
            "--check",
            "--no-login",
            "--",
            SHELL[0],
            SHELL[1],
            "exit 0",
        ])
        .await;
        assert_eq!(exec.code, Some(6), "{server_name}: {}", exec.stderr);
        assert!(
            exec.stderr.contains("revoked"),
            "{server_name}: {}",
            exec.stderr
        );

        // A program bootstrapping from the kept token logs in again and gets a new one.
        let (again, _) =
            accept_in_browser(&["token", base, "--check", "--login", "--no-browser"], &env).await;
        assert_eq!(again.code, Some(0), "{server_name}: {}", again.stderr);
        let second = again.stdout.trim_end();
        assert_ne!(second, first, "{server_name}");
        assert_eq!(server.issued_tokens().len(), 2, "{server_name}");
        let kept = run(&["token", base, "--check"]).await;
        assert_eq!(
            (kept.code, kept.stdout.trim_end()),
            (Some(0), second),
            "{server_name}: {}",
            kept.stderr
        );
    }
}

/// Firefish's `/api/i` answers a token without `read:account`, so miauth confirms it there
/// where Misskey's refusal leaves it unconfirmed.
#[tokio::test]
async fn on_firefish_a_token_without_read_account_is_confirmed() {
    let server = mock(MockConfig::dressed_as("firefish", "20241205")).await;
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
    assert!(!done.stderr.contains("warning"), "{}", done.stderr);
}
