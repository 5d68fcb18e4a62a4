//! A browser slower than the check: the token comes first (the server creates it before its page
//! redirects), is delivered at once, and the browser that comes back afterwards, within the
//! grace, is still shown how the login ended; without any browser the process ends by itself.

use std::sync::Arc;
use std::time::Duration;

use miauth::browser::Browser;
use miauth::mock::{Choice, MockConfig, Redirect, ScriptedBrowser};

use crate::support::{Running, http, login_to, mock, query_param, session_of, spawn_miauth};

/// `miauth HEAD… TAIL…` opening no browser, with a callback server beside which the check runs
/// every 3 × 1 s, so that it finds an approval before a late browser comes back.
fn spawn_polling(head: &[&str], tail: &[&str]) -> Running {
    let waiting = ["--no-browser", "--poll-interval", "1s", "--timeout", "1m"];
    let args: Vec<&str> = [head, &waiting, tail].concat();
    spawn_miauth(&args)
}

/// The fake sends the browser back only once a check has fetched the token, and `late` after
/// that: the check always wins, however busy the machine.
fn browser_late_by(late: Duration) -> MockConfig {
    MockConfig {
        redirect: Redirect::AfterFetched(late),
        ..MockConfig::default()
    }
}

#[tokio::test]
async fn a_browser_back_5s_after_the_token_gets_the_success_page_and_the_process_then_ends() {
    let server = mock(browser_late_by(Duration::from_secs(5))).await;
    // Beside the callback the check runs every 3 × 1 s, so it finds the approval first.
    let mut run = spawn_polling(&["login", server.base_url()], &[]);
    let url = run.authorization_url().await;
    let browser = ScriptedBrowser::new(Choice::Accept);
    browser.open(&url).unwrap();
    run.wait_for_stdout_line("").await;
    assert_eq!(
        server.redirects(),
        0,
        "the token is on stdout before the browser is sent back"
    );
    let journey = browser
        .journeys()
        .await
        .remove(0)
        .unwrap_or_else(|e| panic!("the late browser found nothing at the callback: {e}"));
    let last = journey.last().unwrap();
    assert!(last.url.contains("/done/"), "{journey:?}");
    assert_eq!(last.status, 200, "{journey:?}");
    assert!(last.body.contains("You are logged in"), "{}", last.body);
    let account = format!("@alice@{}", server.base_url().trim_start_matches("http://"));
    assert!(last.body.contains(&account), "{}", last.body);
    // It ends by itself once the browser has its page (within the grace; `finish` bounds it).
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{}\n", server.issued_tokens()[0]));
}

#[tokio::test]
async fn without_a_browser_the_callback_stays_up_after_the_token_then_the_process_ends() {
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_polling(&["login", server.base_url()], &[]);
    let url = run.authorization_url().await;
    // Approved on another device: no browser ever comes back here.
    let token = server.approve(&session_of(&url)).unwrap();
    run.wait_for_stdout_line(&token).await;
    // A browser arriving now still finds miauth listening.
    let callback = query_param(&url, "callback").unwrap();
    let answer = http()
        .no_proxy()
        .build()
        .unwrap()
        .head(&callback)
        .send()
        .await
        .unwrap_or_else(|e| panic!("nothing listens at the callback after the token: {e}"));
    assert_eq!(answer.status().as_u16(), 200);
    run.wait_for_line("The browser has not come back yet; waiting up to")
        .await;
    // No browser, no signal: it ends by itself (within the grace; `finish` bounds it).
    let done = run.finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{token}\n"));
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_while_a_late_browser_is_awaited_ends_with_exit_0_and_the_token_delivered() {
    for signal in ["INT", "TERM"] {
        let server = mock(MockConfig::default()).await;
        let mut run = spawn_polling(&["login", server.base_url()], &[]);
        let url = run.authorization_url().await;
        let token = server.approve(&session_of(&url)).unwrap();
        run.wait_for_line("The browser has not come back yet").await;
        run.signal(signal);
        let done = run.finish().await;
        assert_eq!(done.code, Some(0), "SIG{signal}: {}", done.stderr);
        assert_eq!(done.stdout, format!("{token}\n"));
        assert!(!done.stderr.contains("error"), "{}", done.stderr);
    }
}

#[cfg(unix)]
#[tokio::test]
async fn exec_interrupted_while_a_late_browser_is_awaited_does_not_start_the_command() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let server = mock(MockConfig::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("started");
        let script = format!("touch '{}'", marker.display());
        let mut run = spawn_polling(
            &["exec", server.base_url(), "--login"],
            &["--", "sh", "-c", &script],
        );
        let url = run.authorization_url().await;
        server.approve(&session_of(&url)).unwrap();
        run.wait_for_line("The browser has not come back yet").await;
        run.signal(signal);
        let done = run.finish().await;
        assert_eq!(done.code, Some(code), "SIG{signal}: {}", done.stderr);
        assert!(
            done.stderr.contains("the command was not started"),
            "SIG{signal}: {}",
            done.stderr
        );
        assert!(!marker.exists(), "SIG{signal}: the command ran");
    }
}

#[tokio::test]
async fn the_library_login_keeps_the_page_for_a_browser_slower_than_the_check() {
    let server = mock(browser_late_by(Duration::from_secs(2))).await;
    let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
    let credentials = login_to(&server)
        .skip_detect()
        .poll_interval(Duration::from_secs(1))
        .browser(browser.clone())
        .run()
        .await
        .unwrap();
    let journey = browser
        .journeys()
        .await
        .remove(0)
        .unwrap_or_else(|e| panic!("the late browser found nothing at the callback: {e}"));
    let last = journey.last().unwrap();
    assert_eq!(last.status, 200, "{journey:?}");
    assert!(last.body.contains(&credentials.handle()), "{}", last.body);
}

#[tokio::test]
async fn run_with_page_hands_over_the_token_before_the_late_browser_is_answered() {
    let server = mock(browser_late_by(Duration::from_secs(5))).await;
    let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
    let (result, page) = login_to(&server)
        .skip_detect()
        .poll_interval(Duration::from_secs(1))
        .browser(browser.clone())
        .run_with_page()
        .await;
    let credentials = result.unwrap();
    assert_eq!(server.redirects(), 0, "the browser is not back yet");
    let left = page.awaits_browser().expect("the late browser is awaited");
    assert!(left <= miauth::PAGE_GRACE, "{left:?}");
    page.served().await;
    let journey = browser.journeys().await.remove(0).unwrap();
    let last = journey.last().unwrap();
    assert_eq!(last.status, 200, "{journey:?}");
    assert!(last.body.contains(&credentials.handle()), "{}", last.body);
}
