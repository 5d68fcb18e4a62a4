//! What the fake instance is and how it behaves: the software it plays, the quirks of that
//! software, and the misbehaviours of its check endpoint.
//!
//! [`MockConfig::dressed_as`] derives the quirks from a software name and version, so a test
//! that names a server gets that server's behaviour; the fields stay public for tests that
//! need one behaviour alone. The quirks themselves are `quirks.rs`; the running server lives in
//! the parent module.

use std::time::Duration;

use super::quirks::Quirks;

/// A misbehaviour of the check endpoint, applied to one check request each, in order.
///
/// Those that cut, stall or slow a check the server has answered (`Slow`, `ResetMidResponse`,
/// `NeverEnds`, `SpendThen502`) hand the waiting token out first, as Misskey does: the answer
/// that carried it is then late or lost. The others happen before the server looks at the
/// request and spend nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckFault {
    /// A CDN's overload page: 503 with HTML.
    ServiceUnavailableHtml,
    /// 429 with `Retry-After: SECONDS`.
    TooManyRequests {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// 200 with a body that is not JSON.
    MalformedJson,
    /// The server answers at once (spending the token, if one waits), and the answer takes
    /// this long to arrive.
    Slow(Duration),
    /// 500 with an HTML error page.
    InternalErrorHtml,
    /// 301 to another address.
    MovedPermanently,
    /// 200 with JSON that is not a check answer.
    WrongShape,
    /// 200 with `{"ok":true}` and no token.
    OkWithoutToken,
    /// 200 with a 10 MB body.
    Huge,
    /// The token, if one waits, is spent; then headers and part of the body, and the
    /// connection is cut.
    ResetMidResponse,
    /// The token, if one waits, is spent; then headers and a body that never ends.
    NeverEnds,
    /// This status with an HTML page, as a proxy or CDN writes it.
    HtmlStatus(u16),
    /// The token is handed out (and so spent), but a proxy answers 502 instead: the answer
    /// that carried it is lost on the way.
    SpendThen502,
    /// The check reads the session's token, then stays open until
    /// [`MockServer::release_held`](super::MockServer::release_held) lets it go on; only then
    /// is the token marked fetched and the answer sent. Two checks held together both see the
    /// token unfetched, as two checks at once on a real server may.
    Hold,
}

/// When the consent page, after Accept, sends the browser to the callback.
///
/// A real page creates the token first and redirects afterwards; a slow browser or a loaded
/// machine widens the gap to seconds, and a check that arrives in between gets the token before
/// the browser comes back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Redirect {
    /// As soon as the token exists: a prompt browser.
    #[default]
    AtOnce,
    /// This long after the token was created, whatever the client does meanwhile.
    After(Duration),
    /// Once a check has fetched the token (waiting at most two minutes for one), and then this
    /// long after: the check always comes first, however busy the machine, and the browser is
    /// late by this much.
    AfterFetched(Duration),
}

