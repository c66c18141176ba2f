//! The API server's structured configuration files, read for what the rules need: who may be
//! anonymous (`AuthenticationConfiguration`), which authorizers run (`AuthorizationConfiguration`),
//! Pod Security defaults (`AdmissionConfiguration`), encryption at rest (`EncryptionConfiguration`)
//! and the audit policy.

use std::sync::Arc;

use palisade_core::yaml::Node;

use crate::component::{Component, Effective, Source};

/// Paths an anonymous request may reach without being a security problem: health checks.
pub const HEALTH_PATHS: &[&str] = &["/healthz", "/livez", "/readyz"];

/// What anonymous requests to the API server can do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anonymous {
    Disabled(Source),
    /// Enabled for every path.
    Enabled(Source),
    /// Enabled only for these paths (`anonymous.conditions` of the authentication config).
    Limited {
        paths: Vec<String>,
        source: Source,
    },
    /// The authentication config could not be read.
    Unknown(String),
}

fn config_source(path: &Arc<str>, root: &Node, pointer: &str) -> Source {
    let (node, _) = root.lookup(pointer);
    Source::Config {
        path: Arc::clone(path),
        span: root.key_span(pointer).unwrap_or(node.span),
        pointer: pointer.to_owned(),
    }
}

/// Anonymous access to the API server: the structured authentication config's `anonymous`
/// section when it has one (the API server then refuses `--anonymous-auth`), else the flag
/// (default `true`).
pub fn apiserver_anonymous(c: &Component) -> Anonymous {
    if let Some(r) = c.referenced("authentication-config") {
        let layer = match r {
            Ok(l) => l,
            Err(e) => return Anonymous::Unknown(e.to_owned()),
        };
        if let Some(anon) = layer.root.get("anonymous") {
            let source = config_source(&layer.path, &layer.root, "/anonymous/enabled");
            if anon.get("enabled").and_then(Node::bool_intent) != Some(true) {
                return Anonymous::Disabled(source);
            }
            let conditions = anon.get("conditions").map(Node::items).unwrap_or(&[]);
            if conditions.is_empty() {
                return Anonymous::Enabled(source);
            }
            let paths = conditions
                .iter()
                .filter_map(|c| c.get("path").and_then(Node::as_str))
                .map(str::to_owned)
                .collect();
            return Anonymous::Limited {
                paths,
                source: config_source(&layer.path, &layer.root, "/anonymous/conditions"),
            };
        }
    }
    let e = c
        .flag_or("anonymous-auth", Some("true"))
        .expect("a default is given");
    if e.is_false() {
        Anonymous::Disabled(e.source)
    } else {
        Anonymous::Enabled(e.source)
    }
}

/// The API server's authorizers in order (`Node`, `RBAC`, `Webhook`, `AlwaysAllow`, …), from the
/// structured authorization config or `--authorization-mode` (default `AlwaysAllow`).
pub fn apiserver_authorizers(c: &Component) -> Result<Effective, String> {
    if let Some(r) = c.referenced("authorization-config") {
        let layer = r.map_err(str::to_owned)?;
        let types: Vec<&str> = layer
            .root
            .get("authorizers")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(|a| a.get("type").and_then(Node::as_str))
            .collect();
        return Ok(Effective {
            value: types.join(","),
            source: config_source(&layer.path, &layer.root, "/authorizers"),
        });
    }
    Ok(c.flag_or("authorization-mode", Some("AlwaysAllow"))
        .expect("a default is given"))
}

/// Admission plugins enabled on top of the defaults, and the ones disabled, with the deprecated
/// `--admission-control` (the complete list, before 1.x) folded in.
pub fn admission_enabled(c: &Component) -> Option<Effective> {
    c.flag("enable-admission-plugins")
        .or_else(|| c.flag("admission-control"))
        .map(|f| Effective {
            value: f.text().to_owned(),
            source: f.source.clone(),
        })
}

/// The PodSecurity admission defaults (`enforce` level) from the admission config, when set.
pub fn pod_security_enforce(c: &Component) -> Option<(String, Source)> {
    let layer = c.referenced("admission-control-config-file")?.ok()?;
    let plugins = layer.root.get("plugins").map(Node::items).unwrap_or(&[]);
    for (i, p) in plugins.iter().enumerate() {
        if p.get("name").and_then(Node::as_str) != Some("PodSecurity") {
            continue;
        }
        let level = p
            .path(&["configuration", "defaults", "enforce"])
            .and_then(Node::as_str)?;
        let pointer = format!("/plugins/{i}/configuration/defaults/enforce");
        return Some((
            level.to_owned(),
            config_source(&layer.path, &layer.root, &pointer),
        ));
    }
    None
}

/// How Secrets are stored, per the encryption config: the first provider for `secrets`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretsEncryption {
    /// No `--encryption-provider-config`.
    NotConfigured,
    /// The file could not be read.
    Unknown(String),
    /// The config has no entry for secrets.
    SecretsNotListed(Source),
    /// Secrets are written with this provider (`aescbc`, `kms`, `identity`, …).
    Provider { name: String, source: Source },
}

