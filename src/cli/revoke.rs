//! Ending a token's life on its instance, as `logout` (`accounts.rs`), `revoke` and a login
//! that replaces a kept token see it: the library's [`miauth::revoke`] asks, this says what
//! happened, one line on stderr and, with `--format json`, one object on stdout.
//!
//! `miauth revoke` takes its token from `MISSKEY_TOKEN` or standard input, never from an
//! argument: the argument list of a running command is readable by every user of the machine.

use std::io::{IsTerminal, Read};
use std::time::Duration;

use miauth::revoke::{Revocation, settings_url};
use miauth::store::Account;
use miauth::{AccessToken, Error, Instance, exit};
use serde_json::json;

use super::args::{ReportFormat, RevokeArgs};
use super::deliver;
use super::kept::{fail, instance_from_environment, token_from_environment};
use super::report::clean;

/// The longest token read from standard input; Misskey's are 16 to 32 characters.
const MAX_TOKEN: u64 = 4096;

/// What became of a token at its instance, as reported.
pub(super) enum Ended {
    /// The instance was asked.
    Asked(Revocation),
    /// `--local`: the instance was not asked.
    NotAsked,
    /// Nothing was kept to revoke: the store had no token for the account.
    NothingKept,
    /// The token could not be read (a keyring that cannot be reached, with `--force`).
    Unread,
}

impl Ended {
    /// The value of `revoked` in the JSON object.
    fn word(&self) -> &'static str {
        match self {
            Ended::Asked(revocation) => revocation.as_str(),
            Ended::NotAsked | Ended::NothingKept | Ended::Unread => "not_asked",
        }
    }

    /// Whether the token may still work: it was not known to end.
    fn may_live(&self) -> bool {
        match self {
            Ended::Asked(revocation) => !revocation.token_ended(),
            Ended::NothingKept => false,
            Ended::NotAsked | Ended::Unread => true,
        }
    }

    /// The exit code: 4 when the instance could not be asked, whatever the rest says.
    pub(super) fn exit_code(&self) -> u8 {
        match self {
            Ended::Asked(Revocation::Unreachable(e)) => e.exit_code(),
            _ => exit::SUCCESS,
        }
    }
}

