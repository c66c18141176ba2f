//! Writes wg-policy reports (`PolicyReport` per namespace, `ClusterPolicyReport`) into the
//! cluster with server-side apply: `PATCH` with `application/apply-patch+yaml`, field manager
//! `palisade`, forced (Palisade owns these objects; another manager's edits are taken over). The
//! only write Palisade ever makes; RBAC for it (`create` and `patch` on the two resources: the
//! API server authorizes an apply that creates the object as `create`) is the opt-in component
//! `deploy/components/policy-reports`.

use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use kube::Api;
use serde_json::Value;

use crate::read::Connection;

/// The field manager of every apply.
pub const FIELD_MANAGER: &str = "palisade";

/// A report the API server did not take.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {kind} {name}: {reason}")]
pub struct WriteError {
    pub kind: String,
    /// `namespace/name` or `name`.
    pub name: String,
    pub reason: String,
}

fn resource(kind: &str) -> ApiResource {
    let plural = if kind == "ClusterPolicyReport" {
        "clusterpolicyreports"
    } else {
        "policyreports"
    };
    ApiResource {
        group: "wgpolicyk8s.io".into(),
        version: "v1alpha2".into(),
        api_version: "wgpolicyk8s.io/v1alpha2".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

/// Applies each report object (as `palisade_report::policyreport::policy_reports` builds them);
/// every object is tried, and the failures are returned.
pub async fn apply(conn: &Connection, reports: &[Value]) -> Vec<WriteError> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut failures = Vec::new();
    for report in reports {
        let kind = report["kind"].as_str().unwrap_or_default();
        let name = report["metadata"]["name"].as_str().unwrap_or_default();
        let namespace = report["metadata"]["namespace"].as_str();
        let ar = resource(kind);
        let api: Api<DynamicObject> = match namespace {
            Some(ns) => Api::namespaced_with(conn.client.clone(), ns, &ar),
            None => Api::all_with(conn.client.clone(), &ar),
        };
        if let Err(e) = api.patch(name, &params, &Patch::Apply(report)).await {
            let reason = match e {
                kube::Error::Api(s) if s.code == 404 => format!(
                    "HTTP 404: the wgpolicyk8s.io/v1alpha2 CRDs are not installed ({})",
                    s.message
                ),
                kube::Error::Api(s) if s.code == 403 => format!(
                    "HTTP 403: not allowed ({}); apply deploy/components/policy-reports",
                    s.message
                ),
                kube::Error::Api(s) => format!("HTTP {}: {}", s.code, s.message),
                other => other.to_string(),
            };
            failures.push(WriteError {
                kind: kind.to_owned(),
                name: match namespace {
                    Some(ns) => format!("{ns}/{name}"),
                    None => name.to_owned(),
                },
                reason,
            });
        }
    }
    failures
}
