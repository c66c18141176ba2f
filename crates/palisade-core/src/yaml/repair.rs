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

/// What a multi-line construct is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstructKind {
    /// A flow sequence or mapping (`[`…`]`, `{`…`}`) in block context.
    Flow,
    /// A single- or double-quoted scalar in block context.
    Quoted,
}

/// A construct spanning lines whose continuation lines [`indent_constructs`] indented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Construct {
    pub kind: ConstructKind,
    /// 1-based source line and column of the opening bracket or quote.
    pub start: Pos,
    /// 1-based source line of the closing bracket or quote.
    pub end_line: u32,
}

/// Indents, in one pass, the continuation lines of every multi-line flow collection and quoted
/// scalar in block context of `text` (whose first line is source line `first_line`), so that
/// they sit deeper than the block they are in; returns the new text, the padding, and the
/// constructs found.
///
/// libyaml (so go-yaml and Kubernetes) ignores indentation inside flow collections and quoted
/// scalars; `saphyr-parser` requires their lines to be indented deeper than the enclosing block.
/// Leading white space of such a line is never part of a value (flow context skips it; a quoted
/// scalar's line folding strips it), so indenting those lines changes no value.
///
/// The scan is a light lexer (comments, block scalars, quotes, brackets); it can be fooled (a
/// quote at the start of a plain scalar's continuation line), which is why the caller checks,
/// on what the parser made of the new text, that every construct is a flow collection or quoted
/// scalar from its first line to its last, and otherwise keeps the original parse.
///
/// `None` when nothing spans lines, or when the padding would more than double the text (hostile
/// input: a bracket far to the right followed by many lines).
pub fn indent_constructs(text: &str, first_line: u32) -> Option<(String, Padding, Vec<Construct>)> {
    let found = Lexer::new(text).run();
    if found.is_empty() {
        return None;
    }
    // Required first column (0-based) per 0-based line of `text`.
    let mut need: Vec<(u32, u32)> = Vec::new();
    for c in &found {
        for line in c.line0 + 1..=c.end_line0 {
            match need.last_mut() {
                Some((l, n)) if *l == line => *n = (*n).max(c.need),
                _ => need.push((line, c.need)),
            }
        }
    }
    let budget = text.len() + 4096;
    let mut added = 0usize;
    let mut out = String::with_capacity(text.len() + 256);
    let mut padding = Padding::default();
    let mut next = need.iter().peekable();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let i = i as u32;
        while next.peek().is_some_and(|(l, _)| *l < i) {
            next.next();
        }
        if let Some(&&(l, n)) = next.peek() {
            let body = line.trim_end_matches(['\n', '\r']);
            let w = body
                .bytes()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count() as u32;
            if l == i && w < n && !body[w as usize..].is_empty() {
                let pad = n - w;
                added += pad as usize;
                if added > budget {
                    return None;
                }
                out.extend(std::iter::repeat_n(' ', pad as usize));
                padding.lines.push((first_line + i, pad));
            }
        }
        out.push_str(line);
    }
    let constructs = found
        .iter()
        .map(|c| Construct {
            kind: c.kind,
            start: Pos {
                line: first_line + c.line0,
                col: c.col0 + 1,
            },
            end_line: first_line + c.end_line0,
        })
        .collect();
    Some((out, padding, constructs))
}

/// What a block scalar's content must be indented deeper than.
#[derive(Clone, Copy)]
enum Parent {
    /// A top-level scalar (`--- |`): any indentation.
    Top,
    /// The line's key (`key: |`).
    Key,
    /// The `-` or `?` indicator at this byte (`- |`).
    At(usize),
}

struct Found {
    kind: ConstructKind,
    /// 0-based line and character column of the opener.
    line0: u32,
    col0: u32,
    end_line0: u32,
    /// First column (0-based) the continuation lines need.
    need: u32,
}

struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// 0-based line of `i`, and the byte its line starts at.
    line: u32,
    line_start: usize,
    found: Vec<Found>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            text,
            b: text.as_bytes(),
            i: 0,
            line: 0,
            line_start: 0,
            found: Vec::new(),
        }
    }

    fn bump(&mut self) {
        if self.b[self.i] == b'\n' {
            self.line += 1;
            self.line_start = self.i + 1;
        }
        self.i += 1;
    }

    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(b'\n')
    }

    fn is_ws(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\r' | b'\n')
    }

    fn col(&self, i: usize) -> u32 {
        self.text[self.line_start..i].chars().count() as u32
    }

    fn skip_to_eol(&mut self) {
        while self.i < self.b.len() && self.b[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn run(mut self) -> Vec<Found> {
        // Parent indentation of the block scalar being skipped (-1: a top-level one).
        let mut block_scalar: Option<i64> = None;
        while self.i < self.b.len() {
            debug_assert_eq!(self.i, self.line_start);
            let w = self.b[self.i..]
                .iter()
                .take_while(|&&c| c == b' ' || c == b'\t')
                .count();
            let blank = matches!(self.at(self.i + w), b'\n' | b'\r');
            if let Some(n) = block_scalar {
                if blank || w as i64 > n {
                    self.skip_to_eol();
                    if self.i < self.b.len() {
                        self.bump();
                    }
                    continue;
                }
            }
            self.i += w;
            block_scalar = self.block_line(w);
            if self.i < self.b.len() {
                self.bump();
            }
        }
        self.found
    }

    /// Lexes one line of block context from its first non-blank byte (continuing over the lines a
    /// construct spans), stopping at the line break. Returns the parent indentation when a block
    /// scalar starts.
    fn block_line(&mut self, w: usize) -> Option<i64> {
        let start_line = self.line;
        // The column the line's innermost block node starts at: past `- ` and `? ` indicators.
        let mut key_col = w;
        {
            let mut j = self.i;
            while matches!(self.at(j), b'-' | b'?') && Self::is_ws(self.at(j + 1)) {
                j += 1;
                while matches!(self.at(j), b' ' | b'\t') {
                    j += 1;
                }
            }
            key_col += j - self.i;
        }
        let mut token_start = true;
        // The indicator just before the current token: a block scalar's parent.
        let mut parent = Parent::Key;
        if self.b[self.i..].starts_with(b"---") && Self::is_ws(self.at(self.i + 3)) {
            self.i += 3;
            parent = Parent::Top;
        }
        while self.i < self.b.len() && self.b[self.i] != b'\n' {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'#' if self.i == self.line_start || Self::is_ws(self.b[self.i - 1]) => {
                    self.skip_to_eol()
                }
                b'\'' | b'"' if token_start => {
                    // The column is counted only for a construct that spans lines: counting it
                    // for every quote of a long line would be quadratic.
                    let (line0, open, open_line_start) = (self.line, self.i, self.line_start);
                    if !self.quoted(c) {
                        self.skip_to_eol();
                        return None;
                    }
                    if self.line > line0 && line0 == start_line {
                        let col0 = self.text[open_line_start..open].chars().count() as u32;
                        self.found.push(Found {
                            kind: ConstructKind::Quoted,
                            line0,
                            col0,
                            end_line0: self.line,
                            need: key_col as u32 + 2,
                        });
                    }
                    token_start = false;
                }
                b'[' | b'{' if token_start => {
                    // The column is counted only for a construct that spans lines: counting it
                    // for every quote of a long line would be quadratic.
                    let (line0, open, open_line_start) = (self.line, self.i, self.line_start);
                    if !self.flow() {
                        self.skip_to_eol();
                        return None;
                    }
                    if self.line > line0 && line0 == start_line {
                        let col0 = self.text[open_line_start..open].chars().count() as u32;
                        self.found.push(Found {
                            kind: ConstructKind::Flow,
                            line0,
                            col0,
                            end_line0: self.line,
                            need: key_col as u32 + 2,
                        });
                    }
                    token_start = false;
                }
                b'|' | b'>' if token_start => {
                    let parent = match parent {
                        Parent::Top => -1,
                        Parent::Key => key_col as i64,
                        Parent::At(i) => self.col(i) as i64,
                    };
                    self.skip_to_eol();
                    return Some(parent);
                }
                b'-' | b'?' | b':' if Self::is_ws(self.at(self.i + 1)) => {
                    // Where the indicator is; its column is counted only for a block scalar.
                    parent = if c == b':' {
                        Parent::Key
                    } else {
                        Parent::At(self.i)
                    };
                    token_start = true;
                    self.i += 1;
                }
                b'&' | b'!' if token_start => {
                    while !Self::is_ws(self.at(self.i)) {
                        self.i += 1;
                    }
                }
                _ => {
                    token_start = false;
                    self.i += 1;
                }
            }
        }
        None
    }

    /// Skips a quoted scalar from its opening quote. False when it does not close.
    fn quoted(&mut self, q: u8) -> bool {
        self.i += 1;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if q == b'\'' && c == b'\'' {
                if self.at(self.i + 1) == b'\'' {
                    self.i += 2;
                    continue;
                }
                self.i += 1;
                return true;
            }
            if q == b'"' {
                if c == b'"' {
                    self.i += 1;
                    return true;
                }
                if c == b'\\' && self.i + 1 < self.b.len() {
                    self.bump();
                }
            }
            self.bump();
        }
        false
    }

    /// Skips a flow collection from its opening bracket. False when it does not close.
    fn flow(&mut self) -> bool {
        let mut depth = 0usize;
        let mut token_start = true;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b'[' | b'{' => {
                    depth += 1;
                    token_start = true;
                    self.i += 1;
                }
                b']' | b'}' => {
                    self.i += 1;
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return true;
                    }
                    token_start = false;
                }
                b',' => {
                    token_start = true;
                    self.i += 1;
                }
                b':' | b'?' | b'-'
                    if Self::is_ws(self.at(self.i + 1))
                        || matches!(self.at(self.i + 1), b',' | b'[' | b']' | b'{' | b'}') =>
                {
                    token_start = true;
                    self.i += 1;
                }
                b'#' if Self::is_ws(self.b[self.i - 1]) => self.skip_to_eol(),
                b'\'' | b'"' if token_start => {
                    if !self.quoted(c) {
                        return false;
                    }
                    token_start = false;
                }
                b' ' | b'\t' | b'\r' | b'\n' => self.bump(),
                b'&' | b'!' if token_start => {
                    while !Self::is_ws(self.at(self.i))
                        && !matches!(self.at(self.i), b',' | b'[' | b']' | b'{' | b'}')
                    {
                        self.i += 1;
                    }
                }
                _ => {
                    token_start = false;
                    self.i += 1;
                }
            }
        }
        false
    }
}

/// `text` with every U+FEFF that does not start a line replaced by `with` (a character of the
/// same width in columns). See `loader::load_chunk`.
pub fn replace_inner_bom(text: &str, with: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut line_start = true;
    for c in text.chars() {
        out.push(if c == '\u{FEFF}' && !line_start {
            with
        } else {
            c
        });
        line_start = c == '\n' || c == '\r';
    }
    out
}

/// A character of the Private Use Area that `text` does not hold, found in one pass.
pub fn unused_private_use_char(text: &str) -> Option<char> {
    const FIRST: u32 = 0xE000;
    const LAST: u32 = 0xF8FF;
    let mut used = vec![false; (LAST - FIRST + 1) as usize];
    for c in text.chars() {
        if (FIRST..=LAST).contains(&(c as u32)) {
            used[(c as u32 - FIRST) as usize] = true;
        }
    }
    let i = used.iter().position(|&u| !u)?;
    char::from_u32(FIRST + i as u32)
}
