//! Finding the web address of the server an account handle like `@alice@example.com` lives on.
//!
//! A handle's domain is not always the server's web host, so the domain is asked with WebFinger
//! (`/.well-known/webfinger?resource=acct:alice@example.com`, redirects followed, as the apex
//! domain often sends it on to the web host); the account's `self` link names the server. A
//! server with federation off (the default of a new Misskey since 2025.8) answers WebFinger with
//! 403, so when WebFinger cannot say, the domain itself is asked: if detection finds a Misskey
//! server there and `POST /api/users/show` knows the account, it lives there. This asks, and may
//! be told, only public facts.

use std::time::Duration;

use serde_json::{Value, json};

use crate::check::InstanceClient;
use crate::client::JsonAnswer;
use crate::{Error, Instance};

/// How long the WebFinger look-up may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(15);

/// An account handle: `@user@domain` or `user@domain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handle {
    /// The username, without `@`.
    pub user: String,
    /// The domain, lowercased; not always the web host of the server.
    pub domain: String,
}

impl Handle {
    /// Reads `input` as a handle, or `None` when it is not shaped like one (a URL, a host).
    pub fn parse(input: &str) -> Option<Handle> {
        let trimmed = input.trim();
        if trimmed.contains("://") {
            return None;
        }
        let rest = trimmed.strip_prefix('@').unwrap_or(trimmed);
        let (user, domain) = rest.split_once('@')?;
        let valid_user = !user.is_empty()
            && user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
        let valid_domain = !domain.is_empty() && !domain.contains(['@', '/', '?', '#', ' ']);
        (valid_user && valid_domain).then(|| Handle {
            user: user.to_owned(),
            domain: domain.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "@{}@{}", self.user, self.domain)
    }
}

/// Where the account of a handle lives, and how that was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The handle that was looked up.
    pub handle: Handle,
    /// The server that serves the account.
    pub instance: Instance,
    /// Set when WebFinger could not say (a server with federation off answers it with 403)
    /// and the handle's own domain was asked through Misskey's API instead: why WebFinger
    /// could not say.
    pub without_webfinger: Option<String>,
}

/// One line for the user: where the account lives, and how that was found.
impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.without_webfinger {
            None => write!(f, "{} lives on {}.", self.handle, self.instance),
            Some(why) => write!(
                f,
                "{}: {why}; {} serves that account.",
                self.handle, self.instance
            ),
        }
    }
}

/// Asks the handle's domain where the account lives. When WebFinger cannot say there (off, as
/// with federation off, or no usable answer), the domain itself is asked: if it is a Misskey
/// server that knows the account, that is where it lives.
pub async fn resolve(
    handle: &Handle,
    extra_roots: &[reqwest::Certificate],
) -> Result<Located, Error> {
    // The domain as an address: https, or http for a loopback development server.
    let domain = Instance::parse(&handle.domain)
        .or_else(|_| Instance::parse(&format!("http://{}", handle.domain)))
        .map_err(|_| Error::InvalidInstance {
            input: handle.to_string(),
            reason: "its domain is not a valid host".into(),
        })?;
    let domain = if domain.is_loopback() {
        Instance::parse(&format!("http://{}", domain.authority()))?
    } else {
        domain
    };
    let why = match webfinger(handle, &domain, extra_roots).await? {
        Ok(instance) => {
            return Ok(Located {
                handle: handle.clone(),
                instance,
                without_webfinger: None,
            });
        }
        Err(why) => why,
    };
    tracing::debug!(%handle, reason = %why, "no WebFinger answer; asking the domain itself");
    match served_by(handle, &domain, extra_roots).await {
        Ok(()) => Ok(Located {
            handle: handle.clone(),
            instance: domain,
            without_webfinger: Some(why),
        }),
        Err(also) => Err(Error::AccountNotFound {
            handle: handle.to_string(),
            reason: format!("{why}, and {also}"),
        }),
    }
}

/// Asks WebFinger (redirects followed, as an apex domain often sends it on to the web host).
/// `Ok(Err(why))` when an answer came but does not say where the account lives.
async fn webfinger(
    handle: &Handle,
    domain: &Instance,
    extra_roots: &[reqwest::Certificate],
) -> Result<Result<Instance, String>, Error> {
    let mut builder = crate::client::http_builder()
        .timeout(LOOKUP_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("miauth/", env!("CARGO_PKG_VERSION")));
    if domain.is_loopback() {
        builder = builder.no_proxy();
    }
    if !extra_roots.is_empty() {
        builder = builder.tls_certs_merge(extra_roots.iter().cloned());
    }
    let http = builder
        .build()
        .map_err(|e| Error::Internal(format!("cannot set up the HTTP client: {e}")))?;
    let url = format!(
        "{}?resource={}",
        domain.url_of("/.well-known/webfinger"),
        crate::authorize::encode(&format!("acct:{}@{}", handle.user, handle.domain))
    );
    let response = http
        .get(url)
        .header(
            reqwest::header::ACCEPT,
            "application/jrd+json, application/json",
        )
        .send()
        .await
        .map_err(|e| Error::Unreachable {
            instance: domain.to_string(),
            reason: crate::client::describe(&e),
        })?;
    let status = response.status();
    if status == reqwest::StatusCode::FORBIDDEN {
        return Ok(Err("WebFinger is off there (HTTP 403)".into()));
    }
    if status != reqwest::StatusCode::OK {
        return Ok(Err(format!("WebFinger answered HTTP {status} there")));
    }
    let Ok(jrd) = response.json::<Value>().await else {
        return Ok(Err(
            "its WebFinger answer is not a WebFinger document".into()
        ));
    };
    let Some(href) = self_link(&jrd) else {
        return Ok(Err("its WebFinger answer names no account page".into()));
    };
    let Ok(page) = url::Url::parse(href) else {
        return Ok(Err(
            "its WebFinger answer names an account page that is not a URL".into(),
        ));
    };
    Ok(
        Instance::parse(&page.origin().ascii_serialization()).map_err(|e| {
            format!("its WebFinger answer names an account page on no usable server ({e})")
        }),
    )
}

