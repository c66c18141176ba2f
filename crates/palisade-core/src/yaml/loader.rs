//! Builds [`Node`] trees from `saphyr-parser` events, with Kubernetes' YAML semantics and bounds.
//!
//! Why our own loader: the manifest path needs a position for every node (so findings point at
//! `file:line:col`), YAML 1.1 scalar resolution (see [`super::scalar`]), `<<` merge keys, a
//! deliberate policy for duplicate keys, and hard limits on what hostile input can inflate.
//! `saphyr-parser` gives spanned events and nothing more, which is exactly the layer we need.
//!
//! A stream is first cut into documents at `---` lines (a line starting with `---` can never be
//! scalar content, so the cut is exact). Each piece is parsed on its own, which isolates a syntax
//! error to its document and lets large files be parsed on several cores.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

use super::node::{Entry, Node, Pos, Scalar, ScalarKind, Span, Value};
use super::repair;
use super::scalar::{decode_base64, json_key, resolve_plain, resolve_tagged};

/// Bounds on what one document may make the loader do.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// Nodes that alias expansion may add to one document ("billion laughs" guard).
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 512,
            max_alias_nodes: 100_000,
        }
    }
}

/// Why a document could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    #[error("invalid YAML: {0}")]
    Syntax(String),
    #[error("alias expansion exceeds {0} nodes (a \"billion laughs\" document?)")]
    AliasLimit(usize),
    #[error("nesting deeper than {0} levels")]
    DepthLimit(usize),
}

/// A document that could not be read, with where the problem is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {kind}")]
pub struct LoadError {
    pub pos: Pos,
    pub kind: LoadErrorKind,
}

/// A mapping key written twice. The API server keeps the last value (as JSON decoding does); we do
/// the same and report both places, since the first value is silently lost.
#[derive(Clone, Debug, PartialEq)]
pub struct DuplicateKey {
    pub key: String,
    pub first: Span,
    pub second: Span,
}

/// One YAML document of a stream.
#[derive(Clone, Debug)]
pub struct Document {
    /// 0-based position of the document in its file.
    pub index: usize,
    pub root: Node,
    pub duplicate_keys: Vec<DuplicateKey>,
}

/// A piece of a stream holding whole documents; see [`split_documents`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Byte range in the stream.
    pub start: usize,
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
}

/// Cuts a stream at every `---` document marker. Directive lines (`%YAML`) just before a marker go
/// with the document they introduce.
pub fn split_documents(text: &str) -> Vec<Chunk> {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let mut chunk_start = 0usize;
    let mut chunk_line = 1u32;
    // First byte and line of the run of directive lines just before the current line, if any.
    let mut directives: Option<(usize, u32)> = None;
    let mut line = 1u32;
    let mut pos = 0usize;
    while pos < bytes.len() {
        let end = memchr_newline(bytes, pos);
        let l = &bytes[pos..end];
        let is_marker = l.starts_with(b"---")
            && (matches!(l.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
                || is_kubectl_marker(&l[3..]));
        if is_marker && pos > chunk_start {
            let (start, start_line) = directives.unwrap_or((pos, line));
            if start > chunk_start {
                chunks.push(Chunk {
                    start: chunk_start,
                    end: start,
                    line: chunk_line,
                });
                chunk_start = start;
                chunk_line = start_line;
            }
        }
        if l.first() == Some(&b'%') {
            directives.get_or_insert((pos, line));
        } else if directives.is_some() && !is_blank_or_comment(l) {
            directives = None;
        }
        pos = end + 1;
        line += 1;
    }
    if chunk_start < bytes.len() || chunks.is_empty() {
        chunks.push(Chunk {
            start: chunk_start,
            end: bytes.len(),
            line: chunk_line,
        });
    }
    chunks
}

/// What follows `---` on a line that kubectl's `YAMLReader` takes as a document separator but
/// YAML does not: nothing but white space as Go's `strings.TrimSpace` knows it (vertical tab,
/// form feed, NEL, no-break space…), or a comment right after the dashes (`---#`).
fn is_kubectl_marker(rest: &[u8]) -> bool {
    let Ok(rest) = std::str::from_utf8(rest) else {
        return false;
    };
    // Go's `unicode.IsSpace` is Unicode's White_Space, as `char::is_whitespace`.
    let t = rest.trim();
    t.is_empty() || t.starts_with('#')
}

/// A piece whose first line is a document separator only to kubectl (see [`is_kubectl_marker`]),
/// with that line made a plain `---` of the same width, so the parser starts a document there.
fn plain_marker(piece: &str) -> Option<String> {
    let end = piece.find('\n').unwrap_or(piece.len());
    let first = &piece[..end];
    let b = first.as_bytes();
    if !first.starts_with("---") || matches!(b.get(3), None | Some(b' ' | b'\t' | b'\r')) {
        return None;
    }
    if !is_kubectl_marker(&b[3..]) {
        return None;
    }
    let body = first.trim_end_matches('\r');
    let width = body.chars().count();
    let mut out = String::with_capacity(piece.len());
    out.push_str("---");
    out.extend(std::iter::repeat_n(' ', width - 3));
    out.push_str(&first[body.len()..]);
    out.push_str(&piece[end..]);
    Some(out)
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |i| from + i)
}

