//! The values the store works with: an account as the index records it, where its token is
//! kept, what saving and forgetting did, and a token left in the keyring with the command that
//! removes it by hand. [`Store`](super::Store) in `mod.rs` does the work.

use serde::{Deserialize, Serialize};

use super::keyring;
use crate::Error;

/// Where a token is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum KeptIn {
    /// The system keyring.
    Keyring,
    /// The plain-text file of the store (owner-only on Unix).
    File,
    /// Memory only (the store of tests).
    Memory,
    /// `MISSKEY_URL` and `MISSKEY_TOKEN` in the environment.
    Environment,
}

/// Where new tokens go: the keyring, the file, or the keyring where one exists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoreChoice {
    /// The keyring where a keyring service exists; the file, with a warning, where none does.
    #[default]
    Auto,
    /// The system keyring, or an error.
    Keyring,
    /// The plain-text file (owner-only on Unix).
    File,
}

/// One kept account, as the index records it. It never holds the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The instance as miauth prints it: host, and port when not the default.
    pub instance: String,
    /// The instance's origin, like `https://misskey.io`.
    pub url: String,
    /// The account's username on its instance, without `@`.
    pub username: String,
    /// The account's id on its instance.
    pub user_id: String,
    /// The permissions that were asked for (no endpoint tells a token its permissions).
    pub permissions: Vec<String>,
    /// Where its token is kept.
    pub kept_in: KeptIn,
    /// When it was saved, RFC 3339.
    pub saved_at: String,
    /// Whether it is the active account of its instance (filled in when read).
    #[serde(skip)]
    pub active: bool,
}

impl Account {
    /// `@username@instance`.
    pub fn handle(&self) -> String {
        format!("@{}@{}", self.username, self.instance)
    }

    /// Its instance as a command names it: `misskey.io`, or `http://127.0.0.1:3000` for a
    /// plain-http development instance (see [`Instance::as_argument`](crate::Instance::as_argument)).
    pub fn instance_argument(&self) -> String {
        crate::Instance::parse(&self.url)
            .map(|i| i.as_argument())
            .unwrap_or_else(|_| self.instance.clone())
    }
}

/// What saving did.
#[derive(Debug)]
pub struct Saved {
    /// The account as the index now records it.
    pub account: Account,
    /// Something the user must know: the token went to a plain-text file.
    pub warning: Option<String>,
    /// An older token of the same account was kept, and is forgotten now; it still works on
    /// the instance until deleted there.
    pub replaced: bool,
}

/// What forgetting an account did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Forgotten {
    /// The account, no longer kept here.
    pub account: Account,
    /// Its token, when the system keyring could not be reached to remove it: still there.
    pub left_in_keyring: Option<LeftInKeyring>,
}

/// A token left in the system keyring, where it is, and how to remove it by hand.
#[derive(Debug)]
#[non_exhaustive]
pub struct LeftInKeyring {
    /// Why it could not be removed.
    pub why: Error,
    /// The entry's service: `miauth:HOST`.
    pub service: String,
    /// The entry's user: the account's username.
    pub user: String,
    /// The command that removes it on this system.
    pub command: String,
}

impl LeftInKeyring {
    pub(super) fn of(account: &Account, why: Error) -> LeftInKeyring {
        let service = keyring::service(&account.instance);
        LeftInKeyring {
            why,
            command: removal_command(std::env::consts::OS, &service, &account.username),
            service,
            user: account.username.clone(),
        }
    }
}

/// The command that deletes the keyring entry `service` / `user` on `os` (as
/// [`std::env::consts::OS`] names it): Keychain's `security` on macOS, `cmdkey` for the
/// Windows Credential Manager (whose target name is `USER@SERVICE`), libsecret's `secret-tool`
/// for the Secret Service elsewhere.
pub(super) fn removal_command(os: &str, service: &str, user: &str) -> String {
    match os {
        "macos" => format!("security delete-generic-password -s {service} -a {user}"),
        "windows" => format!("cmdkey /delete:{}", keyring::windows_target(service, user)),
        _ => format!("secret-tool clear service {service} username {user}"),
    }
}
