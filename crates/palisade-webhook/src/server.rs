//! The HTTPS server: routes, TLS (rustls, ring), HTTP/1.1 and HTTP/2, reloads, limits, shutdown.
//!
//! Hostile or broken clients are bounded everywhere: request bodies (3 MiB, the API server's own
//! limit for a request), the TLS handshake, the time to send request headers (slow-loris) and the
//! body, and the number of open connections. Certificate, key and config are polled for changes
//! and swapped in without dropping a connection; a config that does not load keeps the old one.
//! SIGTERM stops accepting, fails `/readyz`, and lets in-flight reviews finish.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_server::accept::Accept;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use axum_server::Handle;
use palisade_core::config::{self, Config};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::admission::Policy;
use crate::exec_guard::ExecGuard;
use crate::metrics::Metrics;
use crate::review::{
    self, AdmissionResponse, AdmissionReviewResponse, ImageReviewResponse, IMAGE_POLICY_API_VERSION,
};

/// Largest request body, as the API server limits its own requests.
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// How to run the server.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    /// `palisade.yaml` with a `webhook:` section (absent: defaults).
    pub config: Option<PathBuf>,
    /// Kubeconfig for the exec guard's pod reads (absent: in-cluster config, then the usual
    /// kubeconfig lookup).
    pub kubeconfig: Option<PathBuf>,
    /// How often certificate, key and config are checked for changes.
    pub reload_interval: Duration,
    pub max_connections: usize,
    /// Time for a TLS handshake, and for a client to send request headers.
    pub header_timeout: Duration,
    /// Time for a client to send a request body.
    pub body_timeout: Duration,
    /// Longest wait for in-flight reviews on shutdown.
    pub shutdown_grace: Duration,
}

impl Options {
    pub fn new(listen: SocketAddr, tls_cert: PathBuf, tls_key: PathBuf) -> Self {
        Options {
            listen,
            tls_cert,
            tls_key,
            config: None,
            kubeconfig: None,
            reload_interval: Duration::from_secs(5),
            max_connections: 4096,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(25),
        }
    }
}

/// Largest TLS certificate chain or key file read: a chain of a few certificates is a few KiB.
pub const MAX_TLS_FILE_BYTES: u64 = 1 << 20;

