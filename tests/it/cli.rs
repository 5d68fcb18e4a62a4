//! The `miauth` binary as a program that runs it sees it: stdout, stderr, files, exit codes.

use assert_cmd::Command;
use miauth::mock::{Choice, MockConfig};
use predicates::prelude::*;

use crate::support::{accept_in_browser, approve_in_browser, mock, session_of, spawn_miauth};

/// The binary, kept away from the user's keyring, configuration and Misskey variables.
fn miauth() -> Command {
    let mut cmd = Command::cargo_bin("miauth").unwrap();
    // As in a CI job: no browser opens on any system.
    cmd.env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("MISSKEY_URL")
        .env_remove("MISSKEY_TOKEN")
        .env_remove("MIAUTH_STORE")
        .env_remove("MIAUTH_KEYRING_TIMEOUT")
        .env("DBUS_SESSION_BUS_ADDRESS", crate::support::NO_BUS)
        .env(
            "MIAUTH_CONFIG_DIR",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-config"),
        )
        .env("CI", "true");
    cmd
}

/// Runs `miauth login BASE args...`, approves in the scripted browser, returns the result.
async fn login_and_accept(base: &str, args: &[&str]) -> (crate::support::Finished, String) {
    let mut all = vec!["login", base, "--no-browser", "--timeout", "20s"];
    all.extend_from_slice(args);
    accept_in_browser(&all, &[]).await
}

#[tokio::test]
async fn the_token_alone_goes_to_stdout_and_the_account_to_stderr() {
    let server = mock(MockConfig::default()).await;
    let (done, _) = login_and_accept(server.base_url(), &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let token = server.issued_tokens().remove(0);
    assert_eq!(done.stdout, format!("{token}\n"));
    let authority = server.base_url().trim_start_matches("http://");
    assert!(
        done.stderr.contains(&format!(
            "Logged in as @alice@{authority} (the token works: confirmed with /api/i)."
        )),
        "{}",
        done.stderr
    );
}

#[tokio::test]
async fn json_format_carries_token_instance_user_and_permissions() {
    let server = mock(MockConfig::default()).await;
    let (done, _) = login_and_accept(
        server.base_url(),
        &[
            "--format",
            "json",
            "-p",
            "read:account",
            "-p",
            "write:notes,read:account",
        ],
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let v: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
    assert_eq!(v["token"], server.issued_tokens()[0].as_str());
    assert_eq!(v["instance"], server.base_url());
    assert_eq!(v["user"]["username"], "alice");
    assert_eq!(v["user"]["id"], "9x8y7z6w5v4u3t2s");
    assert_eq!(
        v["permissions"],
        serde_json::json!(["read:account", "write:notes"])
    );
}

#[tokio::test]
async fn an_account_without_a_display_name_logs_in_with_name_null() {
    // Many accounts never set a display name: the server sends `"name": null`.
    let server = mock(MockConfig {
        display_name: None,
        ..MockConfig::default()
    })
    .await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--timeout",
        "20s",
        "--format",
        "json",
    ]);
    let url = run.authorization_url().await;
    let journey = approve_in_browser(&url, Choice::Accept).await;
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let v: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
    assert_eq!(v["user"]["username"], "alice");
    assert_eq!(v["user"].get("name"), Some(&serde_json::Value::Null));
    let page = &journey.last().unwrap().body;
    assert!(page.contains("You are logged in"), "{page}");
    assert!(!page.contains("None") && !page.contains("null"), "{page}");
    assert!(!done.stderr.contains("None"), "{}", done.stderr);
}

