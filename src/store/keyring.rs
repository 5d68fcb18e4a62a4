//! The system keyring as a place for tokens: the Secret Service on Linux and the BSDs, the
//! Keychain on macOS, the Credential Manager on Windows, through the keyring-core family.
//!
//! One entry per account: service `miauth:HOST`, user the account's username, so other clients
//! find it (`secret-tool lookup service miauth:HOST username alice`, and Python's
//! `keyring.get_password("miauth:HOST", "alice")` on every system). On Windows, where a
//! credential is found by one target name, that name is `alice@miauth:HOST`, the second name
//! Python's keyring tries ([`windows_target`]). Every call runs on a
//! thread of its own with a deadline: a keyring that never answers (a stuck D-Bus peer, an
//! unlock prompt nobody sees) ends in an error when the deadline passes, and the thread left
//! behind never keeps the process from exiting. It knows nothing of the index of accounts.
//!
//! The calls themselves are in `keyring/system.rs`, built with the `keyring` feature; without
//! it there is no keyring here, and every call says so, naming the feature.

use std::time::Duration;

#[cfg(feature = "keyring")]
mod system;

/// Why the keyring could not be used.
#[derive(Debug)]
// Without the `keyring` feature there is only ever `Absent`.
#[cfg_attr(not(feature = "keyring"), allow(dead_code))]
pub(crate) enum Failure {
    /// No keyring service exists here at all (no session bus, nothing serving the Secret
    /// Service): the one case where `auto` may keep tokens in a file instead.
    Absent(String),
    /// The keyring exists but refused or failed: locked, a dismissed prompt, an error.
    Refused(String),
    /// It did not answer within the deadline.
    TimedOut(Duration),
}

/// The system keyring, asked with a deadline.
#[derive(Clone, Debug)]
pub(crate) struct Keyring {
    pub timeout: Duration,
}

/// The keyring entry's service name for an instance.
pub(crate) fn service(instance: &str) -> String {
    format!("miauth:{instance}")
}

/// The Windows Credential Manager's target name for an entry: `USER@SERVICE`. Python's keyring
/// (`backends/Windows.py`) looks a password up under the target `SERVICE` and then, when that
/// is missing or belongs to another user, under `USER@SERVICE`; keyring-core's default would be
/// `USER.SERVICE`, which nothing else reads.
pub(crate) fn windows_target(service: &str, user: &str) -> String {
    format!("{user}@{service}")
}

/// Without the `keyring` feature, there is no system keyring: `auto` keeps tokens in the file,
/// and asking for the keyring is an error that names the feature.
#[cfg(not(feature = "keyring"))]
impl Keyring {
    const WITHOUT: &str =
        "miauth was built without its `keyring` feature; add it to use the system keyring";

    pub async fn set(&self, _instance: &str, _user: &str, _secret: &str) -> Result<(), Failure> {
        Err(Failure::Absent(Self::WITHOUT.into()))
    }

    pub async fn get(&self, _instance: &str, _user: &str) -> Result<Option<String>, Failure> {
        Err(Failure::Absent(Self::WITHOUT.into()))
    }

    pub async fn delete(&self, _instance: &str, _user: &str) -> Result<bool, Failure> {
        Err(Failure::Absent(Self::WITHOUT.into()))
    }

    pub async fn probe(&self) -> Result<(), Failure> {
        Err(Failure::Absent(Self::WITHOUT.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_credentials_are_named_as_pythons_keyring_looks_them_up() {
        // keyring.get_password("miauth:misskey.io", "alice") on Windows reads the target
        // "miauth:misskey.io", then "alice@miauth:misskey.io".
        assert_eq!(
            windows_target(&service("misskey.io"), "alice"),
            "alice@miauth:misskey.io"
        );
        assert_eq!(
            windows_target(&service("127.0.0.1:3000"), "bob"),
            "bob@miauth:127.0.0.1:3000"
        );
    }
}
