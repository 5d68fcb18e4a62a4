//! Shared pieces of the integration tests: a fake instance per test, browsers that misbehave
//! in chosen ways, and a driver for the `miauth` binary that plays the user at its URL.

pub mod chrome;
pub mod keyring;
pub mod tls;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use miauth::browser::Browser;
use miauth::mock::{CheckSpan, Choice, MockConfig, MockServer, ScriptedBrowser};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::mpsc;

/// A `reqwest` client builder for tests, with the TLS provider miauth itself installs (ring).
pub fn http() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// Starts a fake instance on 127.0.0.1 with a system-chosen port.
pub async fn mock(config: MockConfig) -> MockServer {
    MockServer::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("fake instance starts")
}

/// A login to the fake instance, giving up after 20 s unless told otherwise. It opens no
/// browser unless given one: the system's must never open in a test.
pub fn login_to(server: &MockServer) -> miauth::Login {
    miauth::Login::new(miauth::Instance::parse(server.base_url()).unwrap())
        .timeout(Duration::from_secs(20))
        .browser(Arc::new(miauth::browser::NoBrowser))
}

/// The login delivered the one token the fake instance issued.
#[track_caller]
pub fn assert_issued(server: &MockServer, credentials: &miauth::Credentials) {
    assert_eq!(
        server.issued_tokens(),
        vec![credentials.token.expose().to_owned()]
    );
}

/// No check started while another was out: each (in order of arrival) started after the one
/// before had its answer. A check never answered (held, or dropped by the client) counts as out
/// for good.
#[track_caller]
pub fn assert_one_check_at_a_time(spans: &[CheckSpan]) {
    for pair in spans.windows(2) {
        assert!(
            pair[0].answered.is_some_and(|a| pair[1].started >= a),
            "a check started while another was out: {pair:?}"
        );
    }
}

/// A query parameter of a URL, decoded once.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The session id inside an authorisation URL.
pub fn session_of(url: &str) -> String {
    let url = url::Url::parse(url).expect("authorisation URL parses");
    url.path()
        .strip_prefix("/miauth/")
        .expect("path is /miauth/SESSION")
        .to_owned()
}

/// What a stray or hostile request got back from the callback server.
#[derive(Debug, Clone)]
pub struct StrayAnswer {
    pub what: &'static str,
    pub status: u16,
}

/// A browser that first sends the callback server requests it must ignore, then lets
/// a scripted user approve.
pub struct StrayThenReal {
    pub real: Arc<ScriptedBrowser>,
    pub answers: Arc<Mutex<Vec<StrayAnswer>>>,
}

