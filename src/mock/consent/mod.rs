//! The fake consent page `/miauth/{session}`: what the user sees, and what Accept and Deny do.
//!
//! Like the real page it decodes query values twice, splits `permission` on `,` without
//! trimming, drops names it does not know (older servers and some forks keep them), fails on
//! repeated names, on a name over 128 characters and on an icon URL over 512 (counted as
//! PostgreSQL counts them), and after Accept sends the browser to the callback with `session`
//! set, at once or (as a slow browser does) later: see [`Redirect`]. Deny does nothing on the
//! server and redirects nowhere. Dressed as Misskey 2024.11 or later (or a fork on it), the
//! page first asks which account to use, and Accept appears only after Continue.

use std::sync::Arc;
use std::time::Duration;

/// With [`Redirect::AfterFetched`], how long the browser is held at most waiting for a check.
const FETCH_WAIT_LIMIT: Duration = Duration::from_secs(120);

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ConsentRequest, Kept, MockState, Redirect};
use crate::page::{MessagePage, Tone, html};

const FOOTER: &str = "miauth fake instance: for testing only, no real account is involved.";

/// The longest application name the server stores: `access_token.name` is `varchar(128)`, and
/// PostgreSQL counts characters (Unicode code points), not bytes nor UTF-16 units.
const MAX_NAME_CHARS: usize = 128;
/// The longest icon URL the server stores: `access_token.iconUrl` is `varchar(512)`.
const MAX_ICON_CHARS: usize = 512;

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    app_name: &'a str,
    username: &'a str,
    session: &'a str,
    permissions: Vec<String>,
    callback: Option<&'a str>,
    /// The account picker and Continue, before the permissions with Accept and Deny.
    picker: bool,
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
        return accept(&state, &session, &request, StatusCode::FOUND).await;
    }
    consent_page(&state, &session, &request, state.config.account_picker)
}

/// The page with the account picker, or with the permissions and Accept and Deny.
fn consent_page(
    state: &MockState,
    session: &str,
    request: &ConsentRequest,
    picker: bool,
) -> Response {
    let page = ConsentPage {
        app_name: request.name.as_deref().unwrap_or("Unnamed app"),
        username: &state.config.username,
        session,
        permissions: request
            .permission
            .as_deref()
            .map(|p| p.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        callback: request.callback.as_deref(),
        picker,
    };
    html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub(super) struct Decision {
    action: String,
}

/// `POST /miauth/{session}`: Continue on the account picker, or the Accept or Deny button.
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
    let picked = |state: &MockState| state.records().picked.contains(&session);
    match decision.action.as_str() {
        "continue" if state.config.account_picker => {
            state.update(|records| records.picked.insert(session.clone()));
            consent_page(&state, &session, &request, false)
        }
        // Accept is not on the page until an account was chosen.
        "accept" if state.config.account_picker && !picked(&state) => message(
            StatusCode::BAD_REQUEST,
            "Choose an account first",
            "Pick the account to use and press Continue.",
            Tone::Bad,
        ),
        "accept" => accept(&state, &session, &request, StatusCode::SEE_OTHER).await,
        _ => message(
            StatusCode::OK,
            "Access denied",
            "You denied the application access. Nothing was created; the application is not told.",
            Tone::Info,
        ),
    }
}

/// Creates the token and sends the browser on, as the real page's Accept does: first the
/// token, then (after the configured [`Redirect`] delay) the redirect.
async fn accept(
    state: &MockState,
    session: &str,
    request: &ConsentRequest,
    redirect: StatusCode,
) -> Response {
    let quirks = &state.config.quirks;
    let created = match token_creation_problem(request, Kept::of(&state.config)) {
        Some(problem) => Err(problem),
        None if state.config.token_creation_fails => {
            Err("the server could not store the token".to_owned())
        }
        None => state
            .create_token(session)
            .map(drop)
            .map_err(|e| format!("no random source: {e}")),
    };
    if let Err(problem) = &created {
        // The page stops here, except 2024.11.0's, which redirected anyway.
        if !quirks.redirects_after_failed_creation || request.callback.is_none() {
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
            Some(location) => {
                redirect_delay(state, session, created.is_ok()).await;
                state.update(|records| records.redirects += 1);
                (redirect, [(header::LOCATION, location)]).into_response()
            }
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

/// Waits as [`MockConfig::redirect`](super::MockConfig::redirect) says before the browser is
/// sent to the callback. Without a token (its creation failed) there is nothing to fetch, so
/// only the delay itself applies.
async fn redirect_delay(state: &MockState, session: &str, created: bool) {
    let delay = match state.config.redirect {
        Redirect::AtOnce => Duration::ZERO,
        Redirect::After(delay) => delay,
        Redirect::AfterFetched(delay) => {
            if created {
                // Bounded, like a real page that gives up: a client that never checks does
                // not hold the browser's request open for ever.
                let fetched = state.wait_until(|records| MockState::fetched(records, session));
                let _ = tokio::time::timeout(FETCH_WAIT_LIMIT, fetched).await;
            }
            delay
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// The permission names the page passes on to token creation: every one on a server that
/// keeps names it does not know, otherwise only those that server knows.
pub(super) fn granted(permission: Option<&str>, kept: Kept) -> Vec<&str> {
    permission
        .map(|p| p.split(',').filter(|n| kept.keeps(n)).collect())
        .unwrap_or_default()
}

/// Why the real server would refuse to create the token, if it would: a value too long for
/// its column, or a permission passed on twice (the endpoint wants unique items).
fn token_creation_problem(request: &ConsentRequest, kept: Kept) -> Option<String> {
    if request
        .name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        return Some(format!(
            "the application name is longer than {MAX_NAME_CHARS} characters"
        ));
    }
    if request
        .icon
        .as_ref()
        .is_some_and(|i| i.chars().count() > MAX_ICON_CHARS)
    {
        return Some(format!(
            "the icon URL is longer than {MAX_ICON_CHARS} characters"
        ));
    }
    let permissions = granted(request.permission.as_deref(), kept);
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
mod tests;
