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
