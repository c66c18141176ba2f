//! Palisade's built-in rules and the engine that runs them. One rule per file; codes are stable.
//!
//! Families: `PS1xx` pod security (Pod Security Standards and the guide's pod items), `RB2xx`
//! service accounts and RBAC, `IM4xx` images, `PA9xx` Palisade's own (input problems).

pub mod dashboard;
pub mod engine;
pub mod input;
pub mod namespace;
pub mod psp;
pub mod pss;
pub mod registry;
pub mod workload;

pub use engine::{Engine, Mode, Selection};
