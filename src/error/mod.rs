//! The one error type of the crate.
//!
//! Every failure a user can meet is a variant here, carrying the input it concerns. Each variant
//! knows three things the command line needs: a one-line message (its `Display`), an optional
//! next step ([`Error::hint`]) and the documented exit code ([`Error::exit_code`]). No variant
//! ever holds the access token or the session id.

mod hint;

use std::path::PathBuf;
use std::time::Duration;

/// Exit codes, the contract with programs that run `miauth` (also listed in docs/program.md and
/// `--help`).
pub mod exit {
    /// The token was delivered.
    pub const SUCCESS: u8 = 0;
    /// A bug in miauth.
    pub const INTERNAL: u8 = 1;
    /// Usage error or invalid input.
    pub const USAGE: u8 = 2;
    /// Not approved before the deadline.
    pub const DEADLINE: u8 = 3;
    /// The instance failed: unreachable, TLS, an unexpected answer, approval without a token.
    pub const INSTANCE: u8 = 4;
    /// A local failure: the port cannot be bound, the output cannot be written, the store of
    /// tokens cannot be used.
    pub const LOCAL: u8 = 5;
    /// Not logged in: nothing is kept for that instance or account, or the instance says the
    /// kept token was revoked.
    pub const NOT_LOGGED_IN: u8 = 6;
    /// Interrupted by Ctrl-C (SIGINT).
    pub const INTERRUPTED: u8 = 130;
    /// Terminated by SIGTERM.
    pub const TERMINATED: u8 = 143;
}

