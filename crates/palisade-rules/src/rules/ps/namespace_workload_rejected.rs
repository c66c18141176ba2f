//! PS164 `workload-rejected-by-pod-security`: a workload whose pods the Pod Security level its
//! namespace enforces would reject.
//!
//! # Design
//!
//! The verdict needs two objects: the workload (its pod template) and its Namespace (the enforce
//! level and pinned version). The rule is an [`InventoryRule`] that keeps
//! - Namespace objects, projected to their labels, and
//! - of every workload, a projection holding exactly the pod-template fields the Pod Security
//!   Standards checks read ([`pss_keep`]: security contexts, host namespaces, volumes,
//!   `hostPort`s, the `host` of probe and lifecycle handlers, pod annotations), with their
//!   positions — no images, environment, commands, resources or probe details;
//!
//! (only for workloads that fail restricted at some policy version: a pod no level rejects is
//! not kept), and in `refine` evaluates each kept workload with [`crate::pss::evaluate`] at its namespace's
//! level and version. Evaluating in `refine` rather than emitting provisional findings from
//! `check` keeps the verdict exact for any pinned version (the standards change at several
//! versions, so a provisional verdict at the target version would be wrong for a namespace
//! pinned to another), at the cost of one small projection per workload. The single-object
//! stage reports nothing: a workload alone does not say where it will run.
//!
//! A test evaluates every pod of the fixtures and of the real-world corpus both whole and
//! projected, at every level and at every version where a check changes, and requires the same
//! violations.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, ObjectRef, RuleMeta,
    Severity, VersionRange,
};

use crate::namespace::{enforced, is_namespace, name_list, Enforced, PSA_SINCE};
use crate::pss::{self, Level};

static META: RuleMeta = RuleMeta {
    code: "PS164",
    name: "workload-rejected-by-pod-security",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: VersionRange::since(PSA_SINCE),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
    ],
    summary: "A workload's pods would be rejected by the Pod Security level of its namespace",
    what: "Every Pod and workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, \
           CronJob, ReplicationController, PodTemplate) whose namespace is defined in the same \
           scan is evaluated against the Pod Security Standards level that namespace enforces \
           (`pod-security.kubernetes.io/enforce`), at the version it pins \
           (`enforce-version`; `latest` or none means the target Kubernetes version), exactly as \
           Pod Security Admission evaluates it — including an invalid level (evaluated as \
           restricted) and an invalid version (latest). One finding per workload names the \
           namespace's policy and every violated check. Workloads in namespaces whose Namespace \
           object is not in the scan, and workloads that set no `metadata.namespace`, cannot be \
           evaluated and are listed as such.",
    why: "Admission rejects the pods, not the Deployment: `kubectl apply` succeeds with a \
          warning, and the ReplicaSet then fails to create any pod, so the rollout hangs \
          without an obvious error. Finding this before deploying avoids outages — and the \
          tempting \"fix\" of relaxing the namespace's level, which the guide warns against: \
          most pods need no privileges, and the ones that do should be listed explicitly.",
    example: "# fails: the namespace enforces restricted, the pod may escalate privileges\n\
              apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    \
              pod-security.kubernetes.io/enforce: restricted\n---\napiVersion: v1\nkind: Pod\n\
              metadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: web\n    \
              image: nginx:1.27\n\
              # passes: the pod meets restricted\n  securityContext:\n    runAsNonRoot: true\n    \
              seccompProfile:\n      type: RuntimeDefault\n  containers:\n  - name: web\n    \
              image: nginxinc/nginx-unprivileged:1.27\n    securityContext:\n      \
              allowPrivilegeEscalation: false\n      capabilities:\n        drop: [ALL]",
    fix: "Change the pod template so it meets the namespace's level (the message lists each \
          violation; the PS1xx findings on the same workload point at each field), or, if the \
          workload truly needs the privilege, run it in a namespace meant for such workloads. \
          `palisade scan --pod-security LEVEL:VERSION` evaluates a whole directory at one level.",
    help: "make the pod template meet its namespace's Pod Security level",
};

pub struct WorkloadRejected;

pub static RULE: WorkloadRejected = WorkloadRejected;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

