//! The lines of a scanned file that its reports can show, kept instead of the whole text.
//!
//! Text, JSON and HTML reports draw a finding's code frame from a few lines around it
//! ([`palisade_report::snippet::window`]). A scan of 100,000 objects has findings in nearly every
//! file, and keeping each whole text until the report costs as much memory as the input
//! (~100 MB); the lines frames can show are an eighth of that. So when no report needs more
//! (SARIF's fixes re-read the whole file: [`KeepSources::Whole`]), each file keeps a sparse copy:
//! the lines of every frame, blank lines elsewhere, cut right after the file was checked.
//!
//! Which frames: those of the findings the file's objects got when they were checked, and of the
//! node rules' findings on control-plane static pods (kept whole). The cross-object rules report
//! after every file was read; a file holding a finding of theirs outside the kept lines is read
//! again ([`reread`]), and its lines are used only when the text is the one that was scanned (same
//! length and keyed digest): a frame is never drawn from a file that changed since. SARIF keeps
//! the whole text of a file with findings when it is checked; a file whose objects only the
//! cross-object rules may report on keeps its length and digest, and is read again whole.

use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};

use palisade_core::yaml::Node;
use palisade_core::{Finding, Location};
use palisade_report::snippet::window;

/// Which texts of the scanned files a scan keeps for its reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepSources {
    /// None: no report shows code (JUnit, Markdown, PolicyReport).
    None,
    /// The lines code frames may show (text, JSON, HTML).
    Frames,
    /// Whole texts: SARIF computes its fixes' replacements on the file as it was read.
    Whole,
}

/// The line ranges (1-based, inclusive) a file's reports may show.
#[derive(Default)]
pub struct FrameLines(Vec<(u32, u32)>);

impl FrameLines {
    /// The frame of a finding (and of the steps of its attack path that lie in files).
    pub fn finding(&mut self, f: &Finding) {
        self.location(&f.location);
        for step in f.flow.iter().flat_map(|steps| steps.iter()) {
            if let Some(l) = &step.location {
                self.location(l);
            }
        }
    }

