//! The pre-pass that finds ValidatingAdmissionPolicies, their bindings, their params, Gatekeeper
//! ConstraintTemplates and Constraints, and the Namespaces they select by in a scan's input, and
//! declares them for VA001 and VA002 before objects stream through (see `palisade_cel::rule`).
//!
//! Why a pre-pass rather than the inventory stage: a policy may come after the objects it judges,
//! and an inventory rule would have to keep every object whole to judge them at the end, which a
//! scan of 100,000 objects cannot afford. Finding the policies costs a text search per document
//! (the same prefilter `rbac` and `netpol` use); only documents that may hold one are parsed.

use std::collections::HashSet;
use std::sync::Arc;

use palisade_cel::vap::PolicySet;
use palisade_core::report::{InputProblem, NotEvaluated};
use palisade_core::{KubeVersion, Object};
use rayon::prelude::*;

use crate::prefilter::Prefilter;
use crate::scan::{objects_in, read_input, Input};
use palisade_core::source::SourceLimits;

const POLICY_KINDS: [&str; 3] = [
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ConstraintTemplate",
];

/// What the pre-pass found that the report must say.
#[derive(Default)]
pub struct Declared {
    /// Policies, bindings, templates and constraints that could not be read.
    pub problems: Vec<InputProblem>,
    /// Gatekeeper templates and constraints that cannot be judged, with why (VA002 NOT EVALUATED).
    pub not_evaluated: Vec<String>,
}

/// Declares the policies among `inputs` for VA001 and VA002. Standard input is read by
/// [`buffer_stdin`] first; an `Input::Stdin` left here is skipped (it can be read once only).
pub fn declare(inputs: &[(usize, Input)], limits: &SourceLimits) -> Declared {
    let kinds = Prefilter::any_scalar(&POLICY_KINDS);
    // A constraint's kind is its template's; its API group is always this one.
    let constraints = Prefilter::any_text(&[palisade_cel::gatekeeper::CONSTRAINTS_GROUP]);
    let policies = load(inputs, limits, &|t| {
        Prefilter::any_wanted(&[&kinds, &constraints], t)
    });
    let gatekeeper = |o: &Object| {
        palisade_cel::gatekeeper::template::is_template(o)
            || palisade_cel::gatekeeper::constraint::is_constraint(o)
    };
    if !policies
        .iter()
        .any(|o| palisade_cel::vap::model::admission_kind(o) == Some(false) || gatekeeper(o))
    {
        return Declared::default();
    }
    let mut objects: Vec<Arc<Object>> = policies.into_iter().map(Arc::new).collect();
    // What the policies need besides themselves: the Namespaces when they select by namespace
    // labels or read `namespaceObject`, and their params, found by a second read.
    let found = PolicySet::new(&objects);
    let namespaces = found
        .needs_namespaces()
        .then(|| Prefilter::any_scalar(&["Namespace"]));
    let param_kinds: Vec<&str> = found.param_kinds().into_iter().map(|(_, k)| k).collect();
    let params = (!param_kinds.is_empty()).then(|| {
        // Params named by the bindings: a document must also hold one of the names (a ConfigMap
        // param kind would otherwise have every ConfigMap parsed).
        let names = found.param_names().map(|n| Prefilter::any_scalar(&n));
        (Prefilter::any_scalar(&param_kinds), names)
    });
    if namespaces.is_some() || params.is_some() {
        // Whole inputs are searched before their documents, so this filter cannot leave out
        // what the first read parsed (a policy's file may hold its params); documents the first
        // read took are dropped after parsing instead.
        let wanted = |t: &[u8]| {
            namespaces.as_ref().is_some_and(|n| n.wanted(t))
                || params.as_ref().is_some_and(|(kinds, names)| {
                    kinds.wanted(t) && names.as_ref().is_none_or(|n| n.wanted(t))
                })
        };
        let seen: HashSet<(Arc<str>, String)> = objects.iter().map(|o| identity(o)).collect();
        objects.extend(
            load(inputs, limits, &wanted)
                .into_iter()
                .filter(|o| !seen.contains(&identity(o)))
                .map(Arc::new),
        );
    }
    let set = PolicySet::new(&objects);
    let not_evaluated = set.not_evaluated.clone();
    let problems = set
        .problems
        .iter()
        .map(|message| InputProblem {
            path: Arc::from("admission policies"),
            pos: None,
            message: message.clone(),
        })
        .collect();
    let scope = palisade_cel::rule::Scope {
        arguments: inputs
            .iter()
            .filter_map(|(argument, input)| match input {
                Input::File(p) => Some((Arc::from(p.to_string_lossy().as_ref()), *argument)),
                Input::Rendered { name, .. } => Some((Arc::clone(name), *argument)),
                Input::Stdin => None,
            })
            .collect(),
    };
    palisade_cel::rule::declare(set, scope);
    Declared {
        problems,
        not_evaluated,
    }
}

