//! A loopback Kubernetes API server for tests: HTTPS with a CA made at test time, bearer-token
//! auth, `/version`, paginated lists (`limit`/`continue`), PartialObjectMetadata lists, injected
//! 403s and 429s, and server-side apply (`PATCH`) of wg-policy reports, recorded with its body. It serves recorded objects; the client under test is the real kube-rs
//! client, driven through a real kubeconfig.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::{json, Value};

pub const TOKEN: &str = "test-token";

/// What the server serves and how it misbehaves.
#[derive(Default)]
pub struct Spec {
    /// `major.minor` and gitVersion.
    pub version: (String, String, String),
    /// Objects by collection path (`/api/v1/pods`, `/apis/apps/v1/deployments`).
    pub objects: HashMap<String, Vec<Value>>,
    /// Collection paths answering 403.
    pub forbidden: Vec<String>,
    /// Collection paths answering 429 to their first request.
    pub throttle_once: Vec<String>,
    /// Whether requests without credentials are authenticated as `system:anonymous` (else 401).
    pub anonymous_auth: bool,
    /// Paths served to anonymous requests (others: 403) when `anonymous_auth` is on.
    pub anonymous_allowed: Vec<String>,
    /// `/api/v1/nodes/NAME/proxy/configz` answers by node name (the kubelet's configuration).
    pub configz: HashMap<String, Value>,
    /// Whether `nodes/proxy` is refused (403), as without the opt-in role.
    pub configz_forbidden: bool,
    /// Serve a self-signed certificate instead of one signed by a test CA.
    pub self_signed: Option<SelfSigned>,
    /// Collection paths whose first page is served and every later page (`continue=`) fails,
    /// every time: a list that breaks mid-pagination and stays broken.
    pub broken_after_first_page: HashMap<String, Breakage>,
    /// Whether the wgpolicyk8s.io/v1alpha2 CRDs are installed: server-side apply (`PATCH` with
    /// `application/apply-patch+yaml`) of policyreports and clusterpolicyreports is accepted and
    /// recorded; otherwise it answers 404.
    pub policy_reports: bool,
    /// Whether applying policy reports is refused (403), as without the RBAC for it.
    pub policy_reports_forbidden: bool,
}

/// How a broken list fails.
#[derive(Clone, Copy, Debug)]
pub enum Breakage {
    /// `500 Internal Server Error` with a Status body.
    Status500,
    /// The connection is cut in the middle of the answer (headers sent, body short).
    Drop,
}

/// A self-signed API server certificate (a CA certificate itself, as `rcgen` and kubeadm-style
/// tooling make them), given to the client as the kubeconfig's `certificate-authority-data`.
pub struct SelfSigned {
    /// Its subject alternative names.
    pub names: Vec<String>,
    /// Valid only in 2020 (long expired).
    pub expired: bool,
    /// The kubeconfig trusts a different self-signed certificate (same names), not the served one.
    pub kubeconfig_trusts_another: bool,
}

impl Default for SelfSigned {
    fn default() -> Self {
        SelfSigned {
            names: vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
            expired: false,
            kubeconfig_trusts_another: false,
        }
    }
}

/// A self-signed CA certificate for `names` and its key, in PEM.
fn self_signed_ca(names: &[String], expired: bool) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(names.to_vec()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub accept: String,
    pub content_type: String,
    /// The body of a `PATCH`.
    pub body: String,
}

