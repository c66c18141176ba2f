//! Exposure of the cluster itself (the guide's "Private topology"): what a live cluster's objects
//! say about how reachable its machines are.

pub mod node_external_ip;

use palisade_core::Rule;

/// Every exposure rule.
pub static RULES: &[&dyn Rule] = &[&node_external_ip::RULE];