impl StrayThenReal {
    pub fn new() -> Self {
        StrayThenReal {
            real: Arc::new(ScriptedBrowser::new(Choice::Accept)),
            answers: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

impl Browser for StrayThenReal {
    fn open(&self, url: &str) -> Result<(), String> {
        let callback = query_param(url, "callback").ok_or("no callback in the URL")?;
        let real = self.real.clone();
        let answers = self.answers.clone();
        let url = url.to_owned();
        tokio::spawn(async move {
            let http = http().no_proxy().build().unwrap();
            let cb = url::Url::parse(&callback).unwrap();
            let port = cb.port().unwrap();
            let attempts: [(&'static str, String, Option<String>); 4] = [
                (
                    "another session",
                    format!("{callback}?session=not-ours"),
                    None,
                ),
                ("no session", callback.clone(), None),
                (
                    "foreign Host",
                    format!("{callback}?session={}", session_of(&url)),
                    Some(format!("attacker.example:{port}")),
                ),
                (
                    "favicon",
                    format!("http://127.0.0.1:{port}/favicon.ico"),
                    None,
                ),
            ];
            for (what, target, host) in attempts {
                let mut req = http.get(&target);
                if let Some(host) = host {
                    req = req.header("Host", host);
                }
                let status = req.send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                answers.lock().unwrap().push(StrayAnswer { what, status });
            }
            real.open(&url).unwrap();
        });
        Ok(())
    }
}

/// A browser that hands the authorisation URL to the test, which plays the user when the
/// scenario calls for it.
pub struct UrlToTest(mpsc::UnboundedSender<String>);

impl UrlToTest {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (UrlToTest(tx), rx)
    }
}

impl Browser for UrlToTest {
    fn open(&self, url: &str) -> Result<(), String> {
        self.0.send(url.to_owned()).map_err(|e| e.to_string())
    }
}

/// A `miauth` process whose stderr is read line by line as it comes.
pub struct Running {
    pub child: tokio::process::Child,
    lines: mpsc::UnboundedReceiver<String>,
    pub stderr: Arc<Mutex<String>>,
    /// The task reading stderr; it ends at the end of the stream.
    reader: Option<tokio::task::JoinHandle<()>>,
    /// stdout, once a test has started reading it line by line, and what was read so far.
    stdout: Option<BufReader<tokio::process::ChildStdout>>,
    stdout_seen: String,
    /// The configuration directory the process was given unless the test named its own.
    _config_dir: tempfile::TempDir,
}

/// The finished process.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Starts the `miauth` binary with `args`, no browser and no display.
pub fn spawn_miauth(args: &[&str]) -> Running {
    spawn_miauth_with(args, &[])
}

/// The session bus address tests give `miauth`: a socket that does not exist, so no test ever
/// reaches the keyring of the user running them.
pub const NO_BUS: &str = "unix:path=/nonexistent/miauth-test-bus";

/// A shell that runs a script of one `exit N` (or `echo`) the same way on every system, for
/// `miauth exec -- SHELL[0] SHELL[1] SCRIPT`: `sh -c` on Unix, `cmd /C` on Windows.
#[cfg(unix)]
pub const SHELL: [&str; 2] = ["sh", "-c"];
#[cfg(windows)]
pub const SHELL: [&str; 2] = ["cmd", "/C"];

/// The `miauth` command as [`spawn_miauth_with`] starts it, in `config_dir`, its stdout and
/// stderr piped and its stdin left to the caller.
fn miauth_command(
    args: &[&str],
    env: &[(&str, &str)],
    config_dir: &std::path::Path,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_miauth"));
    command
        .args(args)
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("CI", "true")
        .env_remove("TF_BUILD")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("MISSKEY_URL")
        .env_remove("MISSKEY_TOKEN")
        .env_remove("MIAUTH_STORE")
        .env_remove("MIAUTH_KEYRING_TIMEOUT")
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("MIAUTH_CONFIG_DIR", config_dir)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// How many times a process Wine refused to create is tried in all.
const WINE_STARTS: u32 = 5;

/// Starts `command`. Under Wine (`MIAUTH_TEST_WINE`, a log file scripts/test-windows names and
/// reports on), a process Wine cannot create for its own reasons (ERROR_INTERNAL_ERROR, 1359,
/// when wineserver is loaded) is tried again, up to [`WINE_STARTS`] times in all, each retry
/// written to that log and to stderr: that failure is Wine's, not miauth's, and a landing must
/// not depend on the load of the machine.
pub fn start(command: &mut tokio::process::Command) -> tokio::process::Child {
    const ERROR_INTERNAL_ERROR: i32 = 1359;
    let wine_log = std::env::var_os("MIAUTH_TEST_WINE").filter(|_| cfg!(windows));
    let mut attempt = 1;
    loop {
        match command.spawn() {
            Ok(child) => return child,
            Err(e)
                if wine_log.is_some()
                    && e.raw_os_error() == Some(ERROR_INTERNAL_ERROR)
                    && attempt < WINE_STARTS =>
            {
                let note = format!(
                    "Wine could not start miauth ({e}); trying again ({} of {WINE_STARTS})\n",
                    attempt + 1
                );
                eprint!("{note}");
                if let Some(log) = &wine_log {
                    use std::io::Write;
                    let _ = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(log)
                        .and_then(|mut f| f.write_all(note.as_bytes()));
                }
                attempt += 1;
                // Not a synchronisation: wineserver only needs a moment to catch up.
                std::thread::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)));
            }
            Err(e) => panic!("miauth starts: {e:?}"),
        }
    }
}

/// Runs `miauth ARGS` as [`spawn_miauth_with`] does, with `input` on its standard input.
pub async fn run_miauth_fed(args: &[&str], env: &[(&str, &str)], input: &str) -> Finished {
    use tokio::io::AsyncWriteExt;
    let config_dir = tempfile::tempdir().expect("temporary configuration directory");
    let mut child = start(miauth_command(args, env, config_dir.path()).stdin(Stdio::piped()));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("miauth ends within 60s")
        .unwrap();
    Finished {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Starts the `miauth` binary with `args` and extra environment variables, applied last (so
/// they win). The process never sees the user's keyring, configuration or Misskey variables:
/// its session bus leads nowhere and its configuration directory is a fresh temporary one. It
/// runs as in a CI job, which opens no browser on any system (macOS and Windows have no display
/// to take away); a test that wants a browser sets `BROWSER`, or `CI=false` and a display.
pub fn spawn_miauth_with(args: &[&str], env: &[(&str, &str)]) -> Running {
    let config_dir = tempfile::tempdir().expect("temporary configuration directory");
    let mut child = start(miauth_command(args, env, config_dir.path()).stdin(Stdio::null()));
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::unbounded_channel();
    let all = Arc::new(Mutex::new(String::new()));
    let sink = all.clone();
    let reader = tokio::spawn(async move {
        let mut reader = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            let mut all = sink.lock().unwrap();
            all.push_str(&line);
            all.push('\n');
            let _ = tx.send(line);
        }
    });
    Running {
        child,
        lines,
        stderr: all,
        reader: Some(reader),
        stdout: None,
        stdout_seen: String::new(),
        _config_dir: config_dir,
    }
}

impl Running {
    /// Waits (30 s at most) for the first stderr line not yet seen for which `wanted` holds,
    /// and returns it trimmed.
    pub async fn line_where(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = self.lines.recv().await {
                if wanted(line.trim()) {
                    return Some(line.trim().to_owned());
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            _ => panic!("no {what} on stderr:\n{}", self.stderr.lock().unwrap()),
        }
    }

    /// Waits (30 s at most) for a stderr line containing `needle`.
    pub async fn wait_for_line(&mut self, needle: &str) {
        self.line_where(needle, |line| line.contains(needle)).await;
    }

    /// Waits for the authorisation URL on stderr. The signal handlers are in place by then.
    pub async fn authorization_url(&mut self) -> String {
        self.line_where("authorisation URL", |line| {
            line.starts_with("http") && line.contains("/miauth/")
        })
        .await
    }

    /// Everything the process wrote to stderr, once the stream has ended (the process and
    /// anything that shares its stderr have exited): no line written last is missed.
    pub async fn stderr_to_end(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            tokio::time::timeout(Duration::from_secs(30), reader)
                .await
                .expect("stderr ends within 30 s of the exit")
                .unwrap();
        }
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (30 s at most) for a stdout line containing `needle` and returns it, trimmed; what
    /// was read stays part of the stdout [`Running::finish`] returns.
    pub async fn wait_for_stdout_line(&mut self, needle: &str) -> String {
        if self.stdout.is_none() {
            self.stdout = Some(BufReader::new(self.child.stdout.take().unwrap()));
        }
        let reader = self.stdout.as_mut().unwrap();
        let seen = &mut self.stdout_seen;
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).await.unwrap() == 0 {
                    return None;
                }
                seen.push_str(&line);
                if line.contains(needle) {
                    return Some(line.trim().to_owned());
                }
            }
        })
        .await;
        let line = found.ok().flatten();
        assert!(
            line.is_some(),
            "no line with {needle:?} on stdout:\n{}\nstderr:\n{}",
            self.stdout_seen,
            self.stderr.lock().unwrap()
        );
        line.unwrap_or_default()
    }

