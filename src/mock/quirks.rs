//! The behaviours of particular versions and forks of Misskey that the fake instance plays,
//! each as observed on a real server (or, for a published change, as its code reads), and
//! which software and version has which. [`MockConfig`](super::MockConfig) carries them.

/// Behaviours of particular versions and forks, off by default (the behaviour of Misskey
/// 2025.11.1 and 2026.7.0, which answer alike).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Misskey before 2024.11.0 and the forks built on it (Sharkey, Firefish, Iceshrimp):
    /// permission names the server does not know are kept in the token. Misskey 2024.11.0 and
    /// later drop them without a word.
    pub keeps_unknown_permissions: bool,
    /// Misskey 2024.11.0: when creating the token fails, Accept still redirects to the
    /// callback, so the check that follows says `{"ok":false}`.
    pub redirects_after_failed_creation: bool,
    /// Firefish and Iceshrimp: the callback is built by appending `?session=` or `&session=`
    /// to the callback string, instead of `new URL()` and `searchParams.set`.
    pub concatenated_callback: bool,
    /// Decode query values once, where real servers decode them twice.
    pub single_decode: bool,
    /// Federation off (the default for new servers since 2025.8): `/.well-known/nodeinfo`,
    /// `/.well-known/webfinger` and `/.well-known/host-meta` answer 403 with an empty body.
    pub federation_off: bool,
    /// Firefish and Iceshrimp: a revoked or unknown token gets 403 with `WWW-Authenticate:
    /// Bearer` and an `AUTHENTICATION_FAILED` error not wrapped in `error`, where Misskey
    /// answers 401 with it wrapped.
    pub forbidden_unknown_token: bool,
    /// Firefish 20241205's API (Koa, not Fastify): the check takes an empty JSON body and a
    /// session of any length (`{"ok":false}`), refuses a `text/plain` body with a plain-text
    /// 400; GET, or a path under `/api/` it does not know, gets a plain-text 500; and `/api/i`
    /// answers a token without `read:account`.
    pub firefish_api: bool,
    /// Misskey 2026.9.0 and later (upstream pull request #17903; a published change, not
    /// observed): `i/revoke-token` lets a third-party token revoke itself (204), refuses
    /// another token of the account (403), and names its own id when no credential is sent.
    /// Before, the endpoint served the web client's own token alone and answered an app's
    /// token 400 `ACCESS_DENIED`, leaving it alive.
    pub revokes_own_token: bool,
    /// Firefish and Iceshrimp: an endpoint kept for the web client (`i/revoke-token`) refuses
    /// an app's token with the same 400 `ACCESS_DENIED` as Misskey, but without Misskey's
    /// `WWW-Authenticate` header.
    pub access_denied_without_challenge: bool,
}

impl Quirks {
    /// Only [`Quirks::concatenated_callback`].
    pub fn concatenated_callback() -> Self {
        Quirks {
            concatenated_callback: true,
            ..Quirks::default()
        }
    }

    /// Only [`Quirks::federation_off`].
    pub fn federation_off() -> Self {
        Quirks {
            federation_off: true,
            ..Quirks::default()
        }
    }

    /// The quirks of `software` `version`, as nodeinfo names them.
    pub(super) fn of(software: &str, version: &str) -> Self {
        let version = crate::detect::parse_version(version);
        match software.to_ascii_lowercase().as_str() {
            "misskey" => Quirks {
                keeps_unknown_permissions: version.is_some_and(|v| v < (2024, 11, 0)),
                // The protocol notes give 2024.11.0 to 2024.12.x; the server observed says the
                // redirect after a failed creation is 2024.11.0's alone (fixed in 2024.11.1),
                // and the observation is what the fake follows.
                redirects_after_failed_creation: version
                    .is_some_and(|v| ((2024, 11, 0)..(2024, 11, 1)).contains(&v)),
                revokes_own_token: version.is_some_and(|v| v >= (2026, 9, 0)),
                ..Quirks::default()
            },
            // Sharkey's page keeps what it does not know, whatever Misskey it follows. Whether
            // and when Sharkey (or CherryPick) takes Misskey 2026.9.0's self-revocation is not
            // known, so neither gets it by its version.
            "sharkey" => Quirks {
                keeps_unknown_permissions: true,
                ..Quirks::default()
            },
            // Forks of Misskey 12 and 13: their page predates the dropping of unknown names.
            "firefish" | "iceshrimp" | "catodon" => Quirks {
                keeps_unknown_permissions: true,
                concatenated_callback: true,
                forbidden_unknown_token: true,
                access_denied_without_challenge: true,
                // Observed on Firefish; Iceshrimp's other answers were not recorded.
                firefish_api: software.eq_ignore_ascii_case("firefish"),
                ..Quirks::default()
            },
            _ => Quirks::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::MockConfig;

    #[test]
    fn quirks_follow_the_software_and_version_dressed_as() {
        let q = |software, version| MockConfig::dressed_as(software, version).quirks;
        assert!(q("misskey", "2023.12.2").keeps_unknown_permissions);
        assert!(!q("misskey", "2024.11.0").keeps_unknown_permissions);
        assert!(q("misskey", "2024.11.0").redirects_after_failed_creation);
        assert!(!q("misskey", "2024.11.1").redirects_after_failed_creation);
        assert!(!q("misskey", "2024.10.1").redirects_after_failed_creation);
        assert_eq!(q("misskey", "2025.11.1"), Quirks::default());
        assert_eq!(q("misskey", "2026.7.0"), Quirks::default());
        assert!(q("Sharkey", "2025.4.2").keeps_unknown_permissions);
        let firefish = q("firefish", "1.0.5");
        assert!(firefish.concatenated_callback && firefish.keeps_unknown_permissions);
        assert!(q("iceshrimp", "2023.12.11").concatenated_callback);
        assert!(!q("cherrypick", "4.11.1").concatenated_callback);
        // A revoked token: 403 unwrapped on the Firefish family, 401 elsewhere; the rest of
        // Firefish's API was observed on Firefish alone.
        assert!(firefish.forbidden_unknown_token && firefish.firefish_api);
        let iceshrimp = q("iceshrimp", "2026.5.1");
        assert!(iceshrimp.forbidden_unknown_token && !iceshrimp.firefish_api);
        for (software, version) in [
            ("misskey", "13.14.2"),
            ("sharkey", "2025.4.7"),
            ("cherrypick", "4.17.0"),
        ] {
            assert!(!q(software, version).forbidden_unknown_token, "{software}");
            assert!(!q(software, version).firefish_api, "{software}");
        }
    }

    #[test]
    fn only_misskey_2026_9_0_and_later_let_a_token_revoke_itself() {
        let q = |software, version| MockConfig::dressed_as(software, version).quirks;
        assert!(q("misskey", "2026.9.0").revokes_own_token);
        assert!(q("misskey", "2027.1.0").revokes_own_token);
        for (software, version) in [
            ("misskey", "2026.7.0"),
            ("misskey", "2026.8.9"),
            ("sharkey", "2026.9.0"),
            ("firefish", "20241205"),
        ] {
            assert!(
                !q(software, version).revokes_own_token,
                "{software} {version}"
            );
        }
        assert!(!MockConfig::default().quirks.revokes_own_token);
        // Refusing an app's token, only Misskey and the forks on it add `WWW-Authenticate`.
        assert!(q("iceshrimp", "2026.5.1").access_denied_without_challenge);
        assert!(q("firefish", "20241205").access_denied_without_challenge);
        assert!(!q("cherrypick", "4.17.0").access_denied_without_challenge);
        assert!(!q("misskey", "2026.7.0").access_denied_without_challenge);
    }
}