/// Container fields the Pod Security Standards checks read, as paths inside a container: its
/// name and security context whole, of ports only `hostPort`, of probes and lifecycle hooks only
/// the `host` of their `httpGet`/`tcpSocket` handlers (the rest of a probe is irrelevant and
/// would make up most of the projection).
const CONTAINER_PATHS: [&[&str]; 13] = [
    &["name"],
    &["securityContext"],
    &["ports", "hostPort"],
    &["livenessProbe", "httpGet", "host"],
    &["livenessProbe", "tcpSocket", "host"],
    &["readinessProbe", "httpGet", "host"],
    &["readinessProbe", "tcpSocket", "host"],
    &["startupProbe", "httpGet", "host"],
    &["startupProbe", "tcpSocket", "host"],
    &["lifecycle", "postStart", "httpGet", "host"],
    &["lifecycle", "postStart", "tcpSocket", "host"],
    &["lifecycle", "preStop", "httpGet", "host"],
    &["lifecycle", "preStop", "tcpSocket", "host"],
];

/// Pod spec fields the Pod Security Standards checks read, besides containers.
static SPEC_FIELDS: [&str; 7] = [
    "securityContext",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "volumes",
    "os",
];

/// The part of a workload the Pod Security Standards checks read (see the module docs), plus its
/// own annotations for exemptions; `None` for an object without a pod template.
pub fn pss_keep(o: &Object) -> Option<Keep> {
    Keep::pod(
        o,
        &[&["annotations"]],
        pss_spec_paths(),
        &[&["metadata", "annotations"]],
    )
}

/// The pod spec paths of [`pss_keep`]: [`SPEC_FIELDS`], then [`CONTAINER_PATHS`] under each kind
/// of container. Joined once per process (a keep path is static; joined for every object,
/// they cost more than the projection they select).
fn pss_spec_paths() -> &'static [&'static [&'static str]] {
    static PATHS: OnceLock<Vec<&'static [&'static str]>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let mut spec: Vec<&'static [&'static str]> =
            SPEC_FIELDS.iter().map(std::slice::from_ref).collect();
        for kind in palisade_core::ContainerKind::ALL {
            for rest in CONTAINER_PATHS {
                let path: Vec<&'static str> = std::iter::once(kind.field())
                    .chain(rest.iter().copied())
                    .collect();
                spec.push(Vec::leak(path));
            }
        }
        spec
    })
}

/// The policy versions at which some check starts or changes (and the newest): the verdict on
/// a pod is the same for every version between two of them.
fn breakpoints() -> &'static [KubeVersion] {
    static VERSIONS: OnceLock<Vec<KubeVersion>> = OnceLock::new();
    VERSIONS.get_or_init(|| {
        let mut v: Vec<KubeVersion> = pss::CHECKS
            .iter()
            .flat_map(|c| c.versions.iter().map(|vc| vc.since))
            .chain([pss::LATEST_POLICY])
            .collect();
        v.sort();
        v.dedup();
        v
    })
}

/// How many violations a message lists before "and N more".
const LISTED: usize = 4;

