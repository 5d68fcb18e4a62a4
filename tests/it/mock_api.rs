//! The fake instance answers as Misskey 2025.11.1 and 2026.7.0 were recorded answering, each
//! dressed server as it was recorded, and Misskey 2026.9.0 as its published change says.

use std::time::Duration;

use miauth::mock::{CheckFault, MockConfig, Quirks, Redirect};
use serde_json::{Value, json};

use crate::support::mock;

fn http() -> reqwest::Client {
    crate::support::http()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn check_answers_exactly_as_recorded() {
    let server = mock(MockConfig::default()).await;
    let base = server.base_url();
    let c = http();
    let check = |s: &str| format!("{base}/api/miauth/{s}/check");

    let r = c
        .post(check("unknown"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["cache-control"],
        "private, max-age=0, must-revalidate"
    );
    assert_eq!(json_of(r).await, (200, json!({"ok": false})));

    let r = c
        .post(check("unknown"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "FST_ERR_CTP_EMPTY_JSON_BODY");

    let r = c.post(check("unknown")).send().await.unwrap();
    assert_eq!(json_of(r).await, (200, json!({"ok": false})));
    let r = c
        .post(check("unknown"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(r).await, (200, json!({"ok": false})));
    let r = c
        .post(check("unknown"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);

    let r = c.get(check("unknown")).send().await.unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "UNKNOWN_API_ENDPOINT");

    let r = c
        .post(check(&"a".repeat(101)))
        .body("{}")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Route POST:/api/miauth/aaaa")
    );
    let r = c
        .post(check(&"a".repeat(100)))
        .body("{}")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(r).await, (200, json!({"ok": false})));
}

#[tokio::test]
async fn a_token_is_handed_out_once_and_each_approval_makes_one() {
    let server = mock(MockConfig::default()).await;
    let c = http();
    let url = format!("{}/api/miauth/s1/check", server.base_url());
    let first = server.approve("s1").unwrap();
    let second = server.approve("s1").unwrap();
    assert_eq!(first.len(), 32);
    assert!(first.chars().all(|ch| ch.is_ascii_alphanumeric()));
    let mut got = Vec::new();
    for _ in 0..3 {
        let r = c
            .post(&url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        got.push(json_of(r).await.1);
    }
    assert_eq!(got[0]["ok"], true);
    assert_eq!(got[0]["token"], first.as_str());
    assert_eq!(got[0]["user"]["username"], "alice");
    assert_eq!(got[0]["user"]["host"], Value::Null);
    assert_eq!(got[1]["token"], second.as_str());
    assert_eq!(got[2], json!({"ok": false}));
}

#[tokio::test]
async fn two_checks_at_once_can_both_be_handed_the_same_token() {
    // A real server reads the token and saves the "fetched" mark without waiting: two checks
    // that both read before either marks both get the token. Holding both checks between the
    // two steps makes that interleaving certain.
    let server =
        mock(MockConfig::default().with_check_faults(vec![CheckFault::Hold, CheckFault::Hold]))
            .await;
    let token = server.approve("s").unwrap();
    let c = http();
    let url = format!("{}/api/miauth/s/check", server.base_url());
    let check = || {
        c.post(&url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
    };
    let (first, second) = (tokio::spawn(check()), tokio::spawn(check()));
    server.wait_for_held(2).await;
    let spans = server.check_spans();
    assert_eq!(spans.len(), 2, "both checks recorded on arrival");
    assert!(spans.iter().all(|s| s.answered.is_none()), "{spans:?}");
    server.release_held(2);
    for answer in [first, second] {
        let (status, body) = json_of(answer.await.unwrap().unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(body["ok"], true, "{body}");
        assert_eq!(body["token"], token.as_str());
    }
    assert!(server.check_spans().iter().all(|s| s.answered.is_some()));
    // Both marked it fetched: a third check finds nothing.
    let (_, body) = json_of(check().await.unwrap()).await;
    assert_eq!(body, json!({"ok": false}));
}

#[tokio::test]
async fn api_i_accepts_a_bearer_or_body_token_and_refuses_others() {
    let server = mock(MockConfig::default()).await;
    let token = server.approve("s").unwrap();
    let c = http();
    let url = format!("{}/api/i", server.base_url());
    let r = c
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!((status, body["username"].as_str()), (200, Some("alice")));
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body(json!({"i": token}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = c
        .post(&url)
        .bearer_auth("wrong")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "AUTHENTICATION_FAILED");
}

#[tokio::test]
async fn meta_and_nodeinfo_describe_a_misskey_with_miauth() {
    let server = mock(MockConfig::default()).await;
    let c = http();
    let base = server.base_url();
    let r = c
        .post(format!("{base}/api/meta"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (_, meta) = json_of(r).await;
    assert_eq!(meta["features"]["miauth"], true);
    // The default is the newest Misskey observed on a real server.
    assert_eq!(meta["version"], "2026.7.0");
    let (_, links) = json_of(
        c.get(format!("{base}/.well-known/nodeinfo"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let href = links["links"][0]["href"].as_str().unwrap().to_owned();
    let (_, info) = json_of(c.get(href).send().await.unwrap()).await;
    assert_eq!(info["software"]["name"], "misskey");
    assert_eq!(info["software"]["version"], "2026.7.0");
}

#[tokio::test]
async fn federation_off_answers_403_empty_for_nodeinfo_webfinger_and_host_meta() {
    let server = mock(MockConfig::default().with_quirks(Quirks::federation_off())).await;
    let c = http();
    for path in [
        "/.well-known/nodeinfo",
        "/.well-known/webfinger?resource=acct:alice@127.0.0.1",
        "/.well-known/host-meta",
    ] {
        let r = c
            .get(format!("{}{path}", server.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{path}");
        assert!(r.text().await.unwrap().is_empty(), "{path}");
    }
    let r = c
        .get(format!("{}/nodeinfo/2.1", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn users_show_finds_the_local_account_without_regard_to_case_even_with_federation_off() {
    let server = mock(MockConfig::default().with_quirks(Quirks::federation_off())).await;
    let c = http();
    let show = format!("{}/api/users/show", server.base_url());
    let post = |body: &'static str| {
        c.post(&show)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for body in [
        r#"{"username":"alice"}"#,
        r#"{"username":" Alice ","host":null}"#,
    ] {
        let (status, user) = json_of(post(body).await.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(user["username"], "alice", "{body}");
        assert_eq!(user["host"], Value::Null, "{body}");
    }
    assert_eq!(
        json_of(post(r#"{"username":"nobody"}"#).await.unwrap()).await,
        (
            404,
            json!({"error": {
                "message": "No such user.",
                "code": "NO_SUCH_USER",
                "id": "4362f8dc-731f-4ad8-a694-be5a88922a24",
                "kind": "client",
            }})
        )
    );
    let (status, error) = json_of(post("{}").await.unwrap()).await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (400, &json!("INVALID_PARAM"))
    );
    let (status, error) = json_of(
        post(r#"{"username":"alice","host":"elsewhere.example"}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (500, &json!("FAILED_TO_RESOLVE_REMOTE_USER"))
    );
    let (status, error) = json_of(post("").await.unwrap()).await;
    assert_eq!(
        (status, &error["code"]),
        (400, &json!("FST_ERR_CTP_EMPTY_JSON_BODY"))
    );
    let (status, error) = json_of(c.get(&show).send().await.unwrap()).await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (404, &json!("UNKNOWN_API_ENDPOINT"))
    );
}

#[tokio::test]
async fn sharkey_names_only_its_own_version_in_nodeinfo_and_meta() {
    let server = mock(MockConfig::dressed_as("sharkey", "2023.11.2")).await;
    let c = http();
    let base = server.base_url();
    let (_, info) = json_of(c.get(format!("{base}/nodeinfo/2.1")).send().await.unwrap()).await;
    assert_eq!(
        info["software"],
        json!({"name": "sharkey", "version": "2023.11.2"})
    );
    assert!(
        info["metadata"].get("basedMisskeyVersion").is_none(),
        "{info}"
    );
    let r = c
        .post(format!("{base}/api/meta"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (_, meta) = json_of(r).await;
    assert_eq!(meta["version"], "2023.11.2");
    assert_eq!(meta["features"]["miauth"], true);
}

#[tokio::test]
async fn with_federation_on_host_meta_points_to_webfinger() {
    let server = mock(MockConfig::default()).await;
    let r = http()
        .get(format!("{}/.well-known/host-meta", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!(
            "template=\"{}/.well-known/webfinger?resource={{uri}}\"",
            server.base_url()
        )),
        "{body}"
    );
}

#[tokio::test]
async fn auto_approve_redirects_straight_to_the_callback_with_the_session() {
    let server = mock(MockConfig {
        auto_approve: true,
        ..MockConfig::default()
    })
    .await;
    let c = http();
    let url = format!(
        "{}/miauth/s-9?name=x&callback=http%3A%2F%2F127.0.0.1%3A9%2Fcb%3Fx%3D1&permission=read%3Aaccount",
        server.base_url()
    );
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(
        r.headers()["location"],
        "http://127.0.0.1:9/cb?x=1&session=s-9"
    );
    assert_eq!(server.issued_tokens().len(), 1);
}

#[tokio::test]
async fn without_a_callback_accept_says_return_to_the_application() {
    let server = mock(MockConfig {
        auto_approve: true,
        ..MockConfig::default()
    })
    .await;
    let r = http()
        .get(format!(
            "{}/miauth/s?name=x&permission=read%3Aaccount",
            server.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("return to the application")
    );
}

#[tokio::test]
async fn a_late_redirect_is_sent_only_after_a_check_has_fetched_the_token() {
    let server = mock(MockConfig {
        auto_approve: true,
        redirect: Redirect::AfterFetched(Duration::ZERO),
        ..MockConfig::default()
    })
    .await;
    let base = server.base_url();
    let consent = format!("{base}/miauth/S?callback=http%3A%2F%2F127.0.0.1%3A9%2Fcb");
    let page = tokio::spawn(http().get(consent).send());
    server.wait_for_tokens(1).await;
    assert_eq!(server.redirects(), 0, "the token exists, the browser waits");
    let r = http()
        .post(format!("{base}/api/miauth/S/check"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!((status, &body["ok"]), (200, &json!(true)), "{body}");
    let page = page.await.unwrap().unwrap();
    assert_eq!(page.status().as_u16(), 302);
    assert_eq!(
        page.headers()["location"],
        "http://127.0.0.1:9/cb?session=S"
    );
    assert_eq!(server.redirects(), 1);
}

/// Each row of the Firefish 20241205 table in `observed-misskey-2025.11.1.md`, where it
/// answers otherwise than Misskey.
#[tokio::test]
async fn dressed_as_firefish_it_answers_each_row_as_firefish_20241205_did() {
    let server = mock(MockConfig::dressed_as("firefish", "20241205")).await;
    let base = server.base_url();
    let c = http();
    let check = |s: &str| format!("{base}/api/miauth/{s}/check");
    let text = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
        (status, kind, r.text().await.unwrap())
    };

    // An empty body sent as JSON is taken as `{}`.
    let r = c
        .post(check("unknown"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(r).await, (200, json!({"ok": false})));
    // A text/plain body is refused in plain text.
    let r = c
        .post(check("unknown"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    let (status, kind, body) = text(r).await;
    assert_eq!((status, body.as_str()), (400, "Bad Request"));
    assert!(kind.starts_with("text/plain"), "{kind}");
    // A session of 101 characters is looked up like any other.
    let r = c
        .post(check(&"a".repeat(101)))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(r).await, (200, json!({"ok": false})));
    // GET, and a path under /api/ that is no endpoint: a plain-text 500.
    for r in [
        c.get(check("unknown")).send().await.unwrap(),
        c.post(format!("{base}/api/no-such-endpoint"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap(),
    ] {
        let (status, kind, body) = text(r).await;
        assert_eq!((status, body.as_str()), (500, "Internal Server Error"));
        assert!(kind.starts_with("text/plain"), "{kind}");
    }
    // A revoked token: 403, WWW-Authenticate, the error not wrapped.
    let token = server.approve("s").unwrap();
    let revoke = c
        .post(format!("{base}/mock/revoke"))
        .body(json!({"token": token}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status().as_u16(), 204);
    for endpoint in ["ping", "i"] {
        let r = c
            .post(format!("{base}/api/{endpoint}"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["www-authenticate"], "Bearer", "{endpoint}");
        let (status, kind, body) = text(r).await;
        assert_eq!(status, 403, "{endpoint}");
        assert!(kind.starts_with("application/json"), "{kind}");
        assert_eq!(
            body,
            r#"{"message":"Authentication failed: unknown token","code":"AUTHENTICATION_FAILED","id":"b0a7f5f8-dc2f-4171-b91f-de88ad238e14","kind":"client"}"#,
            "{endpoint}"
        );
    }
}

#[tokio::test]
async fn iceshrimp_refuses_a_revoked_token_as_firefish_does_and_misskey_with_401() {
    for (software, version, status, wrapped) in [
        ("iceshrimp", "2026.5.1", 403, false),
        ("misskey", "2025.11.1", 401, true),
        ("sharkey", "2025.4.7", 401, true),
    ] {
        let server = mock(MockConfig::dressed_as(software, version)).await;
        let r = http()
            .post(format!("{}/api/ping", server.base_url()))
            .bearer_auth("never-issued")
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers().contains_key("www-authenticate"),
            !wrapped,
            "{software}"
        );
        let (got, body) = json_of(r).await;
        assert_eq!(got, status, "{software}");
        let error = if wrapped { &body["error"] } else { &body };
        assert_eq!(error["code"], "AUTHENTICATION_FAILED", "{software}: {body}");
    }
}

/// `POST /api/i/revoke-token` with `params`, and `token` (if any) sent as `i` in the body or,
/// with `bearer`, as `Authorization: Bearer`.
async fn revoke_token(
    server: &miauth::mock::MockServer,
    token: Option<&str>,
    bearer: bool,
    mut params: Value,
) -> reqwest::Response {
    let mut request = http().post(format!("{}/api/i/revoke-token", server.base_url()));
    match token {
        Some(token) if bearer => request = request.bearer_auth(token),
        Some(token) => params["i"] = json!(token),
        None => {}
    }
    request
        .header("content-type", "application/json")
        .body(params.to_string())
        .send()
        .await
        .unwrap()
}

/// `POST /api/i` with `token` as Bearer: the status and the body.
async fn api_i(server: &miauth::mock::MockServer, token: &str) -> (u16, Value) {
    let r = http()
        .post(format!("{}/api/i", server.base_url()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    json_of(r).await
}

fn authentication_failed() -> Value {
    json!({"error": {
        "message": "Authentication failed. Please ensure your token is correct.",
        "code": "AUTHENTICATION_FAILED",
        "id": "b0a7f5f8-dc2f-4171-b91f-de88ad238e14",
        "kind": "client",
    }})
}

/// Every server observed ("Revoking a token with itself" in `observed-misskey-2025.11.1.md`)
/// keeps `i/revoke-token` to the web client's own token: an app's token is refused before the
/// parameters are read, with Misskey's header (CherryPick's realm on CherryPick, none on the
/// Firefish family), and goes on working.
#[tokio::test]
async fn every_observed_server_refuses_a_token_revoking_itself_and_the_token_keeps_working() {
    let access_denied = json!({"error": {
        "message": "Access denied.",
        "code": "ACCESS_DENIED",
        "id": "56f35758-7dd5-468b-8439-5d6fb8ec9b8e",
        "kind": "client",
    }});
    for seen in crate::dressed::OBSERVED {
        let (software, version) = (seen.software, seen.version);
        let realm = match software {
            "cherrypick" => Some("CherryPick"),
            "firefish" | "iceshrimp" => None,
            _ => Some("Misskey"),
        };
        let challenge = realm.map(|realm| {
            format!(
                r#"Bearer realm="{realm}", error="invalid_request", error_description="Access denied.""#
            )
        });
        let server = mock(MockConfig::dressed_as(software, version)).await;
        let token = server.approve("s").unwrap();
        for (bearer, params) in [
            (false, json!({"token": token})),
            (true, json!({"token": token})),
            (false, json!({"tokenId": "nonexistent"})),
            (false, json!({})),
        ] {
            let what = format!("{software} {version}, bearer {bearer}, {params}");
            let r = revoke_token(&server, Some(&token), bearer, params).await;
            let header = r
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(header, challenge, "{what}");
            assert_eq!(json_of(r).await, (400, access_denied.clone()), "{what}");
        }
        let (status, me) = api_i(&server, &token).await;
        assert_eq!(
            (status, me["username"].as_str()),
            (200, Some("alice")),
            "{software} {version}: {me}"
        );

        // A token it does not know gets the server's authentication failure.
        let r = revoke_token(&server, Some("never-issued"), false, json!({})).await;
        let (status, body) = json_of(r).await;
        if realm.is_some() {
            assert_eq!(
                (status, body),
                (401, authentication_failed()),
                "{software} {version}"
            );
        } else {
            assert_eq!(status, 403, "{software} {version}");
            assert_eq!(
                body["code"], "AUTHENTICATION_FAILED",
                "{software} {version}"
            );
        }
    }
}

#[tokio::test]
async fn on_misskey_2026_9_0_a_token_revokes_itself_and_is_refused_from_then_on() {
    for bearer in [false, true] {
        let server = mock(MockConfig::dressed_as("misskey", "2026.9.0")).await;
        let token = server.approve("s").unwrap();
        let r = revoke_token(&server, Some(&token), bearer, json!({"token": token})).await;
        assert_eq!(r.status().as_u16(), 204, "bearer {bearer}");
        assert!(!r.headers().contains_key("www-authenticate"));
        assert_eq!(r.text().await.unwrap(), "", "bearer {bearer}");

        assert_eq!(
            api_i(&server, &token).await,
            (401, authentication_failed()),
            "bearer {bearer}"
        );
        // Gone: asking again is an unknown token's answer.
        let r = revoke_token(&server, Some(&token), bearer, json!({"token": token})).await;
        assert_eq!(json_of(r).await, (401, authentication_failed()));
    }
}

#[tokio::test]
async fn on_misskey_2026_9_0_a_token_cannot_revoke_another_and_learns_nothing_of_unknown_ones() {
    let server = mock(MockConfig::dressed_as("misskey", "2026.9.0")).await;
    let mine = server.approve("a").unwrap();
    let other = server.approve("b").unwrap();
    let gone = server.approve("c").unwrap();
    assert!(server.revoke(&gone));

    let r = revoke_token(&server, Some(&mine), false, json!({"token": other})).await;
    assert_eq!(
        json_of(r).await,
        (
            403,
            json!({"error": {
                "message": "Permission denied.",
                "code": "PERMISSION_DENIED",
                "id": "fc20d118-5705-4462-b6c5-2b5b43092cf3",
                "kind": "client",
            }})
        )
    );
    // The fake gives its tokens no ids, so any `tokenId` names nothing.
    for params in [
        json!({"token": "never-issued"}),
        json!({"token": gone}),
        json!({"token": null}),
        json!({"token": ""}),
        json!({"tokenId": "9x8y7z6w5v4u3t2s"}),
        json!({}),
    ] {
        let r = revoke_token(&server, Some(&mine), true, params.clone()).await;
        assert_eq!(r.status().as_u16(), 204, "{params}");
        assert_eq!(r.text().await.unwrap(), "", "{params}");
    }
    // Nothing was deleted: a 204 alone does not prove a token is gone.
    for token in [&mine, &other] {
        assert_eq!(api_i(&server, token).await.0, 200);
    }
}

#[tokio::test]
async fn revoking_without_a_credential_names_the_endpoints_own_id_only_from_2026_9_0() {
    for (version, id) in [
        ("2025.11.1", "1384574d-a912-4b81-8601-c7b1c4085df1"),
        ("2026.7.0", "1384574d-a912-4b81-8601-c7b1c4085df1"),
        ("2026.9.0", "6f1f0d3a-3d5b-4b1f-9c3e-2a6d1e5b8c47"),
    ] {
        let server = mock(MockConfig::dressed_as("misskey", version)).await;
        let token = server.approve("s").unwrap();
        let r = revoke_token(&server, None, false, json!({"token": token})).await;
        assert_eq!(
            json_of(r).await,
            (
                401,
                json!({"error": {
                    "message": "Credential required.",
                    "code": "CREDENTIAL_REQUIRED",
                    "id": id,
                    "kind": "client",
                }})
            ),
            "{version}"
        );
        assert_eq!(api_i(&server, &token).await.0, 200, "{version}");
    }
}
