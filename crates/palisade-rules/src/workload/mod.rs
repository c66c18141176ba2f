//! The guide's workload-level items beyond the Pod Security Standards: service-account tokens,
//! image pull policy and provenance, runtime sockets, and what a reviewer of the guide expects.
//!
//! None of these rules repeats a Pod Security Standards check (those live in [`crate::pss`]);
//! where they touch the same fields (`hostPath`, `securityContext`) they ask a different question.

use palisade_core::yaml::Node;
use palisade_core::{Container, ContainerKind};

pub mod image;

pub use crate::rules::ps::runtime_socket::socket_under;
pub use crate::rules::ps::secret_env::{credential_name, literal_secret};
pub use crate::rules::rb::sa_token::{token_mount, TokenMount};

/// `container "web"`, `init container "setup"`, `ephemeral container "debug"`: messages name the
/// list too, because the same name may be used in two lists and the fix differs.
pub(crate) fn describe(c: &Container<'_>) -> String {
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
pub(crate) fn image_of<'a>(c: &Container<'a>) -> Option<&'a str> {
    c.node.get("image").and_then(Node::as_str)
}
