//! Whether a token still works, as `POST /api/ping` tells it, and what a Misskey-family error
//! says of a token: the one place that tells a revoked token from any other refusal, for
//! `token --check`, `status`, `exec --check` and a revocation's confirmation.

use crate::client::InstanceClient;
use crate::{AccessToken, Error};

/// Whether a kept token still works, as `POST /api/ping` tells whatever the token's
/// permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liveness {
    /// 200: the token works.
    Works,
    /// `AUTHENTICATION_FAILED`, with 401 (Misskey, Sharkey, CherryPick) or 403 (Firefish,
    /// Iceshrimp): the instance does not know the token; it was revoked (or the account
    /// deleted).
    Revoked,
}

/// The `id` Misskey and every fork give the `AUTHENTICATION_FAILED` error.
const AUTHENTICATION_FAILED_ID: &str = "b0a7f5f8-dc2f-4171-b91f-de88ad238e14";

/// An API error as the Misskey family sends it: wrapped in `error` (Misskey and most
/// answers of the forks) or not (Firefish and Iceshrimp, for a token they do not know).
pub(crate) fn api_error(json: &serde_json::Value) -> Option<&serde_json::Value> {
    json.get("error")
        .filter(|e| e.is_object())
        .or_else(|| (json.get("code").is_some() || json.get("id").is_some()).then_some(json))
}

/// The string field `name` (`code`, `id`, `message`) of the family's error in an answer, if any.
pub(crate) fn error_field<'a>(json: Option<&'a serde_json::Value>, name: &str) -> Option<&'a str> {
    json.and_then(api_error)
        .and_then(|e| e.get(name))
        .and_then(serde_json::Value::as_str)
}

/// What the answer to `POST /api/ping` with a token says of that token: it works, it was
/// revoked, or (as text to quote) the answer says nothing of it. A refusal counts only with the
/// family's own error, since a proxy's 401 or a CDN's 403 says nothing of the token; a 403
/// `PERMISSION_DENIED` is a live token.
pub(crate) fn liveness(status: u16, json: Option<&serde_json::Value>) -> Result<Liveness, String> {
    let field = |name: &str| error_field(json, name);
    let revoked = field("code") == Some("AUTHENTICATION_FAILED")
        || field("id") == Some(AUTHENTICATION_FAILED_ID);
    match status {
        200 => Ok(Liveness::Works),
        401 | 403 if revoked => Ok(Liveness::Revoked),
        _ => Err(match (field("message"), field("code")) {
            (Some(message), Some(code)) => format!("HTTP {status}, {code}: {message:?}"),
            (Some(message), None) => format!("HTTP {status}: {message:?}"),
            (None, Some(code)) => format!("HTTP {status}, {code}"),
            (None, None) => format!("HTTP {status}"),
        }),
    }
}

impl InstanceClient {
    /// Asks the instance whether `token` still works, with `POST /api/ping`. Any answer but 200
    /// or the family's refusal of the token is an error: a CDN's refusal or an outage says
    /// nothing about the token.
    pub async fn ping(&self, token: &AccessToken) -> Result<Liveness, Error> {
        let answer = self
            .request_json(
                reqwest::Method::POST,
                "/api/ping",
                Some(&serde_json::json!({})),
                Some(token),
            )
            .await?;
        liveness(answer.status, answer.json.as_ref()).map_err(|detail| Error::UnexpectedAnswer {
            instance: self.instance.to_string(),
            request: "POST /api/ping",
            detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ping_answer(status: u16, body: &str) -> Result<Liveness, String> {
        liveness(status, serde_json::from_str(body).ok().as_ref())
    }

    #[test]
    fn misskey_s_401_and_firefish_s_unwrapped_403_both_mean_revoked() {
        // Misskey 2025.11.1, Sharkey, CherryPick.
        let misskey = r#"{"error":{"message":"Authentication failed. Please ensure your token is correct.","code":"AUTHENTICATION_FAILED","id":"b0a7f5f8-dc2f-4171-b91f-de88ad238e14","kind":"client"}}"#;
        assert_eq!(ping_answer(401, misskey), Ok(Liveness::Revoked));
        // Firefish 20241205 and Iceshrimp 2026.5.1, as observed.
        let firefish = r#"{"message":"Authentication failed: unknown token","code":"AUTHENTICATION_FAILED","id":"b0a7f5f8-dc2f-4171-b91f-de88ad238e14","kind":"client"}"#;
        assert_eq!(ping_answer(403, firefish), Ok(Liveness::Revoked));
        // The code or the id alone is enough.
        assert_eq!(
            ping_answer(403, r#"{"id":"b0a7f5f8-dc2f-4171-b91f-de88ad238e14"}"#),
            Ok(Liveness::Revoked)
        );
        assert_eq!(
            ping_answer(401, r#"{"error":{"code":"AUTHENTICATION_FAILED"}}"#),
            Ok(Liveness::Revoked)
        );
        assert_eq!(ping_answer(200, r#"{"pong":1}"#), Ok(Liveness::Works));
    }

    #[test]
    fn other_refusals_are_errors_quoting_the_server() {
        let denied = r#"{"error":{"message":"Your app does not have the necessary permissions to use this endpoint.","code":"PERMISSION_DENIED","id":"1370e5b7-d4eb-4566-bb1d-7748ee6a1838","kind":"permission"}}"#;
        assert_eq!(
            ping_answer(403, denied),
            Err("HTTP 403, PERMISSION_DENIED: \"Your app does not have the necessary permissions to use this endpoint.\"".into())
        );
        // A proxy's or a CDN's refusal, not JSON.
        assert_eq!(ping_answer(401, "Unauthorized"), Err("HTTP 401".into()));
        assert_eq!(
            ping_answer(403, "<html>Forbidden</html>"),
            Err("HTTP 403".into())
        );
        // The family's error with another status is not a revocation.
        let misskey = r#"{"error":{"code":"AUTHENTICATION_FAILED","message":"x"}}"#;
        assert_eq!(
            ping_answer(500, misskey),
            Err("HTTP 500, AUTHENTICATION_FAILED: \"x\"".into())
        );
        assert_eq!(
            ping_answer(
                429,
                r#"{"error":{"message":"Rate limit exceeded.","code":"RATE_LIMIT_EXCEEDED"}}"#
            ),
            Err("HTTP 429, RATE_LIMIT_EXCEEDED: \"Rate limit exceeded.\"".into())
        );
    }
}
