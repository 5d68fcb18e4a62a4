//! The instance misbehaving: each fault ends in a retry (while polling) or in a clear error with
//! the documented exit code, never a panic and never a hang past the deadline.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use miauth::browser::NoBrowser;
use miauth::mock::{CheckFault, MockConfig, MockServer};
use miauth::{Error, Progress};

use crate::support::{Steps, UrlToTest, assert_issued, login_to, mock, session_of, spawn_miauth};

/// Logs in without a callback, polling every second, approved as soon as the URL is known;
/// the first check meets `fault`; the wait ends after `timeout`. Returns the result and the
/// troubles reported.
async fn poll_through(
    fault: CheckFault,
    timeout: Duration,
) -> (
    Result<miauth::Credentials, Error>,
    Vec<String>,
    Arc<MockServer>,
) {
    let server = Arc::new(mock(MockConfig::default().with_check_faults(vec![fault])).await);
    let troubles = Arc::new(Mutex::new(Vec::new()));
    let (sink, approver) = (troubles.clone(), server.clone());
    // Detection stays out: its requests would share the short request timeout.
    let result = login_to(&server)
        .skip_detect()
        .without_callback()
        .poll_interval(Duration::from_secs(1))
        .request_timeout(Duration::from_secs(2))
        .timeout(timeout)
        .browser(Arc::new(NoBrowser))
        .on_progress(Arc::new(move |step: &Progress<'_>| match step {
            Progress::Authorize { url, .. } => {
                approver.approve(&session_of(url.as_str())).unwrap();
            }
            Progress::Trouble { error, .. } => sink.lock().unwrap().push(error.to_string()),
            _ => {}
        }))
        .run()
        .await;
    let troubles = troubles.lock().unwrap().clone();
    (result, troubles, server)
}

#[tokio::test]
async fn transient_faults_before_the_server_answers_are_retried_until_the_token_arrives() {
    let cases = [
        (
            CheckFault::InternalErrorHtml,
            "HTTP 500 Internal Server Error with an HTML page",
        ),
        (CheckFault::ServiceUnavailableHtml, "HTTP 503"),
        (CheckFault::Huge, "larger than 1048576 bytes"),
    ];
    // Concurrently: each case waits on a one-second poll.
    let mut runs = tokio::task::JoinSet::new();
    for (fault, want) in cases {
        runs.spawn(async move {
            let (result, troubles, server) =
                poll_through(fault.clone(), Duration::from_secs(20)).await;
            let creds = result.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
            assert_issued(&server, &creds);
            assert_eq!(troubles.len(), 1, "{fault:?}: {troubles:?}");
            assert!(troubles[0].contains(want), "{fault:?}: {troubles:?}");
        });
    }
    while let Some(run) = runs.join_next().await {
        run.unwrap();
    }
}

#[tokio::test]
async fn an_answer_cut_or_stalled_after_the_server_spent_the_token_is_named_as_lost() {
    // The server hands the token out, then the answer is cut, never ends, or is slower than
    // the client waits: no later check can get the token, and the deadline says why.
    let cases = [
        (CheckFault::ResetMidResponse, "answer of"),
        (CheckFault::NeverEnds, "timed out"),
        (CheckFault::Slow(Duration::from_secs(30)), "timed out"),
    ];
    let mut runs = tokio::task::JoinSet::new();
    for (fault, want) in cases {
        runs.spawn(async move {
            let (result, troubles, server) =
                poll_through(fault.clone(), Duration::from_secs(4)).await;
            let err = result.expect_err("the token went with the lost answer");
            assert!(
                matches!(
                    err,
                    Error::Deadline {
                        answer_lost: true,
                        ..
                    }
                ),
                "{fault:?}: {err:?}"
            );
            assert_eq!(server.issued_tokens().len(), 1, "{fault:?}");
            assert!(
                troubles.first().is_some_and(|t| t.contains(want)),
                "{fault:?}: {troubles:?}"
            );
        });
    }
    while let Some(run) = runs.join_next().await {
        run.unwrap();
    }
}

#[tokio::test]
async fn answers_no_retry_can_fix_end_the_login_with_exit_4() {
    let cases = [
        (CheckFault::MovedPermanently, "HTTP 301 Moved Permanently"),
        (CheckFault::WrongShape, "JSON of an unexpected shape"),
        (CheckFault::OkWithoutToken, "\"ok\": true without a token"),
    ];
    for (fault, want) in cases {
        let (result, _, _) = poll_through(fault.clone(), Duration::from_secs(20)).await;
        let err = result.expect_err(want);
        assert!(
            matches!(err, Error::UnexpectedAnswer { .. }),
            "{fault:?}: {err:?}"
        );
        assert_eq!(err.exit_code(), 4);
        assert!(err.to_string().contains(want), "{fault:?}: {err}");
    }
}

