//! The address of a Misskey instance, as a user types it, turned into the origin the API lives at.
//!
//! Pure parsing, no I/O. Misskey always runs at the origin root, so anything beyond
//! `scheme://host[:port]` (a path, a query, a fragment, userinfo) is refused rather than guessed
//! at. HTTPS is the default; plain HTTP is accepted only for loopback hosts (local development).

use std::fmt;
use std::str::FromStr;

use url::{Host, Url};

use crate::Error;

/// The origin of a Misskey instance, e.g. `https://misskey.io`.
#[derive(Clone, PartialEq, Eq)]
pub struct Instance {
    url: Url,
}

impl Instance {
    /// Parses `misskey.io`, `https://misskey.io/`, `example.com:8443` or `http://127.0.0.1:3000`.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let refuse = |reason: &str| Error::InvalidInstance {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(refuse("the address is empty"));
        }
        let has_scheme = trimmed.contains("://");
        if !has_scheme && trimmed.contains('@') {
            return Err(refuse(
                "this looks like an account handle, not the address of a server (miauth login looks handles up)",
            ));
        }
        let with_scheme = if has_scheme {
            trimmed.to_owned()
        } else {
            format!("https://{trimmed}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| refuse(&e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(refuse(
                    "plain http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https",
                ));
            }
            other => return Err(refuse(&format!("unsupported scheme {other:?}; use https"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(
                "a user name or password in the address is not allowed",
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse("the address has no host"));
        }
        if url.path() != "/" {
            return Err(refuse(
                "Misskey runs at the root of its host; leave out the path",
            ));
        }
        if url.query().is_some() {
            return Err(refuse("leave out the query (the part after '?')"));
        }
        if url.fragment().is_some() {
            return Err(refuse("leave out the fragment (the part after '#')"));
        }
        Ok(Instance { url })
    }

    /// The origin, without a trailing slash: `https://misskey.io`.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    /// The host as the account's `@user@host` names it: `misskey.io`, or `127.0.0.1:3000`.
    pub fn authority(&self) -> String {
        match (self.url.host_str(), self.url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        }
    }

    /// The instance as a command line names it, so that typing it back means this very
    /// instance: `misskey.io` or `example.com:8443` (host, and port when not the default) on
    /// https, the whole origin `http://127.0.0.1:3000` on plain http, which a bare host would
    /// turn into https. Every message that suggests a command names the instance this way.
    pub fn as_argument(&self) -> String {
        if self.url.scheme() == "https" {
            self.authority()
        } else {
            self.origin()
        }
    }

    /// Whether the host is this machine (requests to it must bypass any proxy).
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.url)
    }

    /// The full URL of a path on the instance; `path` starts with `/`.
    pub(crate) fn url_of(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin())
    }
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instance({})", self.origin())
    }
}

impl FromStr for Instance {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Instance::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_normalise_to_the_origin() {
        let cases = [
            ("misskey.io", "https://misskey.io"),
            ("https://misskey.io/", "https://misskey.io"),
            ("  Misskey.IO  ", "https://misskey.io"),
            ("example.com:8443", "https://example.com:8443"),
            ("https://example.com:443", "https://example.com"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("http://localhost:3000/", "http://localhost:3000"),
            ("http://[::1]:3000", "http://[::1]:3000"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
        ];
        for (input, want) in cases {
            let got = Instance::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got.origin(), want, "{input}");
        }
    }

    #[test]
    fn refusals_name_the_input_and_the_reason() {
        let cases = [
            ("", "empty"),
            ("http://misskey.io", "plain http"),
            ("https://misskey.io/notes", "root of its host"),
            ("https://misskey.io/?a=b", "query"),
            ("https://misskey.io/#x", "fragment"),
            ("https://user:pw@misskey.io", "user name"),
            ("@alice@misskey.io", "account handle"),
            ("alice@misskey.io", "account handle"),
            ("ftp://misskey.io", "unsupported scheme"),
            ("https://", "empty host"),
            ("exa mple.com", "invalid"),
        ];
        for (input, want) in cases {
            let err = Instance::parse(input).expect_err(input).to_string();
            assert!(err.contains(want), "{input}: {err}");
            assert!(err.contains(&format!("{input:?}")), "{input}: {err}");
        }
    }

    #[test]
    fn authority_keeps_a_non_default_port() {
        let i = Instance::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(i.authority(), "127.0.0.1:3000");
        assert!(i.is_loopback());
        let i = Instance::parse("misskey.io").unwrap();
        assert_eq!(i.authority(), "misskey.io");
        assert!(!i.is_loopback());
        assert_eq!(i.url_of("/api/i"), "https://misskey.io/api/i");
    }

    #[test]
    fn the_argument_form_means_the_same_instance_when_typed_back() {
        for (input, argument) in [
            ("misskey.io", "misskey.io"),
            ("https://example.com:8443/", "example.com:8443"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("http://localhost", "http://localhost"),
            ("https://127.0.0.1:3000", "127.0.0.1:3000"),
        ] {
            let instance = Instance::parse(input).unwrap();
            assert_eq!(instance.as_argument(), argument, "{input}");
            assert_eq!(Instance::parse(argument).unwrap(), instance, "{input}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_origins_round_trip(input in "\\PC{0,40}") {
            if let Ok(instance) = Instance::parse(&input) {
                let again = Instance::parse(&instance.origin()).unwrap();
                proptest::prop_assert_eq!(&again, &instance);
                proptest::prop_assert!(!instance.origin().ends_with('/'));
            }
        }

        #[test]
        fn host_like_inputs_round_trip(host in "[a-z][a-z0-9-]{0,20}(\\.[a-z]{2,6}){1,2}", port in proptest::option::of(1u16..)) {
            let input = match port { Some(p) => format!("{host}:{p}"), None => host.clone() };
            let instance = Instance::parse(&input).unwrap();
            proptest::prop_assert!(instance.origin().starts_with("https://"));
            proptest::prop_assert_eq!(Instance::parse(&instance.origin()).unwrap(), instance);
        }
    }
}
