//! The token and the session stay out of stderr at the highest verbosity, whatever happens.

use miauth::mock::{CheckFault, Choice, MockConfig};

use crate::support::{approve_in_browser, mock, session_of, spawn_miauth};

/// How the scripted user takes part.
enum Approve {
    InBrowser,
    FromElsewhere,
}

#[tokio::test]
async fn with_vv_no_flow_shows_the_token_or_the_session_outside_the_url() {
    let scenarios: Vec<(&str, MockConfig, Vec<&str>, Approve, i32)> = vec![
        (
            "callback",
            MockConfig::default(),
            vec!["--timeout", "30s"],
            Approve::InBrowser,
            0,
        ),
        (
            "polling through trouble",
            MockConfig::default().with_check_faults(vec![
                CheckFault::ServiceUnavailableHtml,
                CheckFault::MalformedJson,
            ]),
            vec!["--no-callback", "--poll-interval", "1s", "--timeout", "30s"],
            Approve::FromElsewhere,
            0,
        ),
        (
            "answer lost on the way",
            MockConfig::default().with_check_faults(vec![CheckFault::ResetMidResponse]),
            vec!["--no-callback", "--poll-interval", "1s", "--timeout", "3s"],
            Approve::FromElsewhere,
            3,
        ),
        (
            "events",
            MockConfig::default(),
            vec!["--events", "--timeout", "30s"],
            Approve::InBrowser,
            0,
        ),
        (
            "approval without token",
            MockConfig::approving_without_token(),
            vec!["--timeout", "30s"],
            Approve::InBrowser,
            4,
        ),
        (
            "token rejected",
            MockConfig {
                tokens_work: false,
                ..MockConfig::default()
            },
            vec!["--timeout", "30s"],
            Approve::InBrowser,
            4,
        ),
        (
            "written to a file",
            MockConfig::default(),
            vec!["-o", "/proc/miauth-cannot-write-here", "--timeout", "30s"],
            Approve::InBrowser,
            5,
        ),
    ];
    for (name, config, extra, approve, code) in scenarios {
        let server = mock(config).await;
        let mut args = vec!["login", server.base_url(), "--no-browser", "-vv"];
        args.extend(extra);
        let mut run = spawn_miauth(&args);
        let url = run.authorization_url().await;
        match approve {
            Approve::InBrowser => {
                approve_in_browser(&url, Choice::Accept).await;
            }
            Approve::FromElsewhere => {
                server.approve(&session_of(&url)).unwrap();
            }
        }
        let done = run.finish().await;
        assert_eq!(done.code, Some(code), "{name}: {}", done.stderr);
        assert!(done.stderr.contains("DEBUG"), "{name}: -vv adds detail");
        for token in server.issued_tokens() {
            assert!(
                !done.stderr.contains(&token),
                "{name}: token on stderr:\n{}",
                done.stderr
            );
        }
        let session = session_of(&url);
        let lines: Vec<_> = done
            .stderr
            .lines()
            .filter(|l| l.contains(&session))
            .collect();
        assert_eq!(
            lines,
            vec![format!("  {url}")],
            "{name}: session outside the URL:\n{}",
            done.stderr
        );
        assert_eq!(done.stderr.matches(&session).count(), 1, "{name}");
    }
}

// The system opener is found on PATH only on Linux and the BSDs (macOS runs /usr/bin/open).
#[cfg(all(unix, not(target_os = "macos")))]
#[tokio::test]
async fn a_failing_system_opener_does_not_repeat_the_session() {
    // No opener can be started at all (none is on the PATH): the failure is certain at once,
    // where an opener that exits non-zero later may be taken for a success.
    let bin = tempfile::tempdir().unwrap();
    let path = bin.path().to_str().unwrap();
    let server = mock(MockConfig::default()).await;
    let mut run = crate::support::spawn_miauth_with(
        &[
            "login",
            server.base_url(),
            "-vv",
            "--skip-detect",
            "--timeout",
            "1s",
        ],
        &[("DISPLAY", ":0"), ("CI", "false"), ("PATH", path)],
    );
    let url = run.authorization_url().await;
    let done = run.finish().await;
    assert_eq!(done.code, Some(3), "{}", done.stderr);
    assert!(
        done.stderr.contains("could not open a browser"),
        "{}",
        done.stderr
    );
    let session = session_of(&url);
    assert_eq!(done.stderr.matches(&session).count(), 1, "{}", done.stderr);
}
