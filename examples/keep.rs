//! Keeping a token and reading it back later without another login: `Store` with the system
//! keyring (feature `keyring`, on by default). Logs in to the fake instance in this process, so
//! it runs offline:
//!
//! ```sh
//! cargo run --example keep
//! ```
//!
//! The store lives in a temporary directory here; `Store::default_dir()` is the one the
//! `miauth` command shares. With `StoreChoice::Auto` the token goes to the keyring where there
//! is one, and to the owner-only file (with a warning) where there is none.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use miauth::mock::{Choice, MockConfig, MockServer, ScriptedBrowser};
use miauth::store::{KeptIn, StoreChoice};
use miauth::{Instance, Login, Store};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start(
        MockConfig::default(),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .await?;
    let credentials = Login::new(Instance::parse(server.base_url())?)
        .browser(Arc::new(ScriptedBrowser::new(Choice::Accept)))
        .run()
        .await?;

    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), StoreChoice::Auto);
    let saved = store.save(&credentials).await?;
    if let Some(warning) = &saved.warning {
        eprintln!("warning: {warning}");
    }
    let place = match saved.account.kept_in {
        KeptIn::Keyring => "the system keyring",
        KeptIn::File => "the owner-only file",
        _ => "elsewhere",
    };
    println!("kept {} in {place}", saved.account.handle());

    // Later, in another run: the token of the instance's active account, without a login.
    let (account, token) = store
        .get(Some(&credentials.instance.authority()), None)
        .await?;
    assert_eq!(token.expose(), credentials.token.expose());
    println!("read back the token of {}", account.handle());

    // Forget it again, so that the example leaves nothing behind in the keyring.
    store
        .remove(&credentials.instance.authority(), Some(&account.username))
        .await?;
    server.shutdown().await;
    Ok(())
}
