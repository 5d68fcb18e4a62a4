//! Get a Misskey access token through MiAuth, the browser login of Misskey and its forks.
//!
//! A [`Login`] makes a fresh session, starts a short-lived callback server on loopback, opens
//! the user's browser at the instance's consent page and, once the browser comes back, asks the
//! instance for the token:
//!
//! ```no_run
//! # async fn example() -> Result<(), miauth::Error> {
//! use miauth::{Instance, Login, Permissions};
//!
//! let credentials = Login::new(Instance::parse("misskey.io")?)
//!     .name("my-bot")
//!     .permissions(Permissions::parse(["read:account,write:notes"])?)
//!     .run()
//!     .await?;
//! println!("logged in as {}", credentials.handle());
//! let token: &str = credentials.token.expose();
//! # let _ = token;
//! # Ok(())
//! # }
//! ```
//!
//! [`Login::run`] returns once the browser has been shown how the login ended, which may take
//! up to [`PAGE_GRACE`] after the token when the browser is slower than the check;
//! [`Login::run_with_page`] returns the credentials at once and leaves the browser to a
//! [`BrowserPage`].
//!
//! The library prints nothing: progress goes to an observer ([`Login::on_progress`]), failures
//! come back as [`Error`], whose message, hint and exit code the `miauth` command prints.
//! [`mock`] is a fake instance that behaves like real servers, for tests and demos.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `cli` | yes | the `miauth` binary and the crates only it uses (clap, the spinner, the QR code, completions, the man page); in the library, [`Format`] as a clap value |
//! | `keyring` | yes | the system keyring in [`Store`]: the Secret Service (over D-Bus) on Linux and the BSDs, the macOS Keychain, the Windows Credential Manager |
//!
//! With `default-features = false` the library still logs in (the callback server and its pages,
//! detection, handles), has the fake instance [`mock`], and keeps tokens with [`Store`] in its
//! owner-only file; asking that [`Store`] for the keyring is an error naming the feature, and
//! [`StoreChoice::Auto`](store::StoreChoice::Auto) keeps the token in the file, saying so:
//!
//! ```toml
//! [dependencies]
//! miauth = { version = "0.1", default-features = false }                          # the login alone
//! miauth = { version = "0.1", default-features = false, features = ["keyring"] }  # and the keyring
//! ```
//!
//! # What is stable
//!
//! Semver covers the following, and CHANGELOG.md lists every change to them:
//!
//! - the items at the crate root: [`Login`] and its limits ([`DEFAULT_TIMEOUT`] and the
//!   others), [`BrowserPage`], [`PageEnd`] and [`PAGE_GRACE`], [`Credentials`], [`User`], [`Instance`],
//!   [`Permissions`], [`AccessToken`], [`SessionId`], [`AuthorizationUrl`], [`Error`] (its
//!   [`kind`](Error::kind), its [`hint`](Error::hint) and the [`exit`] codes), [`Progress`],
//!   [`Observer`], [`Cancel`], [`Format`] and [`Store`];
//! - [`store`], the accounts and choices [`Store`] works with; its files stay readable by later
//!   versions;
//! - [`permission`]; the names it knows follow Misskey's list and grow with it;
//! - [`revoke`], ending a token's life on its instance where the instance allows it, and its
//!   outcome [`Revocation`];
//! - in [`browser`], what [`Login::browser`] takes: [`Browser`](browser::Browser),
//!   [`SystemBrowser`](browser::SystemBrowser) and [`NoBrowser`](browser::NoBrowser).
//!
//! [`Error`] and [`Progress`] are `#[non_exhaustive]`: new failures and steps are not breaking
//! changes.
//!
//! [`mock`] is public for integrators' tests, and stable as an API. Its behaviour follows real
//! servers: when a Misskey release or a fork answers differently, the fake does too, and it
//! grows (endpoints, [`Quirks`](mock::Quirks), [`CheckFault`](mock::CheckFault)s, fields of
//! [`MockConfig`](mock::MockConfig)). Build a `MockConfig` with
//! [`dressed_as`](mock::MockConfig::dressed_as) or `..MockConfig::default()`, so that new fields
//! do not break your tests.
//!
//! The other modules are the steps [`Login`] runs, public for programs that need one step
//! alone: [`authorize`], [`callback`], [`check`], [`detect`], [`handle`], [`output`], and the
//! rest of [`browser`] (how `$BROWSER` and the display are read). They follow the
//! implementation and may change in any release; depend on an exact version (`=0.1.0`) to use
//! them. Nothing is hidden from these docs: what the `miauth` command uses beyond the stable
//! API ([`authorize::validate_app`], [`browser::current_showing`], [`check::Liveness`],
//! [`handle::resolve`], [`output::render`]) is as useful to another program.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod authorize;
pub mod browser;
pub mod callback;
pub mod check;
mod client;
pub mod detect;
mod ending;
mod error;
mod flow;
pub mod handle;
pub mod instance;
pub mod mock;
pub mod output;
mod page;
pub mod permission;
mod progress;
pub mod revoke;
mod secret;
pub mod store;
mod wait;

pub use authorize::AuthorizationUrl;
pub use check::User;
pub use ending::{BrowserPage, PAGE_GRACE, PageEnd};
pub use error::{Error, exit};
pub use flow::{
    Credentials, DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, Login, MAX_POLL_INTERVAL, MAX_TIMEOUT,
    MIN_POLL_INTERVAL,
};
pub use instance::Instance;
pub use output::Format;
pub use permission::Permissions;
pub use progress::{Cancel, Observer, Progress};
pub use revoke::Revocation;
pub use secret::{AccessToken, SessionId};
pub use store::Store;

/// README's Rust example compiles, checked as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
