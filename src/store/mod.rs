//! Where a kept token lives, and the index of the accounts kept.
//!
//! [`Store`] is the one front: save, get, list, remove, set the active account. Behind it the
//! token goes to the system keyring (`keyring.rs`) or to a plain-text file, owner-only on Unix
//! (`file.rs`), or, for tests, stays in memory. The index of accounts (instance, username,
//! user id, permissions asked, where the token is kept, when it was saved, the active account
//! of each instance) is always a file of its own and never holds a token. `auto` keeps tokens
//! in the keyring wherever a keyring service exists and in the file only where none exists at
//! all; a locked keyring, a refusal or a timeout is an error, never a quiet move to plain text.
//! It knows nothing of the login; the command line joins the two.

mod account;
mod file;
mod keyring;
mod rows;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::{AccessToken, Error};
pub use account::{Account, Forgotten, KeptIn, LeftInKeyring, Saved, StoreChoice};
use file::{Dir, INDEX, Index, TOKENS, Tokens};
use keyring::{Failure, Keyring};
pub use rows::instance_key;
use rows::{accounts_of, choose};

/// How long one keyring call may take unless told otherwise.
pub const DEFAULT_KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// The kept accounts and their tokens.
#[derive(Debug)]
pub struct Store {
    place: Place,
    choice: StoreChoice,
    keyring: Keyring,
}

#[derive(Debug)]
enum Place {
    Files(Dir),
    Memory(Mutex<Memory>),
}

#[derive(Debug, Default)]
struct Memory {
    index: Index,
    tokens: BTreeMap<(String, String), AccessToken>,
}

impl Store {
    /// The store in `dir` (created owner-only when first written), keeping new tokens as
    /// `choice` says. Nothing is read or written yet.
    pub fn open(dir: impl Into<PathBuf>, choice: StoreChoice) -> Store {
        Store {
            place: Place::Files(Dir { path: dir.into() }),
            choice,
            keyring: Keyring {
                timeout: DEFAULT_KEYRING_TIMEOUT,
            },
        }
    }

    /// A store that keeps everything in memory, for tests.
    pub fn in_memory() -> Store {
        Store {
            place: Place::Memory(Mutex::new(Memory::default())),
            choice: StoreChoice::Auto,
            keyring: Keyring {
                timeout: DEFAULT_KEYRING_TIMEOUT,
            },
        }
    }

    /// How long one keyring call may take before it is an error.
    pub fn keyring_timeout(mut self, timeout: Duration) -> Store {
        self.keyring.timeout = timeout;
        self
    }

    /// `$MIAUTH_CONFIG_DIR`, else the platform's configuration directory plus `miauth`
    /// (`$XDG_CONFIG_HOME/miauth` or `~/.config/miauth` on Linux).
    pub fn default_dir() -> Option<PathBuf> {
        match std::env::var_os("MIAUTH_CONFIG_DIR") {
            Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
            _ => dirs::config_dir().map(|d| d.join("miauth")),
        }
    }

    /// The directory of the store; `None` in memory.
    pub fn dir(&self) -> Option<&Path> {
        match &self.place {
            Place::Files(dir) => Some(&dir.path),
            Place::Memory(_) => None,
        }
    }

    /// The plain-text file tokens are kept in with the file backend.
    pub fn tokens_file(&self) -> Option<PathBuf> {
        self.dir().map(|d| d.join(TOKENS))
    }

    /// Where a token saved now would go, and the warning that goes with it. `auto` asks the
    /// keyring whether it exists.
    pub async fn resolve(&self) -> Result<(KeptIn, Option<String>), Error> {
        let dir = match &self.place {
            Place::Memory(_) => return Ok((KeptIn::Memory, None)),
            Place::Files(dir) => dir,
        };
        match self.choice {
            StoreChoice::Keyring => Ok((KeptIn::Keyring, None)),
            StoreChoice::File => Ok((KeptIn::File, None)),
            StoreChoice::Auto => match self.keyring.probe().await {
                Ok(()) => Ok((KeptIn::Keyring, None)),
                Err(Failure::Absent(why)) => Ok((
                    KeptIn::File,
                    Some(format!(
                        "no system keyring here ({why}); the token is kept in plain text in {}{}",
                        dir.file(TOKENS).display(),
                        if crate::output::OWNER_ONLY {
                            " (owner-only)"
                        } else {
                            ""
                        }
                    )),
                )),
                Err(e) => Err(keyring_error(&e)),
            },
        }
    }

    /// Every kept account, in the order saved; no token is read.
    pub fn list(&self) -> Result<Vec<Account>, Error> {
        Ok(match &self.place {
            Place::Memory(memory) => accounts_of(&lock(memory).index),
            Place::Files(dir) => accounts_of(&dir.read(INDEX)?),
        })
    }

    /// The account meant by `instance` (may be left out when one instance is kept) and `user`
    /// (the active account when left out). No token is read.
    pub fn find(&self, instance: Option<&str>, user: Option<&str>) -> Result<Account, Error> {
        choose(self.list()?, instance, user)
    }

    /// The token of `account`, from where it is kept.
    pub async fn token(&self, account: &Account) -> Result<AccessToken, Error> {
        let missing = |why: &str| Error::NotLoggedIn {
            instance: Some(account.instance_argument()),
            user: Some(account.username.clone()),
            reason: why.to_owned(),
        };
        match (&self.place, account.kept_in) {
            (Place::Memory(memory), _) => lock(memory)
                .tokens
                .get(&(account.instance.clone(), account.username.clone()))
                .cloned()
                .ok_or_else(|| missing("no token is kept for it")),
            (Place::Files(_), KeptIn::Keyring) => {
                match self.keyring.get(&account.instance, &account.username).await {
                    Ok(Some(token)) => Ok(AccessToken::new(token)),
                    Ok(None) => Err(missing("the system keyring has no entry for it")),
                    Err(e) => Err(keyring_error(&e)),
                }
            }
            (Place::Files(dir), _) => {
                let tokens: Tokens = dir.read(TOKENS)?;
                tokens
                    .tokens
                    .into_iter()
                    .find(|t| t.instance == account.instance && t.username == account.username)
                    .map(|t| AccessToken::new(t.token))
                    .ok_or_else(|| {
                        missing(&format!(
                            "{} has no token for it",
                            dir.file(TOKENS).display()
                        ))
                    })
            }
        }
    }

    /// The account meant by `instance` and `user`, with its token.
    pub async fn get(
        &self,
        instance: Option<&str>,
        user: Option<&str>,
    ) -> Result<(Account, AccessToken), Error> {
        let account = self.find(instance, user)?;
        let token = self.token(&account).await?;
        Ok((account, token))
    }
}

fn lock(memory: &Mutex<Memory>) -> std::sync::MutexGuard<'_, Memory> {
    memory
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A keyring failure as the error the user sees.
fn keyring_error(e: &Failure) -> Error {
    Error::Store {
        what: "the system keyring".into(),
        reason: match e {
            Failure::Absent(why) => format!("no system keyring is available ({why})"),
            Failure::Refused(why) => format!("it refused: {why}"),
            Failure::TimedOut(after) => format!(
                "it did not answer within {}",
                humantime::format_duration(*after)
            ),
        },
    }
}

#[cfg(test)]
mod tests;
