//! Reading the inputs: the documents the question needs, and the destination's container ports.

use std::collections::BTreeMap;

use palisade_core::report::InputProblem;
use palisade_core::source::SourceLimits;
use palisade_core::Object;
use palisade_rules::netpol::{self, Pod};

use crate::prefilter::Prefilter;
use crate::scan::{self, RawInput};

/// Parses the documents of `texts` that `filter` wants; input problems go to `problems`.
pub(super) fn load(
    texts: &[RawInput],
    filter: &Prefilter,
    limits: &SourceLimits,
    problems: &mut Vec<InputProblem>,
) -> Vec<Object> {
    let (objects, more) = scan::load_objects(texts, limits, &|t| filter.wanted(t));
    problems.extend(more);
    // A problem met by both passes is reported once.
    let mut seen = std::collections::HashSet::new();
    problems.retain(|p| seen.insert((p.path.clone(), p.pos, p.message.clone())));
    objects
}

/// Container ports of the workloads that could be the destination: in `namespace`, with pod
/// labels equal to `labels` (or, when none is, containing them).
pub(super) fn ports_of_matching(
    workloads: &[Object],
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Vec<netpol::ContainerPort> {
    let pods: Vec<Pod> = workloads
        .iter()
        .filter_map(netpol::pod_of)
        .filter(|p| p.namespace == namespace)
        .collect();
    let exact: Vec<&Pod> = pods.iter().filter(|p| p.labels == *labels).collect();
    let chosen: Vec<&Pod> = if exact.is_empty() {
        pods.iter()
            .filter(|p| labels.iter().all(|(k, v)| p.labels.get(k) == Some(v)))
            .collect()
    } else {
        exact
    };
    let mut ports: Vec<netpol::ContainerPort> = Vec::new();
    for p in chosen {
        for port in &p.ports {
            if !ports.contains(port) {
                ports.push(port.clone());
            }
        }
    }
    ports
}
