//! Gatekeeper ConstraintTemplates and their Constraints, judged as Gatekeeper judges them with its
//! CEL driver (`K8sNativeValidation`): the template's CEL source becomes a policy of the same
//! internal model as a ValidatingAdmissionPolicy ([`template`]), each Constraint of the template's
//! kind binds it with its own `spec.match` and `spec.enforcementAction` ([`constraint`]).
//!
//! Gatekeeper does the same twice: its webhook evaluates the source through the API server's VAP
//! validator with the constraint as `params` and its own matcher (`spec.match`), and its optional
//! VAP generation writes a ValidatingAdmissionPolicy (`gatekeeper-<template>`) and one binding per
//! constraint (`gatekeeper-<constraint>`). The verdicts agree; we follow the webhook, which also
//! honours `scope` and matches a Namespace by its own name.
//!
//! Templates whose only code is Rego are not judged (Palisade runs no Rego): they and their
//! constraints are NOT EVALUATED, with the reason, never pass or fail.

pub mod constraint;
pub mod rule;
pub mod template;

/// The API group of every ConstraintTemplate.
pub const TEMPLATES_GROUP: &str = "templates.gatekeeper.sh";
/// The API group of every Constraint (`constraints.gatekeeper.sh/v1beta1`, `v1alpha1`, `v1`).
pub const CONSTRAINTS_GROUP: &str = "constraints.gatekeeper.sh";