/// What the fake instance is and how it behaves.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Approve every session as soon as its consent page is opened, answering with an HTTP
    /// redirect to the callback.
    pub auto_approve: bool,
    /// When Accept (or auto-approval) sends the browser to the callback, once the token exists.
    pub redirect: Redirect,
    /// Behaviours of particular versions and forks; see [`MockConfig::dressed_as`].
    pub quirks: Quirks,
    /// nodeinfo's `software.name`.
    pub software: String,
    /// nodeinfo's `software.version` and meta's `version`.
    pub version: String,
    /// The account that approves: its username.
    pub username: String,
    /// The account's display name; `None` is sent as `"name": null`, as for the many
    /// accounts that never set one.
    pub display_name: Option<String>,
    /// Misbehaviours of the first check requests, one each, in order.
    pub check_faults: Vec<CheckFault>,
    /// Creating the token fails whatever the page was asked, as when the database refuses it.
    /// miauth refuses up front the names and icons that make a real server fail, so this is
    /// the way to reach what follows such a failure.
    pub token_creation_fails: bool,
    /// `features.miauth` in `/api/meta`; `None` leaves the key out.
    pub features_miauth: Option<bool>,
    /// Whether Misskey's API (`/api/...`) exists at all; not on Mastodon and the like.
    pub misskey_api: bool,
    /// Whether MiAuth (the consent page and the check endpoint) exists.
    pub miauth: bool,
    /// The Misskey version a fork names as its base, as CherryPick does: nodeinfo's
    /// `software.basedMisskeyVersion` and `/api/meta`'s `basedMisskeyVersion`.
    pub based_misskey_version: Option<String>,
    /// The project's address, nodeinfo 2.1's `software.homepage` and `software.repository`.
    pub repository: Option<String>,
    /// The consent page first asks which account to use (an account picker,
    /// `input[name=accountSelector]`, and Continue), then shows Accept and Deny, as Misskey's
    /// page does since 2024.11 and the forks built on it. Off in [`MockConfig::default`], whose
    /// one-step page keeps `curl` and hand-written tests short; [`MockConfig::dressed_as`] turns
    /// it on for the servers that have it.
    pub account_picker: bool,
    /// Whether `/api/i` accepts the tokens the check hands out (a broken server does not).
    pub tokens_work: bool,
    /// How long `/api/i` takes to answer.
    pub api_i_delay: Duration,
    /// How long `/api/ping` takes to answer, as on a busy or distant server.
    pub ping_delay: Duration,
    /// `/api/meta` refused by a CDN (403 with HTML), as some large instances do for clients
    /// they do not know.
    pub meta_blocked: bool,
}

impl MockConfig {
    /// This configuration with `faults` for its first check requests.
    pub fn with_check_faults(self, faults: Vec<CheckFault>) -> Self {
        MockConfig {
            check_faults: faults,
            ..self
        }
    }

    /// This configuration with `quirks`.
    pub fn with_quirks(self, quirks: Quirks) -> Self {
        MockConfig { quirks, ..self }
    }

    /// The fake instance dressed as `software` `version`, as nodeinfo names them, answering
    /// the way that software does: Misskey and its forks with MiAuth and the quirks of that
    /// version or fork; FoundKey with Misskey's API but no MiAuth; Iceshrimp.NET, Mastodon and
    /// other software without Misskey's API.
    ///
    /// The servers observed on loopback (`observed-misskey-2025.11.1.md`) are dressed exactly
    /// as seen: CherryPick 4.17.0 names its base, Misskey 2025.10.2, and starts with federation
    /// off; the account picker is on for Misskey 2024.11.0 and later and the forks that follow
    /// it (Sharkey by its own version, CherryPick by the base it names), and off for older
    /// ones and for the Firefish family. Misskey 2026.9.0 and later, which no one could build
    /// here, follow the published change that lets a token revoke itself
    /// ([`Quirks::revokes_own_token`]).
    pub fn dressed_as(software: &str, version: &str) -> Self {
        let name = software.to_ascii_lowercase();
        let based_misskey_version = match (name.as_str(), version) {
            ("cherrypick", "4.17.0") => Some("2025.10.2".to_owned()),
            _ => None,
        };
        let follows = misskey_followed(&name, version, based_misskey_version.as_deref());
        let mut quirks = Quirks::of(software, version);
        if name == "cherrypick" && based_misskey_version.is_some() {
            // A fresh CherryPick 4.17.0 has federation `none`, like a new Misskey since 2025.8.
            quirks.federation_off = true;
        }
        let base = MockConfig {
            software: software.to_owned(),
            version: version.to_owned(),
            quirks,
            repository: (name == "cherrypick")
                .then(|| "https://github.com/kokonect-link/cherrypick".to_owned()),
            account_picker: follows.is_some_and(|v| v >= (2024, 11, 0)),
            based_misskey_version,
            ..MockConfig::default()
        };
        match software.to_ascii_lowercase().as_str() {
            "misskey" if crate::detect::parse_version(version).is_some_and(|v| v < (12, 28, 0)) => {
                MockConfig {
                    features_miauth: None,
                    ..base
                }
            }
            "misskey" | "sharkey" | "cherrypick" | "firefish" | "iceshrimp" | "catodon" => base,
            "foundkey" => MockConfig {
                features_miauth: None,
                miauth: false,
                ..base
            },
            _ => MockConfig {
                features_miauth: None,
                misskey_api: false,
                miauth: false,
                ..base
            },
        }
    }

