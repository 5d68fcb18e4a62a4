//! The files of the store: the index of accounts and, with the file backend, the tokens.
//!
//! Both live in one directory, owner-only on Unix (0700). The index never holds a token; the
//! tokens file is plain text, owner-only on Unix (0600); on Windows both take the permissions
//! of the user's profile folder they live in. Every write replaces its file atomically (a
//! temporary twin renamed over it), and every read-modify-write holds an exclusive lock on a
//! lock file beside them, so two miauth processes saving at once never lose each other's
//! entries. A file that cannot be read or parsed is an error naming it, and is never
//! overwritten.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::Account;
use crate::Error;

/// The index of accounts: never a token.
pub(crate) const INDEX: &str = "accounts.json";
/// The tokens kept with the file backend.
pub(crate) const TOKENS: &str = "tokens.json";
const LOCK: &str = ".lock";
/// How long a change waits for another miauth that holds the lock.
pub(crate) const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// What `accounts.json` holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct Index {
    pub version: u32,
    pub accounts: Vec<Account>,
    /// The active username for each instance.
    #[serde(default)]
    pub active: BTreeMap<String, String>,
}

/// What `tokens.json` holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Tokens {
    pub version: u32,
    pub tokens: Vec<KeptToken>,
}

/// One token kept in `tokens.json`.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct KeptToken {
    pub instance: String,
    pub username: String,
    pub token: String,
}

impl std::fmt::Debug for KeptToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptToken")
            .field("instance", &self.instance)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The store's directory.
#[derive(Clone, Debug)]
pub(crate) struct Dir {
    pub path: PathBuf,
}

/// The exclusive lock around a read-modify-write; released when dropped.
pub(crate) struct Locked {
    _file: File,
}

impl Dir {
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Creates the directory owner-only if it does not exist yet. An existing one that others
    /// may write to is refused: they could replace the files in it.
    pub fn create(&self) -> Result<(), Error> {
        if self.path.is_dir() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&self.path)
                    .map(|m| m.permissions().mode())
                    .unwrap_or(0);
                if mode & 0o022 != 0 {
                    return Err(Error::Store {
                        what: self.path.display().to_string(),
                        reason: format!(
                            "others may write to it (mode {:o}); make it yours alone (chmod 700) or choose another with MIAUTH_CONFIG_DIR",
                            mode & 0o777
                        ),
                    });
                }
            }
            return Ok(());
        }
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&self.path).map_err(|e| Error::Store {
            what: self.path.display().to_string(),
            reason: format!("cannot create the directory: {e}"),
        })
    }

    /// Takes the exclusive lock, creating the directory first. Another miauth holding it is
    /// waited for, at most [`LOCK_TIMEOUT`], without blocking the async runtime.
    pub async fn lock(&self) -> Result<Locked, Error> {
        self.create()?;
        let path = self.file(LOCK);
        let fail = |reason: String| Error::Store {
            what: path.display().to_string(),
            reason,
        };
        let mut options = File::options();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&path)
            .map_err(|e| fail(format!("cannot open the lock: {e}")))?;
        match file.try_lock() {
            Ok(()) => return Ok(Locked { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(fail(format!("cannot lock: {e}"))),
        }
        // Held by another process: wait for it on a thread of its own. Should the deadline
        // pass first, that thread drops the lock as soon as it gets it.
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("miauth-lock".into())
            .spawn(move || {
                let _ = tx.send(file.lock().map(|()| file));
            })
            .map_err(|e| fail(format!("cannot wait for the lock: {e}")))?;
        match tokio::time::timeout(LOCK_TIMEOUT, rx).await {
            Ok(Ok(Ok(file))) => Ok(Locked { _file: file }),
            Ok(Ok(Err(e))) => Err(fail(format!("cannot lock: {e}"))),
            Ok(Err(_)) => Err(fail("waiting for the lock ended abruptly".into())),
            Err(_) => Err(fail(format!(
                "another miauth has held the lock for {}; if none is running, remove the file",
                humantime::format_duration(LOCK_TIMEOUT)
            ))),
        }
    }

    /// Reads and parses `name`; `T::default()` when it does not exist.
    pub fn read<T: DeserializeOwned + Default>(&self, name: &str) -> Result<T, Error> {
        let path = self.file(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
            Err(e) => return Err(unreadable(&path, &e.to_string())),
        };
        serde_json::from_str(&text).map_err(|e| unreadable(&path, &e.to_string()))
    }

    /// Replaces `name` atomically with `value`, owner-only. Needs the lock.
    pub fn write<T: Serialize>(&self, _lock: &Locked, name: &str, value: &T) -> Result<(), Error> {
        let path = self.file(name);
        let text = serde_json::to_string_pretty(value).map_err(|e| Error::Store {
            what: path.display().to_string(),
            reason: e.to_string(),
        })?;
        crate::output::write_atomic(&path, &(text + "\n")).map_err(|e| Error::Store {
            what: path.display().to_string(),
            reason: match e {
                Error::WriteOutput { reason, .. } => reason,
                other => other.to_string(),
            },
        })
    }
}

fn unreadable(path: &Path, reason: &str) -> Error {
    Error::StoreUnreadable {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}
