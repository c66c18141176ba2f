//! Palisade's rules about manifests and cluster objects, and the engine that runs them.
//!
//! - `rules/<family>/`: one file per rule, one folder per code family (`ps` pod security, `rb`
//!   service accounts and RBAC, `np` NetworkPolicies and exposure, `im` images, `pa` Palisade's
//!   own input problems). Codes are stable: users' configs and baselines name them.
//! - the models and primitives rules share: `pss` (the Pod Security Standards, check by check),
//!   `rbac` (the RBAC authorizer), `netpol` (the NetworkPolicy model), `namespace` (Pod Security
//!   Admission labels), `psp` (PodSecurityPolicy), `dashboard` (identifying the Dashboard),
//!   `workload` (image references, workload helpers).
//! - `engine`: runs the registered rules ([`palisade_core::registry`]) over objects.

pub mod dashboard;
pub mod engine;
pub mod namespace;
pub mod netpol;
pub mod paths;
pub mod psp;
pub mod pss;
pub mod rbac;
pub mod registry;
pub mod rules;
pub mod vap_export;
pub mod workload;

pub use engine::{Engine, Evaluation, Judged, Mode, Selection, ToRefine};
