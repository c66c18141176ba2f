//! Connecting and listing: kubeconfig or in-cluster config, paginated lists with bounded
//! concurrency, retries on API priority-and-fairness throttling, and 403s recorded as "not
//! readable" rather than failing the run. Read-only: only `get`/`list` requests are ever sent, and
//! Secrets are listed as metadata only.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use palisade_core::{KubeVersion, Object};

use crate::convert;
use crate::resources::{Resource, RESOURCES};

/// How to reach and read the cluster.
#[derive(Clone, Debug)]
pub struct Options {
    /// Kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`, then in-cluster config).
    pub kubeconfig: Option<PathBuf>,
    /// Context of the kubeconfig (default: its current context).
    pub context: Option<String>,
    /// Read one namespace only (default: all).
    pub namespace: Option<String>,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// Items per page of a list.
    pub page_size: u32,
    /// Lists in flight at once.
    pub concurrency: usize,
    /// Attempts for one request when the server throttles (429), fails (5xx) or the connection
    /// breaks or times out (never when TLS refuses the server's certificate: that is no accident).
    /// A list still failing after them is recorded as unreadable (its rules NOT EVALUATED) and the
    /// audit goes on with the other resources.
    pub attempts: u32,
    /// First back-off delay; doubled on each retry.
    pub backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kubeconfig: None,
            context: None,
            namespace: None,
            request_timeout: Duration::from_secs(30),
            page_size: 500,
            concurrency: 4,
            attempts: 5,
            backoff: Duration::from_millis(250),
        }
    }
}

/// Why the cluster could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot load the kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("cannot connect to the API server at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the API server refused the credentials ({0}); is the token expired?")]
    Unauthorized(String),
    #[error("reading {resource} failed: {reason}")]
    List { resource: String, reason: String },
}

/// A resource that could not be read, and why (rules that need it are "not evaluated").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// `plural.group`, e.g. `secrets` or `clusterroles.rbac.authorization.k8s.io`.
    pub resource: String,
    pub reason: String,
}

/// What was read.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The server's `gitVersion`, e.g. `v1.31.2-eks-7f9249a`.
    pub server_version: String,
    /// Its Kubernetes minor version, which version-aware rules use.
    pub version: Option<KubeVersion>,
    pub objects: Vec<Object>,
    /// Objects left out because a workload we also read controls them (a Deployment's
    /// ReplicaSets and pods): reporting them would repeat every finding of their owner.
    pub controlled_skipped: usize,
    pub unreadable: Vec<Unreadable>,
    /// The namespace the read was limited to (`--namespace`), if any.
    pub namespace: Option<String>,
    /// Each node's kubelet configuration as `/api/v1/nodes/NAME/proxy/configz` answered it, or
    /// why it could not be read (403 without `get` on `nodes/proxy`).
    pub configz: Vec<(String, Result<String, String>)>,
    /// The unauthenticated probe of the API server, when it was made.
    pub anonymous: Option<AnonymousProbe>,
}

impl Inventory {
    /// Whether kube-system's pods (where the control plane's mirror pods are) were read.
    pub fn kube_system_read(&self) -> Result<(), String> {
        if let Some(ns) = self.namespace.as_deref().filter(|ns| *ns != "kube-system") {
            return Err(format!(
                "the read was limited to namespace {ns}: kube-system's control-plane pods were not read"
            ));
        }
        if let Some(u) = self.unreadable.iter().find(|u| u.resource == "pods") {
            return Err(format!("cannot read pods: {}", u.reason));
        }
        Ok(())
    }
}

/// A connected client and the name findings use for the cluster.
pub struct Connection {
    pub client: Client,
    /// The configuration the client was built from (the anonymous probe reuses it without
    /// credentials).
    pub config: Config,
    /// The kubeconfig context, or `in-cluster`.
    pub source: Arc<str>,
    pub url: String,
}

