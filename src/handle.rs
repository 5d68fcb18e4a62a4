//! Finding the web address of the server an account handle like `@alice@example.com` lives on.
//!
//! A handle's domain is not always the server's web host, so the domain is asked with WebFinger
//! (`/.well-known/webfinger?resource=acct:alice@example.com`, redirects followed, as the apex
//! domain often sends it on to the web host); the account's `self` link names the server. This
//! asks, and may be told, only public facts.

use std::time::Duration;

use serde_json::Value;

use crate::{Error, Instance};

/// How long the WebFinger look-up may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(15);

/// An account handle: `@user@domain` or `user@domain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handle {
    pub user: String,
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

/// Asks the handle's domain where the account lives; returns that server's address.
pub async fn resolve(
    handle: &Handle,
    extra_roots: &[reqwest::Certificate],
) -> Result<Instance, Error> {
    let fail = |reason: String| Error::InvalidInstance {
        input: handle.to_string(),
        reason,
    };
    // The domain as an address: https, or http for a loopback development server.
    let domain = Instance::parse(&handle.domain)
        .or_else(|_| Instance::parse(&format!("http://{}", handle.domain)))
        .map_err(|_| fail("its domain is not a valid host".into()))?;
    let domain = if domain.is_loopback() {
        Instance::parse(&format!("http://{}", domain.authority()))?
    } else {
        domain
    };
    let mut builder = reqwest::Client::builder()
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
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(fail(format!(
            "{} knows no such account",
            domain.authority()
        )));
    }
    let jrd: Value = response.json().await.map_err(|_| {
        fail(format!(
            "{} gave no WebFinger answer (HTTP {status})",
            domain.authority()
        ))
    })?;
    let href =
        self_link(&jrd).ok_or_else(|| fail("its WebFinger answer names no account page".into()))?;
    let page = url::Url::parse(href).map_err(|_| fail("its account page is not a URL".into()))?;
    Instance::parse(&page.origin().ascii_serialization())
        .map_err(|e| fail(format!("its account page is not on a usable server ({e})")))
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
    fn the_self_link_names_the_server() {
        let jrd = json!({"subject": "acct:alice@example.com", "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://m.example/@alice"},
            {"rel": "self", "type": "application/activity+json", "href": "https://m.example/users/9x"},
        ]});
        assert_eq!(self_link(&jrd), Some("https://m.example/users/9x"));
        assert_eq!(self_link(&json!({"links": []})), None);
    }
}
