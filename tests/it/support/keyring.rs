//! A real Secret Service for the keyring tests: a private D-Bus session bus and Debian's
//! gnome-keyring-daemon on it, started unlocked (or locked), the way keyring-rs and go-keyring
//! test. Each test gets its own bus, home and keyring; dropping the session stops the bus, and
//! the keyring daemon leaves with it. `secret-tool` plays another client of the same keyring.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A running bus with gnome-keyring-daemon serving the Secret Service on it.
pub struct KeyringSession {
    pub bus: String,
    dir: tempfile::TempDir,
    _daemon: tokio::process::Child,
}

fn find(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

impl KeyringSession {
    /// Starts the bus and the keyring, unlocked or not, or returns `None` (saying why) where
    /// they are not installed. In CI, where `.ci/run` installs them, their absence fails the
    /// test instead.
    pub async fn start(unlocked: bool) -> Option<KeyringSession> {
        let tools = ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"];
        if let Some(missing) = tools.iter().find(|t| find(t).is_none()) {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{missing} is required in CI (.ci/run installs dbus, gnome-keyring and libsecret-tools)"
                );
            }
            eprintln!(
                "skipping the keyring test: {missing} is not installed (apt-get install dbus gnome-keyring libsecret-tools)"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "run"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                dir.path().join("run"),
                std::fs::Permissions::from_mode(0o700),
            )
            .unwrap();
        }
        let mut daemon = tokio::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .arg(format!(
                "--address=unix:path={}",
                dir.path().join("bus").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("dbus-daemon starts");
        // The bus is ready once it prints its address.
        let stdout = daemon.stdout.take().unwrap();
        let bus = tokio::time::timeout(Duration::from_secs(30), async {
            BufReader::new(stdout).lines().next_line().await
        })
        .await
        .expect("dbus-daemon prints its address within 30 s")
        .unwrap()
        .expect("an address line");
        let session = KeyringSession {
            bus: bus.trim().to_owned(),
            dir,
            _daemon: daemon,
        };
        // --daemonize returns once the daemon serves the bus, so it is ready when this ends.
        let mut keyring = tokio::process::Command::new("gnome-keyring-daemon");
        keyring.arg("--components=secrets").arg("--daemonize");
        if unlocked {
            keyring.arg("--unlock");
        } else {
            keyring.arg("--start");
        }
        let mut keyring = keyring
            .envs(session.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon starts");
        let mut stdin = keyring.stdin.take().unwrap();
        if unlocked {
            // --unlock reads the login keyring's password from stdin.
            stdin.write_all(b"miauth-test").await.unwrap();
        }
        drop(stdin);
        let status = tokio::time::timeout(Duration::from_secs(30), keyring.wait())
            .await
            .expect("gnome-keyring-daemon starts within 30 s")
            .unwrap();
        assert!(status.success(), "gnome-keyring-daemon failed: {status}");
        Some(session)
    }

    /// The environment a process needs to use this keyring (and nothing else).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus.clone()),
            (
                "HOME".into(),
                self.dir.path().join("home").display().to_string(),
            ),
            (
                "XDG_RUNTIME_DIR".into(),
                self.dir.path().join("run").display().to_string(),
            ),
        ]
    }

    /// What `secret-tool lookup service SERVICE username USER` finds, another client's view.
    pub async fn lookup(&self, service: &str, user: &str) -> Option<String> {
        let out = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::process::Command::new("secret-tool")
                .args(["lookup", "service", service, "username", user])
                .envs(self.env())
                .stdin(Stdio::null())
                .output(),
        )
        .await
        .expect("secret-tool answers within 30 s")
        .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
