//! `seLinuxOptions` (baseline): SELinux may only be set to the container types, and never to a
//! custom user or role (`securityContext.seLinuxOptions` of the pod and every container).
//!
//! | version | allowed `type` values |
//! |---------|-----------------------|
//! | 1.0     | "", `container_t`, `container_init_t`, `container_kvm_t` |
//! | 1.31    | the above and `container_engine_t` |
//!
//! `user` and `role` must be empty at every version; `level` is not restricted.

use palisade_core::yaml::Node;
use palisade_core::{KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    container_security_context, pod_security_context, present, q, text, Level, PssCheck,
    VersionedCheck, Violation,
};
use crate::vap_export::cel::{csc, list, or_empty, quoted};

static META: RuleMeta = RuleMeta {
    code: "PS108",
    name: "selinux-options",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("seLinuxOptions"),
    references: &[
        "Pod Security Standards: baseline, SELinux",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "SELinux options set a custom type, user or role",
    what: "Checks `securityContext.seLinuxOptions` on the pod and on every container: `type` \
           must be empty or one of container_t, container_init_t, container_kvm_t (and \
           container_engine_t from policy 1.31); `user` and `role` must not be set.",
    why: "On SELinux nodes the container type is what keeps a process away from the node's \
          files and other containers. Choosing another type (`spc_t`, `unconfined_t`) or a \
          custom user or role steps outside that confinement, often into a domain that is \
          allowed to do anything on the host.",
    example: "# fails\nseLinuxOptions:\n  type: spc_t\n# passes\nseLinuxOptions:\n  level: \
              \"s0:c123,c456\"",
    fix: "Remove `type` (or use container_t), `user` and `role`. Setting `level` for MCS \
          separation is allowed.",
    help: "remove seLinuxOptions.user/role and use an allowed container type",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Baseline,
    overrides: &[],
    versions: &[
        VersionedCheck {
            since: KubeVersion::v1(0),
            check: v1_0,
        },
        VersionedCheck {
            since: KubeVersion::v1(31),
            check: v1_31,
        },
    ],
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

const TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    check(pod, TYPES_1_0)
}

fn v1_31(pod: &PodTemplate<'_>) -> Vec<Violation> {
    check(pod, TYPES_1_31)
}

/// The forbidden settings of one `seLinuxOptions`, as (field, value).
fn bad_options<'a>(sc: Option<&'a Node>, types: &[&str]) -> Vec<(&'static str, &'a str)> {
    let Some(opts) = sc.and_then(|sc| present(sc, "seLinuxOptions")) else {
        return Vec::new();
    };
    let mut bad = Vec::new();
    let t = text(opts.get("type"));
    if !types.contains(&t) {
        bad.push(("type", t));
    }
    for field in ["user", "role"] {
        let v = text(opts.get(field));
        if !v.is_empty() {
            bad.push((field, v));
        }
    }
    bad
}

fn describe(field: &str, value: &str) -> String {
    match field {
        "type" => format!("seLinuxOptions.type {}", q(value)),
        _ => format!("a custom seLinuxOptions.{field} {}", q(value)),
    }
}

fn check(pod: &PodTemplate<'_>, types: &[&str]) -> Vec<Violation> {
    let mut out = Vec::new();
    let (psc, psc_ptr) = pod_security_context(pod);
    for (field, value) in bad_options(psc, types) {
        out.push(Violation::pod(
            format!("{psc_ptr}/seLinuxOptions/{field}"),
            format!("pod sets {}", describe(field, value)),
        ));
    }
    for c in pod.containers() {
        let (sc, sc_ptr) = container_security_context(&c);
        for (field, value) in bad_options(sc, types) {
            out.push(Violation::container(
                &c,
                format!("{sc_ptr}/seLinuxOptions/{field}"),
                format!("container {} sets {}", q(c.name), describe(field, value)),
            ));
        }
    }
    out
}

/// In CEL (`palisade vap export`): the forbidden settings of the pod's and every container's
/// `seLinuxOptions`.
fn cel(version: KubeVersion) -> String {
    let types = if version >= KubeVersion::v1(31) {
        TYPES_1_31
    } else {
        TYPES_1_0
    };
    let types = list(types);
    // The forbidden settings of the options `o`, as a list of descriptions.
    let bad = |o: &str| {
        format!(
            "(!({t} in {types}) ? ['seLinuxOptions.type ' + {tq}] : []) + ({u} != '' ? ['a custom seLinuxOptions.user ' + {uq}] : []) + ({r} != '' ? ['a custom seLinuxOptions.role ' + {rq}] : [])",
            t = or_empty(o, "type"),
            tq = quoted(&or_empty(o, "type")),
            u = or_empty(o, "user"),
            uq = quoted(&or_empty(o, "user")),
            r = or_empty(o, "role"),
            rq = quoted(&or_empty(o, "role")),
        )
    };
    let psc = "variables.psc.seLinuxOptions";
    let sc = format!("{}.seLinuxOptions", csc("c"));
    format!(
        "(has(variables.psc.seLinuxOptions) ? ({}).map(d, 'pod sets ' + d) : []) + variables.containers.map(c, has({}.seLinuxOptions) && size({}) > 0, 'container ' + {} + ' sets ' + ({}).join(', '))",
        bad(psc),
        csc("c"),
        bad(&sc),
        quoted("c.name"),
        bad(&sc)
    )
}
