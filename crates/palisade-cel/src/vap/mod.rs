//! ValidatingAdmissionPolicies and their bindings, evaluated offline as the API server evaluates
//! them for a CREATE of each object: matching, params, match conditions, variables, validations,
//! failure policy and validation actions, with the API server's messages.

pub mod matching;
pub mod model;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use kube_cel::cel::{Context, Value};
use palisade_core::object::{Object, ObjectRef, Origin};

use crate::activation::{self, Bindings, Request};
use crate::defaults;
use crate::expr::Expression;
use crate::gatekeeper::constraint::{self, Constraint, Subject};
use crate::gatekeeper::template::{self, Template};
use crate::unevaluated;
use crate::value::to_value;
use crate::CelError;
use matching::{is_cluster_scoped, resource_of, Target};
use model::{BindingSpec, PolicySpec};

/// What a binding asks the API server to do with a violation (`validationActions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Deny,
    Warn,
    Audit,
}

/// Which kind of policy judged: a ValidatingAdmissionPolicy through its bindings (VA001) or a
/// Gatekeeper ConstraintTemplate through its constraints (VA002).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Vap,
    Gatekeeper,
}

/// What bound the policy to the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bound {
    /// A ValidatingAdmissionPolicyBinding, by name.
    Binding(String),
    /// A Gatekeeper Constraint, by kind and name.
    Constraint { kind: String, name: String },
}

/// One object a policy (through one binding or constraint) would not admit, with the message
/// the API server (or Gatekeeper) would give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The policy's name (`gatekeeper-<template>` for a Gatekeeper template, the name
    /// Gatekeeper's VAP generation gives it).
    pub policy: String,
    /// What decided, for [`palisade_core::Finding::related`]: the policy, or the Gatekeeper
    /// constraint.
    pub policy_ref: ObjectRef,
    pub bound: Bound,
    pub actions: Vec<Action>,
    /// What the validation says (its `message`, `messageExpression` or `failed expression: …`).
    pub message: String,
    /// `reason` of the validation (`Invalid` unless it says otherwise).
    pub reason: String,
}

impl Violation {
    /// The text the API server returns: the denial for `Deny`, else the warning. For a
    /// Gatekeeper constraint, Gatekeeper's `[constraint] message` after what the constraint does
    /// with it (its webhook denies or warns, its audit records a dryrun).
    pub fn api_message(&self) -> String {
        let deny = self.actions.contains(&Action::Deny);
        match &self.bound {
            Bound::Binding(binding) if deny => format!(
                "ValidatingAdmissionPolicy '{}' with binding '{binding}' denied request: {}",
                self.policy, self.message
            ),
            Bound::Binding(binding) => format!(
                "Validation failed for ValidatingAdmissionPolicy '{}' with binding '{binding}': {}",
                self.policy, self.message
            ),
            Bound::Constraint { kind, name } => {
                let what = if deny {
                    "denies the request"
                } else if self.actions.contains(&Action::Warn) {
                    "warns"
                } else {
                    "records in its audit (dryrun)"
                };
                format!("{kind} '{name}' {what}: [{name}] {}", self.message)
            }
        }
    }
}

type Compiled = Result<Expression, CelError>;

struct Policy {
    name: String,
    reference: ObjectRef,
    /// Where the policy was read, for [`PolicySet::evaluate_where`]'s scope.
    origin: Origin,
    spec: PolicySpec,
    /// Compiled on first use: a scan reads every policy of its input (twice in its pre-pass) but
    /// evaluates only those that match some object, and parsing is the costly part of a policy
    /// (gatekeeper-library's 16 CEL templates hold some 250 expressions).
    compiled: OnceLock<Expressions>,
    /// For a Gatekeeper template: the kind of its constraints.
    constraint_kind: Option<String>,
}

/// A policy's expressions, compiled, in the order of its spec.
struct Expressions {
    conditions: Vec<Compiled>,
    variables: Vec<Compiled>,
    validations: Vec<(Compiled, Option<Compiled>)>,
}

