//! ClusterRole aggregation selectors (`aggregationRule.clusterRoleSelectors`): the one label
//! selector reader and matcher ([`crate::netpol::Selector`], `metav1.LabelSelector` as
//! the API server reads it), with one RBAC rule on top: a selector the API would reject (unknown
//! operator, `In` without values, an empty key, not a mapping) selects nothing.

use palisade_core::yaml::Node;

use crate::netpol::Selector;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector {
    selector: Selector,
    /// False when the selector is malformed: it then selects nothing.
    valid: bool,
}

impl LabelSelector {
    pub fn read(node: &Node) -> Self {
        let mut errors = Vec::new();
        let selector = Selector::parse(node, "", &mut errors);
        LabelSelector {
            selector,
            valid: errors.is_empty(),
        }
    }

    /// Whether an object with these labels is selected.
    pub fn matches(&self, labels: &[(&str, &str)]) -> bool {
        self.valid
            && self
                .selector
                .matches_with(&|k| labels.iter().find(|(key, _)| *key == k).map(|(_, v)| *v))
    }
}
