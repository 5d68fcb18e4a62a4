//! A whole MiAuth login, offline: the fake instance runs in this process, and a scripted
//! browser presses Accept on its consent page. Needs no feature of the crate:
//!
//! ```sh
//! cargo run --no-default-features --example mock_login
//! ```
//!
//! Prints the account's handle, `@alice@127.0.0.1:PORT`. Swap the fake for a real instance
//! and the scripted browser for the user's (the default) and this is a real login.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use miauth::mock::{Choice, MockConfig, MockServer, ScriptedBrowser};
use miauth::{Instance, Login, Permissions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fake Misskey 2026.7.0 on a port the system picks.
    let server = MockServer::start(
        MockConfig::default(),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .await?;
    let credentials = Login::new(Instance::parse(server.base_url())?)
        .name("mock-login example")
        .permissions(Permissions::parse(["read:account"])?)
        .browser(Arc::new(ScriptedBrowser::new(Choice::Accept)))
        .timeout(Duration::from_secs(60))
        .run()
        .await?;
    // The token is `credentials.token.expose()`; it is never printed here.
    println!("{}", credentials.handle());
    server.shutdown().await;
    Ok(())
}
