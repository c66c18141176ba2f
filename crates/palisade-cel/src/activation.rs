//! The variables an admission expression sees, bound as the API server binds them for an offline
//! CREATE.

use std::collections::HashMap;

use kube_cel::cel::{Context, Value};
use kube_cel::KubeCelExt;

use crate::value;

/// The standard library plus the Kubernetes libraries (kube-cel: strings, lists, sets, regex,
/// url, ip/cidr, quantity, semver, format, …). Built once per policy set, each evaluation then
/// opens an inner scope for its variables.
pub fn root_context() -> Context<'static> {
    let mut cx = Context::default().with_all();
    // `dyn(x)`: in cel-go a type-checker hint that returns its argument (gatekeeper-library's
    // seccomp templates build maps of mixed values with it); cel-rust checks no types, so the
    // identity is the whole of it.
    cx.add_function("dyn", |v: Value| -> kube_cel::cel::ResolveResult { Ok(v) });
    cx
}

/// What is being admitted: an offline scan is a CREATE of each object, by no one in particular.
pub struct Request<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub kind: &'a str,
    pub resource: &'a str,
    pub name: &'a str,
    pub namespace: &'a str,
}

impl Request<'_> {
    /// The `request` variable (admission.k8s.io/v1 AdmissionRequest fields a policy can read).
    pub fn to_value(&self) -> Value {
        let gvk = value::map([
            ("group", value::string(self.group)),
            ("version", value::string(self.version)),
            ("kind", value::string(self.kind)),
        ]);
        let gvr = value::map([
            ("group", value::string(self.group)),
            ("version", value::string(self.version)),
            ("resource", value::string(self.resource)),
        ]);
        value::map([
            ("kind", gvk.clone()),
            ("resource", gvr.clone()),
            ("requestKind", gvk),
            ("requestResource", gvr),
            ("subResource", value::string("")),
            ("name", value::string(self.name)),
            ("namespace", value::string(self.namespace)),
            ("operation", value::string("CREATE")),
            (
                "userInfo",
                value::map([
                    ("username", value::string("")),
                    ("groups", Value::List(Default::default())),
                ]),
            ),
            ("dryRun", Value::Bool(false)),
            ("options", value::map([])),
        ])
    }
}

/// The bindings of one evaluation; [`Bindings::scope`] puts them into a context.
#[derive(Clone, Default)]
pub struct Bindings {
    pub values: HashMap<&'static str, Value>,
}

impl Bindings {
    /// `object`, `oldObject` (null on CREATE), `params` (null without a param), `namespaceObject`
    /// (null for cluster-scoped objects), `request`, and an empty `variables` map that
    /// [`Bindings::set_variables`] fills.
    pub fn new(object: Value, params: Value, namespace: Value, request: Value) -> Self {
        let mut values = HashMap::new();
        values.insert("object", object);
        values.insert("oldObject", Value::Null);
        values.insert("params", params);
        values.insert("namespaceObject", namespace);
        values.insert("request", request);
        values.insert("variables", value::map([]));
        Bindings { values }
    }

    /// Sets the `variables` map, in these bindings and in `cx`, the scope [`Bindings::scope`]
    /// made of them: the two stay equal (the cost estimate reads the first, expressions the
    /// second).
    pub fn set_variables(&mut self, variables: &[(String, Value)], cx: &mut Context<'_>) {
        let map = value::map(variables.iter().map(|(k, v)| (k.as_str(), v.clone())));
        cx.add_variable_from_value("variables", map.clone());
        self.values.insert("variables", map);
    }

    /// A child scope of `root` holding these bindings. Binding converts each value into the
    /// interpreter's own representation, a walk of the whole object: build a scope once per
    /// judgement and [`Bindings::set_variables`] as variables are computed, not once per
    /// expression.
    pub fn scope<'r>(&self, root: &'r Context<'_>) -> Context<'r> {
        let mut cx = root.new_inner_scope();
        for (k, v) in &self.values {
            cx.add_variable_from_value(*k, v.clone());
        }
        cx
    }
}
