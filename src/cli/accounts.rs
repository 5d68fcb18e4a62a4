//! `miauth logout` and `miauth switch`: the kept accounts themselves, forgotten or made the
//! active one of their instance.

use miauth::store::{Account, KeptIn};
use miauth::{Error, exit};

use super::args::StoreArgs;
use super::kept::{fail, open_store};
use super::report::clean;

/// `miauth logout`: forgets the account here and says where to revoke the token. With
/// `force`, a keyring that cannot be reached does not keep the account: miauth says where its
/// token stays and how to remove it.
pub(super) async fn logout(
    quiet: bool,
    instance: &str,
    user: Option<&str>,
    force: bool,
    args: &StoreArgs,
) -> u8 {
    let store = match open_store(args) {
        Ok(store) => store,
        Err(e) => return fail(&e),
    };
    if !force {
        // Known first, so that a keyring failure can name the command that forgets it anyway.
        let account = match store.find(Some(instance), user) {
            Ok(account) => account,
            Err(e) => return fail(&e),
        };
        return match store.remove(instance, user).await {
            Ok(account) => {
                say_forgotten(quiet, &account);
                exit::SUCCESS
            }
            // Only the keyring's own failure: `--force` cannot help when the index itself
            // cannot be read or written.
            Err(e)
                if account.kept_in == KeptIn::Keyring
                    && matches!(&e, Error::Store { what, .. } if what == "the system keyring") =>
            {
                eprintln!(
                    "miauth: error: {}; unlock the keyring and run again, or forget the account here anyway with `miauth logout {} -u {} --force` (its token then stays in the keyring)",
                    clean(&e.to_string()),
                    clean(&account.instance_argument()),
                    clean(&account.username)
                );
                e.exit_code()
            }
            Err(e) => fail(&e),
        };
    }
    match store.remove_forced(instance, user).await {
        Ok(forgotten) => {
            let account = &forgotten.account;
            match &forgotten.left_in_keyring {
                Some(left) => {
                    eprintln!(
                        "miauth: warning: {}; the token is still in the system keyring under service {}, user {}: remove it with `{}`; it still works on the instance until you delete the app at {}/settings/apps (Settings > Connected apps).",
                        clean(&left.why.to_string()),
                        clean(&left.service),
                        clean(&left.user),
                        clean(&left.command),
                        clean(&account.url)
                    );
                    if !quiet {
                        eprintln!("Forgot {} here.", clean(&account.handle()));
                    }
                }
                None => say_forgotten(quiet, account),
            }
            exit::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

/// What `logout` says once an account and its token are forgotten here.
fn say_forgotten(quiet: bool, account: &Account) {
    if !quiet {
        eprintln!(
            "Forgot {} here. The token still works until you delete the app at {}/settings/apps.",
            clean(&account.handle()),
            clean(&account.url)
        );
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
