//! Label selectors (`matchLabels` and `matchExpressions`), as `metav1.LabelSelectorAsSelector`
//! reads them: every requirement must hold, an empty selector selects everything, and a selector
//! the API would reject (unknown operator, `In` without values) selects nothing.

use palisade_core::yaml::Node;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement<'a> {
    key: &'a str,
    op: Operator,
    values: Vec<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector<'a> {
    requirements: Vec<Requirement<'a>>,
    /// False when the selector is malformed: it then selects nothing.
    valid: bool,
}

impl<'a> LabelSelector<'a> {
    pub fn read(node: &'a Node) -> Self {
        let mut valid = node.as_map().is_some() || node.is_null();
        let mut requirements: Vec<Requirement<'a>> = node
            .get("matchLabels")
            .map(Node::entries)
            .unwrap_or(&[])
            .iter()
            .map(|e| Requirement {
                key: &e.key,
                op: Operator::In,
                values: e.value.as_str().into_iter().collect(),
            })
            .collect();
        for expr in node.get("matchExpressions").map(Node::items).unwrap_or(&[]) {
            let key = expr.get("key").and_then(Node::as_str).unwrap_or("");
            let values: Vec<&str> = expr
                .get("values")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let op = match expr.get("operator").and_then(Node::as_str) {
                Some("In") if !values.is_empty() => Operator::In,
                Some("NotIn") if !values.is_empty() => Operator::NotIn,
                Some("Exists") if values.is_empty() => Operator::Exists,
                Some("DoesNotExist") if values.is_empty() => Operator::DoesNotExist,
                _ => {
                    valid = false;
                    continue;
                }
            };
            if key.is_empty() {
                valid = false;
            }
            requirements.push(Requirement { key, op, values });
        }
        LabelSelector {
            requirements,
            valid,
        }
    }

    /// Whether an object with these labels is selected.
    pub fn matches(&self, labels: &[(&str, &str)]) -> bool {
        self.valid
            && self.requirements.iter().all(|r| {
                let value = labels.iter().find(|(k, _)| *k == r.key).map(|(_, v)| *v);
                match (r.op, value) {
                    (Operator::In, Some(v)) => r.values.contains(&v),
                    (Operator::In, None) => false,
                    (Operator::NotIn, Some(v)) => !r.values.contains(&v),
                    (Operator::NotIn, None) => true,
                    (Operator::Exists, v) => v.is_some(),
                    (Operator::DoesNotExist, v) => v.is_none(),
                }
            })
    }
}