impl Expressions {
    fn new(spec: &PolicySpec) -> Expressions {
        // All parsed in one batch (one parser thread per policy, not one per expression).
        let mut sources: Vec<&str> = Vec::new();
        sources.extend(spec.match_conditions.iter().map(|c| c.expression.as_str()));
        sources.extend(spec.variables.iter().map(|v| v.expression.as_str()));
        for v in &spec.validations {
            sources.push(&v.expression);
            sources.extend(v.message_expression.as_deref());
        }
        let mut compiled = Expression::compile_all(&sources).into_iter();
        let mut next = || {
            compiled
                .next()
                .unwrap_or_else(|| Err(CelError::Compile("missing".into())))
        };
        Expressions {
            conditions: spec.match_conditions.iter().map(|_| next()).collect(),
            variables: spec.variables.iter().map(|_| next()).collect(),
            validations: spec
                .validations
                .iter()
                .map(|v| (next(), v.message_expression.as_ref().map(|_| next())))
                .collect(),
        }
    }
}

struct Binding {
    name: String,
    spec: BindingSpec,
}

/// The policies, bindings and what they read (param objects, Namespaces), prepared once.
pub struct PolicySet {
    policies: Vec<Policy>,
    bindings: Vec<Binding>,
    params: Vec<Arc<Object>>,
    namespaces: HashMap<String, Arc<Object>>,
    constraints: Vec<Constraint>,
    /// Indexes into `bindings` by the policy each binds, in input order: an object is judged by
    /// the bindings of the policies that match it, not by a search of every binding.
    bindings_of: HashMap<String, Vec<usize>>,
    /// Indexes into `constraints` by kind, in input order, for the same reason.
    constraints_of: HashMap<String, Vec<usize>>,
    /// Policies, bindings, templates or constraints that could not be read, with why.
    pub problems: Vec<String>,
    /// Gatekeeper templates and constraints that cannot be judged (Rego only, or a constraint
    /// without its template), with why: NOT EVALUATED, never pass nor fail.
    pub not_evaluated: Vec<String>,
}

thread_local! {
    /// The standard and Kubernetes libraries, registered once per thread.
    static ROOT: Context<'static> = activation::root_context();
}

impl PolicySet {
    /// Reads the policies and bindings among `objects`; the rest are candidate params and
    /// Namespaces.
    pub fn new(objects: &[Arc<Object>]) -> PolicySet {
        let mut set = PolicySet {
            policies: Vec::new(),
            bindings: Vec::new(),
            params: Vec::new(),
            namespaces: HashMap::new(),
            constraints: Vec::new(),
            bindings_of: HashMap::new(),
            constraints_of: HashMap::new(),
            problems: Vec::new(),
            not_evaluated: Vec::new(),
        };
        let mut rego_only = Vec::new();
        for o in objects {
            let name = o.name().unwrap_or("").to_owned();
            if template::is_template(o) {
                match template::read(o) {
                    Ok(Template::Cel { kind, spec }) => {
                        let mut policy = Policy::compile(
                            format!("gatekeeper-{name}"),
                            o.reference(),
                            o.origin.clone(),
                            *spec,
                        );
                        policy.constraint_kind = Some(kind);
                        set.policies.push(policy);
                    }
                    Ok(Template::RegoOnly { kind }) => rego_only.push((name, kind)),
                    Err(e) => set
                        .problems
                        .push(format!("ConstraintTemplate '{name}': {e}")),
                }
                continue;
            }
            if constraint::is_constraint(o) {
                // Also a param: Gatekeeper's generated VAPs take their constraint as `paramKind`.
                set.params.push(Arc::clone(o));
                match constraint::read(o) {
                    Ok(c) => set.constraints.push(c),
                    Err(e) => set.problems.push(format!("{} '{name}': {e}", o.kind())),
                }
                continue;
            }
            match model::admission_kind(o) {
                Some(false) => match model::spec::<PolicySpec>(o) {
                    Ok(spec) => set.policies.push(Policy::compile(
                        name,
                        o.reference(),
                        o.origin.clone(),
                        spec,
                    )),
                    Err(e) => set
                        .problems
                        .push(format!("ValidatingAdmissionPolicy '{name}': {e}")),
                },
                Some(true) => match model::spec::<BindingSpec>(o) {
                    Ok(spec) => set.bindings.push(Binding { name, spec }),
                    Err(e) => set
                        .problems
                        .push(format!("ValidatingAdmissionPolicyBinding '{name}': {e}")),
                },
                None => {
                    if o.group().is_empty() && o.kind() == "Namespace" {
                        set.namespaces.insert(name, Arc::clone(o));
                    }
                    set.params.push(Arc::clone(o));
                }
            }
        }
        set.not_evaluated = set.unjudged_constraints(&rego_only);
        set.index();
        set
    }