fn identity(o: &Object) -> (Arc<str>, String) {
    match &o.origin {
        palisade_core::object::Origin::File {
            path,
            document,
            base,
        } => (Arc::clone(path), format!("{document}{base}")),
        palisade_core::object::Origin::Api { source } => {
            (Arc::clone(source), o.reference().to_string())
        }
    }
}

fn load(
    inputs: &[(usize, Input)],
    limits: &SourceLimits,
    wanted: &(dyn Fn(&[u8]) -> bool + Sync),
) -> Vec<Object> {
    inputs
        .par_iter()
        .filter(|(_, input)| !matches!(input, Input::Stdin))
        .flat_map_iter(|(_, input)| {
            let (path, bytes) = read_input(input, limits);
            match bytes {
                Ok(b) => objects_in(&path, &b, limits, wanted).0,
                Err(_) => Vec::new(),
            }
        })
        .collect()
}

/// Declares a cluster's own ValidatingAdmissionPolicies, bindings and params for VA001, from
/// what `palisade cluster` read: the API server judged each object when it was admitted, but not
/// against policies added later or changed since (what Gatekeeper's audit reports).
///
/// Returns what VA001 could not judge, with why: a cluster before 1.30 (policies are read as
/// `admissionregistration.k8s.io/v1`), policies or bindings the credentials could not list,
/// policies whose params are of a kind Palisade does not read (their `parameterNotFoundAction`
/// must not be applied to params that exist but were not read), and the pods and ReplicaSets
/// that workloads control (not read: their owners are, so a policy on `pods` sees only the pods
/// no workload controls). Policies that judge an object judge it whichever of these applies.
pub fn declare_from_cluster(inventory: &palisade_cluster::Inventory) -> Vec<NotEvaluated> {
    use palisade_cel::vap::model::{admission_kind, spec, PolicySpec};
    use palisade_cluster::resources::RESOURCES;

    let code = palisade_cel::rule::META.code;
    let not_evaluated = |reason: String| NotEvaluated { code, reason };
    if let Some(v) = inventory.version.filter(|v| *v < KubeVersion::v1(30)) {
        return vec![not_evaluated(format!(
            "the cluster runs {v}: ValidatingAdmissionPolicies are read as \
             admissionregistration.k8s.io/v1, which the API server serves from 1.30"
        ))];
    }
    let mut out: Vec<NotEvaluated> = inventory
        .unreadable
        .iter()
        .filter(|u| u.resource.starts_with("validatingadmissionpolic"))
        .map(|u| not_evaluated(format!("cannot read {}: {}", u.resource, u.reason)))
        .collect();
    if !out.is_empty() {
        return out;
    }
    // Kinds read whole: a param of any other kind may exist without Palisade having seen it.
    let read_whole = |api_version: &str, kind: &str| {
        RESOURCES.iter().any(|r| {
            r.kind == kind
                && r.api_version() == api_version
                && !r.metadata_only
                && r.served_at(inventory.version)
                && !inventory.unreadable.iter().any(|u| u.resource == r.name())
        })
    };
    let mut param_kinds: Vec<(String, String)> = Vec::new();
    let mut on_pods: Vec<String> = Vec::new();
    let mut objects: Vec<Arc<Object>> = Vec::new();
    for o in &inventory.objects {
        if admission_kind(o) != Some(false) {
            continue;
        }
        let name = o.name().unwrap_or("");
        // A policy that does not parse is kept: `PolicySet` reports it below.
        if let Ok(s) = spec::<PolicySpec>(o) {
            if let Some(k) = &s.param_kind {
                if !read_whole(&k.api_version, &k.kind) {
                    out.push(not_evaluated(format!(
                        "ValidatingAdmissionPolicy '{name}' takes params of kind {} ({}), which \
                         palisade cluster does not read",
                        k.kind, k.api_version
                    )));
                    continue;
                }
                param_kinds.push((k.api_version.clone(), k.kind.clone()));
            }
            let rules = s.match_constraints.iter().flat_map(|m| &m.resource_rules);
            if rules
                .flat_map(|r| &r.resources)
                .any(|r| matches!(r.as_str(), "pods" | "replicasets" | "jobs" | "*" | "*/*"))
            {
                on_pods.push(name.to_owned());
            }
        }
        objects.push(Arc::new(o.clone()));
    }
    if objects.is_empty() {
        return out;
    }
    objects.extend(
        inventory
            .objects
            .iter()
            .filter(|o| {
                admission_kind(o) == Some(true)
                    || (o.group().is_empty() && o.kind() == "Namespace")
                    || param_kinds
                        .iter()
                        .any(|(a, k)| o.api_version() == a && o.kind() == k)
            })
            .map(|o| Arc::new(o.clone())),
    );
    if inventory.controlled_skipped > 0 && !on_pods.is_empty() {
        out.push(not_evaluated(format!(
            "{} objects that workloads control (pods, ReplicaSets, Jobs) were not read, their \
             workloads were; ValidatingAdmissionPolicies {} match such kinds",
            inventory.controlled_skipped,
            on_pods.join(", ")
        )));
    }
    let set = PolicySet::new(&objects);
    out.extend(set.problems.iter().map(|p| not_evaluated(p.clone())));
    palisade_cel::rule::declare(set, palisade_cel::rule::Scope::default());
    out
}