/// Whether `domain` is itself a Misskey server whose API knows the account
/// (`POST /api/users/show`, which needs no credential). `Err` says why not, to follow "and".
async fn served_by(
    handle: &Handle,
    domain: &Instance,
    extra_roots: &[reqwest::Certificate],
) -> Result<(), String> {
    let host = domain.authority();
    let client =
        InstanceClient::new(domain, extra_roots, LOOKUP_TIMEOUT).map_err(|e| e.to_string())?;
    crate::detect::detect(&client).await.map_err(|e| match e {
        Error::Unsupported { reason, .. } => format!("{host} cannot say either: {reason}"),
        other => format!("{host} cannot say either: {other}"),
    })?;
    let answer = client
        .request_json(
            reqwest::Method::POST,
            "/api/users/show",
            Some(&json!({"username": handle.user})),
            None,
        )
        .await
        .map_err(|e| format!("{host} cannot say either: {e}"))?;
    let user = &handle.user;
    match answer.ok_json() {
        Some(found) if is_local_user(found, user) => Ok(()),
        Some(_) => Err(format!(
            "{host} answered POST /api/users/show with another account than {user}"
        )),
        None => Err(match error_code(&answer) {
            Some("NO_SUCH_USER") => format!("{host} has no account {user}"),
            Some(code) => format!(
                "{host} answered POST /api/users/show with HTTP {} ({code})",
                answer.status
            ),
            None => format!(
                "{host} answered POST /api/users/show with HTTP {}",
                answer.status
            ),
        }),
    }
}

/// Whether a user object is the local account `user` (Misskey matches usernames without case).
fn is_local_user(found: &Value, user: &str) -> bool {
    let username = found.get("username").and_then(Value::as_str);
    username.is_some_and(|name| name.eq_ignore_ascii_case(user))
        && found.get("host").is_some_and(Value::is_null)
}

/// The `error.code` of a Misskey API error.
fn error_code(answer: &JsonAnswer) -> Option<&str> {
    answer.json.as_ref()?.pointer("/error/code")?.as_str()
}

/// The ActivityPub `self` link of a WebFinger answer.
fn self_link(jrd: &Value) -> Option<&str> {
    jrd.get("links")?.as_array()?.iter().find_map(|link| {
        let is_self = link.get("rel")?.as_str()? == "self";
        let kind = link.get("type").and_then(Value::as_str).unwrap_or("");
        (is_self && kind.contains("activity+json"))
            .then(|| link.get("href")?.as_str())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn handles_are_told_from_addresses() {
        assert_eq!(
            Handle::parse("@alice@Example.COM"),
            Some(Handle {
                user: "alice".into(),
                domain: "example.com".into()
            })
        );
        assert_eq!(
            Handle::parse("bob_1@m.example:8443").unwrap().domain,
            "m.example:8443"
        );
        for not_a_handle in [
            "misskey.io",
            "https://u@misskey.io",
            "@alice",
            "a b@c",
            "@@x",
            "x@",
        ] {
            assert_eq!(Handle::parse(not_a_handle), None, "{not_a_handle}");
        }
    }

    #[test]
    fn the_user_is_told_how_the_account_was_found() {
        let located = |without_webfinger: Option<&str>| Located {
            handle: Handle::parse("@alice@example.com").unwrap(),
            instance: Instance::parse("misskey.example").unwrap(),
            without_webfinger: without_webfinger.map(str::to_owned),
        };
        assert_eq!(
            located(None).to_string(),
            "@alice@example.com lives on https://misskey.example."
        );
        assert_eq!(
            located(Some("WebFinger is off there (HTTP 403)")).to_string(),
            "@alice@example.com: WebFinger is off there (HTTP 403); https://misskey.example serves that account."
        );
    }

    #[test]
    fn only_the_local_account_of_that_name_counts_whatever_its_case() {
        assert!(is_local_user(
            &json!({"username": "Alice", "host": null}),
            "alice"
        ));
        assert!(!is_local_user(
            &json!({"username": "alice", "host": "elsewhere.example"}),
            "alice"
        ));
        assert!(!is_local_user(
            &json!({"username": "bob", "host": null}),
            "alice"
        ));
        assert!(!is_local_user(&json!({"username": "alice"}), "alice"));
    }

    #[test]
    fn the_self_link_names_the_server() {
        let jrd = json!({"subject": "acct:alice@example.com", "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://m.example/@alice"},
            {"rel": "self", "type": "application/activity+json", "href": "https://m.example/users/9x"},
        ]});
        assert_eq!(self_link(&jrd), Some("https://m.example/users/9x"));
        assert_eq!(self_link(&json!({"links": []})), None);
    }
}