/// The PEM texts of the serving certificate and key, each read bounded (a wrong path such as a
/// device is refused, not read into memory); the error names the file and the limit.
fn read_tls_pair(cert: &Path, key: &Path) -> Result<(Vec<u8>, Vec<u8>), String> {
    let read = |p: &Path| {
        palisade_core::source::read_bounded(p, MAX_TLS_FILE_BYTES)
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    Ok((read(cert)?, read(key)?))
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot load the TLS certificate {cert} / key {key}: {reason}")]
    Tls {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
    #[error("{0}")]
    Config(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("server failed: {0}")]
    Io(#[from] io::Error),
}

struct AppState {
    policy: RwLock<Arc<Policy>>,
    guard: ExecGuard,
    metrics: Metrics,
    ready: AtomicBool,
    body_timeout: Duration,
}

impl AppState {
    fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.policy.read().expect("policy lock"))
    }
}

fn load_policy(path: Option<&Path>) -> Result<Policy, ServeError> {
    let config = match path {
        Some(p) => config::load(p).map_err(|e| ServeError::Config(e.to_string()))?,
        None => Config::default(),
    };
    // Kinds declared to hold pod templates are fixed at start: a reload that changes them is
    // refused (the running policy stays), with the reason in the log.
    palisade_core::object::declare_template_kinds(&config.pod_templates)
        .map_err(ServeError::Config)?;
    Policy::new(&config).map_err(|e| {
        ServeError::Config(format!(
            "{}: {e}",
            path.map_or("config".into(), |p| p.display().to_string())
        ))
    })
}

/// A server that is running.
pub struct Running {
    pub addr: SocketAddr,
    handle: Handle<SocketAddr>,
    state: Arc<AppState>,
    shutdown_grace: Duration,
    server: tokio::task::JoinHandle<io::Result<()>>,
    reloader: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting connections, fails `/readyz`, and lets in-flight requests finish (up to
    /// the grace period).
    pub fn shutdown(&self) {
        self.state.ready.store(false, Ordering::SeqCst);
        self.handle.graceful_shutdown(Some(self.shutdown_grace));
    }

    /// Waits until the server has stopped.
    pub async fn wait(self) -> Result<(), ServeError> {
        let r = self.server.await;
        self.reloader.abort();
        match r {
            Ok(r) => r.map_err(ServeError::Io),
            Err(e) => Err(ServeError::Io(io::Error::other(e))),
        }
    }
}

/// Starts the server (on `listener` when given, for tests; else on `opts.listen`).
pub async fn start(
    opts: Options,
    listener: Option<std::net::TcpListener>,
) -> Result<Running, ServeError> {
    palisade_cluster::install_crypto_provider();
    let tls_error = |reason: String| ServeError::Tls {
        cert: opts.tls_cert.clone(),
        key: opts.tls_key.clone(),
        reason,
    };
    let (cert, key) = read_tls_pair(&opts.tls_cert, &opts.tls_key).map_err(tls_error)?;
    let tls = RustlsConfig::from_pem(cert, key)
        .await
        .map_err(|e| tls_error(e.to_string()))?;
    let policy = load_policy(opts.config.as_deref())?;
    let g = policy.config.exec_guard;
    // Connected even when the guard is off, so that a config reload can turn it on. Building
    // the client sends nothing; a missing kubeconfig is reported when a pod is first needed.
    let cluster = palisade_cluster::Options {
        kubeconfig: opts.kubeconfig.clone(),
        request_timeout: Duration::from_secs(3),
        ..Default::default()
    };
    let client = palisade_cluster::connect(&cluster)
        .await
        .map(|c| c.client)
        .map_err(|e| e.to_string());
    if let (true, Err(e)) = (g.enabled, &client) {
        eprintln!("palisade webhook: the exec guard cannot reach the API: {e}");
    }
    let state = Arc::new(AppState {
        guard: ExecGuard::new(
            client,
            g.fail_closed,
            Duration::from_secs(g.cache_ttl_seconds),
        ),
        policy: RwLock::new(Arc::new(policy)),
        metrics: Metrics::default(),
        ready: AtomicBool::new(true),
        body_timeout: opts.body_timeout,
    });
    let app = Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/exec", post(exec))
        .route("/imagepolicy", post(image_policy))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(Arc::clone(&state));

    let listener = match listener {
        Some(l) => l,
        None => std::net::TcpListener::bind(opts.listen).map_err(|e| ServeError::Listen {
            addr: opts.listen,
            reason: e.to_string(),
        })?,
    };
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let acceptor = RustlsAcceptor::new(tls.clone())
        .handshake_timeout(opts.header_timeout)
        .acceptor(LimitAcceptor {
            slots: Arc::new(Semaphore::new(opts.max_connections)),
        });
    let handle = Handle::new();
    let mut server = axum_server::from_tcp(listener)?
        .acceptor(acceptor)
        .handle(handle.clone())
        .first_request_timeout(opts.header_timeout);
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(opts.header_timeout);
    server
        .http_builder()
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .max_concurrent_streams(256)
        .keep_alive_interval(Duration::from_secs(30));
    let server = tokio::spawn(server.serve(app.into_make_service()));
    let reloader = tokio::spawn(reload_loop(opts.clone(), tls, Arc::clone(&state)));
    Ok(Running {
        addr,
        handle,
        state,
        shutdown_grace: opts.shutdown_grace,
        server,
        reloader,
    })
}

/// Runs until SIGTERM or SIGINT, then shuts down gracefully.
pub async fn run(opts: Options) -> Result<(), ServeError> {
    let running = start(opts, None).await?;
    eprintln!("palisade webhook: listening on https://{}", running.addr);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    eprintln!("palisade webhook: shutting down, draining in-flight reviews");
    running.shutdown();
    running.wait().await
}

/// What a file looked like at the last check.
fn stamp(p: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(p).ok()?;
    Some((m.modified().ok()?, m.len()))
}

async fn reload_loop(opts: Options, tls: RustlsConfig, state: Arc<AppState>) {
    let mut tls_seen = (stamp(&opts.tls_cert), stamp(&opts.tls_key));
    let mut config_seen = opts.config.as_deref().and_then(stamp);
    let mut tick = tokio::time::interval(opts.reload_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = (stamp(&opts.tls_cert), stamp(&opts.tls_key));
        if now != tls_seen {
            // A certificate and its key are often written one after the other: a pair that does
            // not load yet is retried on the next tick.
            let pair = read_tls_pair(&opts.tls_cert, &opts.tls_key);
            let reloaded = match pair {
                Ok((cert, key)) => tls
                    .reload_from_pem(cert, key)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match reloaded {
                Ok(()) => {
                    tls_seen = now;
                    state.metrics.reload("certificate", true);
                    eprintln!("palisade webhook: reloaded the TLS certificate");
                }
                Err(e) => {
                    state.metrics.reload("certificate", false);
                    eprintln!("palisade webhook: TLS certificate not reloaded: {e}");
                }
            }
        }
        if let Some(path) = &opts.config {
            let now = stamp(path);
            if now != config_seen {
                config_seen = now;
                let loaded = load_policy(Some(path)).and_then(|p| {
                    let running = state.policy();
                    if p.admission_policies != running.admission_policies {
                        Err(ServeError::Config(
                            "`policies:` changed: admission policies are read at start; \
                             restart the webhook to apply them"
                                .into(),
                        ))
                    } else if p.custom_rules != running.custom_rules {
                        Err(ServeError::Config(
                            "`rules:` changed: your own rules are read at start; restart the \
                             webhook to apply them"
                                .into(),
                        ))
                    } else {
                        Ok(p)
                    }
                });
                match loaded {
                    Ok(p) => {
                        let g = p.config.exec_guard;
                        state
                            .guard
                            .configure(g.fail_closed, Duration::from_secs(g.cache_ttl_seconds));
                        *state.policy.write().expect("policy lock") = Arc::new(p);
                        state.metrics.reload("config", true);
                        eprintln!("palisade webhook: reloaded {}", path.display());
                    }
                    Err(e) => {
                        state.metrics.reload("config", false);
                        eprintln!(
                            "palisade webhook: config not reloaded, keeping the old one: {e}"
                        );
                    }
                }
            }
        }
    }
}

fn json_response<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn error(code: StatusCode, message: String) -> Response {
    (
        code,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        format!("{message}\n"),
    )
        .into_response()
}

/// Reads the body within the size and time limits.
async fn body(state: &AppState, req: Request) -> Result<Bytes, Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let read = axum::body::to_bytes(req.into_body(), MAX_BODY);
    match tokio::time::timeout(state.body_timeout, read).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => {
            let limit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if limit {
                Err(too_large())
            } else {
                Err(error(
                    StatusCode::BAD_REQUEST,
                    format!("cannot read the request body: {e}"),
                ))
            }
        }
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "the request body was not sent in time".to_owned(),
        )),
    }
}

