//! The fake consent page's tests: the decoding of its query, the names it keeps and drops, the
//! limits it enforces, and the callback it sends the browser to.

use super::*;

/// A server of the newest release played, which drops names it does not know.
const NEWEST: Kept = Kept::Known(None);

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
fn repeated_permissions_fail_and_unknown_ones_are_dropped_unless_kept() {
    let mut r = ConsentRequest {
        permission: Some("read:account,read:account".into()),
        ..Default::default()
    };
    assert!(
        token_creation_problem(&r, NEWEST)
            .unwrap()
            .contains("twice")
    );
    r.permission = Some("read:account,read:nonsense,read:nonsense".into());
    assert_eq!(token_creation_problem(&r, NEWEST), None);
    assert!(
        token_creation_problem(&r, Kept::Every)
            .unwrap()
            .contains("twice")
    );
    assert_eq!(
        granted(Some("read:account,read:nonsense"), NEWEST),
        ["read:account"]
    );
    assert_eq!(
        granted(Some("read:account,read:nonsense"), Kept::Every),
        ["read:account", "read:nonsense"]
    );
    // A name from a later release is unknown to an older server, and dropped like any.
    let asked = Some("read:account,write:admin:unset-mfa");
    assert_eq!(
        granted(asked, Kept::Known(Some((2025, 11, 1)))),
        ["read:account"]
    );
    assert_eq!(
        granted(asked, Kept::Known(Some((2026, 7, 0)))),
        ["read:account", "write:admin:unset-mfa"]
    );
}

/// A name of `n` copies of `unit`, and an icon URL of `n` characters ending in `unit`s.
fn sized(unit: char, n: usize) -> (String, String) {
    let prefix = "https://e.example/";
    let icon_units = n - prefix.chars().count();
    (
        unit.to_string().repeat(n),
        format!("{prefix}{}", unit.to_string().repeat(icon_units)),
    )
}

#[test]
fn names_and_icons_are_measured_in_characters_as_postgres_counts_them() {
    // 'x' is one byte, 'é' two bytes, '😀' four bytes and two UTF-16 units: each is one
    // character to the server.
    for unit in ['x', 'é', '😀'] {
        let (name, _) = sized(unit, 128);
        let (_, icon) = sized(unit, 512);
        let fits = ConsentRequest {
            name: Some(name.clone()),
            icon: Some(icon.clone()),
            ..Default::default()
        };
        assert_eq!(token_creation_problem(&fits, NEWEST), None, "{unit}");
        let long_name = ConsentRequest {
            name: Some(format!("{name}{unit}")),
            ..fits.clone()
        };
        assert!(
            token_creation_problem(&long_name, NEWEST).is_some_and(|p| p.contains("name")),
            "{unit}: 129 characters"
        );
        let long_icon = ConsentRequest {
            icon: Some(format!("{icon}{unit}")),
            ..fits
        };
        assert!(
            token_creation_problem(&long_icon, NEWEST).is_some_and(|p| p.contains("icon")),
            "{unit}: 513 characters"
        );
    }
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
