//! `PA9xx`: Palisade's own findings about its input: manifests that do not mean what they seem to.

pub mod duplicate_key;
pub mod field_types;
pub mod waiver_without_reason;
