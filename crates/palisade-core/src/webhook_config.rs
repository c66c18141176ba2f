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

use crate::config::{string, strings};
use crate::finding::Severity;
use crate::yaml::{Node, Pos};

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceMode {
    pub names: Vec<String>,
    pub mode: AdmissionMode,
}

/// Requests that are never judged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdmissionExemptions {
    pub namespaces: Vec<String>,
    /// Authenticated user names (`request.userInfo.username`).
    pub usernames: Vec<String>,
    /// Pods (and templates) with one of these `runtimeClassName`s.
    pub runtime_class_names: Vec<String>,
}

/// Which fixes `/mutate` applies. Fixes never overwrite a value the user wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecGuard {
    pub enabled: bool,
    /// Deny when the pod cannot be read (true), or allow (false).
    pub fail_closed: bool,
    /// How long a pod read from the API is reused.
    pub cache_ttl_seconds: u64,
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceImagePolicy {
    pub names: Vec<String>,
    pub allowed_registries: Option<Vec<String>>,
    pub require_digest: Option<bool>,
    pub denied_tags: Option<Vec<String>>,
}

/// What images may run (`/imagepolicy` and `/validate`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImagePolicy {
    /// `None`: the top-level `allowed-registries`.
    pub allowed_registries: Option<Vec<String>>,
    pub require_digest: bool,
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

/// The whole `webhook:` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Findings at or above this severity deny (in `enforce` mode).
    pub fail_on: Severity,
    /// The mode of namespaces not listed in `namespaces`.
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

type Error = (Pos, String);

/// Walks the entries of a mapping, erroring on keys not in `known`.
fn fields<'a>(
    node: &'a Node,
    what: &str,
    known: &[&str],
    mut each: impl FnMut(&str, &'a Node, Pos) -> Result<(), Error>,
) -> Result<(), Error> {
    if node.is_null() {
        return Ok(());
    }
    let entries = node
        .as_map()
        .ok_or((node.span.start, format!("{what}: expected a mapping")))?;
    for e in entries {
        let at = e.key_span.start;
        if !known.contains(&&*e.key) {
            return Err((
                at,
                format!(
                    "unknown {what} setting `{}` (known: {})",
                    e.key,
                    known.join(", ")
                ),
            ));
        }
        each(&e.key, &e.value, at)?;
    }
    Ok(())
}

fn boolean(v: &Node, key: &str, at: Pos) -> Result<bool, Error> {
    v.as_bool()
        .ok_or((at, format!("{key}: expected true or false")))
}

fn list(v: &Node, key: &str, at: Pos) -> Result<Vec<String>, Error> {
    strings(v).map_err(|m| (at, format!("{key}: {m}")))
}

fn text(v: &Node, key: &str, at: Pos) -> Result<String, Error> {
    string(v).ok_or((at, format!("{key}: expected a string")))
}

fn names(v: Option<Vec<String>>, at: Pos, what: &str) -> Result<Vec<String>, Error> {
    match v {
        Some(n) if !n.is_empty() => Ok(n),
        _ => Err((
            at,
            format!("{what} entry without `names`: say which namespaces"),
        )),
    }
}

