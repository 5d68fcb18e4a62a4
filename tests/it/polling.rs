//! Waiting by polling the check endpoint: without a callback, beside one, and through trouble.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use miauth::browser::{Browser, NoBrowser};
use miauth::mock::{CheckFault, Choice, MockConfig, MockServer, ScriptedBrowser};
use miauth::{Login, Progress};

use crate::support::{
    UrlToTest, assert_issued, assert_one_check_at_a_time, login_to, mock, query_param, session_of,
    step_name,
};

/// What the observer saw: the URL, when it appeared, and the troubles and waits reported.
#[derive(Default)]
struct Seen {
    url: Option<String>,
    authorized_at: Option<std::time::Instant>,
    troubles: Vec<String>,
    waiting: usize,
}

/// An observer that records the steps and approves the session (as a user on another device
/// would) the first time the login reports the step `approve_at` (`Authorize`, `Waiting`...).
fn observe_and_approve(
    server: Arc<MockServer>,
    approve_at: Option<&'static str>,
) -> (miauth::Observer, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let sink = seen.clone();
    let approved = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let observer: miauth::Observer = Arc::new(move |step: &Progress<'_>| {
        let mut seen = sink.lock().unwrap();
        match step {
            Progress::Authorize { url, .. } => {
                seen.url = Some(url.as_str().to_owned());
                seen.authorized_at = Some(std::time::Instant::now());
            }
            Progress::Trouble { error, .. } => seen.troubles.push(error.to_string()),
            Progress::Waiting { .. } => seen.waiting += 1,
            _ => {}
        }
        if approve_at == Some(step_name(step).as_str())
            && !approved.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let url = seen.url.clone().expect("the URL comes first");
            server.approve(&session_of(&url)).unwrap();
        }
    });
    (observer, seen)
}

fn polling_login(server: &MockServer) -> Login {
    login_to(server)
        .timeout(Duration::from_secs(30))
        .poll_interval(Duration::from_secs(1))
}

#[tokio::test]
async fn without_a_callback_the_approval_is_found_by_polling_at_the_interval() {
    let server = Arc::new(mock(MockConfig::default()).await);
    // Approved after a first check found nothing, so at least two checks are made.
    let (observer, seen) = observe_and_approve(server.clone(), Some("Waiting"));
    let creds = polling_login(&server)
        .without_callback()
        .browser(Arc::new(NoBrowser))
        .on_progress(observer)
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    let url = seen.lock().unwrap().url.clone().unwrap();
    assert_eq!(query_param(&url, "callback"), None, "{url}");
    assert_eq!(
        query_param(&url, "permission").as_deref(),
        Some("read:account")
    );

    let spans = server.check_spans();
    assert!(spans.len() >= 2, "polled {} times", spans.len());
    assert_one_check_at_a_time(&spans);
    for pair in spans.windows(2) {
        let gap = pair[1].started.duration_since(pair[0].answered.unwrap());
        assert!(
            gap >= Duration::from_millis(950),
            "polled too fast: {gap:?}"
        );
    }
    assert!(seen.lock().unwrap().waiting >= 1);
}

#[tokio::test]
async fn polling_rides_out_an_html_503_a_429_with_retry_after_and_malformed_json() {
    let server = Arc::new(
        mock(MockConfig::default().with_check_faults(vec![
            CheckFault::ServiceUnavailableHtml,
            CheckFault::TooManyRequests {
                retry_after_secs: 3,
            },
            CheckFault::MalformedJson,
        ]))
        .await,
    );
    let (observer, seen) = observe_and_approve(server.clone(), Some("Authorize"));
    let creds = polling_login(&server)
        .without_callback()
        .browser(Arc::new(NoBrowser))
        .on_progress(observer)
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    let troubles = seen.lock().unwrap().troubles.clone();
    assert_eq!(troubles.len(), 3, "{troubles:?}");
    assert!(
        troubles[0].contains("HTTP 503 Service Unavailable with an HTML page"),
        "{troubles:?}"
    );
    assert!(troubles[1].contains("HTTP 429"), "{troubles:?}");
    assert!(troubles[2].contains("not JSON"), "{troubles:?}");

    let spans = server.check_spans();
    assert_eq!(spans.len(), 4);
    assert_one_check_at_a_time(&spans);
}

#[tokio::test]
async fn a_retry_after_longer_than_any_backoff_is_honoured() {
    // The first retry's backoff is the poll interval (1 s) plus jitter below 1 s: only
    // honouring the server's Retry-After makes the next check wait 5 s.
    let server = Arc::new(
        mock(
            MockConfig::default().with_check_faults(vec![CheckFault::TooManyRequests {
                retry_after_secs: 5,
            }]),
        )
        .await,
    );
    let (observer, seen) = observe_and_approve(server.clone(), Some("Authorize"));
    let creds = polling_login(&server)
        .skip_detect()
        .without_callback()
        .browser(Arc::new(NoBrowser))
        .on_progress(observer)
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    let troubles = seen.lock().unwrap().troubles.clone();
    assert_eq!(troubles.len(), 1, "{troubles:?}");
    assert!(troubles[0].contains("HTTP 429"), "{troubles:?}");
    let spans = server.check_spans();
    assert_eq!(spans.len(), 2, "{spans:?}");
    let after_429 = spans[1].started.duration_since(spans[0].answered.unwrap());
    assert!(
        after_429 >= Duration::from_millis(4500),
        "Retry-After: 5 not honoured: the next check came {after_429:?} after the 429"
    );
}