fn is_blank_or_comment(line: &[u8]) -> bool {
    let trimmed = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &line[i..]);
    trimmed.is_empty() || trimmed[0] == b'#'
}

/// What loading a chunk produced: its documents (numbered from 0 within the chunk) and at most one
/// error (parsing cannot go on past it within the chunk).
#[derive(Debug, Default)]
pub struct ChunkResult {
    pub documents: Vec<Document>,
    pub error: Option<LoadError>,
}

/// Loads every document of one chunk of `text`.
pub fn load_chunk(text: &str, chunk: Chunk, limits: &Limits) -> ChunkResult {
    let piece = &text[chunk.start..chunk.end];
    let end = end_pos(piece, chunk.line);
    let marked = plain_marker(piece);
    let piece = marked.as_deref().unwrap_or(piece);
    let none = repair::Padding::default();
    let mut result = parse_piece(piece, chunk.line, end, &none, None, limits);
    if !is_syntax_error(&result) {
        return result;
    }
    // A byte-order mark inside a document is an ordinary character to libyaml (only one at the
    // start of a line is skipped); saphyr-parser refuses it where a token starts. It is read as a
    // character the text does not hold, turned back into U+FEFF in the values.
    let mut work = std::borrow::Cow::Borrowed(piece);
    let mut sentinel = None;
    if piece.contains('\u{FEFF}') {
        if let Some(c) = repair::unused_private_use_char(piece) {
            work = std::borrow::Cow::Owned(repair::replace_inner_bom(piece, c));
            sentinel = Some(c);
            let again = parse_piece(&work, chunk.line, end, &none, sentinel, limits);
            if !is_syntax_error(&again) {
                return again;
            }
        }
    }
    // saphyr-parser rejects flow collections and quoted scalars whose continuation lines are
    // indented no deeper than the enclosing block, which libyaml, go-yaml and so Kubernetes
    // accept (libyaml ignores indentation there). Indenting those lines changes no value, so we
    // indent all of them at once, parse again (columns mapped back), and keep that reading only
    // when every indented line turned out to lie inside such a construct.
    if let Some((fixed, padding, constructs)) = repair::indent_constructs(&work, chunk.line) {
        let again = parse_piece(&fixed, chunk.line, end, &padding, sentinel, limits);
        if again.error.is_none() && constructs_confirmed(&work, chunk.line, &again, &constructs) {
            return again;
        }
    }
    // Fallback, one quoted scalar at a time where the parser says it failed: the lexer above
    // can be misled (a quote at the start of a plain scalar's continuation line).
    let mut repaired: Option<(String, repair::Padding)> = None;
    for _ in 0..64 {
        let Some(err) = &result.error else { break };
        let LoadErrorKind::Syntax(msg) = &err.kind else {
            break;
        };
        if !msg.starts_with("invalid indentation in quoted scalar") {
            break;
        }
        let (current, padding) = repaired
            .take()
            .unwrap_or_else(|| (work.to_string(), repair::Padding::default()));
        let local = Pos {
            line: err.pos.line - chunk.line + 1,
            col: padding.to_parser_col(err.pos.line, err.pos.col),
        };
        match repair::indent_quoted_scalar(&current, local, chunk.line, padding) {
            Some((fixed, padding)) => {
                result = parse_piece(&fixed, chunk.line, end, &padding, sentinel, limits);
                repaired = Some((fixed, padding));
            }
            None => break,
        }
    }
    result
}

fn is_syntax_error(r: &ChunkResult) -> bool {
    matches!(
        &r.error,
        Some(LoadError {
            kind: LoadErrorKind::Syntax(_),
            ..
        })
    )
}

