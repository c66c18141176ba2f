//! `yaml_loader`: the manifest source and YAML loader (`palisade_core::source`, `yaml/loader.rs`,
//! `yaml/repair.rs`) on arbitrary bytes, with the default limits.

use std::sync::Arc;

use palisade_core::source::{self, SourceLimits};
use palisade_core::yaml::{self, Limits, Node, Pos, Span, Value};

/// A document that never parses, and one that always does: appended after the input, the first
/// must cost exactly its own document and the second must come out whole.
const BROKEN: &str = "---\nfuzz: [unclosed\n";
const LAST: &str = "---\nfuzz-last: ok\n";

/// Loads the bytes as `palisade scan` does, then checks what the loader promises:
/// - every span (nodes, keys, duplicate keys, errors) lies within the input, 1-based, with a
///   column at most one past the end of its line (columns count characters, so this is also
///   "on a character boundary"), and no span ends before it starts;
/// - documents are cut exactly: the chunks tile the text and start on the line they say;
/// - a bad document costs only itself: the input followed by a broken document and a good one
///   loads to the input's own documents and errors, one more error, and the good document.
pub fn yaml_loader(data: &[u8]) {
    let limits = SourceLimits::default();
    let path: Arc<str> = Arc::from("fuzz.yaml");
    // The whole source path: decoding checks, documents → objects, Helm detection.
    let loaded = source::load_bytes(&path, data, &limits);
    for e in &loaded.errors {
        assert!(!e.to_string().is_empty());
    }
    let Ok(text) = source::decode(data, &limits) else {
        return;
    };
    let text = &*text;
    let lines = LineTable::new(text);

    let chunks = yaml::split_documents(text);
    let mut at = 0;
    for c in &chunks {
        assert_eq!(c.start, at, "chunks tile the text: {chunks:?}");
        assert!(c.end >= c.start && text.is_char_boundary(c.end), "{c:?}");
        assert_eq!(c.line as usize, lines.line_of(c.start), "{c:?}");
        at = c.end;
    }
    assert_eq!(at, text.len(), "chunks cover the text: {chunks:?}");

    let (docs, errors) = yaml::load_str(text, &Limits::default());
    for d in &docs {
        check_node(&lines, &d.root);
        for dup in &d.duplicate_keys {
            check_span(&lines, dup.first);
            check_span(&lines, dup.second);
        }
    }
    for e in &errors {
        lines.check_pos(e.pos, "error");
    }

    // Error isolation, where the input's end cannot change how the appended text is cut: a
    // trailing directive (`%YAML`) belongs to the document after it, and a lone CR is a line
    // break to YAML but not to the cut (which never splits there).
    let last_line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if last_line.is_some_and(|l| l.starts_with('%')) || text.contains('\r') {
        return;
    }
    // The input as one that ends with a line break (a scalar at the very end of a file has no
    // final line break, which appending text would add) is the baseline.
    let base = if text.is_empty() || text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    };
    let (docs, errors) = yaml::load_str(&base, &Limits::default());
    let combined = format!("{base}{BROKEN}{LAST}");
    let (all_docs, all_errors) = yaml::load_str(&combined, &Limits::default());
    assert_eq!(
        all_docs.len(),
        docs.len() + 1,
        "a broken document after the input lost or added documents"
    );
    for (a, b) in docs.iter().zip(&all_docs) {
        // Debug text, not `==`: a `.nan` scalar is not equal to itself.
        assert_eq!(format!("{:?}", a.root), format!("{:?}", b.root));
    }
    let last = &all_docs[docs.len()].root;
    assert_eq!(last.get("fuzz-last").and_then(Node::as_str), Some("ok"));
    assert_eq!(
        all_errors.len(),
        errors.len() + 1,
        "the broken document gives exactly one error: {all_errors:?}"
    );
    assert_eq!(&all_errors[..errors.len()], &errors[..]);
}

/// Characters per line of a text, to check positions against.
struct LineTable<'a> {
    text: &'a str,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
}

impl<'a> LineTable<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineTable { text, starts }
    }

    /// 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    /// Characters of a 1-based line, without its line break.
    fn chars(&self, line: usize) -> usize {
        let start = self.starts[line - 1];
        let end = self
            .starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        self.text[start..end].chars().count()
    }

    fn check_pos(&self, pos: Pos, what: &str) {
        let line = pos.line as usize;
        assert!(
            line >= 1 && line <= self.starts.len(),
            "{what} at {pos} is outside the input's {} lines",
            self.starts.len()
        );
        assert!(
            pos.col >= 1 && pos.col as usize <= self.chars(line) + 1,
            "{what} at {pos} is past the end of its line ({} characters)",
            self.chars(line)
        );
    }
}

fn check_span(lines: &LineTable<'_>, span: Span) {
    lines.check_pos(span.start, "span start");
    lines.check_pos(span.end, "span end");
    assert!(
        span.start <= span.end,
        "span ends before it starts: {span:?}"
    );
}

fn check_node(lines: &LineTable<'_>, node: &Node) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        check_span(lines, n.span);
        match &n.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => {
                for e in entries {
                    check_span(lines, e.key_span);
                    stack.push(&e.value);
                }
            }
        }
    }
}
