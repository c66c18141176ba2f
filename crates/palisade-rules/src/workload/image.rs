//! Container image references for the image rules: the parser and the registry allow-list are
//! `palisade_core::image` (one implementation, also for the webhook, the Dashboard test and
//! generated manifests); what the API server derives from a reference lives here.

pub use palisade_core::image::{ImageRef, ImageRefError, RegistryPattern};

/// The `imagePullPolicy` the API server fills in when a container names none, exactly as
/// `SetDefaults_Container` does: `Always` when the tag is `latest` (written, or implied by a
/// reference with neither tag nor digest), `IfNotPresent` otherwise — including for references
/// it cannot parse (`ParseImageName` fails, the tag is empty).
pub fn default_pull_policy(image: &str) -> &'static str {
    default_pull_policy_of(&ImageRef::parse(image))
}

/// [`default_pull_policy`] of a reference already parsed (or not parsable).
pub fn default_pull_policy_of(parsed: &Result<ImageRef, ImageRefError>) -> &'static str {
    match parsed {
        Ok(r) if r.effective_tag() == Some("latest") => "Always",
        _ => "IfNotPresent",
    }
}

/// The parts of an image reference in CEL (`palisade vap export`), split as the runtime splits
/// it: a digest follows `@`; a tag follows the last `:` after the last `/` of the name before the
/// digest (a registry port, `host:5000/app`, is not a tag). `image` is a CEL string expression.
pub(crate) mod cel {
    /// The last path component of the name (with its tag, if any).
    fn last(image: &str) -> String {
        format!("{image}.split('@')[0].substring({image}.split('@')[0].lastIndexOf('/') + 1)")
    }

    /// CEL: the reference has a digest.
    pub(crate) fn has_digest(image: &str) -> String {
        format!("{image}.contains('@')")
    }

    /// CEL: the reference has a tag.
    pub(crate) fn has_tag(image: &str) -> String {
        format!("{}.contains(':')", last(image))
    }

    /// CEL: the tag, when [`has_tag`] holds.
    pub(crate) fn tag(image: &str) -> String {
        format!("{}.split(':')[1]", last(image))
    }

    /// CEL: the tag is `latest`, written or implied (neither tag nor digest): where the API server
    /// defaults `imagePullPolicy` to `Always` ([`super::default_pull_policy`]).
    pub(crate) fn latest(image: &str) -> String {
        format!(
            "({} ? {} == 'latest' : !{})",
            has_tag(image),
            tag(image),
            has_digest(image)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn pull_policy_defaults_like_the_api_server() {
        assert_eq!(default_pull_policy("nginx"), "Always");
        assert_eq!(default_pull_policy("nginx:latest"), "Always");
        assert_eq!(default_pull_policy(&format!("nginx:latest@{D}")), "Always");
        assert_eq!(default_pull_policy("nginx:1.25"), "IfNotPresent");
        assert_eq!(default_pull_policy(&format!("nginx@{D}")), "IfNotPresent");
        assert_eq!(default_pull_policy("localhost:5000/app"), "Always");
        assert_eq!(default_pull_policy("nginx:Latest"), "IfNotPresent");
        assert_eq!(default_pull_policy("NotValid"), "IfNotPresent");
        // A digest the runtime cannot verify makes the reference invalid, so no tag is seen.
        assert_eq!(
            default_pull_policy(&format!("nginx:latest@md5:{}", "0".repeat(32))),
            "IfNotPresent"
        );
    }
}
