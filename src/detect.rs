//! Telling, before any browser opens, whether the instance offers MiAuth.
//!
//! Three requests without side effects, in this order: nodeinfo (which software, which
//! version; `/.well-known/nodeinfo` may answer 403 when federation is off, so `/nodeinfo/2.1`
//! and `/2.0` are asked directly then), `POST /api/meta` (which must say `features.miauth:
//! true`), and, only when meta gives no answer, a check of a fresh random session (a MiAuth
//! server answers `200 {"ok":false}`). The decision is a pure function of what came back.

use serde_json::{Value, json};

use crate::check::InstanceClient;
use crate::client::JsonAnswer;
use crate::{Error, SessionId};

/// The first Misskey version whose MiAuth tokens authenticate.
const FIRST_WORKING_MISSKEY: (u64, u64, u64) = (12, 39, 0);

/// Software whose version numbers are Misskey's: Misskey itself (misskey.io's fork among
/// them, as `misskey` with a suffix like `-io.1`) and Sharkey, whose releases follow Misskey's.
const MISSKEY_NUMBERED: &[&str] = &["misskey", "sharkey"];

/// The forks that define the Firefish family's own permission names
/// ([`crate::permission::FIREFISH_KNOWN`]), as nodeinfo names them.
const FIREFISH_PERMISSIONS: &[&str] = &["firefish", "iceshrimp"];

/// What nodeinfo says runs on the instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Software {
    /// nodeinfo's `software.name`, like `misskey` or `sharkey`.
    pub name: String,
    /// nodeinfo's `software.version`, or `(unknown version)` when it gives none.
    pub version: String,
    /// CherryPick reports the Misskey version it is based on.
    pub based_misskey_version: Option<String>,
}

impl Software {
    /// The Misskey release whose permissions this server knows: Misskey's own version, the
    /// base a fork names (CherryPick), or the version of a fork whose numbers follow Misskey's
    /// releases without naming its base (Sharkey). `None` for forks with numbers of their own
    /// (Firefish, Iceshrimp, Catodon), which cannot be placed.
    pub fn misskey_base(&self) -> Option<&str> {
        if let Some(based) = &self.based_misskey_version {
            return Some(based);
        }
        let name = self.name.to_ascii_lowercase();
        MISSKEY_NUMBERED
            .contains(&name.as_str())
            .then_some(self.version.as_str())
    }

    /// Whether the server's permission names are the Firefish family's own
    /// ([`crate::permission::FIREFISH_KNOWN`]) rather than a Misskey release's: Firefish and
    /// Iceshrimp, which branched from Misskey 12.
    pub fn has_firefish_permissions(&self) -> bool {
        FIREFISH_PERMISSIONS.contains(&self.name.to_ascii_lowercase().as_str())
    }
}

impl std::fmt::Display for Software {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name, self.version)
    }
}

/// What detection found: the software (when nodeinfo told) on a server that offers MiAuth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    /// The software and version; `None` when nodeinfo did not say.
    pub software: Option<Software>,
    /// Set when the server could not be asked properly (a CDN's refusal, an overload): the
    /// login goes on, but nothing confirmed that MiAuth is there.
    pub doubt: Option<String>,
}

/// Asks the instance what it is; an error says why MiAuth cannot be used there.
pub(crate) async fn detect(client: &InstanceClient) -> Result<Detected, Error> {
    let software = nodeinfo(client).await?;
    tracing::debug!(software = ?software, "nodeinfo read");
    let instance = client.instance().to_string();
    if let Some(sw) = &software {
        refuse_by_software(sw).map_err(|reason| Error::Unsupported {
            instance: instance.clone(),
            reason,
        })?;
    }
    let meta = client
        .request_json(reqwest::Method::POST, "/api/meta", Some(&json!({})), None)
        .await?;
    let mut answers = vec![meta.status];
    let offers_miauth = match meta_says(&meta) {
        Some(verdict) => verdict,
        None => {
            let session = SessionId::generate();
            let probe = client
                .request_json(
                    reqwest::Method::POST,
                    &format!("/api/miauth/{}/check", session.expose()),
                    Some(&json!({})),
                    None,
                )
                .await?;
            answers.push(probe.status);
            probe_says(&probe)
        }
    };
    if offers_miauth {
        return Ok(Detected {
            software,
            doubt: None,
        });
    }
    // Refused or overloaded is not an answer: it proves nothing either way, so go on.
    if let Some(status) = answers
        .into_iter()
        .find(|s| matches!(s, 403 | 408 | 425 | 429 | 500 | 502 | 503 | 504))
    {
        return Ok(Detected {
            software,
            doubt: Some(format!(
                "the instance answered HTTP {status} instead of saying whether it offers MiAuth"
            )),
        });
    }
    Err(Error::Unsupported {
        instance,
        reason: match &software {
            Some(sw) => format!("{sw} does not offer MiAuth"),
            None => "it does not look like a Misskey server (no MiAuth in /api/meta, no MiAuth check endpoint)".into(),
        },
    })
}

