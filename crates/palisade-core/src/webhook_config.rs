//! The `webhook:` section of `palisade.yaml`: how `palisade webhook` enforces at admission.
//!
//! Read with the same strictness as the rest of the config: unknown keys are errors with the
//! line they are on. Every setting has a default, so an empty section (or none) is a working
//! webhook: deny at `high`, enforce everywhere, the behaviour-preserving mutations on.
//!
//! ```yaml
//! webhook:
//!   fail-on: high                 # deny findings at or above this severity
//!   mode: enforce                 # enforce | warn | audit (default for every namespace)
//!   namespaces:                   # per-namespace modes, like Pod Security Admission's labels
//!     - names: [legacy, staging]
//!       mode: warn
//!   annotation-exemptions: false  # honour palisade.dev/ignore annotations on the object
//!   exempt:                       # never judged (the request is allowed untouched)
//!     namespaces: [kube-system]
//!     usernames: ["system:serviceaccount:kube-system:replicaset-controller"]
//!     runtime-class-names: [kata]
//!   mutate:                       # /mutate: which fixes are applied
//!     image-pull-policy-always: true
//!     allow-privilege-escalation-false: true
//!     seccomp-runtime-default: true
//!     automount-service-account-token-false: false   # may break pods that call the API
//!   exec-guard:
//!     enabled: true
//!     failure: closed             # closed: deny when the pod cannot be read | open: allow
//!     cache-ttl-seconds: 5
//!   image-policy:                 # /imagepolicy and /validate
//!     allowed-registries: [registry.example.com]   # default: the top-level allowed-registries
//!     require-digest: false
//!     denied-tags: [latest]
//!     break-glass: false          # ImageReview: `<x>.image-policy.k8s.io/break-glass: "true"` allows
//!     namespaces:
//!       - names: [prod]
//!         require-digest: true
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use crate::config::{parsed, some_parsed, some_strings, strings};
use crate::finding::Severity;

/// What the webhook does with findings at or above `fail-on`, per namespace (the modes of Pod
/// Security Admission).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AdmissionMode {
    /// Deny the request.
    #[default]
    Enforce,
    /// Allow it, and return the findings as warnings to the client.
    Warn,
    /// Allow it silently; the findings go to the audit log (`auditAnnotations`) and metrics.
    Audit,
}

impl AdmissionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AdmissionMode::Enforce => "enforce",
            AdmissionMode::Warn => "warn",
            AdmissionMode::Audit => "audit",
        }
    }
}

impl fmt::Display for AdmissionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AdmissionMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "enforce" => Ok(AdmissionMode::Enforce),
            "warn" => Ok(AdmissionMode::Warn),
            "audit" => Ok(AdmissionMode::Audit),
            _ => Err(format!(
                "unknown mode `{s}` (expected enforce, warn or audit)"
            )),
        }
    }
}

/// A mode for some namespaces.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawNamespaceMode")]
pub struct NamespaceMode {
    pub names: Vec<String>,
    pub mode: AdmissionMode,
}

/// A `namespaces:` entry as written.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawNamespaceMode {
    #[serde(deserialize_with = "strings")]
    names: Vec<String>,
    #[serde(deserialize_with = "some_parsed")]
    mode: Option<AdmissionMode>,
}

impl TryFrom<RawNamespaceMode> for NamespaceMode {
    type Error = &'static str;

    fn try_from(raw: RawNamespaceMode) -> Result<Self, Self::Error> {
        if raw.names.is_empty() {
            return Err(WITHOUT_NAMES);
        }
        Ok(NamespaceMode {
            names: raw.names,
            mode: raw.mode.ok_or("entry without `mode`")?,
        })
    }
}

/// A per-namespace entry must say which namespaces it is about.
const WITHOUT_NAMES: &str = "entry without `names`: say which namespaces";

/// Requests that are never judged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AdmissionExemptions {
    #[serde(deserialize_with = "strings")]
    pub namespaces: Vec<String>,
    /// Authenticated user names (`request.userInfo.username`).
    #[serde(deserialize_with = "strings")]
    pub usernames: Vec<String>,
    /// Pods (and templates) with one of these `runtimeClassName`s.
    #[serde(deserialize_with = "strings")]
    pub runtime_class_names: Vec<String>,
}

