//! `miauth status`: every kept account, where its token is, and whether it still works.
//!
//! The listing is the result, so it goes to stdout (text for people, JSON for programs); the
//! exit code sums it up: 0 when every token works, 6 when one is missing or revoked, 4 when an
//! instance cannot be reached, 5 when the store cannot be read.

use miauth::check::Liveness;
use miauth::store::{Account, KeptIn, instance_key};
use miauth::{AccessToken, Error, Instance, Store, exit};
use serde_json::json;

use super::args::{InstanceArgs, StatusFormat, StoreArgs};
use super::kept::{fail, from_environment, open_store, ping, place};
use super::report::clean;
use super::{deliver, read_ca};

/// How a listed account fares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Works,
    Unchecked,
    Revoked,
    Missing,
    Unreachable,
    Unreadable,
}

impl State {
    fn word(self) -> &'static str {
        match self {
            State::Works => "works",
            State::Unchecked => "unchecked",
            State::Revoked => "revoked",
            State::Missing => "missing",
            State::Unreachable => "unreachable",
            State::Unreadable => "unreadable",
        }
    }
}

/// `miauth status`: every kept account and whether its token still works.
pub(super) async fn status(
    instance: Option<String>,
    offline: bool,
    format: StatusFormat,
    args: &StoreArgs,
    instance_args: &InstanceArgs,
) -> u8 {
    let store = match open_store(args) {
        Ok(store) => store,
        Err(e) => return fail(&e),
    };
    let roots = match read_ca(instance_args) {
        Ok(pem) => pem.map(|(_, certs)| certs).unwrap_or_default(),
        Err(e) => return fail(&e),
    };
    let wanted = instance.as_deref().map(instance_key);
    let mut accounts = match store.list() {
        Ok(accounts) => accounts,
        Err(e) => return fail(&e),
    };
    accounts.retain(|a| wanted.as_ref().is_none_or(|w| *w == a.instance));
    let mut rows: Vec<(Account, Option<AccessToken>)> =
        accounts.into_iter().map(|a| (a, None)).collect();
    match from_environment() {
        Ok(Some((env_instance, token)))
            if wanted
                .as_ref()
                .is_none_or(|w| *w == env_instance.authority()) =>
        {
            rows.insert(
                0,
                (
                    Account {
                        instance: env_instance.authority(),
                        url: env_instance.origin(),
                        username: String::new(),
                        user_id: String::new(),
                        permissions: Vec::new(),
                        kept_in: KeptIn::Environment,
                        saved_at: String::new(),
                        active: true,
                    },
                    Some(token),
                ),
            );
        }
        Ok(_) => {}
        Err(e) => return fail(&e),
    }
    if rows.is_empty() {
        return fail(&Error::NotLoggedIn {
            instance: wanted,
            user: None,
            reason: "no account is kept".into(),
        });
    }
    let mut listed = Vec::new();
    for (account, token) in rows {
        let (state, problem) = if offline {
            (State::Unchecked, None)
        } else {
            fare(&store, &account, token, &roots).await
        };
        listed.push((account, state, problem));
    }
    let text = match format {
        StatusFormat::Text => status_text(&store, &listed),
        StatusFormat::Json => status_json(&store, &listed),
    };
    if deliver::write_stdout(&text).is_err() {
        return exit::LOCAL;
    }
    let has = |s: State| listed.iter().any(|(_, state, _)| *state == s);
    if has(State::Unreadable) {
        exit::LOCAL
    } else if has(State::Unreachable) {
        exit::INSTANCE
    } else if has(State::Revoked) || has(State::Missing) {
        exit::NOT_LOGGED_IN
    } else {
        exit::SUCCESS
    }
}

/// Whether the account's token can be read and still works.
async fn fare(
    store: &Store,
    account: &Account,
    token: Option<AccessToken>,
    roots: &[reqwest::Certificate],
) -> (State, Option<String>) {
    let token = match token {
        Some(token) => token,
        None => match store.token(account).await {
            Ok(token) => token,
            Err(e @ Error::NotLoggedIn { .. }) => return (State::Missing, Some(e.to_string())),
            Err(e) => return (State::Unreadable, Some(e.to_string())),
        },
    };
    let instance = match Instance::parse(&account.url) {
        Ok(instance) => instance,
        Err(e) => return (State::Unreadable, Some(e.to_string())),
    };
    match ping(&instance, &token, roots).await {
        Ok(Liveness::Works) => (State::Works, None),
        Ok(Liveness::Revoked) => (
            State::Revoked,
            Some(format!(
                "the instance says it was revoked; log in again with `miauth login {} --save`",
                account.instance
            )),
        ),
        Err(e) => (State::Unreachable, Some(e.to_string())),
    }
}

fn status_text(store: &Store, listed: &[(Account, State, Option<String>)]) -> String {
    let mut text = String::new();
    for (account, state, problem) in listed {
        let who = if account.kept_in == KeptIn::Environment {
            format!("{} (from MISSKEY_URL and MISSKEY_TOKEN)", account.instance)
        } else {
            format!(
                "{}{}",
                account.handle(),
                if account.active { " (active)" } else { "" }
            )
        };
        text.push_str(&clean(&who));
        text.push('\n');
        text.push_str(&format!("  token: {}\n", place(store, account.kept_in)));
        if !account.permissions.is_empty() {
            text.push_str(&format!(
                "  permissions asked: {}\n",
                clean(&account.permissions.join(", "))
            ));
        }
        text.push_str(&format!(
            "  state: {}{}\n",
            state.word(),
            problem
                .as_ref()
                .map(|p| format!(" ({})", clean(p)))
                .unwrap_or_default()
        ));
    }
    text
}

fn status_json(store: &Store, listed: &[(Account, State, Option<String>)]) -> String {
    let accounts: Vec<_> = listed
        .iter()
        .map(|(account, state, problem)| {
            json!({
                "instance": account.instance,
                "url": account.url,
                "username": (account.kept_in != KeptIn::Environment).then_some(&account.username),
                "user_id": (account.kept_in != KeptIn::Environment).then_some(&account.user_id),
                "active": account.active,
                "kept_in": account.kept_in,
                "file": (account.kept_in == KeptIn::File)
                    .then(|| store.tokens_file().map(|p| p.display().to_string()))
                    .flatten(),
                "permissions": account.permissions,
                "saved_at": (!account.saved_at.is_empty()).then_some(&account.saved_at),
                "state": state.word(),
                "problem": problem,
            })
        })
        .collect();
    format!("{}\n", json!({ "accounts": accounts }))
}
