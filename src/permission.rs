//! The permissions a login asks for.
//!
//! Pure values. The consent page splits the `permission` value on `,` without trimming and fails
//! to create the token when a name repeats, so the list sent is trimmed, free of duplicates and
//! never empty. The names Misskey knows are built in ([`KNOWN`]).

use std::fmt;

use crate::Error;

/// The permission names Misskey knows, one a line, in Misskey's own order.
pub const KNOWN: &str = include_str!("permissions.txt");

/// Whether Misskey knows `name`.
pub fn is_known(name: &str) -> bool {
    KNOWN.lines().any(|known| known == name)
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
        let mut names: Vec<String> = Vec::new();
        for value in values {
            for name in value.as_ref().split(',').map(str::trim) {
                if name.is_empty() {
                    continue;
                }
                if let Some(bad) = name
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_')))
                {
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

    /// The names, in the order asked.
    pub fn names(&self) -> &[String] {
        &self.0
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
    fn the_known_list_is_built_in() {
        assert!(is_known("read:account"));
        assert!(is_known("write:chat"));
        assert!(!is_known("read:everything"));
        assert_eq!(KNOWN.lines().count(), 85);
    }
}