/// Which fixes `/mutate` applies. Fixes never overwrite a value the user wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Mutations {
    /// IM401: `imagePullPolicy: Always` (the guide's AlwaysPullImages).
    pub image_pull_policy_always: bool,
    /// PS121: `allowPrivilegeEscalation: false` where unset.
    pub allow_privilege_escalation_false: bool,
    /// PS124: pod-level seccomp `RuntimeDefault` when no container sets a profile.
    pub seccomp_runtime_default: bool,
    /// RB201: `automountServiceAccountToken: false` where unset, on pods of the `default`
    /// ServiceAccount only. Off by default: a pod that calls the API with its token breaks.
    pub automount_service_account_token_false: bool,
}

impl Default for Mutations {
    fn default() -> Self {
        Mutations {
            image_pull_policy_always: true,
            allow_privilege_escalation_false: true,
            seccomp_runtime_default: true,
            automount_service_account_token_false: false,
        }
    }
}

/// The exec guard (the guide's DenyEscalatingExec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExecGuard {
    pub enabled: bool,
    /// Deny when the pod cannot be read (true), or allow (false): `failure: closed | open`.
    #[serde(rename = "failure", deserialize_with = "failure")]
    pub fail_closed: bool,
    /// How long a pod read from the API is reused.
    #[serde(deserialize_with = "cache_ttl")]
    pub cache_ttl_seconds: u64,
}

/// `failure: closed` (deny when the pod cannot be read) or `open`.
fn failure<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match String::deserialize(d)?.as_str() {
        "closed" => Ok(true),
        "open" => Ok(false),
        other => Err(serde::de::Error::custom(format!(
            "unknown value `{other}` (expected closed or open)"
        ))),
    }
}

/// Longest `cache-ttl-seconds` accepted: a longer cache would judge execs against a pod read
/// long before.
const MAX_CACHE_TTL_SECONDS: u64 = 3600;

fn cache_ttl<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    u64::deserialize(d)
        .ok()
        .filter(|s| *s <= MAX_CACHE_TTL_SECONDS)
        .ok_or_else(|| serde::de::Error::custom(format!("expected 0 to {MAX_CACHE_TTL_SECONDS}")))
}

impl Default for ExecGuard {
    fn default() -> Self {
        ExecGuard {
            enabled: true,
            fail_closed: true,
            cache_ttl_seconds: 5,
        }
    }
}

/// Image rules for some namespaces; unset fields keep the default policy's values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawNamespaceImagePolicy")]
pub struct NamespaceImagePolicy {
    pub names: Vec<String>,
    pub allowed_registries: Option<Vec<String>>,
    pub require_digest: Option<bool>,
    pub denied_tags: Option<Vec<String>>,
}

/// An `image-policy` `namespaces:` entry as written.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
struct RawNamespaceImagePolicy {
    #[serde(deserialize_with = "strings")]
    names: Vec<String>,
    #[serde(deserialize_with = "some_strings")]
    allowed_registries: Option<Vec<String>>,
    require_digest: Option<bool>,
    #[serde(deserialize_with = "some_strings")]
    denied_tags: Option<Vec<String>>,
}

impl TryFrom<RawNamespaceImagePolicy> for NamespaceImagePolicy {
    type Error = &'static str;

    fn try_from(raw: RawNamespaceImagePolicy) -> Result<Self, Self::Error> {
        if raw.names.is_empty() {
            return Err(WITHOUT_NAMES);
        }
        Ok(NamespaceImagePolicy {
            names: raw.names,
            allowed_registries: raw.allowed_registries,
            require_digest: raw.require_digest,
            denied_tags: raw.denied_tags,
        })
    }
}

/// What images may run (`/imagepolicy` and `/validate`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ImagePolicy {
    /// `None`: the top-level `allowed-registries`.
    #[serde(deserialize_with = "some_strings")]
    pub allowed_registries: Option<Vec<String>>,
    pub require_digest: bool,
    #[serde(deserialize_with = "strings")]
    pub denied_tags: Vec<String>,
    /// `/imagepolicy` allows (and audits) a pod annotated
    /// `<anything>.image-policy.k8s.io/break-glass: "true"`, the emergency override
    /// ImagePolicyWebhook's documentation describes. Off by default.
    pub break_glass: bool,
    pub namespaces: Vec<NamespaceImagePolicy>,
}

impl Default for ImagePolicy {
    fn default() -> Self {
        ImagePolicy {
            allowed_registries: None,
            require_digest: false,
            denied_tags: vec!["latest".to_owned()],
            break_glass: false,
            namespaces: Vec::new(),
        }
    }
}