#[tokio::test]
async fn env_format_prints_url_and_token_lines() {
    let server = mock(MockConfig::default()).await;
    let (done, _) = login_and_accept(server.base_url(), &["--format", "env"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(
        done.stdout,
        format!(
            "MISSKEY_URL={}\nMISSKEY_TOKEN={}\n",
            server.base_url(),
            server.issued_tokens()[0]
        )
    );
}

#[cfg(unix)]
#[tokio::test]
async fn output_file_is_owner_only_and_stdout_stays_empty() {
    use std::os::unix::fs::PermissionsExt;
    let server = mock(MockConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.env");
    let (done, _) = login_and_accept(
        server.base_url(),
        &["--format", "env", "-o", path.to_str().unwrap()],
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, "");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains(&format!("MISSKEY_TOKEN={}", server.issued_tokens()[0])));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[tokio::test]
async fn an_unwritable_output_still_delivers_the_token_on_stdout_with_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing-dir").join("token");
    // /proc takes no new files, even from root: a full or read-only disk looks the same.
    for path in [missing.to_str().unwrap(), "/proc/miauth-token"] {
        let server = mock(MockConfig::default()).await;
        let (done, _) = login_and_accept(server.base_url(), &["-o", path]).await;
        assert_eq!(done.code, Some(5), "{}", done.stderr);
        assert_eq!(done.stdout, format!("{}\n", server.issued_tokens()[0]));
        assert!(
            done.stderr.contains(&format!("cannot write {path}")),
            "{}",
            done.stderr
        );
    }
    let server = mock(MockConfig::default()).await;
    let (done, _) = login_and_accept(server.base_url(), &["-o", missing.to_str().unwrap()]).await;
    assert!(
        done.stderr.contains("miauth: error: cannot write"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr.contains("standard output instead"),
        "{}",
        done.stderr
    );
}

#[tokio::test]
async fn with_vv_the_token_never_reaches_stderr_and_the_session_only_inside_the_url() {
    let server = mock(MockConfig::default()).await;
    let (done, url) = login_and_accept(server.base_url(), &["-vv"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let token = server.issued_tokens().remove(0);
    assert!(
        !done.stderr.contains(&token),
        "token leaked:\n{}",
        done.stderr
    );
    assert!(
        done.stderr.contains("DEBUG"),
        "-vv adds detail:\n{}",
        done.stderr
    );
    let session = session_of(&url);
    let lines_with_session: Vec<_> = done
        .stderr
        .lines()
        .filter(|l| l.contains(&session))
        .collect();
    assert_eq!(
        lines_with_session,
        vec![format!("  {url}")],
        "{}",
        done.stderr
    );
    assert_eq!(done.stderr.matches(&session).count(), 1);
}

#[tokio::test]
async fn quiet_mode_prints_only_the_url_when_no_browser_opens() {
    let server = mock(MockConfig::default()).await;
    let (done, url) = login_and_accept(server.base_url(), &["-q"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let nonblank: Vec<_> = done
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(nonblank.len(), 2, "{}", done.stderr);
    assert_eq!(nonblank[1].trim(), url);
}

#[tokio::test]
async fn deny_until_the_deadline_exits_3() {
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--skip-detect",
        "--timeout",
        "1s",
    ]);
    let url = run.authorization_url().await;
    let journey = approve_in_browser(&url, Choice::Deny).await;
    assert!(journey.last().unwrap().body.contains("Access denied"));
    let done = run.finish().await;
    assert_eq!(done.code, Some(3), "{}", done.stderr);
    assert!(
        done.stderr
            .contains("miauth: error: no approval arrived within 1s;"),
        "{}",
        done.stderr
    );
    assert_eq!(done.stdout, "");
}

#[tokio::test]
async fn approval_without_token_exits_4_with_the_connected_apps_hint() {
    let server = mock(MockConfig::approving_without_token()).await;
    let (done, _) = login_and_accept(server.base_url(), &[]).await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    let error_line = done
        .stderr
        .lines()
        .find(|l| l.starts_with("miauth: error:"))
        .unwrap();
    assert!(
        error_line.contains("reported approval but handed out no token"),
        "{error_line}"
    );
    assert!(
        error_line.contains("Settings > Connected apps"),
        "{error_line}"
    );
}

#[tokio::test]
async fn an_unreachable_instance_exits_4() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    // Detection finds the port closed at once; the deadline is only a safety net.
    let run = spawn_miauth(&[
        "login",
        &format!("http://127.0.0.1:{port}"),
        "--no-browser",
        "--timeout",
        "30s",
    ]);
    let done = run.finish().await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert!(
        done.stderr
            .contains(&format!("cannot reach http://127.0.0.1:{port}")),
        "{}",
        done.stderr
    );
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_exits_130_and_sigterm_143() {
    let server = mock(MockConfig::default()).await;
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let mut run = spawn_miauth(&[
            "login",
            server.base_url(),
            "--no-browser",
            "--timeout",
            "1m",
        ]);
        run.authorization_url().await;
        run.signal(signal);
        let done = run.finish().await;
        assert_eq!(done.code, Some(code), "SIG{signal}: {}", done.stderr);
        assert!(done.stderr.contains("interrupted"), "{}", done.stderr);
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_late_approval_found_at_ctrl_c_is_delivered() {
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--timeout",
        "1m",
    ]);
    let url = run.authorization_url().await;
    let token = server.approve(&session_of(&url)).unwrap();
    run.signal("INT");
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{token}\n"));
}

#[test]
fn a_busy_port_exits_5_at_once_with_a_hint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    miauth()
        .args([
            "login",
            "http://127.0.0.1:3000",
            "--no-browser",
            "--port",
            &port,
        ])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(5)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "cannot listen on 127.0.0.1:{port}"
        )))
        .stderr(predicate::str::contains("choose another --port"));
}

