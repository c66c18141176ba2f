//! The lines a finding's code frame shows, carried in the JSON report (`snippet`), so that a
//! report rendered later from saved JSON (`palisade report`) shows the same frames as the scan
//! did, without the files: they may have changed, moved or never be on the machine that renders
//! (a CI artifact). A frame is only ever drawn from what the scan itself read, so it cannot be
//! stale.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::SourceText;

/// Lines of a code frame at most: the line before the finding and its own lines.
pub const FRAME_LINES: u32 = 6;

/// A line longer than this (a minified manifest) is not carried: its frame is cropped around a
/// column, which a cut copy could not show faithfully, so such a finding gets no snippet.
const MAX_LINE_CHARS: usize = 1000;

/// The lines a code frame of a finding on lines `start..=end` may show, first and last (1-based,
/// inclusive; the last may lie past the end of the file): the line before `start`, then up to
/// [`FRAME_LINES`] in all. Every report's frame is drawn from these lines (JSON snippets, HTML
/// frames, the text report's line and the one before it), which is what lets a scan keep only
/// them of a file (see `palisade::frames`). `None` for line 0 (no position).
pub fn window(start: u32, end: u32) -> Option<(u32, u32)> {
    if start == 0 {
        return None;
    }
    let first = start.saturating_sub(1).max(1);
    Some((first, end.max(start).min(first + FRAME_LINES - 1)))
}

/// Consecutive lines of a file, from `line` (1-based).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    pub line: u32,
    pub lines: Vec<String>,
}

impl Snippet {
    /// The lines a frame of `start..=end` shows (the line before `start`, then up to
    /// [`FRAME_LINES`] in all), from `lines` (the file's lines, as `str::lines` gives them).
    /// `None` when a line is missing or too long.
    pub fn of(lines: &[&str], start: u32, end: u32) -> Option<Snippet> {
        let (first, last) = window(start, end)?;
        // A span may end just past the last line (at the end of the file).
        let last = (last as usize).min(lines.len());
        if last < start as usize {
            return None;
        }
        let taken = lines.get(first as usize - 1..last)?;
        if taken.iter().any(|l| l.chars().count() > MAX_LINE_CHARS) {
            return None;
        }
        Some(Snippet {
            line: first,
            lines: taken.iter().map(|l| (*l).to_owned()).collect(),
        })
    }
}

/// Snippets of saved findings by file, as a [`SourceText`]: each file's text holds the lines
/// some snippet gave and is blank elsewhere (frames skip blank context). A file whose snippets
/// disagree about a line (reports of two versions of it) has no text at all: no frame beats a
/// wrong one.
#[derive(Debug, Default)]
pub struct Snippets {
    lines: HashMap<Arc<str>, BTreeMap<u32, String>>,
    conflicting: HashSet<Arc<str>>,
    texts: HashMap<Arc<str>, String>,
}

impl Snippets {
    /// Adds `snippet` of `path`.
    pub fn add(&mut self, path: &Arc<str>, snippet: Snippet) {
        if self.conflicting.contains(path) {
            return;
        }
        let known = self.lines.entry(Arc::clone(path)).or_default();
        for (n, text) in (snippet.line..).zip(snippet.lines) {
            match known.get(&n) {
                Some(seen) if *seen != text => {
                    self.lines.remove(path);
                    self.conflicting.insert(Arc::clone(path));
                    return;
                }
                Some(_) => {}
                None => {
                    known.insert(n, text);
                }
            }
        }
    }

    /// Adds every snippet of `other`; files either holds a conflict about have no text.
    pub fn merge(&mut self, other: Snippets) {
        for path in other.conflicting {
            self.lines.remove(&path);
            self.conflicting.insert(path);
        }
        for (path, lines) in other.lines {
            for (line, text) in lines {
                self.add(
                    &path,
                    Snippet {
                        line,
                        lines: vec![text],
                    },
                );
            }
        }
    }

