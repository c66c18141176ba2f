//! YAML with positions and Kubernetes' reading of it. See [`loader`] for why this is our own.

pub mod de;
pub mod edit;
pub mod loader;
pub mod node;
mod repair;
pub mod scalar;
pub mod verify;
pub mod writer;

pub use loader::{
    load_chunk, load_str, split_documents, Chunk, Document, DuplicateKey, Limits, LoadError,
    LoadErrorKind,
};
pub use node::{
    escape_pointer, push_to, split_pointer, unescape_pointer, Entry, KeyPath, Node, Pos, Scalar,
    ScalarKind, ScalarType, Span, Value,
};
