//! The binary while it waits: polling without a callback, `--events` for programs, GitHub
//! Actions, QR codes and output fit for logs.

use miauth::mock::{CheckFault, MockConfig};
use serde_json::Value;

use crate::support::{accept_in_browser, mock, query_param, session_of, spawn_miauth};

/// Every stdout line parsed as JSON; panics on a line that is not.
fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect()
}

fn finals(events: &[Value]) -> Vec<&Value> {
    events
        .iter()
        .filter(|e| e["event"] == "success" || e["event"] == "error")
        .collect()
}

#[tokio::test]
async fn no_callback_login_is_approved_elsewhere_and_found_by_polling() {
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-callback",
        "--no-browser",
        "--poll-interval",
        "1s",
        "--timeout",
        "30s",
    ]);
    let url = run.authorization_url().await;
    assert_eq!(query_param(&url, "callback"), None, "{url}");
    // Approved once a poll has found nothing, as a user who takes a while would.
    server.wait_for_answers(1).await;
    let token = server.approve(&session_of(&url)).unwrap();
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{token}\n"));
    assert!(done.stderr.contains("then come back"), "{}", done.stderr);
    assert!(server.check_spans().len() >= 2);
}

#[tokio::test]
async fn events_stream_authorize_waiting_and_one_success() {
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-callback",
        "--no-browser",
        "--poll-interval",
        "1s",
        "--events",
    ]);
    let url = run.authorization_url().await;
    // A poll that finds nothing gives a `waiting` event; approve only after one.
    server.wait_for_answers(1).await;
    let token = server.approve(&session_of(&url)).unwrap();
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let events = events(&done.stdout);
    assert_eq!(events[0]["event"], "authorize");
    assert_eq!(events[0]["url"], url.as_str());
    assert_eq!(events[0]["callback"], Value::Null);
    let expires = events[0]["expires_at"].as_str().unwrap();
    assert!(humantime::parse_rfc3339(expires).is_ok(), "{expires}");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "waiting" && e["remaining_secs"].is_u64())
    );
    assert_eq!(finals(&events).len(), 1);
    let last = events.last().unwrap();
    assert_eq!(last["event"], "success");
    assert_eq!(last["token"], token.as_str());
    assert_eq!(last["user"]["username"], "alice");
    assert_eq!(last["instance"], server.base_url());
}

#[tokio::test]
async fn events_end_with_one_error_at_the_deadline() {
    let server = mock(MockConfig::default()).await;
    let run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--skip-detect",
        "--timeout",
        "1s",
        "--events",
    ]);
    let done = run.finish().await;
    assert_eq!(done.code, Some(3), "{}", done.stderr);
    let events = events(&done.stdout);
    assert_eq!(events[0]["event"], "authorize");
    assert!(
        events[0]["callback"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(finals(&events).len(), 1);
    let last = events.last().unwrap();
    assert_eq!(last["event"], "error");
    assert_eq!(last["code"], 3);
    assert_eq!(last["kind"], "deadline");
    assert_eq!(last["message"], "no approval arrived within 1s");
}

#[tokio::test]
async fn events_report_an_instance_error_with_its_code() {
    let server = mock(MockConfig::approving_without_token()).await;
    let (done, _) = accept_in_browser(
        &["login", server.base_url(), "--no-browser", "--events"],
        &[],
    )
    .await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    let events = events(&done.stdout);
    assert!(events.iter().any(|e| e["event"] == "callback"));
    let last = events.last().unwrap();
    assert_eq!(
        (last["event"].as_str(), last["code"].as_u64()),
        (Some("error"), Some(4))
    );
    assert_eq!(last["kind"], "approved_without_token");
    assert!(last["hint"].as_str().unwrap().contains("Connected apps"));
    assert_eq!(finals(&events).len(), 1);
}

#[tokio::test]
async fn in_github_actions_the_token_is_masked_and_written_to_the_step_output() {
    let server = mock(MockConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("github_output");
    let (done, _) = accept_in_browser(
        &[
            "login",
            server.base_url(),
            "--no-browser",
            "--github-output",
            "misskey_token",
        ],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", output.to_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let token = server.issued_tokens().remove(0);
    assert_eq!(done.stdout, "", "the step output replaces stdout");
    let with_token: Vec<_> = done.stderr.lines().filter(|l| l.contains(&token)).collect();
    assert_eq!(with_token, vec![format!("::add-mask::{token}")]);
    let written = std::fs::read_to_string(&output).unwrap();
    let lines: Vec<_> = written.lines().collect();
    let delimiter = lines[0].strip_prefix("misskey_token<<").unwrap();
    assert_eq!(&lines[1..], [token.as_str(), delimiter]);
}

#[test]
fn github_output_outside_actions_is_a_usage_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_miauth"))
        .args(["login", "misskey.io", "--github-output", "token"])
        .env_remove("GITHUB_OUTPUT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("$GITHUB_OUTPUT is not set"));
}

#[tokio::test]
async fn off_a_terminal_stderr_has_no_escape_sequences_and_trouble_is_reported() {
    let server = mock(MockConfig::default().with_check_faults(vec![
        CheckFault::ServiceUnavailableHtml,
        CheckFault::MalformedJson,
    ]))
    .await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-callback",
        "--no-browser",
        "--poll-interval",
        "1s",
        "-v",
    ]);
    // The first two checks meet the faults whenever the approval comes.
    let url = run.authorization_url().await;
    server.approve(&session_of(&url)).unwrap();
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr
            .contains("HTTP 503 Service Unavailable with an HTML page; trying again in"),
        "{}",
        done.stderr
    );
    assert!(
        !done.stderr.contains('\u{1b}'),
        "escape sequence in {:?}",
        done.stderr
    );
    assert!(
        !done.stderr.contains('\r'),
        "carriage return in {:?}",
        done.stderr
    );
    assert!(
        !done.stderr.contains('▀') && !done.stderr.contains('▄'),
        "no QR code off a terminal"
    );
}

