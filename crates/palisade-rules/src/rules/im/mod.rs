//! `IM4xx`: images: pull policy, tags, registries, digests.

pub mod image_digest;
pub mod image_pull_policy;
pub mod image_registry;
pub mod image_tag;
pub mod image_tag_denied;
