//! What the binary guarantees about the places it touches: no listener without a callback,
//! and a token that reaches stdout whatever else fails after the instance handed it out.

use miauth::mock::MockConfig;
use serde_json::Value;

use crate::support::{accept_in_browser, mock, session_of, spawn_miauth};

#[tokio::test]
async fn no_callback_binds_no_listener_even_on_a_taken_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-callback",
        "--no-browser",
        "--port",
        &port,
        "--poll-interval",
        "1s",
        "--timeout",
        "60s",
    ]);
    let url = run.authorization_url().await;
    let token = server.approve(&session_of(&url)).unwrap();
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{token}\n"));
    drop(taken);
}

/// Logs in and accepts, with `-o` into a directory that does not exist and `extra` arguments.
async fn login_with_unwritable(
    extra: &[&str],
    env: &[(&str, &str)],
) -> (crate::support::Finished, String) {
    let server = mock(MockConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing").join("out");
    let mut args = vec![
        "login",
        server.base_url(),
        "--no-browser",
        "--timeout",
        "60s",
    ];
    let missing = missing.to_str().unwrap().to_owned();
    if !extra.contains(&"--github-output") {
        args.extend(["-o", missing.as_str()]);
    }
    args.extend_from_slice(extra);
    let (done, _) = accept_in_browser(&args, env).await;
    (done, server.issued_tokens().remove(0))
}

#[tokio::test]
async fn a_failed_output_file_with_events_still_carries_the_token_on_stdout() {
    let (done, token) = login_with_unwritable(&["--events"], &[]).await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    let last: Value = serde_json::from_str(done.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "error", "{last}");
    assert_eq!(last["code"], 5);
    assert_eq!(last["result"]["token"], token.as_str(), "{last}");
}

#[tokio::test]
async fn a_failed_github_output_still_delivers_the_token_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let unwritable = dir.path().join("missing").join("github-output");
    let env = [("GITHUB_OUTPUT", unwritable.to_str().unwrap())];
    let (done, token) = login_with_unwritable(&["--github-output", "token"], &env).await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{token}\n"));
    assert!(
        done.stderr.contains("standard output instead"),
        "{}",
        done.stderr
    );

    let (done, token) =
        login_with_unwritable(&["--github-output", "token", "--events"], &env).await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    let last: Value = serde_json::from_str(done.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["result"]["token"], token.as_str(), "{last}");
}
