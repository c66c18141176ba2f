//! The guide's workload-level items beyond the Pod Security Standards: service-account tokens,
//! image pull policy and provenance, runtime sockets, and what a reviewer of the guide expects.
//!
//! None of these rules repeats a Pod Security Standards check (those live in [`crate::pss`]);
//! where they touch the same fields (`hostPath`, `securityContext`) they ask a different question.

use palisade_core::yaml::Node;
use palisade_core::{Container, ContainerKind};

pub mod image;

mod dashboard_skip_login;
mod default_sa_automount;
mod field_types;
mod image_digest;
mod image_pull_policy;
mod image_registry;
mod image_tag;
mod image_tag_denied;
mod readonly_root;
mod resource_limits;
mod runtime_socket;
mod sa_token;
mod secret_env;
mod secret_env_ref;
mod token_secret;

pub use runtime_socket::socket_under;
pub use sa_token::{token_mount, TokenMount};
pub use secret_env::{credential_name, literal_secret};

/// `container "web"`, `init container "setup"`, `ephemeral container "debug"`: messages name the
/// list too, because the same name may be used in two lists and the fix differs.
fn describe(c: &Container<'_>) -> String {
    let kind = match c.kind {
        ContainerKind::Container => "container",
        ContainerKind::InitContainer => "init container",
        ContainerKind::EphemeralContainer => "ephemeral container",
    };
    if c.name.is_empty() {
        format!("unnamed {kind} at {}", c.pointer)
    } else {
        format!("{kind} \"{}\"", c.name)
    }
}

/// The container's image reference, when it has one.
fn image_of<'a>(c: &Container<'a>) -> Option<&'a str> {
    c.node.get("image").and_then(Node::as_str)
}
