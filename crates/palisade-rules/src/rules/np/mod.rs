//! `NP3xx`: NetworkPolicies and exposure: isolation (`NP301`–`NP307`), the Dashboard's exposure (`NP340`–`NP341`), nodes' and Services' exposure (`NP350`–`NP351`).

pub mod dashboard_exposed_by_ingress;
pub mod dashboard_exposed_by_service;
pub mod dashboard_reachable;
pub mod default_deny_egress;
pub mod default_deny_ingress;
pub mod ingress_from_anywhere;
pub mod invalid_policy;
pub mod metadata_egress;
pub mod node_external_ip;
pub mod service_exposed;
pub mod unselected_workload;
