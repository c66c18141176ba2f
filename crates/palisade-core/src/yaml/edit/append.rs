//! `Append` operations: adding an item to a block sequence, at its dashes' indentation after
//! its last item's content, or to a flow sequence before its closing bracket. An item already
//! present is not added twice.

use super::pointer::{item_is_alias, Step};
use super::value::{equals, flow};
use super::{Editor, OpEdit, Skip};
use crate::fix::FixValue;
use crate::yaml::node::Value;

impl<'t> Editor<'t> {
    pub(super) fn append(&self, step: &Step<'_>, value: &FixValue) -> Result<Option<OpEdit>, Skip> {
        let node = step.node;
        match &node.value {
            Value::Seq(items) => {
                if items.iter().any(|i| equals(i, value)) {
                    return Ok(None);
                }
                if self.is_flow(node) {
                    return self.flow_insert(node, &flow(value, self.json));
                }
                if item_is_alias(node, items, 0) {
                    return Err(Skip::Shared);
                }
                let first = self.offset(items[0].span.start);
                let dash = self.text[..first].trim_end_matches([' ', '\t']);
                let line_start = self.line_start(items[0].span.start.line);
                if !dash.ends_with('-') || dash.len() <= line_start.saturating_sub(1) {
                    return Err(Skip::Layout("sequence item not introduced by `- `"));
                }
                let dash_at = dash.len() - 1;
                if dash_at < line_start || !self.text[line_start..dash_at].trim().is_empty() {
                    return Err(Skip::Layout("nested sequence on one line"));
                }
                let indent = self.text[line_start..dash_at].chars().count();
                let (at, break_first) = self.after_line(self.content_end_line(node)?);
                let mut text = String::new();
                self.block_item(&mut text, value, indent);
                self.insertion(at, break_first, text, first)
            }
            Value::Scalar(s) if s.is_null() => {
                self.set_existing(step, &FixValue::List(vec![value.clone()]))
            }
            _ => Err(Skip::Layout("not a list")),
        }
    }
}
