//! Palisade's built-in rules and the engine that runs them. One rule per file; codes are stable.
//!
//! Families: `PS1xx` pod security (Pod Security Standards and the guide's pod items; namespaces'
//! Pod Security Admission labels `PS160`–`PS164`; PodSecurityPolicy `PS170`–`PS178`), `RB2xx`
//! service accounts and RBAC (the Dashboard's `RB250`–`RB253`), `NP3xx` network exposure (the
//! Dashboard's `NP340`–`NP341`), `IM4xx` images, `PA9xx` Palisade's own (input problems).

pub mod dashboard;
pub mod engine;
pub mod input;
pub mod namespace;
pub mod psp;
pub mod pss;
pub mod registry;
pub mod workload;

pub use engine::{Engine, Mode, Selection};