/// What went wrong, written for the person or program that ran the login.
///
/// New kinds of failure may be added in any release: match the variants you handle and leave
/// the rest to [`Error::exit_code`], [`Error::kind`] and the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The instance address cannot be used.
    #[error("invalid instance {input:?}: {reason}")]
    InvalidInstance {
        /// The address as given.
        input: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// A permission name cannot be sent.
    #[error("invalid permission {input:?}: {reason}")]
    InvalidPermission {
        /// The name or pattern as given.
        input: String,
        /// Why it cannot be sent, with the nearest known names when there are some.
        reason: String,
    },

    /// Another option has a value that cannot be used.
    #[error("invalid {option} {input:?}: {reason}")]
    InvalidOption {
        /// The option as the command line spells it, like `--timeout`.
        option: &'static str,
        /// The value as given.
        input: String,
        /// Why it cannot be used.
        reason: String,
    },

    /// Nobody approved before the deadline (a denial looks the same: the server says nothing).
    #[error("no approval arrived within {}", humantime::format_duration(*waited))]
    Deadline {
        /// How long the login waited.
        waited: Duration,
        /// A check's answer was lost on the way, so a token may exist that nobody holds.
        answer_lost: bool,
    },

    /// The caller's cancellation (Ctrl-C, SIGTERM) ended the wait.
    #[error("{}", if *approved {
        "interrupted while waiting for the instance to answer the token check; the login was approved"
    } else {
        "interrupted before the login was approved"
    })]
    Interrupted {
        /// A check's answer was lost on the way, so a token may exist that nobody holds.
        answer_lost: bool,
        /// The browser had come back approved: only the instance's answer was missing.
        approved: bool,
    },

    /// Neither WebFinger nor the handle's own domain says where the account lives.
    #[error("cannot find the account {handle}: {reason}")]
    AccountNotFound {
        /// The handle as given, like `@alice@example.com`.
        handle: String,
        /// Why neither way found it.
        reason: String,
    },

    /// The instance could not be reached at all.
    #[error("cannot reach {instance}: {reason}")]
    Unreachable {
        /// The instance's origin, like `https://misskey.io`.
        instance: String,
        /// The network failure, or why the answer was not HTTP.
        reason: String,
    },

    /// The TLS handshake with the instance failed.
    #[error("TLS connection to {instance} failed: {reason}")]
    Tls {
        /// The instance's origin, like `https://misskey.io`.
        instance: String,
        /// The cause, like a certificate not valid for the host.
        reason: String,
    },

    /// The instance answered, but not as a MiAuth server does.
    #[error("{instance} gave an unexpected answer to {request}: {detail}")]
    UnexpectedAnswer {
        /// The instance's origin, like `https://misskey.io`.
        instance: String,
        /// What was asked: the token check, the liveness check.
        request: &'static str,
        /// What came back: the status and what was wrong with the body.
        detail: String,
    },

    /// The browser came back approved, but the instance never answered the token check before
    /// the deadline: a token may exist that nobody holds.
    #[error("the login was approved, but {instance} did not answer the token check within {}", humantime::format_duration(*waited))]
    CheckUnanswered {
        /// The instance's origin, like `https://misskey.io`.
        instance: String,
        /// How long the login waited in all.
        waited: Duration,
    },

    /// The check request was sent but its answer was lost, so a token may exist that nobody holds.
    #[error("the answer of {instance} to the token check was lost: {reason}")]
    CheckAnswerLost {
        /// The instance's origin, like `https://misskey.io`.
        instance: String,
        /// How the answer was lost: a cut connection, a proxy's error page.
        reason: String,
    },

    /// The server does not offer MiAuth (another kind of server, a fork without it, too old).
    #[error("{instance} cannot be used: {reason}")]
    Unsupported {
        /// The instance's origin, like `https://misskey.io`.
        instance: String,
        /// Why, like `mastodon 4.3.0 does not offer MiAuth`.
        reason: String,
    },

    /// The token was handed out, but the instance does not accept it.
    #[error("{instance} does not accept the token it handed out ({detail})")]
    TokenRejected {
        /// The instance's origin, like `https://misskey.io`.
        instance: String,
        /// What the instance answered.
        detail: String,
    },

    /// The browser came back approved, yet the check handed out no token.
    #[error("{instance} reported approval but handed out no token")]
    ApprovedWithoutToken {
        /// The instance's origin, like `https://misskey.io`.
        instance: String,
    },

    /// The loopback callback server cannot listen.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address and port asked for, like `127.0.0.1:8080`.
        addr: String,
        /// The system's error.
        reason: String,
    },

    /// The result cannot be written where it was asked to go.
    #[error("cannot write {}: {reason}", path.display())]
    WriteOutput {
        /// The file asked for.
        path: PathBuf,
        /// The system's error.
        reason: String,
    },

    /// The place tokens are kept cannot be used: the keyring is locked, refused or did not
    /// answer, or a file of the store cannot be written.
    #[error("cannot use {what}: {reason}")]
    Store {
        /// What failed: `the system keyring`, or a file or directory of the store.
        what: String,
        /// Why.
        reason: String,
    },

    /// A file of the store cannot be read or makes no sense; it is left as it is.
    #[error("cannot read {}: {reason}", path.display())]
    StoreUnreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// Accounts of several instances are kept, and none was named.
    #[error("accounts of several instances are kept ({kept}); name one")]
    ChooseInstance {
        /// The instances kept, comma-separated, each as a command names it
        /// ([`Instance::as_argument`](crate::Instance::as_argument)).
        kept: String,
    },

    /// Nothing is kept for that instance or account.
    #[error("not logged in{}{}: {reason}", instance.as_ref().map(|i| format!(" to {i}")).unwrap_or_default(), user.as_ref().map(|u| format!(" as @{u}")).unwrap_or_default())]
    NotLoggedIn {
        /// The instance looked in, as a command names it ([`Instance::as_argument`]:
        /// `misskey.io`, `http://127.0.0.1:3000`); `None` when none was named.
        ///
        /// [`Instance::as_argument`]: crate::Instance::as_argument
        instance: Option<String>,
        /// The username looked for, without `@`; `None` when none was named (the active
        /// account was meant).
        user: Option<String>,
        /// Why nothing was found.
        reason: String,
    },

    /// The kept token was not given a permission asked for; a login for `wanted` (what was
    /// kept and what was asked) would give a token that has it.
    #[error("the token kept for {account} was not given {lacking}")]
    PermissionMissing {
        /// The kept account, `@username@host`.
        account: String,
        /// Its instance, as a command names it ([`Instance::as_argument`](crate::Instance::as_argument)).
        instance: String,
        /// The permissions asked for that the token lacks, comma-separated.
        lacking: String,
        /// What a new login should ask for, comma-separated, as `-p` takes it.
        wanted: String,
    },

    /// The instance says the kept token no longer works: it was revoked.
    #[error("the token kept for {account} no longer works: {instance} says it was revoked")]
    TokenRevoked {
        /// The kept account, `@username@host`, or `MISSKEY_TOKEN` for the environment's token.
        account: String,
        /// Its instance, as a command names it ([`Instance::as_argument`](crate::Instance::as_argument)).
        instance: String,
    },

    /// A token was given as a command-line argument, which other users of the machine can read.
    #[error(
        "a token is never taken as an argument: other users of this machine can read the arguments of a running command"
    )]
    TokenInArguments,

    /// A command that works on a token the caller holds was given none.
    #[error("no token to revoke: {reason}")]
    NoToken {
        /// Where miauth looked, and what it found there.
        reason: String,
    },

    /// A bug: something that should not be able to fail did.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The documented exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::InvalidInstance { .. }
            | Error::InvalidPermission { .. }
            | Error::InvalidOption { .. }
            | Error::ChooseInstance { .. }
            | Error::TokenInArguments
            | Error::NoToken { .. } => exit::USAGE,
            Error::Deadline { .. } => exit::DEADLINE,
            Error::Interrupted { .. } => exit::INTERRUPTED,
            Error::AccountNotFound { .. }
            | Error::Unreachable { .. }
            | Error::Tls { .. }
            | Error::UnexpectedAnswer { .. }
            | Error::CheckAnswerLost { .. }
            | Error::CheckUnanswered { .. }
            | Error::Unsupported { .. }
            | Error::TokenRejected { .. }
            | Error::ApprovedWithoutToken { .. } => exit::INSTANCE,
            Error::Bind { .. }
            | Error::WriteOutput { .. }
            | Error::Store { .. }
            | Error::StoreUnreadable { .. } => exit::LOCAL,
            Error::NotLoggedIn { .. }
            | Error::PermissionMissing { .. }
            | Error::TokenRevoked { .. } => exit::NOT_LOGGED_IN,
            Error::Internal(_) => exit::INTERNAL,
        }
    }

    /// A short machine-readable name of the kind of failure.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidInstance { .. } => "invalid_instance",
            Error::InvalidPermission { .. } => "invalid_permission",
            Error::InvalidOption { .. } => "invalid_option",
            Error::Deadline { .. } => "deadline",
            Error::Interrupted { .. } => "interrupted",
            Error::AccountNotFound { .. } => "account_not_found",
            Error::Unreachable { .. } => "unreachable",
            Error::Tls { .. } => "tls",
            Error::UnexpectedAnswer { .. } => "unexpected_answer",
            Error::CheckAnswerLost { .. } => "check_answer_lost",
            Error::CheckUnanswered { .. } => "check_unanswered",
            Error::Unsupported { .. } => "unsupported",
            Error::TokenRejected { .. } => "token_rejected",
            Error::ApprovedWithoutToken { .. } => "approved_without_token",
            Error::Bind { .. } => "bind",
            Error::WriteOutput { .. } => "write_output",
            Error::Store { .. } => "store",
            Error::ChooseInstance { .. } => "choose_instance",
            Error::StoreUnreadable { .. } => "store_unreadable",
            Error::NotLoggedIn { .. } => "not_logged_in",
            Error::PermissionMissing { .. } => "permission_missing",
            Error::TokenRevoked { .. } => "token_revoked",
            Error::TokenInArguments => "token_argument",
            Error::NoToken { .. } => "no_token",
            Error::Internal(_) => "internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_one_line() {
        let errors = [
            Error::Deadline {
                waited: Duration::from_secs(300),
                answer_lost: true,
            },
            Error::ApprovedWithoutToken {
                instance: "https://misskey.io".into(),
            },
        ];
        for e in errors {
            assert!(!e.to_string().contains('\n'));
            assert!(!e.hint().unwrap_or_default().contains('\n'));
        }
    }

    #[test]
    fn deadline_message_names_the_wait_in_human_units() {
        let e = Error::Deadline {
            waited: Duration::from_secs(90),
            answer_lost: false,
        };
        assert_eq!(e.to_string(), "no approval arrived within 1m 30s");
        assert_eq!(e.exit_code(), 3);
    }
}
