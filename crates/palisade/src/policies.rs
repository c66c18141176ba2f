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
use palisade_core::report::InputProblem;
use palisade_core::Object;
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

/// Declares the policies among `inputs` for VA001 and VA002. Standard input is not read here (it
/// can be read once only), so policies given on stdin are not applied.
pub fn declare(inputs: &[(usize, Input)], limits: &SourceLimits) -> Declared {
    let kinds = Prefilter::any_scalar(&POLICY_KINDS);
    // A constraint's kind is its template's; its API group is always this one.
    let constraints = Prefilter::any_text(&[palisade_cel::gatekeeper::CONSTRAINTS_GROUP]);
    let policies = load(inputs, limits, &|t| {
        kinds.wanted(t) || constraints.wanted(t)
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
    let first = PolicySet::new(&objects);
    let kinds: Vec<&str> = first.param_kinds().into_iter().map(|(_, k)| k).collect();
    let namespaces = Prefilter::any_scalar(&["Namespace"]);
    let params = Prefilter::any_scalar(&kinds);
    // Params named by the bindings: a document must also hold one of the names (a ConfigMap
    // param kind would otherwise have every ConfigMap parsed).
    let names = first.param_names().map(|n| Prefilter::any_scalar(&n));
    let wanted = |t: &[u8]| {
        namespaces.wanted(t)
            || (!kinds.is_empty() && params.wanted(t) && names.as_ref().is_none_or(|n| n.wanted(t)))
    };
    // Documents already read (a policy file may also hold params) are not taken twice.
    let seen: HashSet<(Arc<str>, String)> = objects.iter().map(|o| identity(o)).collect();
    objects.extend(
        load(inputs, limits, &wanted)
            .into_iter()
            .filter(|o| !seen.contains(&identity(o)))
            .map(Arc::new),
    );
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
