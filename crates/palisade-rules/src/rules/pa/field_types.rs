//! PA903 `field-type-mismatch`: a security-relevant boolean or integer field of a pod is written
//! as a string (or another type), or a field that holds the object's structure (`spec`, a pod
//! template, `containers`, `rules`, …) is not the mapping or list the API expects.
//!
//! A structure of the wrong shape hides everything below it: a Deployment whose `containers` is a
//! mapping has no container any rule could check, so without this rule it would pass silently.
//!
//! The API server decodes these fields strictly and rejects the object, so such a manifest never
//! runs as written. The danger is elsewhere: linters, policy engines and scripts that read
//! `privileged: "true"` as "not a boolean, so not set" pass a manifest whose author asked for a
//! privileged container, and the next person to "fix" the quoting ships it. Palisade's own
//! security rules read what the author meant (`bool_intent`); this rule says the value is
//! invalid.

use palisade_core::yaml::{Node, ScalarType, Value};
use palisade_core::{
    Container, Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange,
};

use crate::workload::describe;

static META: RuleMeta = RuleMeta {
    code: "PA903",
    name: "field-type-mismatch",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/",
        "https://yaml.org/type/bool.html",
    ],
    summary: "A security field holds a string (or other wrong type) instead of a boolean or \
              integer, or a structural field is not the mapping or list the API expects",
    what: "Checks the type of the security-relevant fields of every pod and pod template: \
           `hostNetwork`, `hostPID`, `hostIPC`, `hostUsers`, `shareProcessNamespace`, \
           `automountServiceAccountToken`, and in the pod's `securityContext` `runAsNonRoot`, \
           `runAsUser`, `runAsGroup`, `fsGroup`, `supplementalGroups`, \
           `windowsOptions.hostProcess`; in each container's `securityContext` `privileged`, \
           `allowPrivilegeEscalation`, `readOnlyRootFilesystem`, `runAsNonRoot`, `runAsUser`, \
           `runAsGroup`, `windowsOptions.hostProcess`, and each port's `hostPort`; and a \
           ServiceAccount's `automountServiceAccountToken`. A boolean field must hold a YAML \
           boolean (the YAML 1.1 spellings `yes`/`no`/`on`/`off` unquoted count, as the API \
           server reads them); an integer field an integer (a whole-number float such as \
           `1000.0` is accepted, as the API server does). Quoted values (`\"true\"`, `\"0\"`), \
           other strings, numbers in boolean fields, lists and mappings are reported. \
           Structural fields are checked too, since every other rule reads through them: \
           `metadata`, its `labels` and `annotations`; the path to a workload's pod template \
           (`spec`, `spec.template`, …, also of kinds declared in `palisade.yaml`); the pod's \
           `securityContext`, `containers`, `initContainers`, `ephemeralContainers`, \
           `volumes`; each container's `securityContext`, `capabilities` and its `add`/`drop`, \
           `ports`, `env`, `envFrom`, `volumeMounts`; a Role's `rules`; a binding's `subjects` \
           and `roleRef`; a NetworkPolicy's `spec`, `podSelector`, `ingress`, `egress`; a \
           Service's `spec` and `ports`.",
    why: "The API server rejects the object (`cannot unmarshal string into Go struct field … of \
          type bool`), so this is a broken manifest — but one that hides its intent from every \
          tool that reads only well-typed values. `privileged: \"true\"` is skipped as \"not \
          true\" by a naive policy check and passes review; once someone removes the quotes to \
          make it deploy, a privileged container ships that no check ever saw. `runAsUser: \
          \"0\"` hides a root user the same way.",
    example: "# fails\nspec:\n  hostNetwork: \"true\"\n  securityContext:\n    runAsUser: \"0\"\n\
              # passes (then judged by the pod security rules on its merits)\nspec:\n  \
              hostNetwork: false\n  securityContext:\n    runAsUser: 10001",
    fix: "Write the value without quotes, as a boolean (`true`/`false`) or an integer — and \
          then decide whether you want it: the other rules judge the corrected value. Prefer \
          `true`/`false` over `yes`/`no`, which only YAML 1.1 readers take as booleans.",
    help: "write the value as a plain boolean or integer, without quotes",
};

pub struct FieldTypes;

pub static RULE: FieldTypes = FieldTypes;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Bool,
    Int,
    IntList,
    /// A mapping (`spec`, `securityContext`, …).
    Map,
    /// A list of anything (`capabilities.drop`).
    List,
    /// A list of mappings (`containers`, `rules`, …).
    MapList,
}

