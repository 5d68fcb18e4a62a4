//! Ending a token's life on its instance: `POST /api/i/revoke-token` with the token as its own
//! credential, and what the answer says about the token.
//!
//! Misskey 2026.9.0 and later delete a token that asks to be revoked; every earlier Misskey and
//! every fork observed refuse (`400 ACCESS_DENIED`: the endpoint was the web client's own), and
//! the token then works until the person deletes the app under Settings > Connected apps. A
//! `204` alone proves nothing (2026.9.0 answers it for a token it did not delete, too), so one
//! more request confirms that the token no longer works. The request is sent once: a revocation
//! is not retried. What to do with the outcome (forget the account, warn) is the caller's.

use std::time::Duration;

use crate::check::{InstanceClient, Liveness};
use crate::{AccessToken, Error, Instance};

/// How long asking an instance to revoke a token may take, unless told otherwise.
pub const DEFAULT_REVOKE_TIMEOUT: Duration = Duration::from_secs(15);

/// The `id` of the `ACCESS_DENIED` error a server gives an application that calls an endpoint
/// reserved to its web client.
const ACCESS_DENIED_ID: &str = "56f35758-7dd5-468b-8439-5d6fb8ec9b8e";

/// How asking the instance to revoke a token ended. These four are the whole contract (the
/// `revoked` values of `miauth logout --format json`), so the enum is exhaustive.
#[derive(Debug)]
pub enum Revocation {
    /// The instance deleted the token: it accepted the request, and then refused the token.
    Revoked,
    /// The instance no longer knew the token: it had been revoked already (or its account
    /// deleted).
    AlreadyRevoked,
    /// The instance does not let an application revoke its own token (Misskey before 2026.9.0
    /// and the forks): the token works until the app is deleted at [`settings_url`].
    Unsupported {
        /// What the instance answered, like `HTTP 400, ACCESS_DENIED: "Access denied."`.
        answer: String,
    },
    /// The instance could not be asked (unreachable, TLS, no answer in time), or its answer
    /// (a server error, a rate limit, a proxy's page) says nothing of the token: it may still
    /// work until the app is deleted at [`settings_url`].
    Unreachable(Error),
}

impl Revocation {
    /// The outcome as programs read it: `yes`, `already`, `unsupported` or `unreachable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Revocation::Revoked => "yes",
            Revocation::AlreadyRevoked => "already",
            Revocation::Unsupported { .. } => "unsupported",
            Revocation::Unreachable(_) => "unreachable",
        }
    }

    /// Whether the token is known to work no more.
    pub fn token_ended(&self) -> bool {
        matches!(self, Revocation::Revoked | Revocation::AlreadyRevoked)
    }
}

/// Where the person deletes an application's token by hand: `INSTANCE/settings/apps`
/// (Settings > Connected apps).
pub fn settings_url(instance: &Instance) -> String {
    format!("{}/settings/apps", instance.origin())
}

/// Asks `instance` to revoke `token`, with one request of at most `timeout` and, after an
/// acceptance, one more to confirm. `extra_roots` are CA certificates trusted beside the
/// system's, as for [`Login::ca_certificates_pem`](crate::Login::ca_certificates_pem).
pub async fn revoke(
    instance: &Instance,
    token: &AccessToken,
    extra_roots: &[reqwest::Certificate],
    timeout: Duration,
) -> Revocation {
    match InstanceClient::new(instance, extra_roots, timeout) {
        Ok(client) => client.revoke(token).await,
        Err(e) => Revocation::Unreachable(e),
    }
}

impl InstanceClient {
    /// `POST /api/i/revoke-token` with `{"i": TOKEN, "token": TOKEN}`: the token is the
    /// credential and the token to revoke. Sent once; see [`Revocation`] for the outcomes.
    pub async fn revoke(&self, token: &AccessToken) -> Revocation {
        let body = serde_json::json!({"i": token.expose(), "token": token.expose()});
        let answer = match self
            .request_json(
                reqwest::Method::POST,
                "/api/i/revoke-token",
                Some(&body),
                None,
            )
            .await
        {
            Ok(answer) => answer,
            Err(e) => return Revocation::Unreachable(e),
        };
        match judge(answer.status, answer.json.as_ref()) {
            Judged::Accepted => self.confirm(token).await,
            Judged::Already => Revocation::AlreadyRevoked,
            Judged::Refused(answer) => Revocation::Unsupported { answer },
            Judged::Unknown(detail) => Revocation::Unreachable(Error::UnexpectedAnswer {
                instance: self.instance.to_string(),
                request: "POST /api/i/revoke-token",
                detail,
            }),
        }
    }

    /// After an acceptance: whether the token really stopped working.
    async fn confirm(&self, token: &AccessToken) -> Revocation {
        match self.ping(token).await {
            Ok(Liveness::Revoked) => Revocation::Revoked,
            Ok(Liveness::Works) => Revocation::Unsupported {
                answer: "it accepted the request, yet the token still works".into(),
            },
            Err(e) => Revocation::Unreachable(e),
        }
    }
}

