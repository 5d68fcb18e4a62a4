//! Kept tokens as a user of the `miauth` binary meets them: `login --save`, `token`, `exec`,
//! `status`, `logout` and `switch` against fake instances, with the configuration directory in
//! a temporary directory and, unless a test is about the keyring, the plain-text file store.
//! Whether a verb asked the instance is read from the fake's log of requests.

use std::path::{Path, PathBuf};

use miauth::mock::{Choice, MockConfig, MockServer};
use miauth::store::StoreChoice;
use miauth::{AccessToken, Credentials, Instance, Permissions, Store, User};

use crate::support::{Finished, Running, SHELL, approve_in_browser, mock, spawn_miauth_with};

/// A configuration directory of its own, and the environment that points `miauth` at it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    fn config(&self) -> &str {
        self.path().to_str().unwrap()
    }

    /// The file store in this directory.
    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("MIAUTH_CONFIG_DIR", self.config()),
            ("MIAUTH_STORE", "file"),
        ]
    }

    /// Starts `miauth ARGS` with this directory and the file store, plus `extra`.
    fn spawn(&self, args: &[&str], extra: &[(&str, &str)]) -> Running {
        let mut env = self.env();
        env.extend_from_slice(extra);
        spawn_miauth_with(args, &env)
    }

    /// Runs `miauth ARGS` to its end.
    async fn run(&self, args: &[&str]) -> Finished {
        self.run_with(args, &[]).await
    }

    async fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Finished {
        self.spawn(args, extra).finish().await
    }

    /// `miauth login BASE --save ARGS`, accepted in the scripted browser; returns the token.
    async fn login_save(&self, server: &MockServer, args: &[&str]) -> String {
        let done = self.accept(&login_args(server, args), &[]).await;
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        done.stdout.trim_end().to_owned()
    }

    /// Runs `miauth ARGS`, which must print an authorisation URL, and accepts there.
    async fn accept(&self, args: &[&str], extra: &[(&str, &str)]) -> Finished {
        let mut run = self.spawn(args, extra);
        let url = run.authorization_url().await;
        approve_in_browser(&url, Choice::Accept).await;
        run.finish().await
    }
}

fn login_args<'a>(server: &'a MockServer, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec![
        "login",
        server.base_url(),
        "--save",
        "--no-browser",
        "--timeout",
        "20s",
    ];
    all.extend_from_slice(args);
    all
}

/// The instance as miauth prints it and keeps it: `127.0.0.1:PORT`.
fn host(server: &MockServer) -> &str {
    server.base_url().trim_start_matches("http://")
}