    fn location(&mut self, l: &Location) {
        match l {
            Location::File { pos, end, .. } => self.frame(pos.line, end.line),
            Location::Path { pos: Some(pos), .. } => self.frame(pos.line, pos.line),
            _ => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The frame of a finding on lines `start..=end`.
    pub fn frame(&mut self, start: u32, end: u32) {
        self.0.extend(window(start, end));
    }

    /// Every line of `node`.
    pub fn whole(&mut self, node: &Node) {
        self.0.push((
            node.span.start.line.saturating_sub(1).max(1),
            node.span.end.line.max(node.span.start.line),
        ));
    }

    /// The ranges, sorted and joined where they overlap or touch.
    fn merged(mut self) -> Vec<(u32, u32)> {
        self.0.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(self.0.len());
        for (first, last) in self.0 {
            match out.last_mut() {
                Some(prev) if first <= prev.1.saturating_add(1) => prev.1 = prev.1.max(last),
                _ => out.push((first, last)),
            }
        }
        out
    }

    /// What a file keeps of `text` for these frames.
    pub fn keep(self, text: &str) -> Sparse {
        let ranges = self.merged();
        Sparse {
            text: Arc::from(sparse_text(text, &ranges)),
            ranges,
            len: text.len(),
            digest: digest(text),
        }
    }
}

/// The lines of a file its frames show (see [`FrameLines::keep`]).
pub struct Sparse {
    /// The file's text with every line outside `ranges` blank, up to the last line they hold.
    pub text: Arc<str>,
    ranges: Vec<(u32, u32)>,
    /// The length and digest of the whole text, to recognise it when it is read again.
    len: usize,
    digest: u64,
}

impl Sparse {
    /// The frames of `locations` this copy lacks.
    pub fn missing<'l>(&self, locations: impl Iterator<Item = &'l Location>) -> FrameLines {
        let mut wanted = FrameLines::default();
        for l in locations {
            wanted.location(l);
        }
        // The ranges are sorted and disjoint: the one that may hold a frame is the last starting
        // at or before it (a file may have thousands of findings, and as many ranges).
        wanted.0.retain(|&(first, last)| {
            let i = self.ranges.partition_point(|&(a, _)| a <= first);
            i == 0 || self.ranges[i - 1].1 < last
        });
        wanted
    }

    /// Whether `text`, read again, is the text that was scanned (same length and digest).
    pub fn is_scanned(&self, text: &str) -> bool {
        text.len() == self.len && digest(text) == self.digest
    }

    /// This copy with the frames `more` added, from `text` read again; `None` when `text` is not
    /// the text that was scanned.
    pub fn extend(&self, more: FrameLines, text: &str) -> Option<Sparse> {
        if !self.is_scanned(text) {
            return None;
        }
        let mut all = more;
        all.0.extend_from_slice(&self.ranges);
        Some(all.keep(text))
    }
}

/// A digest keyed for this process: a file cannot be made to collide with what was scanned
/// without knowing the key.
fn digest(text: &str) -> u64 {
    static KEY: OnceLock<foldhash::quality::RandomState> = OnceLock::new();
    KEY.get_or_init(Default::default).hash_one(text.as_bytes())
}

/// `text` with the lines of `ranges` (sorted, 1-based, inclusive) and every other line blank, up
/// to the last line they hold. A kept line is copied with its own line break (none for a last
/// line without one), so a report splitting the copy into lines gets the same lines as from
/// `text`.
fn sparse_text(text: &str, ranges: &[(u32, u32)]) -> String {
    let mut out = String::new();
    let mut ranges = ranges.iter().peekable();
    let mut line: u32 = 1;
    let mut at = 0;
    while at < text.len() {
        while ranges.next_if(|&&(_, last)| last < line).is_some() {}
        let Some(&&(first, _)) = ranges.peek() else {
            break;
        };
        let end = memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |i| at + i + 1);
        if first <= line {
            out.push_str(&text[at..end]);
        } else {
            out.push('\n');
        }
        at = end;
        line += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sparse(text: &str, frames: &[(u32, u32)]) -> String {
        let mut f = FrameLines::default();
        for &(s, e) in frames {
            f.frame(s, e);
        }
        f.keep(text).text.to_string()
    }

    #[test]
    fn a_sparse_text_keeps_the_frames_lines_and_blanks_the_rest() {
        let text = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
        // A finding on line 5: lines 4 and 5; one on 10: 9 and 10.
        assert_eq!(
            sparse(text, &[(5, 5), (10, 10)]),
            "\n\n\nd\ne\n\n\n\ni\nj\n"
        );
        // A long span: the line before, then six lines in all.
        assert_eq!(sparse(text, &[(2, 11)]), "a\nb\nc\nd\ne\nf\n");
        // Overlapping and unsorted frames; a frame past the end of the file.
        assert_eq!(
            sparse(text, &[(11, 20), (3, 3), (2, 2)]),
            "a\nb\nc\n\n\n\n\n\n\nj\nk\n"
        );
        assert_eq!(sparse(text, &[]), "");
    }

    #[test]
    fn kept_lines_split_as_the_original_does() {
        let text = "a\r\nb\r\nc\r\nd\re";
        for frames in [&[(2, 2)][..], &[(4, 4)], &[(1, 9)]] {
            let kept = sparse(text, frames);
            let original: Vec<&str> = text.lines().collect();
            for (i, line) in kept.lines().enumerate() {
                if !line.is_empty() {
                    assert_eq!(line, original[i], "{frames:?}");
                }
            }
        }
        assert_eq!(sparse(text, &[(4, 4)]), "\n\nc\r\nd\re");
    }

    #[test]
    fn frames_are_added_only_from_the_text_that_was_scanned() {
        let text = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let mut f = FrameLines::default();
        f.frame(2, 2);
        let kept = f.keep(text);
        let at = |line| Location::File {
            path: Arc::from("f.yaml"),
            pos: palisade_core::yaml::Pos { line, col: 1 },
            end: palisade_core::yaml::Pos { line, col: 2 },
            pointer: String::new(),
        };
        // Line 2's frame is kept; line 8's is not.
        assert!(kept.missing([at(2), at(1)].iter()).0.is_empty());
        let more = kept.missing([at(2), at(8)].iter());
        assert_eq!(more.0, [(7, 8)]);
        let changed = text.replace('g', "G");
        assert!(kept
            .extend(kept.missing([at(8)].iter()), &changed)
            .is_none());
        assert!(kept.extend(kept.missing([at(8)].iter()), "a\n").is_none());
        let extended = kept.extend(more, text).expect("same text");
        assert_eq!(&*extended.text, "a\nb\n\n\n\n\ng\nh\n");
        assert!(extended.missing([at(8), at(2)].iter()).0.is_empty());
    }
}
