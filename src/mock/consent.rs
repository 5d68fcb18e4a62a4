//! The fake consent page `/miauth/{session}`: what the user sees, and what Accept and Deny do.
//!
//! Like the real page it decodes query values twice, splits `permission` on `,` without
//! trimming, drops names it does not know, fails on repeated names, on a name over 128
//! characters and on an icon URL over 512, and after Accept sends the browser to the callback
//! with `session` set. Deny does nothing on the server and redirects nowhere.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ConsentRequest, MockState};
use crate::page::{MessagePage, Tone, html};

const FOOTER: &str = "miauth fake instance: for testing only, no real account is involved.";

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    app_name: &'a str,
    username: &'a str,
    session: &'a str,
    permissions: Vec<String>,
    callback: Option<&'a str>,
}

/// `GET /miauth/{session}`: the consent page, or with auto-approve an immediate redirect.
pub(super) async fn page(
    State(state): State<Arc<MockState>>,
    Path(session): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if !state.config.miauth {
        return super::api::not_found().await;
    }
    let request = match parse_query(
        query.as_deref().unwrap_or(""),
        !state.config.quirks.single_decode,
    ) {
        Ok(r) => r,
        Err(e) => {
            return message(
                StatusCode::BAD_REQUEST,
                "This page could not load",
                &e,
                Tone::Bad,
            );
        }
    };
    state
        .records()
        .consent
        .insert(session.clone(), request.clone());
    if state.config.auto_approve {
        return accept(&state, &session, &request, StatusCode::FOUND);
    }
    let page = ConsentPage {
        app_name: request.name.as_deref().unwrap_or("Unnamed app"),
        username: &state.config.username,
        session: &session,
        permissions: request
            .permission
            .as_deref()
            .map(|p| p.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        callback: request.callback.as_deref(),
    };
    html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(super) struct Decision {
    action: String,
}

/// `POST /miauth/{session}`: the Accept or Deny button.
pub(super) async fn decide(
    State(state): State<Arc<MockState>>,
    Path(session): Path<String>,
    Form(decision): Form<Decision>,
) -> Response {
    let request = state.records().consent.get(&session).cloned();
    let Some(request) = request else {
        return message(
            StatusCode::BAD_REQUEST,
            "Unknown session",
            "Open the authorisation page first.",
            Tone::Bad,
        );
    };
    match decision.action.as_str() {
        "accept" => accept(&state, &session, &request, StatusCode::SEE_OTHER),
        _ => message(
            StatusCode::OK,
            "Access denied",
            "You denied the application access. Nothing was created; the application is not told.",
            Tone::Info,
        ),
    }
}

/// Creates the token and sends the browser on, as the real page's Accept does.
fn accept(
    state: &MockState,
    session: &str,
    request: &ConsentRequest,
    redirect: StatusCode,
) -> Response {
    let quirks = &state.config.quirks;
    let created = match token_creation_problem(request) {
        Some(problem) => Err(problem),
        None if quirks.approve_without_token => Err("token creation failed".to_owned()),
        None => state
            .create_token(session)
            .map(drop)
            .map_err(|e| format!("no random source: {e}")),
    };
    if let Err(problem) = &created {
        // Since 2025.1.0 the page stops here; 2024.11.x redirected anyway.
        if !quirks.approve_without_token || request.callback.is_none() {
            return message(
                StatusCode::BAD_REQUEST,
                "Could not create the token",
                problem,
                Tone::Bad,
            );
        }
    }
    match &request.callback {
        Some(callback) => match callback_url(callback, session, quirks.concatenated_callback) {
            Some(location) => (redirect, [(header::LOCATION, location)]).into_response(),
            None => message(
                StatusCode::BAD_REQUEST,
                "Invalid callback",
                "The application's callback is not a valid URL.",
                Tone::Bad,
            ),
        },
        None => message(
            StatusCode::OK,
            "Access granted",
            "You may now return to the application.",
            Tone::Ok,
        ),
    }
}

/// Why the real server would refuse to create the token, if it would.
fn token_creation_problem(request: &ConsentRequest) -> Option<String> {
    if request
        .name
        .as_ref()
        .is_some_and(|n| n.encode_utf16().count() > 128)
    {
        return Some("the application name is longer than 128 characters".into());
    }
    if request
        .icon
        .as_ref()
        .is_some_and(|i| i.encode_utf16().count() > 512)
    {
        return Some("the icon URL is longer than 512 characters".into());
    }
    let permissions: Vec<&str> = request
        .permission
        .as_deref()
        .map(|p| {
            p.split(',')
                .filter(|n| crate::permission::is_known(n))
                .collect()
        })
        .unwrap_or_default();
    for (i, name) in permissions.iter().enumerate() {
        if permissions[..i].contains(name) {
            return Some(format!("the permission {name} is listed twice"));
        }
    }
    None
}

/// The URL the browser is sent to after Accept.
pub(crate) fn callback_url(callback: &str, session: &str, concatenated: bool) -> Option<String> {
    if concatenated {
        let sep = if callback.contains('?') { '&' } else { '?' };
        return Some(format!("{callback}{sep}session={session}"));
    }
    // new URL(callback); url.searchParams.set('session', session)
    let mut url = url::Url::parse(callback).ok()?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut set = false;
    for (k, v) in url.query_pairs() {
        if k == "session" {
            if !set {
                pairs.push((k.into_owned(), session.to_owned()));
                set = true;
            }
        } else {
            pairs.push((k.into_owned(), v.into_owned()));
        }
    }
    if !set {
        pairs.push(("session".to_owned(), session.to_owned()));
    }
    url.query_pairs_mut().clear().extend_pairs(pairs);
    Some(url.to_string())
}

/// URLSearchParams, then (unless `twice` is false) decodeURIComponent on each value.
fn parse_query(query: &str, twice: bool) -> Result<ConsentRequest, String> {
    let mut request = ConsentRequest::default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = if twice {
            decode_uri_component(&value)?
        } else {
            value.into_owned()
        };
        let slot = match key.as_ref() {
            "name" => &mut request.name,
            "icon" => &mut request.icon,
            "callback" => &mut request.callback,
            "permission" => &mut request.permission,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    Ok(request)
}

/// JavaScript's decodeURIComponent: a malformed escape throws, as it does in the browser.
fn decode_uri_component(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err(format!("URIError: URI malformed in {value:?}"));
        }
    }
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("URIError: URI malformed in {value:?}"))
}

