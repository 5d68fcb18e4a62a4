//! The callback routes driven with `tower::ServiceExt::oneshot`: each answer, page and
//! outcome as a browser meets it.

use super::*;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

fn state() -> (CallbackState, mpsc::Receiver<CallbackHit>) {
    let (hits, rx) = mpsc::channel(1);
    (
        CallbackState {
            host: "127.0.0.1:4000".into(),
            path: "/cb/00112233445566778899aabbccddeeff".into(),
            session: SessionId::from_existing("our-session"),
            app_name: "testapp".into(),
            hits,
            results: Arc::new(Results::default()),
        },
        rx,
    )
}

fn request(method: Method, uri: &str, host: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, host)
        .body(Body::empty())
        .unwrap()
}

/// A request that should have been refused but reached the flow waits for an outcome
/// no one sends: the timeout turns that into a failure instead of a hang.
const NO_HANG: std::time::Duration = std::time::Duration::from_secs(10);

async fn send(router: Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let uri = req.uri().clone();
    tokio::time::timeout(NO_HANG, async {
        let res = router.oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    })
    .await
    .unwrap_or_else(|_| panic!("no answer to {uri} within {NO_HANG:?}"))
}

const CB: &str = "/cb/00112233445566778899aabbccddeeff";

#[tokio::test]
async fn requests_that_are_not_our_callback_have_no_effect() {
    let (state, mut rx) = state();
    let cases = [
        (
            Method::GET,
            "/favicon.ico".to_owned(),
            "127.0.0.1:4000",
            404,
        ),
        (
            Method::GET,
            format!("{CB}x?session=our-session"),
            "127.0.0.1:4000",
            404,
        ),
        (
            Method::GET,
            format!("{CB}?session=our-session"),
            "evil.example:4000",
            421,
        ),
        (
            Method::GET,
            format!("{CB}?session=our-session"),
            "localhost:4000",
            421,
        ),
        (
            Method::POST,
            format!("{CB}?session=our-session"),
            "127.0.0.1:4000",
            405,
        ),
        (
            Method::HEAD,
            format!("{CB}?session=our-session"),
            "127.0.0.1:4000",
            200,
        ),
        (
            Method::GET,
            format!("{CB}?session=other"),
            "127.0.0.1:4000",
            400,
        ),
        (Method::GET, CB.to_owned(), "127.0.0.1:4000", 400),
        (
            Method::GET,
            format!("{CB}?session=our-session&session=our-session"),
            "127.0.0.1:4000",
            400,
        ),
    ];
    for (method, uri, host, want) in cases {
        let (status, headers, _) =
            send(router(state.clone()), request(method.clone(), &uri, host)).await;
        assert_eq!(status.as_u16(), want, "{method} {uri} Host: {host}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    }
    assert!(rx.try_recv().is_err(), "no request may reach the flow");
}

#[tokio::test]
async fn a_wrong_session_gets_an_explaining_page() {
    let (state, _rx) = state();
    let (status, headers, body) = send(
        router(state),
        request(
            Method::GET,
            &format!("{CB}?session=other"),
            "127.0.0.1:4000",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(body.contains("not part of the waiting login"), "{body}");
    assert!(!body.contains("other"));
}

/// Sends a valid callback, lets `outcome` be the flow's answer, follows the 303.
async fn valid_callback(outcome: PageOutcome) -> (HeaderMap, StatusCode, String) {
    let (state, mut rx) = state();
    tokio::spawn(async move {
        let hit = rx.recv().await.unwrap();
        hit.respond(outcome);
    });
    let (status, headers, _) = send(
        router(state.clone()),
        request(
            Method::GET,
            &format!("{CB}?x=1&session=our-session"),
            "127.0.0.1:4000",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(!state.results.all_shown(), "the outcome page is still owed");
    let (status, _, body) = send(
        router(state.clone()),
        request(Method::GET, &location, "127.0.0.1:4000"),
    )
    .await;
    assert!(state.results.all_shown());
    (headers, status, body)
}

#[tokio::test]
async fn the_valid_callback_waits_for_the_flow_then_sends_the_browser_to_a_clean_url() {
    let (headers, status, body) = valid_callback(PageOutcome::Success {
        account: "@alice@misskey.io".into(),
        instance: "misskey.io".into(),
    })
    .await;
    let location = headers[header::LOCATION].to_str().unwrap();
    assert!(location.starts_with(&format!("{CB}/done/")), "{location}");
    assert!(!location.contains("session"), "{location}");
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("You are logged in"), "{body}");
    assert!(body.contains("@alice@misskey.io"), "{body}");
    assert!(body.contains("testapp"), "{body}");
}

#[tokio::test]
async fn prefetches_and_unknown_outcome_pages_have_no_effect() {
    let (state, mut rx) = state();
    // Every header a browser marks a speculative load with, each value it uses.
    let prefetches = [
        ("sec-purpose", "prefetch"),
        ("sec-purpose", "prefetch;prerender"),
        ("purpose", "prefetch"),
        ("x-purpose", "preview"),
        ("x-moz", "prefetch"),
    ];
    for (name, value) in prefetches {
        let mut req = request(
            Method::GET,
            &format!("{CB}?session=our-session"),
            "127.0.0.1:4000",
        );
        req.headers_mut()
            .insert(name, HeaderValue::from_static(value));
        let (status, _, body) = send(router(state.clone()), req).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{name}: {value}");
        assert_eq!(body, "prefetch refused", "{name}: {value}");
        assert!(rx.try_recv().is_err(), "{name}: {value} reached the flow");
    }
    let (status, _, _) = send(
        router(state.clone()),
        request(Method::GET, &format!("{CB}/done/guess"), "127.0.0.1:4000"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(rx.try_recv().is_err(), "no request may reach the flow");
    assert!(state.results.all_shown(), "no outcome page is owed");
}

#[tokio::test]
async fn a_failure_outcome_shows_the_message_and_next_step() {
    let (_, _, body) = valid_callback(PageOutcome::Failure {
        message: "the instance reported approval but handed out no token".into(),
        hint: Some("look under Settings > Connected apps".into()),
    })
    .await;
    assert!(body.contains("did not complete"), "{body}");
    assert!(body.contains("Settings &#62; Connected apps"), "{body}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
    /// No query, however odd, reaches the flow unless it carries our session exactly once.
    #[test]
    fn only_our_session_exactly_once_reaches_the_flow(
        before in "[a-z=&%0-9;+-]{0,20}",
        ours in 0usize..3,
        after in "[a-z=&%0-9;+-]{0,20}",
    ) {
        let query = format!("{before}&{}{after}", "session=our-session&".repeat(ours));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (state, mut rx) = state();
        let ours = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == "session")
            .collect::<Vec<_>>();
        let expect_hit = matches!(ours.as_slice(), [(_, v)] if v == "our-session");
        let reached = runtime.block_on(async {
            let uri = format!("{CB}?{query}");
            let Ok(req) = Request::builder().uri(&uri).header(header::HOST, "127.0.0.1:4000").body(Body::empty()) else {
                return false;
            };
            let call = router(state).oneshot(req);
            let reached = async {
                tokio::select! {
                    _ = call => rx.try_recv().is_ok(),
                    hit = rx.recv() => hit.is_some(),
                }
            };
            tokio::time::timeout(NO_HANG, reached).await.expect("an answer or a hit")
        });
        proptest::prop_assert_eq!(reached, expect_hit);
    }
}