    /// Fills `bindings_of` and `constraints_of`.
    fn index(&mut self) {
        for (i, b) in self.bindings.iter().enumerate() {
            let of = self.bindings_of.entry(b.spec.policy_name.clone());
            of.or_default().push(i);
        }
        for (i, c) in self.constraints.iter().enumerate() {
            let of = self.constraints_of.entry(c.object.kind().to_owned());
            of.or_default().push(i);
        }
    }

    /// One policy bound to every object it matches with `Deny`, from a spec read elsewhere
    /// (Palisade's own rules, `crate::custom`), with no params. `reference` and `origin` say
    /// where it was written.
    pub fn single(
        name: String,
        reference: ObjectRef,
        origin: Origin,
        spec: PolicySpec,
    ) -> PolicySet {
        let binding = Binding {
            name: name.clone(),
            spec: BindingSpec {
                policy_name: name.clone(),
                validation_actions: vec!["Deny".to_owned()],
                ..BindingSpec::default()
            },
        };
        let mut set = PolicySet {
            policies: vec![Policy::compile(name, reference, origin, spec)],
            bindings: vec![binding],
            params: Vec::new(),
            namespaces: HashMap::new(),
            constraints: Vec::new(),
            bindings_of: HashMap::new(),
            constraints_of: HashMap::new(),
            problems: Vec::new(),
            not_evaluated: Vec::new(),
        };
        set.index();
        set
    }

    /// The expressions of every policy that do not compile, with what the compiler said.
    pub fn compile_errors(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.policies {
            let compiled = p.expressions();
            let named = |kind: &str, source: &str, c: &Compiled| {
                c.as_ref().err().map(|e| format!("{kind} `{source}`: {e}"))
            };
            out.extend(
                p.spec
                    .match_conditions
                    .iter()
                    .zip(&compiled.conditions)
                    .filter_map(|(c, x)| named("matchCondition", &c.expression, x)),
            );
            out.extend(
                p.spec
                    .variables
                    .iter()
                    .zip(&compiled.variables)
                    .filter_map(|(v, x)| named("variable", &v.expression, x)),
            );
            for (v, (x, m)) in p.spec.validations.iter().zip(&compiled.validations) {
                out.extend(named("validation", &v.expression, x));
                if let (Some(source), Some(m)) = (&v.message_expression, m) {
                    out.extend(named("messageExpression", source, m));
                }
            }
        }
        out
    }

    /// Why the Rego-only templates and the constraints without a template in the input are not
    /// judged.
    fn unjudged_constraints(&self, rego_only: &[(String, String)]) -> Vec<String> {
        let count = |kind: &str| {
            self.constraints
                .iter()
                .filter(|c| c.object.kind() == kind)
                .count()
        };
        let mut out: Vec<String> = rego_only
            .iter()
            .map(|(name, kind)| {
                format!(
                    "Palisade runs no Rego; ConstraintTemplate '{name}' has no {} code ({} constraint(s) of kind {kind} not judged)",
                    template::CEL_ENGINE,
                    count(kind)
                )
            })
            .collect();
        for c in &self.constraints {
            let kind = c.object.kind();
            let templated = self
                .policies
                .iter()
                .any(|p| p.constraint_kind.as_deref() == Some(kind))
                || rego_only.iter().any(|(_, k)| k == kind);
            if !templated {
                out.push(format!(
                    "{kind} '{}': no ConstraintTemplate for kind {kind} in the input",
                    c.object.name().unwrap_or("")
                ));
            }
        }
        out
    }

    /// The kinds of the Gatekeeper templates' constraints.
    pub fn constraint_kinds(&self) -> Vec<&str> {
        self.policies
            .iter()
            .filter_map(|p| p.constraint_kind.as_deref())
            .collect()
    }

