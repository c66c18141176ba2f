//! Palisade's built-in rules and the engine that runs them. One rule per file; codes are stable.
//!
//! Families: `PS1xx` pod security (Pod Security Standards and the guide's pod items; namespaces'
//! Pod Security Admission labels `PS160`–`PS164`; PodSecurityPolicy `PS170`–`PS178`), `RB2xx`
//! service accounts and RBAC (`rbac`: the RBAC engine and its rules; the Dashboard's
//! `RB250`–`RB253`), `NP3xx` NetworkPolicies and exposure (`netpol`: the NetworkPolicy engine and its
//! rules; the Dashboard's `NP340`–`NP341`; `NP350`), `IM4xx` images, `PA9xx` Palisade's own (input
//! problems).

pub mod dashboard;
pub mod engine;
pub mod exposure;
pub mod input;
pub mod namespace;
pub mod netpol;
pub mod psp;
pub mod pss;
pub mod rbac;
pub mod registry;
pub mod workload;

pub use engine::{Engine, Mode, Selection};
