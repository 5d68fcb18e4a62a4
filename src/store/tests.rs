//! The store with the file backend and in memory: what is kept where, and what never is.

use super::account::removal_command;
use super::*;
use crate::Credentials;
use crate::{Instance, Permissions, User};

fn credentials(instance: &str, username: &str, token: &str) -> Credentials {
    Credentials {
        token: AccessToken::new(token),
        user: User {
            id: format!("id-{username}"),
            username: username.into(),
            ..User::default()
        },
        instance: Instance::parse(instance).unwrap(),
        permissions: Permissions::parse(["read:account,write:notes"]).unwrap(),
        verified: true,
    }
}

fn file_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("miauth"), StoreChoice::File);
    (dir, store)
}

/// A build without the `keyring` feature has no keyring: asking for it is an error that
/// names the feature, and `auto` keeps the token in the file, saying so.
#[cfg(not(feature = "keyring"))]
#[tokio::test]
async fn without_the_keyring_feature_the_keyring_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = Store::open(dir.path().join("k"), StoreChoice::Keyring);
    let e = keyring
        .save(&credentials("https://misskey.io", "alice", "t0ken"))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("miauth was built without its `keyring` feature"),
        "{e}"
    );
    let auto = Store::open(dir.path().join("a"), StoreChoice::Auto);
    let saved = auto
        .save(&credentials("https://misskey.io", "alice", "t0ken"))
        .await
        .unwrap();
    assert_eq!(saved.account.kept_in, KeptIn::File);
    assert!(
        saved
            .warning
            .is_some_and(|w| w.contains("`keyring` feature") && w.contains("plain text")),
    );
}

#[tokio::test]
async fn a_saved_account_comes_back_with_its_token_and_permissions() {
    for store in [file_store().1, Store::in_memory()] {
        let _keep;
        let store = if store.dir().is_some() {
            let (dir, s) = file_store();
            _keep = dir;
            s
        } else {
            store
        };
        store
            .save(&credentials("misskey.io", "alice", "TOKEN-A"))
            .await
            .unwrap();
        let (account, token) = store.get(Some("https://misskey.io/"), None).await.unwrap();
        assert_eq!(token.expose(), "TOKEN-A");
        assert_eq!(account.handle(), "@alice@misskey.io");
        assert_eq!(account.permissions, ["read:account", "write:notes"]);
        assert!(account.active);
        // One instance kept: it may be left out.
        let (account, _) = store.get(None, Some("@alice")).await.unwrap();
        assert_eq!(account.user_id, "id-alice");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_directory_and_the_files_are_owner_only_and_the_index_holds_no_token() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, store) = file_store();
    store
        .save(&credentials("misskey.io", "alice", "SECRET-TOKEN-1"))
        .await
        .unwrap();
    let dir = store.dir().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700);
    assert_eq!(mode(&dir.join(TOKENS)), 0o600);
    assert_eq!(mode(&dir.join(INDEX)), 0o600);
    let index = std::fs::read_to_string(dir.join(INDEX)).unwrap();
    assert!(!index.contains("SECRET-TOKEN-1"), "{index}");
    assert!(index.contains("\"kept_in\": \"file\""), "{index}");
    let tokens = std::fs::read_to_string(dir.join(TOKENS)).unwrap();
    assert!(tokens.contains("SECRET-TOKEN-1"));
}

#[tokio::test]
async fn a_second_account_is_kept_beside_the_first_and_becomes_active() {
    let (_tmp, store) = file_store();
    store
        .save(&credentials("misskey.io", "alice", "A"))
        .await
        .unwrap();
    store
        .save(&credentials("misskey.io", "bob", "B"))
        .await
        .unwrap();
    let (active, token) = store.get(Some("misskey.io"), None).await.unwrap();
    assert_eq!((active.username.as_str(), token.expose()), ("bob", "B"));
    let (_, token) = store.get(Some("misskey.io"), Some("alice")).await.unwrap();
    assert_eq!(token.expose(), "A");

    store.set_active("misskey.io", "alice").await.unwrap();
    let (active, _) = store.get(Some("misskey.io"), None).await.unwrap();
    assert_eq!(active.username, "alice");
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().filter(|a| a.active).count(), 1);

    // Forgetting the active account makes the other one active.
    store.remove("misskey.io", None).await.unwrap();
    let (active, token) = store.get(Some("misskey.io"), None).await.unwrap();
    assert_eq!((active.username.as_str(), token.expose()), ("bob", "B"));
    let tokens = std::fs::read_to_string(store.tokens_file().unwrap()).unwrap();
    assert!(!tokens.contains("\"A\""), "{tokens}");
}