    /// Whether some policy of `engine` was declared: without one, its rule judges nothing.
    pub fn has(&self, engine: Engine) -> bool {
        self.policies
            .iter()
            .any(|p| p.constraint_kind.is_some() == (engine == Engine::Gatekeeper))
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// The kinds (`apiVersion`, `kind`) the policies take params of.
    pub fn param_kinds(&self) -> Vec<(&str, &str)> {
        self.policies
            .iter()
            .filter_map(|p| p.spec.param_kind.as_ref())
            .map(|k| (k.api_version.as_str(), k.kind.as_str()))
            .collect()
    }

    /// Whether judging needs the input's Namespace objects: some policy, binding or constraint
    /// selects by namespace labels, or an expression reads `namespaceObject`. Otherwise a scan
    /// need not look for them (a text search for `Namespace` also finds every dashboard that
    /// mentions one, and parsing those costs more than the rest of the policies' pre-pass).
    pub fn needs_namespaces(&self) -> bool {
        let selects = |s: Option<&model::LabelSelector>| {
            s.is_some_and(|s| !s.match_labels.is_empty() || !s.match_expressions.is_empty())
        };
        let on_labels = |m: Option<&model::MatchResources>| {
            m.is_some_and(|m| selects(m.namespace_selector.as_ref()))
        };
        let reads_namespace = |spec: &model::PolicySpec| {
            let expressions = spec
                .match_conditions
                .iter()
                .chain(&spec.variables)
                .map(|e| e.expression.as_str())
                .chain(spec.validations.iter().flat_map(|v| {
                    std::iter::once(v.expression.as_str()).chain(v.message_expression.as_deref())
                }));
            // A text search: a variable or field of that name also counts, which only costs a
            // read of the Namespaces.
            expressions
                .into_iter()
                .any(|e| e.contains("namespaceObject"))
        };
        self.policies
            .iter()
            .any(|p| on_labels(p.spec.match_constraints.as_ref()) || reads_namespace(&p.spec))
            || self
                .bindings
                .iter()
                .any(|b| on_labels(b.spec.match_resources.as_ref()))
            || self
                .constraints
                .iter()
                .any(|c| selects(c.matches.namespace_selector.as_ref()))
    }

    /// The names bindings give in `paramRef.name`, or `None` when some binding selects its params
    /// by labels (then any object of a param kind may be one).
    pub fn param_names(&self) -> Option<Vec<&str>> {
        let mut names = Vec::new();
        for b in &self.bindings {
            if let Some(r) = &b.spec.param_ref {
                match r.name.as_deref() {
                    Some(n) if !n.is_empty() => names.push(n),
                    _ => return None,
                }
            }
        }
        Some(names)
    }

    /// Every violation of `object` by a bound policy or a Gatekeeper constraint.
    pub fn evaluate(&self, object: &Object) -> Vec<Violation> {
        let mut out = self.evaluate_where(object, Engine::Vap, &|_| true);
        out.extend(self.evaluate_where(object, Engine::Gatekeeper, &|_| true));
        out
    }

    /// [`PolicySet::evaluate`] by the policies of `engine` whose origin `applies` accepts (a scan
    /// decides which files one policy speaks for; for Gatekeeper, the template's and the
    /// constraint's origins must both be accepted).
    pub fn evaluate_where(
        &self,
        object: &Object,
        engine: Engine,
        applies: &dyn Fn(&Origin) -> bool,
    ) -> Vec<Violation> {
        self.evaluate_among(object, engine, None, applies)
    }

    /// Where each policy was read, in the order the indexes of [`PolicySet::evaluate_among`]
    /// count them.
    pub fn origins(&self) -> impl Iterator<Item = &Origin> {
        self.policies.iter().map(|p| &p.origin)
    }

    /// [`PolicySet::evaluate_where`] among the policies at `candidates` (ascending indexes into
    /// [`PolicySet::origins`]; `None`: all of them). A scan of many directories narrows them
    /// first from an index of the policies' places: asking `applies` of every policy for every
    /// object is quadratic (ten copies of a policy library judged ten times the objects 21 times
    /// as slowly).
    pub fn evaluate_among(
        &self,
        object: &Object,
        engine: Engine,
        candidates: Option<&[usize]>,
        applies: &dyn Fn(&Origin) -> bool,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        // The API server never sends its own admission configuration through admission
        // policies (a policy could otherwise lock itself in).
        if is_admission_configuration(object) {
            return out;
        }
        let mine = |p: &&Policy| {
            (p.constraint_kind.is_some()) == (engine == Engine::Gatekeeper) && applies(&p.origin)
        };
        let policies: Vec<&Policy> = match candidates {
            Some(c) => c.iter().map(|&i| &self.policies[i]).filter(mine).collect(),
            None => self.policies.iter().filter(mine).collect(),
        };
        if policies.is_empty() {
            return out;
        }
        let api_version = object.api_version();
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let kind = object.kind();
        let resource = resource_of(kind);
        let labels = model::labels(&object.node);
        let cluster_scoped = is_cluster_scoped(kind);
        let namespace = if cluster_scoped {
            None
        } else {
            Some(object.namespace().unwrap_or("default"))
        };
        let namespace_object = namespace.map(|ns| self.namespace_object(ns));
        let namespace_labels = match (&namespace_object, kind) {
            (Some(n), _) => Some(namespace_labels(n)),
            (None, "Namespace") => Some(labels.clone()),
            _ => None,
        };
        let target = Target {
            object,
            group,
            version,
            resource: &resource,
            labels: &labels,
            namespace_labels: namespace_labels.as_ref(),
        };
        // The CEL values are built only for an object some policy matches: most objects of a scan
        // match none, and converting each would cost more than the rest of its checks.
        let values = std::cell::OnceCell::new();
        let values = || {
            values.get_or_init(|| {
                let request = Request {
                    group,
                    version,
                    kind,
                    resource: &resource,
                    name: object.name().unwrap_or(""),
                    namespace: namespace.unwrap_or(""),
                }
                .to_value();
                let namespace_value = namespace_object.map_or(Value::Null, to_value);
                // What the API server's built-in mutating admission would have added first.
                let object_value = defaults::admitted(group, kind, to_value(&object.node));
                (object_value, namespace_value, request)
            })
        };
        if engine == Engine::Gatekeeper {
            let subject = Subject {
                group,
                kind,
                name: object.name().unwrap_or(""),
                namespace,
                labels: &labels,
                namespace_labels: namespace_labels.as_ref(),
            };
            for policy in policies {
                let constraint_kind = policy.constraint_kind.as_deref().unwrap_or("");
                let of_kind = self
                    .constraints_of
                    .get(constraint_kind)
                    .map_or(&[][..], |v| v);
                for c in of_kind.iter().map(|&i| &self.constraints[i]) {
                    if c.actions.is_empty()
                        || !applies(&c.object.origin)
                        || !c.matches.selects(&subject)
                    {
                        continue;
                    }
                    let (object_value, namespace_value, request) = values();
                    let bindings = Bindings::new(
                        object_value.clone(),
                        to_value(&c.object.node),
                        namespace_value.clone(),
                        request.clone(),
                    );
                    for (message, reason) in policy.judge(bindings) {
                        out.push(Violation {
                            policy: policy.name.clone(),
                            policy_ref: c.object.reference(),
                            bound: Bound::Constraint {
                                kind: constraint_kind.to_owned(),
                                name: c.object.name().unwrap_or("").to_owned(),
                            },
                            actions: c.actions.clone(),
                            message,
                            reason,
                        });
                    }
                }
            }
            return out;
        }
        for policy in policies {
            let Some(constraints) = &policy.spec.match_constraints else {
                continue;
            };
            if !constraints.matches(&target, false) {
                continue;
            }
            let bound = self.bindings_of.get(&policy.name).map_or(&[][..], |v| v);
            for binding in bound.iter().map(|&i| &self.bindings[i]) {
                if binding
                    .spec
                    .match_resources
                    .as_ref()
                    .is_some_and(|m| !m.matches(&target, true))
                {
                    continue;
                }
                let report = |message: String, reason: &str, out: &mut Vec<Violation>| {
                    let mut actions: Vec<Action> = binding
                        .spec
                        .validation_actions
                        .iter()
                        .filter_map(|a| match a.as_str() {
                            "Deny" => Some(Action::Deny),
                            "Warn" => Some(Action::Warn),
                            "Audit" => Some(Action::Audit),
                            _ => None,
                        })
                        .collect();
                    actions.sort();
                    actions.dedup();
                    out.push(Violation {
                        policy: policy.name.clone(),
                        policy_ref: policy.reference.clone(),
                        bound: Bound::Binding(binding.name.clone()),
                        actions,
                        message,
                        reason: reason.to_owned(),
                    });
                };
                let params = match self.params_for(policy, binding, namespace) {
                    Ok(p) => p,
                    Err(message) => {
                        report(message, "Invalid", &mut out);
                        continue;
                    }
                };
                let (object_value, namespace_value, request) = values();
                for param in params {
                    let bindings = Bindings::new(
                        object_value.clone(),
                        param,
                        namespace_value.clone(),
                        request.clone(),
                    );
                    for (message, reason) in policy.judge(bindings) {
                        report(message, &reason, &mut out);
                    }
                }
            }
        }
        out
    }

    /// The Namespace object of `ns` from the input, or the one the API server would hold with
    /// only its automatic `kubernetes.io/metadata.name` label.
    fn namespace_object(&self, ns: &str) -> &palisade_core::yaml::Node {
        match self.namespaces.get(ns) {
            Some(o) => &o.node,
            None => synthetic_namespace(ns),
        }
    }

    /// The params each evaluation gets: `[null]` without a `paramKind`; else the objects
    /// `paramRef` names, or the `parameterNotFoundAction` (`Err` is the denial).
    fn params_for(
        &self,
        policy: &Policy,
        binding: &Binding,
        namespace: Option<&str>,
    ) -> Result<Vec<Value>, String> {
        let Some(kind) = &policy.spec.param_kind else {
            return Ok(vec![Value::Null]);
        };
        let Some(pref) = &binding.spec.param_ref else {
            return Err(format!(
                "failed to configure binding: policy '{}' has paramKind {} but binding '{}' has no paramRef",
                policy.name, kind.kind, binding.name
            ));
        };
        let found: Vec<Value> = self
            .params
            .iter()
            .filter(|o| o.api_version() == kind.api_version && o.kind() == kind.kind)
            .filter(|o| match (&pref.namespace, o.namespace()) {
                (Some(want), got) => got == Some(want.as_str()),
                (None, None) => true,
                (None, Some(got)) => namespace == Some(got),
            })
            .filter(|o| match (&pref.name, &pref.selector) {
                (Some(name), _) if !name.is_empty() => o.name() == Some(name.as_str()),
                (_, Some(sel)) => sel.matches(&model::labels(&o.node)),
                _ => false,
            })
            .map(|o| to_value(&o.node))
            .collect();
        if !found.is_empty() {
            return Ok(found);
        }
        match pref.parameter_not_found_action.as_deref() {
            Some("Allow") => Ok(Vec::new()),
            _ => Err("failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction".into()),
        }
    }
}

fn is_admission_configuration(object: &Object) -> bool {
    object.group() == "admissionregistration.k8s.io"
        && matches!(
            object.kind(),
            "ValidatingAdmissionPolicy"
                | "ValidatingAdmissionPolicyBinding"
                | "MutatingAdmissionPolicy"
                | "MutatingAdmissionPolicyBinding"
                | "ValidatingWebhookConfiguration"
                | "MutatingWebhookConfiguration"
        )
}

fn synthetic_namespace(ns: &str) -> &'static palisade_core::yaml::Node {
    use std::sync::{Mutex, OnceLock};
    static MADE: OnceLock<Mutex<HashMap<String, &'static palisade_core::yaml::Node>>> =
        OnceLock::new();
    let mut made = MADE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    made.entry(ns.to_owned()).or_insert_with(|| {
        let text = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns:?}\n  labels:\n    kubernetes.io/metadata.name: {ns:?}\n"
        );
        let (docs, _) = palisade_core::yaml::load_str(&text, &Default::default());
        let node = docs.into_iter().next().map(|d| d.root).unwrap_or_else(|| {
            palisade_core::yaml::load_str("{}", &Default::default()).0.remove(0).root
        });
        Box::leak(Box::new(node))
    })
}

