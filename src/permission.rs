//! The permissions a login asks for.
//!
//! Pure values. The consent page splits the `permission` value on `,` without trimming and fails
//! to create the token when a name repeats, so the list sent is trimmed, free of duplicates and
//! never empty. The names Misskey knows are built in ([`KNOWN`]); since 2024.11.0 a server drops
//! names it does not know without a word, so [`Permissions::resolve`] refuses them (with the
//! nearest known names) unless told they are a fork's own, and expands `read:*`, `write:*`,
//! `read:admin:*`, `*:admin:*` and `all`.

use std::fmt;

use crate::Error;

/// The permission names Misskey knows, one a line, in Misskey's own order.
pub const KNOWN: &str = include_str!("permissions.txt");

/// Names Misskey 13.0 removed with messaging and user groups; servers since ignore them.
pub const DEPRECATED: &[&str] = &[
    "read:messaging",
    "write:messaging",
    "read:user-groups",
    "write:user-groups",
];

/// The permission names Firefish and Iceshrimp (JS) define, the same 32 in both
/// (`packages/backend/src/misc/api-permissions.ts` of Firefish 20241205 and Iceshrimp
/// 2026.5.1). They branched from Misskey 12 and keep the messaging and user-group names; every
/// name Misskey added since is stored in the token there and means nothing.
pub const FIREFISH_KNOWN: &[&str] = &[
    "read:account",
    "write:account",
    "read:blocks",
    "write:blocks",
    "read:drive",
    "write:drive",
    "read:favorites",
    "write:favorites",
    "read:following",
    "write:following",
    "read:messaging",
    "write:messaging",
    "read:mutes",
    "write:mutes",
    "write:notes",
    "read:notifications",
    "write:notifications",
    "read:reactions",
    "write:reactions",
    "write:votes",
    "read:pages",
    "write:pages",
    "write:page-likes",
    "read:page-likes",
    "read:user-groups",
    "write:user-groups",
    "read:channels",
    "write:channels",
    "read:gallery",
    "write:gallery",
    "read:gallery-likes",
    "write:gallery-likes",
];

/// The Misskey version that introduced `name`, where it came later than MiAuth itself: the
/// fine-grained admin permissions came with the reorganisation of 2023.12.1, chat with the new
/// chat of 2025.4.0, `write:admin:unset-mfa` with 2026.7.0. A server older than that has no
/// use for the name: it drops it without a word, or (before 2024.11.0, and Sharkey) keeps it
/// in the token, unused.
pub fn introduced_in(name: &str) -> Option<(u64, u64, u64)> {
    // Before the generic `:admin:` rule: this admin name came long after the others.
    if name == "write:admin:unset-mfa" {
        Some((2026, 7, 0))
    } else if name.contains(":admin:") {
        Some((2023, 12, 1))
    } else if name == "read:chat" || name == "write:chat" {
        Some((2025, 4, 0))
    } else {
        None
    }
}

/// Whether Firefish and Iceshrimp (JS) define `name` ([`FIREFISH_KNOWN`]).
pub fn firefish_knows(name: &str) -> bool {
    FIREFISH_KNOWN.contains(&name)
}

/// Whether Misskey knows `name`.
pub fn is_known(name: &str) -> bool {
    KNOWN.lines().any(|known| known == name)
}

/// Whether `name` is one of the [`DEPRECATED`] names.
pub fn is_deprecated(name: &str) -> bool {
    DEPRECATED.contains(&name)
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| glob_matches(rest, &tail[i..]))
        }
    }
}

/// The known names a pattern stands for: `:admin:` names only when the pattern names admin,
/// deprecated ones only when it names their resource (its last part is not `*`).
fn expand(pattern: &str) -> Vec<&'static str> {
    let names_admin = pattern.contains("admin");
    let names_resource = pattern.rsplit(':').next().is_some_and(|last| last != "*");
    KNOWN
        .lines()
        .filter(|name| glob_matches(pattern, name))
        .filter(|name| names_admin || !name.contains(":admin:"))
        .filter(|name| names_resource || !is_deprecated(name))
        .collect()
}

