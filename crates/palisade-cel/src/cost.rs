//! The cost bound: an expression's cost estimated before it runs, from its syntax tree and the
//! values it will actually read.
//!
//! Kubernetes bounds each expression's cost (`PerCallLimit`, 1,000,000 units: roughly one per
//! operation, plus the length of strings and lists a function walks) and cancels a run that
//! exceeds it. cel-rust's interpreter has no such hook and cannot be interrupted, so Palisade
//! decides *before* running: offline, the values an expression reads are known, so the estimate
//! follows field selections into the real object (`object.spec.containers` is the real list of
//! ten, not "any list"), and counts every comprehension (`all`, `exists`, `map`, `filter`) as
//! running once per element of the collection it iterates. Nested comprehensions multiply; an
//! expression that would run for minutes is refused with [`CelError::CostExceeded`].
//!
//! The estimate is an upper bound in the common cases and deliberately simple elsewhere: a
//! function's result is taken to be as large as its arguments together (`replace` as their
//! product), and a value the estimate cannot follow (the result of a function) is "anything as
//! large as its inputs".

use std::collections::HashMap;

use kube_cel::cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use kube_cel::cel::Value;

use crate::value::width;
use crate::CelError;

/// The API server's per-expression cost limit (`celconfig.PerCallLimit`).
pub const PER_CALL_LIMIT: u64 = 1_000_000;

/// What the estimate knows of a value: the concrete values it may be (a field of the object,
/// any element of a list being iterated), or only how large it may be: `len`, the most elements
/// a comprehension over it iterates, and `width`, its largest size anywhere (a string's length
/// counts there, for the functions that walk it, but never as elements to iterate: taking the
/// one for the other made gatekeeper-library's templates, which iterate the concatenation of a
/// Pod's container lists, look a hundred times costlier than they are).
///
/// A list built by the expression itself (a literal, a concatenation, what `map` and `filter`
/// accumulate) is a `Seq`: its length and what its elements may be, so that a comprehension over
/// `containers.filter(…)` iterates containers, not lists as long as the filtered list (taking
/// each element to be as large as the whole had estimated a chain of two comprehensions over a
/// 20-container pod at 10^15).
#[derive(Clone, Debug)]
enum Abs {
    Values(Vec<Value>),
    Unknown {
        len: u64,
        width: u64,
    },
    Seq {
        len: u64,
        /// `None` for an empty list: nothing is known of elements it never had.
        elem: Option<Box<Abs>>,
    },
}

/// A value of unknown content at most `width` large, iterating as many elements.
fn unknown(width: u64) -> Abs {
    Abs::Unknown { len: width, width }
}

/// Functions whose result is a list as long as the text they cut (`'a,b'.split(',')`).
const STRING_TO_LIST: [&str; 3] = ["split", "findAll", "getQuery"];

impl Abs {
    fn width(&self) -> u64 {
        match self {
            Abs::Values(vs) => vs.iter().map(width).max().unwrap_or(1),
            Abs::Unknown { width, .. } => *width,
            Abs::Seq { len, elem } => (*len).max(elem.as_ref().map_or(0, |e| e.width())),
        }
    }

    /// What either of two values may be (the branches of `_?_:_`, the two sides of a list
    /// concatenation's elements).
    fn union(a: Abs, b: Abs) -> Abs {
        match (a, b) {
            (Abs::Values(mut x), Abs::Values(y)) => {
                x.extend(y);
                Abs::Values(x)
            }
            (Abs::Seq { len: l1, elem: e1 }, Abs::Seq { len: l2, elem: e2 }) => Abs::Seq {
                len: l1.max(l2),
                elem: match (e1, e2) {
                    (Some(x), Some(y)) => Some(Box::new(Abs::union(*x, *y))),
                    (x, None) | (None, x) => x,
                },
            },
            (a, b) => Abs::Unknown {
                len: a.len().max(b.len()),
                width: a.width().max(b.width()),
            },
        }
    }

    /// As a list of its length and elements, when it is a collection.
    fn as_seq(&self) -> Option<(u64, Option<Box<Abs>>)> {
        match self {
            Abs::Seq { len, elem } => Some((*len, elem.clone())),
            Abs::Values(vs)
                if !vs.is_empty()
                    && vs
                        .iter()
                        .all(|v| matches!(v, Value::List(_) | Value::Map(_))) =>
            {
                Some((self.len(), Some(Box::new(self.elements()))))
            }
            _ => None,
        }
    }