/// Connects with the kubeconfig (or in-cluster config) the options name.
pub async fn connect(opts: &Options) -> Result<Connection, ClusterError> {
    let (mut config, source) = match &opts.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .map_err(|e| ClusterError::Kubeconfig(format!("{}: {e}", path.display())))?;
            let name = opts
                .context
                .clone()
                .or_else(|| kc.current_context.clone())
                .unwrap_or_else(|| "default".into());
            let options = KubeConfigOptions {
                context: opts.context.clone(),
                ..KubeConfigOptions::default()
            };
            let config = Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| ClusterError::Kubeconfig(e.to_string()))?;
            (config, name)
        }
        None if opts.context.is_some() => {
            let options = KubeConfigOptions {
                context: opts.context.clone(),
                ..KubeConfigOptions::default()
            };
            let config = Config::from_kubeconfig(&options)
                .await
                .map_err(|e| ClusterError::Kubeconfig(e.to_string()))?;
            (config, opts.context.clone().unwrap_or_default())
        }
        None => {
            let config = Config::infer()
                .await
                .map_err(|e| ClusterError::Kubeconfig(e.to_string()))?;
            (config, "cluster".to_owned())
        }
    };
    config.read_timeout = Some(opts.request_timeout);
    config.connect_timeout = Some(opts.request_timeout);
    let url = config.cluster_url.to_string();
    let client = crate::tls::client(&config).map_err(|e| ClusterError::Connect {
        url: url.clone(),
        reason: e.to_string(),
    })?;
    Ok(Connection {
        client,
        config,
        source: Arc::from(source),
        url,
    })
}

