//! The fake instance's API: the check endpoint, `/api/meta`, `/api/i`, `/api/users/show`,
//! nodeinfo, WebFinger and host-meta.
//!
//! Answers are those recorded from Misskey 2025.11.1 (`observed-misskey-2025.11.1.md`):
//! the check is POST only, always 200 with `{"ok":false}` unless a token is waiting, hands each
//! token out once, rejects an empty body sent as JSON with 400, and does not route a session
//! longer than 100 characters. Reading the token and marking it fetched are two steps, as on
//! the real server, so two checks at once may both be handed it. With federation off, nodeinfo's
//! index, WebFinger and host-meta answer 403 with an empty body, while the API still answers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{CheckFault, MockState, TokenCheck, firefish};

/// Misskey's own check: a longer session never matches the route.
const MAX_SESSION: usize = 100;

fn api_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=0, must-revalidate"),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

/// An endpoint the API does not have (or not for that method).
fn unknown_endpoint(state: &MockState) -> Response {
    if state.config.quirks.firefish_api {
        return firefish::internal_server_error();
    }
    api_json(
        StatusCode::NOT_FOUND,
        json!({"error": {
            "message": "Unknown API endpoint.",
            "code": "UNKNOWN_API_ENDPOINT",
            "id": "2ca3b769-540a-4f08-9dd5-b5a825b6d0f1",
            "kind": "client",
        }}),
    )
}

/// The body parsing of the server played (Fastify's, or Firefish's Koa): what a request body
/// must look like to reach the handler.
fn body_problem(state: &MockState, headers: &HeaderMap, body: &Bytes) -> Option<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if state.config.quirks.firefish_api {
        // An empty JSON body is taken as `{}`; plain text is refused.
        return (content_type.as_deref() == Some("text/plain")).then(firefish::bad_request);
    }
    match content_type.as_deref() {
        None | Some("text/plain") => None,
        Some("application/json") if body.is_empty() => Some(api_json(
            StatusCode::BAD_REQUEST,
            json!({
                "statusCode": 400,
                "code": "FST_ERR_CTP_EMPTY_JSON_BODY",
                "error": "Bad Request",
                "message": "Body cannot be empty when content-type is set to 'application/json'",
            }),
        )),
        Some("application/json") => serde_json::from_slice::<Value>(body).err().map(|e| {
            api_json(
                StatusCode::BAD_REQUEST,
                json!({
                    "statusCode": 400,
                    "code": "FST_ERR_CTP_INVALID_JSON_BODY",
                    "error": "Bad Request",
                    "message": format!("Body is not valid JSON: {e}"),
                }),
            )
        }),
        Some(other) => Some(api_json(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({
                "statusCode": 415,
                "code": "FST_ERR_CTP_INVALID_MEDIA_TYPE",
                "error": "Unsupported Media Type",
                "message": format!("Unsupported Media Type: {other}"),
            }),
        )),
    }
}

/// What a Misskey API endpoint answers before it looks at the request, if anything: 404 where
/// there is no Misskey API, the unknown-endpoint error to anything but POST, and Fastify's
/// checks of the body.
async fn refused(
    state: &MockState,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Response> {
    if !state.config.misskey_api {
        return Some(not_found().await);
    }
    if method != Method::POST {
        return Some(unknown_endpoint(state));
    }
    body_problem(state, headers, body)
}

/// A path under `/api/` that is no endpoint.
pub(super) async fn unknown(State(state): State<Arc<MockState>>) -> Response {
    if !state.config.misskey_api {
        return not_found().await;
    }
    unknown_endpoint(&state)
}

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

/// `POST /api/i`: the account of a token sent as `Authorization: Bearer` or as `i` in the body.
pub(super) async fn i(
    State(state): State<Arc<MockState>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = refused(&state, &method, &headers, &body).await {
        return refusal;
    }
    tokio::time::sleep(state.config.api_i_delay).await;
    let Some(token) = credential(&headers, &body) else {
        return api_json(
            StatusCode::UNAUTHORIZED,
            json!({"error": {
                "message": "Credential required.",
                "code": "CREDENTIAL_REQUIRED",
                "id": "1384574d-a912-4b81-8601-c7b1c4085df1",
                "kind": "client",
            }}),
        );
    };
    match state.token_check(&token) {
        _ if !state.config.tokens_work => authentication_failed(&state),
        TokenCheck::Unknown => authentication_failed(&state),
        TokenCheck::WithoutReadAccount if !state.config.quirks.firefish_api => api_json(
            StatusCode::FORBIDDEN,
            json!({"error": {
                "message": "Your app does not have the necessary permissions to use this endpoint.",
                "code": "PERMISSION_DENIED",
                "id": "1370e5b7-d4eb-4566-bb1d-7748ee6a1838",
                "kind": "permission",
            }}),
        ),
        TokenCheck::WithoutReadAccount | TokenCheck::Fine => {
            api_json(StatusCode::OK, user_json(&state))
        }
    }
}

/// The token a request carries, as `Authorization: Bearer` or as `i` in the body.
fn credential(headers: &HeaderMap, body: &Bytes) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    bearer.or_else(|| {
        serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("i").and_then(Value::as_str).map(str::to_owned))
    })
}

