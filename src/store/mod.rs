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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::{AccessToken, Credentials, Error};
pub use account::{Account, Forgotten, KeptIn, LeftInKeyring, Saved, StoreChoice};
use file::{Dir, INDEX, Index, KeptToken, TOKENS, Tokens};
use keyring::{Failure, Keyring};
pub use rows::instance_key;
use rows::{accounts_of, choose, drop_row, same, upsert};

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

    /// Saves the token, the account and the permissions asked; the account becomes the active
    /// one of its instance. A second account on the same instance is kept beside the first.
    pub async fn save(&self, credentials: &Credentials) -> Result<Saved, Error> {
        let (kept_in, warning) = self.resolve().await?;
        let instance = credentials.instance.authority();
        let username = credentials.user.username.clone();
        let account = Account {
            instance: instance.clone(),
            url: credentials.instance.origin(),
            username: username.clone(),
            user_id: credentials.user.id.clone(),
            permissions: credentials.permissions.names().to_vec(),
            kept_in,
            saved_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            active: true,
        };
        let mut warning = warning;
        let replaced = match &self.place {
            Place::Memory(memory) => {
                let mut memory = lock(memory);
                let replaced = memory
                    .tokens
                    .insert((instance.clone(), username), credentials.token.clone())
                    .is_some();
                upsert(&mut memory.index, account.clone());
                replaced
            }
            Place::Files(dir) => {
                let guard = dir.lock().await?;
                let mut index: Index = dir.read(INDEX)?;
                let before = index
                    .accounts
                    .iter()
                    .find(|a| same(a, &instance, &username))
                    .map(|a| a.kept_in);
                if before == Some(KeptIn::Keyring)
                    && kept_in == KeptIn::File
                    && self.choice == StoreChoice::Auto
                {
                    return Err(Error::Store {
                        what: "the system keyring".into(),
                        reason: format!(
                            "{} is kept there, and it is not available now; miauth does not move it to a plain-text file by itself",
                            account.handle()
                        ),
                    });
                }
                let token = credentials.token.expose();
                match kept_in {
                    KeptIn::Keyring => self
                        .keyring
                        .set(&instance, &username, token)
                        .await
                        .map_err(|e| keyring_error(&e))?,
                    _ => {
                        let mut tokens: Tokens = dir.read(TOKENS)?;
                        tokens
                            .tokens
                            .retain(|t| !(t.instance == instance && t.username == username));
                        tokens.tokens.push(KeptToken {
                            instance: instance.clone(),
                            username: username.clone(),
                            token: token.to_owned(),
                        });
                        tokens.version = 1;
                        dir.write(&guard, TOKENS, &tokens)?;
                    }
                }
                upsert(&mut index, account.clone());
                index.version = 1;
                dir.write(&guard, INDEX, &index)?;
                // Only once the index points to the new place does the old copy go, so a
                // reader never finds the account without its token.
                match (before, kept_in) {
                    (Some(KeptIn::File), KeptIn::Keyring) => {
                        self.forget_in_file(dir, &guard, &instance, &username)?;
                    }
                    (Some(KeptIn::Keyring), KeptIn::File) => {
                        if let Err(e) = self.keyring.delete(&instance, &username).await {
                            warning = Some(format!(
                                "the older copy in the system keyring could not be removed: {}",
                                keyring_error(&e)
                            ));
                        }
                    }
                    _ => {}
                }
                before.is_some()
            }
        };
        Ok(Saved {
            account,
            warning,
            replaced,
        })
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

    /// Forgets the account and its token here. The token still works on the instance until it
    /// is deleted there. A keyring that cannot be reached is an error, and the account stays.
    pub async fn remove(&self, instance: &str, user: Option<&str>) -> Result<Account, Error> {
        self.forget(instance, user, false)
            .await
            .map(|forgotten| forgotten.account)
    }

    /// Forgets the account here even when the system keyring holding its token cannot be
    /// reached (locked, refused, no answer): the token is then left in the keyring, and
    /// [`Forgotten::left_in_keyring`] says where and how to remove it by hand.
    pub async fn remove_forced(
        &self,
        instance: &str,
        user: Option<&str>,
    ) -> Result<Forgotten, Error> {
        self.forget(instance, user, true).await
    }

    async fn forget(
        &self,
        instance: &str,
        user: Option<&str>,
        force: bool,
    ) -> Result<Forgotten, Error> {
        match &self.place {
            Place::Memory(memory) => {
                let mut memory = lock(memory);
                let account = choose(accounts_of(&memory.index), Some(instance), user)?;
                memory
                    .tokens
                    .remove(&(account.instance.clone(), account.username.clone()));
                drop_row(&mut memory.index, &account.instance, &account.username);
                Ok(Forgotten {
                    account,
                    left_in_keyring: None,
                })
            }
            Place::Files(dir) => {
                let guard = dir.lock().await?;
                let mut index: Index = dir.read(INDEX)?;
                let account = choose(accounts_of(&index), Some(instance), user)?;
                let (key, username) = (&account.instance, &account.username);
                let mut left_in_keyring = None;
                match account.kept_in {
                    KeptIn::Keyring => {
                        if let Err(e) = self.keyring.delete(key, username).await {
                            if !force {
                                return Err(keyring_error(&e));
                            }
                            left_in_keyring = Some(LeftInKeyring::of(&account, keyring_error(&e)));
                        }
                    }
                    _ => self.forget_in_file(dir, &guard, key, username)?,
                }
                drop_row(&mut index, key, username);
                dir.write(&guard, INDEX, &index)?;
                Ok(Forgotten {
                    account,
                    left_in_keyring,
                })
            }
        }
    }

    /// Makes `user` the active account of `instance`.
    pub async fn set_active(&self, instance: &str, user: &str) -> Result<Account, Error> {
        let set = |index: &mut Index| -> Result<Account, Error> {
            let account = choose(accounts_of(index), Some(instance), Some(user))?;
            index
                .active
                .insert(account.instance.clone(), account.username.clone());
            Ok(Account {
                active: true,
                ..account
            })
        };
        match &self.place {
            Place::Memory(memory) => set(&mut lock(memory).index),
            Place::Files(dir) => {
                let guard = dir.lock().await?;
                let mut index: Index = dir.read(INDEX)?;
                let account = set(&mut index)?;
                dir.write(&guard, INDEX, &index)?;
                Ok(account)
            }
        }
    }

    fn forget_in_file(
        &self,
        dir: &Dir,
        guard: &file::Locked,
        instance: &str,
        username: &str,
    ) -> Result<(), Error> {
        let mut tokens: Tokens = dir.read(TOKENS)?;
        let before = tokens.tokens.len();
        tokens
            .tokens
            .retain(|t| !(t.instance == instance && t.username == username));
        if tokens.tokens.len() != before {
            dir.write(guard, TOKENS, &tokens)?;
        }
        Ok(())
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
