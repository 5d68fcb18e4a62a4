//! A scripted browser for the fake instance: it opens the authorisation URL the way a person's
//! browser would, and presses Accept or Deny.
//!
//! It loads the consent page, asks for `/favicon.ico` as browsers do, submits the chosen button,
//! then follows redirects (to the loopback callback, after Accept) and records every page. The
//! demo uses it where no real browser can be opened; tests use it to play the user.

use std::sync::Mutex;

use tokio::task::JoinHandle;

use crate::browser::Browser;

/// The button the scripted user presses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Approve: the page redirects to the callback.
    Accept,
    /// Refuse: no token is made, and the check goes on saying `{"ok":false}`.
    Deny,
}

/// One page load.
#[derive(Clone, Debug)]
pub struct Visit {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The full URL requested.
    pub url: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The answer's body, as text.
    pub body: String,
}

/// Every page load of one opening of a URL, in order.
#[derive(Clone, Debug, Default)]
pub struct Journey {
    /// The page loads, first to last.
    pub visits: Vec<Visit>,
}

impl Journey {
    /// The page the browser ended on.
    pub fn last(&self) -> Option<&Visit> {
        self.visits.last()
    }
}

/// A [`Browser`] that walks the fake instance's consent page by itself.
pub struct ScriptedBrowser {
    choice: Choice,
    http: reqwest::Client,
    walks: Mutex<Vec<JoinHandle<Result<Journey, String>>>>,
}

impl std::fmt::Debug for ScriptedBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedBrowser")
            .field("choice", &self.choice)
            .finish_non_exhaustive()
    }
}

impl ScriptedBrowser {
    /// A browser whose user presses `choice`.
    pub fn new(choice: Choice) -> Self {
        let http = crate::client::http_builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent("Mozilla/5.0 (miauth scripted browser)")
            .build()
            .unwrap_or_default();
        ScriptedBrowser {
            choice,
            http,
            walks: Mutex::new(Vec::new()),
        }
    }

    /// Waits for every opened URL's walk to end and returns them, oldest first.
    pub async fn journeys(&self) -> Vec<Result<Journey, String>> {
        let walks: Vec<_> = self
            .walks
            .lock()
            .map(|mut w| w.drain(..).collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for walk in walks {
            out.push(walk.await.unwrap_or_else(|e| Err(e.to_string())));
        }
        out
    }
}

impl Browser for ScriptedBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| "the scripted browser needs a Tokio runtime".to_owned())?;
        let walk = runtime.spawn(walk(self.http.clone(), url.to_owned(), self.choice));
        self.walks
            .lock()
            .map_err(|_| "the scripted browser is broken".to_owned())?
            .push(walk);
        Ok(())
    }
}

async fn walk(http: reqwest::Client, url: String, choice: Choice) -> Result<Journey, String> {
    let mut journey = Journey::default();
    let page = url::Url::parse(&url).map_err(|e| e.to_string())?;
    let mut next = visit(&http, &mut journey, "GET", page.as_str(), None).await?;
    if next.is_none() {
        let _ = http
            .get(page.join("/favicon.ico").map_err(|e| e.to_string())?)
            .send()
            .await;
        let action = match choice {
            Choice::Accept => "action=accept",
            Choice::Deny => "action=deny",
        };
        let mut form = page.clone();
        form.set_query(None);
        // Misskey 2024.11 and later ask which account to use first: keep the one offered.
        let picker = journey.last().and_then(|v| account_offered(&v.body));
        if let Some(account) = picker {
            let picked = format!("action=continue&accountSelector={account}");
            visit(&http, &mut journey, "POST", form.as_str(), Some(&picked)).await?;
        }
        next = visit(&http, &mut journey, "POST", form.as_str(), Some(action)).await?;
    }
    for _ in 0..5 {
        let Some(location) = next.take() else { break };
        next = visit(&http, &mut journey, "GET", &location, None).await?;
    }
    Ok(journey)
}

/// The account an account picker offers, if the page has one.
fn account_offered(body: &str) -> Option<String> {
    let field = &body[body.find("name=\"accountSelector\"")?..];
    let value = field.split("value=\"").nth(1)?;
    let account: String = value.chars().take_while(|c| *c != '"').collect();
    Some(url::form_urlencoded::byte_serialize(account.as_bytes()).collect())
}

/// Loads one page, posting `form` (urlencoded) when given; returns where a redirect points,
/// if it does.
async fn visit(
    http: &reqwest::Client,
    journey: &mut Journey,
    method: &'static str,
    url: &str,
    form: Option<&str>,
) -> Result<Option<String>, String> {
    let request = match form {
        Some(form) => http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form.to_owned()),
        None => http.get(url),
    };
    let response = request
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(|l| url::Url::parse(url).and_then(|base| base.join(l)))
        .transpose()
        .map_err(|e| e.to_string())?;
    let body = response.text().await.unwrap_or_default();
    journey.visits.push(Visit {
        method,
        url: url.to_owned(),
        status: status.as_u16(),
        body,
    });
    Ok(location
        .filter(|_| status.is_redirection())
        .map(String::from))
}
