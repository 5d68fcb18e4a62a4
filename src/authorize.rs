//! The authorisation URL the user opens: `https://HOST/miauth/SESSION?name=..&icon=..&callback=..&permission=..`.
//!
//! Pure string building. The consent page decodes every query value twice (URLSearchParams,
//! then decodeURIComponent), so each value is percent-encoded strictly: everything but the
//! unreserved characters `A-Z a-z 0-9 - . _ ~`, a space as `%20` and `+` as `%2B`.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{Error, Instance, Permissions, SessionId};

/// Everything but RFC 3986's unreserved characters.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What the consent page is asked to show and do.
#[derive(Debug)]
pub struct AuthorizeRequest<'a> {
    /// The instance whose consent page it is.
    pub instance: &'a Instance,
    /// The fresh session the token will be fetched with.
    pub session: &'a SessionId,
    /// The application name the page shows.
    pub name: &'a str,
    /// The URL of the application's icon the page shows; `None` sends none.
    pub icon: Option<&'a str>,
    /// Where Accept sends the browser; `None` sends none, so the browser stays on the
    /// instance and the approval is found by polling.
    pub callback: Option<&'a str>,
    /// The permissions asked for.
    pub permissions: &'a Permissions,
}

/// The URL to open in the browser. It carries the session id, so its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationUrl(String);

impl AuthorizationUrl {
    /// The URL itself, to open or to show to the user.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthorizationUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorizationUrl(<contains the session>)")
    }
}

/// Builds the authorisation URL; parameters come in a fixed order: name, icon, callback, permission.
pub fn authorization_url(req: &AuthorizeRequest<'_>) -> AuthorizationUrl {
    let mut url = req.instance.url_of(&format!(
        "/miauth/{}",
        utf8_percent_encode(req.session.expose(), STRICT)
    ));
    let permission = req.permissions.to_string();
    let params = [
        ("name", Some(req.name)),
        ("icon", req.icon),
        ("callback", req.callback),
        ("permission", Some(permission.as_str())),
    ];
    let mut sep = '?';
    for (key, value) in params {
        if let Some(value) = value {
            url.push(sep);
            url.push_str(key);
            url.push('=');
            url.push_str(&encode(value));
            sep = '&';
        }
    }
    AuthorizationUrl(url)
}

/// The longest application name Misskey stores: its column is `varchar(128)`, and PostgreSQL
/// counts characters (Unicode code points), not bytes nor UTF-16 units.
const MAX_NAME_CHARS: usize = 128;
/// The longest icon URL Misskey stores (`varchar(512)`, counted the same way).
const MAX_ICON_CHARS: usize = 512;

