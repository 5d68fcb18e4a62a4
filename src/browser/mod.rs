//! Opening the authorisation URL: the one side effect on the user's desktop.
//!
//! [`Browser`] is the seam: the flow calls it once with the URL and does not wait for the
//! browser. [`SystemBrowser`] follows the `BROWSER` convention of Python's webbrowser (a list
//! of commands, `%s` replaced by the URL) and otherwise uses the system opener. Whether a
//! browser can be opened at all ([`where_to_show`]) is decided from the environment alone, so
//! it is tested without touching the process's own. Tests and the demo plug in a scripted
//! browser instead.

use std::ffi::OsString;

mod command;

pub use command::{BrowserCommand, Syntax, browser_commands};

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
            Ok(cmd) if !cmd.trim().is_empty() => command::run_browser_command(&cmd, url),
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

/// Where the URL can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Showing {
    /// A browser can plausibly be opened here.
    Browser,
    /// A CI job (`CI`, `GITHUB_ACTIONS`, `TF_BUILD`): nobody would see a browser.
    Ci,
    /// An SSH session on macOS or Windows: the browser would open on the far desktop.
    Ssh,
    /// Linux or a BSD without a graphical session.
    NoDisplay,
}

impl Showing {
    /// Why no browser is opened, for the line above the URL; `None` when one is.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Showing::Browser => None,
            Showing::Ci => Some("a CI job"),
            Showing::Ssh => Some("an SSH session"),
            Showing::NoDisplay => Some("no display"),
        }
    }
}

/// The kind of system, as far as opening a browser goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desktop {
    /// macOS and Windows: a desktop is there unless this is an SSH session.
    Always,
    /// Linux and the BSDs: a desktop is there when a display is.
    WithDisplay,
}

impl Desktop {
    /// The kind of system miauth was built for.
    pub fn current() -> Desktop {
        if cfg!(any(target_os = "macos", target_os = "windows")) {
            Desktop::Always
        } else {
            Desktop::WithDisplay
        }
    }
}

/// Whether a browser can plausibly be opened here, from this process's environment.
pub fn can_open_browser() -> bool {
    current_showing() == Showing::Browser
}

/// [`where_to_show`] for this process.
pub fn current_showing() -> Showing {
    // WSL opens the Windows side's browser through its interop, whatever the display says.
    let wsl_interop = cfg!(target_os = "linux")
        && std::path::Path::new("/proc/sys/fs/binfmt_misc/WSLInterop").exists();
    where_to_show(
        &|name| std::env::var_os(name),
        Desktop::current(),
        wsl_interop,
    )
}

/// Whether a browser can be opened, given the environment (`env`), the kind of system, and
/// whether WSL's Windows interop is there: an explicit `$BROWSER` always is honoured; a CI job
/// opens nothing on any system; macOS and Windows open one unless over SSH; Linux and the BSDs
/// need a display, or WSL.
pub fn where_to_show(
    env: &dyn Fn(&str) -> Option<OsString>,
    desktop: Desktop,
    wsl_interop: bool,
) -> Showing {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    // `CI=false` and `CI=0` are how some people turn a CI variable off by hand.
    let on = |name: &str| {
        env(name).is_some_and(|v| {
            let v = v.to_string_lossy().trim().to_ascii_lowercase();
            !v.is_empty() && v != "false" && v != "0"
        })
    };
    if set("BROWSER") {
        return Showing::Browser;
    }
    if on("CI") || on("GITHUB_ACTIONS") || on("TF_BUILD") {
        return Showing::Ci;
    }
    let wsl = wsl_interop || set("WSL_DISTRO_NAME") || set("WSL_INTEROP");
    if desktop == Desktop::Always || wsl {
        if set("SSH_CONNECTION") {
            Showing::Ssh
        } else {
            Showing::Browser
        }
    } else if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        Showing::Browser
    } else {
        Showing::NoDisplay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(vars: &[(&str, &str)], desktop: Desktop, wsl: bool) -> Showing {
        let env = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        };
        where_to_show(&env, desktop, wsl)
    }

    #[test]
    fn ci_opens_no_browser_on_any_system() {
        for desktop in [Desktop::Always, Desktop::WithDisplay] {
            for var in ["CI", "GITHUB_ACTIONS", "TF_BUILD"] {
                let got = show(&[(var, "true"), ("DISPLAY", ":0")], desktop, true);
                assert_eq!(got, Showing::Ci, "{var} on {desktop:?}");
            }
        }
        assert_eq!(
            show(&[("CI", "false")], Desktop::Always, false),
            Showing::Browser
        );
        assert_eq!(
            show(&[("CI", "")], Desktop::Always, false),
            Showing::Browser
        );
    }

    #[test]
    fn an_explicit_browser_is_always_honoured() {
        let vars = [
            ("BROWSER", "firefox"),
            ("CI", "true"),
            ("SSH_CONNECTION", "x"),
        ];
        assert_eq!(show(&vars, Desktop::WithDisplay, false), Showing::Browser);
        assert_eq!(show(&vars, Desktop::Always, false), Showing::Browser);
    }

    #[test]
    fn linux_needs_a_display_or_wsl() {
        let linux = Desktop::WithDisplay;
        assert_eq!(show(&[], linux, false), Showing::NoDisplay);
        assert_eq!(show(&[("DISPLAY", ":0")], linux, false), Showing::Browser);
        assert_eq!(
            show(&[("WAYLAND_DISPLAY", "w")], linux, false),
            Showing::Browser
        );
        assert_eq!(show(&[], linux, true), Showing::Browser);
        assert_eq!(
            show(&[("WSL_DISTRO_NAME", "Debian")], linux, false),
            Showing::Browser
        );
        assert_eq!(
            show(&[("WSL_INTEROP", "/run/WSL/1_interop")], linux, false),
            Showing::Browser
        );
    }

    #[test]
    fn macos_and_windows_open_one_unless_over_ssh() {
        assert_eq!(show(&[], Desktop::Always, false), Showing::Browser);
        assert_eq!(
            show(
                &[("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 5")],
                Desktop::Always,
                false
            ),
            Showing::Ssh
        );
    }
}
