//! One compiled CEL expression, bounded before it is parsed and before it runs.

use std::collections::HashMap;

use kube_cel::cel::common::ast::{EntryExpr, Expr, IdedExpr};
use kube_cel::cel::parser::Parser;
use kube_cel::cel::{Context, Value};

use crate::cost;
use crate::CelError;

/// Longest expression text accepted. Kubernetes' own bound on a VAP's expression is its request
/// size; ours keeps the parser's work (and its generated code's stack) bounded.
pub const MAX_EXPRESSION_BYTES: usize = 20 * 1024;

/// Deepest syntax tree accepted. The interpreter recurses once or twice per level, so this bounds
/// the stack evaluation needs on any thread (a scan runs expressions on rayon's workers).
pub const MAX_DEPTH: usize = 48;

/// Stack for the parser thread: the antlr4rust-generated parser needs more than 8 MiB at its own
/// recursion cap in debug builds, so it runs on a thread of its own with room to spare.
const PARSER_STACK: usize = 64 * 1024 * 1024;

/// A compiled expression and its source text.
#[derive(Debug)]
pub struct Expression {
    source: String,
    tree: IdedExpr,
}

impl Expression {
    /// Parses `source`, refusing texts longer than [`MAX_EXPRESSION_BYTES`] or deeper than
    /// [`MAX_DEPTH`].
    pub fn compile(source: &str) -> Result<Expression, CelError> {
        Expression::compile_all(&[source])
            .pop()
            .unwrap_or_else(|| Err(CelError::Compile("the parser failed".into())))
    }

