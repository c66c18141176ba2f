//! The guide's workload-level items beyond the Pod Security Standards: service-account tokens,
//! image pull policy and provenance, runtime sockets, and what a reviewer of the guide expects.

use palisade_core::Rule;

/// Every workload rule.
pub static RULES: &[&dyn Rule] = &[];
