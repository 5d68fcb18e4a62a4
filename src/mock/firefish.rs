//! The answers of the Firefish family where they differ from Misskey's, as observed on Firefish
//! 20241205 and Iceshrimp 2026.5.1 (`observed-misskey-2025.11.1.md`, "Firefish 20241205").
//!
//! Their API runs on Koa, not Fastify: a token it does not know gets 403 with the error not
//! wrapped in `error`, and what its router or body parser refuses is plain text. The endpoints
//! in `api.rs` ask [`super::Quirks`] and take these answers from here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A revoked or unknown token: 403, `WWW-Authenticate: Bearer`, and the error unwrapped.
pub(super) fn authentication_failed() -> Response {
    (
        StatusCode::FORBIDDEN,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
            (header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")),
        ],
        json!({
            "message": "Authentication failed: unknown token",
            "code": "AUTHENTICATION_FAILED",
            "id": "b0a7f5f8-dc2f-4171-b91f-de88ad238e14",
            "kind": "client",
        })
        .to_string(),
    )
        .into_response()
}

/// A method the router does not have, or a path under `/api/` it does not know: Koa's 500.
pub(super) fn internal_server_error() -> Response {
    plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// A body the parser refuses (`text/plain`, say): Koa's 400.
pub(super) fn bad_request() -> Response {
    plain(StatusCode::BAD_REQUEST, "Bad Request")
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}