#[tokio::test]
async fn nothing_kept_is_not_logged_in() {
    let (_tmp, store) = file_store();
    let e = store.get(Some("misskey.io"), None).await.unwrap_err();
    assert_eq!(e.exit_code(), crate::exit::NOT_LOGGED_IN, "{e}");
    let e = store.remove("misskey.io", None).await.unwrap_err();
    assert_eq!(e.exit_code(), crate::exit::NOT_LOGGED_IN, "{e}");
    store
        .save(&credentials("misskey.io", "alice", "A"))
        .await
        .unwrap();
    let e = store
        .get(Some("misskey.io"), Some("carol"))
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), crate::exit::NOT_LOGGED_IN, "{e}");
    let e = store.get(Some("example.com"), None).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "not logged in to example.com: no such account is kept"
    );
}

#[tokio::test]
async fn several_instances_must_be_named() {
    let store = Store::in_memory();
    store
        .save(&credentials("misskey.io", "alice", "A"))
        .await
        .unwrap();
    store
        .save(&credentials("127.0.0.1:8080", "alice", "B"))
        .await
        .unwrap();
    let e = store.get(None, None).await.unwrap_err();
    assert_eq!(e.exit_code(), crate::exit::USAGE);
    assert!(e.to_string().contains("127.0.0.1:8080, misskey.io"), "{e}");
    let (account, token) = store.get(Some("127.0.0.1:8080"), None).await.unwrap();
    assert_eq!(
        (account.instance.as_str(), token.expose()),
        ("127.0.0.1:8080", "B")
    );
}

#[tokio::test]
async fn a_corrupt_index_is_an_error_naming_it_and_is_kept() {
    let (_tmp, store) = file_store();
    store
        .save(&credentials("misskey.io", "alice", "A"))
        .await
        .unwrap();
    let index = store.dir().unwrap().join(INDEX);
    std::fs::write(&index, "{ not json").unwrap();
    let e = store.list().unwrap_err();
    assert_eq!(e.exit_code(), crate::exit::LOCAL);
    assert!(e.to_string().contains(&index.display().to_string()), "{e}");
    let e = store
        .save(&credentials("misskey.io", "bob", "B"))
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("cannot read "), "{e}");
    assert_eq!(std::fs::read_to_string(&index).unwrap(), "{ not json");
}

#[tokio::test]
async fn a_corrupt_tokens_file_is_an_error_and_is_kept() {
    let (_tmp, store) = file_store();
    store
        .save(&credentials("misskey.io", "alice", "A"))
        .await
        .unwrap();
    let tokens = store.tokens_file().unwrap();
    std::fs::write(&tokens, "[]").unwrap();
    let e = store.get(Some("misskey.io"), None).await.unwrap_err();
    assert!(e.to_string().contains(&tokens.display().to_string()), "{e}");
    assert!(
        store
            .save(&credentials("misskey.io", "bob", "B"))
            .await
            .is_err()
    );
    assert_eq!(std::fs::read_to_string(&tokens).unwrap(), "[]");
}

#[test]
fn saves_from_many_stores_at_once_keep_every_account() {
    let (_tmp, store) = file_store();
    let dir = store.dir().unwrap().to_owned();
    // Threads, each with a runtime and a Store of its own, as separate processes would be:
    // their read-modify-writes really overlap, and only the lock keeps them whole.
    let savers: Vec<_> = (0..16)
        .map(|n| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    Store::open(dir, StoreChoice::File)
                        .save(&credentials(
                            "misskey.io",
                            &format!("user{n}"),
                            &format!("T{n}"),
                        ))
                        .await
                        .unwrap();
                });
            })
        })
        .collect();
    for saver in savers {
        saver.join().unwrap();
    }
    assert_eq!(store.list().unwrap().len(), 16);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for n in 0..16 {
        let (_, token) = runtime
            .block_on(store.get(Some("misskey.io"), Some(&format!("user{n}"))))
            .unwrap();
        assert_eq!(token.expose(), format!("T{n}"));
    }
}

