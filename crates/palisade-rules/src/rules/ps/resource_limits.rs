//! PS152 `resource-limits-missing`: a container has no memory limit, so one misbehaving or
//! compromised container can starve its node.
//!
//! Only memory is required, on purpose: CPU is compressible. A container without a CPU limit is
//! still held to its share under contention (CFS weights follow CPU requests, and the node's
//! system daemons are protected by the kubelet's reserved cgroups), so it can slow its neighbours
//! but not take the node down, while CPU limits throttle latency-sensitive programs even when the
//! node is idle. Memory cannot be taken back except by killing: without a limit a container can
//! push the node into memory pressure, and the kernel OOM killer or the kubelet's eviction then
//! kills other pods.

use std::collections::HashSet;

use palisade_core::yaml::Node;
use palisade_core::{
    ContainerKind, Context, Emitter, Finding, InventoryRule, Keep, Kept, Object, ObjectRule,
    RuleMeta, Severity, VersionRange,
};

use crate::workload::describe;

static META: RuleMeta = RuleMeta {
    code: "PS152",
    name: "resource-limits-missing",
    severity: Severity::Low,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
        "https://kubernetes.io/docs/concepts/policy/limit-range/",
    ],
    summary: "A container has no memory limit",
    what: "Every container and init container is checked for `resources.limits.memory`. A pod \
           that sets a pod-level memory limit (`spec.resources.limits.memory`) passes as a \
           whole. When the scan includes a LimitRange of the same namespace whose `Container` \
           limit has a `default.memory`, the API server fills that limit in and the containers \
           pass. Ephemeral containers cannot have resources and are skipped. CPU limits are \
           deliberately not required (see below).",
    why: "Memory is not compressible. A container without a memory limit — leaking, \
          misconfigured, or running an attacker's workload — can use all the memory of its \
          node; the kernel OOM killer and the kubelet's evictions then kill other pods, which is \
          a denial of service for everything scheduled there. A limit turns that into the \
          failure of the one container. CPU is different: without a CPU limit a container is \
          still held to its share when the node is busy (CPU weights follow requests) and only \
          borrows idle CPU, while CPU limits throttle programs even on an idle node; so many \
          operators rightly run without them, and this rule does not ask for them.",
    example: "# fails\ncontainers:\n- name: web\n  image: nginx:1.27\n  resources:\n    \
              requests:\n      memory: 128Mi\n\
              # passes\ncontainers:\n- name: web\n  image: nginx:1.27\n  resources:\n    \
              requests:\n      memory: 128Mi\n    limits:\n      memory: 256Mi",
    fix: "Set `resources.limits.memory` on every container, a little above its observed peak \
          (and set `requests.memory` for scheduling; equal requests and limits give the \
          Guaranteed QoS class). Give each namespace a LimitRange with a default memory limit \
          so that containers written without one still get it.",
    help: "set `resources.limits.memory` (or a LimitRange default for the namespace)",
};

pub struct ResourceLimits;

pub static RULE: ResourceLimits = ResourceLimits;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

fn check_one(object: &Object, out: &mut Emitter<'_>) {
    let Some(pod) = object.pod_template() else {
        return;
    };
    if has_value(pod.spec.path(&["resources", "limits", "memory"])) {
        return;
    }
    for c in pod.containers() {
        if c.kind == ContainerKind::EphemeralContainer {
            continue;
        }
        if has_value(c.node.path(&["resources", "limits", "memory"])) {
            continue;
        }
        out.report_container(
            &c,
            &format!("{}/resources/limits/memory", c.pointer),
            format!(
                "{} has no memory limit: it can use all the memory of its node",
                describe(&c)
            ),
        );
    }
}

fn has_value(node: Option<&Node>) -> bool {
    node.is_some_and(|n| !n.is_null())
}

/// Whether a LimitRange gives containers a default memory limit.
fn defaults_memory_limit(limit_range: &Object) -> bool {
    limit_range
        .node
        .path(&["spec", "limits"])
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .any(|l| {
            l.get("type").and_then(Node::as_str) == Some("Container")
                && has_value(l.path(&["default", "memory"]))
        })
}

impl ObjectRule for ResourceLimits {
    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        check_one(object, out);
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

/// A LimitRange in the scan that gives containers a default memory limit covers the containers
/// of its namespace. Namespaces are compared as written (`metadata.namespace`, both unset being
/// equal), as for RB201.
impl InventoryRule for ResourceLimits {
    fn keep(&self, o: &Object) -> Option<Keep> {
        (o.kind() == "LimitRange" && o.group().is_empty())
            .then(|| Keep::paths(&[&["spec", "limits"]]))
    }

    fn refine(&self, _cx: &Context<'_>, context: &Kept<'_>, findings: &mut Vec<Finding>) {
        let defaulted: HashSet<Option<&str>> = context
            .iter()
            .filter(|o| defaults_memory_limit(o))
            .map(|o| o.namespace())
            .collect();
        if defaulted.is_empty() {
            return;
        }
        findings.retain(|f| {
            f.code != META.code
                || !defaulted.contains(&f.object.as_ref().and_then(|o| o.namespace.as_deref()))
        });
    }
}
