//! Small builders for the CEL the rules write: string and list literals, the quoted names of
//! messages, the "field or empty" reads of optional fields. Rules build their `violations`
//! expression from these so that every literal is escaped one way.

use palisade_core::{KubeVersion, RuleMeta};

/// A rule's `violations` expression at a version (see the module docs of
/// [`crate::vap_export`]).
pub type CelFn = fn(KubeVersion) -> String;

/// The name of the variable every rule's CEL defines.
pub const VIOLATIONS: &str = "violations";

/// A rule other than a Pod Security check that is exported (a Pod Security check carries its
/// CEL in [`crate::pss::PssCheck::cel`]).
pub struct Exportable {
    pub meta: &'static RuleMeta,
    pub cel: CelFn,
}

/// A CEL string literal (single-quoted, `\` and `'` escaped; the texts are the rules' own
/// constants, but escaping keeps a future constant from breaking the expression).
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A CEL list literal of strings.
pub fn list(items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|s| lit(s)).collect();
    format!("[{}]", items.join(", "))
}

/// CEL for `"<expr>"` in a message: the value of a string expression in double quotes, as the
/// built-in rules quote names (`container "app"`).
pub fn quoted(expr: &str) -> String {
    format!("'\"' + {expr} + '\"'")
}

/// CEL reading the string field `field` of `base`, `''` when it is absent (as Go reads it).
pub fn or_empty(base: &str, field: &str) -> String {
    format!("(has({base}.{field}) ? {base}.{field} : '')")
}

/// CEL for the security context of container `c` (`{}` when it has none).
pub fn csc(c: &str) -> String {
    format!("(has({c}.securityContext) ? {c}.securityContext : {{}})")
}

/// CEL: `field` of `base` is set and equals `value` (a CEL literal).
pub fn is(base: &str, field: &str, value: &str) -> String {
    format!("(has({base}.{field}) && {base}.{field} == {value})")
}

/// CEL: the containers for which `cond` (over `c`) holds, each turned into `message` (over `c`).
///
/// One comprehension (the three-argument `map`), not `filter(…).map(…)`: its range is then the
/// concrete list of containers, which palisade-cel's cost estimate reads as it is, where the
/// result of `filter` is only "a list as large as its input" to it, and the estimate of the
/// chained `map` grows with the square of that.
pub fn per_container(cond: &str, message: &str) -> String {
    format!("variables.containers.map(c, {cond}, {message})")
}

/// CEL for `'container "<name>" '` + `rest` in a message.
pub fn container_message(rest: &str) -> String {
    format!("'container ' + {} + {rest}", quoted("c.name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(lit("a'b\\c"), "'a\\'b\\\\c'");
        assert_eq!(list(&["x", "y"]), "['x', 'y']");
    }
}
