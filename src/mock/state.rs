//! What the fake instance remembers and how it changes: the tokens it issued (fetched,
//! revoked, with their permissions), the consent pages asked for, the check requests as they
//! come and go, and every request's line, behind one lock, with a signal for those who wait
//! for an event in them. The routes that read and write it are the sibling modules.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::{Semaphore, watch};

use super::{
    CheckFault, CheckSpan, ConsentRequest, Kept, MockConfig, SERVER_PERMISSIONS, consent,
    server_knows,
};

/// One token the fake instance created.
#[derive(Clone, Debug)]
pub(super) struct IssuedToken {
    pub(super) value: String,
    pub(super) fetched: bool,
    /// The permissions granted, as the consent page was asked (all known ones when approved
    /// without a page, like a token made by hand).
    pub(super) permissions: Vec<String>,
    /// Deleted by its user (Settings > Connected apps): it no longer authenticates.
    pub(super) revoked: bool,
}

/// What `/api/i` makes of a token.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TokenCheck {
    Unknown,
    WithoutReadAccount,
    Fine,
}

#[derive(Default)]
pub(super) struct Records {
    pub(super) consent: HashMap<String, ConsentRequest>,
    /// Sessions whose account picker was answered (Continue pressed).
    pub(super) picked: std::collections::HashSet<String>,
    pub(super) tokens: HashMap<String, Vec<IssuedToken>>,
    pub(super) checks: Vec<CheckSpan>,
    pub(super) faults: VecDeque<CheckFault>,
    /// Checks held open by [`CheckFault::Hold`] right now.
    pub(super) held: usize,
    /// Every request that arrived, as "METHOD /path", in order of arrival.
    pub(super) requests: Vec<String>,
    /// How many times the consent page has sent a browser to its callback.
    pub(super) redirects: usize,
}

/// The fake instance's shared state.
pub(crate) struct MockState {
    pub(super) config: MockConfig,
    pub(super) base_url: String,
    pub(super) records: Mutex<Records>,
    /// Told whenever the records change, for those who wait for an event in them.
    pub(super) changed: watch::Sender<()>,
    /// One permit per held check allowed to go on.
    pub(super) release: Semaphore,
}

impl MockState {
    pub(super) fn records(&self) -> MutexGuard<'_, Records> {
        // A panic while holding the lock cannot leave the records half-changed, so go on.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the records and tells those waiting for an event in them.
    pub(super) fn update<T>(&self, change: impl FnOnce(&mut Records) -> T) -> T {
        let out = change(&mut self.records());
        self.changed.send_replace(());
        out
    }

    /// Creates a token for `session` (a second approval creates a second token), with the
    /// permissions its consent page was asked for, as this server keeps them.
    pub(super) fn create_token(&self, session: &str) -> Result<String, getrandom::Error> {
        let value = crate::secret::random_alphanumeric(32)?;
        let kept = Kept::of(&self.config);
        let follows = self.config.misskey_followed();
        self.update(|records| {
            let permissions: Vec<String> = match records.consent.get(session) {
                Some(consent) => consent::granted(consent.permission.as_deref(), kept)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                // Every name this server knows, as a token made by hand would have.
                None => SERVER_PERMISSIONS
                    .lines()
                    .filter(|name| server_knows(name, follows))
                    .map(str::to_owned)
                    .collect(),
            };
            records
                .tokens
                .entry(session.to_owned())
                .or_default()
                .push(IssuedToken {
                    value: value.clone(),
                    fetched: false,
                    permissions,
                    revoked: false,
                });
        });
        Ok(value)
    }

    /// The misbehaviour the next check request gets, if any.
    pub(super) fn next_fault(&self) -> Option<CheckFault> {
        self.records().faults.pop_front()
    }

    /// A check arrived; returns its place in the records.
    pub(super) fn check_started(&self) -> usize {
        self.update(|records| {
            records.checks.push(CheckSpan {
                started: Instant::now(),
                answered: None,
            });
            records.checks.len() - 1
        })
    }

    /// The check at `index` has its answer.
    pub(super) fn check_answered(&self, index: usize) {
        self.update(|records| {
            if let Some(span) = records.checks.get_mut(index) {
                span.answered = Some(Instant::now());
            }
        });
    }

    /// The oldest unfetched token of `session`, left unfetched.
    pub(super) fn unfetched_token(&self, session: &str) -> Option<String> {
        let records = self.records();
        let token = records.tokens.get(session)?.iter().find(|t| !t.fetched)?;
        Some(token.value.clone())
    }

    /// Whether a token of `session` has been handed out by a check.
    pub(super) fn fetched(records: &Records, session: &str) -> bool {
        records
            .tokens
            .get(session)
            .is_some_and(|tokens| tokens.iter().any(|t| t.fetched))
    }

    pub(super) fn mark_fetched(&self, session: &str, value: &str) {
        self.update(|records| {
            if let Some(token) = records
                .tokens
                .get_mut(session)
                .and_then(|tokens| tokens.iter_mut().find(|t| t.value == value))
            {
                token.fetched = true;
            }
        });
    }

    /// Hands out the oldest unfetched token of `session`. Like Misskey, which reads the token
    /// and saves the "fetched" mark without waiting, it does not do both at once: a check that
    /// comes in between gets the same token.
    pub(super) async fn spend_token(&self, session: &str, hold: bool) -> Option<String> {
        let token = self.unfetched_token(session);
        if hold {
            self.hold().await;
        } else {
            tokio::task::yield_now().await;
        }
        if let Some(token) = &token {
            self.mark_fetched(session, token);
        }
        token
    }

    /// Waits until [`MockServer::release_held`] lets this check go on.
    pub(super) async fn hold(&self) {
        self.update(|records| records.held += 1);
        // The semaphore is never closed; if it were, holding no longer would be right.
        if let Ok(permit) = self.release.acquire().await {
            permit.forget();
        }
        self.update(|records| records.held -= 1);
    }

    pub(super) fn token_check(&self, candidate: &str) -> TokenCheck {
        let records = self.records();
        match records
            .tokens
            .values()
            .flatten()
            .find(|t| t.value == candidate)
        {
            None => TokenCheck::Unknown,
            Some(t) if t.revoked => TokenCheck::Unknown,
            Some(t) if !t.permissions.iter().any(|p| p == "read:account") => {
                TokenCheck::WithoutReadAccount
            }
            Some(_) => TokenCheck::Fine,
        }
    }

    /// Revokes the token `value`, as its user does under Settings > Connected apps.
    pub(super) fn revoke(&self, value: &str) -> bool {
        self.update(|records| {
            match records
                .tokens
                .values_mut()
                .flatten()
                .find(|t| t.value == value)
            {
                Some(token) => {
                    token.revoked = true;
                    true
                }
                None => false,
            }
        })
    }

    /// Waits until `done` holds for the records.
    pub(super) async fn wait_until(&self, done: impl Fn(&Records) -> bool) {
        let mut changes = self.changed.subscribe();
        loop {
            if done(&self.records()) {
                return;
            }
            // The sender lives as long as the state, which outlives this borrow.
            if changes.changed().await.is_err() {
                return;
            }
        }
    }
}
