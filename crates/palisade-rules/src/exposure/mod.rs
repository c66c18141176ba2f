//! Exposure of the cluster itself (the guide's "Private topology"): what a live cluster's objects
//! say about how reachable its machines are.

pub mod anonymous_api;
pub mod node_external_ip;
pub mod service_exposed;

use palisade_core::{Rule, RuleMeta};

/// Every exposure rule.
pub static RULES: &[&dyn Rule] = &[&node_external_ip::RULE, &service_exposed::RULE];

/// Declarations of exposure rules reported by a source rather than run per object.
pub static METAS: &[&RuleMeta] = &[&anonymous_api::META];