#[tokio::test]
async fn a_check_that_never_answers_ends_at_most_five_seconds_after_the_deadline() {
    let server = mock(
        MockConfig::default().with_check_faults(vec![CheckFault::NeverEnds, CheckFault::NeverEnds]),
    )
    .await;
    let last_check = Arc::new(Mutex::new(None));
    let sink = last_check.clone();
    let err = login_to(&server)
        .skip_detect()
        .without_callback()
        .poll_interval(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .browser(Arc::new(NoBrowser))
        .on_progress(Arc::new(move |step: &Progress<'_>| {
            if let Progress::LastCheck = step {
                *sink.lock().unwrap() = Some(Instant::now());
            }
        }))
        .run()
        .await
        .unwrap_err();
    // Without the limit the hanging check would last the 30 s request timeout.
    let took = last_check.lock().unwrap().unwrap().elapsed();
    assert!(
        took < Duration::from_secs(10),
        "the last check took {took:?}"
    );
    let Error::Deadline { answer_lost, .. } = err else {
        panic!("{err:?}")
    };
    assert!(
        answer_lost,
        "a hanging check may have taken the token: the hint must say so"
    );
}

#[tokio::test]
async fn tls_to_a_plain_http_port_is_a_tls_error_with_its_cause() {
    let server = mock(MockConfig::default()).await;
    let https = server.base_url().replace("http://", "https://");
    let run = spawn_miauth(&["login", &https, "--no-browser"]);
    let done = run.finish().await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    let line = done
        .stderr
        .lines()
        .find(|l| l.starts_with("miauth: error:"))
        .unwrap();
    assert!(
        line.contains(&format!("TLS connection to {https} failed")),
        "{line}"
    );
}

#[tokio::test]
async fn a_check_that_may_have_taken_the_token_after_the_callback_is_not_repeated() {
    let server =
        mock(MockConfig::default().with_check_faults(vec![CheckFault::InternalErrorHtml])).await;
    let browser = Arc::new(miauth::mock::ScriptedBrowser::new(
        miauth::mock::Choice::Accept,
    ));
    let err = login_to(&server)
        .browser(browser.clone())
        .timeout(Duration::from_secs(20))
        .run()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CheckAnswerLost { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 4);
    assert!(
        err.hint().unwrap().contains("revoke it"),
        "{:?}",
        err.hint()
    );
    assert_eq!(
        server.check_spans().len(),
        1,
        "no second check after a possibly spent one"
    );
    let page = browser.journeys().await.remove(0).unwrap();
    assert!(page.last().unwrap().body.contains("did not complete"));
}

#[tokio::test]
async fn a_browser_that_comes_back_while_the_wait_ends_still_gets_its_page() {
    // The deadline passes at 1 s, before any poll; its last check finds nothing yet (the
    // answer is decided as the check arrives, as on a real server) and takes 3.5 s to arrive,
    // within the 5 s limit. The user accepts once it has begun: the callback waits in the
    // queue, and must still be answered with how the login ended.
    let server = mock(
        MockConfig::default()
            .with_check_faults(vec![CheckFault::Slow(Duration::from_millis(3500))]),
    )
    .await;
    let (to_test, mut urls) = UrlToTest::new();
    let (observer, mut steps) = Steps::observe();
    let login = tokio::spawn(
        login_to(&server)
            .skip_detect()
            .timeout(Duration::from_secs(1))
            .poll_interval(Duration::from_secs(1))
            .browser(Arc::new(to_test))
            .on_progress(observer)
            .run(),
    );
    let url = urls.recv().await.unwrap();
    steps.until("LastCheck").await;
    let browser = miauth::mock::ScriptedBrowser::new(miauth::mock::Choice::Accept);
    miauth::browser::Browser::open(&browser, &url).unwrap();
    let err = login.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Deadline {
                answer_lost: false,
                ..
            }
        ),
        "{err:?}"
    );
    let journey = browser.journeys().await.remove(0).unwrap();
    assert!(
        journey.last().unwrap().body.contains("did not complete"),
        "{journey:?}"
    );
}

#[tokio::test]
async fn only_answers_that_may_have_spent_the_token_are_named_at_the_deadline() {
    // 502 and 504: the server behind the proxy may have answered; 501 and 404 pages: it did not.
    for (status, lost) in [(502, true), (504, true), (501, false), (404, false)] {
        let server =
            mock(MockConfig::default().with_check_faults(vec![CheckFault::HtmlStatus(status)]))
                .await;
        let err = login_to(&server)
            .skip_detect()
            .without_callback()
            .poll_interval(Duration::from_secs(1))
            .timeout(Duration::from_millis(1500))
            .browser(Arc::new(NoBrowser))
            .run()
            .await
            .unwrap_err();
        let Error::Deadline { answer_lost, .. } = err else {
            panic!("HTTP {status}: {err:?}")
        };
        assert_eq!(answer_lost, lost, "HTTP {status}");
    }
}

