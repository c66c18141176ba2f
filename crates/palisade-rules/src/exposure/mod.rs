//! Exposure of the cluster itself (the guide's "Private topology"): what a live cluster's objects
//! say about how reachable its machines are.

pub mod node_external_ip;
pub mod service_exposed;