/// Whether each construct [`repair::indent_constructs`] indented is, in the documents parsed from
/// the indented text, a flow collection or a quoted scalar that starts where the construct opens
/// and ends on its last line: then every indented line lies inside one, where indentation means
/// nothing to libyaml, and the reading is the original text's.
fn constructs_confirmed(
    piece: &str,
    first_line: u32,
    result: &ChunkResult,
    constructs: &[repair::Construct],
) -> bool {
    // Lines, and whether each is ASCII (then a column is a byte index: no scan of a long line).
    let lines: Vec<(&str, bool)> = piece.split('\n').map(|l| (l, l.is_ascii())).collect();
    // The character at a 1-based source position, and the one before it.
    let char_at = |p: Pos| -> Option<char> {
        let &(line, ascii) = lines.get(p.line.checked_sub(first_line)? as usize)?;
        let i = p.col.checked_sub(1)? as usize;
        if ascii {
            line.as_bytes().get(i).map(|&b| b as char)
        } else {
            line.chars().nth(i)
        }
    };
    let char_before = |p: Pos| -> Option<char> {
        char_at(Pos {
            line: p.line,
            col: p.col.checked_sub(1)?,
        })
    };
    let mut seen: HashMap<(u32, u32), repair::ConstructKind> = HashMap::new();
    let mut stack: Vec<&Node> = result.documents.iter().map(|d| &d.root).collect();
    while let Some(n) = stack.pop() {
        let (start, end) = (n.span.start, n.span.end);
        let kind = match &n.value {
            Value::Scalar(s) if s.quoted && start.line < end.line => {
                matches!(char_at(start), Some('\'' | '"' | '!' | '&'))
                    .then_some(repair::ConstructKind::Quoted)
            }
            Value::Seq(_) | Value::Map(_) if start.line < end.line => {
                (matches!(char_at(start), Some('[' | '{' | '!' | '&'))
                    && matches!(char_before(end), Some(']' | '}')))
                .then_some(repair::ConstructKind::Flow)
            }
            _ => None,
        };
        if let Some(k) = kind {
            seen.insert((start.line, end.line), k);
        }
        match &n.value {
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            Value::Scalar(_) => {}
        }
    }
    constructs
        .iter()
        .all(|c| seen.get(&(c.start.line, c.end_line)) == Some(&c.kind))
}

/// Loads a whole stream, one chunk after another. Returns documents numbered through the stream
/// and the errors met (one per broken chunk).
pub fn load_str(text: &str, limits: &Limits) -> (Vec<Document>, Vec<LoadError>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for chunk in split_documents(text) {
        let r = load_chunk(text, chunk, limits);
        for mut d in r.documents {
            d.index = docs.len();
            docs.push(d);
        }
        errors.extend(r.error);
    }
    (docs, errors)
}

/// The position just past the last character of `piece`, whose first line is `first_line`.
fn end_pos(piece: &str, first_line: u32) -> Pos {
    let last_line = piece.rsplit('\n').next().unwrap_or("");
    Pos {
        line: first_line + piece.bytes().filter(|&b| b == b'\n').count() as u32,
        col: last_line.chars().count() as u32 + 1,
    }
}

/// Line starts (character indexes) of a text with a lone CR, `None` for any other text.
///
/// YAML counts a CR not followed by LF as a line break, and so do the parser's markers; every
/// other part of Palisade (document cuts, code frames, the fix editor) counts LFs. In such a text
/// positions are computed from the marker's character index instead, so a line number always
/// names the same line everywhere.
fn line_starts_if_lone_cr(text: &str) -> Option<Vec<usize>> {
    let bytes = text.as_bytes();
    let lone_cr = bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    if !lone_cr {
        return None;
    }
    let mut starts = vec![0];
    starts.extend(
        text.chars()
            .enumerate()
            .filter(|&(_, c)| c == '\n')
            .map(|(i, _)| i + 1),
    );
    Some(starts)
}

/// A scalar's text at its exact size. The parser's own strings (block and quoted scalars) carry
/// spare capacity: copying them costs less than asking the allocator to shrink them in place
/// (a reallocation per scalar was 2 % of a large scan).
fn boxed(text: std::borrow::Cow<'_, str>) -> Box<str> {
    match text {
        std::borrow::Cow::Owned(s) if s.len() == s.capacity() => s.into_boxed_str(),
        text => Box::from(&*text),
    }
}

