//! Headless Chromium driven through chromedriver (WebDriver), kept off the network.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

/// A running chromedriver and a browser session in a fresh profile.
pub struct Chrome {
    pub client: Client,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

fn find(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

/// Starts Chromium, or returns `None` (saying why) where it is not installed. In CI, where
/// `.ci/run` installs it, its absence fails the test instead.
pub async fn start(dark: bool, width: u32, height: u32) -> Option<Chrome> {
    let (Some(chromium), Some(driver)) = (find("chromium"), find("chromedriver")) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("chromium and chromedriver are required in CI (.ci/run installs them)");
        }
        eprintln!(
            "skipping the browser test: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    // Port 0: chromedriver picks a free port and says which once it listens.
    let mut driver = tokio::process::Command::new(driver)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let mut lines = BufReader::new(driver.stdout.take().unwrap()).lines();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                return rest.trim_end_matches('.').trim().parse::<u16>().ok();
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .expect("chromedriver says it listens");
    // Keep reading so chromedriver never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let profile = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-extensions".to_owned(),
        "--disable-default-apps".to_owned(),
        "--metrics-recording-only".to_owned(),
        format!("--window-size={width},{height}"),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    if dark {
        args.push("--force-dark-mode".to_owned());
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({"binary": chromium, "args": args}),
    );
    let webdriver = format!("http://127.0.0.1:{port}");
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&webdriver)
        .await
        .unwrap_or_else(|e| panic!("no WebDriver session: {e}"));
    Some(Chrome {
        client,
        _driver: driver,
        _profile: profile,
    })
}

impl Chrome {
    /// Waits (30 s at most) until the page's text contains `text`; returns the page source.
    pub async fn wait_for_text(&self, text: &str) -> String {
        assert!(!text.contains('"'), "{text}");
        let body = format!("//body[contains(normalize-space(.), \"{text}\")]");
        if self
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::XPath(&body))
            .await
            .is_err()
        {
            panic!(
                "the page never showed {text:?}; it shows:\n{}",
                self.client.source().await.unwrap_or_default()
            );
        }
        self.client.source().await.unwrap()
    }

    /// Saves a screenshot of the page to `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn quit(self) {
        let _ = self.client.close().await;
    }
}
