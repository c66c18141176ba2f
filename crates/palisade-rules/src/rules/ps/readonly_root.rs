//! PS151 `root-filesystem-writable`: a container can write to its image's file system.

use palisade_core::yaml::Node;
use palisade_core::{
    ContainerKind, Context, Emitter, Object, ObjectRule, PodTemplate, RuleMeta, Severity,
    VersionRange,
};

use crate::workload::describe;

static META: RuleMeta = RuleMeta {
    code: "PS151",
    name: "root-filesystem-writable",
    severity: Severity::Low,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
        "NSA/CISA Kubernetes Hardening Guide: immutable container file systems",
    ],
    summary: "A container's root file system is writable",
    what: "Every container and init container is checked for \
           `securityContext.readOnlyRootFilesystem: true`. Ephemeral (debug) containers are \
           skipped: they exist to install and run tools by hand. Windows pods \
           (`spec.os.name: windows`) are skipped, because Windows does not support the field \
           and the API server rejects it there.",
    why: "An attacker who gets code execution in a container usually wants to write: download \
          a miner or a toolkit, drop a web shell, change a configuration or binary the \
          application loads later. A read-only root file system stops all of that for the \
          image's files and makes the container's state exactly what was reviewed and built. \
          Writes the application needs go to explicitly mounted volumes, which documents them.",
    example: "# fails\ncontainers:\n- name: web\n  image: nginx:1.27\n\
              # passes\ncontainers:\n- name: web\n  image: nginx:1.27\n  securityContext:\n    \
              readOnlyRootFilesystem: true\n  volumeMounts:\n  - name: cache\n    mountPath: \
              /var/cache/nginx\nvolumes:\n- name: cache\n  emptyDir: {}",
    fix: "Set `securityContext.readOnlyRootFilesystem: true` on the container and mount an \
          `emptyDir` volume at each path the program writes to (often `/tmp`, a cache or a run \
          directory; run it once and look for \"read-only file system\" errors).",
    help: "set `securityContext.readOnlyRootFilesystem: true` and mount emptyDir volumes where \
           the program writes",
};

pub struct ReadOnlyRoot;

pub static RULE: ReadOnlyRoot = ReadOnlyRoot;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for ReadOnlyRoot {
    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        self.check_pod(cx, object, object.pod_template().as_ref(), out);
    }

    fn check_pod(
        &self,
        _cx: &Context<'_>,
        _object: &Object,
        pod: Option<&PodTemplate<'_>>,
        out: &mut Emitter<'_>,
    ) {
        let Some(pod) = pod.cloned() else {
            return;
        };
        if pod.is_windows() {
            return;
        }
        for c in pod.containers() {
            if c.kind == ContainerKind::EphemeralContainer {
                continue;
            }
            let field = c.node.path(&["securityContext", "readOnlyRootFilesystem"]);
            let message = match field.and_then(Node::bool_intent) {
                Some(true) => continue,
                Some(false) => format!(
                    "{} sets readOnlyRootFilesystem: false, so it can write to its root file \
                     system",
                    describe(&c)
                ),
                None => format!(
                    "{} can write to its root file system (securityContext.readOnlyRootFilesystem \
                     is not true)",
                    describe(&c)
                ),
            };
            out.report_container(
                &c,
                &format!("{}/securityContext/readOnlyRootFilesystem", c.pointer),
                message,
            );
        }
    }
}

/// `palisade vap export`: the same verdict in CEL. Ephemeral containers (debugging sessions) are
/// left out, as here, so the policy reads the init and regular containers itself.
pub static EXPORT: crate::vap_export::Exportable = crate::vap_export::Exportable {
    meta: &META,
    cel: cel_source,
};

fn cel_source(_: palisade_core::KubeVersion) -> String {
    use crate::vap_export::cel::{csc, is, quoted};
    let sc = csc("c");
    format!(
        "variables.windows ? [] : ((has(variables.spec.initContainers) ? \
         variables.spec.initContainers : []) + (has(variables.spec.containers) ? \
         variables.spec.containers : [])).map(c, !{}, 'container ' + {} + ({} ? ' sets \
         readOnlyRootFilesystem: false, so it can write to its root file system' : ' can write to \
         its root file system (securityContext.readOnlyRootFilesystem is not true)'))",
        is(&sc, "readOnlyRootFilesystem", "true"),
        quoted("c.name"),
        is(&sc, "readOnlyRootFilesystem", "false"),
    )
}
