//! Where things are in the text: the line index, and positions (line, column in code points)
//! turned into byte offsets and back.
//!
//! The loader reports positions; edits are byte ranges. Every conversion goes through here so
//! that one rule (columns count code points, lines past the end clamp to the last line) holds
//! everywhere.

use super::Editor;
use crate::yaml::node::Pos;

impl<'t> Editor<'t> {
    pub(super) fn offset(&self, pos: Pos) -> usize {
        let line = (pos.line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        let start = self.line_starts[line];
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(pos.col.max(1) as usize - 1)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// Offset of the start of `line`, clamped like [`Editor::line`]: the parser can report a
    /// line past the last line break (a key at the very end of the text).
    pub(super) fn line_start(&self, line: u32) -> usize {
        self.line_starts[(line.max(1) as usize - 1).min(self.line_starts.len() - 1)]
    }

    /// The text of a line without its line break.
    pub(super) fn line(&self, line: u32) -> &'t str {
        let i = (line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        let start = self.line_starts[i];
        let end = self
            .line_starts
            .get(i + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Offset just after the line break of `line` (where a line inserted after it goes), and
    /// whether a line break must be written first (the file's last line has none).
    pub(super) fn after_line(&self, line: u32) -> (usize, bool) {
        match self.line_starts.get(line as usize) {
            Some(&next) => (next, false),
            None => (
                self.text.len(),
                !self.text.is_empty() && !self.text.ends_with('\n'),
            ),
        }
    }

    pub(super) fn char_at(&self, offset: usize) -> Option<char> {
        self.text[offset..].chars().next()
    }

    /// The text of `pos`'s line before it.
    pub(super) fn text_before(&self, pos: Pos) -> &'t str {
        let l = self.line(pos.line);
        let end = l
            .char_indices()
            .nth(pos.col as usize - 1)
            .map_or(l.len(), |(i, _)| i);
        &l[..end]
    }
}

/// The position (1-based line, column in code points) of a byte offset of `text`.
pub fn pos_of(text: &str, offset: usize) -> Pos {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line: before.matches('\n').count() as u32 + 1,
        col: before[line_start..].chars().count() as u32 + 1,
    }
}
