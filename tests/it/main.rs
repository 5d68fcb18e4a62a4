//! Integration tests: the library and the `miauth` binary against the fake instance on
//! 127.0.0.1, with a scripted browser playing the user. No test needs the internet.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod browser;
mod cli;
mod cli_waiting;
mod delivery;
mod documented;
mod dressed;
mod endings;
mod faults;
mod flow;
mod generated;
mod handles;
mod hostile;
mod instance;
mod kept;
mod keyring;
mod late_browser;
mod mock_api;
mod observed;
mod polling;
mod revoking;
mod schema;
mod secrets;
mod support;