fn parse_piece(
    piece: &str,
    first_line: u32,
    end: Pos,
    padding: &repair::Padding,
    sentinel: Option<char>,
    limits: &Limits,
) -> ChunkResult {
    let mut builder = Builder {
        sentinel,
        first_line,
        line_starts: line_starts_if_lone_cr(piece),
        end,
        padding,
        limits,
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
        duplicates: Vec::new(),
        documents: Vec::new(),
        piece,
        piece_end: (!piece.ends_with(['\n', '\r'])).then(|| piece.chars().count()),
    };
    let mut parser = Parser::new_from_str(piece);
    let mut error = None;
    loop {
        match parser.next_event() {
            None | Some(Ok((Event::StreamEnd, _))) => break,
            Some(Ok((event, span))) => {
                if let Err(e) = builder.event(event, span) {
                    error = Some(e);
                    break;
                }
            }
            Some(Err(e)) => {
                error = Some(builder.scan_error(&e));
                break;
            }
        }
    }
    ChunkResult {
        documents: builder.documents,
        error,
    }
}

/// An open collection. Its children live on the builder's shared stacks from `first` on, so each
/// finished collection is allocated once at its exact size (no growth, no slack: this matters for
/// memory and speed on large inputs).
enum Frame {
    Seq {
        first: usize,
        start: Pos,
        anchor: usize,
    },
    Map {
        first: usize,
        /// `<<` values, each with the number of this mapping's entries written before it.
        merges: Vec<(usize, Node)>,
        key: Option<(Box<str>, Span, bool)>,
        start: Pos,
        anchor: usize,
    },
}

struct Builder<'a> {
    first_line: u32,
    /// Character index of the start of each line of the parsed text, when it has a lone CR (see
    /// [`line_starts_if_lone_cr`]).
    line_starts: Option<Vec<usize>>,
    /// Just past the piece's last character: no position lies beyond it.
    end: Pos,
    padding: &'a repair::Padding,
    /// The character that stands for U+FEFF in the parsed text (see [`load_chunk`]).
    sentinel: Option<char>,
    limits: &'a Limits,
    stack: Vec<Frame>,
    /// Children of the open sequences, innermost last.
    items: Vec<Node>,
    /// Entries of the open mappings, innermost last.
    entries: Vec<Entry>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    root: Option<Node>,
    duplicates: Vec<DuplicateKey>,
    documents: Vec<Document>,
    /// The piece's length in characters when it does not end with a line break (see
    /// [`Builder::event`] on block scalars).
    piece_end: Option<usize>,
    /// The parsed text.
    piece: &'a str,
}

