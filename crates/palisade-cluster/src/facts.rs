//! What a cluster's objects tell about where its control plane runs: visible as mirror pods in
//! `kube-system` (kubeadm and friends), or managed by a cloud provider (EKS, GKE, AKS), whose
//! control plane no API request shows. The control-plane rules are then "not evaluated", never
//! passed.

use palisade_core::yaml::Node;
use palisade_core::Object;
use palisade_node::api::is_control_plane_mirror_pod;

/// Where the control plane is, as far as the API shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlPlane {
    /// Mirror pods of control-plane components in kube-system: their command lines are read.
    Visible,
    /// A managed control plane: `provider` (EKS, GKE, AKS) and what told so.
    Managed {
        provider: &'static str,
        evidence: String,
    },
    /// No control-plane mirror pods, and no provider recognised (an external or managed
    /// control plane).
    Hidden { reason: String },
    /// kube-system pods were not read (another namespace asked for, or 403): nothing is known.
    NotRead { reason: String },
}

impl ControlPlane {
    /// Why control-plane rules are not evaluated, or `None` when they can be.
    pub fn not_evaluated(&self) -> Option<String> {
        match self {
            ControlPlane::Visible => None,
            ControlPlane::Managed { provider, evidence } => {
                Some(format!("managed control plane ({provider}): {evidence}"))
            }
            ControlPlane::Hidden { reason } | ControlPlane::NotRead { reason } => {
                Some(reason.clone())
            }
        }
    }
}

/// Node label prefixes (or exact keys) that only a provider's nodes carry.
const PROVIDER_LABELS: &[(&str, &str)] = &[
    ("eks.amazonaws.com/", "EKS"),
    ("cloud.google.com/gke-nodepool", "GKE"),
    ("kubernetes.azure.com/", "AKS"),
];

/// The provider a server `gitVersion` names (`v1.31.2-eks-7f9249a`, `v1.30.5-gke.1014001`).
pub fn provider_of_version(git_version: &str) -> Option<&'static str> {
    if git_version.contains("-eks-") {
        Some("EKS")
    } else if git_version.contains("-gke.") {
        Some("GKE")
    } else {
        None
    }
}

/// Decides where the control plane is from the server version and the objects read.
/// `kube_system_read` is false when the pods of kube-system were not listed (with why).
pub fn control_plane(
    git_version: &str,
    objects: &[Object],
    kube_system_read: Result<(), String>,
) -> ControlPlane {
    if let Some(p) = provider_of_version(git_version) {
        return ControlPlane::Managed {
            provider: p,
            evidence: format!("server version {git_version}"),
        };
    }
    for node in objects.iter().filter(|o| o.kind() == "Node") {
        let labels = node
            .node
            .path(&["metadata", "labels"])
            .map(Node::entries)
            .unwrap_or(&[]);
        for e in labels {
            if let Some((_, p)) = PROVIDER_LABELS
                .iter()
                .find(|(prefix, _)| e.key.starts_with(prefix))
            {
                return ControlPlane::Managed {
                    provider: p,
                    evidence: format!("node {} has label {}", node.name().unwrap_or("?"), e.key),
                };
            }
        }
    }
    if let Err(reason) = kube_system_read {
        return ControlPlane::NotRead { reason };
    }
    if objects.iter().any(is_control_plane_mirror_pod) {
        ControlPlane::Visible
    } else {
        ControlPlane::Hidden {
            reason: "no control-plane mirror pods in kube-system (a managed or external control \
                     plane): audit it where it runs with `palisade node`"
                .to_owned(),
        }
    }
}
