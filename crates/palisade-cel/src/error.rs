//! Why an expression could not give a verdict.

/// An expression that failed to compile or to evaluate. The text is what the API server would
/// put after `expression '…' resulted in error: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CelError {
    #[error("compilation failed: {0}")]
    Compile(String),
    #[error("expression is {len} bytes long, more than the {max} bytes allowed")]
    TooLong { len: usize, max: usize },
    #[error("expression nests {depth} levels deep, more than the {max} allowed")]
    TooDeep { depth: usize, max: usize },
    #[error(
        "operation cancelled: actual cost limit exceeded (estimated cost {estimate} over the limit of {limit})"
    )]
    CostExceeded { estimate: u64, limit: u64 },
    #[error("{0}")]
    Eval(String),
    #[error("{0}")]
    Type(String),
}
