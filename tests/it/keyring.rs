//! Tokens kept in a real Secret Service (gnome-keyring on a private bus): another client finds
//! what `login --save` kept, `logout` removes it, and a locked keyring is an error, never a
//! quiet move to a plain-text file.

use miauth::mock::{MockConfig, MockServer};

use crate::support::keyring::KeyringSession;
use crate::support::{accept_in_browser, mock, spawn_miauth_with};

/// The session's environment plus a fresh store directory.
fn env_of(session: &KeyringSession, config: &std::path::Path) -> Vec<(String, String)> {
    let mut env = session.env();
    env.push(("MIAUTH_CONFIG_DIR".into(), config.display().to_string()));
    env
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// `miauth login BASE --save EXTRA` with `env`, accepted by the scripted user.
async fn login_saving(
    server: &MockServer,
    extra: &[&str],
    env: &[(&str, &str)],
) -> crate::support::Finished {
    let mut args = vec![
        "login",
        server.base_url(),
        "--no-browser",
        "--save",
        "--timeout",
        "60s",
    ];
    args.extend_from_slice(extra);
    accept_in_browser(&args, env).await.0
}

#[tokio::test]
async fn a_saved_token_is_in_the_keyring_for_other_clients_until_logout() {
    let Some(session) = KeyringSession::start(true).await else {
        return;
    };
    let config = tempfile::tempdir().unwrap();
    let env = env_of(&session, config.path());
    let env = borrowed(&env);
    let server = mock(MockConfig::default()).await;
    let authority = server.base_url().trim_start_matches("http://").to_owned();
    let done = login_saving(&server, &[], &env).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let token = server.issued_tokens().remove(0);
    assert_eq!(done.stdout, format!("{token}\n"));
    assert!(
        done.stderr.contains("in the system keyring"),
        "{}",
        done.stderr
    );
    assert!(!done.stderr.contains("plain text"), "{}", done.stderr);

    let service = format!("miauth:{authority}");
    assert_eq!(
        session.lookup(&service, "alice").await.as_deref(),
        Some(token.as_str())
    );
    let index = std::fs::read_to_string(config.path().join("accounts.json")).unwrap();
    assert!(index.contains("\"kept_in\": \"keyring\""), "{index}");
    assert!(!index.contains(&token), "the index never holds the token");
    assert!(!config.path().join("tokens.json").exists());

    let done = spawn_miauth_with(&["token", &authority, "-vv"], &env)
        .finish()
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{token}\n"));
    assert!(!done.stderr.contains(&token), "{}", done.stderr);

    let done = spawn_miauth_with(&["status", server.base_url()], &env)
        .finish()
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stdout.contains("in the system keyring"),
        "{}",
        done.stdout
    );

    let done = spawn_miauth_with(&["logout", server.base_url()], &env)
        .finish()
        .await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(done.stderr.contains("/settings/apps"), "{}", done.stderr);
    assert_eq!(session.lookup(&service, "alice").await, None);
    let done = spawn_miauth_with(&["token", server.base_url()], &env)
        .finish()
        .await;
    assert_eq!(done.code, Some(6), "{}", done.stderr);
}

#[tokio::test]
async fn a_locked_keyring_is_an_error_and_the_token_is_still_delivered() {
    let Some(session) = KeyringSession::start(false).await else {
        return;
    };
    let config = tempfile::tempdir().unwrap();
    let env = env_of(&session, config.path());
    let env = borrowed(&env);
    let server = mock(MockConfig::default()).await;
    let done = login_saving(&server, &["--keyring-timeout", "5s"], &env).await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    let token = server.issued_tokens().remove(0);
    assert_eq!(done.stdout, format!("{token}\n"), "the token is not lost");
    assert!(
        done.stderr
            .contains("miauth: error: cannot use the system keyring"),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("--store file"), "{}", done.stderr);
    assert!(
        !config.path().join("tokens.json").exists(),
        "never a quiet move to plain text"
    );
}

/// Locks the login keyring of `session`, as the screen locker or `Lock` in Seahorse does.
async fn lock(session: &KeyringSession) {
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tokio::process::Command::new("dbus-send")
            .args([
                "--session",
                "--dest=org.freedesktop.secrets",
                "--type=method_call",
                "--print-reply",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .envs(session.env())
            .stdin(std::process::Stdio::null())
            .output(),
    )
    .await
    .expect("dbus-send answers within 30 s")
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn logout_with_the_keyring_locked_needs_force_and_then_says_where_the_token_still_is() {
    let Some(session) = KeyringSession::start(true).await else {
        return;
    };
    let config = tempfile::tempdir().unwrap();
    let env = env_of(&session, config.path());
    let env = borrowed(&env);
    let server = mock(MockConfig::default()).await;
    let authority = server.base_url().trim_start_matches("http://").to_owned();
    let done = login_saving(&server, &[], &env).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let service = format!("miauth:{authority}");
    lock(&session).await;

    // Without --force: the account stays, and the hint says how to forget it all the same,
    // naming the instance as it can be typed back (plain http).
    let logout = ["logout", &authority, "--keyring-timeout", "5s"];
    let done = spawn_miauth_with(&logout, &env).finish().await;
    assert_eq!(done.code, Some(5), "{}", done.stderr);
    assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
    assert!(
        done.stderr
            .starts_with("miauth: error: cannot use the system keyring"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr.contains(&format!(
            "`miauth logout {} -u alice --force`",
            server.base_url()
        )),
        "{}",
        done.stderr
    );
    let index = std::fs::read_to_string(config.path().join("accounts.json")).unwrap();
    assert!(index.contains("\"alice\""), "the account is kept: {index}");

    // With --force: forgotten here, and told where the token still is and how to remove it.
    let mut forced = logout.to_vec();
    forced.push("--force");
    let done = spawn_miauth_with(&forced, &env).finish().await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    for said in [
        format!("the token is still in the system keyring under service {service}, user alice"),
        format!("`secret-tool clear service {service} username alice`"),
        format!(
            "Forgot @alice@{authority} here; its token could not be read to revoke it, and it works until you delete the app at {}/settings/apps",
            server.base_url()
        ),
    ] {
        assert!(
            done.stderr.contains(&said),
            "no {said:?} in:\n{}",
            done.stderr
        );
    }
    let index = std::fs::read_to_string(config.path().join("accounts.json")).unwrap();
    assert!(
        !index.contains("\"alice\""),
        "the account is forgotten: {index}"
    );
    let done = spawn_miauth_with(&["status", "--offline"], &env)
        .finish()
        .await;
    assert_eq!(done.code, Some(6), "nothing is kept: {}", done.stdout);
    assert!(!config.path().join("tokens.json").exists());
}
