//! Logging in with an account handle: WebFinger where it answers, the server's own API where
//! federation is off, and an instance error naming both reasons when neither knows the account.

use std::net::{Ipv4Addr, SocketAddr};

use axum::extract::RawQuery;
use axum::response::Redirect;
use miauth::handle::{Handle, resolve};
use miauth::mock::{MockConfig, Quirks};

use crate::support::{accept_in_browser, mock, spawn_miauth};

/// The fake instance with federation off, as every new Misskey server starts since 2025.8.
fn federation_off() -> MockConfig {
    MockConfig::default().with_quirks(Quirks::federation_off())
}

#[tokio::test]
async fn a_handle_on_a_server_with_federation_off_is_found_through_its_api_and_logged_in_to() {
    let server = mock(federation_off()).await;
    let authority = server.base_url().trim_start_matches("http://");
    let handle = format!("@alice@{authority}");
    let (done, url) = accept_in_browser(&["login", &handle, "--no-browser"], &[]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr.contains(&format!(
            "{handle}: WebFinger is off there (HTTP 403); {} serves that account.",
            server.base_url()
        )),
        "{}",
        done.stderr
    );
    assert!(url.starts_with(&format!("{}/miauth/", server.base_url())));
    assert_eq!(done.stdout, format!("{}\n", server.issued_tokens()[0]));
}

#[tokio::test]
async fn the_account_is_matched_without_regard_to_case_as_misskey_does() {
    let server = mock(federation_off()).await;
    let authority = server.base_url().trim_start_matches("http://");
    let handle = Handle::parse(&format!("@ALICE@{authority}")).unwrap();
    let located = resolve(&handle, &[]).await.unwrap();
    assert_eq!(located.instance.to_string(), server.base_url());
    assert_eq!(
        located.without_webfinger.as_deref(),
        Some("WebFinger is off there (HTTP 403)")
    );
}

#[tokio::test]
async fn an_unknown_account_on_a_server_with_federation_off_is_an_instance_error() {
    let server = mock(federation_off()).await;
    let authority = server.base_url().trim_start_matches("http://");
    let done = spawn_miauth(&["login", &format!("@nobody@{authority}"), "--no-browser"])
        .finish()
        .await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert!(
        done.stderr.contains(&format!(
            "miauth: error: cannot find the account @nobody@{authority}: WebFinger is off there (HTTP 403), and {authority} has no account nobody"
        )),
        "{}",
        done.stderr
    );
    assert!(!done.stderr.contains("/miauth/"), "{}", done.stderr);
    assert!(server.consent_requests().is_empty());
}

#[tokio::test]
async fn a_domain_without_webfinger_that_is_not_misskey_is_an_instance_error_naming_both_reasons() {
    let server =
        mock(MockConfig::dressed_as("mastodon", "4.3.0").with_quirks(Quirks::federation_off()))
            .await;
    let authority = server.base_url().trim_start_matches("http://");
    let done = spawn_miauth(&["login", &format!("@alice@{authority}"), "--no-browser"])
        .finish()
        .await;
    assert_eq!(done.code, Some(4), "{}", done.stderr);
    assert!(
        done.stderr.contains(&format!(
            "cannot find the account @alice@{authority}: WebFinger is off there (HTTP 403), and {authority} cannot say either: mastodon 4.3.0 does not offer MiAuth"
        )),
        "{}",
        done.stderr
    );
}

/// A handle's domain that serves no Misskey, only a redirect of WebFinger to `web_host`.
async fn delegating_domain(web_host: String) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/.well-known/webfinger",
        axum::routing::get(move |RawQuery(query): RawQuery| async move {
            Redirect::temporary(&format!(
                "{web_host}/.well-known/webfinger?{}",
                query.unwrap_or_default()
            ))
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn a_handle_whose_domain_delegates_to_the_web_host_is_found_there_with_webfinger() {
    let server = mock(MockConfig::default()).await;
    let domain = delegating_domain(server.base_url().to_owned()).await;
    let handle = Handle::parse(&format!("@alice@{domain}")).unwrap();
    let located = resolve(&handle, &[]).await.unwrap();
    assert_eq!(located.instance.to_string(), server.base_url());
    assert_eq!(located.without_webfinger, None);
    assert_eq!(
        located.to_string(),
        format!("@alice@{domain} lives on {}.", server.base_url())
    );
}