#[tokio::test]
async fn a_lock_held_elsewhere_is_waited_for_then_given_up_with_an_error() {
    let (_tmp, store) = file_store();
    store
        .save(&credentials("misskey.io", "alice", "A"))
        .await
        .unwrap();
    let lock_path = store.dir().unwrap().join(".lock");
    let held = std::fs::File::options()
        .write(true)
        .open(&lock_path)
        .unwrap();
    held.lock().unwrap();
    tokio::time::pause();
    let e = store
        .save(&credentials("misskey.io", "bob", "B"))
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), crate::exit::LOCAL, "{e}");
    assert!(e.to_string().contains(".lock"), "{e}");
    assert!(
        e.to_string().contains("another miauth has held the lock"),
        "{e}"
    );
}

#[tokio::test]
async fn a_directory_others_may_write_to_is_refused() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, store) = file_store();
        let dir = store.dir().unwrap();
        std::fs::create_dir_all(dir).unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = store
            .save(&credentials("misskey.io", "alice", "A"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("others may write to it"), "{e}");
        assert!(!dir.join(INDEX).exists());
    }
}

#[tokio::test]
async fn a_handle_names_the_account_and_its_instance() {
    let store = Store::in_memory();
    for (instance, user, token) in [
        ("misskey.io", "alice", "A"),
        ("misskey.io", "bob", "B"),
        ("example.social", "alice", "C"),
    ] {
        store
            .save(&credentials(instance, user, token))
            .await
            .unwrap();
    }
    let (_, token) = store.get(Some("@alice@misskey.io"), None).await.unwrap();
    assert_eq!(token.expose(), "A");
    let (_, token) = store.get(Some("bob@misskey.io"), None).await.unwrap();
    assert_eq!(token.expose(), "B");
    // A handle whose domain delegates to its web host: the one bob kept anywhere.
    let (account, _) = store.get(Some("@bob@example.com"), None).await.unwrap();
    assert_eq!(account.instance, "misskey.io");
    let e = store
        .get(Some("@carol@misskey.io"), None)
        .await
        .unwrap_err();
    assert_eq!(e.exit_code(), crate::exit::NOT_LOGGED_IN, "{e}");
    // -u alone picks the instance when only one has that user.
    let (account, _) = store.get(None, Some("bob")).await.unwrap();
    assert_eq!(account.instance, "misskey.io");
}

#[tokio::test]
async fn saving_an_account_again_says_the_older_token_is_replaced() {
    let (_tmp, store) = file_store();
    let first = store
        .save(&credentials("misskey.io", "alice", "A"))
        .await
        .unwrap();
    assert!(!first.replaced);
    let second = store
        .save(&credentials("misskey.io", "alice", "A2"))
        .await
        .unwrap();
    assert!(second.replaced);
    let (_, token) = store.get(Some("misskey.io"), None).await.unwrap();
    assert_eq!(token.expose(), "A2");
}

#[test]
fn a_token_left_in_the_keyring_is_removed_by_hand_with_the_system_s_own_tool() {
    let service = keyring::service("127.0.0.1:8080");
    assert_eq!(
        removal_command("linux", &service, "alice"),
        "secret-tool clear service miauth:127.0.0.1:8080 username alice"
    );
    assert_eq!(
        removal_command("freebsd", &service, "alice"),
        "secret-tool clear service miauth:127.0.0.1:8080 username alice"
    );
    assert_eq!(
        removal_command("macos", &service, "alice"),
        "security delete-generic-password -s miauth:127.0.0.1:8080 -a alice"
    );
    assert_eq!(
        removal_command("windows", &service, "alice"),
        "cmdkey /delete:alice@miauth:127.0.0.1:8080"
    );
}

#[test]
fn the_keyring_service_name_is_miauth_and_the_instance_as_printed() {
    assert_eq!(
        keyring::service(&instance_key("https://misskey.io/")),
        "miauth:misskey.io"
    );
    assert_eq!(
        keyring::service(&instance_key("http://127.0.0.1:8080")),
        "miauth:127.0.0.1:8080"
    );
}