/// Reads every resource Palisade needs. `progress` is called with each resource as it finishes.
pub async fn read(
    conn: &Connection,
    opts: &Options,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Inventory, ClusterError> {
    // The first request: a server that cannot be reached at all (wrong address, filtered port)
    // is reported at once, not after every attempt has timed out. Statuses are retried.
    let answered = |e: &kube::Error| matches!(e, kube::Error::Api(_)) && retryable(e);
    let info = with_retries_if(opts, answered, || conn.client.apiserver_version())
        .await
        .map_err(|e| classify(&conn.url, "the server version", e))?;
    let version = format!("{}.{}", info.major, info.minor)
        .parse()
        .ok()
        .or_else(|| version_of(&info.git_version));
    let mut inventory = Inventory {
        server_version: info.git_version.clone(),
        version,
        namespace: opts.namespace.clone(),
        ..Inventory::default()
    };
    let wanted: Vec<&Resource> = RESOURCES.iter().filter(|r| r.served_at(version)).collect();
    let results: Vec<(&Resource, Result<Vec<serde_json::Value>, ListFailure>)> =
        stream::iter(wanted)
            .map(|r| async move {
                let out = list_all(conn, opts, r).await;
                progress(&r.name());
                (r, out)
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
    let mut items: Vec<serde_json::Value> = Vec::new();
    let mut by_order: Vec<_> = results;
    // Keep a stable order (the table's), whatever order the lists finished in.
    by_order.sort_by_key(|(r, _)| RESOURCES.iter().position(|x| x == *r));
    let mut listed = 0;
    let mut failed: Vec<(&Resource, kube::Error)> = Vec::new();
    for (r, result) in by_order {
        match result {
            Ok(list) => {
                listed += 1;
                items.extend(list);
            }
            Err(ListFailure::Forbidden(reason)) => inventory.unreadable.push(Unreadable {
                resource: r.name(),
                reason,
            }),
            // A list that broke, even after its retries, costs that resource (its rules are NOT
            // EVALUATED, what it gave before breaking is dropped: half a list would make
            // cross-object rules speak of objects as missing), not the audit.
            Err(ListFailure::Fatal(e)) => {
                inventory.unreadable.push(Unreadable {
                    resource: r.name(),
                    reason: list_failure(opts, &e),
                });
                failed.push((r, e));
            }
        }
    }
    // Except when the credentials were refused (every request will be), or nothing could be
    // listed at all: there is no audit to report then, only the error.
    let fatal = failed
        .iter()
        .position(|(_, e)| matches!(e, kube::Error::Api(s) if s.code == 401))
        .or((listed == 0 && !failed.is_empty()).then_some(0));
    if let Some(i) = fatal {
        let (r, e) = failed.swap_remove(i);
        return Err(classify(&conn.url, &r.name(), e));
    }
    let owners = owner_kinds();
    for item in &items {
        if is_controlled(item, &owners) {
            inventory.controlled_skipped += 1;
            continue;
        }
        inventory.objects.push(convert::object(&conn.source, item));
    }
    let nodes: Vec<String> = inventory
        .objects
        .iter()
        .filter(|o| o.kind() == "Node")
        .filter_map(|o| o.name().map(str::to_owned))
        .collect();
    inventory.configz = read_configz(conn, opts, &nodes).await;
    Ok(inventory)
}

/// Asks each node's kubelet for its configuration through the API server's node proxy
/// (`GET /api/v1/nodes/NAME/proxy/configz`, needs `get` on `nodes/proxy`). A 403 on the first
/// node is taken for all: RBAC grants `nodes/proxy` cluster-wide or not at all in practice, and
/// a thousand refused requests tell nothing more.
pub async fn read_configz(
    conn: &Connection,
    opts: &Options,
    nodes: &[String],
) -> Vec<(String, Result<String, String>)> {
    // A kubelet that is down answers 503 through the proxy: one retry, not the list's five
    // (a cluster with many unreachable nodes would otherwise wait seconds per node).
    let opts = &Options {
        attempts: opts.attempts.min(2),
        ..opts.clone()
    };
    let get = |name: String| async move {
        let path = format!("/api/v1/nodes/{name}/proxy/configz");
        let call = || {
            let request = http::Request::get(&path).body(Vec::new());
            async move {
                match request {
                    Ok(r) => conn.client.request_text(r).await,
                    Err(e) => Err(kube::Error::HttpError(e)),
                }
            }
        };
        let result = match with_retries(opts, call).await {
            Ok(text) => Ok(text),
            Err(kube::Error::Api(s)) if s.code == 403 => Err(format!(
                "forbidden: GET {path} needs `get` on nodes/proxy (deploy/nodes-proxy-opt-in.yaml)"
            )),
            Err(kube::Error::Api(s)) => Err(format!("GET {path}: HTTP {}: {}", s.code, s.message)),
            Err(e) => Err(format!("GET {path}: {e}")),
        };
        (name, result)
    };
    let Some((first, rest)) = nodes.split_first() else {
        return Vec::new();
    };
    let first = get(first.clone()).await;
    if let Err(why) = &first.1 {
        if why.starts_with("forbidden") {
            let mut out = vec![first.clone()];
            out.extend(rest.iter().map(|n| (n.clone(), Err(why.clone()))));
            return out;
        }
    }
    let mut out = vec![first];
    let more: Vec<_> = stream::iter(rest.iter().cloned())
        .map(get)
        // Small answers, each from a different kubelet: more in flight than for lists.
        .buffered(opts.concurrency.max(1) * 4)
        .collect()
        .await;
    out.extend(more);
    out
}

/// The Kubernetes version in a server's `gitVersion` (`v1.31.2-eks-7f9249a`).
pub fn version_of(git_version: &str) -> Option<KubeVersion> {
    git_version.parse().ok()
}

/// Why one resource could not be listed.
enum ListFailure {
    /// 403 (or 404: the resource is not served): recorded, the run goes on.
    Forbidden(String),
    Fatal(kube::Error),
}

/// Lists every page of one resource, filling in `apiVersion`/`kind` (typed lists omit them on
/// items).
async fn list_all(
    conn: &Connection,
    opts: &Options,
    r: &Resource,
) -> Result<Vec<serde_json::Value>, ListFailure> {
    let ar = ApiResource {
        group: r.group.to_owned(),
        version: r.version.to_owned(),
        api_version: r.api_version(),
        kind: r.kind.to_owned(),
        plural: r.plural.to_owned(),
    };
    let api: Api<DynamicObject> = match (&opts.namespace, r.namespaced) {
        (Some(ns), true) => Api::namespaced_with(conn.client.clone(), ns, &ar),
        _ => Api::all_with(conn.client.clone(), &ar),
    };
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(opts.page_size);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let (page, next) = if r.metadata_only {
            let list = with_retries(opts, || api.list_metadata(&lp))
                .await
                .map_err(failure)?;
            let next = list.metadata.continue_.clone();
            let items = list
                .items
                .into_iter()
                .map(|m| {
                    // Only the metadata and the type: a Secret's `type` is not in its metadata,
                    // and never will its data be read.
                    serde_json::json!({"metadata": m.metadata})
                })
                .collect::<Vec<_>>();
            (items, next)
        } else {
            let list = with_retries(opts, || api.list(&lp))
                .await
                .map_err(failure)?;
            let next = list.metadata.continue_.clone();
            let items = list
                .items
                .into_iter()
                .map(|o| serde_json::to_value(o).unwrap_or_default())
                .collect::<Vec<_>>();
            (items, next)
        };
        for mut item in page {
            if let Some(map) = item.as_object_mut() {
                map.insert("apiVersion".into(), r.api_version().into());
                map.insert("kind".into(), r.kind.into());
            }
            out.push(item);
        }
        match next.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

fn failure(e: kube::Error) -> ListFailure {
    match &e {
        kube::Error::Api(s) if s.code == 403 => ListFailure::Forbidden(format!(
            "forbidden: {}",
            if s.message.is_empty() {
                &s.reason
            } else {
                &s.message
            }
        )),
        kube::Error::Api(s) if s.code == 404 => {
            ListFailure::Forbidden("not served by this API server".to_owned())
        }
        _ => ListFailure::Fatal(e),
    }
}

/// Runs `call` until it succeeds, is refused for good, or the attempts run out. Throttling (429),
/// server errors (5xx) and broken connections back off exponentially.
async fn with_retries<T, F, Fut>(opts: &Options, call: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    with_retries_if(opts, retryable, call).await
}

/// [`with_retries`], retrying only the failures `retry` accepts.
async fn with_retries_if<T, F, Fut>(
    opts: &Options,
    retry: impl Fn(&kube::Error) -> bool,
    mut call: F,
) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let mut delay = opts.backoff;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if retry(&e) && attempt < opts.attempts => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Whether a failed request may succeed when sent again: throttled (429), a server error (5xx),
/// or a connection that broke or timed out. A TLS refusal (the server's certificate is not
/// trusted) is not retried: it will not change, and retrying only delays the error.
fn retryable(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 429 || s.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => !is_tls_refusal(e),
        _ => false,
    }
}

/// Whether rustls is somewhere in the error's causes (inside an `io::Error`, as hyper-rustls
/// passes it on).
fn is_tls_refusal(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        let inner = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        if err.is::<rustls::Error>() || inner.is_some_and(|i| i.is::<rustls::Error>()) {
            return true;
        }
        next = err.source();
    }
    false
}

/// Why a list failed for good, for the NOT EVALUATED entries of its rules.
fn list_failure(opts: &Options, e: &kube::Error) -> String {
    let what = match e {
        kube::Error::Api(s) => format!("HTTP {}: {}", s.code, s.message),
        other => causes(other),
    };
    if retryable(e) && opts.attempts > 1 {
        format!("{what} (still failing after {} attempts)", opts.attempts)
    } else {
        what
    }
}

fn classify(url: &str, what: &str, e: kube::Error) -> ClusterError {
    match e {
        kube::Error::Api(s) if s.code == 401 => ClusterError::Unauthorized(s.message),
        kube::Error::Api(s) => ClusterError::List {
            resource: what.to_owned(),
            reason: format!("HTTP {}: {}", s.code, s.message),
        },
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => ClusterError::Connect {
            url: url.to_owned(),
            reason: causes(&e),
        },
        other => ClusterError::List {
            resource: what.to_owned(),
            reason: other.to_string(),
        },
    }
}

/// An error and its causes, `: `-separated, each said once: hyper's own message is only
/// `client error (Connect)`, the reason (`invalid peer certificate: certificate expired`,
/// `Connection refused`) is further down the chain.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

/// Kinds whose controlled objects are skipped: the workloads Palisade reads itself.
fn owner_kinds() -> Vec<&'static str> {
    vec![
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "ReplicationController",
    ]
}

fn is_controlled(item: &serde_json::Value, owners: &[&str]) -> bool {
    item.pointer("/metadata/ownerReferences")
        .and_then(|v| v.as_array())
        .is_some_and(|refs| {
            refs.iter().any(|r| {
                r.get("controller").and_then(|c| c.as_bool()) == Some(true)
                    && r.get("kind")
                        .and_then(|k| k.as_str())
                        .is_some_and(|k| owners.contains(&k))
            })
        })
}

/// What an unauthenticated client may do on the API server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// 2xx: served to anyone.
    Allowed,
    /// 403: anonymous requests are authenticated as `system:anonymous`, RBAC refused this one.
    Forbidden,
    /// 401: anonymous authentication is off.
    Unauthenticated,
    /// Anything else (network error, other status), with what happened.
    Unknown(String),
}