pub fn secrets_encryption(c: &Component) -> SecretsEncryption {
    let layer = match c.referenced("encryption-provider-config") {
        None => return SecretsEncryption::NotConfigured,
        Some(Err(e)) => return SecretsEncryption::Unknown(e.to_owned()),
        Some(Ok(l)) => l,
    };
    let resources = layer.root.get("resources").map(Node::items).unwrap_or(&[]);
    for (i, r) in resources.iter().enumerate() {
        let covers = r
            .get("resources")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(Node::as_str)
            .any(|n| matches!(n, "secrets" | "*.*" | "*." | "secrets."));
        if !covers {
            continue;
        }
        let first = r
            .get("providers")
            .map(Node::items)
            .unwrap_or(&[])
            .first()
            .and_then(|p| p.entries().first().map(|e| e.key.to_string()));
        let pointer = format!("/resources/{i}/providers/0");
        return SecretsEncryption::Provider {
            name: first.unwrap_or_else(|| "identity".into()),
            source: config_source(&layer.path, &layer.root, &pointer),
        };
    }
    SecretsEncryption::SecretsNotListed(config_source(&layer.path, &layer.root, "/resources"))
}

/// The audit policy: `Ok(rules)` count, or why it is not usable.
pub fn audit_policy_rules(c: &Component) -> Option<Result<usize, String>> {
    let r = c.referenced("audit-policy-file")?;
    Some(
        r.map_err(str::to_owned)
            .map(|l| l.root.get("rules").map(Node::items).unwrap_or(&[]).len()),
    )
}

/// The ImagePolicyWebhook admission plugin as the API server would run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImagePolicy {
    /// The plugin is not in `--enable-admission-plugins`.
    NotEnabled,
    /// Enabled, but its configuration could not be read (with why).
    Unknown(String),
    /// Enabled without a configuration (the API server refuses to start).
    NotConfigured(Option<Effective>),
    /// Enabled and configured.
    Configured {
        /// `kubeConfigFile`, as the API server names it, with its place.
        kubeconfig: Option<(String, Source)>,
        /// `defaultAllow` (the plugin's default is `false`), with its place when set.
        default_allow: (bool, Option<Source>),
    },
}

/// The ImagePolicyWebhook configuration: inline in the admission configuration
/// (`configuration.imagePolicy`) or in the plugin's own file (`path:`).
pub fn image_policy(c: &Component) -> ImagePolicy {
    let enabled = admission_enabled(c);
    if !enabled
        .as_ref()
        .is_some_and(|e| e.has("ImagePolicyWebhook"))
    {
        return ImagePolicy::NotEnabled;
    }
    let layer = match c.referenced("admission-control-config-file") {
        None => return ImagePolicy::NotConfigured(enabled),
        Some(Err(e)) => return ImagePolicy::Unknown(e.to_owned()),
        Some(Ok(l)) => l,
    };
    let plugins = layer.root.get("plugins").map(Node::items).unwrap_or(&[]);
    let Some((i, plugin)) = plugins
        .iter()
        .enumerate()
        .find(|(_, p)| p.get("name").and_then(Node::as_str) == Some("ImagePolicyWebhook"))
    else {
        return ImagePolicy::NotConfigured(enabled);
    };
    // (file, root, pointer of the object holding kubeConfigFile/defaultAllow)
    let (path, root, base) = if plugin.get("configuration").is_some() {
        (
            Arc::clone(&layer.path),
            &layer.root,
            format!("/plugins/{i}/configuration"),
        )
    } else {
        let key = format!("{}ImagePolicyWebhook", crate::discover::PLUGIN_FILE);
        match c.referenced(&key) {
            Some(Ok(l)) => (Arc::clone(&l.path), &l.root, String::new()),
            Some(Err(e)) => return ImagePolicy::Unknown(e.to_owned()),
            None => return ImagePolicy::NotConfigured(enabled),
        }
    };
    // The file is an ImagePolicyWebhookConfiguration (`imagePolicy:` inside) or, in older
    // setups, the `imagePolicy` object's fields directly.
    let (node, _) = root.lookup(&base);
    let base = if node.get("imagePolicy").is_some() {
        format!("{base}/imagePolicy")
    } else {
        base
    };
    let (policy, _) = root.lookup(&base);
    let kubeconfig = policy
        .get("kubeConfigFile")
        .and_then(Node::as_str)
        .map(|k| {
            (
                k.to_owned(),
                config_source(&path, root, &format!("{base}/kubeConfigFile")),
            )
        });
    let default_allow = match policy.get("defaultAllow").and_then(Node::bool_intent) {
        Some(b) => (
            b,
            Some(config_source(&path, root, &format!("{base}/defaultAllow"))),
        ),
        None => (false, None),
    };
    ImagePolicy::Configured {
        kubeconfig,
        default_allow,
    }
}
