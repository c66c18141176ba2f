//! `restrictedVolumes` (restricted): inline volumes may only be of the core, ephemeral or
//! PersistentVolume-backed kinds. Allowed sources: `configMap`, `csi`, `downwardAPI`,
//! `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected`, `secret`. Every other
//! source (hostPath, nfs, iscsi, gitRepo, the in-tree cloud disks, and any source this version of
//! Palisade does not know) is forbidden. One policy version (1.0); it overrides `hostPathVolumes`.
//!
//! `image` volumes were added to the allow-list of the 1.0 logic itself (upstream allowed them
//! from Kubernetes 1.33 without a new policy version), so they are allowed at every version.
//!
//! Two readings of the manifest, both documented choices:
//! - a volume with no source at all is allowed: the API server defaults it to `emptyDir`;
//! - a volume that names several sources (which the API server rejects) is reported for each
//!   forbidden one. Upstream accepts such a volume as soon as one source is allowed; a scanner
//!   should not let `configMap` hide a `hostPath` next to it.

use palisade_core::{KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{present, q, text, Level, PssCheck, VersionedCheck, Violation};
use crate::vap_export::cel::{list, or_empty, quoted};

static META: RuleMeta = RuleMeta {
    code: "PS120",
    name: "restricted-volume-type",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("restrictedVolumes"),
    references: &[
        "Pod Security Standards: restricted, Volume Types",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
    ],
    summary: "The pod uses a volume type outside the restricted allow-list",
    what: "Checks every entry of `spec.volumes`: only configMap, csi, downwardAPI, emptyDir, \
           ephemeral, image, persistentVolumeClaim, projected and secret are allowed.",
    why: "Inline volume sources other than these let the pod author choose the storage \
          directly: a node path, an NFS export or iSCSI target reachable from the node, a cloud \
          disk by ID, a git repository cloned by the kubelet. The restricted level wants \
          storage to come through PersistentVolumeClaims, which an administrator controls \
          through StorageClasses.",
    example: "# fails\nvolumes:\n- name: data\n  nfs:\n    server: 10.0.0.5\n    path: /exports\n\
              # passes\nvolumes:\n- name: data\n  persistentVolumeClaim:\n    claimName: data",
    fix: "Replace the volume with a PersistentVolumeClaim (backed by a PersistentVolume or a \
          StorageClass for the same storage), an emptyDir, or a configMap/secret/projected \
          volume.",
    help: "use a persistentVolumeClaim, emptyDir, configMap, secret, projected, csi, ephemeral \
           or image volume",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Restricted,
    overrides: &["hostPathVolumes"],
    versions: &[VersionedCheck {
        since: KubeVersion::v1(0),
        check: v1_0,
    }],
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let Some(volumes) = present(pod.spec, "volumes") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, volume) in volumes.items().iter().enumerate() {
        let name = text(volume.get("name"));
        for entry in volume.entries() {
            let source = &*entry.key;
            if source == "name" || entry.value.is_null() || ALLOWED.contains(&source) {
                continue;
            }
            out.push(Violation::pod(
                format!(
                    "{}/volumes/{i}/{}",
                    pod.spec_pointer,
                    palisade_core::yaml::escape_pointer(source)
                ),
                format!("volume {} uses restricted volume type {source}", q(name)),
            ));
        }
    }
    out
}

/// In CEL (`palisade vap export`): every volume source outside the allowed ones (the keys of
/// each volume other than `name`).
fn cel(_: KubeVersion) -> String {
    let bad = format!("k != 'name' && !(k in {})", list(ALLOWED));
    format!(
        "variables.volumes.map(v, v.exists(k, {bad}), 'volume ' + {} + ' uses restricted volume type ' + v.map(k, {bad}, k).join(', '))",
        quoted(&or_empty("v", "name"))
    )
}
