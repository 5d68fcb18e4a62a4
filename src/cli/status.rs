//! `miauth status`: every kept account, where its token is, and whether it still works.
//!
//! The listing is the result, so it goes to stdout (text for people, JSON for programs); the
//! exit code sums it up: 0 when every token works, 6 when one is missing or revoked, 4 when an
//! instance cannot be reached, 5 when the store cannot be read. The tokens are read one after
//! the other (a keyring may be showing an unlock prompt), then every instance is asked at once,
//! each within its own deadline, so one slow instance costs its own deadline and no more; the
//! listing keeps the order of the store, whichever answer comes first.

use std::time::Duration;

use miauth::check::Liveness;
use miauth::store::{Account, KeptIn, instance_key};
use miauth::{AccessToken, Error, Instance, Store, exit};
use serde_json::json;

use super::args::{InstanceArgs, ReportFormat, StoreArgs};
use super::keep::{open_store, place};
use super::kept::{fail, from_environment, ping};
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
    deadline: Duration,
    format: ReportFormat,
    args: &StoreArgs,
    instance_args: &InstanceArgs,
) -> u8 {
    if let Some(input) = instance.as_deref()
        && miauth::handle::Handle::parse(input).is_none()
        && let Err(e) = miauth::Instance::parse(input)
    {
        return fail(&e);
    }
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
        // Named as the user typed it, so that a suggested login means the same instance
        // (`http://127.0.0.1:3000`, not `127.0.0.1:3000`, which would mean https).
        let named = instance.as_deref().map(|input| {
            miauth::Instance::parse(input).map_or_else(|_| instance_key(input), |i| i.as_argument())
        });
        return fail(&Error::NotLoggedIn {
            instance: named,
            user: None,
            reason: "no account is kept".into(),
        });
    }
    let listed = if offline {
        rows.into_iter()
            .map(|(account, _)| (account, State::Unchecked, None))
            .collect()
    } else {
        fare_all(&store, rows, &roots, deadline).await
    };
    let text = match format {
        ReportFormat::Text => status_text(&store, &listed),
        ReportFormat::Json => status_json(&store, &listed),
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

/// A listed account, how it fares, and what went wrong if anything did.
type Listed = (Account, State, Option<String>);

/// How every row fares, in the order of `rows`: the tokens are read one by one, then every
/// instance is asked at once, each within `deadline`.
async fn fare_all(
    store: &Store,
    rows: Vec<(Account, Option<AccessToken>)>,
    roots: &[reqwest::Certificate],
    deadline: Duration,
) -> Vec<Listed> {
    let mut listed = Vec::with_capacity(rows.len());
    let mut asks = tokio::task::JoinSet::new();
    for (place, (account, token)) in rows.into_iter().enumerate() {
        match readable(store, &account, token).await {
            Ok((instance, token)) => {
                let roots = roots.to_vec();
                asks.spawn(async move { (place, ask(&instance, &token, &roots, deadline).await) });
                listed.push((account, State::Unchecked, None));
            }
            Err((state, problem)) => listed.push((account, state, Some(problem))),
        }
    }
    while let Some(done) = asks.join_next().await {
        // A task that panicked leaves its row unchecked rather than ending the listing.
        if let Ok((place, (state, problem))) = done
            && let Some(row) = listed.get_mut(place)
        {
            row.1 = state;
            row.2 = problem;
        }
    }
    listed
}

/// The account's token and instance, or how it fares when either cannot be had.
async fn readable(
    store: &Store,
    account: &Account,
    token: Option<AccessToken>,
) -> Result<(Instance, AccessToken), (State, String)> {
    let token = match token {
        Some(token) => token,
        None => match store.token(account).await {
            Ok(token) => token,
            Err(e @ Error::NotLoggedIn { .. }) => return Err((State::Missing, e.to_string())),
            Err(e) => return Err((State::Unreadable, e.to_string())),
        },
    };
    match Instance::parse(&account.url) {
        Ok(instance) => Ok((instance, token)),
        Err(e) => Err((State::Unreadable, e.to_string())),
    }
}

/// Whether the token still works, as the instance says within `deadline`.
///
/// Two timers end a ping that takes too long: the request's own timeout and the one around it
/// (which also bounds setting up the client). They are of the same length and either may fire
/// first (under Wine the request's usually does), so any failure once the deadline has passed
/// is reported as the deadline, never as whichever error the request happened to end with.
async fn ask(
    instance: &Instance,
    token: &AccessToken,
    roots: &[reqwest::Certificate],
    deadline: Duration,
) -> (State, Option<String>) {
    let started = tokio::time::Instant::now();
    let answer = tokio::time::timeout(deadline, ping(instance, token, roots, deadline)).await;
    let past_deadline = started.elapsed() >= deadline;
    match answer {
        Ok(Ok(Liveness::Works)) => (State::Works, None),
        Ok(Ok(Liveness::Revoked)) => (
            State::Revoked,
            Some(format!(
                "the instance says it was revoked; log in again with `miauth login {} --save`",
                instance.as_argument()
            )),
        ),
        // A request that failed for want of an answer once the deadline had passed timed out,
        // whichever timer ended it.
        Ok(Err(e)) if !(past_deadline && matches!(e, Error::Unreachable { .. })) => {
            (State::Unreachable, Some(e.to_string()))
        }
        Ok(Err(_)) | Err(_) => (
            State::Unreachable,
            Some(format!(
                "{instance} did not answer within {}",
                humantime::format_duration(deadline)
            )),
        ),
    }
}

fn status_text(store: &Store, listed: &[Listed]) -> String {
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

fn status_json(store: &Store, listed: &[Listed]) -> String {
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