/// The one line of `stderr` that starts with `miauth: error:`.
#[track_caller]
fn error_line(stderr: &str) -> &str {
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("miauth: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    errors[0]
}

/// Saves a second account, bob, on the instance of `server` through the library, with a token
/// the fake made as one is made by hand; returns that token.
async fn keep_bob(home: &Home, server: &MockServer) -> String {
    let token = server.approve("made-by-hand-for-bob").unwrap();
    Store::open(home.path(), StoreChoice::File)
        .save(&Credentials {
            token: AccessToken::new(token.clone()),
            user: User {
                id: "bobsid0000000001".into(),
                username: "bob".into(),
                ..User::default()
            },
            instance: Instance::parse(server.base_url()).unwrap(),
            permissions: Permissions::kept(vec!["read:account".into()]),
            verified: true,
        })
        .await
        .unwrap();
    token
}

#[tokio::test]
async fn token_prints_the_kept_token_without_a_browser_or_a_request() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let kept = home.login_save(&server, &[]).await;
    assert_eq!(server.issued_tokens(), vec![kept.clone()]);
    let before = server.requests();

    for args in [&["token", host(&server)][..], &["token"]] {
        let done = home.run(args).await;
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        assert_eq!(done.stdout, format!("{kept}\n"));
        assert!(!done.stderr.contains("/miauth/"), "{}", done.stderr);
    }
    assert_eq!(server.requests(), before, "`token` asked the instance");
    assert_eq!(server.consent_requests().len(), 1);

    let done = home.run(&["token", host(&server), "--check"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{kept}\n"));
    assert_eq!(
        server.requests()[before.len()..],
        ["POST /api/ping".to_owned()],
        "`token --check` asks exactly once"
    );
}

#[tokio::test]
async fn with_nothing_kept_and_no_terminal_token_and_exec_exit_6_without_a_login() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let runs: [&[&str]; 4] = [
        &["token", host(&server)],
        &["token", host(&server), "--no-login"],
        &["exec", host(&server), "--", SHELL[0], SHELL[1], "exit 0"],
        &[
            "exec",
            host(&server),
            "--no-login",
            "--",
            SHELL[0],
            SHELL[1],
            "exit 0",
        ],
    ];
    for args in runs {
        let done = home.run(args).await;
        assert_eq!(done.code, Some(6), "{args:?}: {}", done.stderr);
        assert_eq!(done.stdout, "");
        assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
        let error = error_line(&done.stderr);
        assert!(
            error.contains(&format!("not logged in to {}", host(&server)))
                && error.contains(&format!("miauth login {} --save", host(&server))),
            "{error}"
        );
        assert!(!done.stderr.contains("/miauth/"), "{}", done.stderr);
    }
    assert_eq!(server.requests(), Vec::<String>::new());
    assert!(server.consent_requests().is_empty());
}

#[tokio::test]
async fn a_revoked_token_is_refused_by_check_and_replaced_by_a_login_when_asked() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let old = home.login_save(&server, &[]).await;
    assert!(server.revoke(&old));

    let done = home.run(&["token", host(&server), "--check"]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    assert_eq!(done.stdout, "");
    assert!(
        error_line(&done.stderr).contains("revoked"),
        "{}",
        done.stderr
    );

    let done = home
        .accept(
            &[
                "token",
                host(&server),
                "--check",
                "--login",
                "--no-browser",
                "--timeout",
                "20s",
            ],
            &[],
        )
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let new = done.stdout.trim_end().to_owned();
    assert_ne!(new, old);
    assert!(server.issued_tokens().contains(&new));

    let done = home.run(&["token", host(&server)]).await;
    assert_eq!(done.stdout, format!("{new}\n"), "{}", done.stderr);
}

#[tokio::test]
async fn a_login_approved_by_another_account_than_asked_is_kept_as_that_account_not_printed() {
    // The fake instance's user is alice; a program asks for bob's token.
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let done = home
        .accept(
            &[
                "token",
                server.base_url(),
                "-u",
                "bob",
                "--login",
                "--no-browser",
                "--timeout",
                "20s",
            ],
            &[],
        )
        .await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    assert_eq!(done.stdout, "", "alice's token is not handed out as bob's");
    assert!(
        error_line(&done.stderr).contains("approved by @alice@"),
        "{}",
        done.stderr
    );
    // Not lost: it is kept as alice's.
    let issued = server.issued_tokens().remove(0);
    let done = home.run(&["token", host(&server), "-u", "alice"]).await;
    assert_eq!(done.stdout, format!("{issued}\n"), "{}", done.stderr);
}

#[tokio::test]
async fn asking_for_a_permission_the_kept_token_lacks_needs_a_login_for_all_of_them() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    home.login_save(&server, &["-p", "read:account"]).await;

    let done = home
        .run(&["token", host(&server), "-p", "read:account,write:notes"])
        .await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    assert_eq!(done.stdout, "");
    // The error names what is missing, and the login it suggests asks for all of it, of this
    // very instance (on plain http).
    let error = error_line(&done.stderr);
    assert!(error.contains("was not given write:notes"), "{error}");
    assert!(
        error.contains(&format!(
            "`miauth login {} -p read:account,write:notes --save`",
            server.base_url()
        )),
        "{error}"
    );

    // Only the new permission is named; the login asks for it and for what was kept.
    let done = home
        .accept(
            &[
                "token",
                host(&server),
                "-p",
                "write:notes",
                "--login",
                "--no-browser",
                "--timeout",
                "20s",
            ],
            &[],
        )
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let new = done.stdout.trim_end().to_owned();
    let mut asked: Vec<Option<String>> = server
        .consent_requests()
        .into_iter()
        .map(|c| c.permission)
        .collect();
    asked.sort();
    assert_eq!(
        asked,
        [
            Some("read:account".to_owned()),
            Some("read:account,write:notes".to_owned())
        ]
    );

    // The new token is kept with both permissions: asking again needs no login.
    let before = server.requests();
    let done = home
        .run(&["token", host(&server), "-p", "write:notes,read:account"])
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{new}\n"));
    assert_eq!(server.requests(), before);
}