    /// Builds the files' texts; call once after the last [`Snippets::add`].
    pub fn finish(mut self) -> Snippets {
        self.texts = self
            .lines
            .iter()
            .map(|(path, lines)| {
                let mut text = String::new();
                let mut next = 1;
                for (&n, line) in lines {
                    while next < n {
                        text.push('\n');
                        next += 1;
                    }
                    text.push_str(line);
                    text.push('\n');
                    next = n + 1;
                }
                (Arc::clone(path), text)
            })
            .collect();
        self
    }
}

impl SourceText for Snippets {
    fn text(&self, path: &str) -> Option<&str> {
        self.texts.get(path).map(String::as_str)
    }
}

/// Snippets of findings from a file's text, a block of findings at a time. Each file is split
/// into lines once while consecutive blocks use it; a file no finding of the current block names
/// is let go, so a report of 100,000 files holds the lines of a block's few files, not of all of
/// them (the split lines of every file cost ~50 MB at the peak of such a scan).
pub struct SnippetSource<'a> {
    source: &'a dyn SourceText,
    split: HashMap<&'a str, Option<Vec<&'a str>>>,
}

impl<'a> SnippetSource<'a> {
    pub fn new(source: &'a dyn SourceText) -> SnippetSource<'a> {
        SnippetSource {
            source,
            split: HashMap::new(),
        }
    }

    /// Each finding's snippet, in order (`None` without a text or a position).
    pub fn block(&mut self, findings: &'a [palisade_core::Finding]) -> Vec<Option<Snippet>> {
        let mut used: HashSet<&str> = HashSet::new();
        let snippets = findings
            .iter()
            .map(|f| {
                let path = f.location.path()?;
                let start = f.location.pos()?.line;
                let end = match &f.location {
                    palisade_core::Location::File { end, .. } => end.line,
                    _ => start,
                };
                used.insert(path);
                let source = self.source;
                let lines = self
                    .split
                    .entry(path)
                    .or_insert_with(|| source.text(path).map(|t| t.lines().collect()))
                    .as_deref()?;
                Snippet::of(lines, start, end)
            })
            .collect();
        self.split.retain(|path, _| used.contains(path));
        snippets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snippet(line: u32, lines: &[&str]) -> Snippet {
        Snippet {
            line,
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        }
    }

    #[test]
    fn a_snippet_is_the_line_before_and_the_findings_own() {
        let lines = ["a", "b", "c", "d"];
        assert_eq!(Snippet::of(&lines, 3, 3), Some(snippet(2, &["b", "c"])));
        assert_eq!(Snippet::of(&lines, 1, 2), Some(snippet(1, &["a", "b"])));
        // A span ending past the last line (at the end of the file).
        assert_eq!(Snippet::of(&lines, 4, 5), Some(snippet(3, &["c", "d"])));
        // Past the end of the file (it changed): nothing.
        assert_eq!(Snippet::of(&lines, 9, 9), None);
        assert_eq!(Snippet::of(&lines, 0, 0), None);
        let long = "x".repeat(MAX_LINE_CHARS + 1);
        assert_eq!(Snippet::of(&["a", &long], 2, 2), None);
        let many: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(Snippet::of(&many, 5, 20).unwrap().lines.len(), 6);
    }

    #[test]
    fn snippets_make_a_sparse_text_and_drop_files_they_disagree_about() {
        let a: Arc<str> = Arc::from("a.yaml");
        let b: Arc<str> = Arc::from("b.yaml");
        let mut one = Snippets::default();
        one.add(&a, snippet(2, &["x: 1", "y: 2"]));
        one.add(&b, snippet(1, &["k: v"]));
        let mut two = Snippets::default();
        two.add(&a, snippet(3, &["y: 2", "z: 3"]));
        two.add(&b, snippet(1, &["k: changed"]));
        one.merge(two);
        let texts = one.finish();
        assert_eq!(texts.text("a.yaml"), Some("\nx: 1\ny: 2\nz: 3\n"));
        assert_eq!(texts.text("b.yaml"), None);
    }
}
