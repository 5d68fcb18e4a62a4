//! Opening the authorisation URL: the one side effect on the user's desktop.
//!
//! [`Browser`] is the seam: the flow calls it once with the URL and does not wait for the
//! browser. [`SystemBrowser`] follows the `BROWSER` convention of Python's webbrowser, git and
//! gh (a command, run with the URL as its argument) and otherwise uses the system opener.
//! Tests and the demo plug in a scripted browser instead.

use std::process::{Command, Stdio};

/// Something that can show the user a URL.
pub trait Browser: Send + Sync {
    /// Starts opening `url`; returns once the attempt is made, not when the page is closed.
    fn open(&self, url: &str) -> Result<(), String>;
}

/// The user's browser: `$BROWSER` when set, the system opener otherwise.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        match std::env::var("BROWSER") {
            Ok(cmd) if !cmd.trim().is_empty() => run_browser_command(&cmd, url),
            // The opener's error names the command it ran, URL (and session) included.
            _ => open::that_detached(url).map_err(|e| {
                format!(
                    "the system opener failed: {}",
                    e.to_string().replace(url, "<URL>")
                )
            }),
        }
    }
}

/// Opens nothing (`--no-browser`): the user opens the printed URL.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoBrowser;

impl Browser for NoBrowser {
    fn open(&self, _url: &str) -> Result<(), String> {
        Ok(())
    }
}

/// Runs `$BROWSER`: split like a shell would, `%s` replaced by the URL, or the URL appended.
/// The command's output is discarded so it cannot mix with miauth's; it is not waited for.
fn run_browser_command(cmd: &str, url: &str) -> Result<(), String> {
    let words = shell_words::split(cmd).map_err(|e| format!("cannot parse $BROWSER: {e}"))?;
    let Some((program, args)) = words.split_first() else {
        return Err("$BROWSER is empty".into());
    };
    let mut args: Vec<String> = args.to_vec();
    if args.iter().any(|a| a.contains("%s")) {
        for a in &mut args {
            *a = a.replace("%s", url);
        }
    } else {
        args.push(url.to_owned());
    }
    let mut child = Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run $BROWSER ({program}): {e}"))?;
    // Reap the child whenever it ends, without making the login wait for it.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// Whether a browser can plausibly be opened here: `$BROWSER` is set, or (on Linux and the
/// BSDs) a graphical session exists, or (elsewhere) this is not an SSH session.
pub fn can_open_browser() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("BROWSER") {
        return true;
    }
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        !set("SSH_CONNECTION")
    } else {
        set("DISPLAY") || set("WAYLAND_DISPLAY")
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;

    #[test]
    fn browser_command_gets_the_url_as_its_argument() {
        let dir = tempfile::tempdir().unwrap();
        // A named pipe: reading it ends once the command has written its arguments and closed it,
        // however long it takes to start.
        let out = dir.path().join("args");
        let made = Command::new("mkfifo").arg(&out).status().unwrap();
        assert!(made.success());
        let script = dir.path().join("fake-browser");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\n", out.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let url = "https://misskey.io/miauth/x?name=a%20b";
        run_browser_command(&format!("{} --flag", script.display()), url).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(std::fs::read_to_string(&out)));
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the command writes its arguments within 30 s")
            .unwrap();
        assert_eq!(got, format!("--flag\n{url}\n"));
    }

    #[test]
    fn a_missing_browser_command_is_reported() {
        let e = run_browser_command("/nonexistent/browser", "https://x").unwrap_err();
        assert!(e.contains("cannot run $BROWSER"), "{e}");
    }
}