/// Up to three known names within three edits of `name`, closest first.
fn nearest(name: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> = KNOWN
        .lines()
        .map(|known| (strsim::levenshtein(name, known), known))
        .filter(|(distance, _)| *distance <= 3)
        .collect();
    scored.sort_by_key(|(distance, _)| *distance);
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// An ordered list of distinct permission names; `read:account` unless asked otherwise.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Permissions(Vec<String>);

impl Permissions {
    /// Parses values as given on the command line: each may hold several names separated by `,`.
    /// Surrounding spaces are trimmed, empty items skipped and repeats dropped (first one kept).
    pub fn parse<I, S>(values: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Permissions::parse_with(values, |_| false)
    }

    fn parse_with<I, S>(values: I, also_allowed: impl Fn(char) -> bool) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut names: Vec<String> = Vec::new();
        for value in values {
            for name in value.as_ref().split(',').map(str::trim) {
                if name.is_empty() {
                    continue;
                }
                if let Some(bad) = name.chars().find(|c| {
                    !(c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_') || also_allowed(*c))
                }) {
                    return Err(Error::InvalidPermission {
                        input: name.to_owned(),
                        reason: format!("{bad:?} cannot appear in a permission name"),
                    });
                }
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_owned());
                }
            }
        }
        if names.is_empty() {
            return Err(Error::InvalidPermission {
                input: String::new(),
                reason: "no permission given; a token without permissions is useless".into(),
            });
        }
        Ok(Permissions(names))
    }

    /// Like [`Permissions::parse`], then checks each name against the known list and expands
    /// patterns: `all` (every name not deprecated), and globs such as `read:*`, `write:*`,
    /// `read:admin:*` and `*:admin:*`. An unknown name is refused with the nearest known ones,
    /// unless `allow_unknown` (forks have names of their own).
    pub fn resolve<I, S>(values: I, allow_unknown: bool) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let asked = Permissions::parse_patterns(values)?;
        let mut names: Vec<String> = Vec::new();
        let mut push = |name: &str| {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        };
        for item in &asked.0 {
            if item == "all" {
                KNOWN
                    .lines()
                    .filter(|n| !is_deprecated(n))
                    .for_each(&mut push);
            } else if item.contains('*') {
                let matched = expand(item);
                if matched.is_empty() {
                    return Err(Error::InvalidPermission {
                        input: item.clone(),
                        reason: "the pattern matches no permission Misskey knows".into(),
                    });
                }
                matched.into_iter().for_each(&mut push);
            } else if is_known(item) || allow_unknown {
                push(item);
            } else {
                let near = nearest(item);
                let reason = if near.is_empty() {
                    "Misskey does not know it (a server would silently drop it)".to_owned()
                } else {
                    format!(
                        "Misskey does not know it (a server would silently drop it); did you mean {}",
                        near.join(", ")
                    )
                };
                return Err(Error::InvalidPermission {
                    input: item.clone(),
                    reason,
                });
            }
        }
        Ok(Permissions(names))
    }

    /// Items as given, allowing `*` in patterns.
    fn parse_patterns<I, S>(values: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Permissions::parse_with(values, |c| c == '*')
    }

    /// The names, in the order asked.
    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// Names kept from an earlier login, taken as they are; an empty list means not known
    /// (a token from the environment).
    pub fn kept(names: Vec<String>) -> Self {
        Permissions(names)
    }

    /// These names, then those of `more` that are not here yet.
    pub fn union(&self, more: &Permissions) -> Permissions {
        let mut names = self.0.clone();
        for name in &more.0 {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        Permissions(names)
    }

    /// The names asked here that `granted` lacks.
    pub fn missing_from<'a>(&'a self, granted: &[String]) -> Vec<&'a str> {
        self.0
            .iter()
            .filter(|n| !granted.contains(n))
            .map(String::as_str)
            .collect()
    }
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions(vec!["read:account".to_owned()])
    }
}