/// The whole `webhook:` section, read with [`crate::yaml::de`] as part of
/// [`crate::config::Config`]: unknown keys are errors with the line they are on.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct WebhookConfig {
    /// Findings at or above this severity deny (in `enforce` mode).
    #[serde(deserialize_with = "parsed")]
    pub fail_on: Severity,
    /// The mode of namespaces not listed in `namespaces`.
    #[serde(deserialize_with = "parsed")]
    pub mode: AdmissionMode,
    pub namespaces: Vec<NamespaceMode>,
    /// Whether `palisade.dev/ignore` / `container.palisade.dev/*` annotations on the request's
    /// object exempt its findings. Off by default: whoever creates the object would exempt
    /// themselves. Config exemptions always apply.
    pub annotation_exemptions: bool,
    pub exempt: AdmissionExemptions,
    pub mutate: Mutations,
    pub exec_guard: ExecGuard,
    pub image_policy: ImagePolicy,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            fail_on: Severity::High,
            mode: AdmissionMode::Enforce,
            namespaces: Vec::new(),
            annotation_exemptions: false,
            exempt: AdmissionExemptions::default(),
            mutate: Mutations::default(),
            exec_guard: ExecGuard::default(),
            image_policy: ImagePolicy::default(),
        }
    }
}

impl WebhookConfig {
    /// The mode of a namespace (the first entry naming it wins).
    pub fn mode_of(&self, namespace: &str) -> AdmissionMode {
        self.namespaces
            .iter()
            .find(|n| n.names.iter().any(|x| x == namespace))
            .map_or(self.mode, |n| n.mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;
    use std::path::Path;

    fn p(text: &str) -> Result<WebhookConfig, config::ConfigError> {
        config::parse(Path::new("palisade.yaml"), text).map(|c| c.webhook.unwrap_or_default())
    }

    #[test]
    fn defaults_and_every_setting() {
        assert_eq!(p("webhook: {}\n").unwrap(), WebhookConfig::default());
        let c = p("webhook:\n  fail-on: medium\n  mode: warn\n  namespaces:\n    - names: [a, b]\n      mode: audit\n  \
                   annotation-exemptions: true\n  exempt:\n    namespaces: [kube-system]\n    usernames: [admin]\n    runtime-class-names: [kata]\n  \
                   mutate:\n    image-pull-policy-always: false\n    automount-service-account-token-false: true\n  \
                   exec-guard:\n    failure: open\n    cache-ttl-seconds: 10\n  \
                   image-policy:\n    require-digest: true\n    denied-tags: [latest, dev]\n    allowed-registries: [ghcr.io/x]\n    \
                   namespaces:\n      - names: [prod]\n        require-digest: false\n")
            .unwrap();
        assert_eq!(c.fail_on, Severity::Medium);
        assert_eq!(c.mode_of("a"), AdmissionMode::Audit);
        assert_eq!(c.mode_of("zzz"), AdmissionMode::Warn);
        assert_eq!(c.exempt.runtime_class_names, ["kata"]);
        assert!(c.annotation_exemptions);
        assert!(!c.mutate.image_pull_policy_always);
        assert!(c.mutate.automount_service_account_token_false);
        assert!(c.mutate.seccomp_runtime_default);
        assert!(!c.exec_guard.fail_closed);
        assert_eq!(c.exec_guard.cache_ttl_seconds, 10);
        assert!(c.image_policy.require_digest);
        assert_eq!(c.image_policy.denied_tags, ["latest", "dev"]);
        assert_eq!(c.image_policy.namespaces[0].require_digest, Some(false));
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_line() {
        let e = p("webhook:\n  mutate:\n    imagePullPolicy: true\n").unwrap_err();
        assert_eq!(e.pos.map(|p| p.line), Some(3));
        assert!(
            e.message
                .contains("unknown mutate setting `imagePullPolicy`"),
            "{e}"
        );
        let e = p("webhook:\n  mode: block\n").unwrap_err();
        assert_eq!(e.pos.map(|p| p.line), Some(2));
        assert!(e.message.contains("unknown mode `block`"), "{e}");
        let e = p("webhook:\n  namespaces:\n    - mode: warn\n").unwrap_err();
        assert!(e.message.contains("without `names`"), "{e}");
        let e = p("webhook:\n  exec-guard:\n    failure: maybe\n").unwrap_err();
        assert!(e.message.contains("closed or open"), "{e}");
    }
}