    /// The Misskey release this server follows, where that is known: Misskey's own version,
    /// Sharkey's (its numbers follow Misskey's releases), or the base a fork names. What the
    /// server knows depends on it, such as the permission names newer releases brought.
    pub(super) fn misskey_followed(&self) -> Option<(u64, u64, u64)> {
        misskey_followed(
            &self.software.to_ascii_lowercase(),
            &self.version,
            self.based_misskey_version.as_deref(),
        )
    }

    /// Misskey 2024.11.0 whose token creation fails: Accept redirects to the callback, yet no
    /// token exists, and every check says `{"ok":false}`.
    pub fn approving_without_token() -> Self {
        MockConfig {
            token_creation_fails: true,
            ..MockConfig::dressed_as("misskey", "2024.11.0")
        }
    }
}

/// See [`MockConfig::misskey_followed`]; `software` in lower case.
fn misskey_followed(
    software: &str,
    version: &str,
    based_misskey_version: Option<&str>,
) -> Option<(u64, u64, u64)> {
    match software {
        "misskey" | "sharkey" => crate::detect::parse_version(version),
        _ => based_misskey_version.and_then(crate::detect::parse_version),
    }
}

/// Misskey 2026.7.0, the newest release observed on a real server, answering as it does except
/// for its consent page, which is one step (no account picker): see
/// [`MockConfig::account_picker`]. Federation is on, as on a server set up before 2025.8.
impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            auto_approve: false,
            redirect: Redirect::AtOnce,
            quirks: Quirks::default(),
            software: "misskey".into(),
            // The newest release observed on a real server.
            version: "2026.7.0".into(),
            username: "alice".into(),
            display_name: Some("Alice Example".into()),
            check_faults: Vec::new(),
            token_creation_fails: false,
            features_miauth: Some(true),
            misskey_api: true,
            miauth: true,
            based_misskey_version: None,
            repository: None,
            account_picker: false,
            tokens_work: true,
            api_i_delay: Duration::ZERO,
            ping_delay: Duration::ZERO,
            meta_blocked: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_newest_misskey_observed_with_a_one_step_page() {
        let default = MockConfig::default();
        assert_eq!(
            (default.software.as_str(), default.version.as_str()),
            ("misskey", "2026.7.0")
        );
        assert_eq!(default.misskey_followed(), Some((2026, 7, 0)));
        assert_eq!(
            default.quirks,
            MockConfig::dressed_as("misskey", "2026.7.0").quirks
        );
        assert!(!default.account_picker);
    }

    #[test]
    fn the_account_picker_comes_with_misskey_2024_11_and_the_forks_that_follow_it() {
        let picker = |software, version| MockConfig::dressed_as(software, version).account_picker;
        assert!(picker("misskey", "2025.11.1"));
        assert!(picker("misskey", "2024.11.0"));
        assert!(!picker("misskey", "13.14.2"));
        assert!(picker("sharkey", "2025.4.7"));
        assert!(!picker("sharkey", "2023.11.2"));
        assert!(picker("cherrypick", "4.17.0"));
        assert!(!picker("iceshrimp", "2026.5.1"));
        assert!(!MockConfig::default().account_picker);
        let cherrypick = MockConfig::dressed_as("cherrypick", "4.17.0");
        assert_eq!(
            cherrypick.based_misskey_version.as_deref(),
            Some("2025.10.2")
        );
        assert_eq!(cherrypick.misskey_followed(), Some((2025, 10, 2)));
        assert!(cherrypick.quirks.federation_off);
        assert!(
            !MockConfig::dressed_as("sharkey", "2025.4.7")
                .quirks
                .federation_off
        );
    }
}
