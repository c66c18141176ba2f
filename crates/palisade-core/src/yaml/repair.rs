//! Work-around for one `saphyr-parser` 0.3 strictness: it rejects a multi-line quoted scalar whose
//! continuation lines are indented no deeper than the enclosing block, e.g.
//!
//! ```yaml
//!     description: "When set to `true` the TLS {} is optional, defaults
//!     to false."
//! ```
//!
//! go-yaml, libyaml and PyYAML accept this, so Kubernetes does too (two files of the real-world
//! corpus have it). A continuation line's leading white space is not part of the scalar's value, so
//! indenting those lines further yields the same value; we do that and keep a [`Padding`] table to
//! map columns back to the original text.

use super::node::Pos;

/// Spaces inserted at the start of source lines by [`indent_quoted_scalar`].
#[derive(Clone, Debug, Default)]
pub struct Padding {
    /// (1-based source line, spaces inserted), sorted by line.
    lines: Vec<(u32, u32)>,
}

impl Padding {
    fn pad(&self, line: u32) -> u32 {
        if self.lines.is_empty() {
            return 0;
        }
        self.lines
            .binary_search_by_key(&line, |&(l, _)| l)
            .map_or(0, |i| self.lines[i].1)
    }

    /// Column in the original text for a column the parser saw.
    pub fn to_source_col(&self, line: u32, col: u32) -> u32 {
        let pad = self.pad(line);
        if col > pad {
            col - pad
        } else {
            1
        }
    }

    /// Column the parser sees for a column of the original text.
    pub fn to_parser_col(&self, line: u32, col: u32) -> u32 {
        col + self.pad(line)
    }

    fn add(&mut self, line: u32, spaces: u32) {
        match self.lines.binary_search_by_key(&line, |&(l, _)| l) {
            Ok(i) => self.lines[i].1 += spaces,
            Err(i) => self.lines.insert(i, (line, spaces)),
        }
    }
}

/// Indents the continuation lines of the quoted scalar that opens at `at` (line relative to
/// `text`, parser column, both 1-based). `first_line` is the source line of `text`'s first line.
/// Returns the new text and padding, or `None` when `at` is not the start of a quoted scalar.
pub fn indent_quoted_scalar(
    text: &str,
    at: Pos,
    first_line: u32,
    mut padding: Padding,
) -> Option<(String, Padding)> {
    let line_start = text
        .split_inclusive('\n')
        .take(at.line.saturating_sub(1) as usize)
        .map(str::len)
        .sum::<usize>();
    let open = line_start
        + text[line_start..]
            .char_indices()
            .nth(at.col.saturating_sub(1) as usize)?
            .0;
    let quote = text[open..].chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let spaces = at.col;
    let pad: String = " ".repeat(spaces as usize);
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 256);
    out.push_str(&text[..=open]);
    let mut i = open + 1;
    let mut line = at.line;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\\' if quote == '"' && i + 1 < bytes.len() && bytes[i + 1] != b'\n' => {
                // An escape: copy it whole so an escaped quote does not end the scalar. (An escaped
                // line break is handled as a line break below.)
                let next = text[i + 1..].chars().next()?;
                out.push('\\');
                out.push(next);
                i += 1 + next.len_utf8();
                continue;
            }
            b'\'' if quote == '\'' && bytes.get(i + 1) == Some(&b'\'') => {
                out.push_str("''");
                i += 2;
                continue;
            }
            _ if b == quote as u8 => {
                out.push_str(&text[i..]);
                return Some((out, padding));
            }
            b'\n' => {
                out.push('\n');
                out.push_str(&pad);
                line += 1;
                padding.add(line + first_line - 1, spaces);
                i += 1;
                continue;
            }
            _ => {}
        }
        // Copy one whole character.
        let ch = text[i..].chars().next()?;
        out.push(ch);
        i += ch.len_utf8();
    }
    None
}
