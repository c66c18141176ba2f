//! `PA9xx`: Palisade's own findings about its input (not about the cluster's security as such, but
//! about manifests that do not mean what they seem to).

pub mod duplicate_key;
pub mod waiver_without_reason;
