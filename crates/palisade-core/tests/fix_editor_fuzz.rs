//! Inputs the `fix_editor` fuzz target (`fuzz/fuzz_targets/fix_editor.rs`) found, as regression
//! tests: one round of fixes (one fix per operation) planned on document 0, applied, and checked
//! with `verify` exactly as the target checks it. The reproducers themselves are kept in
//! `fuzz/regressions/fix_editor/`.

use std::sync::Arc;

use palisade_core::yaml::edit::{apply, plan, verify, Editor};
use palisade_core::yaml::{load_str, Limits};
use palisade_core::{Fix, FixOp, FixValue, Object, Origin};

/// Plans `ops` on document 0 of `text`, applies them and verifies; returns the edited text.
fn round(text: &str, ops: Vec<FixOp>) -> String {
    let (docs, _) = load_str(text, &Limits::default());
    let object = Object {
        origin: Origin::File {
            path: Arc::from("fuzz.yaml"),
            document: 0,
            base: String::new(),
        },
        node: docs[0].root.clone(),
    };
    let fixes: Vec<Fix> = ops.into_iter().map(|op| Fix::safe("t", vec![op])).collect();
    let items: Vec<(&Object, &Fix)> = fixes.iter().map(|f| (&object, f)).collect();
    let planned = plan(&Editor::new(text), &items);
    let after = apply(text, &planned.edits());
    if let Err(e) = verify(text, &after, &planned.changes) {
        panic!("{e}\n--- before\n{text}\n--- after\n{after}");
    }
    after
}

fn set(p: &str, v: FixValue) -> FixOp {
    FixOp::Set {
        pointer: p.into(),
        value: v,
    }
}

fn remove(p: &str) -> FixOp {
    FixOp::Remove { pointer: p.into() }
}

/// An operation may change `apiVersion` or `kind`: the trees are compared, not the kinds.
#[test]
fn an_operation_may_change_the_kind() {
    let text = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n";
    let out = round(
        text,
        vec![
            set("/apiVersion", FixValue::str("line\nbreak")),
            set("/added", FixValue::str("yes")),
        ],
    );
    assert!(out.starts_with("apiVersion: \"line\\nbreak\"\n"), "{out}");
}

/// A key inserted below a mapping that another fix of the round removes: the insertion lands
/// where the removed block ended and would join the wrong parent. It waits for the next round.
#[test]
fn no_insertion_where_a_removed_block_ends() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    owner: x\n";
    let out = round(
        text,
        vec![
            set("/metadata/labels/parent/added", FixValue::str("1.30")),
            remove("/metadata"),
        ],
    );
    assert_eq!(
        out,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    owner: x\n    parent:\n      added: \"1.30\"\n"
    );
}

/// Removing a key written twice (the loader keeps the last) would bring back the first: skipped.
#[test]
fn no_removal_of_a_duplicated_key() {
    let text =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec: {}\nmetadata:\n  name: b\n";
    let out = round(text, vec![remove("/metadata")]);
    assert_eq!(out, text);
}

/// Removing the only key of a list item leaves `{}`; a key set below the removed one the same
/// round would land under it. Operations on nested pointers wait for the next round.
#[test]
fn no_edit_below_a_removed_node_in_the_same_round() {
    let text = "kind: Ingress\nspec:\n  rules:\n  - http:\n      paths:\n      - path: /\n        backend: {}\n";
    let out = round(
        text,
        vec![
            remove("/spec/rules/0/http"),
            set("/spec/rules/0/http/paths/0/added", FixValue::Bool(true)),
        ],
    );
    assert_eq!(out, "kind: Ingress\nspec:\n  rules:\n  - {}\n");
}

/// Removing the only key of a document would leave an empty document, which disappears.
#[test]
fn no_removal_of_a_documents_only_key() {
    let text = "apiTeMn: ap\n";
    assert_eq!(round(text, vec![remove("/apiTeMn")]), text);
}

/// A plain scalar continued on the next lines reads as one line (its breaks fold into spaces):
/// replacing its first line only would leave the rest.
#[test]
fn no_replacement_of_a_multi_line_plain_scalar() {
    let text = "kind: ConfigMap\nmetadata:\n  name: a b\n    c d\n";
    assert_eq!(
        round(text, vec![set("/metadata/name", FixValue::Bool(false))]),
        text
    );
}

