//! The MiAuth check call, what its answers mean, and the account it returns.
//!
//! It never touches the loopback server. Each failure is classified for the wait: worth another
//! try or not, and whether the request may have reached the server (and spent the token).
//! Whether a token still works, once handed out, is `liveness.rs`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::client::{BodyError, MAX_BODY, describe, is_tls, read_bounded};
use crate::{AccessToken, Error, Instance, SessionId};

pub use crate::client::InstanceClient;
pub use liveness::Liveness;
pub(crate) use liveness::{error_field, liveness};

mod liveness;

/// The account a token belongs to, read leniently: large instances add many fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The account's id on its instance.
    #[serde(default)]
    pub id: String,
    /// The username, without `@`.
    #[serde(default)]
    pub username: String,
    /// `None` means the instance itself.
    #[serde(default)]
    pub host: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The URL of the account's avatar, when the instance sent one (never serialised).
    #[serde(default, rename = "avatarUrl", skip_serializing)]
    pub avatar_url: Option<String>,
}

impl User {
    /// `@username@host`, with the instance's authority when the user is local to it.
    pub fn handle(&self, instance: &Instance) -> String {
        let host = self.host.clone().unwrap_or_else(|| instance.authority());
        format!("@{}@{host}", self.username)
    }
}

/// What one check said.
#[derive(Debug)]
pub enum CheckOutcome {
    /// The token, handed out now and never again.
    Approved {
        /// The access token.
        token: AccessToken,
        /// The account that approved, as the check's answer describes it.
        user: User,
    },
    /// `{"ok":false}`: unknown, pending, denied or already fetched; they cannot be told apart.
    NotApproved,
}

impl InstanceClient {
    /// `POST /api/miauth/SESSION/check` with body `{}`. Run one at a time: the token is handed
    /// out once, and two checks at once may both be answered with it.
    pub async fn check(&self, session: &SessionId) -> Result<CheckOutcome, CheckFailure> {
        let url = self.instance.url_of(&format!(
            "/api/miauth/{}/check",
            crate::authorize::encode(session.expose())
        ));
        tracing::debug!(instance = %self.instance, "checking the session");
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await
            .map_err(|e| self.send_failure(&e))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = read_bounded(response).await.map_err(|e| match e {
            BodyError::Transport(e) => self.lost(&e),
            BodyError::TooLarge => CheckFailure::transient(
                self.unexpected(format!("an answer larger than {MAX_BODY} bytes")),
            ),
        })?;
        if status != reqwest::StatusCode::OK {
            let error = self.unexpected(format!("HTTP {status}{}", describe_body(&body)));
            let is_json = serde_json::from_slice::<serde_json::Value>(&body).is_ok();
            return Err(match status.as_u16() {
                // Refused before the server looked at it (CDN, rate limit, overload).
                403 | 408 | 425 | 429 | 503 => CheckFailure {
                    retry_after,
                    ..CheckFailure::transient(error)
                },
                // The server, or the proxy in front of it, failed, perhaps after handing out
                // the token.
                500 | 502 | 504 => CheckFailure {
                    maybe_processed: true,
                    retry_after,
                    ..CheckFailure::transient(error)
                },
                // A redirect, or an error Misskey itself wrote: no retry will change it.
                300..=399 => CheckFailure::fatal(error),
                _ if is_json => CheckFailure::fatal(error),
                // Any other page a CDN or load balancer wrote: worth another try.
                _ => CheckFailure {
                    retry_after,
                    ..CheckFailure::transient(error)
                },
            });
        }
        parse_check(&body).map_err(|bad| match bad {
            BadAnswer::NotJson => {
                CheckFailure::transient(self.unexpected("an answer that is not JSON".into()))
            }
            BadAnswer::Shape(detail) => CheckFailure::fatal(self.unexpected(detail)),
        })
    }

    fn unexpected(&self, detail: String) -> Error {
        Error::UnexpectedAnswer {
            instance: self.instance.to_string(),
            request: "the token check",
            detail,
        }
    }

    /// Sending failed: when connecting failed nothing reached the server.
    fn send_failure(&self, e: &reqwest::Error) -> CheckFailure {
        let reason = describe(e);
        let instance = self.instance.to_string();
        if e.is_connect() {
            if is_tls(e) {
                CheckFailure::fatal(Error::Tls { instance, reason })
            } else {
                CheckFailure::transient(Error::Unreachable { instance, reason })
            }
        } else {
            self.lost(e)
        }
    }

    /// The request was sent but its answer, which may have held the token, did not arrive.
    fn lost(&self, e: &reqwest::Error) -> CheckFailure {
        CheckFailure {
            maybe_processed: true,
            ..CheckFailure::transient(Error::CheckAnswerLost {
                instance: self.instance.to_string(),
                reason: describe(e),
            })
        }
    }
}

