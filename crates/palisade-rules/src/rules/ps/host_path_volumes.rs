//! `hostPathVolumes` (baseline): no `hostPath` volumes (`spec.volumes[*].hostPath`; allowed:
//! absent or `null`). One policy version (1.0). At the restricted level `restrictedVolumes`
//! overrides it.

use palisade_core::{KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{present, q, text, Level, PssCheck, VersionedCheck, Violation};
use crate::vap_export::cel::{or_empty, quoted};

static META: RuleMeta = RuleMeta {
    code: "PS103",
    name: "host-path-volume",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("hostPathVolumes"),
    references: &[
        "Pod Security Standards: baseline, HostPath Volumes",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "The pod mounts a hostPath volume",
    what: "Checks every entry of `spec.volumes` for a `hostPath` source.",
    why: "A hostPath volume mounts a directory of the node into the container. Mounting `/`, \
          `/etc`, `/var/lib/kubelet` or the container runtime socket hands the container the \
          node's credentials, other pods' secrets or control of the runtime; even a harmless \
          looking path can be a symlink target or fill the node's disk. A writable hostPath is \
          one of the most common container-escape routes.",
    example: "# fails\nvolumes:\n- name: docker\n  hostPath:\n    path: /var/run/docker.sock\n\
              # passes\nvolumes:\n- name: scratch\n  emptyDir: {}",
    fix: "Use `emptyDir` for scratch space, a PersistentVolumeClaim for data that must outlive \
          the pod, and `configMap`/`secret`/`projected` volumes for configuration. Node agents \
          that need host files belong in a namespace at the privileged level.",
    help:
        "replace the hostPath volume with emptyDir, a PersistentVolumeClaim or a configMap/secret",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Baseline,
    overrides: &[],
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

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let Some(volumes) = present(pod.spec, "volumes") else {
        return Vec::new();
    };
    volumes
        .items()
        .iter()
        .enumerate()
        .filter_map(|(i, volume)| {
            let host_path = present(volume, "hostPath")?;
            let name = text(volume.get("name"));
            let path = text(host_path.get("path"));
            Some(Violation::pod(
                format!("{}/volumes/{i}/hostPath", pod.spec_pointer),
                format!("volume {} mounts hostPath {}", q(name), q(path)),
            ))
        })
        .collect()
}

/// In CEL (`palisade vap export`): every volume with a `hostPath` source.
fn cel(_: KubeVersion) -> String {
    format!(
        "variables.volumes.map(v, has(v.hostPath), 'volume ' + {} + ' mounts hostPath ' + {})",
        quoted(&or_empty("v", "name")),
        quoted(&or_empty("v.hostPath", "path"))
    )
}