/// Software that nodeinfo alone rules out, and why.
fn refuse_by_software(sw: &Software) -> Result<(), String> {
    let name = sw.name.to_ascii_lowercase();
    match name.as_str() {
        "iceshrimp.net" => Err(format!("{sw} offers Mastodon-style OAuth only, not MiAuth")),
        "foundkey" => Err(format!("{sw} removed MiAuth")),
        "misskey" => {
            if parse_version(&sw.version).is_some_and(|v| v < FIRST_WORKING_MISSKEY) {
                Err(format!(
                    "Misskey {} is older than 12.39.0, the first version whose MiAuth tokens work; the instance must be upgraded",
                    sw.version
                ))
            } else {
                Ok(())
            }
        }
        // Anything else is asked (meta, then the probe): forks rename themselves often, and
        // the refusal then names what nodeinfo said, e.g. "mastodon 4.3.0".
        _ => Ok(()),
    }
}

/// `Some(true)` when meta says MiAuth is offered, `Some(false)` when it answers as Misskey
/// does but without it, `None` when it gives no usable answer.
fn meta_says(meta: &JsonAnswer) -> Option<bool> {
    let features = meta.ok_json()?.get("features")?;
    Some(features.get("miauth") == Some(&Value::Bool(true)))
}

/// A MiAuth server answers a check of an unknown session with `200 {"ok":false}`.
fn probe_says(probe: &JsonAnswer) -> bool {
    probe
        .ok_json()
        .is_some_and(|j| j.get("ok") == Some(&Value::Bool(false)))
}

/// nodeinfo's software, or `None` when no nodeinfo document could be read.
async fn nodeinfo(client: &InstanceClient) -> Result<Option<Software>, Error> {
    let links = client
        .request_json(reqwest::Method::GET, "/.well-known/nodeinfo", None, None)
        .await?;
    let origin = client.instance().origin();
    let mut paths: Vec<String> = links
        .ok_json()
        .map(|j| nodeinfo_paths(j, &origin))
        .unwrap_or_default();
    if paths.is_empty() {
        // 403 when federation is off (the default since 2025.8): ask the documents directly.
        paths = vec!["/nodeinfo/2.1".into(), "/nodeinfo/2.0".into()];
    }
    for path in paths {
        let answer = client
            .request_json(reqwest::Method::GET, &path, None, None)
            .await?;
        if let Some(sw) = answer.ok_json().and_then(software_of) {
            return Ok(Some(sw));
        }
    }
    Ok(None)
}

/// The same-origin paths of the nodeinfo 2.1 and 2.0 documents the links name, 2.1 first.
fn nodeinfo_paths(links: &Value, origin: &str) -> Vec<String> {
    let mut found: Vec<(bool, String)> = links
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|link| {
            let rel = link.get("rel")?.as_str()?;
            let href = link.get("href")?.as_str()?;
            let newer = rel.ends_with("/2.1");
            if !(newer || rel.ends_with("/2.0")) {
                return None;
            }
            let path = href.strip_prefix(origin)?;
            path.starts_with('/').then(|| (newer, path.to_owned()))
        })
        .collect();
    found.sort_by_key(|(newer, _)| !newer);
    found.into_iter().map(|(_, p)| p).collect()
}