/// Says on stderr what became of the token, one line: for `logout` (`account` is the one
/// forgotten here) or `revoke` (`None`). A token that may still work is said even when quiet.
pub(super) fn say(quiet: bool, instance: &Instance, account: Option<&Account>, ended: &Ended) {
    let origin = clean(&instance.origin());
    let apps = clean(&settings_url(instance));
    let forgot = account.map(|a| format!("forgot {} here", clean(&a.handle())));
    let line = match (ended, &forgot) {
        (Ended::Asked(Revocation::Revoked), Some(forgot)) => {
            format!("Revoked the token on {origin}, and {forgot}.")
        }
        (Ended::Asked(Revocation::Revoked), None) => format!("Revoked the token on {origin}."),
        (Ended::Asked(Revocation::AlreadyRevoked), _) => format!(
            "The token was already revoked on {origin}{}.",
            forgot.map(|f| format!("; {f}")).unwrap_or_default()
        ),
        (Ended::Asked(Revocation::Unsupported { .. }), _) => format!(
            "{}{origin} does not let an app revoke its own token: it works until you delete the app at {apps}.",
            forgot
                .map(|f| format!("{}. ", capital(&f)))
                .unwrap_or_default()
        ),
        (Ended::Asked(Revocation::Unreachable(e)), _) => format!(
            "miauth: warning: could not ask {origin} to revoke the token ({}){}; it may still work until you delete the app at {apps}.",
            clean(&e.to_string()),
            forgot
                .map(|f| format!("; {f} all the same"))
                .unwrap_or_default()
        ),
        (Ended::NotAsked, _) => format!(
            "{} without asking {origin}; the token works until you delete the app at {apps}.",
            capital(forgot.as_deref().unwrap_or("nothing was forgotten"))
        ),
        (Ended::NothingKept, _) => format!(
            "{}; no token was kept for it, so there was nothing to revoke.",
            capital(forgot.as_deref().unwrap_or("nothing was forgotten"))
        ),
        // The keyring's own warning says where the token stays; this says it still works.
        (Ended::Unread, _) => format!(
            "{}; its token could not be read to revoke it, and it works until you delete the app at {apps}.",
            capital(forgot.as_deref().unwrap_or("nothing was forgotten"))
        ),
    };
    let warning = matches!(ended, Ended::Asked(Revocation::Unreachable(_)));
    if warning || !quiet {
        eprintln!("{line}");
    }
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The JSON object of `--format json`: what a program needs to tell the outcomes apart.
pub(super) fn json_of(
    instance: &Instance,
    account: Option<&Account>,
    forgotten: bool,
    ended: &Ended,
) -> serde_json::Value {
    let mut object = json!({
        "instance": instance.origin(),
        "account": account.map(Account::handle),
        "forgotten": forgotten,
        "revoked": ended.word(),
    });
    if ended.may_live() {
        object["settings_url"] = json!(settings_url(instance));
    }
    match ended {
        Ended::Asked(Revocation::Unsupported { answer }) => object["detail"] = json!(answer),
        Ended::Asked(Revocation::Unreachable(e)) => object["detail"] = json!(e.to_string()),
        _ => {}
    }
    object
}

/// Prints the JSON object when asked for; a stdout that cannot be written is exit 5.
pub(super) fn print_json(format: ReportFormat, object: &serde_json::Value) -> Result<(), u8> {
    if format == ReportFormat::Json {
        deliver::write_stdout(&format!("{object}\n")).map_err(|_| exit::LOCAL)?;
    }
    Ok(())
}

/// `miauth revoke`: the token of `MISSKEY_TOKEN` or standard input, at `instance` or
/// `MISSKEY_URL`.
pub(super) async fn revoke(
    quiet: bool,
    instance: Option<String>,
    token_argument: Option<String>,
    args: &RevokeArgs,
) -> u8 {
    if token_argument.is_some() || instance.as_deref().is_some_and(looks_like_a_token) {
        return fail(&Error::TokenInArguments);
    }
    let instance = match instance_of(instance) {
        Ok(instance) => instance,
        Err(e) => return fail(&e),
    };
    let roots = match super::read_ca_file(args.ca_cert.as_deref()) {
        Ok(found) => found.map(|(_, certs)| certs).unwrap_or_default(),
        Err(e) => return fail(&e),
    };
    let token = match token_given(args.timeout).await {
        Ok(token) => token,
        Err(e) => return fail(&e),
    };
    let ended = Ended::Asked(miauth::revoke::revoke(&instance, &token, &roots, args.timeout).await);
    say(quiet, &instance, None, &ended);
    if let Err(code) = print_json(args.format, &json_of(&instance, None, false, &ended)) {
        return code;
    }
    ended.exit_code()
}

/// The instance named, else `MISSKEY_URL`.
fn instance_of(named: Option<String>) -> Result<Instance, Error> {
    if let Some(named) = named {
        return Instance::parse(&named);
    }
    instance_from_environment()?.ok_or_else(|| Error::InvalidOption {
        option: "instance",
        input: String::new(),
        reason: "name the instance, or set MISSKEY_URL".into(),
    })
}

/// A Misskey token given where the instance goes: letters and digits only, no dot, and too
/// long for a host name one would type. Refused without echoing it.
fn looks_like_a_token(input: &str) -> bool {
    input.len() >= 16 && input.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `MISSKEY_TOKEN`, else standard input (unless it is a terminal), read within `deadline`.
async fn token_given(deadline: Duration) -> Result<AccessToken, Error> {
    if let Some(token) = token_from_environment() {
        return Ok(token);
    }
    if std::io::stdin().is_terminal() {
        return Err(Error::NoToken {
            reason: "MISSKEY_TOKEN is not set, and standard input is a terminal".into(),
        });
    }
    // A thread of its own, not joined: a standard input that never ends must not keep the
    // process alive past the deadline.
    let (send, receive) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let read = std::io::stdin()
            .lock()
            .take(MAX_TOKEN)
            .read_to_string(&mut text)
            .map(|_| text);
        let _ = send.send(read);
    });
    let text = match tokio::time::timeout(deadline, receive).await {
        Ok(Ok(Ok(text))) => text,
        Ok(Ok(Err(e))) => {
            return Err(Error::NoToken {
                reason: format!("standard input cannot be read: {e}"),
            });
        }
        Ok(Err(_)) => {
            return Err(Error::Internal(
                "the thread reading standard input ended without an answer".into(),
            ));
        }
        Err(_) => {
            return Err(Error::NoToken {
                reason: format!(
                    "MISSKEY_TOKEN is not set, and standard input did not end within {}",
                    humantime::format_duration(deadline)
                ),
            });
        }
    };
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::NoToken {
            reason: "MISSKEY_TOKEN is not set, and standard input is empty".into(),
        });
    }
    Ok(AccessToken::new(token))
}