fn message(workload: &Object, ns: &str, policy: &Enforced, found: &[(&str, String)]) -> String {
    let name = workload.name().unwrap_or("");
    let who = if workload.kind() == "Pod" {
        format!("Pod {name:?} would be rejected")
    } else {
        format!("the pods of {} {name:?} would be rejected", workload.kind())
    };
    let mut list = found
        .iter()
        .take(LISTED)
        .map(|(id, m)| format!("{id}: {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    if found.len() > LISTED {
        list.push_str(&format!("; and {} more", found.len() - LISTED));
    }
    format!(
        "{who}: Namespace {ns:?} enforces Pod Security {}, and the pod violates {list}",
        policy.label,
    )
}

/// With the scan's Namespaces: each kept workload is evaluated at its namespace's enforced level
/// and version.
impl InventoryRule for WorkloadRejected {
    fn keep_group(&self) -> Option<&'static str> {
        Some(crate::namespace::KEEP_GROUP)
    }

    /// Pods that meet every level are not kept, but they were judged.
    fn judges(&self) -> Option<palisade_core::Judges> {
        Some(palisade_core::Judges::PODS)
    }

    fn keep(&self, o: &Object) -> Option<Keep> {
        if is_namespace(o) {
            return Some(Keep::paths(&[&["metadata", "labels"]]));
        }
        let pod = o.pod_template()?;
        // A pod that meets restricted at every version where a check changes meets every level
        // at every version (restricted only adds to baseline, and an overriding check is
        // stricter than the one it overrides): no namespace can reject it, nothing to keep.
        //
        // Fast path first: a pod that passes every variant of every check passes every level at
        // every version (each evaluation uses one variant per check), and it costs one pass over
        // the ~30 variants instead of ~230 evaluations across the breakpoints — most workloads of
        // a hardened fleet take it.
        let passes_every_variant = pss::CHECKS
            .iter()
            .all(|c| c.versions.iter().all(|vc| (vc.check)(&pod).is_empty()));
        if passes_every_variant {
            return None;
        }
        breakpoints()
            .iter()
            .any(|&v| !pss::evaluate(Level::Restricted, v, &pod).is_empty())
            .then(|| pss_keep(o))
            .flatten()
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let target = cx.settings.kubernetes_version;
        let mut namespaces: HashMap<&str, (&Object, Option<Enforced>)> = HashMap::new();
        for ns in kept.iter().copied().filter(|o| is_namespace(o)) {
            if let Some(name) = ns.name() {
                namespaces
                    .entry(name)
                    .or_insert_with(|| (ns, enforced(ns, target)));
            }
        }
        for workload in kept.iter().copied().filter(|o| !is_namespace(o)) {
            let Some((ns_name, (ns, Some(policy)))) = workload
                .namespace()
                .and_then(|n| namespaces.get_key_value(n))
            else {
                continue;
            };
            if policy.level == Level::Privileged {
                continue;
            }
            let Some(pod) = workload.pod_template() else {
                continue;
            };
            let violations = pss::evaluate(policy.level, policy.version, &pod);
            let Some((_, first)) = violations.first() else {
                continue;
            };
            let pointer = first.pointer.clone();
            let found: Vec<(&str, String)> = violations
                .iter()
                .map(|(c, v)| (c.id(), v.message.clone()))
                .collect();
            let text = message(workload, ns_name, policy, &found);
            let mut emitter = Emitter::new(workload, &META, findings);
            let f = emitter.report(&pointer, text);
            f.related = Some(Box::new(ObjectRef {
                api_version: "v1".to_owned(),
                kind: "Namespace".to_owned(),
                namespace: None,
                name: ns.name().map(str::to_owned),
            }));
        }
    }

    fn not_evaluated(&self, _cx: &Context<'_>, kept: &Kept<'_>) -> Option<String> {
        let defined: BTreeSet<&str> = kept
            .iter()
            .copied()
            .filter(|o| is_namespace(o))
            .filter_map(Object::name)
            .collect();
        let mut missing: BTreeSet<&str> = BTreeSet::new();
        let (mut in_missing, mut unset) = (0usize, 0usize);
        for w in kept.iter().copied().filter(|o| !is_namespace(o)) {
            match w.namespace() {
                Some(ns) if defined.contains(ns) => {}
                Some(ns) => {
                    missing.insert(ns);
                    in_missing += 1;
                }
                None => unset += 1,
            }
        }
        let mut parts = Vec::new();
        if in_missing > 0 {
            let names: Vec<&str> = missing.into_iter().collect();
            parts.push(format!(
                "{} in {} {} with no Namespace object in the scanned files",
                workloads(in_missing),
                if names.len() == 1 {
                    "namespace"
                } else {
                    "namespaces"
                },
                name_list(&names),
            ));
        }
        if unset > 0 {
            parts.push(format!(
                "{} without metadata.namespace (the namespace is chosen when applied)",
                workloads(unset)
            ));
        }
        (!parts.is_empty()).then(|| {
            format!(
                "{}: which Pod Security level admits them is unknown",
                parts.join("; ")
            )
        })
    }
}

fn workloads(n: usize) -> String {
    format!("{n} {}", if n == 1 { "workload" } else { "workloads" })
}