/// The answer to a token the server does not know, or one that was revoked: Misskey's, or
/// the Firefish family's.
fn authentication_failed(state: &MockState) -> Response {
    if state.config.quirks.forbidden_unknown_token {
        return firefish::authentication_failed();
    }
    api_json(
        StatusCode::UNAUTHORIZED,
        json!({"error": {
            "message": "Authentication failed. Please ensure your token is correct.",
            "code": "AUTHENTICATION_FAILED",
            "id": "b0a7f5f8-dc2f-4171-b91f-de88ad238e14",
            "kind": "client",
        }}),
    )
}

/// `POST /api/ping`: 200 with the time for anyone, 401 for a token that does not work,
/// whatever its permissions.
pub(super) async fn ping(
    State(state): State<Arc<MockState>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = refused(&state, &method, &headers, &body).await {
        return refusal;
    }
    tokio::time::sleep(state.config.ping_delay).await;
    if let Some(token) = credential(&headers, &body)
        && (!state.config.tokens_work || state.token_check(&token) == TokenCheck::Unknown)
    {
        return authentication_failed(&state);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    api_json(StatusCode::OK, json!({"pong": now}))
}

/// `POST /api/i/revoke-token`: the web UI's own call; an application's token cannot revoke
/// itself (400 `ACCESS_DENIED`, as observed on Misskey 2025.11.1).
pub(super) async fn revoke_token(
    State(state): State<Arc<MockState>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = refused(&state, &method, &headers, &body).await {
        return refusal;
    }
    match credential(&headers, &body) {
        Some(token) if state.token_check(&token) != TokenCheck::Unknown => api_json(
            StatusCode::BAD_REQUEST,
            json!({"error": {
                "message": "Access denied.",
                "code": "ACCESS_DENIED",
                "id": "56f35758-7dd5-468b-8439-5d6fb8ec9b8e",
                "kind": "client",
            }}),
        ),
        _ => authentication_failed(&state),
    }
}

/// `POST /mock/revoke` with `{"token": "..."}`: only the fake has it; it stands for deleting
/// the app under Settings > Connected apps. 204, or 404 for a token never issued.
pub(super) async fn mock_revoke(State(state): State<Arc<MockState>>, body: Bytes) -> Response {
    let token = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("token").and_then(Value::as_str).map(str::to_owned));
    match token {
        Some(token) if state.revoke(&token) => StatusCode::NO_CONTENT.into_response(),
        Some(_) => api_json(StatusCode::NOT_FOUND, json!({"error": "no such token"})),
        None => api_json(
            StatusCode::BAD_REQUEST,
            json!({"error": "send {\"token\": \"...\"}"}),
        ),
    }
}

/// `POST /api/meta`.
pub(super) async fn meta(State(state): State<Arc<MockState>>, method: Method) -> Response {
    if !state.config.misskey_api {
        return not_found().await;
    }
    if method != Method::POST && method != Method::GET {
        return unknown_endpoint(&state);
    }
    if state.config.meta_blocked {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>Access denied by the CDN</body></html>",
        )
            .into_response();
    }
    let mut features = json!({
        "registration": false,
        "localTimeline": true,
        "globalTimeline": true,
    });
    if let Some(miauth) = state.config.features_miauth {
        features["miauth"] = json!(miauth);
    }
    let mut meta = json!({
        "maintainerName": null,
        "maintainerEmail": null,
        "version": state.config.version,
        "name": "miauth fake instance",
        "uri": state.base_url,
        "description": "A fake Misskey instance for testing MiAuth clients.",
        "features": features,
    });
    if let Some(based) = &state.config.based_misskey_version {
        meta["basedMisskeyVersion"] = json!(based);
    }
    api_json(StatusCode::OK, meta)
}

/// `GET /.well-known/nodeinfo`.
pub(super) async fn nodeinfo_links(State(state): State<Arc<MockState>>) -> Response {
    if state.config.quirks.federation_off {
        return StatusCode::FORBIDDEN.into_response();
    }
    let base = &state.base_url;
    api_json(
        StatusCode::OK,
        json!({"links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{base}/nodeinfo/2.1")},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/nodeinfo/2.0")},
        ]}),
    )
}

