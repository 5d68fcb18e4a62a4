//! The real browser: headless Chromium opens the fake instance's consent page, a click on
//! Accept or Deny does what a person's would, and the callback server answers a real browser's
//! requests (speculative connections, /favicon.ico, the redirect) correctly. Screenshots of
//! every page land in `target/screenshots/`.

use std::sync::Arc;
use std::time::Duration;

use fantoccini::Locator;
use miauth::Error;
use miauth::browser::Browser;
use miauth::mock::{MockConfig, Redirect};
use tokio::sync::mpsc;

use crate::support::chrome::{self, Chrome};
use crate::support::{assert_issued, login_to, mock, query_param};

/// Hands the authorisation URL to the test, which drives Chromium to it.
struct ToTheTest(mpsc::UnboundedSender<String>);

impl Browser for ToTheTest {
    fn open(&self, url: &str) -> Result<(), String> {
        self.0.send(url.to_owned()).map_err(|e| e.to_string())
    }
}

/// Starts a login against a fake instance; returns it running, and its authorisation URL.
/// A short `timeout` is for a login that must end at its deadline: detection stays out of it.
async fn start_login(
    config: MockConfig,
    timeout: Duration,
) -> (
    miauth::mock::MockServer,
    tokio::task::JoinHandle<Result<miauth::Credentials, Error>>,
    String,
) {
    let server = mock(config).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut login = login_to(&server)
        .name("miauth e2e")
        .timeout(timeout)
        .browser(Arc::new(ToTheTest(tx)));
    if timeout < Duration::from_secs(20) {
        login = login.skip_detect();
    }
    let task = tokio::spawn(login.run());
    let url = rx.recv().await.expect("the login hands out its URL");
    (server, task, url)
}

async fn accept_in(chrome: &Chrome, shots: &str) {
    let (server, login, url) = start_login(MockConfig::default(), Duration::from_secs(60)).await;
    let callback = query_param(&url, "callback").unwrap();

    // A stray visit with another session first: the login must go on.
    chrome
        .client
        .goto(&format!("{callback}?session=not-ours"))
        .await
        .unwrap();
    chrome.wait_for_text("not part of the waiting login").await;
    chrome.screenshot(&format!("wrong-session{shots}")).await;

    chrome.client.goto(&url).await.unwrap();
    chrome.wait_for_text("Allow").await;
    chrome.screenshot(&format!("consent{shots}")).await;
    chrome
        .client
        .find(Locator::Css("#accept"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page = chrome.wait_for_text("You are logged in").await;
    chrome.screenshot(&format!("success{shots}")).await;

    let authority = server.base_url().trim_start_matches("http://");
    assert!(page.contains(&format!("@alice@{authority}")), "{page}");
    let final_url = chrome.client.current_url().await.unwrap();
    assert!(final_url.as_str().contains("/done/"), "{final_url}");
    assert!(!final_url.as_str().contains("session"), "{final_url}");
    let creds = login.await.unwrap().unwrap();
    assert_issued(&server, &creds);
}

#[tokio::test]
async fn chromium_accepts_denies_and_sees_the_failure_page() {
    let Some(chrome) = chrome::start(false, 1000, 760).await else {
        return;
    };

    accept_in(&chrome, "").await;

    // Deny: nothing happens on the server, so the deadline ends the login (exit 3).
    let (server, login, url) = start_login(MockConfig::default(), Duration::from_secs(3)).await;
    chrome.client.goto(&url).await.unwrap();
    chrome
        .client
        .find(Locator::Css("#deny"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    chrome.wait_for_text("Access denied").await;
    chrome.screenshot("denied").await;
    let err = login.await.unwrap().unwrap_err();
    assert_eq!(err.exit_code(), 3, "{err}");
    assert!(server.issued_tokens().is_empty());

    // Approval without a token (Misskey 2024.11): the page says what failed and what to do.
    // That version's page asks for the account first.
    let config = MockConfig::approving_without_token();
    let (_server, login, url) = start_login(config, Duration::from_secs(60)).await;
    chrome.client.goto(&url).await.unwrap();
    chrome
        .client
        .find(Locator::Css("#continue"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    chrome
        .client
        .find(Locator::Css("#accept"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page = chrome.wait_for_text("did not complete").await;
    chrome.screenshot("failure").await;
    assert!(page.contains("Connected apps"), "{page}");
    let err = login.await.unwrap().unwrap_err();
    assert_eq!(err.exit_code(), 4, "{err}");

    chrome.quit().await;
}

#[tokio::test]
async fn chromium_coming_back_after_the_token_still_lands_on_the_success_page() {
    let Some(chrome) = chrome::start(false, 1000, 760).await else {
        return;
    };
    // The page creates the token, and Chromium follows the redirect only 5 s after the check
    // beside the callback (every 3 × 1 s) has fetched it.
    let server = mock(MockConfig {
        redirect: Redirect::AfterFetched(Duration::from_secs(5)),
        ..MockConfig::default()
    })
    .await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let login = login_to(&server)
        .name("miauth e2e")
        .skip_detect()
        .poll_interval(Duration::from_secs(1))
        .browser(Arc::new(ToTheTest(tx)));
    let login = tokio::spawn(login.run_with_page());
    let url = rx.recv().await.expect("the login hands out its URL");
    chrome.client.goto(&url).await.unwrap();
    chrome.wait_for_text("Allow").await;
    let accept = chrome.client.find(Locator::Css("#accept")).await.unwrap();
    // The click returns once the page it leads to has loaded: the late one.
    let click = tokio::spawn(async move { accept.click().await });
    let (result, page) = login.await.unwrap();
    let creds = result.unwrap();
    assert_issued(&server, &creds);
    assert_eq!(server.redirects(), 0, "the token came before the browser");
    let served = tokio::spawn(page.served());
    click.await.unwrap().unwrap();
    let shown = chrome.wait_for_text("You are logged in").await;
    let authority = server.base_url().trim_start_matches("http://");
    assert!(shown.contains(&format!("@alice@{authority}")), "{shown}");
    served.await.unwrap();
    chrome.quit().await;
}

#[tokio::test]
async fn the_pages_work_at_phone_width_in_the_dark_colour_scheme() {
    let Some(chrome) = chrome::start(true, 390, 844).await else {
        return;
    };
    accept_in(&chrome, "-phone-dark").await;
    // Nothing may be wider than the screen.
    let overflow = chrome
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, serde_json::Value::Bool(false));
    let dark = chrome
        .client
        .execute(
            "return window.matchMedia('(prefers-color-scheme: dark)').matches",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(dark, serde_json::Value::Bool(true));
    chrome.quit().await;
}