/// The value of the `permission` query parameter: names joined by `,`.
impl fmt::Display for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_separated_values_merge_without_duplicates() {
        let p = Permissions::parse(["read:account, write:notes", "read:account", "write:notes,"])
            .unwrap();
        assert_eq!(p.to_string(), "read:account,write:notes");
    }

    #[test]
    fn default_is_read_account() {
        assert_eq!(Permissions::default().to_string(), "read:account");
    }

    #[test]
    fn empty_list_and_odd_characters_are_refused() {
        let e = Permissions::parse([" , "]).unwrap_err().to_string();
        assert!(e.contains("no permission given"), "{e}");
        let e = Permissions::parse(["read:account write:notes"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("' ' cannot appear"), "{e}");
    }

    #[test]
    fn globs_leave_out_admin_and_deprecated_names_unless_they_name_them() {
        let read = Permissions::resolve(["read:*"], false).unwrap();
        assert!(read.names().iter().all(|n| n.starts_with("read:")));
        assert!(read.names().contains(&"read:account".to_owned()));
        assert!(!read.names().iter().any(|n| n.contains(":admin:")));
        assert!(!read.names().contains(&"read:messaging".to_owned()));

        let admin = Permissions::resolve(["read:admin:*"], false).unwrap();
        assert!(admin.names().contains(&"read:admin:meta".to_owned()));
        assert!(admin.names().iter().all(|n| n.starts_with("read:admin:")));
        let all_admin = Permissions::resolve(["*:admin:*"], false).unwrap();
        assert!(all_admin.names().contains(&"write:admin:meta".to_owned()));
        assert!(all_admin.names().contains(&"read:admin:meta".to_owned()));

        let messaging = Permissions::resolve(["*:messaging"], false).unwrap();
        assert_eq!(messaging.to_string(), "read:messaging,write:messaging");
    }

    #[test]
    fn all_is_every_name_not_deprecated() {
        let all = Permissions::resolve(["all"], false).unwrap();
        assert_eq!(all.names().len(), 86 - DEPRECATED.len());
        assert!(all.names().contains(&"write:admin:meta".to_owned()));
        assert!(!all.names().iter().any(|n| is_deprecated(n)));
    }

    #[test]
    fn unknown_names_are_refused_with_the_nearest_known_ones() {
        let e = Permissions::resolve(["read:acount"], false)
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("did you mean read:account"), "{e}");
        let e = Permissions::resolve(["write:note"], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("write:notes"), "{e}");
        let e = Permissions::resolve(["read:nothing*"], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("matches no permission"), "{e}");
        let forked = Permissions::resolve(["read:account,write:bites"], true).unwrap();
        assert_eq!(forked.to_string(), "read:account,write:bites");
    }

    #[test]
    fn patterns_and_names_merge_without_repeats_in_order() {
        let p = Permissions::resolve(["write:notes", "write:*"], false).unwrap();
        assert_eq!(p.names()[0], "write:notes");
        assert_eq!(p.names().iter().filter(|n| *n == "write:notes").count(), 1);
    }

    #[test]
    fn newer_names_carry_the_version_that_introduced_them() {
        assert_eq!(introduced_in("read:admin:meta"), Some((2023, 12, 1)));
        assert_eq!(introduced_in("write:chat"), Some((2025, 4, 0)));
        assert_eq!(introduced_in("write:admin:unset-mfa"), Some((2026, 7, 0)));
        assert_eq!(introduced_in("read:account"), None);
    }

    #[test]
    fn the_known_list_is_built_in() {
        assert!(is_known("read:account"));
        assert!(is_known("write:chat"));
        assert!(!is_known("read:everything"));
        assert!(is_known("write:admin:unset-mfa"));
        assert_eq!(KNOWN.lines().count(), 86);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_round_trips(values in proptest::collection::vec("\\PC{0,30}", 0..4)) {
            if let Ok(p) = Permissions::parse(&values) {
                proptest::prop_assert_eq!(Permissions::parse([p.to_string()]).unwrap(), p.clone());
                let mut names = p.names().to_vec();
                names.dedup();
                proptest::prop_assert_eq!(names.len(), p.names().len());
                proptest::prop_assert!(p.names().iter().all(|n| !n.contains(',') && !n.is_empty()));
            }
            let _ = Permissions::resolve(&values, false);
            let _ = Permissions::resolve(&values, true);
        }
    }
}
