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
//! The library prints nothing: progress goes to an observer ([`Login::on_progress`]), failures
//! come back as [`Error`], whose message, hint and exit code the `miauth` command prints.
//! [`mock`] is a fake instance that behaves like real servers, for tests and demos.

#![warn(missing_docs)]

pub mod authorize;
pub mod browser;
pub mod callback;
pub mod check;
mod client;
pub mod detect;
mod error;
mod flow;
pub mod handle;
pub mod instance;
pub mod mock;
pub mod output;
mod page;
pub mod permission;
mod progress;
mod secret;
pub mod store;
mod wait;

pub use authorize::AuthorizationUrl;
pub use check::User;
pub use error::{Error, exit};
pub use flow::{
    Credentials, DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, Login, MAX_POLL_INTERVAL, MAX_TIMEOUT,
    MIN_POLL_INTERVAL,
};
pub use instance::Instance;
pub use output::Format;
pub use permission::Permissions;
pub use progress::{Cancel, Observer, Progress};
pub use secret::{AccessToken, SessionId};
pub use store::Store;

/// README's Rust example compiles, checked as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
