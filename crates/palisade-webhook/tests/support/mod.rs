//! Test harness: a CA and server certificates made at test time, the real webhook server on
//! 127.0.0.1, a small HTTPS client (HTTP/1.1 over tokio-rustls, and HTTP/2 through hyper), and a
//! loopback fake Kubernetes API serving pods for the exec guard.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

pub struct Ca {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn new() -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// (certificate PEM, key PEM) for 127.0.0.1 / localhost.
    pub fn server_cert(&self) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    pub fn connector(&self, alpn: &[&[u8]]) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        let der: Vec<CertificateDer<'static>> = rustls_pemfile_certs(&self.pem);
        for c in der {
            roots.add(c).unwrap();
        }
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(Arc::new(config))
    }
}

fn rustls_pemfile_certs(pem: &str) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .map(|c| c.unwrap())
        .collect()
}

/// A running webhook with its files.
pub struct Webhook {
    pub addr: SocketAddr,
    pub ca: Ca,
    pub dir: tempfile::TempDir,
    pub running: Option<palisade_webhook::Running>,
}

impl Webhook {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        if let Some(r) = &self.running {
            r.shutdown();
        }
    }
}

/// Starts the webhook with `config` (YAML text of a `palisade.yaml`), `tweak` adjusting options.
pub async fn start(config: &str, tweak: impl FnOnce(&mut palisade_webhook::Options)) -> Webhook {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = ca.server_cert();
    std::fs::write(dir.path().join("tls.crt"), cert).unwrap();
    std::fs::write(dir.path().join("tls.key"), key).unwrap();
    std::fs::write(dir.path().join("palisade.yaml"), config).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut opts = palisade_webhook::Options::new(
        addr,
        dir.path().join("tls.crt"),
        dir.path().join("tls.key"),
    );
    opts.config = Some(dir.path().join("palisade.yaml"));
    // No cluster in most tests: a kubeconfig that does not exist makes the guard fail as
    // configured instead of finding the machine's.
    opts.kubeconfig = Some(dir.path().join("no-kubeconfig"));
    opts.reload_interval = Duration::from_millis(100);
    tweak(&mut opts);
    let running = palisade_webhook::start(opts, Some(listener)).await.unwrap();
    Webhook {
        addr,
        ca,
        dir,
        running: Some(running),
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub async fn tls(w: &Webhook) -> tokio_rustls::client::TlsStream<TcpStream> {
    tls_with(&w.ca, w.addr).await
}

pub async fn tls_with(ca: &Ca, addr: SocketAddr) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    ca.connector(&[b"http/1.1"])
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap()
}

/// One HTTP/1.1 request on a new connection.
pub async fn request(w: &Webhook, method: &str, path: &str, body: &[u8]) -> Resp {
    let mut s = tls(w).await;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (413) and close before the whole body is sent.
    let _ = s.write_all(body).await;
    read_response(&mut s).await
}

pub async fn read_response<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> Resp {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw).await;
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Resp {
    let text = String::from_utf8_lossy(raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {text:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        let mut out = Vec::new();
        let mut r = rest;
        loop {
            let (size, after) = r.split_once("\r\n").unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&after.as_bytes()[..n]);
            r = &after[n + 2..];
        }
        out
    } else {
        rest.as_bytes().to_vec()
    };
    Resp { status, body }
}

pub async fn post(w: &Webhook, path: &str, body: &serde_json::Value) -> Resp {
    request(w, "POST", path, body.to_string().as_bytes()).await
}

/// An AdmissionReview for `object`.
pub fn review(uid: &str, op: &str, object: serde_json::Value) -> serde_json::Value {
    let kind = object["kind"].as_str().unwrap_or("").to_owned();
    let api = object["apiVersion"].as_str().unwrap_or("v1").to_owned();
    let (group, version) = api.rsplit_once('/').unwrap_or(("", &api));
    let ns = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("shop")
        .to_owned();
    let name = object["metadata"]["name"].as_str().unwrap_or("").to_owned();
    let resource = format!("{}s", kind.to_ascii_lowercase());
    serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": resource},
            "requestKind": {"group": group, "version": version, "kind": kind},
            "requestResource": {"group": group, "version": version, "resource": resource},
            "name": name,
            "namespace": ns,
            "operation": op,
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": object,
            "oldObject": if op == "UPDATE" { object.clone() } else { serde_json::Value::Null },
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": if op == "UPDATE" { "UpdateOptions" } else { "CreateOptions" }}
        }
    })
}

type ApiState = (
    Arc<HashMap<String, serde_json::Value>>,
    Arc<std::sync::atomic::AtomicUsize>,
);

/// A loopback fake Kubernetes API that serves pods by namespace/name.
pub struct FakeApi {
    pub kubeconfig: PathBuf,
    pub hits: Arc<std::sync::atomic::AtomicUsize>,
    handle: axum_server::Handle<SocketAddr>,
    _dir: tempfile::TempDir,
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

pub async fn fake_api(pods: HashMap<String, serde_json::Value>) -> FakeApi {
    use axum::extract::{Path as AxPath, State};
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    palisade_cluster::install_crypto_provider();
    let ca = Ca::new();
    let (cert, key) = ca.server_cert();
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let state = (Arc::new(pods), Arc::clone(&hits));
    let app = axum::Router::new()
        .route(
            "/api/v1/namespaces/{ns}/pods/{name}",
            axum::routing::get(
                |State((pods, hits)): State<ApiState>,
                 AxPath((ns, name)): AxPath<(String, String)>| async move {
                    hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    match pods.get(&format!("{ns}/{name}")) {
                        Some(p) => (
                            StatusCode::OK,
                            [("content-type", "application/json")],
                            p.to_string(),
                        )
                            .into_response(),
                        None => (
                            StatusCode::NOT_FOUND,
                            [("content-type", "application/json")],
                            serde_json::json!({"kind": "Status", "apiVersion": "v1",
                                "status": "Failure", "reason": "NotFound", "code": 404,
                                "message": format!("pods \"{name}\" not found")})
                            .to_string(),
                        )
                            .into_response(),
                    }
                },
            ),
        )
        .with_state(state);
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(cert.into_bytes(), key.into_bytes())
        .await
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(listener, tls)
        .unwrap()
        .handle(handle.clone());
    tokio::spawn(server.serve(app.into_make_service()));
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.crt");
    std::fs::write(&ca_path, &ca.pem).unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    write_kubeconfig(&kubeconfig, addr, &ca_path);
    FakeApi {
        kubeconfig,
        hits,
        handle,
        _dir: dir,
    }
}

pub fn write_kubeconfig(path: &Path, addr: SocketAddr, ca: &Path) {
    std::fs::write(
        path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster:\n    \
             server: https://127.0.0.1:{}\n    certificate-authority: {}\ncontexts:\n- name: test\n  context:\n    \
             cluster: test\n    user: test\nusers:\n- name: test\n  user:\n    token: t\n",
            addr.port(),
            ca.display()
        ),
    )
    .unwrap();
}
