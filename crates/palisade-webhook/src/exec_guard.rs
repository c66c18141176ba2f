//! The exec guard: the guide's DenyEscalatingExec (removed from Kubernetes in 1.21) as a
//! validating webhook for `CONNECT` on `pods/exec` and `pods/attach`.
//!
//! A shell in a privileged pod, or in one that shares the node's PID, IPC or network namespace,
//! is a shell on the node. The request carries only the pod's name, so the pod is read through
//! the API (kube-rs, in-cluster config or a kubeconfig) and kept for a few seconds: a burst of
//! `kubectl exec` into one pod costs one read. When the pod cannot be read the request is denied
//! or allowed as configured (fail closed by default).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use palisade_core::yaml::Node;
use palisade_core::ContainerKind;

use crate::review::{AdmissionRequest, AdmissionResponse, JsonNode};

/// Pods remembered at most (entries are small; the bound stops a flood of distinct names from
/// growing the cache without limit).
const MAX_CACHED: usize = 10_000;

/// Why exec into a pod escalates, empty when it does not.
type Reasons = Vec<String>;

pub struct ExecGuard {
    client: Option<kube::Client>,
    /// Why there is no client (shown when a pod cannot be read).
    unavailable: String,
    fail_closed: AtomicBool,
    /// Cache lifetime in milliseconds.
    ttl_ms: AtomicU64,
    cache: Mutex<HashMap<(String, String), (Instant, Reasons)>>,
}

/// The result of a guard decision.
pub struct GuardVerdict {
    pub response: AdmissionResponse,
    /// "denied", "allowed", "error-denied", "error-allowed".
    pub outcome: &'static str,
}

impl ExecGuard {
    pub fn new(client: Result<kube::Client, String>, fail_closed: bool, ttl: Duration) -> Self {
        let (client, unavailable) = match client {
            Ok(c) => (Some(c), String::new()),
            Err(e) => (None, e),
        };
        ExecGuard {
            client,
            unavailable,
            fail_closed: AtomicBool::new(fail_closed),
            ttl_ms: AtomicU64::new(ttl.as_millis() as u64),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// A new failure mode and TTL (config reload), keeping the client and the cache.
    pub fn configure(&self, fail_closed: bool, ttl: Duration) {
        self.fail_closed.store(fail_closed, Ordering::Relaxed);
        self.ttl_ms.store(ttl.as_millis() as u64, Ordering::Relaxed);
    }

    pub async fn review(&self, uid: &str, req: &AdmissionRequest) -> GuardVerdict {
        let guarded = req.operation == "CONNECT"
            && req.resource.resource == "pods"
            && matches!(req.sub_resource.as_str(), "exec" | "attach");
        if !guarded || req.name.is_empty() {
            return GuardVerdict {
                response: AdmissionResponse::allow(uid),
                outcome: "allowed",
            };
        }
        let ttl = Duration::from_millis(self.ttl_ms.load(Ordering::Relaxed));
        let key = (req.namespace.clone(), req.name.clone());
        let cached = self
            .cache
            .lock()
            .expect("cache lock")
            .get(&key)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, r)| r.clone());
        let reasons = match cached {
            Some(r) => Ok(Some(r)),
            None => self.fetch(&req.namespace, &req.name).await,
        };
        let what = format!(
            "{} into pod {}/{}",
            req.sub_resource, req.namespace, req.name
        );
        match reasons {
            Ok(Some(reasons)) => {
                {
                    let mut cache = self.cache.lock().expect("cache lock");
                    if cache.len() >= MAX_CACHED {
                        cache.retain(|_, (at, _)| at.elapsed() < ttl);
                        if cache.len() >= MAX_CACHED {
                            cache.clear();
                        }
                    }
                    cache.insert(key, (Instant::now(), reasons.clone()));
                }
                if reasons.is_empty() {
                    GuardVerdict {
                        response: AdmissionResponse::allow(uid),
                        outcome: "allowed",
                    }
                } else {
                    GuardVerdict {
                        response: AdmissionResponse::deny(
                            uid,
                            403,
                            "Forbidden",
                            format!(
                                "Palisade exec guard denied {what}: the pod {}; a shell there \
                                 is a shell on the node (the guide's DenyEscalatingExec)",
                                reasons.join(", ")
                            ),
                        ),
                        outcome: "denied",
                    }
                }
            }
            // The pod does not exist: the API server answers 404 itself.
            Ok(None) => GuardVerdict {
                response: AdmissionResponse::allow(uid),
                outcome: "allowed",
            },
            Err(e) if self.fail_closed.load(Ordering::Relaxed) => GuardVerdict {
                response: AdmissionResponse::deny(
                    uid,
                    503,
                    "ServiceUnavailable",
                    format!(
                        "Palisade exec guard denied {what}: cannot read the pod ({e}), and the \
                         guard fails closed"
                    ),
                ),
                outcome: "error-denied",
            },
            Err(e) => {
                let mut r = AdmissionResponse::allow(uid);
                r.warnings.push(format!(
                    "Palisade exec guard could not read the pod ({e}); allowed because the guard \
                     fails open"
                ));
                GuardVerdict {
                    response: r,
                    outcome: "error-allowed",
                }
            }
        }
    }

    /// Reads the pod; `Ok(None)` when it does not exist.
    async fn fetch(&self, namespace: &str, name: &str) -> Result<Option<Reasons>, String> {
        let Some(client) = &self.client else {
            return Err(self.unavailable.clone());
        };
        let path = format!(
            "/api/v1/namespaces/{}/pods/{}",
            url_segment(namespace),
            url_segment(name)
        );
        let request = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| e.to_string())?;
        match client.request::<JsonNode>(request).await {
            Ok(pod) => Ok(Some(escalations(&pod.0))),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Everything but unreserved characters (RFC 3986): what a URL path segment may hold as is.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment (names are DNS labels, but the request is not ours to trust).
fn url_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// What makes a shell in this pod a shell on the node.
pub fn escalations(pod: &Node) -> Reasons {
    let mut reasons = Vec::new();
    let Some(spec) = pod.get("spec") else {
        return reasons;
    };
    for (field, what) in [
        ("hostPID", "shares the node's PID namespace (hostPID)"),
        ("hostIPC", "shares the node's IPC namespace (hostIPC)"),
        (
            "hostNetwork",
            "shares the node's network namespace (hostNetwork)",
        ),
    ] {
        if spec.get(field).and_then(Node::bool_intent) == Some(true) {
            reasons.push(what.to_owned());
        }
    }
    for kind in ContainerKind::ALL {
        for c in spec.get(kind.field()).map(Node::items).unwrap_or(&[]) {
            if c.path(&["securityContext", "privileged"])
                .and_then(Node::bool_intent)
                == Some(true)
            {
                let name = c.get("name").and_then(Node::as_str).unwrap_or("");
                reasons.push(format!("has privileged container \"{name}\""));
            }
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalating_settings() {
        let pod: JsonNode = serde_json::from_value(serde_json::json!({"spec": {
            "hostPID": true, "hostNetwork": false,
            "initContainers": [{"name": "i", "securityContext": {"privileged": true}}],
            "containers": [{"name": "c"}]}}))
        .unwrap();
        assert_eq!(
            escalations(&pod.0),
            [
                "shares the node's PID namespace (hostPID)",
                "has privileged container \"i\""
            ]
        );
        assert_eq!(url_segment("a/b c"), "a%2Fb%20c");
    }
}
