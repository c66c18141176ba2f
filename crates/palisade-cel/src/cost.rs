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
#[derive(Clone, Debug)]
enum Abs {
    Values(Vec<Value>),
    Unknown { len: u64, width: u64 },
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
                let mut w = l.elements.len() as u64;
                for e in &l.elements {
                    let est = self.estimate(e);
                    cost = cost.saturating_add(est.cost);
                    w = w.max(est.value.width());
                }
                Est {
                    cost,
                    value: Abs::Unknown {
                        len: l.elements.len() as u64,
                        width: w,
                    },
                }
            }
            Expr::Map(m) => self.entries(m.entries.iter()),
            Expr::Struct(s) => self.entries(s.entries.iter()),
            Expr::Call(call) => {
                let mut cost = 1u64;
                let mut widths = Vec::with_capacity(call.args.len() + 1);
                let mut lens = 0u64;
                let mut first = None;
                for e in call.target.iter().map(|t| &**t).chain(call.args.iter()) {
                    let est = self.estimate(e);
                    cost = cost.saturating_add(est.cost);
                    widths.push(est.value.width());
                    lens = lens.saturating_add(est.value.len());
                    first.get_or_insert(est.value);
                }
                let sum = widths.iter().fold(0u64, |a, w| a.saturating_add(*w));
                // Walking the strings and lists it is given, as Kubernetes charges.
                cost = cost.saturating_add(sum / 10);
                let value = match call.func_name.as_str() {
                    "_[_]" => first.map(|f| f.index()).unwrap_or(unknown(1)),
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
                let accu = Abs::Unknown {
                    len,
                    width: len.max(step1.value.width()),
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
}