#[tokio::test]
async fn a_refused_check_after_the_callback_is_retried_soon_while_the_browser_waits() {
    // Beside a callback the background pace is 9 s; the browser must not wait that long.
    let server =
        mock(MockConfig::default().with_check_faults(vec![CheckFault::ServiceUnavailableHtml]))
            .await;
    let browser = Arc::new(miauth::mock::ScriptedBrowser::new(
        miauth::mock::Choice::Accept,
    ));
    let creds = login_to(&server)
        .browser(browser.clone())
        .timeout(Duration::from_secs(30))
        .run()
        .await
        .unwrap();
    assert_issued(&server, &creds);
    // The retry comes within 2 s; the background pace would have made it 9 s or more.
    let spans = server.check_spans();
    assert_eq!(spans.len(), 2, "{spans:?}");
    let retry_after = spans[1].started.duration_since(spans[0].answered.unwrap());
    assert!(
        retry_after < Duration::from_secs(8),
        "retried only after {retry_after:?}"
    );
    let journey = browser.journeys().await.remove(0).unwrap();
    assert!(journey.last().unwrap().body.contains("You are logged in"));
}

#[tokio::test]
async fn an_answer_lost_after_the_token_was_spent_is_named_not_blamed_on_the_server() {
    // Polling: the approval came, the check spent the token, and a proxy lost the answer.
    let server =
        mock(MockConfig::default().with_check_faults(vec![CheckFault::SpendThen502])).await;
    let approver = Arc::new(server);
    let observer_server = approver.clone();
    let err = login_to(&approver)
        .skip_detect()
        .without_callback()
        .poll_interval(Duration::from_secs(1))
        .timeout(Duration::from_secs(3))
        .browser(Arc::new(NoBrowser))
        .on_progress(Arc::new(move |step: &Progress<'_>| {
            if let Progress::Authorize { url, .. } = step {
                observer_server.approve(&session_of(url.as_str())).unwrap();
            }
        }))
        .run()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Deadline {
                answer_lost: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.hint().unwrap().contains("revoke that token"),
        "{:?}",
        err.hint()
    );

    // A callback after such a loss: the check finds nothing, and the lost answer is named.
    // Approved at once; the background poll (every 3 s) spends the token and loses the answer;
    // then the browser comes back.
    let server =
        mock(MockConfig::default().with_check_faults(vec![CheckFault::SpendThen502])).await;
    let (to_test, mut urls) = UrlToTest::new();
    let (observer, mut steps) = Steps::observe();
    let login = login_to(&server)
        .skip_detect()
        .poll_interval(Duration::from_secs(1))
        .timeout(Duration::from_secs(20))
        .browser(Arc::new(to_test))
        .on_progress(observer);
    let task = tokio::spawn(login.run());
    let url = urls.recv().await.unwrap();
    let session = session_of(&url);
    server.approve(&session).unwrap();
    steps.until("Trouble").await;
    let callback = crate::support::query_param(&url, "callback").unwrap();
    let came_back = tokio::spawn(async move {
        let http = crate::support::http().no_proxy().build().unwrap();
        http.get(format!("{callback}?session={session}"))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    let err = task.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::CheckAnswerLost { .. }), "{err:?}");
    assert_eq!(came_back.await.unwrap().unwrap(), 200, "the outcome page");
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_while_the_token_is_confirmed_delivers_it_unconfirmed() {
    let server = mock(MockConfig {
        api_i_delay: Duration::from_secs(20),
        ..MockConfig::default()
    })
    .await;
    // -v logs the token's arrival (not the token), the moment to press Ctrl-C.
    let mut run = spawn_miauth(&["login", server.base_url(), "--no-browser", "-v"]);
    let url = run.authorization_url().await;
    let browser = miauth::mock::ScriptedBrowser::new(miauth::mock::Choice::Accept);
    miauth::browser::Browser::open(&browser, &url).unwrap();
    // The token is fetched at once; /api/i then takes 20 s.
    run.line_where("the token's arrival", |l| l.contains("token received"))
        .await;
    let started = Instant::now();
    run.signal("INT");
    let done = run.finish().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{}\n", server.issued_tokens()[0]));
    assert!(
        done.stderr.contains("could not be confirmed (interrupted"),
        "{}",
        done.stderr
    );
}
