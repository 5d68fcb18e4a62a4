//! Waiting for approval: the callback, polling the check endpoint, the deadline, cancellation.
//!
//! One rule shapes this module: at most one check request is in flight at any time, because the
//! token is handed out once and two checks at once may both be answered with it. The check is
//! therefore a single slot, filled by the poll timer, by a valid callback (at once) or by the end
//! of the wait (one last check). Polling backs off on trouble (429, 5xx, CDN pages, network
//! errors), honouring `Retry-After`, and keeps going until the deadline.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tokio::time::Instant;

use crate::callback::{CallbackHit, CallbackServer};
use crate::check::{CheckFailure, CheckOutcome, InstanceClient};
use crate::ending::Ending;
use crate::progress::{Progress, Sticky};
use crate::{AccessToken, Error, Instance, SessionId, User};

/// The most the last check after the deadline or a cancellation may take: the wait never
/// runs longer than this past its deadline.
pub(crate) const LAST_CHECK_LIMIT: Duration = Duration::from_secs(5);
/// While a browser waits for its page, a failed check is tried again at least this soon
/// (unless the server asks for longer with `Retry-After`).
const BROWSER_RETRY: Duration = Duration::from_secs(2);
/// While a browser waits, a `Retry-After` is honoured up to this long: the browser's
/// connection does not last for ever.
const BROWSER_RETRY_LIMIT: Duration = Duration::from_secs(20);
/// Backing off never waits longer than this between two checks.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

type CheckFuture = Pin<Box<dyn Future<Output = Result<CheckOutcome, CheckFailure>> + Send>>;

/// Everything the wait needs, set up by the flow.
pub(crate) struct Wait<'a> {
    pub client: &'a InstanceClient,
    pub session: &'a SessionId,
    pub instance: &'a Instance,
    pub server: Option<CallbackServer>,
    /// Time between two polls when nothing goes wrong.
    pub poll_every: Duration,
    pub timeout: Duration,
    pub deadline: Instant,
    pub report: &'a (dyn Fn(Progress<'_>) + Send + Sync),
}

/// Why the check in the slot was started.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reason {
    Poll,
    Callback,
}