/// YAML reads a lone CR as a line break; the editor counts lines by LF, so it does not edit such
/// a text (it used to index past its line table).
#[test]
fn no_edit_of_a_text_with_lone_cr_line_breaks() {
    let text = "a: b\rc: d";
    assert_eq!(round(text, vec![set("/c", FixValue::Bool(false))]), text);
}

fn append(p: &str, v: FixValue) -> FixOp {
    FixOp::Append {
        pointer: p.into(),
        value: v,
    }
}

/// A block sequence whose first item is a flow mapping (`- {}`) starts where that item starts:
/// it is not a flow collection, and removing it takes only its own lines.
#[test]
fn a_block_sequence_of_flow_items_is_block() {
    let text = "kind: NetworkPolicy\nspec:\n  egress:\n  - {}\n  ingress:\n  - from: []\n";
    assert_eq!(
        round(text, vec![remove("/spec/egress")]),
        "kind: NetworkPolicy\nspec:\n  ingress:\n  - from: []\n"
    );
}

/// A complex key (`? a: b`) spans lines; it is not edited as `key:` (slicing the text from its
/// end to the end of its first line used to panic).
#[test]
fn a_complex_key_is_not_an_empty_key_layout() {
    let text = "kind: X\nlabels:\n  ? a: b\n---\nkind: Y\n";
    assert_eq!(
        round(
            text,
            vec![set("/labels/<complex key>/added", FixValue::Bool(true))]
        ),
        text
    );
}

/// The whole document is never replaced; a document that is a list can be appended to.
#[test]
fn whole_documents() {
    assert_eq!(
        round("just text\n", vec![set("", FixValue::Bool(true))]),
        "just text\n"
    );
    assert_eq!(
        round("- a\n- b\n", vec![append("", FixValue::Int(0))]),
        "- a\n- b\n- 0\n"
    );
}

/// Two removals of top-level keys may together empty the document: one per round.
#[test]
fn one_top_level_removal_per_round() {
    assert_eq!(
        round("a: 1\nb: 2\n", vec![remove("/a"), remove("/b")]),
        "b: 2\n"
    );
}

/// Removing the only key of a list item writes `- {}` with the line break: a key inserted after
/// the item touches that edit and waits for the next round (below `- {}` it would not parse).
#[test]
fn no_insertion_below_an_emptied_item() {
    let text = "kind: S\nspec:\n  ports:\n  - protocol: TCP\n";
    assert_eq!(
        round(
            text,
            vec![
                set("/spec/ports/0/parent/added", FixValue::Bool(true)),
                remove("/spec/ports/0/protocol"),
            ]
        ),
        format!("{text}    parent:\n      added: true\n")
    );
    assert_eq!(
        round(text, vec![remove("/spec/ports/0/protocol")]),
        "kind: S\nspec:\n  ports:\n  - {}\n"
    );
}

/// A key with an empty value last in an anchored mapping: the insertion below it is inside the
/// anchor's text, which an alias shares. Skipped.
#[test]
fn no_insertion_below_an_empty_key_of_an_anchored_mapping() {
    let text =
        "kind: S\nmetadata:\n  labels: &labels\n    aec:\n  name: x\nspec:\n  selector: *labels\n";
    assert_eq!(
        round(
            text,
            vec![set("/metadata/labels/aec/parent/added", FixValue::str("v"))]
        ),
        text
    );
}

/// An empty value can be a zero-width span at the next token (an empty block scalar, a complex
/// key's missing value before `---`): its key's lines end before that token.
#[test]
fn an_empty_value_ends_on_its_keys_line() {
    let text = "kind: C\ndata:\n  404: |\nother: |\n  x\n";
    assert_eq!(
        round(text, vec![remove("/data/404")]),
        "kind: C\ndata:\nother: |\n  x\n"
    );
}