    /// Waits (60 s at most) for the process to end, and for its stdout and stderr to close.
    pub async fn finish(mut self) -> Finished {
        let mut stdout = std::mem::take(&mut self.stdout_seen);
        let mut out = match self.stdout.take() {
            Some(reader) => reader,
            None => BufReader::new(self.child.stdout.take().unwrap()),
        };
        let status = tokio::time::timeout(Duration::from_secs(60), async {
            out.read_to_string(&mut stdout).await.unwrap();
            self.child.wait().await.unwrap()
        })
        .await
        .expect("miauth ends within 60 s");
        let stderr = self.stderr_to_end().await;
        Finished {
            code: status.code(),
            stdout,
            stderr,
        }
    }

    /// Sends a signal to the process.
    #[cfg(unix)]
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

/// The steps a library login reports, by name (`Authorize`, `Waiting`, `LastCheck`...), as
/// they happen; tests wait on them instead of on the clock.
pub struct Steps {
    rx: mpsc::UnboundedReceiver<String>,
}

impl Steps {
    /// An observer to hand to [`miauth::Login::on_progress`], and the steps it reports.
    pub fn observe() -> (miauth::Observer, Steps) {
        let (tx, rx) = mpsc::unbounded_channel();
        let observer: miauth::Observer = Arc::new(move |step: &miauth::Progress<'_>| {
            let _ = tx.send(step_name(step));
        });
        (observer, Steps { rx })
    }

    /// Waits (30 s at most) until the login reports the step `name`.
    pub async fn until(&mut self, name: &str) {
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(step) = self.rx.recv().await {
                if step == name {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(found, Ok(true), "the login never reported {name}");
    }
}

/// The name of a progress step: its variant, without its fields.
pub fn step_name(step: &miauth::Progress<'_>) -> String {
    format!("{step:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

impl Running {
    /// Ends the process: Ctrl-C (SIGINT) on Unix; elsewhere, where a test cannot press Ctrl-C
    /// in the process's console, it is killed.
    pub fn stop(&mut self) {
        #[cfg(unix)]
        self.signal("INT");
        #[cfg(not(unix))]
        let _ = self.child.start_kill();
    }
}

/// Plays the user at `url`: the scripted browser presses `choice` and its walk is returned.
pub async fn approve_in_browser(url: &str, choice: Choice) -> miauth::mock::Journey {
    let browser = ScriptedBrowser::new(choice);
    browser.open(url).unwrap();
    browser.journeys().await.remove(0).expect("browser walk")
}

/// Runs `miauth ARGS` with extra environment variables, lets the scripted user accept at the
/// URL it prints, and returns how it ended and that URL.
pub async fn accept_in_browser(args: &[&str], env: &[(&str, &str)]) -> (Finished, String) {
    let mut run = spawn_miauth_with(args, env);
    let url = run.authorization_url().await;
    approve_in_browser(&url, Choice::Accept).await;
    (run.finish().await, url)
}