/// The answers to two unauthenticated requests: `GET /version` (which `system:public-info-viewer`
/// serves to anonymous users when anonymous auth is on) and `GET /api/v1/namespaces` (which no
/// anonymous user should get).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnonymousProbe {
    pub version: Access,
    pub namespaces: Access,
}

/// Sends the two requests without credentials (the same server, CA and timeouts). Read-only.
pub async fn probe_anonymous(conn: &Connection) -> AnonymousProbe {
    let mut config = conn.config.clone();
    config.auth_info = kube::config::AuthInfo::default();
    let Ok(client) = crate::tls::client(&config) else {
        let unknown = Access::Unknown("cannot build an unauthenticated client".into());
        return AnonymousProbe {
            version: unknown.clone(),
            namespaces: unknown,
        };
    };
    let get = |path: &'static str| {
        let client = client.clone();
        async move {
            let request = match http::Request::get(path).body(Vec::new()) {
                Ok(r) => r,
                Err(e) => return Access::Unknown(e.to_string()),
            };
            match client.request_text(request).await {
                Ok(_) => Access::Allowed,
                Err(kube::Error::Api(s)) if s.code == 401 => Access::Unauthenticated,
                Err(kube::Error::Api(s)) if s.code == 403 => Access::Forbidden,
                Err(e) => Access::Unknown(e.to_string()),
            }
        }
    };
    AnonymousProbe {
        version: get("/version").await,
        namespaces: get("/api/v1/namespaces?limit=1").await,
    }
}

