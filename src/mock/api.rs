//! The fake instance's API: what every endpoint checks before the request (the method, the
//! body as Fastify parses it), the errors it answers with, and the endpoints a token is used
//! with (`/api/i`, `/api/ping`, revoking). The check endpoint is `check.rs`; what a client reads
//! to find the server (meta, nodeinfo, WebFinger, host-meta, users/show) is `discovery.rs`.
//!
//! Answers are those recorded from Misskey 2025.11.1 and 2026.7.0
//! (`observed-misskey-2025.11.1.md`), or those of the server the fake is dressed as
//! (`firefish.rs` for the Firefish family); revoking a token with itself follows the change
//! published for Misskey 2026.9.0 where the fake is dressed as that release or a later one.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{MockState, TokenCheck, firefish};

pub(super) fn api_json(status: StatusCode, body: Value) -> Response {
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
pub(super) fn unknown_endpoint(state: &MockState) -> Response {
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
pub(super) fn body_problem(
    state: &MockState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Response> {
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
pub(super) async fn refused(
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
        return credential_required(CREDENTIAL_REQUIRED_ID);
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

/// The id of Misskey's `CREDENTIAL_REQUIRED`, for endpoints that have no such error of their own.
const CREDENTIAL_REQUIRED_ID: &str = "1384574d-a912-4b81-8601-c7b1c4085df1";

/// A request without a token to an endpoint that needs one; `id` is the generic
/// [`CREDENTIAL_REQUIRED_ID`], or the endpoint's own where it declares one.
fn credential_required(id: &'static str) -> Response {
    api_json(
        StatusCode::UNAUTHORIZED,
        json!({"error": {
            "message": "Credential required.",
            "code": "CREDENTIAL_REQUIRED",
            "id": id,
            "kind": "client",
        }}),
    )
}

/// The token a request carries, as `Authorization: Bearer` or as `i` in the body.
pub(super) fn credential(headers: &HeaderMap, body: &Bytes) -> Option<String> {
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
pub(super) fn authentication_failed(state: &MockState) -> Response {
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

/// `POST /api/i/revoke-token` called with an application's token (the fake has no web client
/// token). Every server observed keeps the endpoint to the web client's own token and refuses
/// any other before it reads the parameters: 400 `ACCESS_DENIED`, and the token goes on
/// working. Misskey 2026.9.0 and later ([`Quirks::revokes_own_token`](super::Quirks)) let
/// a token revoke itself: see [`revoke_by_itself`].
pub(super) async fn revoke_token(
    State(state): State<Arc<MockState>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = refused(&state, &method, &headers, &body).await {
        return refusal;
    }
    let revokes_own_token = state.config.quirks.revokes_own_token;
    let Some(token) = credential(&headers, &body) else {
        // 2026.9.0 declares a CREDENTIAL_REQUIRED of this endpoint's own, with its own id.
        return credential_required(if revokes_own_token {
            "6f1f0d3a-3d5b-4b1f-9c3e-2a6d1e5b8c47"
        } else {
            CREDENTIAL_REQUIRED_ID
        });
    };
    if !state.config.tokens_work || state.token_check(&token) == TokenCheck::Unknown {
        return authentication_failed(&state);
    }
    if revokes_own_token {
        revoke_by_itself(&state, &token, &body)
    } else {
        access_denied(&state)
    }
}

/// Misskey 2026.9.0's `i/revoke-token` called with the live token `credential`: it deletes
/// itself when named as `token` (204); naming another live token of the account is refused
/// (403, nothing deleted); anything else, a token that matches nothing, `null` or `""`
/// included, is 204 with nothing deleted, so that an application learns nothing of tokens
/// that are not its own.
fn revoke_by_itself(state: &MockState, credential: &str, body: &Bytes) -> Response {
    let params = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    // `tokenId` names a token by its database id; the fake gives its tokens none, so every
    // `tokenId` matches nothing and falls to the 204 below.
    let named = params.get("token").and_then(Value::as_str);
    match named {
        Some(named) if named == credential => {
            state.revoke(credential);
            no_content()
        }
        // Every token the fake issues belongs to its one account.
        Some(named) if state.token_check(named) != TokenCheck::Unknown => api_json(
            StatusCode::FORBIDDEN,
            json!({"error": {
                "message": "Permission denied.",
                "code": "PERMISSION_DENIED",
                "id": "fc20d118-5705-4462-b6c5-2b5b43092cf3",
                "kind": "client",
            }}),
        ),
        _ => no_content(),
    }
}

/// An endpoint kept for the web client, called with an application's token: 400
/// `ACCESS_DENIED`, with `WWW-Authenticate` naming the realm (Misskey's, or CherryPick's own)
/// except on the Firefish family.
fn access_denied(state: &MockState) -> Response {
    let mut response = api_json(
        StatusCode::BAD_REQUEST,
        json!({"error": {
            "message": "Access denied.",
            "code": "ACCESS_DENIED",
            "id": "56f35758-7dd5-468b-8439-5d6fb8ec9b8e",
            "kind": "client",
        }}),
    );
    if !state.config.quirks.access_denied_without_challenge {
        // CherryPick renamed the realm; Sharkey and the others kept Misskey's.
        let challenge = if state.config.software.eq_ignore_ascii_case("cherrypick") {
            r#"Bearer realm="CherryPick", error="invalid_request", error_description="Access denied.""#
        } else {
            r#"Bearer realm="Misskey", error="invalid_request", error_description="Access denied.""#
        };
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    response
}

/// 204 with an empty body, as Misskey answers an endpoint that returns nothing.
fn no_content() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=0, must-revalidate"),
        )],
    )
        .into_response()
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
pub(super) fn user_json(state: &MockState) -> Value {
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
