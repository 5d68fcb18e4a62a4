//! The commands of the fake instance: `miauth mock` runs one for other clients to test against
//! (dressed as an observed server, with quirks), and `miauth demo` logs in to one, the whole
//! flow offline.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::AtomicU8;

use miauth::browser::{Showing, current_showing};
use miauth::mock::{MockConfig, MockServer};
use miauth::{Error, Instance, Login, exit};

use super::args::{DressArg, OutputArgs, QuirkArg, WaitArgs};
use super::{Start, cancelled, deliver};

pub(super) async fn mock(quiet: bool, port: u16, config: MockConfig) -> u8 {
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let playing = format!("{} {}", config.software, config.version);
    let stop = cancelled(Arc::new(AtomicU8::new(exit::SUCCESS)));
    let server = match MockServer::start(config, addr).await {
        Ok(s) => s,
        Err(e) => {
            let e = Error::Bind {
                addr: addr.to_string(),
                reason: e.to_string(),
            };
            eprintln!("miauth: error: {e}; {}", e.hint().unwrap_or_default());
            return e.exit_code();
        }
    };
    if deliver::write_stdout(&format!("{}\n", server.base_url())).is_err() {
        return exit::LOCAL;
    }
    if !quiet {
        eprintln!(
            "Fake Misskey instance running, as {playing}; log in with `miauth login` at the URL above. Ctrl-C stops it."
        );
    }
    stop.await;
    server.shutdown().await;
    exit::SUCCESS
}

/// The fake instance `miauth mock --dressed-as ... --quirk ...` starts.
pub(super) fn config_of(dressed_as: Option<DressArg>, args: &[QuirkArg]) -> MockConfig {
    // Dressing first: it sets the version and the quirks that come with it.
    let mut config = match dressed_as {
        Some(dress) => {
            let (software, version) = dress.software_version();
            MockConfig::dressed_as(software, version)
        }
        // Failing to create the token is best known from Misskey 2024.11.0.
        None if args.contains(&QuirkArg::ApproveWithoutToken) => {
            MockConfig::approving_without_token()
        }
        None => MockConfig::default(),
    };
    for arg in args {
        match arg {
            QuirkArg::ApproveWithoutToken => config.token_creation_fails = true,
            QuirkArg::ConcatenatedCallback => config.quirks.concatenated_callback = true,
            QuirkArg::SingleDecode => config.quirks.single_decode = true,
            QuirkArg::FederationOff => config.quirks.federation_off = true,
        }
    }
    config
}

pub(super) async fn demo(
    quiet: bool,
    verbose: u8,
    auto_approve: bool,
    wait: &WaitArgs,
    out: &OutputArgs,
) -> u8 {
    let display = !wait.no_browser && current_showing() == Showing::Browser;
    // With --auto-approve, or where no browser can be opened, the scripted browser plays the
    // user: a `$BROWSER` that shows nothing (`true`, `echo`) must not leave the demo waiting.
    let scripted = auto_approve || (!display && !wait.no_browser);
    let config = MockConfig {
        auto_approve: auto_approve || !display,
        ..MockConfig::default()
    };
    let start = Start::new(quiet, verbose, wait, out, scripted);
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let server = match MockServer::start(config, addr).await {
        Ok(s) => s,
        Err(e) => {
            return start.fail_early(
                &Error::Bind {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                },
                out,
            );
        }
    };
    let instance = match Instance::parse(server.base_url()) {
        Ok(i) => i,
        Err(e) => return start.fail_early(&e, out),
    };
    start.reporter.say(&format!(
        "miauth demo: a fake Misskey instance runs at {instance}."
    ));
    if scripted && display {
        start.reporter.say(
            "A scripted browser visits the consent page, and the fake instance approves by itself.",
        );
    } else if scripted {
        start.reporter.say("No browser can be opened here, so a scripted browser visits the page and the fake instance approves by itself.");
    } else if display {
        start
            .reporter
            .say("Your browser will open its consent page: press Accept.");
    }
    let login = Login::new(instance).name("miauth demo");
    let reporter = start.reporter.clone();
    let code = start.run(login, wait, out, None).await;
    if code == exit::SUCCESS {
        reporter.say("This token comes from the fake instance and works nowhere else.");
    }
    server.shutdown().await;
    code
}
