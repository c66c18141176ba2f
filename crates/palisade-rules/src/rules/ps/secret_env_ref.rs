//! PS154 `secret-as-environment-variable`: a container takes Secret values as environment
//! variables (`valueFrom.secretKeyRef`, `envFrom.secretRef`) rather than as mounted files.
//!
//! The CIS Kubernetes Benchmark (5.4.1) prefers files: an environment variable is inherited by
//! every child process, shows up in `/proc/PID/environ` to anyone who may read it, in crash
//! dumps and in debug endpoints that print the environment; a mounted Secret is updated when
//! the Secret changes and can be read by one process only. This is hygiene, not a hole: low, one
//! finding per container naming what it takes.

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Object, ObjectRule, PodTemplate, RuleMeta, Severity, VersionRange,
};

use crate::workload::describe;

static META: RuleMeta = RuleMeta {
    code: "PS154",
    name: "secret-as-environment-variable",
    severity: Severity::Low,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.4.1: Prefer using Secrets as files over Secrets as \
         environment variables",
        "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
        "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod",
    ],
    summary: "A container takes Secret values as environment variables",
    what: "Every container, init container and ephemeral container is reported once when its \
           `env` reads a variable with `valueFrom.secretKeyRef` or its `envFrom` imports a \
           Secret with `secretRef`; the message names the variables and Secrets.",
    why: "Environment variables are inherited by every process the container starts, are \
          readable in `/proc/PID/environ` by processes of the same user, end up in crash \
          reports, core dumps and debug pages that print the environment, and never change \
          while the container runs. A Secret mounted as a file is read only by the process \
          that opens it, can be limited by file mode, and is updated in place when the Secret \
          is rotated.",
    example: "# fails\nenv:\n- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: db, \
              key: password}\n# passes\nvolumeMounts:\n- {name: db, mountPath: /run/secrets/db, \
              readOnly: true}\nvolumes:\n- name: db\n  secret: {secretName: db}",
    fix: "Mount the Secret as a volume (`secret.secretName`, `readOnly: true`) and point the \
          program at the file (many images read `*_FILE` variables for this). Where a program \
          can only read its environment, keep the variable and accept the risk with an \
          exemption.",
    help: "mount the Secret as a read-only volume and read the value from the file",
};

pub struct SecretEnvRef;

pub static RULE: SecretEnvRef = SecretEnvRef;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for SecretEnvRef {
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
        for c in pod.containers() {
            // (pointer, what) of each Secret value taken into the environment, in order.
            let mut taken: Vec<(String, String)> = Vec::new();
            let env = c.node.get("env").map(Node::items).unwrap_or(&[]);
            for (i, var) in env.iter().enumerate() {
                let Some(secret) = var.path(&["valueFrom", "secretKeyRef"]) else {
                    continue;
                };
                let name = var
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("(unnamed)");
                let from = secret.get("name").and_then(Node::as_str).unwrap_or("?");
                taken.push((
                    format!("{}/env/{i}/valueFrom/secretKeyRef", c.pointer),
                    format!("{name:?} (Secret {from:?})"),
                ));
            }
            let env_from = c.node.get("envFrom").map(Node::items).unwrap_or(&[]);
            for (i, source) in env_from.iter().enumerate() {
                let Some(secret) = source.get("secretRef") else {
                    continue;
                };
                let from = secret.get("name").and_then(Node::as_str).unwrap_or("?");
                taken.push((
                    format!("{}/envFrom/{i}/secretRef", c.pointer),
                    format!("every key of Secret {from:?}"),
                ));
            }
            let Some((pointer, _)) = taken.first() else {
                continue;
            };
            let shown: Vec<&str> = taken.iter().take(4).map(|(_, w)| w.as_str()).collect();
            let more = match taken.len() {
                n if n > 4 => format!(" and {} more", n - 4),
                _ => String::new(),
            };
            out.report_container(
                &c,
                pointer,
                format!(
                    "{} takes Secret values as environment variables: {}{more}; every process \
                     it starts inherits them",
                    describe(&c),
                    shown.join(", ")
                ),
            );
        }
    }
}
