//! Saved inventories: what `palisade cluster --save-inventory` read, for auditing later offline
//! (`palisade scan --inventory`) with the same findings. Secret data is never in it: the cluster
//! source never reads any.

use std::path::Path;
use std::sync::Arc;

use palisade_core::Object;
use serde_json::{json, Value};

use crate::convert;
use crate::read::{Access, Inventory, Unreadable};

/// `apiVersion` of the file format.
pub const API_VERSION: &str = "palisade.dev/v1alpha1";

/// Why a saved inventory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    #[error("{path}: not a Palisade inventory ({reason})")]
    Format { path: String, reason: String },
}

/// Writes `inventory`, read from the cluster named `source`, to `path` as JSON.
pub fn save(path: &Path, source: &str, inventory: &Inventory) -> Result<(), SnapshotError> {
    let doc = json!({
        "apiVersion": API_VERSION,
        "kind": "Inventory",
        "source": source,
        "serverVersion": inventory.server_version,
        "controlledSkipped": inventory.controlled_skipped,
        "unreadable": inventory.unreadable.iter()
            .map(|u| json!({"resource": u.resource, "reason": u.reason}))
            .collect::<Vec<_>>(),
        "namespace": inventory.namespace,
        // What the objects do not hold and the rules need: the unauthenticated probe (EX701),
        // each kubelet's /configz (KL rules), and, for the reader, where the control plane is
        // (recomputed from the objects on load, so it cannot disagree with them).
        "facts": {
            "anonymousProbe": inventory.anonymous.as_ref().map(|p| json!({
                "version": access_text(&p.version),
                "namespaces": access_text(&p.namespaces),
            })),
            "controlPlane": format!("{:?}", crate::facts::control_plane(
                &inventory.server_version, &inventory.objects, inventory.kube_system_read())),
            "configz": inventory.configz.iter().map(|(node, r)| match r {
                Ok(text) => json!({"node": node, "answer": text}),
                Err(e) => json!({"node": node, "error": e}),
            }).collect::<Vec<_>>(),
        },
        "items": inventory.objects.iter().map(|o| convert::json(&o.node)).collect::<Vec<_>>(),
    });
    let io = |e: std::io::Error| SnapshotError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut w, &doc).map_err(|e| io(e.into()))?;
    std::io::Write::flush(&mut w).map_err(io)
}

/// Reads an inventory saved by [`save`]. Objects come back with the saved cluster as their origin.
pub fn load(path: &Path, max_bytes: usize) -> Result<Inventory, SnapshotError> {
    let shown = path.display().to_string();
    let bytes = palisade_core::source::read_bounded(path, max_bytes as u64).map_err(|e| {
        SnapshotError::Io {
            path: shown.clone(),
            reason: e.to_string(),
        }
    })?;
    let format = |reason: String| SnapshotError::Format {
        path: shown.clone(),
        reason,
    };
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| format(e.to_string()))?;
    if doc["apiVersion"] != API_VERSION || doc["kind"] != "Inventory" {
        return Err(format(format!(
            "expected apiVersion {API_VERSION} and kind Inventory"
        )));
    }
    let source: Arc<str> = Arc::from(doc["source"].as_str().unwrap_or("inventory"));
    let server_version = doc["serverVersion"].as_str().unwrap_or("").to_owned();
    let items = doc["items"]
        .as_array()
        .ok_or_else(|| format("no `items` list".into()))?;
    let objects: Vec<Object> = items
        .iter()
        .map(|item| convert::object(&source, item))
        .collect();
    let unreadable = doc["unreadable"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|u| Unreadable {
                    resource: u["resource"].as_str().unwrap_or("").to_owned(),
                    reason: u["reason"].as_str().unwrap_or("").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    let facts = &doc["facts"];
    let anonymous = facts["anonymousProbe"]
        .as_object()
        .map(|p| crate::read::AnonymousProbe {
            version: access_of(p.get("version")),
            namespaces: access_of(p.get("namespaces")),
        });
    let configz = facts["configz"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|c| {
                    let node = c["node"].as_str()?.to_owned();
                    Some(match (c["answer"].as_str(), c["error"].as_str()) {
                        (Some(a), _) => (node, Ok(a.to_owned())),
                        (None, Some(e)) => (node, Err(e.to_owned())),
                        (None, None) => (node, Err("no answer saved".to_owned())),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Inventory {
        version: crate::read::version_of(&server_version),
        server_version,
        objects,
        controlled_skipped: doc["controlledSkipped"].as_u64().unwrap_or(0) as usize,
        unreadable,
        namespace: doc["namespace"].as_str().map(str::to_owned),
        configz,
        anonymous,
    })
}

fn access_text(a: &Access) -> String {
    match a {
        Access::Allowed => "allowed".into(),
        Access::Forbidden => "forbidden".into(),
        Access::Unauthenticated => "unauthenticated".into(),
        Access::Unknown(why) => format!("unknown: {why}"),
    }
}

fn access_of(v: Option<&Value>) -> Access {
    match v.and_then(Value::as_str).unwrap_or("unknown: not saved") {
        "allowed" => Access::Allowed,
        "forbidden" => Access::Forbidden,
        "unauthenticated" => Access::Unauthenticated,
        other => Access::Unknown(other.strip_prefix("unknown: ").unwrap_or(other).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_inventory_is_refused_without_reading_it_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.json");
        std::fs::write(&path, vec![b' '; 2048]).unwrap();
        let err = load(&path, 1024).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{}: 2048 bytes, over the 1024-byte limit", path.display())
        );
        // A device without a size, read at most one byte past the limit (not until memory runs
        // out).
        let zero = Path::new("/dev/zero");
        if zero.exists() {
            let err = load(zero, 1 << 20).unwrap_err().to_string();
            assert_eq!(err, "/dev/zero: over the 1048576-byte limit");
        }
    }
}