/// One address of a Node, from its `status.addresses`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeAddress {
    /// The Node's name.
    pub node: String,
    /// `InternalIP` or `ExternalIP`.
    pub kind: String,
    pub address: String,
}

/// The `InternalIP` and `ExternalIP` addresses of every Node (for `palisade probe
/// --from-cluster`). Read-only: one paginated `list nodes`.
pub async fn node_addresses(
    conn: &Connection,
    opts: &Options,
) -> Result<Vec<NodeAddress>, ClusterError> {
    let nodes = RESOURCES
        .iter()
        .find(|r| r.kind == "Node" && r.group.is_empty())
        .expect("nodes are in the resource table");
    let items = list_all(conn, opts, nodes).await.map_err(|f| match f {
        ListFailure::Forbidden(reason) => ClusterError::List {
            resource: nodes.name(),
            reason,
        },
        ListFailure::Fatal(e) => classify(&conn.url, &nodes.name(), e),
    })?;
    let mut out = Vec::new();
    for item in &items {
        let name = item
            .pointer("/metadata/name")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let addresses = item.pointer("/status/addresses").and_then(|v| v.as_array());
        for a in addresses.into_iter().flatten() {
            let kind = a.get("type").and_then(|v| v.as_str()).unwrap_or_default();
            let address = a
                .get("address")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if matches!(kind, "InternalIP" | "ExternalIP") && !address.is_empty() {
                out.push(NodeAddress {
                    node: name.to_owned(),
                    kind: kind.to_owned(),
                    address: address.to_owned(),
                });
            }
        }
    }
    Ok(out)
}

/// Every Service of the cluster (for `palisade probe --from-cluster --nodeports`, which names
/// the Service behind each node port that answers). Read-only: one paginated `list services`.
pub async fn services(conn: &Connection, opts: &Options) -> Result<Vec<Object>, ClusterError> {
    let services = RESOURCES
        .iter()
        .find(|r| r.kind == "Service" && r.group.is_empty())
        .expect("services are in the resource table");
    let items = list_all(conn, opts, services).await.map_err(|f| match f {
        ListFailure::Forbidden(reason) => ClusterError::List {
            resource: services.name(),
            reason,
        },
        ListFailure::Fatal(e) => classify(&conn.url, &services.name(), e),
    })?;
    let source: Arc<str> = Arc::from(conn.url.as_str());
    Ok(items
        .iter()
        .map(|v| crate::convert::object(&source, v))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_connections_are_retried_tls_refusals_are_not() {
        let refused = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
        );
        let tls = kube::Error::Service(Box::new(refused));
        assert!(!retryable(&tls));
        let cut = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "peer closed connection without sending TLS close_notify",
        );
        assert!(retryable(&kube::Error::Service(Box::new(cut))));
        let status = |code| {
            kube::Error::Api(
                kube::core::Status::failure("x", "y")
                    .with_code(code)
                    .boxed(),
            )
        };
        assert!(retryable(&status(500)) && retryable(&status(429)));
        assert!(!retryable(&status(400)) && !retryable(&status(401)));
    }
}
