//! How a login ends when the approval arrived but the token did not, and how the demo ends:
//! the exit code and the message a program or a person gets.

use miauth::mock::{CheckFault, Choice, MockConfig};

use crate::support::{approve_in_browser, mock, spawn_miauth, spawn_miauth_with};

/// The check after the browser came back never answers: in one case the answer stalls
/// half-sent, in the other no answer starts at all.
fn silent_checks(fault: CheckFault) -> MockConfig {
    MockConfig::default().with_check_faults(vec![fault.clone(), fault])
}

#[tokio::test]
async fn an_approved_login_whose_check_never_answers_is_an_instance_error() {
    let server = mock(silent_checks(CheckFault::NeverEnds)).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--skip-detect",
        "--timeout",
        "10s",
    ]);
    let url = run.authorization_url().await;
    // The scripted user's walk ends only when miauth answers the callback, at the very end.
    let user = tokio::spawn(async move { approve_in_browser(&url, Choice::Accept).await });
    let done = run.finish().await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    let error = done
        .stderr
        .lines()
        .find(|l| l.starts_with("miauth: error:"))
        .unwrap_or_default();
    assert!(
        error.contains("the login was approved, but")
            && error.contains("did not answer the token check within 10s"),
        "{error}"
    );
    assert!(error.contains("revoke it"), "{error}");
    assert!(
        !done.stderr.contains("no approval arrived"),
        "{}",
        done.stderr
    );
    let journey = user.await.unwrap();
    let page = &journey.last().unwrap().body;
    assert!(page.contains("did not answer the token check"), "{page}");
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_while_an_approved_check_hangs_says_what_was_missing() {
    let server = mock(silent_checks(CheckFault::Slow(
        std::time::Duration::from_secs(3600),
    )))
    .await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--skip-detect",
        "--timeout",
        "5m",
    ]);
    let url = run.authorization_url().await;
    let user = tokio::spawn(async move { approve_in_browser(&url, Choice::Accept).await });
    run.wait_for_line("The browser came back").await;
    run.signal("INT");
    let done = run.finish().await;
    assert_eq!(done.code, Some(130), "{}", done.stderr);
    let error = done
        .stderr
        .lines()
        .find(|l| l.starts_with("miauth: error:"))
        .unwrap_or_default();
    assert!(
        error.contains("interrupted while waiting for the instance to answer the token check"),
        "{error}"
    );
    assert!(!error.contains("before the login was approved"), "{error}");
    assert!(error.contains("revoke it"), "{error}");
    user.await.unwrap();
}

#[tokio::test]
async fn the_demo_with_auto_approve_ends_whatever_browser_is_set() {
    // Commands that open nothing anyone sees, as set on servers and in containers.
    for browser in ["true", "echo", "/nonexistent/browser"] {
        let run = spawn_miauth_with(
            &["demo", "--auto-approve"],
            &[("BROWSER", browser), ("DISPLAY", ":0")],
        );
        // With the default five-minute timeout, only the scripted browser ends it in time.
        let done = run.finish().await;
        assert_eq!(done.code, Some(0), "BROWSER={browser}: {}", done.stderr);
        let token = done.stdout.trim_end();
        assert!(
            token.len() == 32 && token.chars().all(|c| c.is_ascii_alphanumeric()),
            "BROWSER={browser}: {:?}",
            done.stdout
        );
        assert!(
            done.stderr.contains("scripted browser"),
            "BROWSER={browser}: {}",
            done.stderr
        );
    }
}