pub struct Server {
    pub addr: SocketAddr,
    pub kubeconfig: PathBuf,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    _dir: tempfile::TempDir,
    handle: axum_server::Handle<SocketAddr>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

struct AppState {
    spec: Spec,
    seen: Arc<Mutex<Vec<Seen>>>,
    throttled: Mutex<Vec<String>>,
}

/// Starts the server on 127.0.0.1 (random port) and writes a kubeconfig for it.
pub async fn start(spec: Spec) -> Server {
    palisade_cluster::install_crypto_provider();
    // (the server's certificate and key, the CA the kubeconfig names)
    let inline_ca = spec.self_signed.is_some();
    let (server_cert_pem, server_key_pem, ca_pem) = match &spec.self_signed {
        None => {
            let ca_key = KeyPair::generate().unwrap();
            let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
            ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let ca_cert = ca_params.self_signed(&ca_key).unwrap();
            let issuer = Issuer::new(ca_params, ca_key);
            let server_key = KeyPair::generate().unwrap();
            let server_params =
                CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                    .unwrap();
            let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
            (server_cert.pem(), server_key.serialize_pem(), ca_cert.pem())
        }
        Some(s) => {
            let (cert, key) = self_signed_ca(&s.names, s.expired);
            let trusted = if s.kubeconfig_trusts_another {
                self_signed_ca(&s.names, s.expired).0
            } else {
                cert.clone()
            };
            (cert, key, trusted)
        }
    };

    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = Arc::new(AppState {
        spec,
        seen: Arc::clone(&seen),
        throttled: Mutex::new(Vec::new()),
    });
    let app = Router::new().fallback(handle).with_state(state);
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        server_cert_pem.into_bytes(),
        server_key_pem.into_bytes(),
    )
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
    std::fs::write(&ca_path, &ca_pem).unwrap();
    // A self-signed server certificate comes inline, as `certificate-authority-data` (how k3s and
    // most generated kubeconfigs carry it); a CA-signed one by file.
    let ca_line = if inline_ca {
        use base64::Engine as _;
        format!(
            "certificate-authority-data: {}",
            base64::engine::general_purpose::STANDARD.encode(&ca_pem)
        )
    } else {
        format!("certificate-authority: {}", ca_path.display())
    };
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster:\n    \
             server: https://127.0.0.1:{}\n    {ca_line}\ncontexts:\n- name: test\n  context:\n    \
             cluster: test\n    user: test\nusers:\n- name: test\n  user:\n    token: {TOKEN}\n",
            addr.port(),
        ),
    )
    .unwrap();
    Server {
        addr,
        kubeconfig,
        seen,
        _dir: dir,
        handle,
    }
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16(),
    });
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn handle(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    req: Request<Body>,
) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let method = req.method().clone();
    let body = if method == axum::http::Method::PATCH {
        let bytes = axum::body::to_bytes(req.into_body(), 16 << 20)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        String::new()
    };
    state.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        accept: accept.clone(),
        content_type: content_type.clone(),
        body: body.clone(),
    });
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"));
    if !authorized {
        if !state.spec.anonymous_auth {
            return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
        }
        if !state.spec.anonymous_allowed.contains(&path) {
            return status(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &format!("User \"system:anonymous\" cannot get path \"{path}\""),
            );
        }
    }
    if method == axum::http::Method::PATCH && path.starts_with("/apis/wgpolicyk8s.io/v1alpha2/") {
        if !state.spec.policy_reports {
            return status(
                StatusCode::NOT_FOUND,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
        if state.spec.policy_reports_forbidden {
            return status(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &format!("user \"test\" cannot patch resource at {path}"),
            );
        }
        if content_type != "application/apply-patch+yaml" {
            return status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                "only server-side apply",
            );
        }
        // The applied object, as the API server would return it (YAML apply bodies that are JSON).
        return match serde_json::from_str::<Value>(&body) {
            Ok(v) => (StatusCode::CREATED, axum::Json(v)).into_response(),
            Err(e) => status(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string()),
        };
    }
    if method != axum::http::Method::GET {
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "read-only test server",
        );
    }
    if path == "/version" {
        let (major, minor, git) = &state.spec.version;
        return axum::Json(
            json!({"major": major, "minor": minor, "gitVersion": git, "platform": "linux/amd64"}),
        )
        .into_response();
    }
    if let Some(node) = path
        .strip_prefix("/api/v1/nodes/")
        .and_then(|p| p.strip_suffix("/proxy/configz"))
    {
        if state.spec.configz_forbidden {
            return status(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &format!("nodes \"{node}\" is forbidden: User \"test\" cannot get resource \"nodes/proxy\""),
            );
        }
        return match state.spec.configz.get(node) {
            Some(v) => axum::Json(v.clone()).into_response(),
            None => status(StatusCode::NOT_FOUND, "NotFound", "no kubelet answers"),
        };
    }
    if state.spec.forbidden.contains(&path) {
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("user \"test\" cannot list resource at {path}"),
        );
    }
    if state.spec.throttle_once.contains(&path) {
        let mut t = state.throttled.lock().unwrap();
        if !t.contains(&path) {
            t.push(path.clone());
            return status(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "slow down",
            );
        }
    }
    if let Some(breakage) = state.spec.broken_after_first_page.get(&path) {
        if query.contains("continue=") {
            return match breakage {
                Breakage::Status500 => status(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "etcdserver: request timed out",
                ),
                // The body breaks after its first bytes: hyper cuts the connection there.
                Breakage::Drop => {
                    let chunks: Vec<Result<&'static str, std::io::Error>> = vec![
                        Ok("{\"kind\":\"List\",\"items\":["),
                        Err(std::io::Error::other("connection cut by the test server")),
                    ];
                    (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "application/json")],
                        Body::from_stream(futures::stream::iter(chunks)),
                    )
                        .into_response()
                }
            };
        }
    }
    let Some(items) = state.spec.objects.get(&path) else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let params: HashMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let limit: usize = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX);
    let start: usize = params
        .get("continue")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let end = start.saturating_add(limit).min(items.len());
    let next = if end < items.len() {
        end.to_string()
    } else {
        String::new()
    };
    let metadata_only = accept.contains("as=PartialObjectMetadataList");
    let page: Vec<Value> = items[start.min(items.len())..end]
        .iter()
        .map(|o| {
            if metadata_only {
                json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o["metadata"]})
            } else {
                // Typed lists omit apiVersion/kind on their items, as the real server does.
                let mut o = o.clone();
                if let Some(m) = o.as_object_mut() {
                    m.remove("apiVersion");
                    m.remove("kind");
                }
                o
            }
        })
        .collect();
    let list_kind = if metadata_only {
        "PartialObjectMetadataList".to_owned()
    } else {
        "List".to_owned()
    };
    axum::Json(json!({
        "apiVersion": if metadata_only { "meta.k8s.io/v1" } else { "v1" },
        "kind": list_kind,
        "metadata": {"resourceVersion": "1", "continue": next},
        "items": page,
    }))
    .into_response()
}

