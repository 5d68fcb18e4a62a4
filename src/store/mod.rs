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

mod file;
mod keyring;
mod rows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{AccessToken, Credentials, Error};
use file::{Dir, INDEX, Index, KeptToken, TOKENS, Tokens};
use keyring::{Failure, Keyring};
pub use rows::instance_key;
use rows::{accounts_of, choose, drop_row, same, upsert};

/// How long one keyring call may take unless told otherwise.
pub const DEFAULT_KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

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
    fn of(account: &Account, why: Error) -> LeftInKeyring {
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
fn removal_command(os: &str, service: &str, user: &str) -> String {
    match os {
        "macos" => format!("security delete-generic-password -s {service} -a {user}"),
        "windows" => format!("cmdkey /delete:{}", keyring::windows_target(service, user)),
        _ => format!("secret-tool clear service {service} username {user}"),
    }
}

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
mod tests {
    // The store with the file backend and in memory: what is kept where, and what never is.

    use super::*;
    use crate::{Instance, Permissions, User};

    fn credentials(instance: &str, username: &str, token: &str) -> Credentials {
        Credentials {
            token: AccessToken::new(token),
            user: User {
                id: format!("id-{username}"),
                username: username.into(),
                ..User::default()
            },
            instance: Instance::parse(instance).unwrap(),
            permissions: Permissions::parse(["read:account,write:notes"]).unwrap(),
            verified: true,
        }
    }

    fn file_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("miauth"), StoreChoice::File);
        (dir, store)
    }

    /// A build without the `keyring` feature has no keyring: asking for it is an error that
    /// names the feature, and `auto` keeps the token in the file, saying so.
    #[cfg(not(feature = "keyring"))]
    #[tokio::test]
    async fn without_the_keyring_feature_the_keyring_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = Store::open(dir.path().join("k"), StoreChoice::Keyring);
        let e = keyring
            .save(&credentials("https://misskey.io", "alice", "t0ken"))
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("miauth was built without its `keyring` feature"),
            "{e}"
        );
        let auto = Store::open(dir.path().join("a"), StoreChoice::Auto);
        let saved = auto
            .save(&credentials("https://misskey.io", "alice", "t0ken"))
            .await
            .unwrap();
        assert_eq!(saved.account.kept_in, KeptIn::File);
        assert!(
            saved
                .warning
                .is_some_and(|w| w.contains("`keyring` feature") && w.contains("plain text")),
        );
    }

    #[tokio::test]
    async fn a_saved_account_comes_back_with_its_token_and_permissions() {
        for store in [file_store().1, Store::in_memory()] {
            let _keep;
            let store = if store.dir().is_some() {
                let (dir, s) = file_store();
                _keep = dir;
                s
            } else {
                store
            };
            store
                .save(&credentials("misskey.io", "alice", "TOKEN-A"))
                .await
                .unwrap();
            let (account, token) = store.get(Some("https://misskey.io/"), None).await.unwrap();
            assert_eq!(token.expose(), "TOKEN-A");
            assert_eq!(account.handle(), "@alice@misskey.io");
            assert_eq!(account.permissions, ["read:account", "write:notes"]);
            assert!(account.active);
            // One instance kept: it may be left out.
            let (account, _) = store.get(None, Some("@alice")).await.unwrap();
            assert_eq!(account.user_id, "id-alice");
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_directory_and_the_files_are_owner_only_and_the_index_holds_no_token() {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, store) = file_store();
        store
            .save(&credentials("misskey.io", "alice", "SECRET-TOKEN-1"))
            .await
            .unwrap();
        let dir = store.dir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir), 0o700);
        assert_eq!(mode(&dir.join(TOKENS)), 0o600);
        assert_eq!(mode(&dir.join(INDEX)), 0o600);
        let index = std::fs::read_to_string(dir.join(INDEX)).unwrap();
        assert!(!index.contains("SECRET-TOKEN-1"), "{index}");
        assert!(index.contains("\"kept_in\": \"file\""), "{index}");
        let tokens = std::fs::read_to_string(dir.join(TOKENS)).unwrap();
        assert!(tokens.contains("SECRET-TOKEN-1"));
    }

    #[tokio::test]
    async fn a_second_account_is_kept_beside_the_first_and_becomes_active() {
        let (_tmp, store) = file_store();
        store
            .save(&credentials("misskey.io", "alice", "A"))
            .await
            .unwrap();
        store
            .save(&credentials("misskey.io", "bob", "B"))
            .await
            .unwrap();
        let (active, token) = store.get(Some("misskey.io"), None).await.unwrap();
        assert_eq!((active.username.as_str(), token.expose()), ("bob", "B"));
        let (_, token) = store.get(Some("misskey.io"), Some("alice")).await.unwrap();
        assert_eq!(token.expose(), "A");

        store.set_active("misskey.io", "alice").await.unwrap();
        let (active, _) = store.get(Some("misskey.io"), None).await.unwrap();
        assert_eq!(active.username, "alice");
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed.iter().filter(|a| a.active).count(), 1);

        // Forgetting the active account makes the other one active.
        store.remove("misskey.io", None).await.unwrap();
        let (active, token) = store.get(Some("misskey.io"), None).await.unwrap();
        assert_eq!((active.username.as_str(), token.expose()), ("bob", "B"));
        let tokens = std::fs::read_to_string(store.tokens_file().unwrap()).unwrap();
        assert!(!tokens.contains("\"A\""), "{tokens}");
    }

    #[tokio::test]
    async fn nothing_kept_is_not_logged_in() {
        let (_tmp, store) = file_store();
        let e = store.get(Some("misskey.io"), None).await.unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::NOT_LOGGED_IN, "{e}");
        let e = store.remove("misskey.io", None).await.unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::NOT_LOGGED_IN, "{e}");
        store
            .save(&credentials("misskey.io", "alice", "A"))
            .await
            .unwrap();
        let e = store
            .get(Some("misskey.io"), Some("carol"))
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::NOT_LOGGED_IN, "{e}");
        let e = store.get(Some("example.com"), None).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "not logged in to example.com: no such account is kept"
        );
    }

    #[tokio::test]
    async fn several_instances_must_be_named() {
        let store = Store::in_memory();
        store
            .save(&credentials("misskey.io", "alice", "A"))
            .await
            .unwrap();
        store
            .save(&credentials("127.0.0.1:8080", "alice", "B"))
            .await
            .unwrap();
        let e = store.get(None, None).await.unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::USAGE);
        assert!(e.to_string().contains("127.0.0.1:8080, misskey.io"), "{e}");
        let (account, token) = store.get(Some("127.0.0.1:8080"), None).await.unwrap();
        assert_eq!(
            (account.instance.as_str(), token.expose()),
            ("127.0.0.1:8080", "B")
        );
    }

    #[tokio::test]
    async fn a_corrupt_index_is_an_error_naming_it_and_is_kept() {
        let (_tmp, store) = file_store();
        store
            .save(&credentials("misskey.io", "alice", "A"))
            .await
            .unwrap();
        let index = store.dir().unwrap().join(INDEX);
        std::fs::write(&index, "{ not json").unwrap();
        let e = store.list().unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::LOCAL);
        assert!(e.to_string().contains(&index.display().to_string()), "{e}");
        let e = store
            .save(&credentials("misskey.io", "bob", "B"))
            .await
            .unwrap_err();
        assert!(e.to_string().starts_with("cannot read "), "{e}");
        assert_eq!(std::fs::read_to_string(&index).unwrap(), "{ not json");
    }

    #[tokio::test]
    async fn a_corrupt_tokens_file_is_an_error_and_is_kept() {
        let (_tmp, store) = file_store();
        store
            .save(&credentials("misskey.io", "alice", "A"))
            .await
            .unwrap();
        let tokens = store.tokens_file().unwrap();
        std::fs::write(&tokens, "[]").unwrap();
        let e = store.get(Some("misskey.io"), None).await.unwrap_err();
        assert!(e.to_string().contains(&tokens.display().to_string()), "{e}");
        assert!(
            store
                .save(&credentials("misskey.io", "bob", "B"))
                .await
                .is_err()
        );
        assert_eq!(std::fs::read_to_string(&tokens).unwrap(), "[]");
    }

    #[test]
    fn saves_from_many_stores_at_once_keep_every_account() {
        let (_tmp, store) = file_store();
        let dir = store.dir().unwrap().to_owned();
        // Threads, each with a runtime and a Store of its own, as separate processes would be:
        // their read-modify-writes really overlap, and only the lock keeps them whole.
        let savers: Vec<_> = (0..16)
            .map(|n| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        Store::open(dir, StoreChoice::File)
                            .save(&credentials(
                                "misskey.io",
                                &format!("user{n}"),
                                &format!("T{n}"),
                            ))
                            .await
                            .unwrap();
                    });
                })
            })
            .collect();
        for saver in savers {
            saver.join().unwrap();
        }
        assert_eq!(store.list().unwrap().len(), 16);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for n in 0..16 {
            let (_, token) = runtime
                .block_on(store.get(Some("misskey.io"), Some(&format!("user{n}"))))
                .unwrap();
            assert_eq!(token.expose(), format!("T{n}"));
        }
    }

    #[tokio::test]
    async fn a_lock_held_elsewhere_is_waited_for_then_given_up_with_an_error() {
        let (_tmp, store) = file_store();
        store
            .save(&credentials("misskey.io", "alice", "A"))
            .await
            .unwrap();
        let lock_path = store.dir().unwrap().join(".lock");
        let held = std::fs::File::options()
            .write(true)
            .open(&lock_path)
            .unwrap();
        held.lock().unwrap();
        tokio::time::pause();
        let e = store
            .save(&credentials("misskey.io", "bob", "B"))
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::LOCAL, "{e}");
        assert!(e.to_string().contains(".lock"), "{e}");
        assert!(
            e.to_string().contains("another miauth has held the lock"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_directory_others_may_write_to_is_refused() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let (_tmp, store) = file_store();
            let dir = store.dir().unwrap();
            std::fs::create_dir_all(dir).unwrap();
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
            let e = store
                .save(&credentials("misskey.io", "alice", "A"))
                .await
                .unwrap_err();
            assert!(e.to_string().contains("others may write to it"), "{e}");
            assert!(!dir.join(INDEX).exists());
        }
    }

    #[tokio::test]
    async fn a_handle_names_the_account_and_its_instance() {
        let store = Store::in_memory();
        for (instance, user, token) in [
            ("misskey.io", "alice", "A"),
            ("misskey.io", "bob", "B"),
            ("example.social", "alice", "C"),
        ] {
            store
                .save(&credentials(instance, user, token))
                .await
                .unwrap();
        }
        let (_, token) = store.get(Some("@alice@misskey.io"), None).await.unwrap();
        assert_eq!(token.expose(), "A");
        let (_, token) = store.get(Some("bob@misskey.io"), None).await.unwrap();
        assert_eq!(token.expose(), "B");
        // A handle whose domain delegates to its web host: the one bob kept anywhere.
        let (account, _) = store.get(Some("@bob@example.com"), None).await.unwrap();
        assert_eq!(account.instance, "misskey.io");
        let e = store
            .get(Some("@carol@misskey.io"), None)
            .await
            .unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::NOT_LOGGED_IN, "{e}");
        // -u alone picks the instance when only one has that user.
        let (account, _) = store.get(None, Some("bob")).await.unwrap();
        assert_eq!(account.instance, "misskey.io");
    }

    #[tokio::test]
    async fn saving_an_account_again_says_the_older_token_is_replaced() {
        let (_tmp, store) = file_store();
        let first = store
            .save(&credentials("misskey.io", "alice", "A"))
            .await
            .unwrap();
        assert!(!first.replaced);
        let second = store
            .save(&credentials("misskey.io", "alice", "A2"))
            .await
            .unwrap();
        assert!(second.replaced);
        let (_, token) = store.get(Some("misskey.io"), None).await.unwrap();
        assert_eq!(token.expose(), "A2");
    }

    #[test]
    fn a_token_left_in_the_keyring_is_removed_by_hand_with_the_system_s_own_tool() {
        let service = keyring::service("127.0.0.1:8080");
        assert_eq!(
            removal_command("linux", &service, "alice"),
            "secret-tool clear service miauth:127.0.0.1:8080 username alice"
        );
        assert_eq!(
            removal_command("freebsd", &service, "alice"),
            "secret-tool clear service miauth:127.0.0.1:8080 username alice"
        );
        assert_eq!(
            removal_command("macos", &service, "alice"),
            "security delete-generic-password -s miauth:127.0.0.1:8080 -a alice"
        );
        assert_eq!(
            removal_command("windows", &service, "alice"),
            "cmdkey /delete:alice@miauth:127.0.0.1:8080"
        );
    }

    #[test]
    fn the_keyring_service_name_is_miauth_and_the_instance_as_printed() {
        assert_eq!(
            keyring::service(&instance_key("https://misskey.io/")),
            "miauth:misskey.io"
        );
        assert_eq!(
            keyring::service(&instance_key("http://127.0.0.1:8080")),
            "miauth:127.0.0.1:8080"
        );
    }
}
