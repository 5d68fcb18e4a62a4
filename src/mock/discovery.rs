//! What a client reads to find out what the server is: `/api/meta`, nodeinfo, WebFinger,
//! host-meta and `/api/users/show`, as the server the fake plays answers them. With federation
//! off, nodeinfo's index, WebFinger and host-meta answer 403 with an empty body, while the API
//! still answers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::MockState;
use super::api::{api_json, not_found, refused, unknown_endpoint, user_json};

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