/// Reads the `webhook:` section. Errors carry the position they are about.
pub fn parse(node: &Node) -> Result<WebhookConfig, Error> {
    let mut c = WebhookConfig::default();
    fields(
        node,
        "webhook",
        &[
            "fail-on",
            "mode",
            "namespaces",
            "annotation-exemptions",
            "exempt",
            "mutate",
            "exec-guard",
            "image-policy",
        ],
        |key, v, at| {
            match key {
                "fail-on" => {
                    c.fail_on = text(v, key, at)?
                        .parse()
                        .map_err(|e| (v.span.start, format!("fail-on: {e}")))?
                }
                "mode" => {
                    c.mode = text(v, key, at)?
                        .parse()
                        .map_err(|e| (v.span.start, format!("mode: {e}")))?
                }
                "namespaces" => {
                    for item in v
                        .as_seq()
                        .ok_or((at, "namespaces: expected a list".to_owned()))?
                    {
                        let (mut n, mut mode) = (None, None);
                        fields(item, "namespaces", &["names", "mode"], |k, v, at| {
                            match k {
                                "names" => n = Some(list(v, k, at)?),
                                _ => {
                                    mode = Some(
                                        text(v, k, at)?
                                            .parse()
                                            .map_err(|e| (v.span.start, format!("mode: {e}")))?,
                                    )
                                }
                            }
                            Ok(())
                        })?;
                        c.namespaces.push(NamespaceMode {
                            names: names(n, item.span.start, "namespaces")?,
                            mode: mode.ok_or((
                                item.span.start,
                                "namespaces entry without `mode`".to_owned(),
                            ))?,
                        });
                    }
                }
                "annotation-exemptions" => c.annotation_exemptions = boolean(v, key, at)?,
                "exempt" => fields(
                    v,
                    "exempt",
                    &["namespaces", "usernames", "runtime-class-names"],
                    |k, v, at| {
                        let l = list(v, k, at)?;
                        match k {
                            "namespaces" => c.exempt.namespaces = l,
                            "usernames" => c.exempt.usernames = l,
                            _ => c.exempt.runtime_class_names = l,
                        }
                        Ok(())
                    },
                )?,
                "mutate" => fields(
                    v,
                    "mutate",
                    &[
                        "image-pull-policy-always",
                        "allow-privilege-escalation-false",
                        "seccomp-runtime-default",
                        "automount-service-account-token-false",
                    ],
                    |k, v, at| {
                        let b = boolean(v, k, at)?;
                        let m = &mut c.mutate;
                        match k {
                            "image-pull-policy-always" => m.image_pull_policy_always = b,
                            "allow-privilege-escalation-false" => {
                                m.allow_privilege_escalation_false = b
                            }
                            "seccomp-runtime-default" => m.seccomp_runtime_default = b,
                            _ => m.automount_service_account_token_false = b,
                        }
                        Ok(())
                    },
                )?,
                "exec-guard" => fields(
                    v,
                    "exec-guard",
                    &["enabled", "failure", "cache-ttl-seconds"],
                    |k, v, at| {
                        let g = &mut c.exec_guard;
                        match k {
                            "enabled" => g.enabled = boolean(v, k, at)?,
                            "failure" => {
                                g.fail_closed = match text(v, k, at)?.as_str() {
                                    "closed" => true,
                                    "open" => false,
                                    other => {
                                        return Err((
                                            v.span.start,
                                            format!(
                                                "failure: unknown value `{other}` (expected \
                                                 closed or open)"
                                            ),
                                        ))
                                    }
                                }
                            }
                            _ => {
                                g.cache_ttl_seconds =
                                    v.as_i64().filter(|s| (0..=3600).contains(s)).ok_or((
                                        at,
                                        "cache-ttl-seconds: expected 0 to 3600".to_owned(),
                                    ))? as u64
                            }
                        }
                        Ok(())
                    },
                )?,
                _ => c.image_policy = image_policy(v)?,
            }
            Ok(())
        },
    )?;
    Ok(c)
}

fn image_policy(node: &Node) -> Result<ImagePolicy, Error> {
    let mut p = ImagePolicy::default();
    fields(
        node,
        "image-policy",
        &[
            "allowed-registries",
            "require-digest",
            "denied-tags",
            "break-glass",
            "namespaces",
        ],
        |k, v, at| {
            match k {
                "allowed-registries" => p.allowed_registries = Some(list(v, k, at)?),
                "break-glass" => p.break_glass = boolean(v, k, at)?,
                "require-digest" => p.require_digest = boolean(v, k, at)?,
                "denied-tags" => p.denied_tags = list(v, k, at)?,
                _ => {
                    for item in v
                        .as_seq()
                        .ok_or((at, "namespaces: expected a list".to_owned()))?
                    {
                        let mut ns = NamespaceImagePolicy::default();
                        let mut n = None;
                        fields(
                            item,
                            "image-policy namespaces",
                            &[
                                "names",
                                "allowed-registries",
                                "require-digest",
                                "denied-tags",
                            ],
                            |k, v, at| {
                                match k {
                                    "names" => n = Some(list(v, k, at)?),
                                    "allowed-registries" => {
                                        ns.allowed_registries = Some(list(v, k, at)?)
                                    }
                                    "require-digest" => {
                                        ns.require_digest = Some(boolean(v, k, at)?)
                                    }
                                    _ => ns.denied_tags = Some(list(v, k, at)?),
                                }
                                Ok(())
                            },
                        )?;
                        ns.names = names(n, item.span.start, "image-policy namespaces")?;
                        p.namespaces.push(ns);
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok(p)
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