    /// [`Expression::compile`] for each of `sources`, on one parser thread.
    pub fn compile_all(sources: &[&str]) -> Vec<Result<Expression, CelError>> {
        let texts: Vec<Result<String, CelError>> = sources
            .iter()
            .map(|s| {
                if s.len() > MAX_EXPRESSION_BYTES {
                    Err(CelError::TooLong {
                        len: s.len(),
                        max: MAX_EXPRESSION_BYTES,
                    })
                } else {
                    Ok((*s).to_owned())
                }
            })
            .collect();
        let n = texts.len();
        let parsed = std::thread::Builder::new()
            .name("cel-parse".into())
            .stack_size(PARSER_STACK)
            .spawn(move || {
                texts
                    .into_iter()
                    .map(|t| {
                        let text = t?;
                        // Kubernetes enables CEL's optional types
                        // (`object.?spec.?replicas.orValue(1)`).
                        let tree = Parser::new()
                            .enable_optional_syntax(true)
                            .parse(&text)
                            .map_err(|e| CelError::Compile(e.to_string().trim().to_owned()))?;
                        Ok((text, tree))
                    })
                    .collect::<Vec<Result<(String, IdedExpr), CelError>>>()
            })
            .map_err(|e| CelError::Compile(format!("cannot start the parser thread: {e}")))
            .and_then(|h| {
                h.join()
                    .map_err(|_| CelError::Compile("the parser failed".into()))
            });
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => return (0..n).map(|_| Err(e.clone())).collect(),
        };
        parsed
            .into_iter()
            .map(|r| {
                let (source, tree) = r?;
                let depth = depth(&tree);
                if depth > MAX_DEPTH {
                    return Err(CelError::TooDeep {
                        depth,
                        max: MAX_DEPTH,
                    });
                }
                Ok(Expression { source, tree })
            })
            .collect()
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the expression names `variables.NAME` (composited variables are evaluated only
    /// when an expression reads them, as the API server does lazily).
    pub fn reads_variable(&self, name: &str) -> bool {
        fn walk(e: &IdedExpr, name: &str) -> bool {
            match &e.expr {
                Expr::Select(s) => {
                    matches!(&s.operand.expr, Expr::Ident(i) if i == "variables") && s.field == name
                        || walk(&s.operand, name)
                }
                _ => children(e).into_iter().any(|c| walk(c, name)),
            }
        }
        walk(&self.tree, name)
    }

    /// Evaluates in `context` (which binds `variables`' values); refuses first when the estimated
    /// cost is over [`cost::PER_CALL_LIMIT`].
    pub fn evaluate(
        &self,
        context: &Context<'_>,
        variables: &HashMap<&str, Value>,
    ) -> Result<Value, CelError> {
        cost::check(&self.tree, variables, cost::PER_CALL_LIMIT)?;
        Value::resolve(&self.tree, context).map_err(|e| CelError::Eval(e.to_string()))
    }
}

fn children(e: &IdedExpr) -> Vec<&IdedExpr> {
    match &e.expr {
        Expr::Unspecified | Expr::Literal(_) | Expr::Ident(_) => Vec::new(),
        Expr::Select(s) => vec![&*s.operand],
        Expr::Call(c) => c.target.iter().map(|t| &**t).chain(&c.args).collect(),
        Expr::List(l) => l.elements.iter().collect(),
        Expr::Map(m) => entry_children(&m.entries),
        Expr::Struct(s) => entry_children(&s.entries),
        Expr::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
    }
}

fn entry_children(entries: &[kube_cel::cel::common::ast::IdedEntryExpr]) -> Vec<&IdedExpr> {
    entries
        .iter()
        .flat_map(|e| match &e.expr {
            EntryExpr::StructField(f) => vec![&f.value],
            EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
        })
        .collect()
}

/// The syntax tree's depth, without recursion (the tree may be as deep as the parser allows).
fn depth(root: &IdedExpr) -> usize {
    let mut max = 0;
    let mut stack = vec![(root, 1usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        stack.extend(children(e).into_iter().map(|c| (c, d + 1)));
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::root_context;

    fn value_of(s: &str) -> Value {
        crate::value::string(s)
    }

    fn eval(source: &str) -> Result<Value, CelError> {
        let root = root_context();
        Expression::compile(source)?.evaluate(&root, &HashMap::new())
    }

    #[test]
    fn kubernetes_libraries_are_there() {
        assert_eq!(
            eval("quantity('1Gi').isGreaterThan(quantity('512Mi'))"),
            Ok(Value::Bool(true))
        );
        assert_eq!(eval("'a,b'.split(',').size()"), Ok(Value::Int(2)));
        // cel-go's type hint, which gatekeeper-library's seccomp templates use.
        assert_eq!(eval("dyn('x') + dyn('y')"), Ok(value_of("xy")));
        assert_eq!(
            eval("has({'a': 1}.a) && !has({'a': 1}.b)"),
            Ok(Value::Bool(true))
        );
    }

    /// The deepest expression accepted runs on a thread with the default 2 MiB stack (rayon's
    /// workers), in the build the tests run (debug, the hungriest).
    #[test]
    fn the_deepest_accepted_expression_runs_on_a_small_stack() {
        let wrap = |n: usize| (0..n).fold("1".to_owned(), |e, _| format!("[{e}].map(x, x)[0]"));
        // The most wrappings (each adds several levels of comprehension, list and index) that
        // still compile.
        let n = (1..40)
            .take_while(|&n| Expression::compile(&wrap(n)).is_ok())
            .last()
            .expect("one wrapping compiles");
        assert!(matches!(
            Expression::compile(&wrap(n + 1)),
            Err(CelError::TooDeep { .. })
        ));
        let compiled = Expression::compile(&wrap(n)).expect("compiles");
        let result = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let root = root_context();
                compiled.evaluate(&root, &HashMap::new())
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(result, Ok(Value::Int(1)));
    }

    #[test]
    fn bounds_are_checked_before_parsing_and_running() {
        let long = "1 + ".repeat(MAX_EXPRESSION_BYTES / 4) + "1";
        assert!(matches!(
            Expression::compile(&long),
            Err(CelError::TooLong { .. })
        ));
        let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert!(Expression::compile(&deep).is_err());
        let nested = (0..60).fold("x".to_owned(), |e, _| format!("[{e}]"));
        assert!(matches!(
            Expression::compile(&nested),
            Err(CelError::TooDeep { .. }) | Err(CelError::Compile(_))
        ));
        assert!(matches!(
            Expression::compile("1 +"),
            Err(CelError::Compile(_))
        ));
    }
}