    /// How many elements a comprehension over this value iterates, at most.
    fn len(&self) -> u64 {
        match self {
            Abs::Values(vs) => vs
                .iter()
                .map(|v| match v {
                    Value::List(l) => l.len() as u64,
                    Value::Map(m) => m.map.len() as u64,
                    _ => 0,
                })
                .max()
                .unwrap_or(0),
            Abs::Unknown { len, .. } => *len,
            Abs::Seq { len, .. } => *len,
        }
    }

    /// Any element of the collection (a list's items, a map's keys).
    fn elements(&self) -> Abs {
        match self {
            Abs::Values(vs) => {
                let mut out = Vec::new();
                for v in vs {
                    match v {
                        Value::List(l) => out.extend(l.iter().cloned()),
                        Value::Map(m) => out.extend(m.map.keys().map(|k| Value::from(k.clone()))),
                        _ => {}
                    }
                }
                if out.is_empty() {
                    unknown(1)
                } else {
                    Abs::Values(out)
                }
            }
            unknown @ Abs::Unknown { .. } => unknown.clone(),
            Abs::Seq { elem, .. } => elem.as_deref().cloned().unwrap_or(unknown(1)),
        }
    }

    fn select(&self, field: &str) -> Abs {
        match self {
            Abs::Values(vs) => {
                let out: Vec<Value> = vs
                    .iter()
                    .filter_map(|v| match v {
                        Value::Map(m) => m
                            .map
                            .get(&kube_cel::cel::objects::Key::String(std::sync::Arc::new(
                                field.to_owned(),
                            )))
                            .cloned(),
                        _ => None,
                    })
                    .collect();
                if out.is_empty() {
                    unknown(1)
                } else {
                    Abs::Values(out)
                }
            }
            unknown @ Abs::Unknown { .. } => unknown.clone(),
            // A list has no fields.
            Abs::Seq { .. } => unknown(1),
        }
    }

    /// Any value inside the collection (`x[i]`, `x[k]`).
    fn index(&self) -> Abs {
        match self {
            Abs::Values(vs) => {
                let mut out = Vec::new();
                for v in vs {
                    match v {
                        Value::List(l) => out.extend(l.iter().cloned()),
                        Value::Map(m) => out.extend(m.map.values().cloned()),
                        _ => {}
                    }
                }
                if out.is_empty() {
                    unknown(1)
                } else {
                    Abs::Values(out)
                }
            }
            unknown @ Abs::Unknown { .. } => unknown.clone(),
            Abs::Seq { elem, .. } => elem.as_deref().cloned().unwrap_or(unknown(1)),
        }
    }
}

struct Est {
    cost: u64,
    value: Abs,
}

struct Estimator<'a> {
    variables: &'a HashMap<&'a str, Value>,
    scopes: Vec<(String, Abs)>,
}

/// The estimated cost of evaluating `expr` with `variables` bound, or
/// [`CelError::CostExceeded`] when it is over `limit`.
pub fn check(
    expr: &IdedExpr,
    variables: &HashMap<&str, Value>,
    limit: u64,
) -> Result<u64, CelError> {
    let mut e = Estimator {
        variables,
        scopes: Vec::new(),
    };
    let estimate = e.estimate(expr).cost;
    if estimate > limit {
        Err(CelError::CostExceeded { estimate, limit })
    } else {
        Ok(estimate)
    }
}

