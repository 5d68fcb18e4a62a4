//! The HTTP client for one instance's API, and what every request to it shares.
//!
//! Requests have deadlines, do not follow redirects, name miauth in `User-Agent` and read at most
//! [`MAX_BODY`] bytes; a loopback instance is reached without any proxy. Errors never carry a
//! URL, since the check URL holds the session id. The MiAuth check itself is `check.rs`.

use std::time::Duration;

use crate::{AccessToken, Error, Instance};

/// The most of an answer body that is read; real answers are a few kilobytes.
pub const MAX_BODY: usize = 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one API request may take unless told otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A `reqwest` client builder whose TLS uses ring. reqwest is built without a TLS crypto
/// provider of its own (ring builds in seconds, where aws-lc takes most of a minute), so ring is
/// installed as the process's default the first time; a program that embeds miauth and
/// installed its own provider before keeps it.
pub(crate) fn http_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A client for one instance's API.
#[derive(Clone, Debug)]
pub struct InstanceClient {
    pub(crate) http: reqwest::Client,
    pub(crate) instance: Instance,
}

impl InstanceClient {
    /// A client for `instance` that trusts the system's roots and `extra_roots` (PEM
    /// certificates of private CAs); a loopback instance is reached without any proxy.
    pub fn new(
        instance: &Instance,
        extra_roots: &[reqwest::Certificate],
        request_timeout: Duration,
    ) -> Result<Self, Error> {
        let mut builder = http_builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT.min(request_timeout))
            .timeout(request_timeout)
            .user_agent(concat!("miauth/", env!("CARGO_PKG_VERSION")));
        if instance.is_loopback() {
            builder = builder.no_proxy();
        }
        if !extra_roots.is_empty() {
            builder = builder.tls_certs_merge(extra_roots.iter().cloned());
        }
        // The cause is what tells a platform's refusal apart (on Windows the extra roots go to
        // a certificate chain engine of the system's, which may refuse them).
        let http = builder.build().map_err(|e| {
            let cause = describe(&e);
            let failure = if cause == e.to_string() {
                cause
            } else {
                format!("{e}: {cause}")
            };
            Error::Internal(format!("cannot set up the HTTP client: {failure}"))
        })?;
        Ok(InstanceClient {
            http,
            instance: instance.clone(),
        })
    }

    /// The instance this client talks to.
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// Sends a JSON request once; the answer is read whatever its status. Fails only when no
    /// HTTP answer came back at all.
    pub(crate) async fn request_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        token: Option<&AccessToken>,
    ) -> Result<JsonAnswer, Error> {
        let mut request = self.http.request(method, self.instance.url_of(path));
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        let response = request.send().await.map_err(|e| self.no_answer(&e))?;
        let status = response.status().as_u16();
        let json = match read_bounded(response).await {
            Ok(body) => serde_json::from_slice(&body).ok(),
            Err(BodyError::TooLarge) => None,
            Err(BodyError::Transport(e)) => return Err(self.no_answer(&e)),
        };
        Ok(JsonAnswer { status, json })
    }

    /// No HTTP answer: unreachable, a TLS failure, or something that does not speak HTTP.
    fn no_answer(&self, e: &reqwest::Error) -> Error {
        let instance = self.instance.to_string();
        let reason = describe(e);
        if is_tls(e) {
            Error::Tls { instance, reason }
        } else if e.is_connect() || e.is_timeout() {
            Error::Unreachable { instance, reason }
        } else {
            Error::Unreachable {
                instance,
                reason: format!("no HTTP answer ({reason}); is it a web server?"),
            }
        }
    }
}

/// The status and (if it was JSON) the body of an answer.
#[derive(Debug)]
pub(crate) struct JsonAnswer {
    pub status: u16,
    pub json: Option<serde_json::Value>,
}

impl JsonAnswer {
    /// The JSON body of a 200 answer.
    pub fn ok_json(&self) -> Option<&serde_json::Value> {
        self.json.as_ref().filter(|_| self.status == 200)
    }
}

/// Reads the body, refusing more than [`MAX_BODY`] bytes.
pub(crate) async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) enum BodyError {
    Transport(reqwest::Error),
    TooLarge,
}

/// The innermost cause of a reqwest error, which is what a person can act on.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    if e.is_timeout() {
        return "the request timed out".to_owned();
    }
    let text = source.to_string();
    if text.is_empty() {
        "the connection failed".to_owned()
    } else {
        text
    }
}

/// Whether a rustls error is somewhere in the chain, looking inside I/O errors too (their
/// `source()` skips the error they wrap).
pub(crate) fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.is::<rustls::Error>() {
        return true;
    }
    if let Some(inner) = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        && is_tls(inner)
    {
        return true;
    }
    e.source().is_some_and(is_tls)
}
