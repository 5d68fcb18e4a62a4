//! The loopback server the consent page redirects the browser to.
//!
//! It binds before the authorisation URL is built, on a loopback address and (by default) a port
//! the system picks; its one callback path holds 128 random bits and only unreserved
//! characters, so the consent page's double decoding leaves it intact. It knows nothing of the
//! instance: a valid callback is reported to the flow as a [`CallbackHit`] (`routes.rs` decides
//! what is valid). Every page in the browser and every local process can reach it, so it is
//! bounded: at most [`MAX_CONNECTIONS`] connections at once (more wait in the kernel's queue),
//! request headers within [`HEADER_READ_TIMEOUT`] and [`MAX_BUF`] bytes, no connection longer
//! than [`MAX_CONNECTION_TIME`]; an idle or slow connection therefore never blocks the real
//! callback for long, and shutting down never waits for a connection.

mod routes;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::{Error, SessionId};
use routes::{CallbackState, Results};

/// Connections served at once; more wait in the listen queue until one ends.
pub const MAX_CONNECTIONS: usize = 256;
/// A client must send its request headers within this time (slow clients are dropped).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(3);
/// The most a connection may buffer for a request's headers, in bytes.
pub const MAX_BUF: usize = 16 * 1024;
/// No connection lives longer, even one whose callback waits for the check.
pub const MAX_CONNECTION_TIME: Duration = Duration::from_secs(60);
/// After the login ends, how long the outcome page stays available to a browser on its way.
const OUTCOME_GRACE: Duration = Duration::from_secs(2);

/// Where and for whom the callback server listens.
#[derive(Clone, Debug)]
pub struct CallbackConfig {
    /// A loopback address (`127.0.0.1` by default).
    pub bind: IpAddr,
    /// `0` lets the system choose.
    pub port: u16,
    /// The application name the pages mention.
    pub app_name: String,
}

/// A valid callback arrived; the browser waits for [`CallbackHit::respond`].
#[derive(Debug)]
pub struct CallbackHit {
    respond: oneshot::Sender<PageOutcome>,
}

impl CallbackHit {
    /// Tells the waiting browser how the login ended.
    pub fn respond(self, outcome: PageOutcome) {
        // The browser may have gone away; the login's result does not depend on it.
        let _ = self.respond.send(outcome);
    }
}

/// What the page shown after a valid callback says.
#[derive(Debug, Clone)]
pub enum PageOutcome {
    /// The token was fetched.
    Success {
        /// The account the token belongs to, `@user@host`.
        account: String,
        /// The instance: host, and port when not the default.
        instance: String,
    },
    /// The login failed.
    Failure {
        /// The error's message (never a secret).
        message: String,
        /// The error's hint, if it has one.
        hint: Option<String>,
    },
}

/// The running callback server.
#[derive(Debug)]
pub struct CallbackServer {
    url: String,
    hits: mpsc::Receiver<CallbackHit>,
    results: Arc<Results>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Results {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Results")
    }
}

impl CallbackServer {
    /// Binds the loopback listener and starts serving.
    pub async fn bind(config: &CallbackConfig, session: SessionId) -> Result<Self, Error> {
        let wanted = SocketAddr::new(config.bind, config.port);
        if !config.bind.is_loopback() {
            return Err(Error::InvalidOption {
                option: "--bind",
                input: config.bind.to_string(),
                reason: "the callback server listens on loopback addresses only".into(),
            });
        }
        let bind_error = |e: std::io::Error| Error::Bind {
            addr: wanted.to_string(),
            reason: e.to_string(),
        };
        let listener = TcpListener::bind(wanted).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let nonce = crate::secret::random_hex(16)
            .map_err(|e| Error::Internal(format!("no secure random source: {e}")))?;
        let path = format!("/cb/{nonce}");
        let (hits_tx, hits) = mpsc::channel(1);
        let results = Arc::new(Results::default());
        let app = routes::router(CallbackState {
            host: addr.to_string(),
            path: path.clone(),
            session,
            app_name: config.app_name.clone(),
            hits: hits_tx,
            results: results.clone(),
        });
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, app, shutdown_rx));
        tracing::debug!(%addr, "callback server listening");
        Ok(CallbackServer {
            url: format!("http://{addr}{path}"),
            hits,
            results,
            shutdown: Some(shutdown_tx),
            task: Some(task),
        })
    }

    /// The callback URL to hand to the consent page.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits for the next valid callback; `None` if the server has stopped.
    pub async fn next_hit(&mut self) -> Option<CallbackHit> {
        self.hits.recv().await
    }

    /// Valid callbacks that arrived but were not taken yet; later ones are still accepted.
    pub fn waiting_hits(&mut self) -> Vec<CallbackHit> {
        let mut waiting = Vec::new();
        while let Ok(hit) = self.hits.try_recv() {
            waiting.push(hit);
        }
        waiting
    }

    /// Valid callbacks that arrived but were never taken: the login has ended, so they get its
    /// result. No more are accepted after this.
    pub fn queued_hits(&mut self) -> Vec<CallbackHit> {
        self.hits.close();
        self.waiting_hits()
    }

    /// Stops listening. An outcome page not yet shown gets two seconds to be fetched;
    /// open connections are then dropped, whatever they are doing.
    pub async fn shutdown(mut self) {
        self.hits.close();
        let _ = tokio::time::timeout(OUTCOME_GRACE, async {
            loop {
                let shown = self.results.shown.notified();
                if self.results.all_shown() {
                    break;
                }
                shown.await;
            }
        })
        .await;
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Accepts connections until shut down, each bounded in number, header size and time.
async fn serve(listener: TcpListener, app: axum::Router, mut shutdown: oneshot::Receiver<()>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: let connections end before trying again.
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        connections.spawn(async move {
            let _slot = slot;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(MAX_BUF);
            let connection = http.serve_connection(TokioIo::new(stream), service);
            if tokio::time::timeout(MAX_CONNECTION_TIME, connection)
                .await
                .is_err()
            {
                tracing::debug!("callback connection open too long; dropped");
            }
        });
        while connections.try_join_next().is_some() {}
    }
    // Dropping the set aborts every connection still open.
    connections.shutdown().await;
}