/// After a login replaced a kept token of the same account: the old one is revoked where the
/// instance allows it, and the person is told when it still works. One already revoked is
/// simply replaced, without a word.
pub(super) async fn retire(
    reporter: &super::report::Reporter,
    account: &Account,
    instance: &Instance,
    old: &AccessToken,
    roots: &[reqwest::Certificate],
) {
    let apps = clean(&settings_url(instance));
    let handle = clean(&account.handle());
    match miauth::revoke::revoke(instance, old, roots, miauth::revoke::DEFAULT_REVOKE_TIMEOUT).await
    {
        Revocation::Revoked => reporter.say(&format!(
            "Revoked the token kept before for {handle} on {}.",
            clean(&instance.origin())
        )),
        Revocation::Unsupported { .. } => reporter.say_always(&format!(
            "miauth: the token kept before for {handle} is forgotten here; {} does not let an app revoke its own token, so it works until you delete the app at {apps}.",
            clean(&instance.origin())
        )),
        Revocation::Unreachable(e) => reporter.say_always(&format!(
            "miauth: warning: could not revoke the token kept before for {handle} ({}); it is forgotten here, and may still work until you delete the app at {apps}.",
            clean(&e.to_string())
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_where_the_instance_goes_is_told_from_a_host() {
        assert!(looks_like_a_token("8YE0sR5HGREPjcRkUQ0d0SPMi1pHZnsW"));
        assert!(!looks_like_a_token("misskey.io"));
        assert!(!looks_like_a_token("localhost"));
        assert!(!looks_like_a_token("http://127.0.0.1:3000"));
    }

    #[test]
    fn the_object_names_the_settings_page_only_when_the_token_may_live() {
        let instance = Instance::parse("misskey.io").unwrap();
        let gone = json_of(&instance, None, false, &Ended::Asked(Revocation::Revoked));
        assert_eq!(
            gone,
            json!({"instance": "https://misskey.io", "account": null, "forgotten": false, "revoked": "yes"})
        );
        let kept = json_of(
            &instance,
            None,
            true,
            &Ended::Asked(Revocation::Unsupported {
                answer: "HTTP 400, ACCESS_DENIED: \"Access denied.\"".into(),
            }),
        );
        assert_eq!(kept["revoked"], "unsupported");
        assert_eq!(kept["settings_url"], "https://misskey.io/settings/apps");
        assert_eq!(
            kept["detail"],
            "HTTP 400, ACCESS_DENIED: \"Access denied.\""
        );
        let local = json_of(&instance, None, true, &Ended::NotAsked);
        assert_eq!(local["revoked"], "not_asked");
        assert_eq!(local["settings_url"], "https://misskey.io/settings/apps");
    }
}