fn namespace_labels(ns: &palisade_core::yaml::Node) -> BTreeMap<String, String> {
    let mut labels = model::labels(ns);
    if let Some(name) = ns.path(&["metadata", "name"]).and_then(|n| n.as_str()) {
        labels.insert("kubernetes.io/metadata.name".into(), name.to_owned());
    }
    labels
}

impl Policy {
    fn compile(name: String, reference: ObjectRef, origin: Origin, spec: PolicySpec) -> Policy {
        Policy {
            name,
            reference,
            origin,
            spec,
            compiled: OnceLock::new(),
            constraint_kind: None,
        }
    }

    fn expressions(&self) -> &Expressions {
        self.compiled.get_or_init(|| Expressions::new(&self.spec))
    }

    fn fails_open(&self) -> bool {
        self.spec.failure_policy.as_deref() == Some("Ignore")
    }

    /// The (message, reason) of each failed validation for one set of bindings.
    fn judge(&self, mut bindings: Bindings) -> Vec<(String, String)> {
        let compiled = self.expressions();
        ROOT.with(|root| {
            let mut out = Vec::new();
            let mut cx = bindings.scope(root);
            let error = |source: &str, e: &CelError, out: &mut Vec<(String, String)>| {
                if !self.fails_open() {
                    out.push((
                        format!("expression '{source}' resulted in error: {e}"),
                        "Invalid".to_owned(),
                    ));
                }
            };
            // matchConditions: every one must be true; an error follows the failure policy.
            for (spec, compiled) in self.spec.match_conditions.iter().zip(&compiled.conditions) {
                let result = compiled
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|e| e.evaluate(&cx, &bindings.values));
                match result {
                    Ok(Value::Bool(true)) => {}
                    Ok(Value::Bool(false)) => return out,
                    Ok(other) => {
                        let e = CelError::Type(format!(
                            "expected a boolean, got {:?}",
                            other.type_of()
                        ));
                        error(&spec.expression, &e, &mut out);
                        return out;
                    }
                    Err(e) => {
                        error(&spec.expression, &e, &mut out);
                        return out;
                    }
                }
            }
            // Variables, in order, each seeing the ones before it; an erroring variable fails
            // only the expressions that read it.
            // A failed variable is bound to a marker, so that only the evaluations that reach
            // it fail, as the API server's lazy variables do (see `unevaluated`).
            let mut values: Vec<(String, Value)> = Vec::new();
            let mut failed: Vec<(&str, CelError)> = Vec::new();
            let run = |e: &Expression,
                       cx: &Context<'_>,
                       bindings: &Bindings,
                       failed: &[(&str, CelError)]| {
                let evaluate = || e.evaluate(cx, &bindings.values);
                match failed.iter().find(|(n, _)| e.reads_variable(n)) {
                    Some((_, err)) => unevaluated::guard(err, evaluate),
                    None => evaluate(),
                }
            };
            for (spec, compiled) in self.spec.variables.iter().zip(&compiled.variables) {
                let result = compiled
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|e| run(e, &cx, &bindings, &failed));
                let value = match result {
                    Ok(v) => v,
                    Err(e) => {
                        failed.push((&spec.name, e));
                        unevaluated::marker()
                    }
                };
                values.push((spec.name.clone(), value));
                bindings.set_variables(&values, &mut cx);
            }
            for (spec, (compiled, message_expr)) in
                self.spec.validations.iter().zip(&compiled.validations)
            {
                let result = compiled
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|e| run(e, &cx, &bindings, &failed));
                match result {
                    Ok(Value::Bool(true)) => {}
                    Ok(Value::Bool(false)) => {
                        let dynamic = message_expr
                            .as_ref()
                            .and_then(|m| m.as_ref().ok())
                            .and_then(|m| m.evaluate(&cx, &bindings.values).ok())
                            .and_then(|v| match v {
                                Value::String(s) if !s.trim().is_empty() && !s.contains('\n') => {
                                    Some(s.to_string())
                                }
                                _ => None,
                            });
                        let message = dynamic
                            .or_else(|| spec.message.clone().filter(|m| !m.is_empty()))
                            .unwrap_or_else(|| format!("failed expression: {}", spec.expression));
                        let reason = spec.reason.clone().unwrap_or_else(|| "Invalid".into());
                        out.push((message, reason));
                    }
                    Ok(other) => {
                        let e = CelError::Type(format!(
                            "expected a boolean, got {:?}",
                            other.type_of()
                        ));
                        error(&spec.expression, &e, &mut out);
                    }
                    Err(e) => error(&spec.expression, &e, &mut out),
                }
            }
            out
        })
    }
}