/// The collection path of an object (`/api/v1/pods`, `/apis/apps/v1/deployments`).
pub fn collection(api_version: &str, plural: &str) -> String {
    if api_version.contains('/') {
        format!("/apis/{api_version}/{plural}")
    } else {
        format!("/api/{api_version}/{plural}")
    }
}

/// A spec serving `objects` (YAML documents) at the collections the resource table names.
pub fn spec_from_yaml(version: (&str, &str), yaml: &str) -> Spec {
    let loaded = palisade_core::source::objects_from_str("fixture.yaml", yaml);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut spec = Spec {
        version: (
            version.0.to_owned(),
            version.1.to_owned(),
            format!("v{}.{}.0", version.0, version.1),
        ),
        ..Spec::default()
    };
    for r in palisade_cluster::resources::RESOURCES {
        spec.objects
            .insert(collection(&r.api_version(), r.plural), Vec::new());
    }
    for o in loaded.objects {
        let r = palisade_cluster::resources::RESOURCES
            .iter()
            .find(|r| r.kind == o.kind())
            .unwrap_or_else(|| panic!("no resource for {}", o.kind()));
        spec.objects
            .get_mut(&collection(&r.api_version(), r.plural))
            .unwrap()
            .push(to_json(&o.node));
    }
    spec
}

/// The JSON a manifest's node stands for (what the API server would return).
pub fn to_json(n: &palisade_core::yaml::Node) -> Value {
    use palisade_core::yaml::{ScalarKind, Value as V};
    match &n.value {
        V::Scalar(s) => match s.kind() {
            ScalarKind::Null => Value::Null,
            ScalarKind::Bool(b) => Value::Bool(b),
            ScalarKind::Int(i) => json!(i),
            ScalarKind::Float(f) => json!(f),
            ScalarKind::Str => Value::String(s.text.to_string()),
        },
        V::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        V::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.key.to_string(), to_json(&e.value)))
                .collect(),
        ),
    }
}