/// `GET /nodeinfo/2.1` and `/nodeinfo/2.0`.
pub(super) async fn nodeinfo(
    State(state): State<Arc<MockState>>,
    Path(version): Path<String>,
) -> Response {
    if version != "2.1" && version != "2.0" {
        return not_found().await;
    }
    let metadata = json!({"nodeName": "miauth fake instance"});
    let mut software = json!({"name": state.config.software, "version": state.config.version});
    // Only CherryPick names its Misskey base; Misskey and Sharkey have no such key.
    if let Some(based) = &state.config.based_misskey_version {
        software["basedMisskeyVersion"] = json!(based);
    }
    if let Some(repository) = &state.config.repository
        && version == "2.1"
    {
        software["homepage"] = json!(repository);
        software["repository"] = json!(repository);
    }
    api_json(
        StatusCode::OK,
        json!({
            "version": version,
            "software": software,
            "protocols": ["activitypub"],
            "services": {"inbound": [], "outbound": []},
            "openRegistrations": false,
            "usage": {"users": {"total": 1}},
            "metadata": metadata,
        }),
    )
}

/// `GET /.well-known/webfinger?resource=acct:USER@HOST`: where the approving account lives.
pub(super) async fn webfinger(
    State(state): State<Arc<MockState>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    if state.config.quirks.federation_off {
        return StatusCode::FORBIDDEN.into_response();
    }
    let resource = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "resource")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let user = resource
        .strip_prefix("acct:")
        .and_then(|acct| acct.split_once('@'))
        .map(|(user, _)| user.to_owned());
    if user.as_deref() != Some(state.config.username.as_str()) {
        return api_json(StatusCode::NOT_FOUND, json!({"error": "not found"}));
    }
    let base = &state.base_url;
    let username = &state.config.username;
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/jrd+json; charset=utf-8")],
        json!({
            "subject": resource,
            "links": [
                {"rel": "self", "type": "application/activity+json", "href": format!("{base}/users/9x8y7z6w5v4u3t2s")},
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": format!("{base}/@{username}")},
            ],
        })
        .to_string(),
    )
        .into_response()
}

/// `GET /.well-known/host-meta`: where WebFinger lives.
pub(super) async fn host_meta(State(state): State<Arc<MockState>>) -> Response {
    if state.config.quirks.federation_off {
        return StatusCode::FORBIDDEN.into_response();
    }
    let base = &state.base_url;
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xrd+xml")],
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" type=\"application/xrd+xml\" template=\"{base}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n"
        ),
    )
        .into_response()
}

/// `POST /api/users/show` for a local account by `username` (no credential needed): the public
/// user object, or 404 `NO_SUCH_USER`. Like Misskey, the username is trimmed and matched
/// without case; a `host` names a remote account, which a server with federation off cannot
/// fetch.
pub(super) async fn users_show(
    State(state): State<Arc<MockState>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = refused(&state, &method, &headers, &body).await {
        return refusal;
    }
    let params = serde_json::from_slice::<Value>(&body).unwrap_or_else(|_| json!({}));
    let Some(username) = params.get("username").and_then(Value::as_str) else {
        return api_json(
            StatusCode::BAD_REQUEST,
            json!({"error": {
                "message": "Invalid param.",
                "code": "INVALID_PARAM",
                "id": "3d81ceae-475f-4600-b2a8-2bc116157532",
                "kind": "client",
                "info": {"param": "#/anyOf", "reason": "must match a schema in anyOf"},
            }}),
        );
    };
    let own_host = state
        .base_url
        .split_once("://")
        .map_or("", |(_, authority)| authority);
    match params.get("host").and_then(Value::as_str) {
        Some(host) if !host.eq_ignore_ascii_case(own_host) => {
            return api_json(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": {
                    "message": "Failed to resolve remote user.",
                    "code": "FAILED_TO_RESOLVE_REMOTE_USER",
                    "id": "ef7b9be4-9cba-4e6f-ab41-90ed171c7d3c",
                    "kind": "server",
                }}),
            );
        }
        _ => {}
    }
    if !username.trim().eq_ignore_ascii_case(&state.config.username) {
        return api_json(
            StatusCode::NOT_FOUND,
            json!({"error": {
                "message": "No such user.",
                "code": "NO_SUCH_USER",
                "id": "4362f8dc-731f-4ad8-a694-be5a88922a24",
                "kind": "client",
            }}),
        );
    }
    api_json(StatusCode::OK, user_json(&state))
}

/// Anything else.
pub(crate) async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html")],
        "<!DOCTYPE html><html><body><h1>The page you were looking for doesn't exist.</h1></body></html>",
    )
        .into_response()
}

/// The approving account, shaped like Misskey's `MeDetailed` (shortened).
fn user_json(state: &MockState) -> Value {
    let username = &state.config.username;
    json!({
        "id": "9x8y7z6w5v4u3t2s",
        "name": state.config.display_name,
        "username": username,
        "host": null,
        "avatarUrl": format!("{}/identicon/{username}", state.base_url),
        "avatarBlurhash": null,
        "avatarDecorations": [],
        "isBot": false,
        "isCat": false,
        "emojis": {},
        "onlineStatus": "online",
        "badgeRoles": [],
    })
}
