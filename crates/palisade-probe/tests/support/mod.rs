//! Fake services for the probe's tests, on loopback addresses only (127.0.0.N: Linux routes all
//! of 127/8 to `lo`) and on ports the kernel picks, so the tests depend on nothing else listening
//! on the machine: HTTPS and plain HTTP servers answering fixed routes, a TLS server that demands
//! client certificates, an SSH banner, a silent listener, a listener whose backlog is full, and
//! closed ports.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr, TcpListener as StdListener};
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncWriteExt;

pub fn ip(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

fn bind(ip: IpAddr) -> StdListener {
    bind_at(SocketAddr::new(ip, 0))
}

fn bind_at(addr: SocketAddr) -> StdListener {
    let l = StdListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
    l.set_nonblocking(true).unwrap();
    l
}

/// A server certificate for `ip`, signed by a fresh CA; and the CA.
struct Pki {
    ca: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = params.self_signed(&ca_key).unwrap();
    Pki {
        ca: ca.der().clone(),
        issuer: Issuer::new(params, ca_key),
    }
}

fn leaf(pki: &Pki, name: &str) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .signed_by(&key, &pki.issuer)
        .unwrap();
    (
        cert.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Serves `router` over HTTPS on `ip` (a port the kernel picks). With `require_client_cert`,
/// the handshake demands a certificate of a CA no client has.
pub fn https(ip: IpAddr, router: Router, require_client_cert: bool) -> SocketAddr {
    https_versions(
        ip,
        router,
        require_client_cert,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
    )
}

pub fn https_versions(
    ip: IpAddr,
    router: Router,
    require_client_cert: bool,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> SocketAddr {
    https_on(
        SocketAddr::new(ip, 0),
        router,
        require_client_cert,
        versions,
    )
}

/// [`https_versions`] on a given address (port 0: the kernel picks).
pub fn https_on(
    at: SocketAddr,
    router: Router,
    require_client_cert: bool,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> SocketAddr {
    let ip = at.ip();
    let pki = pki();
    let (cert, key) = leaf(&pki, &ip.to_string());
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap();
    let builder = if require_client_cert {
        let clients = self::pki();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(clients.ca.clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider(),
        )
        .build()
        .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder.with_single_cert(vec![cert], key).unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let listener = bind_at(at);
    let addr = listener.local_addr().unwrap();
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config)),
    )
    .unwrap();
    tokio::spawn(async move {
        let _ = server.serve(router.into_make_service()).await;
    });
    addr
}

/// Serves `router` over plain HTTP on `ip`.
pub fn http(ip: IpAddr, router: Router) -> SocketAddr {
    http_on(SocketAddr::new(ip, 0), router)
}

/// [`http`] on a given address.
pub fn http_on(at: SocketAddr, router: Router) -> SocketAddr {
    let listener = bind_at(at);
    let addr = listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// Sends an SSH banner to every connection.
pub fn ssh(ip: IpAddr) -> SocketAddr {
    ssh_on(SocketAddr::new(ip, 0))
}

/// [`ssh`] on a given address.
pub fn ssh_on(at: SocketAddr) -> SocketAddr {
    let listener = tokio::net::TcpListener::from_std(bind_at(at)).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = s
                    .write_all(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")
                    .await;
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            });
        }
    });
    addr
}

/// Accepts connections and never says anything.
pub fn silent(ip: IpAddr) -> SocketAddr {
    silent_on(SocketAddr::new(ip, 0))
}

/// [`silent`] on a given address.
pub fn silent_on(at: SocketAddr) -> SocketAddr {
    let listener = tokio::net::TcpListener::from_std(bind_at(at)).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    addr
}

/// A listener that never accepts, its backlog filled: further connects get no answer (the
/// kernel drops their SYNs), as behind a firewall that drops packets. The returned guard keeps
/// it so.
pub fn full_backlog(
    ip: IpAddr,
) -> (
    SocketAddr,
    Vec<std::net::TcpStream>,
    tokio::net::TcpListener,
) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(ip, 0)).unwrap();
    let addr = socket.local_addr().unwrap();
    let listener = socket.listen(0).unwrap();
    let mut fill = Vec::new();
    for _ in 0..2 {
        let s = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(200));
        if let Ok(s) = s {
            fill.push(s);
        }
    }
    (addr, fill, listener)
}

/// A port on `ip` where nothing listens (bound, then released).
pub fn closed(ip: IpAddr) -> SocketAddr {
    bind(ip).local_addr().unwrap()
}

fn json(body: &'static str) -> impl IntoResponse {
    ([("content-type", "application/json")], body)
}

/// A kubelet that serves everything anonymously.
pub fn kubelet_anonymous() -> Router {
    Router::new()
        .route(
            "/pods",
            get(|| async { json(r#"{"kind":"PodList","apiVersion":"v1","items":[]}"#) }),
        )
        .route(
            "/runningpods/",
            get(|| async { json(r#"{"kind":"PodList","apiVersion":"v1","items":[]}"#) }),
        )
        .route(
            "/configz",
            get(|| async { json(r#"{"kubeletconfig":{"readOnlyPort":10255}}"#) }),
        )
        .route(
            "/metrics",
            get(|| async { "# HELP kubelet_running_pods Number of pods\n" }),
        )
}

/// A kubelet with authentication on: 401 for everything.
pub fn kubelet_authenticated() -> Router {
    Router::new().fallback(|| async { (StatusCode::UNAUTHORIZED, "Unauthorized") })
}

/// An API server: `/version` and `/healthz` to everyone, namespaces to nobody (403) or
/// everybody.
pub fn apiserver(namespaces_open: bool) -> Router {
    let r = Router::new()
        .route(
            "/version",
            get(|| async { json(r#"{"major":"1","minor":"31","gitVersion":"v1.31.2"}"#) }),
        )
        .route("/healthz", get(|| async { "ok" }));
    if namespaces_open {
        r.route(
            "/api/v1/namespaces",
            get(|| async { json(r#"{"kind":"NamespaceList","apiVersion":"v1","items":[]}"#) }),
        )
    } else {
        r.route(
            "/api/v1/namespaces",
            get(|| async {
                (
                    StatusCode::FORBIDDEN,
                    json(r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\"","code":403}"#),
                )
            }),
        )
    }
}

/// etcd's client port.
pub fn etcd() -> Router {
    Router::new()
        .route(
            "/version",
            get(|| async { json(r#"{"etcdserver":"3.5.9","etcdcluster":"3.5.0"}"#) }),
        )
        .route(
            "/health",
            get(|| async { json(r#"{"health":"true","reason":""}"#) }),
        )
}

/// One route answering `body`.
pub fn route(path: &'static str, status: StatusCode, body: &'static str) -> Router {
    Router::new().route(path, get(move || async move { (status, body) }))
}

/// The Dashboard's index page.
pub fn dashboard() -> Router {
    route(
        "/",
        StatusCode::OK,
        "<!doctype html><html><head><title>Kubernetes Dashboard</title></head><body><kd-root></kd-root></body></html>",
    )
}

/// A plain HTTP server that, like Go's, waits for a whole request head before answering: a TLS
/// ClientHello gets no answer at all (not even a 400). Every request gets `body` with 200.
pub fn patient_http(ip: IpAddr, body: &'static str) -> SocketAddr {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::from_std(bind(ip)).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(response.as_bytes()).await;
            });
        }
    });
    addr
}

/// Accepts connections and closes them at once.
pub fn closer(ip: IpAddr) -> SocketAddr {
    let listener = tokio::net::TcpListener::from_std(bind(ip)).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            drop(s);
        }
    });
    addr
}