/// Pod spec fields, as paths under the spec.
const POD_FIELDS: &[(&[&str], Ty)] = &[
    (&["securityContext"], Ty::Map),
    (&["containers"], Ty::MapList),
    (&["initContainers"], Ty::MapList),
    (&["ephemeralContainers"], Ty::MapList),
    (&["volumes"], Ty::MapList),
    (&["hostNetwork"], Ty::Bool),
    (&["hostPID"], Ty::Bool),
    (&["hostIPC"], Ty::Bool),
    (&["hostUsers"], Ty::Bool),
    (&["shareProcessNamespace"], Ty::Bool),
    (&["automountServiceAccountToken"], Ty::Bool),
    (&["securityContext", "runAsNonRoot"], Ty::Bool),
    (&["securityContext", "runAsUser"], Ty::Int),
    (&["securityContext", "runAsGroup"], Ty::Int),
    (&["securityContext", "fsGroup"], Ty::Int),
    (&["securityContext", "supplementalGroups"], Ty::IntList),
    (
        &["securityContext", "windowsOptions", "hostProcess"],
        Ty::Bool,
    ),
];

/// Container fields, as paths under the container.
const CONTAINER_FIELDS: &[(&[&str], Ty)] = &[
    (&["securityContext"], Ty::Map),
    (&["securityContext", "capabilities"], Ty::Map),
    (&["securityContext", "capabilities", "add"], Ty::List),
    (&["securityContext", "capabilities", "drop"], Ty::List),
    (&["ports"], Ty::MapList),
    (&["env"], Ty::MapList),
    (&["envFrom"], Ty::MapList),
    (&["volumeMounts"], Ty::MapList),
    (&["securityContext", "privileged"], Ty::Bool),
    (&["securityContext", "allowPrivilegeEscalation"], Ty::Bool),
    (&["securityContext", "readOnlyRootFilesystem"], Ty::Bool),
    (&["securityContext", "runAsNonRoot"], Ty::Bool),
    (&["securityContext", "runAsUser"], Ty::Int),
    (&["securityContext", "runAsGroup"], Ty::Int),
    (
        &["securityContext", "windowsOptions", "hostProcess"],
        Ty::Bool,
    ),
];

/// Fields of every object.
const OBJECT_FIELDS: &[(&[&str], Ty)] = &[
    (&["metadata"], Ty::Map),
    (&["metadata", "labels"], Ty::Map),
    (&["metadata", "annotations"], Ty::Map),
];

/// Structural fields of kinds other than workloads, by (group, kind).
fn kind_fields(group: &str, kind: &str) -> &'static [(&'static [&'static str], Ty)] {
    match (group, kind) {
        ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => &[(&["rules"], Ty::MapList)],
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            &[(&["subjects"], Ty::MapList), (&["roleRef"], Ty::Map)]
        }
        ("networking.k8s.io", "NetworkPolicy") => &[
            (&["spec"], Ty::Map),
            (&["spec", "podSelector"], Ty::Map),
            (&["spec", "ingress"], Ty::MapList),
            (&["spec", "egress"], Ty::MapList),
            (&["spec", "policyTypes"], Ty::List),
        ],
        ("", "Service") => &[(&["spec"], Ty::Map), (&["spec", "ports"], Ty::MapList)],
        _ => &[],
    }
}

/// What a node is, for messages.
fn describe_value(node: &Node) -> String {
    match &node.value {
        Value::Map(_) => "a mapping".to_owned(),
        Value::Seq(_) => "a list".to_owned(),
        Value::Scalar(s) => match s.scalar_type() {
            ScalarType::Bool => format!("the boolean {}", s.text),
            ScalarType::Int | ScalarType::Float => format!("the number {}", s.text),
            _ if s.quoted => format!("the quoted string \"{}\"", s.text),
            _ => format!("the string \"{}\"", s.text),
        },
    }
}

/// What is wrong with a value for a field of type `ty`, or `None` when it fits. Null is an
/// unset field and fits every type.
fn mismatch(node: &Node, ty: Ty) -> Option<String> {
    if node.is_null() {
        return None;
    }
    let structure = |expected: &str| {
        format!(
            "is {}, not {expected}: the API server rejects the object, and nothing below it can \
             be checked",
            describe_value(node)
        )
    };
    match ty {
        Ty::Map if node.as_map().is_none() => return Some(structure("a mapping")),
        Ty::List if node.as_seq().is_none() => return Some(structure("a list")),
        Ty::Map | Ty::List | Ty::MapList | Ty::IntList => return None,
        Ty::Bool | Ty::Int => {}
    }
    let fits = match ty {
        Ty::Bool => node.as_bool().is_some(),
        _ => node.as_i64().is_some(),
    };
    if fits {
        return None;
    }
    let expected = match ty {
        Ty::Bool => "a boolean",
        _ => "an integer",
    };
    let found = describe_value(node);
    let intent = match ty {
        Ty::Bool => node.bool_intent().map(|b| b.to_string()),
        _ => node.int_intent().map(|i| i.to_string()),
    };
    let hidden = match intent {
        Some(v) => format!("; it spells {v}, which a tool reading only well-typed values misses"),
        None => String::new(),
    };
    Some(format!(
        "is {found}, not {expected}: the API server rejects the object{hidden}"
    ))
}