#[tokio::test]
async fn qr_forces_a_code_of_the_url_even_off_a_terminal() {
    let server = mock(MockConfig::default()).await;
    let run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--skip-detect",
        "--timeout",
        "1s",
        "--qr",
    ]);
    let done = run.finish().await;
    assert_eq!(done.code, Some(3), "{}", done.stderr);
    assert!(done.stderr.contains("scan this code"), "{}", done.stderr);
    let qr_lines = done
        .stderr
        .lines()
        .filter(|l| l.contains('█') || l.contains('▀'))
        .count();
    assert!(qr_lines > 10, "{}", done.stderr);
}

#[tokio::test]
async fn a_late_approval_found_at_the_deadline_is_delivered() {
    let server = mock(MockConfig::default()).await;
    // Beside a callback the background poll comes every 3 × 1 min: none before the 5 s
    // deadline, which the approval (made as soon as the URL shows) comes well before.
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--skip-detect",
        "--poll-interval",
        "1m",
        "--timeout",
        "5s",
    ]);
    let url = run.authorization_url().await;
    let token = server.approve(&session_of(&url)).unwrap();
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{token}\n"));
    assert!(
        done.stderr.contains("Checking one last time"),
        "{}",
        done.stderr
    );
}

#[tokio::test]
async fn events_say_where_the_token_went_when_it_is_not_in_them() {
    let server = mock(MockConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("github_output");
    let (done, _) = accept_in_browser(
        &[
            "login",
            server.base_url(),
            "--no-browser",
            "--events",
            "--github-output",
            "tok",
        ],
        &[("GITHUB_OUTPUT", output.to_str().unwrap())],
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let events = events(&done.stdout);
    let last = events.last().unwrap();
    assert_eq!(last["event"], "success");
    assert!(last.get("token").is_none(), "{last}");
    assert_eq!(last["github_output"], "tok");
    assert_eq!(last["output"], Value::Null);
    assert!(
        done.stdout.lines().all(|l| l.starts_with("{\"event\":")),
        "{}",
        done.stdout
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stays_143_when_the_instance_is_gone_at_the_last_check() {
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_miauth(&["login", server.base_url(), "--no-browser", "--events"]);
    run.authorization_url().await;
    server.shutdown().await;
    run.signal("TERM");
    let done = run.finish().await;
    assert_eq!(done.code, Some(143), "{}", done.stderr);
    let events = events(&done.stdout);
    assert_eq!(events.last().unwrap()["code"], 143);
}

#[tokio::test]
async fn a_usage_error_still_gives_events_their_one_final_event() {
    let done = spawn_miauth(&["login", "misskey.io", "--events", "--timeout", "soon"])
        .finish()
        .await;
    assert_eq!(done.code, Some(2), "{}", done.stderr);
    let events = events(&done.stdout);
    assert_eq!(events.len(), 1, "{}", done.stdout);
    assert_eq!(events[0]["event"], "error");
    assert_eq!(events[0]["code"], 2);
}

#[tokio::test]
async fn a_closed_stdout_for_the_final_event_is_exit_5_not_success() {
    use tokio::io::AsyncBufReadExt;
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--no-callback",
        "--poll-interval",
        "1s",
        "--events",
    ]);
    let url = run.authorization_url().await;
    // The reader goes away after the first event, as `| head -n 1` would.
    let stdout = run.child.stdout.take().unwrap();
    let mut first = String::new();
    tokio::io::BufReader::new(stdout)
        .read_line(&mut first)
        .await
        .unwrap();
    assert!(first.contains("\"authorize\""), "{first}");
    server.approve(&session_of(&url)).unwrap();
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), run.child.wait())
        .await
        .unwrap()
        .unwrap();
    let stderr = run.stderr_to_end().await;
    assert_eq!(status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("cannot write standard output"), "{stderr}");
}