#[test]
fn mock_dressed_as_lists_the_observed_servers_and_the_published_change_and_refuses_others() {
    let observed = [
        "misskey:2026.7.0",
        "misskey:2025.11.1",
        "misskey:2024.11.0",
        "misskey:13.14.2",
        "sharkey:2025.4.7",
        "sharkey:2023.11.2",
        "cherrypick:4.17.0",
        "firefish:20241205",
        "iceshrimp:2026.5.1",
    ];
    // Not observed: it follows a published change (a token may revoke itself), and the help
    // says so.
    let published = "misskey:2026.9.0";
    let help = miauth().args(["mock", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for name in observed {
        assert!(help.contains(&format!("- {name}:")), "{name}: {help}");
    }
    let line = help
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("- {published}:")))
        .unwrap_or_else(|| panic!("{published}: {help}"));
    assert!(
        line.contains("not observed") && line.contains("published change"),
        "{line}"
    );
    assert!(
        help.contains("[default: misskey:2026.7.0, the newest observed"),
        "{help}"
    );

    let out = miauth()
        .args(["mock", "--dressed-as", "mastodon:4.3.0"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("invalid value 'mastodon:4.3.0'"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "possible values: {}, {published}",
            observed.join(", ")
        )),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn invalid_input_exits_2_with_one_line_naming_it() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["login", "http://misskey.io"],
            "invalid instance \"http://misskey.io\": plain http",
        ),
        (&["login", "https://misskey.io/notes"], "leave out the path"),
        (
            &["login", "misskey.io", "-p", "read account"],
            "invalid permission \"read account\"",
        ),
        (
            &["login", "misskey.io", "--timeout", "soon"],
            "try 90s, 10m or 1h",
        ),
        (
            &["login", "misskey.io", "--name", "100% bot"],
            "invalid --name \"100% bot\"",
        ),
    ];
    for (args, want) in cases {
        let out = miauth()
            .args(args)
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = miauth()
        .args(["login", "http://misskey.io"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

/// Regression: a missing argument's error stopped at clap's "were not provided:", without
/// saying which.
#[test]
fn a_missing_argument_is_named_in_the_one_line_error() {
    for (args, want) in [
        (
            &["login"][..],
            "the following required arguments were not provided: <INSTANCE>",
        ),
        (&["switch", "misskey.io"][..], "were not provided: <USER>"),
    ] {
        let out = miauth().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("miauth: error: ") && stderr.contains(want),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn in_ci_no_browser_opens_and_the_url_is_printed_even_with_q() {
    let server = mock(MockConfig::default()).await;
    // A display is there, and CI=true (which spawn_miauth sets) still opens nothing.
    let (done, _) = crate::support::accept_in_browser(
        &["login", server.base_url(), "-q", "--timeout", "20s"],
        &[("DISPLAY", ":0")],
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr.contains("No browser is opened here (a CI job)"),
        "{}",
        done.stderr
    );
    assert!(!done.stderr.contains("could not open"), "{}", done.stderr);
}

/// Regression: reading the arguments again for `--events` panicked (exit 1) on one that is not
/// UTF-8.
#[cfg(unix)]
#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let instance = OsStr::from_bytes(b"misskey\xff.io");
    for events in [false, true] {
        let mut cmd = miauth();
        cmd.arg("login").arg(instance);
        if events {
            cmd.arg("--events");
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("invalid UTF-8"), "{stderr}");
        assert!(!stderr.contains("internal error"), "{stderr}");
        if events {
            let event: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(event["event"], "error");
            assert_eq!(event["code"], 2);
        }
    }
}

#[test]
fn help_documents_the_exit_codes() {
    miauth()
        .args(["login", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("130"))
        .stdout(predicate::str::contains("--format"));
}

#[test]
fn the_demo_completes_offline_without_a_browser() {
    let out = miauth()
        .args(["demo", "--timeout", "30s"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = stdout.trim_end();
    assert_eq!(token.len(), 32, "{stdout:?}");
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Logged in as @alice@127.0.0.1:"));
}

#[tokio::test]
async fn mock_command_prints_its_url_first_and_auto_approves_for_plain_http_clients() {
    let mut mock_run = spawn_miauth(&["mock", "--auto-approve"]);
    let mut out = tokio::io::BufReader::new(mock_run.child.stdout.take().unwrap());
    let mut first = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut out, &mut first)
        .await
        .unwrap();
    let base = first.trim_end().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base:?}");

    let mut run = spawn_miauth(&["login", &base, "--no-browser", "--timeout", "20s"]);
    let url = run.authorization_url().await;
    // Like `curl -L`: follow redirects from the consent page to the callback.
    let page = crate::support::http()
        .no_proxy()
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("You are logged in"));
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout.trim_end().len(), 32);
    mock_run.stop();
    let code = mock_run.child.wait().await.unwrap().code();
    if cfg!(unix) {
        assert_eq!(code, Some(0), "Ctrl-C stops the fake instance");
    }
}