/// Checks `fields` under `base` (a node and its pointer), reporting with `owner` as the subject.
fn check_fields(
    base: &Node,
    pointer: &dyn std::fmt::Display,
    owner: &dyn std::fmt::Display,
    fields: &[(&[&str], Ty)],
    report: &mut dyn FnMut(String, String),
) {
    for (path, ty) in fields {
        let Some(node) = base.path(path) else {
            continue;
        };
        // Written out only for a finding: most fields are present and fine.
        let name = || path.join(".");
        let field_pointer = || format!("{pointer}/{}", path.join("/"));
        if *ty == Ty::MapList {
            if node.as_seq().is_none() {
                if let Some(m) = mismatch(node, Ty::List) {
                    report(field_pointer(), format!("{owner} {} {m}", name()));
                }
                continue;
            }
            for (i, item) in node.items().iter().enumerate() {
                if let Some(m) = mismatch(item, Ty::Map) {
                    report(
                        format!("{}/{i}", field_pointer()),
                        format!("{owner} {}[{i}] {m}", name()),
                    );
                }
            }
            continue;
        }
        if *ty == Ty::IntList {
            for (i, item) in node.items().iter().enumerate() {
                if let Some(m) = mismatch(item, Ty::Int) {
                    report(
                        format!("{}/{i}", field_pointer()),
                        format!("{owner} {}[{i}] {m}", name()),
                    );
                }
            }
            if !node.is_null() && node.as_seq().is_none() {
                report(
                    field_pointer(),
                    format!(
                        "{owner} {} is not a list of integers: the API server rejects the object",
                        name()
                    ),
                );
            }
            continue;
        }
        if let Some(m) = mismatch(node, *ty) {
            report(field_pointer(), format!("{owner} {} {m}", name()));
        }
    }
}

/// `container "app" field`, written out only when a finding names it.
struct ContainerOwner<'a, 'b>(&'a Container<'b>);

impl std::fmt::Display for ContainerOwner<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} field", describe(self.0))
    }
}

impl ObjectRule for FieldTypes {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges::OBJECTS
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        let mut report = |p: String, m: String| {
            out.report(&p, m);
        };
        check_fields(&object.node, &"", &"field", OBJECT_FIELDS, &mut report);
        let fields = kind_fields(object.group(), object.kind());
        check_fields(&object.node, &"", &"field", fields, &mut report);
        if let Some((meta_path, spec_path, _, _)) = object.template_paths() {
            // Every step down to the pod template and its spec must be a mapping, or no pod
            // rule sees the pod.
            let steps: Vec<&[&str]> = (1..=spec_path.len())
                .map(|n| &spec_path[..n])
                .chain([meta_path])
                .collect();
            for step in steps {
                let Some(node) = object.node.path(step) else {
                    break;
                };
                if let Some(m) = mismatch(node, Ty::Map) {
                    report(
                        format!("/{}", step.join("/")),
                        format!("field {} {m}", step.join(".")),
                    );
                    break;
                }
            }
        }
        if object.kind() == "ServiceAccount" && object.group().is_empty() {
            check_fields(
                &object.node,
                &"",
                &"ServiceAccount field",
                &[(&["automountServiceAccountToken"], Ty::Bool)],
                &mut |p, m| {
                    out.report(&p, m);
                },
            );
            return;
        }
        let Some(pod) = object.pod_template() else {
            return;
        };
        check_fields(
            pod.spec,
            &pod.spec_pointer,
            &"pod field",
            POD_FIELDS,
            &mut |p, m| {
                out.report(&p, m);
            },
        );
        for c in pod.containers() {
            let owner = ContainerOwner(&c);
            let mut found: Vec<(String, String)> = Vec::new();
            check_fields(c.node, &c.pointer, &owner, CONTAINER_FIELDS, &mut |p, m| {
                found.push((p, m));
            });
            let ports = c.node.get("ports").map(Node::items).unwrap_or(&[]);
            for (i, port) in ports.iter().enumerate() {
                if let Some(m) = port.get("hostPort").and_then(|n| mismatch(n, Ty::Int)) {
                    found.push((
                        format!("{}/ports/{i}/hostPort", c.pointer),
                        format!("{owner} ports[{i}].hostPort {m}"),
                    ));
                }
            }
            for (p, m) in found {
                out.report_container(&c, &p, m);
            }
        }
    }
}
