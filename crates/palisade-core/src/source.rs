//! The manifest source: bytes of a file (or stdin) → objects, with every input problem turned into
//! a clear error that names the file and position, and nothing lost from the rest of the input.

use std::borrow::Cow;
use std::sync::Arc;

use crate::object::{objects_of_document, Object};
use crate::yaml::{self, Chunk, Document, DuplicateKey, Limits, LoadError, Pos};

/// Bounds on one input file.
#[derive(Clone, Copy, Debug)]
pub struct SourceLimits {
    /// Largest file read, in bytes.
    pub max_file_bytes: usize,
    pub yaml: Limits,
}

impl Default for SourceLimits {
    fn default() -> Self {
        SourceLimits {
            max_file_bytes: 32 * 1024 * 1024,
            yaml: Limits::default(),
        }
    }
}

/// Why (part of) an input could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("cannot read: {0}")]
    Io(String),
    #[error("file is {size} bytes, over the {limit}-byte limit (raise it with --max-file-size)")]
    TooLarge { size: u64, limit: usize },
    #[error("not a text file (NUL byte at offset {0})")]
    Binary(usize),
    #[error("not valid UTF-8 (invalid byte at offset {offset}, line {line}); Kubernetes manifests must be UTF-8 (or UTF-16 with a byte-order mark)")]
    NotUtf8 { offset: usize, line: usize },
    #[error("not valid UTF-32 (invalid code unit at byte offset {offset}, line {line})")]
    NotUtf32 { offset: usize, line: usize },
    #[error(
        "{0}; this looks like a Helm template: render it first (`helm template … | palisade scan -`)"
    )]
    HelmTemplate(LoadError),
    #[error("{0}")]
    Yaml(LoadError),
}

impl InputError {
    /// Where in the file the problem is, when known.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            InputError::Yaml(e) | InputError::HelmTemplate(e) => Some(e.pos),
            InputError::NotUtf8 { line, .. } | InputError::NotUtf32 { line, .. } => Some(Pos {
                line: *line as u32,
                col: 1,
            }),
            _ => None,
        }
    }
}

/// What reading one input gave.
#[derive(Debug, Default)]
pub struct Loaded {
    pub objects: Vec<Object>,
    /// Documents that are not Kubernetes objects (no `apiVersion`/`kind`, or empty).
    pub skipped_documents: usize,
    pub duplicate_keys: Vec<(usize, DuplicateKey)>,
    pub errors: Vec<InputError>,
}

/// Why a file named by the user (a manifest, a config, a saved inventory or report) could not be
/// read whole. The caller's error names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "{}over the {limit}-byte limit",
        size.map(|s| format!("{s} bytes, ")).unwrap_or_default()
    )]
    TooLarge {
        /// The file's size when it is a regular file (a pipe or device has none).
        size: Option<u64>,
        limit: u64,
    },
    #[error("not UTF-8 text (invalid byte at offset {0})")]
    NotUtf8(usize),
}

/// Reads a whole file, but never more than `limit` bytes: a larger regular file is refused before
/// any read, and what has no size (a pipe, `/dev/zero`, a file growing while read) is read at most
/// one byte past the limit. Every file Palisade reads because a user named it goes through here,
/// so none can make it allocate without bound.
pub fn read_bounded(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let size = meta.is_file().then_some(meta.len());
    if let Some(size) = size.filter(|&s| s > limit) {
        return Err(ReadError::TooLarge {
            size: Some(size),
            limit,
        });
    }
    let mut buf = Vec::with_capacity(size.unwrap_or(0) as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: size.map(|s| s.max(buf.len() as u64)),
            limit,
        });
    }
    Ok(buf)
}

/// [`read_bounded`] for a text file (UTF-8).
pub fn read_text_bounded(path: &std::path::Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bounded(path, limit)?)
        .map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

