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
