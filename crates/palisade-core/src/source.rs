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