/// How a file's text is encoded, from its byte-order mark.
///
/// kubectl reads files through `unicode.BOMOverride(unicode.UTF8.NewDecoder())`: a UTF-16 mark
/// switches to UTF-16 (Windows editors and PowerShell's `>` write such files), a UTF-8 mark is
/// dropped. Palisade does the same, and also reads UTF-32 with a mark (which kubectl does not).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    #[default]
    Utf8,
    /// UTF-8 after the mark `EF BB BF`.
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Encoding {
    /// The encoding a file's first bytes announce (UTF-8 without a mark).
    pub fn of(bytes: &[u8]) -> Encoding {
        // UTF-32LE's mark starts with UTF-16LE's: test it first.
        if bytes.starts_with(b"\xFF\xFE\0\0") {
            Encoding::Utf32Le
        } else if bytes.starts_with(b"\0\0\xFE\xFF") {
            Encoding::Utf32Be
        } else if bytes.starts_with(b"\xFF\xFE") {
            Encoding::Utf16Le
        } else if bytes.starts_with(b"\xFE\xFF") {
            Encoding::Utf16Be
        } else if bytes.starts_with(b"\xEF\xBB\xBF") {
            Encoding::Utf8Bom
        } else {
            Encoding::Utf8
        }
    }

    fn mark_len(self) -> usize {
        match self {
            Encoding::Utf8 => 0,
            Encoding::Utf16Le | Encoding::Utf16Be => 2,
            Encoding::Utf8Bom => 3,
            Encoding::Utf32Le | Encoding::Utf32Be => 4,
        }
    }

    /// The text in this encoding, with its mark: what `palisade fix` writes back.
    pub fn encode(self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2 + 4);
        match self {
            Encoding::Utf8 => out.extend_from_slice(text.as_bytes()),
            Encoding::Utf8Bom => {
                out.extend_from_slice(b"\xEF\xBB\xBF");
                out.extend_from_slice(text.as_bytes());
            }
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let be = self == Encoding::Utf16Be;
                for u in std::iter::once(0xFEFF).chain(text.encode_utf16()) {
                    out.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
                }
            }
            Encoding::Utf32Le | Encoding::Utf32Be => {
                let be = self == Encoding::Utf32Be;
                for c in std::iter::once('\u{FEFF}').chain(text.chars()) {
                    let u = c as u32;
                    out.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
                }
            }
        }
        out
    }
}

/// Checks size, binary content and encoding; strips a byte-order mark and decodes UTF-16 and
/// UTF-32 (see [`Encoding`]). On success the text is returned.
///
/// Positions in a decoded file mean what they mean in a UTF-8 one: the 1-based line and the
/// 1-based column counted in characters (Unicode scalar values, so a character outside the Basic
/// Multilingual Plane, two UTF-16 code units, is one column), which is what an editor shows for the
/// original file too. An offset in an error (`NotUtf8`) is a byte offset of the original file.
pub fn decode<'a>(bytes: &'a [u8], limits: &SourceLimits) -> Result<Cow<'a, str>, InputError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(InputError::TooLarge {
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    let encoding = Encoding::of(bytes);
    let mark = encoding.mark_len();
    let body = &bytes[mark..];
    let text: Cow<'a, str> = match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => {
            if let Some(i) = memchr::memchr(0, body) {
                return Err(InputError::Binary(i + mark));
            }
            Cow::Borrowed(std::str::from_utf8(body).map_err(|e| {
                let offset = e.valid_up_to();
                InputError::NotUtf8 {
                    offset: offset + mark,
                    line: body[..offset].iter().filter(|&&b| b == b'\n').count() + 1,
                }
            })?)
        }
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let be = encoding == Encoding::Utf16Be;
            // As kubectl's decoder: an unpaired surrogate (or an odd last byte) is U+FFFD.
            let units = body.chunks(2).map(|c| match c {
                [a, b] if be => u16::from_be_bytes([*a, *b]),
                [a, b] => u16::from_le_bytes([*a, *b]),
                _ => 0xFFFD,
            });
            let mut text = String::with_capacity(body.len() / 2 + body.len() / 8);
            let mut offset = mark;
            for r in char::decode_utf16(units) {
                let units = r.as_ref().map_or(1, |c| c.len_utf16());
                let c = r.unwrap_or(char::REPLACEMENT_CHARACTER);
                // A NUL character is no more text in UTF-16 than in UTF-8.
                if c == '\0' {
                    return Err(InputError::Binary(offset));
                }
                text.push(c);
                offset += units * 2;
            }
            Cow::Owned(text)
        }
        Encoding::Utf32Le | Encoding::Utf32Be => {
            let be = encoding == Encoding::Utf32Be;
            let mut text = String::with_capacity(body.len() / 4);
            for (i, c) in body.chunks(4).enumerate() {
                let u = match c {
                    [a, b, c, d] if be => Some(u32::from_be_bytes([*a, *b, *c, *d])),
                    [a, b, c, d] => Some(u32::from_le_bytes([*a, *b, *c, *d])),
                    _ => None,
                };
                match u.and_then(char::from_u32) {
                    Some('\0') => return Err(InputError::Binary(mark + 4 * i)),
                    Some(c) => text.push(c),
                    None => {
                        return Err(InputError::NotUtf32 {
                            offset: mark + 4 * i,
                            line: text.bytes().filter(|&b| b == b'\n').count() + 1,
                        })
                    }
                }
            }
            Cow::Owned(text)
        }
    };
    Ok(text)
}

