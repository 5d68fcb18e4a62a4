//! `miauth logout` and `miauth switch`: the kept accounts themselves, ended and forgotten or
//! made the active one of their instance. What the instance says to a revocation is
//! `revoke.rs`'s to tell.

use miauth::store::{Account, KeptIn};
use miauth::{Error, Instance, Store, exit};

use super::args::{RevokeArgs, StoreArgs};
use super::keep::open_store;
use super::kept::fail;
use super::report::clean;
use super::revoke::{Ended, json_of, print_json, say};

/// What `logout` was asked.
pub(super) struct LogoutAsked<'a> {
    pub instance: &'a str,
    pub user: Option<&'a str>,
    pub local: bool,
    pub force: bool,
    pub revoke: &'a RevokeArgs,
}

/// `miauth logout`: revokes the kept token on its instance where the instance allows it (one
/// request; unless `--local`), then forgets the account here whatever the instance said. The
/// token is read before anything is forgotten, so a revocation is never lost to a keyring
/// that fails afterwards. With `force`, a keyring that cannot be reached does not keep the
/// account: miauth says where its token stays and how to remove it.
pub(super) async fn logout(quiet: bool, asked: LogoutAsked<'_>, args: &StoreArgs) -> u8 {
    let store = match open_store(args) {
        Ok(store) => store,
        Err(e) => return fail(&e),
    };
    let roots = match super::read_ca_file(asked.revoke.ca_cert.as_deref()) {
        Ok(found) => found.map(|(_, certs)| certs).unwrap_or_default(),
        Err(e) => return fail(&e),
    };
    let account = match store.find(Some(asked.instance), asked.user) {
        Ok(account) => account,
        Err(e) => return fail(&e),
    };
    let instance = match Instance::parse(&account.url) {
        Ok(instance) => instance,
        Err(e) => return fail(&e),
    };
    let ended = if asked.local {
        Ended::NotAsked
    } else {
        match store.token(&account).await {
            Ok(token) => Ended::Asked(
                miauth::revoke::revoke(&instance, &token, &roots, asked.revoke.timeout).await,
            ),
            Err(Error::NotLoggedIn { .. }) => Ended::NothingKept,
            Err(e) if asked.force && is_keyring(&account, &e) => Ended::Unread,
            Err(e) if is_keyring(&account, &e) => return keyring_refused(&e, &account),
            Err(e) => return fail(&e),
        }
    };
    let forgot = forget(&store, &account, asked.force).await;
    let forgotten = forgot.is_ok();
    if forgotten || matches!(ended, Ended::Asked(_)) {
        // What the instance did is said even when forgetting failed: it cannot be undone.
        say(quiet, &instance, forgotten.then_some(&account), &ended);
    }
    let printed = print_json(
        asked.revoke.format,
        &json_of(&instance, Some(&account), forgotten, &ended),
    );
    if let Err(code) = forgot {
        return code;
    }
    if let Err(code) = printed {
        return code;
    }
    ended.exit_code()
}

/// Whether `e` is the keyring's own failure for an account kept there: `--force` can forget
/// past it, where an index that cannot be read or written cannot be helped.
fn is_keyring(account: &Account, e: &Error) -> bool {
    account.kept_in == KeptIn::Keyring
        && matches!(e, Error::Store { what, .. } if what == "the system keyring")
}

/// A keyring that cannot be reached, without `--force`: the account stays, and the error
/// names the command that forgets it anyway.
fn keyring_refused(e: &Error, account: &Account) -> u8 {
    eprintln!(
        "miauth: error: {}; unlock the keyring and run again, or forget the account here anyway with `miauth logout {} -u {} --force` (its token then stays in the keyring)",
        clean(&e.to_string()),
        clean(&account.instance_argument()),
        clean(&account.username)
    );
    e.exit_code()
}

/// Forgets `account` here; `Err` is the exit code of a failure, already reported.
async fn forget(store: &Store, account: &Account, force: bool) -> Result<(), u8> {
    let (instance, user) = (account.instance.as_str(), Some(account.username.as_str()));
    if !force {
        return match store.remove(instance, user).await {
            Ok(_) => Ok(()),
            Err(e) if is_keyring(account, &e) => Err(keyring_refused(&e, account)),
            Err(e) => Err(fail(&e)),
        };
    }
    match store.remove_forced(instance, user).await {
        Ok(forgotten) => {
            if let Some(left) = &forgotten.left_in_keyring {
                eprintln!(
                    "miauth: warning: {}; the token is still in the system keyring under service {}, user {}: remove it with `{}`.",
                    clean(&left.why.to_string()),
                    clean(&left.service),
                    clean(&left.user),
                    clean(&left.command),
                );
            }
            Ok(())
        }
        Err(e) => Err(fail(&e)),
    }
}

/// `miauth switch`: makes a kept account the active one of its instance.
pub(super) async fn switch(quiet: bool, instance: &str, user: &str, args: &StoreArgs) -> u8 {
    let store = match open_store(args) {
        Ok(store) => store,
        Err(e) => return fail(&e),
    };
    match store.set_active(instance, user).await {
        Ok(account) => {
            if !quiet {
                eprintln!(
                    "{} is now the active account of {}.",
                    clean(&account.handle()),
                    clean(&account.instance)
                );
            }
            exit::SUCCESS
        }
        Err(e) => fail(&e),
    }
}