fn too_large() -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body is larger than {MAX_BODY} bytes"),
    )
}

/// The shared shape of the AdmissionReview endpoints.
async fn admission<F, Fut>(
    state: Arc<AppState>,
    req: Request,
    endpoint: &'static str,
    decide: F,
) -> Response
where
    F: FnOnce(Arc<AppState>, String, review::AdmissionRequest) -> Fut,
    Fut: Future<Output = (AdmissionResponse, &'static str, Vec<&'static str>)>,
{
    let start = Instant::now();
    let bytes = match body(&state, req).await {
        Ok(b) => b,
        Err(r) => {
            state
                .metrics
                .review(endpoint, "bad-request", start.elapsed(), &[]);
            return r;
        }
    };
    let (uid, request) = match review::parse_admission(&bytes) {
        Ok(x) => x,
        Err(e) => {
            state
                .metrics
                .review(endpoint, "bad-request", start.elapsed(), &[]);
            return error(StatusCode::BAD_REQUEST, e.to_string());
        }
    };
    let (response, result, denied_by) = decide(Arc::clone(&state), uid, request).await;
    let out = json_response(&AdmissionReviewResponse::new(response));
    state
        .metrics
        .review(endpoint, result, start.elapsed(), &denied_by);
    out
}

fn result_of(r: &AdmissionResponse) -> &'static str {
    match (r.allowed, r.status.as_ref().map(|s| s.code)) {
        (true, _) if r.patch.is_some() => "patched",
        (true, _) if !r.warnings.is_empty() => "warned",
        (true, _) => "allowed",
        (false, Some(400)) => "invalid",
        (false, _) => "denied",
    }
}

