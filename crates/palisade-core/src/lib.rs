//! Palisade's core: the span-carrying document model, the manifest source, the inventory, findings
//! and the rule interface. This crate does no network I/O and must never depend on kube,
//! k8s-openapi, tokio, hyper or rustls: it is compiled into every test and into the fast scan path.

pub mod baseline;
pub mod cidr;
pub mod config;
pub mod finding;
pub mod fix;
pub mod guide;
pub mod image;
pub mod keep;
pub mod kept;
pub mod names;
pub mod object;
pub mod registry;
pub mod report;
pub mod rule;
pub mod source;
pub mod suppress;
pub mod version;
pub mod webhook_config;
pub mod yaml;

pub use finding::{sort_for_report, Finding, FlowStep, Location, Severity};
pub use fix::{Fix, FixOp, FixSafety, FixValue};
pub use keep::Keep;
pub use kept::{Kept, Model, Models};
pub use object::{
    Container, ContainerKind, ContainerPointer, Object, ObjectRef, Origin, PodTemplate, SubPointer,
};
pub use registry::{Rule, Stage};
pub use report::NotEvaluated;
pub use rule::{
    check_objects, evaluate_objects, keep_all, location_of, Context, Emitter, InventoryRule,
    Judges, ObjectRule, RuleMeta, Settings,
};
pub use version::{KubeVersion, VersionRange};
pub use webhook_config::{AdmissionMode, WebhookConfig};