/// Checks the application name and icon before anything is opened: the consent page fails to
/// create the token for a name over 128 characters or an icon URL over 512, and its double
/// decoding garbles any value holding `%` (a name like `100%` breaks the page outright).
pub fn validate_app(name: &str, icon: Option<&str>) -> Result<(), Error> {
    let refuse = |option, input: &str, reason: &str| Error::InvalidOption {
        option,
        input: input.to_owned(),
        reason: reason.to_owned(),
    };
    if name.trim().is_empty() {
        return Err(refuse("--name", name, "the name is empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(refuse(
            "--name",
            name,
            &format!("Misskey accepts at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.contains('%') {
        return Err(refuse(
            "--name",
            name,
            "the consent page decodes the name twice, so '%' cannot be shown; leave it out",
        ));
    }
    if let Some(icon) = icon {
        if icon.chars().count() > MAX_ICON_CHARS {
            return Err(refuse(
                "--icon",
                icon,
                &format!("Misskey accepts at most {MAX_ICON_CHARS} characters"),
            ));
        }
        let parsed = url::Url::parse(icon).map_err(|e| refuse("--icon", icon, &e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(refuse(
                "--icon",
                icon,
                "the icon must be an http or https URL",
            ));
        }
        if icon.contains('%') {
            return Err(refuse(
                "--icon",
                icon,
                "the consent page decodes the URL twice, so percent-escapes in it would change; use a URL without '%'",
            ));
        }
    }
    Ok(())
}

/// Strict percent-encoding of one query value.
pub(crate) fn encode(value: &str) -> String {
    utf8_percent_encode(value, STRICT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_has_every_parameter_strictly_encoded_in_order() {
        let instance = Instance::parse("misskey.io").unwrap();
        let session = SessionId::from_existing("0b6c7f5e-6f5a-4d7e-9a54-3f0f6f3c1c2a");
        let permissions = Permissions::parse(["read:account,write:notes"]).unwrap();
        let url = authorization_url(&AuthorizeRequest {
            instance: &instance,
            session: &session,
            name: "My app + 100% café",
            icon: Some("https://example.com/icon.png?s=1&t=2"),
            callback: Some("http://127.0.0.1:40123/cb/00ff"),
            permissions: &permissions,
        });
        assert_eq!(
            url.as_str(),
            "https://misskey.io/miauth/0b6c7f5e-6f5a-4d7e-9a54-3f0f6f3c1c2a\
             ?name=My%20app%20%2B%20100%25%20caf%C3%A9\
             &icon=https%3A%2F%2Fexample.com%2Ficon.png%3Fs%3D1%26t%3D2\
             &callback=http%3A%2F%2F127.0.0.1%3A40123%2Fcb%2F00ff\
             &permission=read%3Aaccount%2Cwrite%3Anotes"
        );
    }

    #[test]
    fn optional_parameters_are_left_out_but_permission_never_is() {
        let instance = Instance::parse("http://127.0.0.1:3000").unwrap();
        let session = SessionId::from_existing("s");
        let url = authorization_url(&AuthorizeRequest {
            instance: &instance,
            session: &session,
            name: "miauth",
            icon: None,
            callback: None,
            permissions: &Permissions::default(),
        });
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:3000/miauth/s?name=miauth&permission=read%3Aaccount"
        );
        assert!(!format!("{url:?}").contains("/miauth/s"));
    }

    #[test]
    fn names_and_icons_the_consent_page_would_garble_or_refuse_are_rejected() {
        assert!(validate_app("my-bot", Some("https://example.com/i.png?s=1")).is_ok());
        assert!(validate_app(&"é".repeat(128), None).is_ok());
        let cases = [
            (String::new(), None, "empty"),
            ("x".repeat(129), None, "at most 128"),
            ("100% sure".to_owned(), None, "'%'"),
            (
                "app".to_owned(),
                Some("ftp://example.com/i.png"),
                "http or https",
            ),
            ("app".to_owned(), Some("not a url"), "--icon"),
            (
                "app".to_owned(),
                Some("https://example.com/a%20b.png"),
                "'%'",
            ),
        ];
        for (name, icon, want) in cases {
            let e = validate_app(&name, icon).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains(want), "{name} {icon:?}: {e}");
        }
        let long_icon = format!("https://example.com/{}", "a".repeat(500));
        assert!(
            validate_app("app", Some(&long_icon))
                .unwrap_err()
                .to_string()
                .contains("512")
        );
    }

    #[test]
    fn names_and_icons_are_measured_in_characters_as_the_server_counts_them() {
        // 'x' is one byte; 'é' two bytes; '😀' four bytes and two UTF-16 units. Each is one
        // character to PostgreSQL, which enforces the limits.
        for unit in ["x", "é", "😀"] {
            assert!(validate_app(&unit.repeat(128), None).is_ok(), "{unit}");
            let e = validate_app(&unit.repeat(129), None).unwrap_err();
            assert!(e.to_string().contains("at most 128"), "{unit}: {e}");
            let prefix = "https://e.example/";
            let icon = format!("{prefix}{}", unit.repeat(512 - prefix.len()));
            assert_eq!(icon.chars().count(), 512);
            assert!(validate_app("app", Some(&icon)).is_ok(), "{unit}");
            let e = validate_app("app", Some(&format!("{icon}{unit}"))).unwrap_err();
            assert!(e.to_string().contains("at most 512"), "{unit}: {e}");
        }
    }

    #[test]
    fn unreserved_characters_pass_through() {
        assert_eq!(encode("A-z.0_9~"), "A-z.0_9~");
        assert_eq!(encode("a b+c/d"), "a%20b%2Bc%2Fd");
    }
}