impl Wait<'_> {
    /// Waits until the token arrives, the wait ends or `cancel` completes. The browsers that
    /// came back are answered only when the caller answers the [`Ending`], so the page can
    /// tell the final result (after the token is confirmed, say).
    pub async fn run(
        mut self,
        cancel: &mut Sticky,
    ) -> (Result<(AccessToken, User), Error>, Ending) {
        let mut server = self.server.take();
        let (result, browsers) = self.wait(&mut server, cancel).await;
        (result, Ending { browsers, server })
    }

    /// The wait itself; returns the result and the browsers still waiting to be told it.
    async fn wait(
        &self,
        server: &mut Option<CallbackServer>,
        cancel: &mut Sticky,
    ) -> (Result<(AccessToken, User), Error>, Vec<CallbackHit>) {
        let mut slot: Option<(CheckFuture, Reason)> = None;
        let mut browsers: Vec<CallbackHit> = Vec::new();
        let mut next_poll = Instant::now() + self.poll_every;
        let mut backoff: Option<ExponentialBackoff> = None;
        let mut maybe_lost = false;
        let deadline = self.deadline;

        loop {
            tokio::select! {
                biased;
                () = &mut *cancel => {
                    let otherwise = Error::Interrupted { answer_lost: maybe_lost, approved: false };
                    let approved = !browsers.is_empty();
                    return (self.last_check(slot.take(), otherwise, approved).await, browsers);
                }
                result = in_flight(&mut slot) => {
                    let reason = slot.take().map(|(_, r)| r).unwrap_or(Reason::Poll);
                    match result {
                        Ok(CheckOutcome::Approved { token, user }) => {
                            return (Ok((token, user)), browsers);
                        }
                        Ok(CheckOutcome::NotApproved) if reason == Reason::Callback => {
                            let instance = self.instance.to_string();
                            // An earlier answer lost on the way may have carried the token.
                            let e = if maybe_lost {
                                Error::CheckAnswerLost {
                                    instance,
                                    reason: "an earlier check's answer was lost on the way, and the token is handed out once".into(),
                                }
                            } else {
                                Error::ApprovedWithoutToken { instance }
                            };
                            return (Err(e), browsers);
                        }
                        Ok(CheckOutcome::NotApproved) if !browsers.is_empty() => {
                            // The browser came back while a poll was out; that poll may predate
                            // the approval, so ask again now.
                            slot = Some((self.check(), Reason::Callback));
                        }
                        Ok(CheckOutcome::NotApproved) => {
                            backoff = None;
                            next_poll = Instant::now() + self.poll_every;
                            (self.report)(Progress::Waiting { remaining: deadline.saturating_duration_since(Instant::now()) });
                        }
                        Err(failure) if failure.transient && !(reason == Reason::Callback && failure.maybe_processed) => {
                            maybe_lost |= failure.maybe_processed;
                            let mut delay = backoff
                                .get_or_insert_with(|| self.backoff())
                                .next()
                                .unwrap_or(MAX_BACKOFF)
                                .min(MAX_BACKOFF);
                            let asked = failure.retry_after.unwrap_or_default();
                            if browsers.is_empty() {
                                delay = delay.max(asked);
                            } else {
                                // A browser waits for this answer: do not keep it at the
                                // background pace, nor past what its connection may last.
                                delay = delay.min(BROWSER_RETRY).max(asked.min(BROWSER_RETRY_LIMIT));
                            }
                            tracing::debug!(error = %failure.error, ?delay, "check failed; trying again later");
                            (self.report)(Progress::Trouble { error: &failure.error, retry_in: delay });
                            // A browser still waiting gets the next try as its check.
                            next_poll = Instant::now() + delay;
                        }
                        // After the browser came back the token is due now: a check that may
                        // have reached the server is not repeated, and the user is told why.
                        Err(failure) if failure.maybe_processed => {
                            let e = Error::CheckAnswerLost {
                                instance: self.instance.to_string(),
                                reason: failure.error.to_string(),
                            };
                            return (Err(e), browsers);
                        }
                        Err(failure) => return (Err(failure.error), browsers),
                    }
                }
                hit = next_hit(server), if server.is_some() => match hit {
                    Some(hit) => {
                        (self.report)(Progress::CallbackReceived);
                        browsers.push(hit);
                        if slot.is_none() {
                            slot = Some((self.check(), Reason::Callback));
                        }
                    }
                    None => *server = None,
                },
                () = tokio::time::sleep_until(deadline) => {
                    let otherwise = Error::Deadline { waited: self.timeout, answer_lost: maybe_lost };
                    let approved = !browsers.is_empty();
                    return (self.last_check(slot.take(), otherwise, approved).await, browsers);
                }
                () = tokio::time::sleep_until(next_poll), if slot.is_none() => {
                    let reason = if browsers.is_empty() { Reason::Poll } else { Reason::Callback };
                    slot = Some((self.check(), reason));
                }
            }
        }
    }

    fn check(&self) -> CheckFuture {
        let client = self.client.clone();
        let session = self.session.clone();
        Box::pin(async move { client.check(&session).await })
    }

    fn backoff(&self) -> ExponentialBackoff {
        ExponentialBuilder::default()
            .with_min_delay(self.poll_every)
            .with_max_delay(MAX_BACKOFF)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build()
    }

    /// The wait is over: let the check in the slot finish, then (if it found nothing) make one
    /// more check; both together take at most [`LAST_CHECK_LIMIT`]. `otherwise` is the result
    /// when neither finds the token and nobody is known to have approved. `approved`: a browser
    /// came back with our session, so the approval did arrive and only the instance's answer is
    /// missing, which is the instance's failure, not a missing approval. A check whose answer
    /// may be lost on the way is named in the error, since it may have carried the token.
    async fn last_check(
        &self,
        slot: Option<(CheckFuture, Reason)>,
        otherwise: Error,
        approved: bool,
    ) -> Result<(AccessToken, User), Error> {
        (self.report)(Progress::LastCheck);
        let limit = Instant::now() + LAST_CHECK_LIMIT;
        let mut lost = false;
        let mut last = None;
        if let Some((in_flight, _)) = slot {
            match tokio::time::timeout_at(limit, in_flight).await {
                Ok(Ok(CheckOutcome::Approved { token, user })) => return Ok((token, user)),
                Ok(Ok(CheckOutcome::NotApproved)) => {}
                Ok(Err(failure)) => lost = failure.maybe_processed,
                // It hangs: asking again would only hang too, and its answer may be lost.
                Err(_) => last = Some(LastCheck::Silent),
            }
        }
        let last = match last {
            Some(silent) => silent,
            None => match tokio::time::timeout_at(limit, self.client.check(self.session)).await {
                Ok(Ok(CheckOutcome::Approved { token, user })) => {
                    tracing::info!("approval found by the last check");
                    return Ok((token, user));
                }
                Ok(Ok(CheckOutcome::NotApproved)) => LastCheck::NotApproved,
                Ok(Err(failure)) => {
                    tracing::debug!(error = %failure.error, "the last check failed");
                    lost |= failure.maybe_processed;
                    LastCheck::Failed(failure.error)
                }
                Err(_) => {
                    tracing::debug!("the last check timed out");
                    LastCheck::Silent
                }
            },
        };
        let instance = self.instance.to_string();
        Err(match (otherwise, last) {
            // A Ctrl-C stays one, whatever the instance did; its message says what was missing.
            (Error::Interrupted { answer_lost, .. }, last) => Error::Interrupted {
                answer_lost: answer_lost || lost || matches!(last, LastCheck::Silent),
                approved,
            },
            (_, LastCheck::Silent) if approved => Error::CheckUnanswered {
                instance,
                waited: self.timeout,
            },
            (_, LastCheck::NotApproved) if approved && !lost => {
                Error::ApprovedWithoutToken { instance }
            }
            (_, LastCheck::Failed(error)) if approved && !lost => error,
            (_, LastCheck::NotApproved | LastCheck::Failed(_)) if approved => {
                Error::CheckAnswerLost {
                    instance,
                    reason:
                        "a check's answer was lost on the way, and the token is handed out once"
                            .into(),
                }
            }
            // The instance is gone: that says more than the deadline.
            (
                Error::Deadline { .. },
                LastCheck::Failed(e @ (Error::Unreachable { .. } | Error::Tls { .. })),
            ) => e,
            (otherwise, LastCheck::Silent) => with_answer_lost(otherwise),
            (otherwise, _) if lost => with_answer_lost(otherwise),
            (otherwise, _) => otherwise,
        })
    }
}

/// How the last check ended, when it brought no token.
enum LastCheck {
    NotApproved,
    Failed(Error),
    /// No answer within the limit.
    Silent,
}

/// `e`, saying (where it can) that a check's answer was lost on the way.
fn with_answer_lost(e: Error) -> Error {
    match e {
        Error::Deadline { waited, .. } => Error::Deadline {
            waited,
            answer_lost: true,
        },
        other => other,
    }
}

/// The check in the slot, or never when the slot is empty.
async fn in_flight(slot: &mut Option<(CheckFuture, Reason)>) -> Result<CheckOutcome, CheckFailure> {
    match slot {
        Some((check, _)) => check.await,
        None => std::future::pending().await,
    }
}

async fn next_hit(server: &mut Option<CallbackServer>) -> Option<CallbackHit> {
    match server {
        Some(server) => server.next_hit().await,
        None => std::future::pending().await,
    }
}