/// A mapping with an explicit key (`? a`) has no column to insert at that the editor can trust:
/// skipped (a key was inserted at the explicit key's column, inside the next document).
#[test]
fn no_insertion_into_a_mapping_with_explicit_keys() {
    let text = "kind: X\n? a\n---\nkind: Y\n";
    assert_eq!(round(text, vec![append("/list", FixValue::Int(0))]), text);
    let text = "      ? a\n---\nkind: Y\n";
    assert_eq!(round(text, vec![append("/list", FixValue::Int(0))]), text);
}

/// A block scalar's last line of spaces (deeper than its indentation) at the end of a text
/// without a final line break is content: a key is inserted after it, not before.
#[test]
fn a_last_line_of_spaces_is_block_scalar_content() {
    let text = "kind: C\ndata:\n  404: |\n    x\n       ";
    assert_eq!(
        round(text, vec![set("/data/added", FixValue::Int(1))]),
        "kind: C\ndata:\n  404: |-\n    x\n       \n  added: 1\n"
    );
}

/// A key the parser places on a line past the last line break (`?` then a line of spaces) does
/// not make the editor index past its line table.
#[test]
fn a_key_past_the_last_line_break() {
    let text = "?\n ";
    round(text, vec![set("/added", FixValue::Bool(true))]);
    round(text, vec![set("//added", FixValue::Bool(true))]);
}

/// A nested mapping with an explicit key ends where the editor cannot tell: a key inserted into
/// its parent after it is skipped (it landed before the explicit key, inside the mapping).
#[test]
fn no_insertion_after_a_mapping_with_explicit_keys() {
    let text = "kind: D\nspec:\n  template:\n    metadata:\n      labels: {}\n      ? x: y\n";
    assert_eq!(
        round(
            text,
            vec![set("/spec/template/added", FixValue::Bool(false))]
        ),
        text
    );
}

/// An empty value whose tag (or anchor) sits on the line below its key: a mapping inserted
/// between the key and the tag would take the tag, so the editor leaves such a value alone.
#[test]
fn no_insertion_under_an_empty_value_with_a_tag_below() {
    let text = "kind: C\ndata:\n  path:\n    !custom\n";
    assert_eq!(
        round(text, vec![set("/data/path/parent/added", FixValue::Int(1))]),
        text
    );
    let text = "kind: C\ndata:\n  path:\n    &anchor\n";
    assert_eq!(
        round(text, vec![set("/data/path/added", FixValue::Int(1))]),
        text
    );
    // A comment below the key is no property: the value is written.
    let text = "kind: C\ndata:\n  path:\n  # note\nnext: 1\n";
    assert_ne!(
        round(text, vec![set("/data/path/added", FixValue::Int(1))]),
        text
    );
}

/// A tab before a key or value (YAML allows it as separation): the editor counts columns, so it
/// leaves such lines alone rather than indent new keys wrongly.
#[test]
fn no_edit_measured_from_a_line_with_a_tab() {
    // (A key indented by tabs is in fuzz/regressions/fix_editor/tab-indented-keys.)
    // (A tab after a colon is in fuzz/regressions/fix_editor/tab-after-colon.)
    // Tabs inside a value are content: the key next to it is still edited.
    let text = "kind: C\ndata: \"a\\tb\"\nmode: x\n";
    assert_eq!(
        round(text, vec![set("/mode", FixValue::str("z"))]),
        "kind: C\ndata: \"a\\tb\"\nmode: z\n"
    );
}

/// A flow mapping holding a collection as a key: no entry of it is removed (the removal left
/// the complex key dangling).
#[test]
fn no_removal_next_to_a_complex_key() {
    let text = "{\n  \"kind\": \"C\",\n  \"metadata\": {\n    \"name\": \"x\",\n    {\"a\": \"b\"}\n  }\n}\n";
    assert_eq!(round(text, vec![remove("/metadata/name")]), text);
}

/// A tagged flow mapping is flow: a new key goes inside its braces, not below it as a block.
#[test]
fn a_tagged_flow_mapping_is_flow() {
    let text = "!  {kind: C}\n";
    let after = round(text, vec![set("/added", FixValue::Int(1))]);
    assert!(after.contains('{') && after.contains("added: 1"), "{after}");
}