/// Turns loaded documents (or a load error) into objects, counting what is skipped.
pub fn collect(
    path: &Arc<str>,
    text: &str,
    documents: Vec<Document>,
    error: Option<LoadError>,
    into: &mut Loaded,
) {
    for doc in documents {
        let index = doc.index;
        into.duplicate_keys
            .extend(doc.duplicate_keys.into_iter().map(|d| (index, d)));
        match objects_of_document(path, index, doc.root) {
            Some(objects) => into.objects.extend(objects),
            None => into.skipped_documents += 1,
        }
    }
    if let Some(e) = error {
        into.errors.push(yaml_error(text, e));
    }
}

/// The input error for a YAML load error, recognising unrendered Helm templates.
pub fn yaml_error(text: &str, e: LoadError) -> InputError {
    if looks_like_helm(text, e.pos) {
        InputError::HelmTemplate(e)
    } else {
        InputError::Yaml(e)
    }
}

/// Loads every document of `text`, one chunk at a time.
pub fn load_text(path: &Arc<str>, text: &str, limits: &SourceLimits) -> Loaded {
    let mut loaded = Loaded::default();
    let mut next_index = 0;
    for chunk in yaml::split_documents(text) {
        let mut r = yaml::load_chunk(text, chunk, &limits.yaml);
        for d in &mut r.documents {
            d.index = next_index;
            next_index += 1;
        }
        collect(path, text, r.documents, r.error, &mut loaded);
    }
    loaded
}

/// Loads bytes of one input: decoding checks, then [`load_text`].
pub fn load_bytes(path: &Arc<str>, bytes: &[u8], limits: &SourceLimits) -> Loaded {
    match decode(bytes, limits) {
        Ok(text) => load_text(path, &text, limits),
        Err(e) => Loaded {
            errors: vec![e],
            ..Loaded::default()
        },
    }
}

/// Chunks of a text, for callers that parse the chunks of one large file in parallel.
pub fn chunks(text: &str) -> Vec<Chunk> {
    yaml::split_documents(text)
}

/// A syntax error near `{{` is almost always an unrendered Helm or Go template.
fn looks_like_helm(text: &str, pos: Pos) -> bool {
    let line = pos.line as usize;
    text.lines()
        .skip(line.saturating_sub(3))
        .take(5)
        .any(|l| l.contains("{{"))
}

/// Objects of a YAML or JSON text; for tests and for callers that already hold the text.
pub fn objects_from_str(path: &str, text: &str) -> Loaded {
    load_text(&Arc::from(path), text, &SourceLimits::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_with_its_size_and_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, vec![b'#'; 1000]).unwrap();
        let err = read_bounded(&path, 999).unwrap_err();
        assert_eq!(err.to_string(), "1000 bytes, over the 999-byte limit");
        assert_eq!(read_bounded(&path, 1000).unwrap().len(), 1000);
        std::fs::write(&path, b"caf\xe9").unwrap();
        let err = read_text_bounded(&path, 1000).unwrap_err();
        assert_eq!(err.to_string(), "not UTF-8 text (invalid byte at offset 3)");
    }

    #[test]
    fn what_has_no_size_is_read_at_most_one_byte_past_the_limit() {
        let zero = std::path::Path::new("/dev/zero");
        if !zero.exists() {
            eprintln!("skipped: no /dev/zero");
            return;
        }
        let err = read_bounded(zero, 1 << 20).unwrap_err();
        assert_eq!(err.to_string(), "over the 1048576-byte limit");
    }
}
