//! PS174 `psp-allows-host-path`: a PodSecurityPolicy lets pods mount directories of the node.

use palisade_core::yaml::Node;
use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::psp::{describe, report, spec_field, Permission, REMOVED_IN};

static META: RuleMeta = RuleMeta {
    code: "PS174",
    name: "psp-allows-host-path",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: VersionRange::until(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://v1-24.docs.kubernetes.io/docs/concepts/security/pod-security-policy/#volumes-and-file-systems",
        "Pod Security Standards: baseline, HostPath Volumes",
    ],
    summary: "A PodSecurityPolicy allows hostPath volumes",
    what: "Every PodSecurityPolicy is checked for `volumes` containing `hostPath` or `*` (every \
           volume type). The message says whether `allowedHostPaths` narrows the paths (and \
           whether all of them are read-only); a policy without `allowedHostPaths` allows any \
           path of the node. PS179 lists who may use the policy.",
    why: "A hostPath volume gives the pod a directory of the node: `/` or `/etc` is root on the \
          node, `/var/run` holds the container runtime's socket, `/var/lib/kubelet` holds other \
          pods' secrets. Even `allowedHostPaths` prefixes have been escaped through symlinks \
          when not read-only. Graded one step below the pod-level check (PS103).",
    example: "# fails\nspec:\n  volumes: ['*']\n\
              # passes\nspec:\n  volumes: [configMap, emptyDir, projected, secret, downwardAPI, \
              persistentVolumeClaim]",
    fix: "List only the volume types workloads need (the guide's default policy: configMap, \
          emptyDir, projected, secret, downwardAPI, persistentVolumeClaim); never `*`. If a \
          component needs a host path, give it a policy of its own with `allowedHostPaths` \
          entries that are `readOnly: true`.",
    help: "remove `hostPath` and `*` from the policy's volumes",
};

pub struct AllowsHostPath;

pub static RULE: AllowsHostPath = AllowsHostPath;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

pub(crate) fn found(o: &Object) -> Vec<Permission> {
    let volumes = spec_field(o, "volumes").map(Node::items).unwrap_or(&[]);
    let Some((i, kind)) = volumes
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_str().map(|s| (i, s)))
        .find(|(_, v)| matches!(*v, "*" | "hostPath"))
    else {
        return Vec::new();
    };
    let paths = spec_field(o, "allowedHostPaths")
        .map(Node::items)
        .unwrap_or(&[]);
    let scope = if paths.is_empty() {
        "any path of the node".to_owned()
    } else {
        let read_only = paths
            .iter()
            .all(|p| p.get("readOnly").and_then(Node::bool_intent) == Some(true));
        let prefixes: Vec<&str> = paths
            .iter()
            .filter_map(|p| p.get("pathPrefix").and_then(Node::as_str))
            .collect();
        format!(
            "paths under {}{}",
            prefixes.join(", "),
            if read_only { " (read-only)" } else { "" }
        )
    };
    let how = if kind == "*" {
        "every volume type (*), including hostPath"
    } else {
        "hostPath volumes"
    };
    vec![(
        format!("/spec/volumes/{i}"),
        format!("{} allows {how}: {scope}", describe(o)),
    )]
}

impl ObjectRule for AllowsHostPath {
    fn judges(&self) -> palisade_core::Judges {
        crate::psp::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        report(object, out, found);
    }
}