/// A check that failed, and what that means for the next one.
#[derive(Debug)]
pub struct CheckFailure {
    /// What to tell the user.
    pub error: Error,
    /// Worth trying again later (rate limits, overload, network trouble, CDN pages).
    pub transient: bool,
    /// The request may have reached the server, which may have handed out the token.
    pub maybe_processed: bool,
    /// How long the server asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl CheckFailure {
    fn transient(error: Error) -> Self {
        CheckFailure {
            error,
            transient: true,
            maybe_processed: false,
            retry_after: None,
        }
    }

    fn fatal(error: Error) -> Self {
        CheckFailure {
            transient: false,
            ..CheckFailure::transient(error)
        }
    }
}

/// `Retry-After` as seconds or an HTTP date, capped at an hour.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    };
    Some(wait.min(Duration::from_secs(3600)))
}

/// A hint at what a non-200 body was, without echoing it.
fn describe_body(body: &[u8]) -> &'static str {
    let start = String::from_utf8_lossy(&body[..body.len().min(256)]).to_ascii_lowercase();
    if start.trim_start().starts_with('{') {
        ""
    } else if start.contains("<html") || start.contains("<!doctype") {
        " with an HTML page"
    } else {
        ""
    }
}

/// Why an answer with status 200 is not a check answer.
#[derive(Debug, PartialEq, Eq)]
enum BadAnswer {
    /// Not JSON at all: a CDN's or proxy's page, worth another try.
    NotJson,
    /// JSON, but not what a MiAuth server says.
    Shape(String),
}

/// Parses a check answer. `ok:true` counts only with a non-empty token.
fn parse_check(body: &[u8]) -> Result<CheckOutcome, BadAnswer> {
    #[derive(Deserialize)]
    struct Answer {
        ok: bool,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        user: Option<serde_json::Value>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        if serde_json::from_slice::<serde_json::Value>(body).is_ok() {
            BadAnswer::Shape(format!("JSON of an unexpected shape ({e})"))
        } else {
            BadAnswer::NotJson
        }
    })?;
    if !answer.ok {
        return Ok(CheckOutcome::NotApproved);
    }
    let token = match answer.token {
        Some(t) if !t.is_empty() => AccessToken::new(t),
        _ => return Err(BadAnswer::Shape("\"ok\": true without a token".to_owned())),
    };
    // The token is already handed out: an odd user object must not lose it.
    let user = answer
        .user
        .and_then(|u| serde_json::from_value(u).ok())
        .unwrap_or_else(|| {
            tracing::warn!("the check answer's user object could not be read");
            User::default()
        });
    Ok(CheckOutcome::Approved { token, user })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_observed_success_answer_parses() {
        let body = br#"{"ok":true,"token":"8YE0sR5HGREPjcRkUQ0d0SPMi1pHZnsW","user":{"id":"au4joo606jd40003","name":null,"username":"admin","host":null,"avatarUrl":"http://127.0.0.1:3000/identicon/admin@127.0.0.1:3000","avatarBlurhash":null,"avatarDecorations":[],"isBot":false,"isCat":false,"emojis":{},"onlineStatus":"online"}}"#;
        let CheckOutcome::Approved { token, user } = parse_check(body).unwrap() else {
            panic!("not approved")
        };
        assert_eq!(token.expose(), "8YE0sR5HGREPjcRkUQ0d0SPMi1pHZnsW");
        assert_eq!(user.username, "admin");
        assert_eq!(user.host, None);
        let instance = Instance::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(user.handle(&instance), "@admin@127.0.0.1:3000");
    }

    #[test]
    fn ok_false_is_not_approved() {
        assert!(matches!(
            parse_check(br#"{"ok":false}"#),
            Ok(CheckOutcome::NotApproved)
        ));
    }

    #[test]
    fn ok_true_needs_a_non_empty_token() {
        for body in [&br#"{"ok":true}"#[..], br#"{"ok":true,"token":""}"#] {
            let e = parse_check(body).err().unwrap();
            assert_eq!(e, BadAnswer::Shape("\"ok\": true without a token".into()));
        }
    }

    #[test]
    fn a_token_with_an_odd_user_is_still_delivered() {
        let CheckOutcome::Approved { token, user } =
            parse_check(br#"{"ok":true,"token":"t0k","user":{"username":42}}"#).unwrap()
        else {
            panic!("not approved")
        };
        assert_eq!(token.expose(), "t0k");
        assert_eq!(user, User::default());
    }

    #[test]
    fn html_and_wrong_shapes_are_named() {
        let e = parse_check(b"<html>503</html>").err().unwrap();
        assert_eq!(e, BadAnswer::NotJson);
        let Some(BadAnswer::Shape(e)) = parse_check(br#"{"status":"fine"}"#).err() else {
            panic!("not a shape error")
        };
        assert!(e.starts_with("JSON of an unexpected shape"), "{e}");
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        h.insert(
            "retry-after",
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let got = retry_after(&h).unwrap();
        assert!(
            got > Duration::from_secs(100) && got <= Duration::from_secs(120),
            "{got:?}"
        );
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