#[tokio::test]
async fn a_callback_during_a_slow_poll_waits_for_it_and_never_overlaps() {
    // With a callback the background poll runs every 3 s; it is slow, and the browser comes
    // back while it is out: the user starts once the fake instance has the poll in hand.
    let server = Arc::new(
        mock(
            MockConfig::default().with_check_faults(vec![CheckFault::Slow(Duration::from_secs(3))]),
        )
        .await,
    );
    let (to_test, mut urls) = UrlToTest::new();
    let login = tokio::spawn(polling_login(&server).browser(Arc::new(to_test)).run());
    let url = urls.recv().await.unwrap();
    server.wait_for_checks(1).await;
    let browser = ScriptedBrowser::new(Choice::Accept);
    browser.open(&url).unwrap();
    let creds = login.await.unwrap().unwrap();
    assert_issued(&server, &creds);
    assert_one_check_at_a_time(&server.check_spans());
    let journey = browser.journeys().await.remove(0).unwrap();
    assert!(journey.last().unwrap().body.contains("You are logged in"));
}

#[tokio::test]
async fn with_a_callback_an_approval_on_another_device_is_found_by_the_background_poll() {
    let server = Arc::new(mock(MockConfig::default()).await);
    let (observer, seen) = observe_and_approve(server.clone(), Some("Authorize"));
    let creds = polling_login(&server)
        .browser(Arc::new(NoBrowser))
        .on_progress(observer)
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    let seen = seen.lock().unwrap();
    let url = seen.url.clone().unwrap();
    assert!(query_param(&url, "callback").is_some());
    // The background pace is three times the interval: one poll, no sooner than 3 s in.
    let spans = server.check_spans();
    assert_eq!(spans.len(), 1, "{spans:?}");
    let first_poll = spans[0].started.duration_since(seen.authorized_at.unwrap());
    assert!(first_poll >= Duration::from_secs(3), "{first_poll:?}");
}

/// Plays a user who accepts, then comes back a second time (a reload, another tab) once the
/// check that the first return started is held open on the fake instance.
struct ComesBackTwice {
    server: Arc<MockServer>,
    inner: Arc<ScriptedBrowser>,
}

impl Browser for ComesBackTwice {
    fn open(&self, url: &str) -> Result<(), String> {
        self.inner.open(url)?;
        let callback = query_param(url, "callback").ok_or("no callback in the URL")?;
        let again = format!("{callback}?session={}", session_of(url));
        let server = self.server.clone();
        tokio::spawn(async move {
            server.wait_for_held(1).await;
            let http = crate::support::http().no_proxy().build().unwrap();
            let _ = http.get(again).send().await;
        });
        Ok(())
    }
}

#[tokio::test]
async fn no_second_check_starts_while_one_is_out_whatever_comes_back_meanwhile() {
    // The check started by the callback is held open on the fake instance. Meanwhile the
    // browser comes back again and the poll timer (every 3 s) comes due; neither may start
    // a second check. Nothing in a correct login ends the hold, so the deadline (5 s) does:
    // its last check waits for the one out, and only then is it released.
    let server =
        Arc::new(mock(MockConfig::default().with_check_faults(vec![CheckFault::Hold])).await);
    let browser = Arc::new(ScriptedBrowser::new(Choice::Accept));
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let observer: miauth::Observer = Arc::new(move |step: &Progress<'_>| {
        if matches!(step, Progress::LastCheck) {
            let _ = tx.send(());
        }
    });
    let login = login_to(&server)
        .timeout(Duration::from_secs(5))
        .poll_interval(Duration::from_secs(1))
        .browser(Arc::new(ComesBackTwice {
            server: server.clone(),
            inner: browser.clone(),
        }))
        .on_progress(observer);
    let mut login = tokio::spawn(login.run());
    let mut last_check_seen = false;
    let result = loop {
        tokio::select! {
            result = &mut login => break result.unwrap(),
            // A second check: after the release that is the last check's own; before it, the
            // rule is broken, and the records below show it.
            () = server.wait_for_checks(2) => {
                server.release_held(1);
                break login.await.unwrap();
            }
            seen = events.recv(), if !last_check_seen => {
                last_check_seen = true;
                if seen.is_some() {
                    server.release_held(1);
                }
            }
        }
    };
    assert_one_check_at_a_time(&server.check_spans());
    let creds = result.unwrap();
    assert_issued(&server, &creds);
    let journey = browser.journeys().await.remove(0).unwrap();
    assert!(journey.last().unwrap().body.contains("You are logged in"));
}
