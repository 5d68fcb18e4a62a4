//! The system keyring's calls (feature `keyring`), through the keyring-core family: each runs on
//! a thread of its own, within the deadline of [`Keyring`].

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

#[cfg(target_os = "windows")]
use super::windows_target;
use super::{Failure, Keyring, service};

impl Keyring {
    /// Stores `secret` for `instance` and `user`, replacing an older one.
    pub async fn set(&self, instance: &str, user: &str, secret: &str) -> Result<(), Failure> {
        let (secret, username) = (secret.to_owned(), user.to_owned());
        self.call(instance, user, move |entry| {
            entry.set_password(&secret)?;
            record_user(entry, &username)
        })
        .await
    }

    /// The secret for `instance` and `user`, `None` when there is no such entry.
    pub async fn get(&self, instance: &str, user: &str) -> Result<Option<String>, Failure> {
        match self
            .call(instance, user, |entry| entry.get_password())
            .await
        {
            Ok(secret) => Ok(Some(secret)),
            Err(Failure::Refused(why)) if why == NO_ENTRY => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes the entry; `false` when there was none.
    pub async fn delete(&self, instance: &str, user: &str) -> Result<bool, Failure> {
        match self
            .call(instance, user, |entry| entry.delete_credential())
            .await
        {
            Ok(()) => Ok(true),
            Err(Failure::Refused(why)) if why == NO_ENTRY => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether a keyring service exists here, asked within the deadline.
    pub async fn probe(&self) -> Result<(), Failure> {
        self.run(|_store| Ok(())).await
    }

    async fn call<T: Send + 'static>(
        &self,
        instance: &str,
        user: &str,
        op: impl FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<T, Failure> {
        let (service, user) = (service(instance), user.to_owned());
        self.run(move |store| {
            let entry = entry(store, &service, &user).map_err(describe)?;
            op(&entry).map_err(describe)
        })
        .await
    }

    /// Runs `op` against the platform's store on a thread of its own, within the deadline.
    async fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Arc<CredentialStore>) -> Result<T, String> + Send + 'static,
    ) -> Result<T, Failure> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("miauth-keyring".into())
            .spawn(move || {
                let result = match platform_store() {
                    Ok(store) => op(&store).map_err(Failure::Refused),
                    Err(why) if no_keyring_service(&why) => Err(Failure::Absent(why)),
                    Err(why) => Err(Failure::Refused(why)),
                };
                let _ = tx.send(result);
            });
        if let Err(e) = spawned {
            return Err(Failure::Refused(format!("cannot start a thread: {e}")));
        }
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(Failure::Refused("the keyring call ended abruptly".into())),
            Err(_) => Err(Failure::TimedOut(self.timeout)),
        }
    }
}

/// The entry for `service` and `user` in the platform's store.
#[cfg(not(target_os = "windows"))]
fn entry(store: &Arc<CredentialStore>, service: &str, user: &str) -> keyring_core::Result<Entry> {
    Entry::new_in_store(store, service, user)
}

#[cfg(target_os = "windows")]
fn entry(store: &Arc<CredentialStore>, service: &str, user: &str) -> keyring_core::Result<Entry> {
    let target = windows_target(service, user);
    let modifiers = std::collections::HashMap::from([("target", target.as_str())]);
    Entry::new_in_store_with_modifiers(store, service, user, &modifiers)
}

/// Records the account's username in the credential: on Windows, one made under an explicit
/// target name has none of its own (Credential Manager would show an empty user name).
#[cfg(target_os = "windows")]
fn record_user(entry: &Entry, user: &str) -> keyring_core::Result<()> {
    entry.update_attributes(&std::collections::HashMap::from([("username", user)]))
}

#[cfg(not(target_os = "windows"))]
fn record_user(_entry: &Entry, _user: &str) -> keyring_core::Result<()> {
    Ok(())
}

/// Whether failing to open the platform's store means no keyring service exists here at all
/// (no session bus, nothing on it that serves the Secret Service), as opposed to one that
/// exists and refused: an access denial, a failed key exchange, a provider that failed to
/// start. Only the first lets `auto` keep tokens in the file.
fn no_keyring_service(why: &str) -> bool {
    const ABSENT: [&str; 5] = [
        // secret-service: no bus address, or the bus has no Secret Service interface.
        "no secret service provider or dbus session found",
        // zbus: the session bus's socket does not exist or nobody listens on it.
        "Failed to connect to address",
        // The bus runs, but nothing owns or can start org.freedesktop.secrets.
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        // A platform miauth has no keyring for.
        "miauth knows no system keyring on this platform",
    ];
    ABSENT.iter().any(|sign| why.contains(sign))
}

/// keyring-core's "no such entry", told apart from real failures.
const NO_ENTRY: &str = "no such entry";

fn describe(e: keyring_core::Error) -> String {
    match e {
        keyring_core::Error::NoEntry => NO_ENTRY.to_owned(),
        keyring_core::Error::NoStorageAccess(inner) => {
            format!("it is locked or access was denied: {inner}")
        }
        other => other.to_string(),
    }
}

/// The platform's credential store; an error means none exists here.
#[cfg(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
fn platform_store() -> Result<Arc<CredentialStore>, String> {
    // Connecting opens a session with the Secret Service: it fails when there is no session
    // bus or nothing on it serves the Secret Service.
    let store = zbus_secret_service_keyring_store::Store::new().map_err(|e| e.to_string())?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, String> {
    let store = apple_native_keyring_store::keychain::Store::new().map_err(|e| e.to_string())?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, String> {
    let store = windows_native_keyring_store::Store::new().map_err(|e| e.to_string())?;
    Ok(store)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly",
    target_os = "macos",
    target_os = "windows"
)))]
fn platform_store() -> Result<Arc<CredentialStore>, String> {
    Err("miauth knows no system keyring on this platform".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_missing_bus_or_provider_counts_as_no_keyring() {
        for absent in [
            "Platform failure: zbus error: Failed to connect to address `unix:path=/nonexistent`: No such file or directory (os error 2)",
            "Platform failure: no secret service provider or dbus session found",
            "Platform failure: zbus error: org.freedesktop.DBus.Error.ServiceUnknown: The name is not activatable",
        ] {
            assert!(no_keyring_service(absent), "{absent}");
        }
        for refused in [
            "Platform failure: zbus error: org.freedesktop.DBus.Error.AccessDenied: Rejected send message",
            "Platform failure: zbus error: org.freedesktop.DBus.Error.Spawn.ChildExited: Process org.freedesktop.secrets exited with status 1",
            "Platform failure: SS error: result not returned from SS API",
            "Platform failure: zbus error: org.freedesktop.DBus.Error.NoReply: Did not receive a reply",
        ] {
            assert!(!no_keyring_service(refused), "{refused}");
        }
    }
}
