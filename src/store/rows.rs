//! The rows of the index: which kept account a command means, and adding or dropping one.
//!
//! Pure functions over [`Index`]; the store around them does the locking and the I/O.

use super::Account;
use super::file::Index;
use crate::{Error, Instance};

/// The key an instance is kept under: its authority, as miauth prints it.
pub fn instance_key(input: &str) -> String {
    Instance::parse(input)
        .map(|i| i.authority())
        .unwrap_or_else(|_| input.trim().trim_end_matches('/').to_ascii_lowercase())
}

/// The instance of key `key` as a command names it (see [`Instance::as_argument`]): as kept
/// when an account of it is, else as `input` (what the user typed) means it.
fn argument_of(accounts: &[Account], key: &str, input: Option<&str>) -> String {
    match accounts.iter().find(|a| a.instance == key) {
        Some(account) => account.instance_argument(),
        None => input
            .and_then(|i| Instance::parse(i).ok())
            .filter(|i| i.authority() == key)
            .map_or_else(|| key.to_owned(), |i| i.as_argument()),
    }
}

/// The accounts of an index, each marked active or not.
pub(super) fn accounts_of(index: &Index) -> Vec<Account> {
    index
        .accounts
        .iter()
        .map(|a| Account {
            active: index.active.get(&a.instance) == Some(&a.username),
            ..a.clone()
        })
        .collect()
}

pub(super) fn same(account: &Account, instance: &str, username: &str) -> bool {
    account.instance == instance && account.username.eq_ignore_ascii_case(username)
}

/// Adds or replaces the row of `account`, and makes it the active one of its instance.
pub(super) fn upsert(index: &mut Index, account: Account) {
    index
        .active
        .insert(account.instance.clone(), account.username.clone());
    match index
        .accounts
        .iter_mut()
        .find(|a| same(a, &account.instance, &account.username))
    {
        Some(row) => *row = account,
        None => index.accounts.push(account),
    }
}

/// Removes a row; another account of the same instance, if any, becomes the active one.
pub(super) fn drop_row(index: &mut Index, instance: &str, username: &str) {
    index.accounts.retain(|a| !same(a, instance, username));
    if index
        .active
        .get(instance)
        .is_some_and(|u| u.eq_ignore_ascii_case(username))
    {
        match index.accounts.iter().find(|a| a.instance == instance) {
            Some(next) => {
                index
                    .active
                    .insert(instance.to_owned(), next.username.clone());
            }
            None => {
                index.active.remove(instance);
            }
        }
    }
}

/// The one account meant, out of `accounts`. `instance` may also be an account handle,
/// `@user@host`, which names both.
pub(super) fn choose(
    accounts: Vec<Account>,
    instance: Option<&str>,
    user: Option<&str>,
) -> Result<Account, Error> {
    if let Some(handle) = instance.and_then(crate::handle::Handle::parse) {
        let (name, domain) = (handle.user.as_str(), handle.domain.as_str());
        let matches = |a: &&Account| a.username.eq_ignore_ascii_case(name);
        let mine: Vec<&Account> = accounts.iter().filter(matches).collect();
        // The handle's domain is the instance, or (when it delegates) the only such account.
        let found = match mine
            .iter()
            .find(|a| a.instance.eq_ignore_ascii_case(domain))
        {
            Some(a) => Some(*a),
            None if mine.len() == 1 => mine.first().copied(),
            None => None,
        };
        return found.cloned().ok_or_else(|| Error::NotLoggedIn {
            instance: Some(argument_of(&accounts, &domain.to_ascii_lowercase(), None)),
            user: Some(name.to_owned()),
            reason: "no such account is kept".into(),
        });
    }
    if let Some(input) = instance {
        // Not an instance at all (a path, a typo): a usage error naming it, not "not logged in".
        Instance::parse(input)?;
    }
    let user = user.map(|u| u.trim_start_matches('@'));
    let instance_input = instance;
    let instance = match instance {
        Some(input) => instance_key(input),
        None => {
            let mut instances: Vec<&str> = accounts
                .iter()
                .filter(|a| user.is_none_or(|u| a.username.eq_ignore_ascii_case(u)))
                .map(|a| a.instance.as_str())
                .collect();
            instances.sort_unstable();
            instances.dedup();
            match instances.as_slice() {
                [one] => (*one).to_owned(),
                [] => {
                    return Err(Error::NotLoggedIn {
                        instance: None,
                        user: user.map(str::to_owned),
                        reason: "no account is kept".into(),
                    });
                }
                several => {
                    let kept: Vec<String> = several
                        .iter()
                        .map(|key| argument_of(&accounts, key, None))
                        .collect();
                    return Err(Error::ChooseInstance {
                        kept: kept.join(", "),
                    });
                }
            }
        }
    };
    let argument = argument_of(&accounts, &instance, instance_input);
    let on_instance: Vec<Account> = accounts
        .into_iter()
        .filter(|a| a.instance == instance)
        .collect();
    let found = match user {
        Some(user) => on_instance
            .into_iter()
            .find(|a| a.username.eq_ignore_ascii_case(user)),
        None => {
            let active = on_instance.iter().position(|a| a.active);
            match (active, on_instance.len()) {
                (Some(i), _) => on_instance.into_iter().nth(i),
                (None, 1) => on_instance.into_iter().next(),
                _ => None,
            }
        }
    };
    found.ok_or_else(|| Error::NotLoggedIn {
        instance: Some(argument),
        user: user.map(str::to_owned),
        reason: "no such account is kept".into(),
    })
}
