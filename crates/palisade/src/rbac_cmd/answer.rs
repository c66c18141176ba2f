//! Where a grant comes from: subject, binding, role and rule with their locations.

use palisade_core::object::span_of;
use palisade_core::{Object, Origin};
use palisade_rules::rbac::{Grant, Rbac};
use serde_json::{json, Value};

/// `file:line` of a field of an object.
pub(super) fn location(object: &Object, pointer: &str) -> String {
    match &object.origin {
        Origin::File { path, .. } => {
            format!("{path}:{}", span_of(&object.node, pointer).start.line)
        }
        Origin::Api { source } => format!("{source}#{pointer}"),
    }
}

/// A grant as JSON: subject, binding, role and rule with their locations.
pub(super) fn grant_json(rbac: &Rbac<'_>, g: &Grant) -> Value {
    let b = &rbac.bindings[g.binding];
    let s = &b.subjects[g.subject];
    let role = &rbac.roles[g.rule.role];
    let rule = rbac.rule(g.rule);
    json!({
        "subject": {
            "kind": format!("{:?}", s.kind),
            "name": s.name,
            "namespace": s.service_account_namespace(b.namespace),
            "description": s.describe(b.namespace),
        },
        "binding": {
            "kind": b.kind(),
            "name": b.name,
            "namespace": (!b.cluster).then_some(b.namespace),
            "location": location(b.object, &format!("/subjects/{}", s.index)),
        },
        "role": {
            "kind": role.kind.as_str(),
            "name": role.name,
            "namespace": (!role.namespace.is_empty()).then_some(role.namespace),
            "builtin": role.builtin,
        },
        "rule": {
            "index": rule.index,
            "text": rule.describe(),
            "location": rbac.location(g.rule),
        },
        "explanation": rbac.describe_grant(g.binding, g.rule),
    })
}