/// What an answer to `i/revoke-token` says, before any confirmation.
#[derive(Debug, PartialEq, Eq)]
enum Judged {
    /// 2xx: the server says it did it.
    Accepted,
    /// The server refused the token as unknown.
    Already,
    /// The server does not let the token revoke itself (the answer, quoted).
    Refused(String),
    /// An answer that says nothing of the token (quoted).
    Unknown(String),
}

fn judge(status: u16, json: Option<&serde_json::Value>) -> Judged {
    if (200..300).contains(&status) {
        return Judged::Accepted;
    }
    let described = match crate::check::liveness(status, json) {
        Ok(Liveness::Revoked) => return Judged::Already,
        Ok(Liveness::Works) => format!("HTTP {status}"),
        Err(described) => described,
    };
    let field = |name: &str| crate::check::error_field(json, name);
    let code = field("code");
    let refused = match status {
        // The endpoint is reserved to the web client (every server before Misskey 2026.9.0).
        400 | 403 => {
            matches!(code, Some("ACCESS_DENIED" | "PERMISSION_DENIED"))
                || field("id") == Some(ACCESS_DENIED_ID)
        }
        // A fork without the endpoint.
        404 => true,
        _ => code == Some("NO_SUCH_ENDPOINT"),
    };
    if refused {
        Judged::Refused(described)
    } else {
        Judged::Unknown(described)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Judged {
        judge(status, serde_json::from_str(body).ok().as_ref())
    }

    #[test]
    fn the_refusal_every_observed_server_gives_is_unsupported() {
        // Misskey 13.14.2 to 2026.7.0, Sharkey, CherryPick, Iceshrimp and Firefish alike.
        let denied = r#"{"error":{"message":"Access denied.","code":"ACCESS_DENIED","id":"56f35758-7dd5-468b-8439-5d6fb8ec9b8e","kind":"client"}}"#;
        assert_eq!(
            answer(400, denied),
            Judged::Refused("HTTP 400, ACCESS_DENIED: \"Access denied.\"".into())
        );
        // A fork's refusal for want of a permission, or its missing endpoint.
        let permission = r#"{"error":{"message":"Permission denied.","code":"PERMISSION_DENIED","id":"fc20d118-5705-4462-b6c5-2b5b43092cf3","kind":"client"}}"#;
        assert!(matches!(answer(403, permission), Judged::Refused(_)));
        let no_endpoint = r#"{"error":{"message":"No such endpoint.","code":"NO_SUCH_ENDPOINT","id":"e5b2c6ad-0f4f-4b5d-9c2e-0c6f0e8c3a1d","kind":"client"}}"#;
        assert!(matches!(answer(404, no_endpoint), Judged::Refused(_)));
        assert!(matches!(answer(404, "Not Found"), Judged::Refused(_)));
    }

    #[test]
    fn an_unknown_token_is_already_revoked_wrapped_or_not() {
        let misskey = r#"{"error":{"message":"Authentication failed. Please ensure your token is correct.","code":"AUTHENTICATION_FAILED","id":"b0a7f5f8-dc2f-4171-b91f-de88ad238e14","kind":"client"}}"#;
        assert_eq!(answer(401, misskey), Judged::Already);
        let firefish = r#"{"message":"Authentication failed: unknown token","code":"AUTHENTICATION_FAILED","id":"b0a7f5f8-dc2f-4171-b91f-de88ad238e14","kind":"client"}"#;
        assert_eq!(answer(403, firefish), Judged::Already);
    }

    #[test]
    fn an_acceptance_is_only_a_claim_and_anything_else_says_nothing() {
        assert_eq!(answer(204, ""), Judged::Accepted);
        assert_eq!(
            answer(500, "<html>Internal Server Error</html>"),
            Judged::Unknown("HTTP 500".into())
        );
        assert_eq!(
            answer(
                429,
                r#"{"error":{"message":"Rate limit exceeded.","code":"RATE_LIMIT_EXCEEDED"}}"#
            ),
            Judged::Unknown("HTTP 429, RATE_LIMIT_EXCEEDED: \"Rate limit exceeded.\"".into())
        );
        // A proxy's refusal, not the family's: nothing is known of the token.
        assert_eq!(answer(403, "Forbidden"), Judged::Unknown("HTTP 403".into()));
        let credential = r#"{"error":{"message":"Credential required.","code":"CREDENTIAL_REQUIRED","id":"6f1f0d3a-3d5b-4b1f-9c3e-2a6d1e5b8c47","kind":"client"}}"#;
        assert!(matches!(answer(401, credential), Judged::Unknown(_)));
    }

    #[test]
    fn the_outcomes_have_the_names_programs_read() {
        assert_eq!(Revocation::Revoked.as_str(), "yes");
        assert_eq!(Revocation::AlreadyRevoked.as_str(), "already");
        let unsupported = Revocation::Unsupported {
            answer: String::new(),
        };
        assert_eq!(unsupported.as_str(), "unsupported");
        assert!(!unsupported.token_ended() && Revocation::AlreadyRevoked.token_ended());
        let instance = Instance::parse("misskey.io").unwrap();
        assert_eq!(settings_url(&instance), "https://misskey.io/settings/apps");
    }
}