#[tokio::test]
async fn status_exit_code_says_whether_every_kept_token_works() {
    let (first, second) = (
        mock(MockConfig::default()).await,
        mock(MockConfig::default()).await,
    );
    let home = Home::new();
    let revoked = home.login_save(&first, &[]).await;
    home.login_save(&second, &[]).await;

    let done = home.run(&["status"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(
        done.stdout.matches("state: works").count(),
        2,
        "{}",
        done.stdout
    );

    let before = (first.requests(), second.requests());
    let done = home.run(&["status", "--offline"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout.matches("state: unchecked").count(), 2);
    assert_eq!((first.requests(), second.requests()), before);

    first.revoke(&revoked);
    let done = home.run(&["status"]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    assert!(done.stdout.contains("state: revoked"), "{}", done.stdout);
    let done = home.run(&["status", host(&second)]).await;
    assert_eq!(
        done.code,
        Some(0),
        "only the named instance counts: {}",
        done.stdout
    );

    let second_host = host(&second).to_owned();
    second.shutdown().await;
    let done = home.run(&["status", &second_host]).await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert!(
        done.stdout.contains("state: unreachable"),
        "{}",
        done.stdout
    );
}

/// Keeps `username` on the instance of `server` through the library, with a token the fake
/// made as one is made by hand; returns that token.
async fn keep(home: &Home, server: &MockServer, username: &str) -> String {
    let token = server.approve(&format!("by-hand-{username}")).unwrap();
    Store::open(home.path(), StoreChoice::File)
        .save(&Credentials {
            token: AccessToken::new(token.clone()),
            user: User {
                id: format!("id-{username}"),
                username: username.into(),
                ..User::default()
            },
            instance: Instance::parse(server.base_url()).unwrap(),
            permissions: Permissions::kept(vec!["read:account".into()]),
            verified: true,
        })
        .await
        .unwrap();
    token
}

/// The accounts a text listing names, in its order, with the state of each.
fn listed(stdout: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    for line in stdout.lines() {
        if !line.starts_with(' ') {
            let handle = line.split(' ').next().unwrap_or_default().to_owned();
            rows.push((handle, String::new()));
        } else if let Some(state) = line.trim().strip_prefix("state: ") {
            rows.last_mut().unwrap().1 = state.to_owned();
        }
    }
    rows
}

#[tokio::test]
async fn status_lists_ten_accounts_in_the_order_kept_whichever_instance_answers_first() {
    // The first five live on an instance slower to answer than the last five: a listing in
    // the order the answers arrive would put the last five first.
    let slow = mock(MockConfig {
        ping_delay: std::time::Duration::from_secs(1),
        ..MockConfig::default()
    })
    .await;
    let fast = mock(MockConfig::default()).await;
    let home = Home::new();
    let mut expected = Vec::new();
    for n in 0..10 {
        let server = if n < 5 { &slow } else { &fast };
        let username = format!("user{n}");
        let token = keep(&home, server, &username).await;
        if n == 7 {
            assert!(fast.revoke(&token));
        }
        expected.push((
            format!("@{username}@{}", host(server)),
            if n == 7 { "revoked" } else { "works" },
        ));
    }

    let done = home.run(&["status"]).await;
    assert_eq!(done.code, Some(6), "a revoked token: {}", done.stderr);
    let rows = listed(&done.stdout);
    let states: Vec<(String, String)> = rows
        .iter()
        .map(|(handle, state)| (handle.clone(), state.split(' ').next().unwrap().to_owned()))
        .collect();
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(h, s)| (h, s.to_owned()))
        .collect();
    assert_eq!(states, expected, "{}", done.stdout);
    let pings = |s: &MockServer| {
        s.requests()
            .iter()
            .filter(|r| *r == "POST /api/ping")
            .count()
    };
    assert_eq!((pings(&slow), pings(&fast)), (5, 5));
}

#[tokio::test]
async fn status_gives_each_instance_its_own_deadline() {
    let stuck = mock(MockConfig {
        ping_delay: std::time::Duration::from_secs(3600),
        ..MockConfig::default()
    })
    .await;
    let fine = mock(MockConfig::default()).await;
    let home = Home::new();
    keep(&home, &stuck, "alice").await;
    keep(&home, &fine, "bob").await;

    let done = home.run(&["status", "--timeout", "2s"]).await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    let rows = listed(&done.stdout);
    assert_eq!(rows.len(), 2, "{}", done.stdout);
    assert_eq!(
        rows[0],
        (
            format!("@alice@{}", host(&stuck)),
            format!(
                "unreachable ({} did not answer within 2s)",
                stuck.base_url()
            )
        ),
        "{}",
        done.stdout
    );
    assert_eq!(
        rows[1],
        (format!("@bob@{}", host(&fine)), "works".to_owned()),
        "{}",
        done.stdout
    );
}

/// `miauth mock`, the fake instance as users run it, until dropped; and the URL it prints.
async fn miauth_mock() -> (Running, String) {
    let mut mock = crate::support::spawn_miauth(&["mock", "--auto-approve"]);
    let url = mock.wait_for_stdout_line("http://").await;
    (mock, url)
}

#[tokio::test]
async fn every_hint_names_a_plain_http_instance_so_that_typing_it_back_means_that_instance() {
    let (_mock, url) = miauth_mock().await;
    let host = url.trim_start_matches("http://").to_owned();
    let home = Home::new();
    let login = ["login", &url, "--save", "--no-browser", "--timeout", "20s"];
    let done = home.accept(&login, &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let token = done.stdout.trim().to_owned();
    // A bare 127.0.0.1:PORT would mean https://127.0.0.1:PORT, another instance.
    let bare = [
        format!("miauth login {host}"),
        format!("miauth token {host}"),
    ];
    let typed_back = |text: &str, wanted: &str| {
        assert!(text.contains(wanted), "no {wanted:?} in:\n{text}");
        for bare in &bare {
            assert!(!text.contains(bare.as_str()), "{bare:?} in:\n{text}");
        }
    };

    // An account not kept, a permission the kept token lacks.
    let done = home.run(&["token", &host, "-u", "bob"]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    typed_back(
        error_line(&done.stderr),
        &format!("`miauth login {url} --save`"),
    );
    let done = home
        .run(&["token", &host, "-p", "write:notes", "--no-login"])
        .await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    typed_back(
        error_line(&done.stderr),
        &format!("`miauth login {url} -p read:account,write:notes --save`"),
    );

    // A revoked token, through token --check and status.
    let revoked = crate::support::http()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{url}/mock/revoke"))
        .json(&serde_json::json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let done = home.run(&["token", &host, "--check"]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    typed_back(
        error_line(&done.stderr),
        &format!("`miauth login {url} --save`"),
    );
    let done = home.run(&["status"]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    typed_back(&done.stdout, &format!("`miauth login {url} --save`"));

    // status of a plain-http instance of which nothing is kept: named as typed.
    let done = home.run(&["status", "http://127.0.0.1:9"]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    let error = error_line(&done.stderr);
    assert!(
        error.contains("`miauth login http://127.0.0.1:9 --save`"),
        "{error}"
    );

    // Two instances kept and none named: the one suggested is typed back as kept.
    let (_other, other_url) = miauth_mock().await;
    let login = [
        "login",
        &other_url,
        "--save",
        "--no-browser",
        "--timeout",
        "20s",
    ];
    let done = home.accept(&login, &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let done = home.run(&["token"]).await;
    assert_eq!(done.code, Some(2), "{}", done.stderr);
    let error = error_line(&done.stderr);
    assert!(
        error.contains(&format!("({url}, {other_url})"))
            || error.contains(&format!("({other_url}, {url})")),
        "{error}"
    );
    assert!(error.contains("`miauth token http://127.0.0.1:"), "{error}");
}

#[tokio::test]
async fn status_json_lists_each_account_and_where_its_token_is() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    home.login_save(&server, &["-p", "read:account,write:notes"])
        .await;
    let done = home.run(&["status", "--format", "json"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let v: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
    let accounts = v["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{v}");
    let account = &accounts[0];
    assert_eq!(account["instance"], host(&server));
    assert_eq!(account["username"], "alice");
    assert_eq!(account["active"], true);
    assert_eq!(account["kept_in"], "file");
    assert_eq!(
        account["file"],
        home.file("tokens.json").to_str().unwrap(),
        "{v}"
    );
    assert_eq!(
        account["permissions"],
        serde_json::json!(["read:account", "write:notes"])
    );
    assert_eq!(account["state"], "works");
}

#[tokio::test]
async fn status_of_a_corrupt_index_exits_5_naming_it_and_leaves_it_alone() {
    let home = Home::new();
    std::fs::write(home.file("accounts.json"), "{ not json").unwrap();
    let done = home.run(&["status"]).await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    assert!(
        error_line(&done.stderr).contains(home.file("accounts.json").to_str().unwrap()),
        "{}",
        done.stderr
    );
    assert_eq!(
        std::fs::read_to_string(home.file("accounts.json")).unwrap(),
        "{ not json"
    );
}

#[tokio::test]
async fn status_with_nothing_kept_exits_6() {
    let home = Home::new();
    let done = home.run(&["status"]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    assert!(
        error_line(&done.stderr).contains("no account is kept"),
        "{}",
        done.stderr
    );
}

#[tokio::test]
async fn logout_forgets_the_token_and_says_where_to_revoke_it() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    home.login_save(&server, &[]).await;

    let done = home.run(&["logout", host(&server)]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr
            .contains(&format!("{}/settings/apps", server.base_url())),
        "{}",
        done.stderr
    );

    let done = home.run(&["token", host(&server)]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    assert_eq!(done.stdout, "");

    let done = home.run(&["logout", host(&server)]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    assert!(
        error_line(&done.stderr).contains("not logged in"),
        "{}",
        done.stderr
    );
}

#[tokio::test]
async fn switch_chooses_which_account_of_an_instance_token_gives() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let alice = home.login_save(&server, &[]).await;
    let bob = keep_bob(&home, &server).await;

    let token_of = |args: &'static [&'static str]| {
        let home = &home;
        let server = &server;
        async move {
            let mut all = vec!["token", host(server)];
            all.extend_from_slice(args);
            let done = home.run(&all).await;
            assert_eq!(done.code, Some(0), "{}", done.stderr);
            done.stdout.trim_end().to_owned()
        }
    };
    assert_eq!(token_of(&[]).await, bob, "the account saved last is active");

    let done = home.run(&["switch", host(&server), "alice"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(token_of(&[]).await, alice);
    assert_eq!(token_of(&["-u", "bob"]).await, bob);
    assert_eq!(token_of(&["-u", "alice"]).await, alice);

    let done = home.run(&["switch", host(&server), "carol"]).await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
    assert_eq!(token_of(&[]).await, alice);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn exec_gives_the_command_the_url_and_token_in_its_environment_not_its_arguments() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let token = home.login_save(&server, &[]).await;
    let done = home
        .run(&[
            "exec",
            host(&server),
            "--",
            "sh",
            "-c",
            r#"echo "$MISSKEY_URL $MISSKEY_TOKEN"; tr '\0' ' ' < /proc/$$/cmdline"#,
        ])
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let mut lines = done.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(format!("{} {token}", server.base_url()).as_str())
    );
    let argv = lines.next().unwrap();
    assert!(argv.starts_with("sh -c "), "{argv}");
    assert!(!argv.contains(&token), "{argv}");
}

#[tokio::test]
async fn exec_exits_with_the_command_s_code_and_127_when_there_is_none() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    home.login_save(&server, &[]).await;

    let done = home
        .run(&["exec", host(&server), "--", SHELL[0], SHELL[1], "exit 7"])
        .await;
    assert_eq!(done.code, Some(7), "{}", done.stderr);

    let done = home
        .run(&[
            "exec",
            host(&server),
            "--",
            "/nonexistent/miauth-no-command",
        ])
        .await;
    assert_eq!(done.code, Some(127), "{}", done.stderr);
    assert!(
        error_line(&done.stderr).contains("cannot run /nonexistent/miauth-no-command"),
        "{}",
        done.stderr
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_and_sigint_sent_to_exec_reach_the_command() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    home.login_save(&server, &[]).await;
    // The command gives up by itself after a minute, so a signal that never reaches it
    // leaves nothing running behind the test.
    let script = r#"trap "exit 42" TERM; trap "exit 43" INT; echo ready
        i=0; while [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done; exit 9"#;
    for (signal, code) in [("TERM", 42), ("INT", 43)] {
        let mut run = home.spawn(&["exec", host(&server), "--", "sh", "-c", script], &[]);
        run.wait_for_stdout_line("ready").await;
        run.signal(signal);
        let done = run.finish().await;
        assert_eq!(done.code, Some(code), "SIG{signal}: {}", done.stderr);
    }
}

#[tokio::test]
async fn misskey_url_and_token_in_the_environment_win_for_their_instance_only() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let kept = home.login_save(&server, &[]).await;

    let done = home
        .run_with(
            &["token", host(&server)],
            &[
                ("MISSKEY_URL", server.base_url()),
                ("MISSKEY_TOKEN", "FromTheEnvironment00000000000000"),
            ],
        )
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, "FromTheEnvironment00000000000000\n");

    let done = home
        .run_with(
            &["token", host(&server)],
            &[
                ("MISSKEY_URL", "https://misskey.example"),
                ("MISSKEY_TOKEN", "FromTheEnvironment00000000000000"),
            ],
        )
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{kept}\n"));
}

#[tokio::test]
async fn with_vv_no_verb_shows_the_token_on_stderr() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let done = home.accept(&login_args(&server, &["-vv"]), &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let token = done.stdout.trim_end().to_owned();
    assert!(
        !done.stderr.contains(&token),
        "login --save: {}",
        done.stderr
    );
    let bob = keep_bob(&home, &server).await;

    let h = host(&server);
    let runs: [&[&str]; 8] = [
        &["-vv", "switch", h, "alice"],
        &["-vv", "token", h],
        &["-vv", "token", h, "--check"],
        &["-vv", "status"],
        &["-vv", "status", "--format", "json"],
        &["-vv", "exec", h, "--", SHELL[0], SHELL[1], "exit 0"],
        &["-vv", "logout", h],
        &["-vv", "logout", h, "-u", "bob"],
    ];
    for args in runs {
        let done = home.run(args).await;
        assert_eq!(done.code, Some(0), "{args:?}: {}", done.stderr);
        for secret in [&token, &bob] {
            assert!(!done.stderr.contains(secret), "{args:?}: {}", done.stderr);
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_file_store_is_owner_only_and_the_index_holds_no_token() {
    use std::os::unix::fs::PermissionsExt;
    let server = mock(MockConfig::default()).await;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("not-yet");
    let dir_str = dir.to_str().unwrap();
    let done = {
        let mut args = login_args(&server, &[]);
        args.push("--store=file");
        let mut run = spawn_miauth_with(&args, &[("MIAUTH_CONFIG_DIR", dir_str)]);
        let url = run.authorization_url().await;
        approve_in_browser(&url, Choice::Accept).await;
        run.finish().await
    };
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let token = done.stdout.trim_end();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("tokens.json")), 0o600);
    assert_eq!(mode(&dir.join("accounts.json")), 0o600);
    assert!(
        std::fs::read_to_string(dir.join("tokens.json"))
            .unwrap()
            .contains(token)
    );
    assert!(
        !std::fs::read_to_string(dir.join("accounts.json"))
            .unwrap()
            .contains(token)
    );
}

#[tokio::test]
async fn two_logins_saving_at_once_keep_both_accounts() {
    let (first, second) = (
        mock(MockConfig::default()).await,
        mock(MockConfig::default()).await,
    );
    let home = Home::new();
    let mut runs = [
        home.spawn(&login_args(&first, &[]), &[]),
        home.spawn(&login_args(&second, &[]), &[]),
    ];
    let urls = [
        runs[0].authorization_url().await,
        runs[1].authorization_url().await,
    ];
    tokio::join!(
        approve_in_browser(&urls[0], Choice::Accept),
        approve_in_browser(&urls[1], Choice::Accept)
    );
    let [a, b] = runs;
    let (a, b) = tokio::join!(a.finish(), b.finish());
    for done in [&a, &b] {
        assert_eq!(done.code, Some(0), "{}", done.stderr);
    }
    for (server, done) in [(&first, &a), (&second, &b)] {
        let kept = home.run(&["token", host(server)]).await;
        assert_eq!(kept.code, Some(0), "{}", kept.stderr);
        assert_eq!(kept.stdout, done.stdout);
    }
}

/// A session bus that accepts connections and never says a word.
#[cfg(unix)]
struct SilentBus {
    address: String,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

#[cfg(unix)]
impl SilentBus {
    fn start() -> SilentBus {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bus");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let task = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                open.push(stream);
            }
        });
        SilentBus {
            address: format!("unix:path={}", path.display()),
            _dir: dir,
            task,
        }
    }
}

#[cfg(unix)]
impl Drop for SilentBus {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn without_a_keyring_auto_keeps_the_token_in_the_file_and_warns() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    // The default store, auto; the session bus of every test leads nowhere.
    let done = home
        .accept(&login_args(&server, &[]), &[("MIAUTH_STORE", "auto")])
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let tokens = home.file("tokens.json");
    let warning = done
        .stderr
        .lines()
        .find(|l| l.starts_with("miauth: warning:"))
        .unwrap_or_else(|| panic!("no warning: {}", done.stderr));
    assert!(
        warning.contains("plain text") && warning.contains(tokens.to_str().unwrap()),
        "{warning}"
    );
    assert!(
        std::fs::read_to_string(&tokens)
            .unwrap()
            .contains(done.stdout.trim_end())
    );
}

#[tokio::test]
async fn store_keyring_without_a_keyring_exits_5_with_a_hint_and_still_prints_the_token() {
    let server = mock(MockConfig::default()).await;
    let home = Home::new();
    let done = home
        .accept(&login_args(&server, &["--store", "keyring"]), &[])
        .await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{}\n", server.issued_tokens()[0]));
    assert!(
        error_line(&done.stderr).contains("--store file"),
        "{}",
        done.stderr
    );
    assert!(!home.file("tokens.json").exists());

    // A program reading --events learns it from the one final event, which carries the token.
    let server = mock(MockConfig::default()).await;
    let done = home
        .accept(
            &login_args(&server, &["--store", "keyring", "--events"]),
            &[],
        )
        .await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    let last: serde_json::Value =
        serde_json::from_str(done.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "error", "{last}");
    assert_eq!(last["kind"], "store", "{last}");
    assert_eq!(last["code"], 5, "{last}");
    assert_eq!(
        last["result"]["token"],
        server.issued_tokens()[0].as_str(),
        "{last}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_keyring_that_never_answers_is_an_error_after_the_timeout_never_a_fallback() {
    let server = mock(MockConfig::default()).await;
    let bus = SilentBus::start();
    let home = Home::new();
    for store in ["auto", "keyring"] {
        let done = home
            .accept(
                &login_args(&server, &["--keyring-timeout", "2s"]),
                &[
                    ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str()),
                    ("MIAUTH_STORE", store),
                ],
            )
            .await;
        assert_eq!(done.code, Some(5), "{store}: {}", done.stderr);
        let issued = server.issued_tokens();
        assert!(
            issued.contains(&done.stdout.trim_end().to_owned()),
            "{store}: the token is delivered all the same: {:?}",
            done.stdout
        );
        assert!(
            error_line(&done.stderr).contains("did not answer within 2s"),
            "{store}: {}",
            done.stderr
        );
        assert!(!home.file("tokens.json").exists(), "{store}");
    }
}

#[tokio::test]
async fn an_argument_that_is_no_instance_is_a_usage_error_for_every_verb_of_kept_tokens() {
    let home = Home::new();
    let bad = "https://misskey.io/path";
    for args in [
        vec!["token", bad],
        vec!["token", bad, "--events"],
        vec!["exec", bad, "--", SHELL[0], SHELL[1], "exit 0"],
        vec!["status", bad],
        vec!["logout", bad],
        vec!["switch", bad, "alice"],
    ] {
        let done = home.run(&args).await;
        assert_eq!(done.code, Some(2), "{args:?}: {}", done.stderr);
        let error = error_line(&done.stderr);
        assert!(
            error.contains("invalid instance \"https://misskey.io/path\""),
            "{args:?}: {error}"
        );
        assert!(!error.contains("miauth login"), "{args:?}: {error}");
    }
}
