//! A token's life ended on the server too: `logout` and `revoke` ask the instance to revoke the
//! token, a `login --save` that replaces a kept token revokes the old one, and each says what
//! happened. Misskey 2026.9.0 lets a token revoke itself; every server observed before it
//! refuses (400 `ACCESS_DENIED`), and the token then keeps working. What was sent is read from
//! the fake's log of requests; whether a token still works, from the fake's `/api/i`.

use miauth::mock::{MockConfig, MockServer};
use serde_json::Value;

use crate::dressed::OBSERVED;
use crate::support::{Finished, accept_in_browser, mock, run_miauth_fed, spawn_miauth_with};

const REVOKE: &str = "POST /api/i/revoke-token";

/// A configuration directory with the file store, for one test.
struct Kept {
    dir: tempfile::TempDir,
}

impl Kept {
    fn new() -> Kept {
        Kept {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn env(&self) -> [(&str, &str); 2] {
        [
            ("MIAUTH_CONFIG_DIR", self.dir.path().to_str().unwrap()),
            ("MIAUTH_STORE", "file"),
        ]
    }

    async fn run(&self, args: &[&str]) -> Finished {
        spawn_miauth_with(args, &self.env()).finish().await
    }

    /// `login BASE --save`, accepted in the scripted browser; the token.
    async fn login_save(&self, server: &MockServer) -> String {
        let args = ["login", server.base_url(), "--save", "--no-browser"];
        let (done, _) = accept_in_browser(&args, &self.env()).await;
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        done.stdout.trim_end().to_owned()
    }
}

/// The status `POST /api/i` answers `token` with: 200 while it works.
async fn api_i(server: &MockServer, token: &str) -> u16 {
    crate::support::http()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/api/i", server.base_url()))
        .header("content-type", "application/json")
        .body(serde_json::json!({ "i": token }).to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `login BASE`, accepted in the scripted browser, nothing kept; the token.
async fn login(server: &MockServer) -> String {
    let args = ["login", server.base_url(), "--no-browser"];
    let (done, _) = accept_in_browser(&args, &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    done.stdout.trim_end().to_owned()
}

fn revocations(server: &MockServer) -> usize {
    server.requests().iter().filter(|r| *r == REVOKE).count()
}

fn json_of(done: &Finished) -> Value {
    serde_json::from_str(done.stdout.trim_end())
        .unwrap_or_else(|e| panic!("{e}: not one JSON object: {:?}", done.stdout))
}

#[tokio::test]
async fn on_misskey_2026_9_logout_revokes_the_token_on_the_server() {
    let server = mock(MockConfig::dressed_as("misskey", "2026.9.0")).await;
    let kept = Kept::new();
    let token = kept.login_save(&server).await;
    assert_eq!(api_i(&server, &token).await, 200);

    let done = kept.run(&["logout", server.base_url()]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr.contains(&format!(
            "Revoked the token on {}, and forgot @alice@",
            server.base_url()
        )),
        "{}",
        done.stderr
    );
    assert!(!done.stderr.contains("settings/apps"), "{}", done.stderr);
    assert_eq!(revocations(&server), 1, "{:?}", server.requests());
    assert_eq!(api_i(&server, &token).await, 401);
    let gone = kept.run(&["token", server.base_url(), "--no-login"]).await;
    assert_eq!(gone.code, Some(6), "{}", gone.stderr);

    // For a program: one object.
    let token = kept.login_save(&server).await;
    let done = kept
        .run(&["logout", server.base_url(), "--format", "json"])
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let object = json_of(&done);
    assert_eq!(object["revoked"], "yes");
    assert_eq!(object["forgotten"], true);
    assert_eq!(object["instance"], server.base_url());
    assert!(object["account"].as_str().unwrap().starts_with("@alice@"));
    assert!(object.get("settings_url").is_none(), "{object}");
    assert_eq!(api_i(&server, &token).await, 401);
}

#[tokio::test]
async fn on_every_observed_server_logout_forgets_and_names_where_to_delete_the_app() {
    for observed in OBSERVED {
        let name = format!("{} {}", observed.software, observed.version);
        let server = mock(MockConfig::dressed_as(observed.software, observed.version)).await;
        let apps = format!("{}/settings/apps", server.base_url());
        let kept = Kept::new();

        let token = kept.login_save(&server).await;
        let done = kept.run(&["logout", server.base_url()]).await;
        assert_eq!(done.code, Some(0), "{name}: {}", done.stderr);
        assert!(
            done.stderr
                .contains("does not let an app revoke its own token")
                && done.stderr.contains(&apps),
            "{name}: {}",
            done.stderr
        );
        assert_eq!(revocations(&server), 1, "{name}");
        assert_eq!(api_i(&server, &token).await, 200, "{name}: the token works");
        let gone = kept.run(&["token", server.base_url(), "--no-login"]).await;
        assert_eq!(
            gone.code,
            Some(6),
            "{name}: forgotten here: {}",
            gone.stderr
        );

        kept.login_save(&server).await;
        let done = kept
            .run(&["logout", server.base_url(), "--format", "json"])
            .await;
        assert_eq!(done.code, Some(0), "{name}: {}", done.stderr);
        let object = json_of(&done);
        assert_eq!(object["revoked"], "unsupported", "{name}");
        assert_eq!(object["forgotten"], true, "{name}");
        assert_eq!(object["settings_url"], apps.as_str(), "{name}");
        assert!(
            object["detail"].as_str().unwrap().contains("ACCESS_DENIED"),
            "{name}: {object}"
        );

        // --local asks nothing.
        kept.login_save(&server).await;
        let asked_before = server.requests().len();
        let done = kept.run(&["logout", server.base_url(), "--local"]).await;
        assert_eq!(done.code, Some(0), "{name}: {}", done.stderr);
        assert!(done.stderr.contains(&apps), "{name}: {}", done.stderr);
        assert_eq!(
            server.requests()[asked_before..],
            [] as [String; 0],
            "{name}"
        );
    }
}

#[tokio::test]
async fn logout_with_the_server_gone_forgets_warns_and_exits_4() {
    let server = mock(MockConfig::dressed_as("misskey", "2026.9.0")).await;
    let base = server.base_url().to_owned();
    let kept = Kept::new();
    kept.login_save(&server).await;
    server.shutdown().await;

    let done = kept.run(&["logout", &base, "--format", "json"]).await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert!(
        done.stderr.starts_with("miauth: warning: could not ask")
            && done.stderr.contains(&format!("{base}/settings/apps"))
            && done.stderr.contains("forgot @alice@"),
        "{}",
        done.stderr
    );
    assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
    let object = json_of(&done);
    assert_eq!(object["revoked"], "unreachable");
    assert_eq!(object["forgotten"], true);
    assert_eq!(object["settings_url"], format!("{base}/settings/apps"));
    let gone = kept.run(&["status", "--offline"]).await;
    assert_eq!(gone.code, Some(6), "nothing is kept: {}", gone.stdout);
}

#[tokio::test]
async fn revoke_takes_the_token_from_the_environment_or_stdin() {
    let server = mock(MockConfig::dressed_as("misskey", "2026.9.0")).await;
    let base = server.base_url();
    let token = login(&server).await;
    let done = spawn_miauth_with(&["revoke", base], &[("MISSKEY_TOKEN", &token)])
        .finish()
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stderr, format!("Revoked the token on {base}.\n"));
    assert_eq!(api_i(&server, &token).await, 401);

    // Again: the server no longer knows it.
    let done = spawn_miauth_with(
        &["revoke", "--format", "json"],
        &[("MISSKEY_TOKEN", &token), ("MISSKEY_URL", base)],
    )
    .finish()
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(json_of(&done)["revoked"], "already");

    let token = login(&server).await;
    let done = run_miauth_fed(
        &["revoke", base, "--format", "json"],
        &[],
        &format!("{token}\n"),
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let object = json_of(&done);
    assert_eq!(object["revoked"], "yes");
    assert_eq!(object["forgotten"], false);
    assert_eq!(object["account"], Value::Null);
    assert_eq!(api_i(&server, &token).await, 401);
    assert_eq!(revocations(&server), 3);
}

#[tokio::test]
async fn revoke_on_an_older_server_is_unsupported_and_the_token_still_works() {
    let server = mock(MockConfig::dressed_as("misskey", "2025.11.1")).await;
    let token = login(&server).await;
    let done = spawn_miauth_with(
        &["revoke", server.base_url(), "--format", "json"],
        &[("MISSKEY_TOKEN", &token)],
    )
    .finish()
    .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let object = json_of(&done);
    assert_eq!(object["revoked"], "unsupported");
    assert_eq!(
        object["settings_url"],
        format!("{}/settings/apps", server.base_url())
    );
    assert!(
        done.stderr
            .contains(&format!("{}/settings/apps", server.base_url())),
        "{}",
        done.stderr
    );
    assert_eq!(api_i(&server, &token).await, 200);
}

#[tokio::test]
async fn a_token_given_as_an_argument_is_refused_unsent_and_unechoed() {
    let server = mock(MockConfig::dressed_as("misskey", "2026.9.0")).await;
    let token = "8YE0sR5HGREPjcRkUQ0d0SPMi1pHZnsW";
    for args in [
        vec!["revoke", server.base_url(), token],
        vec!["revoke", token],
    ] {
        let done = spawn_miauth_with(&args, &[]).finish().await;
        assert_eq!(done.code, Some(2), "{args:?}: {}", done.stderr);
        assert!(
            done.stderr
                .starts_with("miauth: error: a token is never taken as an argument")
                && done.stderr.contains("MISSKEY_TOKEN"),
            "{args:?}: {}",
            done.stderr
        );
        assert!(!done.stderr.contains(token), "{}", done.stderr);
    }
    // Nothing to revoke: no token anywhere.
    let done = run_miauth_fed(&["revoke", server.base_url()], &[], "").await;
    assert_eq!(done.code, Some(2), "{}", done.stderr);
    assert!(
        done.stderr.starts_with("miauth: error: no token to revoke"),
        "{}",
        done.stderr
    );
    assert_eq!(revocations(&server), 0);
}

#[tokio::test]
async fn a_second_login_of_the_same_account_revokes_the_first_token() {
    let server = mock(MockConfig::dressed_as("misskey", "2026.9.0")).await;
    let kept = Kept::new();
    let first = kept.login_save(&server).await;
    let second = kept.login_save(&server).await;
    assert_ne!(first, second);
    assert_eq!(
        api_i(&server, &first).await,
        401,
        "the first token is revoked"
    );
    assert_eq!(api_i(&server, &second).await, 200);
    assert_eq!(revocations(&server), 1);
    let done = kept.run(&["token", server.base_url()]).await;
    assert_eq!(done.stdout.trim_end(), second);
}

#[tokio::test]
async fn on_an_older_server_a_second_login_says_the_first_token_still_works() {
    let server = mock(MockConfig::dressed_as("misskey", "2025.11.1")).await;
    let kept = Kept::new();
    let first = kept.login_save(&server).await;
    let args = ["login", server.base_url(), "--save", "--no-browser"];
    let (done, _) = accept_in_browser(&args, &kept.env()).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr.contains(&format!(
            "does not let an app revoke its own token, so it works until you delete the app at {}/settings/apps",
            server.base_url()
        )),
        "{}",
        done.stderr
    );
    assert_eq!(api_i(&server, &first).await, 200);
}