fn software_of(doc: &Value) -> Option<Software> {
    let sw = doc.get("software")?;
    Some(Software {
        name: sw.get("name")?.as_str()?.to_owned(),
        version: sw
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("(unknown version)")
            .to_owned(),
        based_misskey_version: doc
            .pointer("/metadata/basedMisskeyVersion")
            .or_else(|| sw.get("basedMisskeyVersion"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// The leading `major.minor.patch` of a version like `2025.11.1` or `13.0.0-rc.2+io`.
pub(crate) fn parse_version(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()?
        .split('.')
        .map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sw(name: &str, version: &str) -> Software {
        Software {
            name: name.into(),
            version: version.into(),
            based_misskey_version: None,
        }
    }

    #[test]
    fn versions_parse_from_their_leading_numbers() {
        assert_eq!(parse_version("2025.11.1"), Some((2025, 11, 1)));
        assert_eq!(parse_version("12.39.0"), Some((12, 39, 0)));
        assert_eq!(parse_version("13.0.0-rc.2"), Some((13, 0, 0)));
        assert_eq!(parse_version("2024.11.0-io.1"), Some((2024, 11, 0)));
        assert_eq!(parse_version("12"), Some((12, 0, 0)));
        assert_eq!(parse_version("unknown"), None);
    }

    #[test]
    fn nodeinfo_alone_rules_out_old_misskey_and_forks_without_miauth() {
        assert!(refuse_by_software(&sw("misskey", "2025.11.1")).is_ok());
        assert!(refuse_by_software(&sw("misskey", "12.39.0")).is_ok());
        assert!(refuse_by_software(&sw("sharkey", "2024.11.2")).is_ok());
        let cases = [
            (sw("misskey", "12.38.9"), "older than 12.39.0"),
            (sw("misskey", "11.37.1"), "older than 12.39.0"),
            (sw("Iceshrimp.NET", "2024.1.0"), "Mastodon-style OAuth only"),
            (sw("foundkey", "13.0.0"), "removed MiAuth"),
        ];
        for (software, want) in cases {
            let e = refuse_by_software(&software).unwrap_err();
            assert!(e.contains(want), "{software}: {e}");
            assert!(e.contains(&software.version), "{e}");
        }
    }

    #[test]
    fn meta_must_say_miauth_true() {
        let answer = |status, json: Value| JsonAnswer {
            status,
            json: Some(json),
        };
        assert_eq!(
            meta_says(&answer(200, json!({"features": {"miauth": true}}))),
            Some(true)
        );
        assert_eq!(
            meta_says(&answer(200, json!({"features": {"miauth": "yes"}}))),
            Some(false)
        );
        assert_eq!(
            meta_says(&answer(200, json!({"features": {}}))),
            Some(false)
        );
        assert_eq!(meta_says(&answer(200, json!({"version": "4.3.0"}))), None);
        assert_eq!(
            meta_says(&answer(404, json!({"features": {"miauth": true}}))),
            None
        );
        assert!(probe_says(&answer(200, json!({"ok": false}))));
        assert!(!probe_says(&answer(404, json!({"ok": false}))));
    }

    #[test]
    fn nodeinfo_links_prefer_2_1_and_stay_on_the_origin() {
        let links = json!({"links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "https://m.example/nodeinfo/2.0"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://m.example/nodeinfo/2.1"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://elsewhere.example/ni"},
        ]});
        assert_eq!(
            nodeinfo_paths(&links, "https://m.example"),
            vec!["/nodeinfo/2.1", "/nodeinfo/2.0"]
        );
    }

    #[test]
    fn only_firefish_and_iceshrimp_have_the_firefish_family_s_permission_names() {
        assert!(sw("firefish", "20241205").has_firefish_permissions());
        assert!(sw("Iceshrimp", "2026.5.1").has_firefish_permissions());
        for other in [
            sw("misskey", "13.14.2"),
            sw("sharkey", "2025.4.7"),
            sw("cherrypick", "4.17.0"),
            sw("catodon", "24.04-dev"),
        ] {
            assert!(!other.has_firefish_permissions(), "{other}");
        }
    }

    #[test]
    fn forks_numbered_like_misskey_are_placed_by_their_version_others_only_by_a_named_base() {
        assert_eq!(sw("misskey", "2023.11.0").misskey_base(), Some("2023.11.0"));
        assert_eq!(sw("Sharkey", "2023.11.2").misskey_base(), Some("2023.11.2"));
        for own_numbers in [
            sw("firefish", "1.0.5"),
            sw("iceshrimp", "2023.12.11"),
            sw("catodon", "24.04-dev"),
            sw("cherrypick", "4.14.0"),
        ] {
            assert_eq!(own_numbers.misskey_base(), None, "{own_numbers}");
        }
        let cherrypick = Software {
            based_misskey_version: Some("2024.11.0".into()),
            ..sw("cherrypick", "4.14.0")
        };
        assert_eq!(cherrypick.misskey_base(), Some("2024.11.0"));
    }

    #[test]
    fn cherrypick_reports_its_misskey_base() {
        let doc = json!({"software": {"name": "cherrypick", "version": "4.14.0"},
                         "metadata": {"basedMisskeyVersion": "2024.11.0"}});
        let sw = software_of(&doc).unwrap();
        assert_eq!(sw.based_misskey_version.as_deref(), Some("2024.11.0"));
    }
}
