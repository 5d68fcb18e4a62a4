//! Keeping the token a login just got: the store the options and the environment name, the
//! saving itself, and the revocation of a token it replaces (`revoke.rs` says what the instance
//! did). `login --save`, `token` and `exec` keep their logins here; `kept.rs` hands kept
//! tokens out.

use std::time::Duration;

use miauth::store::{KeptIn, StoreChoice};
use miauth::{Credentials, Error, Store};

use super::args::{StoreArg, StoreArgs};
use super::kept::interactive;
use super::report::{Reporter, clean};

/// A keyring call on a terminal may wait for an unlock prompt.
const TERMINAL_KEYRING_TIMEOUT: Duration = Duration::from_secs(60);

/// The store as the options and the environment say.
pub(super) fn open_store(args: &StoreArgs) -> Result<Store, Error> {
    let dir = Store::default_dir().ok_or_else(|| Error::Store {
        what: "the configuration directory".into(),
        reason: "neither MIAUTH_CONFIG_DIR nor a home directory is set".into(),
    })?;
    let choice = match args.store {
        StoreArg::Auto => StoreChoice::Auto,
        StoreArg::Keyring => StoreChoice::Keyring,
        StoreArg::File => StoreChoice::File,
    };
    let timeout = args.keyring_timeout.unwrap_or(if interactive() {
        TERMINAL_KEYRING_TIMEOUT
    } else {
        miauth::store::DEFAULT_KEYRING_TIMEOUT
    });
    Ok(Store::open(dir, choice).keyring_timeout(timeout))
}

/// Keeps the token of a login that just succeeded; a failure is reported here and returned, so
/// that the delivery can say the token was not kept. A token it replaces, kept before for the
/// same account, is revoked on the instance where the instance allows it (`roots`: the CA
/// certificates of `--ca-cert`): every new login would otherwise leave one more app behind.
pub(super) async fn save(
    reporter: &Reporter,
    store: &Store,
    credentials: &Credentials,
    roots: &[reqwest::Certificate],
) -> Result<(), Error> {
    // Read before it is overwritten; a token that cannot be read is simply replaced.
    let before = match store.find(
        Some(&credentials.instance.authority()),
        Some(&credentials.user.username),
    ) {
        Ok(account) if !credentials.user.username.is_empty() => store.token(&account).await.ok(),
        _ => None,
    };
    match store.save(credentials).await {
        Ok(saved) => {
            if let Some(warning) = &saved.warning {
                reporter.say_always(&format!("miauth: warning: {}", clean(warning)));
            }
            reporter.say(&format!(
                "Kept the token of {} {}.",
                clean(&saved.account.handle()),
                place(store, saved.account.kept_in)
            ));
            match before {
                Some(old) if old.expose() != credentials.token.expose() => {
                    super::revoke::retire(
                        reporter,
                        &saved.account,
                        &credentials.instance,
                        &old,
                        roots,
                    )
                    .await;
                }
                // Kept, but its token could not be read: nothing to revoke it with.
                None if saved.replaced => reporter.say_always(&format!(
                    "miauth: the token kept before for {} is forgotten here; it still works until you delete the app at {}.",
                    clean(&saved.account.handle()),
                    clean(&miauth::revoke::settings_url(&credentials.instance))
                )),
                _ => {}
            }
            Ok(())
        }
        Err(e) => {
            reporter.error(&e);
            reporter.say_always("miauth: the token is delivered all the same, but it is not kept.");
            Err(e)
        }
    }
}

/// Where a token is kept, in words.
pub(super) fn place(store: &Store, kept_in: KeptIn) -> String {
    match (kept_in, store.tokens_file()) {
        (KeptIn::Keyring, _) => "in the system keyring".into(),
        (KeptIn::File, Some(path)) => format!("in plain text in {}", path.display()),
        (KeptIn::Environment, _) => "in MISSKEY_TOKEN".into(),
        _ => "in memory".into(),
    }
}