async fn validate(State(state): State<Arc<AppState>>, req: Request) -> Response {
    admission(state, req, "validate", |state, uid, request| async move {
        if request.operation == "CONNECT" {
            let v = state.guard.review(&uid, &request).await;
            let denied = if v.response.allowed {
                vec![]
            } else {
                vec!["exec-guard"]
            };
            return (v.response, v.outcome, denied);
        }
        let v = state.policy().validate(&uid, request);
        let result = result_of(&v.response);
        (v.response, result, v.denied_by)
    })
    .await
}

async fn mutate(State(state): State<Arc<AppState>>, req: Request) -> Response {
    admission(state, req, "mutate", |state, uid, request| async move {
        let v = state.policy().mutate(&uid, request);
        let result = result_of(&v.response);
        (v.response, result, v.denied_by)
    })
    .await
}

async fn exec(State(state): State<Arc<AppState>>, req: Request) -> Response {
    admission(state, req, "exec", |state, uid, request| async move {
        if !state.policy().config.exec_guard.enabled {
            return (AdmissionResponse::allow(&uid), "disabled", vec![]);
        }
        let v = state.guard.review(&uid, &request).await;
        let denied = if v.response.allowed {
            vec![]
        } else {
            vec!["exec-guard"]
        };
        (v.response, v.outcome, denied)
    })
    .await
}

async fn image_policy(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let start = Instant::now();
    let bytes = match body(&state, req).await {
        Ok(b) => b,
        Err(r) => {
            state
                .metrics
                .review("imagepolicy", "bad-request", start.elapsed(), &[]);
            return r;
        }
    };
    let spec = match review::parse_image_review(&bytes) {
        Ok(s) => s,
        Err(e) => {
            state
                .metrics
                .review("imagepolicy", "bad-request", start.elapsed(), &[]);
            return error(StatusCode::BAD_REQUEST, e.to_string());
        }
    };
    let (status, denied_by) = state.policy().image_review(&spec);
    let result = if status.allowed { "allowed" } else { "denied" };
    let out = json_response(&ImageReviewResponse {
        api_version: IMAGE_POLICY_API_VERSION,
        kind: "ImageReview",
        status,
    });
    state
        .metrics
        .review("imagepolicy", result, start.elapsed(), &denied_by);
    out
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if state.ready.load(Ordering::SeqCst) {
        "ok".into_response()
    } else {
        error(StatusCode::SERVICE_UNAVAILABLE, "shutting down".to_owned())
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        Body::from(state.metrics.render()),
    )
        .into_response()
}

/// Bounds open connections: a connection over the limit is closed at once (before the TLS
/// handshake), and a slot is freed when its connection closes.
#[derive(Clone)]
struct LimitAcceptor {
    slots: Arc<Semaphore>,
}

impl<S: Send + 'static> Accept<TcpStream, S> for LimitAcceptor {
    type Stream = Limited;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Limited, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        std::future::ready(match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(permit) => {
                let _ = stream.set_nodelay(true);
                Ok((
                    Limited {
                        stream,
                        _permit: permit,
                    },
                    service,
                ))
            }
            Err(_) => Err(io::Error::other("too many open connections")),
        })
    }
}

/// A connection holding one slot of the limit.
struct Limited {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Limited {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Limited {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
