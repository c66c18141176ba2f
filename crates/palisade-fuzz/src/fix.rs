//! The fix editor: edits derived from the input are applied to the YAML text, and the re-loaded
//! text must be the old tree plus exactly those operations, with every comment kept — the same
//! check `palisade fix` makes before writing a file (`palisade_core::yaml::edit::verify`).
//!
//! Input: one byte giving the number of operations (1–4), two bytes per operation (kind and
//! choice of node and value), then the YAML text. Operations name nodes that exist in the loaded
//! document (or a new key below one), so most inputs exercise the editor rather than its
//! "not found" paths. A fix the editor skips is fine; an edit `verify` refuses is a bug.

use std::sync::Arc;

use palisade_core::yaml::edit::{apply, plan, verify, Editor};
use palisade_core::yaml::{escape_pointer, load_str, Limits, Node, Value};
use palisade_core::{Fix, FixOp, FixValue, Object, Origin};

/// Values a fix may write, chosen to stress quoting and typing.
fn value(choice: u8) -> FixValue {
    const STRINGS: [&str; 10] = [
        "RuntimeDefault",
        "yes",
        "1.30",
        "",
        "a b: c",
        "x # y",
        "it's",
        "line\nbreak",
        "-",
        "0x1F",
    ];
    match choice % 14 {
        0 => FixValue::Bool(false),
        1 => FixValue::Bool(true),
        2 => FixValue::Int(0),
        3 => FixValue::Int(-1000),
        c @ 4..=13 => FixValue::str(STRINGS[usize::from(c - 4)]),
        _ => unreachable!(),
    }
}

/// Every node of `root` with its pointer, in document order.
fn pointers(root: &Node) -> Vec<(String, &Node)> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), root)];
    while let Some((p, n)) = stack.pop() {
        match &n.value {
            Value::Map(entries) => {
                for e in entries.iter().rev() {
                    stack.push((format!("{p}/{}", escape_pointer(&e.key)), &e.value));
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((format!("{p}/{i}"), item));
                }
            }
            Value::Scalar(_) => {}
        }
        out.push((p, n));
    }
    out
}

fn op(kind: u8, choice: u8, nodes: &[(String, &Node)]) -> FixOp {
    let (pointer, node) = &nodes[usize::from(choice) % nodes.len()];
    let v = value(choice / 7);
    match kind % 6 {
        // Replace what is there.
        0 => FixOp::Set {
            pointer: pointer.clone(),
            value: v,
        },
        // A new key below (a missing parent too, when `kind` says so).
        1 | 2 => {
            let below = match &node.value {
                Value::Seq(items) => format!("{pointer}/{}", items.len()),
                _ => pointer.clone(),
            };
            let extra = if kind % 6 == 2 { "/parent" } else { "" };
            FixOp::Set {
                pointer: format!("{below}{extra}/added"),
                value: v,
            }
        }
        3 => FixOp::Append {
            pointer: pointer.clone(),
            value: v,
        },
        4 => FixOp::Append {
            pointer: format!("{pointer}/list"),
            value: v,
        },
        _ => FixOp::Remove {
            pointer: pointer.clone(),
        },
    }
}

/// The `fix_editor` target.
pub fn fix_editor(data: &[u8]) {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let count = usize::from(count % 4) + 1;
    if rest.len() < 2 * count {
        return;
    }
    let (choices, text) = rest.split_at(2 * count);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    if text.len() > 8192 {
        return;
    }
    let (docs, _) = load_str(text, &Limits::default());
    let Some(doc) = docs.get(usize::from(choices[0]) % docs.len().max(1)) else {
        return;
    };
    let nodes = pointers(&doc.root);
    let object = Object {
        origin: Origin::File {
            path: Arc::from("fuzz.yaml"),
            document: doc.index,
            base: String::new(),
        },
        node: doc.root.clone(),
    };
    let fixes: Vec<Fix> = choices
        .chunks(2)
        .map(|c| Fix::safe("fuzz", vec![op(c[0], c[1], &nodes)]))
        .collect();
    let editor = Editor::new(text);
    let items: Vec<(&Object, &Fix)> = fixes.iter().map(|f| (&object, f)).collect();
    let planned = plan(&editor, &items);
    if planned.changes.is_empty() {
        return;
    }
    let after = apply(text, &planned.edits());
    if let Err(e) = verify(text, &after, &planned.changes) {
        panic!(
            "{e}\nops: {:?}\n--- before\n{text}\n--- after\n{after}",
            planned.changes.iter().map(|c| &c.op).collect::<Vec<_>>()
        );
    }
}