fn message(status: StatusCode, title: &str, text: &str, tone: Tone) -> Response {
    html(
        status,
        &MessagePage {
            title: title.to_owned(),
            tone,
            badge: "Fake instance",
            lines: vec![text.to_owned()],
            next_step: "You can close this tab.".to_owned(),
            footer: FOOTER,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_is_built_like_new_url_and_search_params_set() {
        let cases = [
            ("http://127.0.0.1:9/cb", "http://127.0.0.1:9/cb?session=S"),
            (
                "http://127.0.0.1:9/cb?x=1",
                "http://127.0.0.1:9/cb?x=1&session=S",
            ),
            (
                "http://127.0.0.1:9/cb?session=old&x=1&session=again",
                "http://127.0.0.1:9/cb?session=S&x=1",
            ),
            ("http://127.0.0.1:9", "http://127.0.0.1:9/?session=S"),
            (
                "http://127.0.0.1:9/cb#frag",
                "http://127.0.0.1:9/cb?session=S#frag",
            ),
        ];
        for (callback, want) in cases {
            assert_eq!(
                callback_url(callback, "S", false).as_deref(),
                Some(want),
                "{callback}"
            );
        }
        assert_eq!(callback_url("not a url", "S", false), None);
    }

    #[test]
    fn firefish_concatenates() {
        assert_eq!(
            callback_url("http://h/cb", "S", true).unwrap(),
            "http://h/cb?session=S"
        );
        assert_eq!(
            callback_url("http://h/cb?x=1", "S", true).unwrap(),
            "http://h/cb?x=1&session=S"
        );
        assert_eq!(
            callback_url("http://h/cb#f", "S", true).unwrap(),
            "http://h/cb#f?session=S"
        );
    }

    #[test]
    fn values_are_decoded_twice() {
        let r = parse_query(
            "name=100%2525%20sure%2Bmore+x&permission=read%3Aaccount",
            true,
        )
        .unwrap();
        assert_eq!(r.name.as_deref(), Some("100% sure+more x"));
        assert_eq!(r.permission.as_deref(), Some("read:account"));
        // A lone percent sign after the first decoding breaks the page, as in the browser.
        let e = parse_query("name=100%25", true).unwrap_err();
        assert!(e.starts_with("URIError"), "{e}");
        assert_eq!(
            parse_query("name=100%25", false).unwrap().name.as_deref(),
            Some("100%")
        );
    }

    #[test]
    fn repeated_permissions_fail_and_unknown_ones_are_dropped() {
        let mut r = ConsentRequest {
            permission: Some("read:account,read:account".into()),
            ..Default::default()
        };
        assert!(token_creation_problem(&r).unwrap().contains("twice"));
        r.permission = Some("read:account,read:nonsense,read:nonsense".into());
        assert_eq!(token_creation_problem(&r), None);
        r.name = Some("x".repeat(129));
        assert!(token_creation_problem(&r).unwrap().contains("128"));
    }

    proptest::proptest! {
        /// What miauth sends survives the consent page's double decoding, for any value
        /// without '%' (the one character that cannot, and which miauth refuses up front).
        #[test]
        fn strictly_encoded_values_survive_double_decoding(value in "[^%]{0,60}") {
            let query = format!("name={}", crate::authorize::encode(&value));
            let seen = parse_query(&query, true).unwrap();
            proptest::prop_assert_eq!(seen.name.as_deref(), Some(value.as_str()));
        }

        #[test]
        fn any_query_is_handled_without_panicking(query in "\\PC{0,80}") {
            let _ = parse_query(&query, true);
            let _ = parse_query(&query, false);
        }
    }
}
