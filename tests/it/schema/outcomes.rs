//! Real output of every outcome, validated: success, denial, the deadline, an instance's
//! failure, an interruption, a token that could not be delivered as asked, and `logout`,
//! `revoke` and `status`.

use miauth::mock::{CheckFault, Choice, MockConfig};
use serde_json::{Value, json};

use super::{Contract, Home, assert_invalid, event_lines, kinds, login_accepted, one_object, run};
use crate::support::{approve_in_browser, mock, run_miauth_fed, session_of, spawn_miauth_with};

#[tokio::test]
async fn login_json_output_matches_the_schema() {
    let server = mock(MockConfig::default()).await;
    let done = login_accepted(
        &server,
        &["--format", "json", "-p", "read:account,write:notes"],
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let object = one_object(Contract::Output, &done);
    assert_eq!(object["token"], server.issued_tokens()[0].as_str());

    // An account without a display name: `"name": null`.
    let server = mock(MockConfig {
        display_name: None,
        ..MockConfig::default()
    })
    .await;
    let done = login_accepted(&server, &["--format", "json"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(
        one_object(Contract::Output, &done)["user"]["name"],
        Value::Null
    );

    // A file that cannot be written: the same object on stdout instead, exit 5.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing").join("token.json");
    let server = mock(MockConfig::default()).await;
    let done = login_accepted(
        &server,
        &["--format", "json", "-o", missing.to_str().unwrap()],
    )
    .await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    one_object(Contract::Output, &done);
}

#[tokio::test]
async fn token_and_demo_outputs_match_the_schemas() {
    let done = run(&["demo", "--format", "json", "--timeout", "30s"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    one_object(Contract::Output, &done);

    let done = run(&["demo", "--events", "--timeout", "30s"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let events = event_lines(&done);
    assert_eq!(
        kinds(&events).first(),
        Some(&"authorize"),
        "{}",
        done.stdout
    );
    assert_eq!(kinds(&events).last(), Some(&"success"), "{}", done.stdout);

    // A kept token: no login, the success event alone.
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let token = home.login_save(&server).await;
    let done = home
        .run(&["token", server.base_url(), "--format", "json"], &[])
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(one_object(Contract::Output, &done)["token"], token.as_str());
    let done = home
        .run(&["token", server.base_url(), "--events"], &[])
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(kinds(&event_lines(&done)), ["success"]);

    // The environment's token: an account not looked up.
    let done = run_miauth_fed(
        &["token", "--format", "json"],
        &[
            ("MISSKEY_URL", server.base_url()),
            ("MISSKEY_TOKEN", token.as_str()),
        ],
        "",
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let object = one_object(Contract::Output, &done);
    assert_eq!(
        (&object["user"]["username"], &object["permissions"]),
        (&json!(""), &json!([]))
    );
}

#[tokio::test]
async fn events_of_a_success_match_the_schema() {
    // Without a callback: a check that fails (retrying), one that finds nothing yet
    // (waiting), then the approval.
    let server =
        mock(MockConfig::default().with_check_faults(vec![CheckFault::ServiceUnavailableHtml]))
            .await;
    let mut run = spawn_miauth_with(
        &[
            "login",
            server.base_url(),
            "--no-callback",
            "--no-browser",
            "--poll-interval",
            "1s",
            "--timeout",
            "30s",
            "--events",
        ],
        &[],
    );
    let url = run.authorization_url().await;
    run.wait_for_stdout_line("{\"event\":\"retrying\"").await;
    run.wait_for_stdout_line("{\"event\":\"waiting\"").await;
    server.approve(&session_of(&url)).unwrap();
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let events = event_lines(&done);
    let seen = kinds(&events);
    assert_eq!(seen[..2], ["authorize", "retrying"], "{}", done.stdout);
    assert!(seen.contains(&"waiting"), "{}", done.stdout);
    assert_eq!(events[0]["callback"], Value::Null);
    assert_eq!(
        events.last().unwrap()["token"],
        server.issued_tokens()[0].as_str()
    );

    // With the callback, and the token written to a file: the event says where it went.
    let server = mock(MockConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    let done = login_accepted(&server, &["--events", "-o", file.to_str().unwrap()]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let events = event_lines(&done);
    assert!(kinds(&events).contains(&"callback"), "{}", done.stdout);
    let last = events.last().unwrap();
    assert!(last.get("token").is_none(), "{last}");
    assert_eq!(last["output"], file.to_str().unwrap());
    assert_eq!(last["github_output"], Value::Null);
}

#[tokio::test]
async fn a_denial_ends_in_a_deadline_error_that_matches_the_schema() {
    let server = mock(MockConfig::default()).await;
    for events in [true, false] {
        let format = if events { "--events" } else { "--format=json" };
        let mut run = spawn_miauth_with(
            &[
                "login",
                server.base_url(),
                "--no-browser",
                "--skip-detect",
                "--timeout",
                "2s",
                format,
            ],
            &[],
        );
        let url = run.authorization_url().await;
        let journey = approve_in_browser(&url, Choice::Deny).await;
        assert!(journey.last().unwrap().body.contains("Access denied"));
        let done = run.finish().await;
        assert_eq!(done.code, Some(3), "{}", done.stderr);
        if events {
            let events = event_lines(&done);
            let last = events.last().unwrap();
            assert_eq!(
                (&last["kind"], &last["code"]),
                (&json!("deadline"), &json!(3))
            );
        } else {
            assert_eq!(done.stdout, "", "--format json prints nothing on failure");
        }
    }
}

#[tokio::test]
async fn an_expired_login_ends_in_a_deadline_error_that_matches_the_schema() {
    let server = mock(MockConfig::default()).await;
    let done = run(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--skip-detect",
        "--timeout",
        "1s",
        "--events",
    ])
    .await;
    assert_eq!(done.code, Some(3), "{}", done.stderr);
    let events = event_lines(&done);
    assert_eq!(kinds(&events).first(), Some(&"authorize"));
    assert!(events[0]["callback"].is_string(), "{}", events[0]);
    let last = events.last().unwrap();
    assert_eq!(last["kind"], "deadline");
    assert!(last["hint"].is_string(), "{last}");
}

#[tokio::test]
async fn instance_and_usage_errors_end_in_an_error_that_matches_the_schema() {
    // An instance that cannot be reached: the error alone, before any URL.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let base = format!("http://127.0.0.1:{port}");
    let done = run(&["login", &base, "--no-browser", "--events"]).await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    let events = event_lines(&done);
    assert_eq!(kinds(&events), ["error"]);
    assert_eq!(events[0]["kind"], "unreachable");

    // An instance that approves without handing out a token.
    let server = mock(MockConfig::approving_without_token()).await;
    let done = login_accepted(&server, &["--events"]).await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    let events = event_lines(&done);
    assert_eq!(events.last().unwrap()["kind"], "approved_without_token");

    // A command line that cannot be parsed, and an instance that cannot be used.
    for (args, kind) in [
        (
            &["login", "misskey.io", "--events", "--timeout", "soon"][..],
            "usage",
        ),
        (
            &["login", "http://misskey.io", "--events"][..],
            "invalid_instance",
        ),
    ] {
        let done = run(args).await;
        assert_eq!(done.code, Some(2), "{args:?}: {}", done.stderr);
        let events = event_lines(&done);
        assert_eq!(
            (kinds(&events), &events[0]["kind"]),
            (vec!["error"], &json!(kind))
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn an_interrupted_login_ends_in_an_error_that_matches_the_schema() {
    let server = mock(MockConfig::default()).await;
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let mut run = spawn_miauth_with(
            &["login", server.base_url(), "--no-browser", "--events"],
            &[],
        );
        // The signal handlers are in place before the first event.
        run.wait_for_stdout_line("{\"event\":\"authorize\"").await;
        run.signal(signal);
        let done = run.finish().await;
        assert_eq!(done.code, Some(code), "SIG{signal}: {}", done.stderr);
        let events = event_lines(&done);
        let last = events.last().unwrap();
        assert_eq!(
            (&last["kind"], &last["code"]),
            (&json!("interrupted"), &json!(code))
        );
    }
}

#[tokio::test]
async fn a_token_that_cannot_be_written_comes_back_in_the_error_result() {
    let server = mock(MockConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing").join("token");
    let done = login_accepted(&server, &["--events", "-o", missing.to_str().unwrap()]).await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    let events = event_lines(&done);
    let last = events.last().unwrap();
    assert_eq!(last["kind"], "write_output");
    assert_eq!(last["result"]["token"], server.issued_tokens()[0].as_str());
}

#[tokio::test]
async fn logout_and_revoke_outputs_match_the_schema() {
    // Misskey 2026.9.0 lets a token revoke itself.
    let server = mock(MockConfig::dressed_as("misskey", "2026.9.0")).await;
    let base = server.base_url().to_owned();
    let home = Home::new();
    home.login_save(&server).await;
    let done = home.run(&["logout", &base, "--format", "json"], &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(one_object(Contract::Logout, &done)["revoked"], "yes");

    // --local: not asked.
    home.login_save(&server).await;
    let done = home
        .run(&["logout", &base, "--local", "--format", "json"], &[])
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(one_object(Contract::Logout, &done)["revoked"], "not_asked");

    // revoke: yes, then already.
    let token = home.login_save(&server).await;
    for revoked in ["yes", "already"] {
        let done = home
            .run(
                &["revoke", &base, "--format", "json"],
                &[("MISSKEY_TOKEN", &token)],
            )
            .await;
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        let object = one_object(Contract::Logout, &done);
        assert_eq!(
            (&object["revoked"], &object["account"]),
            (&json!(revoked), &Value::Null)
        );
    }

    // The instance gone: unreachable, exit 4, forgotten all the same.
    home.login_save(&server).await;
    server.shutdown().await;
    let done = home.run(&["logout", &base, "--format", "json"], &[]).await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert_eq!(
        one_object(Contract::Logout, &done)["revoked"],
        "unreachable"
    );

    // Earlier servers refuse: unsupported, for logout and revoke.
    let server = mock(MockConfig::dressed_as("misskey", "2025.11.1")).await;
    let token = home.login_save(&server).await;
    let done = home
        .run(
            &["revoke", server.base_url(), "--format", "json"],
            &[("MISSKEY_TOKEN", &token)],
        )
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(
        one_object(Contract::Logout, &done)["revoked"],
        "unsupported"
    );
    let done = home
        .run(&["logout", server.base_url(), "--format", "json"], &[])
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let object = one_object(Contract::Logout, &done);
    assert_eq!(object["revoked"], "unsupported");

    // A renamed field, or a settings page where the token is known to be ended, fails.
    let mut renamed = object.clone();
    let revoked = renamed.as_object_mut().unwrap().remove("revoked").unwrap();
    renamed["revocation"] = revoked;
    assert_invalid(Contract::Logout, &renamed, "`revoked` renamed `revocation`");
    let mut contradicting = object;
    contradicting["revoked"] = json!("yes");
    assert_invalid(
        Contract::Logout,
        &contradicting,
        "a revoked token with a settings page",
    );
}

#[tokio::test]
async fn status_outputs_match_the_schema() {
    let server = mock(MockConfig::default()).await;
    let base = server.base_url().to_owned();
    let home = Home::new();
    let token = home.login_save(&server).await;
    for (args, state) in [
        (&["status", "--format", "json"][..], "works"),
        (
            &["status", "--offline", "--format", "json"][..],
            "unchecked",
        ),
    ] {
        let done = home.run(args, &[]).await;
        assert_eq!(done.code, Some(0), "{args:?}: {}", done.stderr);
        let object = one_object(Contract::Status, &done);
        assert_eq!(object["accounts"][0]["state"], state, "{object}");
    }

    // The environment's token comes first.
    let done = home
        .run(
            &["status", "--format", "json"],
            &[("MISSKEY_URL", &base), ("MISSKEY_TOKEN", &token)],
        )
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let object = one_object(Contract::Status, &done);
    let kept_in: Vec<&Value> = object["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["kept_in"])
        .collect();
    assert_eq!(kept_in, [&json!("environment"), &json!("file")]);

    // Revoked, then the instance gone.
    assert!(server.revoke(&token));
    let done = home.run(&["status", "--format", "json"], &[]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    assert_eq!(
        one_object(Contract::Status, &done)["accounts"][0]["state"],
        "revoked"
    );
    server.shutdown().await;
    let done = home
        .run(&["status", "--format", "json", "--timeout", "10s"], &[])
        .await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    let object = one_object(Contract::Status, &done);
    assert_eq!(object["accounts"][0]["state"], "unreachable");

    let mut renamed = object;
    let account = renamed["accounts"][0].as_object_mut().unwrap();
    let state = account.remove("state").unwrap();
    account.insert("status".into(), state);
    assert_invalid(Contract::Status, &renamed, "`state` renamed `status`");
}
