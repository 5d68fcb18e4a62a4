//! The check endpoint, `POST /api/miauth/{session}/check`, as Misskey 2025.11.1 answers it
//! (`observed-misskey-2025.11.1.md`): POST only, always 200 with `{"ok":false}` unless a token is
//! waiting, each token handed out once, an empty body sent as JSON refused with 400, and no route
//! for a session longer than 100 characters. Reading the token and marking it fetched are two
//! steps, as on the real server, so two checks at once may both be handed it. The faults of
//! [`CheckFault`] stand in for a server under strain.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::api::{api_json, body_problem, not_found, unknown_endpoint, user_json};
use super::{CheckFault, MockState};

/// Misskey's own check: a longer session never matches the route.
const MAX_SESSION: usize = 100;

/// `POST /api/miauth/{session}/check`.
pub(super) async fn check(
    State(state): State<Arc<MockState>>,
    Path(session): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !state.config.misskey_api {
        return not_found().await;
    }
    if !state.config.miauth {
        return unknown_endpoint(&state);
    }
    if session.chars().count() > MAX_SESSION && !state.config.quirks.firefish_api {
        return api_json(
            StatusCode::NOT_FOUND,
            json!({
                "message": format!("Route {method}:/api/miauth/{session}/check not found"),
                "error": "Not Found",
                "statusCode": 404,
            }),
        );
    }
    if method != Method::POST {
        return unknown_endpoint(&state);
    }
    if let Some(problem) = body_problem(&state, &headers, &body) {
        return problem;
    }
    // Recorded on arrival, so that a check still out is seen while it is out.
    let index = state.check_started();
    let answer = match state.next_fault() {
        Some(CheckFault::ServiceUnavailableHtml) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            "<!DOCTYPE html><html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
        )
            .into_response(),
        Some(CheckFault::TooManyRequests { retry_after_secs }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (header::CONTENT_TYPE, "text/html".to_owned()),
                (header::RETRY_AFTER, retry_after_secs.to_string()),
            ],
            "<html><body>Too Many Requests</body></html>",
        )
            .into_response(),
        Some(CheckFault::MalformedJson) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"ok\": tru",
        )
            .into_response(),
        Some(CheckFault::Slow(delay)) => {
            let answer = check_answer(&state, &session, false).await;
            tokio::time::sleep(delay).await;
            answer
        }
        Some(CheckFault::InternalErrorHtml) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
        )
            .into_response(),
        Some(CheckFault::MovedPermanently) => (
            StatusCode::MOVED_PERMANENTLY,
            [(
                header::LOCATION,
                "https://elsewhere.example/api/miauth/x/check",
            )],
            "",
        )
            .into_response(),
        Some(CheckFault::WrongShape) => api_json(StatusCode::OK, json!({"result": "fine"})),
        Some(CheckFault::OkWithoutToken) => api_json(StatusCode::OK, json!({"ok": true})),
        Some(CheckFault::Huge) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            vec![b' '; 10 * 1024 * 1024],
        )
            .into_response(),
        Some(CheckFault::ResetMidResponse) => {
            let _spent = state.spend_token(&session, false).await;
            let chunks: Vec<Result<&'static [u8], std::io::Error>> = vec![
                Ok(b"{\"ok\": tr"),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "cut",
                )),
            ];
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                axum::body::Body::from_stream(futures_stream(chunks)),
            )
                .into_response()
        }
        Some(CheckFault::HtmlStatus(code)) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [(header::CONTENT_TYPE, "text/html")],
            format!("<html><body><h1>{code}</h1></body></html>"),
        )
            .into_response(),
        Some(CheckFault::SpendThen502) => {
            let _spent = state.spend_token(&session, false).await;
            (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            )
                .into_response()
        }
        Some(CheckFault::NeverEnds) => {
            let _spent = state.spend_token(&session, false).await;
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                axum::body::Body::from_stream(Pending),
            )
                .into_response()
        }
        Some(CheckFault::Hold) => check_answer(&state, &session, true).await,
        None => check_answer(&state, &session, false).await,
    };
    state.check_answered(index);
    answer
}

/// A body stream yielding `items` in order.
fn futures_stream(
    items: Vec<Result<&'static [u8], std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<&'static [u8], std::io::Error>> + Send {
    struct Items(std::collections::VecDeque<Result<&'static [u8], std::io::Error>>);
    impl futures_core::Stream for Items {
        type Item = Result<&'static [u8], std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.pop_front())
        }
    }
    Items(items.into())
}

/// A body stream that never yields.
struct Pending;

impl futures_core::Stream for Pending {
    type Item = Result<&'static [u8], std::io::Error>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Pending
    }
}

/// The real answer: the oldest unfetched token, once, or `{"ok":false}`; with `hold`, held
/// open between reading the token and marking it fetched.
async fn check_answer(state: &MockState, session: &str, hold: bool) -> Response {
    match state.spend_token(session, hold).await {
        Some(token) => api_json(
            StatusCode::OK,
            json!({"ok": true, "token": token, "user": user_json(state)}),
        ),
        None => api_json(StatusCode::OK, json!({"ok": false})),
    }
}