impl Estimator<'_> {
    fn lookup(&self, name: &str) -> Abs {
        if let Some((_, abs)) = self.scopes.iter().rev().find(|(n, _)| n == name) {
            return abs.clone();
        }
        match self.variables.get(name) {
            Some(v) => Abs::Values(vec![v.clone()]),
            None => unknown(1),
        }
    }

    fn estimate(&mut self, expr: &IdedExpr) -> Est {
        match &expr.expr {
            Expr::Unspecified => Est {
                cost: 0,
                value: unknown(1),
            },
            Expr::Literal(lit) => Est {
                cost: 0,
                value: Abs::Unknown {
                    len: 1,
                    width: match lit {
                        LiteralValue::String(s) => s.inner().len() as u64,
                        LiteralValue::Bytes(b) => b.inner().len() as u64,
                        _ => 1,
                    },
                },
            },
            Expr::Ident(name) => Est {
                cost: 1,
                value: self.lookup(name),
            },
            Expr::Select(s) => {
                let op = self.estimate(&s.operand);
                let value = if s.test {
                    unknown(1)
                } else {
                    op.value.select(&s.field)
                };
                Est {
                    cost: op.cost.saturating_add(1),
                    value,
                }
            }
            Expr::List(l) => {
                let mut cost = 1u64;
                let mut elem: Option<Abs> = None;
                for e in &l.elements {
                    let est = self.estimate(e);
                    cost = cost.saturating_add(est.cost);
                    elem = Some(match elem {
                        Some(x) => Abs::union(x, est.value),
                        None => est.value,
                    });
                }
                Est {
                    cost,
                    value: Abs::Seq {
                        len: l.elements.len() as u64,
                        elem: elem.map(Box::new),
                    },
                }
            }
            Expr::Map(m) => self.entries(m.entries.iter()),
            Expr::Struct(s) => self.entries(s.entries.iter()),
            Expr::Call(call) => {
                let mut cost = 1u64;
                let mut widths = Vec::with_capacity(call.args.len() + 1);
                let mut lens = 0u64;
                let mut values = Vec::with_capacity(call.args.len() + 1);
                for e in call.target.iter().map(|t| &**t).chain(call.args.iter()) {
                    let est = self.estimate(e);
                    cost = cost.saturating_add(est.cost);
                    widths.push(est.value.width());
                    lens = lens.saturating_add(est.value.len());
                    values.push(est.value);
                }
                let first = values.first().cloned();
                let sum = widths.iter().fold(0u64, |a, w| a.saturating_add(*w));
                // Walking the strings and lists it is given, as Kubernetes charges.
                cost = cost.saturating_add(sum / 10);
                let concatenation = match values.as_slice() {
                    [a, b] if call.func_name == "_+_" => a.as_seq().zip(b.as_seq()),
                    _ => None,
                };
                let value = match call.func_name.as_str() {
                    "_[_]" => first.map(|f| f.index()).unwrap_or(unknown(1)),
                    // A list concatenation: the elements of both.
                    "_+_" if concatenation.is_some() => {
                        let ((l1, e1), (l2, e2)) = concatenation.expect("matched");
                        Abs::union(
                            Abs::Seq {
                                len: l1.saturating_add(l2),
                                elem: e1,
                            },
                            Abs::Seq {
                                len: l1.saturating_add(l2),
                                elem: e2,
                            },
                        )
                    }
                    // Either branch.
                    "_?_:_" if values.len() == 3 => {
                        let mut v = values;
                        let b = v.pop().expect("three");
                        let a = v.pop().expect("three");
                        Abs::union(a, b)
                    }
                    "replace" => Abs::Unknown {
                        len: 1,
                        width: widths
                            .iter()
                            .fold(1u64, |a, w| a.saturating_mul(*w.max(&1))),
                    },
                    f if STRING_TO_LIST.contains(&f) => unknown(sum.max(1)),
                    // A concatenation has the elements of both; other functions are taken to
                    // give a collection as long as their collections together.
                    _ => Abs::Unknown {
                        len: lens.max(1),
                        width: sum.max(1),
                    },
                };
                Est { cost, value }
            }
            Expr::Comprehension(c) => {
                let range = self.estimate(&c.iter_range);
                let n = range.value.len();
                let init = self.estimate(&c.accu_init);
                let element = range.value.elements();
                // The first pass learns how much the accumulator grows per step (`map` appends
                // one element); the second costs the steps with the accumulator at full size.
                let pass = |this: &mut Self, accu: Abs| {
                    this.scopes.push((c.iter_var.clone(), element.clone()));
                    if let Some(v2) = &c.iter_var2 {
                        this.scopes.push((v2.clone(), range.value.index()));
                    }
                    this.scopes.push((c.accu_var.clone(), accu));
                    let cond = this.estimate(&c.loop_cond);
                    let step = this.estimate(&c.loop_step);
                    let pushed = 2 + usize::from(c.iter_var2.is_some());
                    this.scopes.truncate(this.scopes.len() - pushed);
                    (cond, step)
                };
                let (_, step1) = pass(self, init.value.clone());
                // Per step, `map` and `filter` append one element (of the step's width at most).
                let grow = step1.value.len().saturating_sub(init.value.len()).max(1);
                let len = init.value.len().saturating_add(n.saturating_mul(grow));
                let accu = match &step1.value {
                    // `map` and `filter`: a list of what each step appends.
                    Abs::Seq { elem, .. } => Abs::Seq {
                        len,
                        elem: elem.clone(),
                    },
                    other => Abs::Unknown {
                        len,
                        width: len.max(other.width()),
                    },
                };
                let (cond, step) = pass(self, accu.clone());
                // The step's own work, without re-charging the accumulator it appends to.
                let per_step = cond
                    .cost
                    .saturating_add(step.cost.saturating_sub(accu.width() / 10))
                    .max(1);
                self.scopes.push((c.accu_var.clone(), accu));
                let result = self.estimate(&c.result);
                self.scopes.pop();
                Est {
                    cost: range
                        .cost
                        .saturating_add(init.cost)
                        .saturating_add(n.saturating_mul(per_step))
                        .saturating_add(result.cost),
                    value: result.value,
                }
            }
        }
    }

    fn entries<'e>(
        &mut self,
        entries: impl Iterator<Item = &'e kube_cel::cel::common::ast::IdedEntryExpr>,
    ) -> Est {
        let mut cost = 1u64;
        let mut n = 0u64;
        let mut w = 0u64;
        for e in entries {
            n += 1;
            let (k, v) = match &e.expr {
                EntryExpr::StructField(f) => (None, &f.value),
                EntryExpr::MapEntry(m) => (Some(&m.key), &m.value),
            };
            if let Some(k) = k {
                cost = cost.saturating_add(self.estimate(k).cost);
            }
            let est = self.estimate(v);
            cost = cost.saturating_add(est.cost);
            w = w.max(est.value.width());
        }
        Est {
            cost,
            value: Abs::Unknown {
                len: n,
                width: n.max(w),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::to_value;

    /// The estimate of `source` over `object` (only the estimate: nothing runs).
    fn estimate(object: &str, source: &str) -> Result<u64, CelError> {
        let (docs, _) = palisade_core::yaml::load_str(object, &Default::default());
        let variables = HashMap::from([("object", to_value(&docs[0].root))]);
        let tree = kube_cel::cel::parser::Parser::new()
            .parse(source)
            .expect("parses");
        check(&tree, &variables, PER_CALL_LIMIT)
    }

    /// Long strings are walked by functions, never iterated: three nested comprehensions over the
    /// concatenation of two short container lists stay cheap however long the images are
    /// (counting the 300-character images as elements had estimated 27,000,000 and more).
    #[test]
    fn string_lengths_are_not_elements() {
        let image = "r".repeat(300);
        let pod = format!(
            "spec:\n  containers:\n  - name: a\n    image: {image}\n  initContainers:\n  - name: b\n    image: {image}\n"
        );
        let nested = "(object.spec.containers + object.spec.initContainers).all(a, \
                      (object.spec.containers + object.spec.initContainers).all(b, \
                      (object.spec.containers + object.spec.initContainers).all(c, \
                      a.image.startsWith(b.image) || c.name != '')))";
        let cost = estimate(&pod, nested).expect("within the limit");
        assert!(cost < 10_000, "{cost}");
        // A list cut from a long string is as long as the string: still refused.
        let hostile = "object.spec.containers[0].image.split('').all(a, \
                       object.spec.containers[0].image.split('').all(b, \
                       object.spec.containers[0].image.split('').all(c, a == b || b == c)))";
        assert!(matches!(
            estimate(&pod, hostile),
            Err(CelError::CostExceeded { .. })
        ));
    }

    /// A comprehension over what `filter` or `map` built iterates that list's elements (a
    /// container, its capabilities), not lists as long as the whole: chains of comprehensions
    /// over a 20-container pod stay far under the limit (each element taken as large as the list
    /// had estimated the last of these at 1.3 × 10^15, the capability check at 8.6 × 10^6).
    #[test]
    fn chained_comprehensions_iterate_the_elements_they_kept() {
        let mut pod = String::from("spec:\n  containers:\n");
        for i in 0..20 {
            pod.push_str(&format!(
                "  - name: c{i}\n    ports: [{{containerPort: 80}}, {{containerPort: 81}}]\n    \
                 securityContext: {{capabilities: {{add: [A, B, C, D, E, F, G, H, I, J]}}}}\n"
            ));
        }
        for chain in [
            "object.spec.containers.filter(c, has(c.securityContext.capabilities.add))\
             .map(c, c.securityContext.capabilities.add)\
             .all(l, l.all(x, x in ['AUDIT_WRITE', 'CHOWN']))",
            "(object.spec.containers + object.spec.containers).filter(c, c.name != '')\
             .map(c, c.ports.filter(p, p.containerPort > 0).map(p, p.containerPort))\
             .all(l, l.all(x, x > 0))",
        ] {
            let cost = estimate(&pod, chain).expect("within the limit");
            assert!(cost < 20_000, "{cost}: {chain}");
        }
        // Nesting still multiplies: every container against every container's every port.
        let nested = "object.spec.containers.all(a, object.spec.containers.all(b, \
                      b.ports.all(p, object.spec.containers.all(c, c.name != a.name || p.containerPort > 0))))";
        let cost = estimate(&pod, nested).expect("within the limit");
        assert!(cost > 20 * 20 * 2 * 20, "{cost}");
    }
}