/// Standard input read now, as the bytes the scan will read, so that the pre-pass sees the
/// policies piped in (`helm template … | palisade scan -`) and the scan still reads them: stdin
/// can be read only once. Read as the scan reads it (at most one byte more than the size limit,
/// which the scan then reports); a read error is the input's problem.
pub fn buffer_stdin(
    inputs: Vec<(usize, Input)>,
    limits: &SourceLimits,
) -> (Vec<(usize, Input)>, Vec<InputProblem>) {
    let mut problems = Vec::new();
    let inputs = inputs
        .into_iter()
        .filter_map(|(argument, input)| match input {
            Input::Stdin => match read_input(&Input::Stdin, limits) {
                (name, Ok(bytes)) => Some((
                    argument,
                    Input::Rendered {
                        name,
                        bytes: bytes.into(),
                    },
                )),
                (path, Err(e)) => {
                    problems.push(InputProblem {
                        path,
                        pos: None,
                        message: e.to_string(),
                    });
                    None
                }
            },
            other => Some((argument, other)),
        })
        .collect();
    (inputs, problems)
}

/// The inputs the pre-pass searches: the scan's own and the files of `policies:` in
/// `palisade.yaml` (`configured`, not scanned as manifests). Each configured path is its own
/// argument, numbered after the scan's, so its policies judge every scanned object (see
/// `palisade_cel::rule::Scope`); a file that is both scanned and configured is searched once, as
/// configured.
pub fn with_configured(
    inputs: &[(usize, Input)],
    configured: Vec<(usize, Input)>,
) -> Vec<(usize, Input)> {
    if configured.is_empty() {
        return inputs.to_vec();
    }
    let first = inputs.iter().map(|(a, _)| a + 1).max().unwrap_or(0);
    let canonical = |i: &Input| match i {
        Input::File(p) => std::fs::canonicalize(p).ok(),
        _ => None,
    };
    let configured_files: HashSet<std::path::PathBuf> = configured
        .iter()
        .filter_map(|(_, i)| canonical(i))
        .collect();
    inputs
        .iter()
        .filter(|(_, i)| canonical(i).is_none_or(|c| !configured_files.contains(&c)))
        .cloned()
        .chain(configured.into_iter().map(|(a, i)| (first + a, i)))
        .collect()
}
