//! Composited variables that failed, kept lazy.
//!
//! The API server evaluates a policy's `variables` lazily: a variable that errors fails only
//! the expressions whose evaluation actually reads it. gatekeeper-library's seccomp templates
//! depend on that: `canonicalPodSecurityContextProfile` errors on a Pod without
//! `spec.securityContext`, and is read only inside a `map` over the containers that use the Pod's
//! profile, which such a Pod has none of. Deciding by the expression's text (does it name the
//! variable?) failed those Pods.
//!
//! cel-rust has no lazy variables, so a failed variable is bound to a [`Value::Opaque`] marker:
//! an expression that never reaches it is unaffected; one that does either errors on it
//! (selecting a field of it, iterating it, `size` of it), touches it (equality and error messages
//! ask its type name, which [`Unevaluated`] records), or carries it into its result. Each of these
//! gives the variable's own error, as the API server reports it.

use std::cell::Cell;
use std::sync::Arc;

use kube_cel::cel::objects::Opaque;
use kube_cel::cel::Value;

use crate::CelError;

thread_local! {
    static TOUCHED: Cell<bool> = const { Cell::new(false) };
}

/// The value of a variable whose evaluation failed.
#[derive(Debug, PartialEq, Eq)]
pub struct Unevaluated;

impl Opaque for Unevaluated {
    fn runtime_type_name(&self) -> &str {
        TOUCHED.with(|t| t.set(true));
        "palisade.unevaluated_variable"
    }
}

pub fn marker() -> Value {
    Value::Opaque(Arc::new(Unevaluated))
}

/// Runs `eval`, which may read failed variables: `Err(failed)` if it reached one of them.
pub fn guard(
    failed: &CelError,
    eval: impl FnOnce() -> Result<Value, CelError>,
) -> Result<Value, CelError> {
    TOUCHED.with(|t| t.set(false));
    let result = eval();
    let touched = TOUCHED.with(|t| t.replace(false));
    match result {
        Ok(v) if !touched && !holds_marker(&v) => Ok(v),
        _ => Err(failed.clone()),
    }
}

fn holds_marker(v: &Value) -> bool {
    match v {
        Value::Opaque(o) => o.downcast_ref::<Unevaluated>().is_some(),
        Value::List(items) => items.iter().any(holds_marker),
        Value::Map(m) => m.map.values().any(holds_marker),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::root_context;
    use crate::expr::Expression;
    use crate::value;
    use std::collections::HashMap;

    fn run(source: &str) -> Result<Value, CelError> {
        let root = root_context();
        let mut cx = root.new_inner_scope();
        let variables = value::map([("bad", marker()), ("list", Value::List(Arc::new(vec![])))]);
        cx.add_variable_from_value("variables", variables.clone());
        let vars = HashMap::from([("variables", variables)]);
        let failed = CelError::Eval("No such key: spec".into());
        let e = Expression::compile(source)?;
        guard(&failed, || e.evaluate(&cx, &vars))
    }

    #[test]
    fn only_reaching_a_failed_variable_fails() {
        let failed = Err(CelError::Eval("No such key: spec".into()));
        // Never reached: a comprehension over nothing, a short circuit.
        assert_eq!(
            run("variables.list.map(x, variables.bad).size() == 0"),
            Ok(Value::Bool(true))
        );
        assert_eq!(run("true || variables.bad == 'x'"), Ok(Value::Bool(true)));
        // Reached.
        assert_eq!(run("variables.bad.spec == 1"), failed);
        assert_eq!(run("size(variables.bad) == 0"), failed);
        assert_eq!(run("variables.bad == 'x'"), failed);
        assert_eq!(run("[variables.bad]"), failed);
    }
}