impl Builder<'_> {
    /// Whether the last line of the piece (which has no line break) is a line of the block scalar
    /// whose content starts on 1-based line `first` of the piece (where the parser's span of a block
    /// scalar starts): a line with text, or a line of blanks at least as deep as the scalar's
    /// content (its first non-blank line), for which saphyr-parser adds a line break. A shallower
    /// line of blanks is not content, and the scalar's last line did end with a line break.
    fn last_line_is_content(&self, first: usize) -> bool {
        let last = self.piece.rsplit(['\n', '\r']).next().unwrap_or("");
        if last.contains(|c: char| c != ' ' && c != '\t') {
            return true;
        }
        let indent = |l: &str| l.chars().take_while(|&c| c == ' ').count();
        let content = self
            .piece
            .split('\n')
            .skip(first.saturating_sub(1))
            .find(|l| l.contains(|c: char| !matches!(c, ' ' | '\t' | '\r')))
            .map_or(0, indent);
        indent(last) >= content
    }

    /// The source position of a parser marker. A block scalar that ends the input without a
    /// final line break ends, for the parser, after the line break it implies: on a line that
    /// does not exist. Such a position is the end of the input, so that every span lies within
    /// the text (the fix editor turns spans into byte offsets).
    fn pos(&self, m: &saphyr_parser::Marker) -> Pos {
        let (line, col) = match &self.line_starts {
            None => (m.line(), m.col()),
            Some(starts) => {
                let i = starts.partition_point(|&s| s <= m.index());
                (i, m.index() - starts[i - 1])
            }
        };
        let line = line as u32 + self.first_line - 1;
        let pos = Pos {
            line,
            col: self.padding.to_source_col(line, col as u32 + 1),
        };
        pos.min(self.end)
    }

    fn span(&self, s: &saphyr_parser::Span) -> Span {
        Span {
            start: self.pos(&s.start),
            end: self.pos(&s.end),
        }
    }

    fn scan_error(&self, e: &ScanError) -> LoadError {
        LoadError {
            pos: self.pos(e.marker()),
            kind: LoadErrorKind::Syntax(e.info().to_owned()),
        }
    }

    fn event(&mut self, event: Event<'_>, span: saphyr_parser::Span) -> Result<(), LoadError> {
        let sp = self.span(&span);
        match event {
            Event::DocumentStart(_) => {
                self.root = None;
                self.anchors.clear();
                self.alias_nodes = 0;
                self.duplicates.clear();
            }
            Event::DocumentEnd => {
                // An empty document (`---` then nothing, or only comments) is not a document
                // anyone wrote on purpose: it is dropped, not counted.
                if let Some(root) = self.root.take().filter(|r| !r.is_null()) {
                    self.documents.push(Document {
                        index: self.documents.len(),
                        root,
                        duplicate_keys: std::mem::take(&mut self.duplicates),
                    });
                }
            }
            Event::Scalar(mut text, style, anchor, tag) => {
                // A block scalar whose last line is the end of the input, with no line break:
                // libyaml and go-yaml (so Kubernetes) give it no final line break (`|` then `x` at
                // the end of a file is "x"), saphyr-parser 0.3 adds one. Take it off again.
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    && self.piece_end == Some(span.end.index())
                    && text.ends_with('\n')
                    && self.last_line_is_content(span.start.line())
                {
                    text.to_mut().pop();
                }
                if let Some(c) = self.sentinel.filter(|&c| text.contains(c)) {
                    text = text.replace(c, "\u{FEFF}").into();
                }
                let quoted = !matches!(style, ScalarStyle::Plain);
                // As go-yaml v2: a core-schema tag resolves (`!!binary` is base64-decoded), any
                // other tag (`!`, `!local`) leaves a string, as does quoting.
                let kind = match (&tag, quoted) {
                    (Some(t), _) if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" => {
                        if &*t.suffix == "binary" {
                            if let Some(bytes) = decode_base64(&text) {
                                text = String::from_utf8_lossy(&bytes).into_owned().into();
                            }
                        }
                        resolve_tagged(&t.suffix, &text)
                    }
                    (Some(_), _) | (_, true) => ScalarKind::Str,
                    (None, false) => resolve_plain(&text),
                };
                let is_merge_key = !quoted && text == "<<";
                let node = Node {
                    value: Value::Scalar(Scalar::new(boxed(text), kind, quoted)),
                    span: sp,
                };
                self.finish(node, 1, anchor, is_merge_key)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.push_frame(
                    Frame::Seq {
                        first: self.items.len(),
                        start: sp.start,
                        anchor,
                    },
                    sp.start,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                self.push_frame(
                    Frame::Map {
                        first: self.entries.len(),
                        merges: Vec::new(),
                        key: None,
                        start: sp.start,
                        anchor,
                    },
                    sp.start,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.stack.pop().expect("parser balances collections");
                let (node, anchor) = match frame {
                    Frame::Seq {
                        first,
                        start,
                        anchor,
                    } => (
                        Node {
                            value: Value::Seq(self.items.drain(first..).collect()),
                            span: Span { start, end: sp.end },
                        },
                        anchor,
                    ),
                    Frame::Map {
                        first,
                        merges,
                        start,
                        anchor,
                        ..
                    } => {
                        let entries: Vec<Entry> = self.entries.drain(first..).collect();
                        let entries = self.close_map(entries, merges);
                        (
                            Node {
                                value: Value::Map(entries.into()),
                                span: Span { start, end: sp.end },
                            },
                            anchor,
                        )
                    }
                };
                let count = if anchor != 0 { node.count() } else { 0 };
                self.finish(node, count, anchor, false)?;
            }
            Event::Alias(id) => {
                let (node, count) = self.anchors.get(&id).cloned().ok_or_else(|| LoadError {
                    pos: sp.start,
                    kind: LoadErrorKind::Syntax("alias to an unknown anchor".into()),
                })?;
                self.alias_nodes += count;
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(LoadError {
                        pos: sp.start,
                        kind: LoadErrorKind::AliasLimit(self.limits.max_alias_nodes),
                    });
                }
                self.finish(node, 0, 0, false)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn push_frame(&mut self, frame: Frame, at: Pos) -> Result<(), LoadError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(LoadError {
                pos: at,
                kind: LoadErrorKind::DepthLimit(self.limits.max_depth),
            });
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Places a completed node into its parent (or makes it the document root).
    fn finish(
        &mut self,
        node: Node,
        count: usize,
        anchor: usize,
        is_merge_key: bool,
    ) -> Result<(), LoadError> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), count.max(1)));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { .. }) => self.items.push(node),
            Some(Frame::Map {
                merges, key, first, ..
            }) => match key.take() {
                None => {
                    let text: Box<str> = match &node.value {
                        Value::Scalar(s) => {
                            json_key(s.kind()).map_or_else(|| s.text.clone(), Into::into)
                        }
                        _ => "<complex key>".into(),
                    };
                    *key = Some((text, node.span, is_merge_key));
                }
                Some((_, _, true)) => merges.push((self.entries.len() - *first, node)),
                Some((k, key_span, false)) => self.entries.push(Entry {
                    key: k,
                    key_span,
                    value: node,
                }),
            },
        }
        Ok(())
    }

    /// Applies `<<` merges and resolves duplicate keys as go-yaml v2 (so Kubernetes) does: the
    /// mapping is filled in document order, a later key replacing an earlier one, and a merge
    /// replaces the keys written before it (explicit ones included) while the keys written after
    /// it replace its own; within a sequence of merged maps the earlier map wins. Duplicate
    /// explicit keys are recorded (both places).
    fn close_map(&mut self, mut entries: Vec<Entry>, merges: Vec<(usize, Node)>) -> Vec<Entry> {
        // The original index of each explicit entry that survives (the last of its key).
        let kept: Vec<usize> = if entries.len() > 1 {
            self.drop_duplicates(&mut entries)
        } else {
            (0..entries.len()).collect()
        };
        if merges.is_empty() {
            return entries;
        }
        // Where each key is, with the original index of the explicit entry it came from (`None`
        // for a merged key, which a later merge replaces).
        let mut at: HashMap<Box<str>, (usize, Option<usize>)> = entries
            .iter()
            .zip(&kept)
            .enumerate()
            .map(|(i, (e, &orig))| (e.key.clone(), (i, Some(orig))))
            .collect();
        for (pos, merge) in merges {
            let sources: Vec<Node> = match merge.value {
                Value::Map(_) => vec![merge],
                // The earlier map wins: apply them last to first.
                Value::Seq(items) => items.into_vec().into_iter().rev().collect(),
                Value::Scalar(_) => Vec::new(),
            };
            for source in sources {
                let Value::Map(merged) = source.value else {
                    continue;
                };
                for e in merged.into_vec() {
                    match at.get(&e.key) {
                        // An explicit key written after this merge keeps its value.
                        Some(&(_, Some(orig))) if orig >= pos => {}
                        Some(&(i, _)) => entries[i] = e,
                        None => {
                            at.insert(e.key.clone(), (entries.len(), None));
                            entries.push(e);
                        }
                    }
                }
            }
        }
        entries
    }

    /// Drops all but the last entry of each key, recording the duplicates; returns the original
    /// index of each entry kept.
    fn drop_duplicates(&mut self, entries: &mut Vec<Entry>) -> Vec<usize> {
        let mut dup_at: Vec<usize> = Vec::new();
        if entries.len() <= 16 {
            for i in 0..entries.len() {
                if entries[i + 1..].iter().any(|e| e.key == entries[i].key) {
                    dup_at.push(i);
                }
            }
        } else {
            let mut last: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
            for (i, e) in entries.iter().enumerate() {
                if let Some(prev) = last.insert(&e.key, i) {
                    dup_at.push(prev);
                }
            }
            dup_at.sort_unstable();
        }
        if dup_at.is_empty() {
            return (0..entries.len()).collect();
        }
        for &i in &dup_at {
            let later = entries[i + 1..]
                .iter()
                .find(|e| e.key == entries[i].key)
                .expect("duplicate has a later entry");
            self.duplicates.push(DuplicateKey {
                key: entries[i].key.to_string(),
                first: entries[i].key_span,
                second: later.key_span,
            });
        }
        let kept = (0..entries.len())
            .filter(|i| dup_at.binary_search(i).is_err())
            .collect();
        let mut i = 0;
        entries.retain(|_| {
            let keep = dup_at.binary_search(&i).is_err();
            i += 1;
            keep
        });
        kept
    }
}
