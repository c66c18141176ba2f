//! The manifest source: bytes of a file (or stdin) → objects, with every input problem turned into
//! a clear error that names the file and position, and nothing lost from the rest of the input.

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
    #[error("not valid UTF-8 (invalid byte at offset {offset}, line {line}); Kubernetes manifests must be UTF-8")]
    NotUtf8 { offset: usize, line: usize },
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
            InputError::NotUtf8 { line, .. } => Some(Pos {
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

/// Checks size, binary content and encoding; strips a UTF-8 BOM. On success the text is returned.
pub fn decode<'a>(bytes: &'a [u8], limits: &SourceLimits) -> Result<&'a str, InputError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(InputError::TooLarge {
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(InputError::Binary(i));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        InputError::NotUtf8 {
            offset,
            line: bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1,
        }
    })
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
        Ok(text) => load_text(path, text, limits),
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
