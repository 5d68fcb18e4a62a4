//! The changes to a [`Store`]: saving a token and its account, forgetting one (forced past a
//! keyring that cannot be reached, when asked), and setting the active account. Each takes the
//! store's lock and writes the index last when adding, first when removing, so that a reader
//! never finds an account without its token.

use super::file::{self, Dir, INDEX, Index, KeptToken, TOKENS, Tokens};
use super::rows::{accounts_of, choose, drop_row, same, upsert};
use super::{
    Account, Forgotten, KeptIn, LeftInKeyring, Place, Saved, Store, StoreChoice, keyring_error,
    lock,
};
use crate::{Credentials, Error};

impl Store {
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
