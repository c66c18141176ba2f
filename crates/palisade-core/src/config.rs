//! `palisade.yaml`: project settings, found upward from the working directory.
//!
//! Read with the same span-carrying loader as manifests, so every config error names the line it is
//! about. Unknown keys are errors: a misspelt `ignroe:` must not silently do nothing.
//!
//! ```yaml
//! fail-on: high                 # critical | high | medium | low
//! kubernetes-version: "1.30"
//! select: [PS, IM]              # codes or prefixes to run (default: all)
//! ignore: [PS152]               # codes or prefixes to skip
//! allowed-registries: [registry.example.com, ghcr.io/example]
//! exemptions:
//!   - codes: [PS104]
//!     kind: DaemonSet
//!     namespace: kube-system
//!     name: node-exporter
//!     reason: node exporter publishes its metrics port on the host
//! pod-templates:                # kinds of custom controllers that hold a pod template
//!   - group: example.com        # API group ("" or absent: core)
//!     kind: BatchRun
//!     template: /spec/podTemplate   # JSON pointer to the template (`metadata` + `spec`); "" = pod-shaped
//! webhook:                      # `palisade webhook` only; see [`crate::webhook_config`]
//!   fail-on: high
//!   mode: enforce               # enforce | warn | audit
//! ```

use std::path::{Path, PathBuf};

use crate::finding::{Finding, Severity};
use crate::object::Object;
use crate::suppress::code_matches;
use crate::version::KubeVersion;
use crate::yaml::{self, Node, Pos};

/// Names tried in each directory, in order.
pub const FILE_NAMES: [&str; 2] = ["palisade.yaml", "palisade.yml"];

/// A config entry exempting findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exemption {
    /// Codes, prefixes or rule names; required.
    pub codes: Vec<String>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub container: Option<String>,
    /// Why the finding is accepted; required.
    pub reason: String,
}

impl Exemption {
    pub fn matches(&self, object: &Object, f: &Finding) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| Some(w) == have)
        };
        self.codes.iter().any(|c| code_matches(c, f.code, f.rule))
            && eq(&self.kind, Some(object.kind()))
            && eq(&self.namespace, object.namespace())
            && eq(&self.name, object.name())
            && eq(&self.container, f.container.as_deref())
    }
}

impl Exemption {
    /// Matches a finding that is about no manifest object (a node component's finding names the
    /// component as its kind, `kube-apiserver`): kind, namespace and name are compared with the
    /// finding's own object reference.
    pub fn matches_finding(&self, f: &Finding) -> bool {
        let obj = f.object.as_ref();
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| Some(w) == have)
        };
        self.codes.iter().any(|c| code_matches(c, f.code, f.rule))
            && eq(&self.kind, obj.map(|o| o.kind.as_str()))
            && eq(&self.namespace, obj.and_then(|o| o.namespace.as_deref()))
            && eq(&self.name, obj.and_then(|o| o.name.as_deref()))
            && eq(&self.container, f.container.as_deref())
    }
}

/// Settings from a config file. Every field is optional; command-line flags override them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from.
    pub path: Option<PathBuf>,
    pub fail_on: Option<Severity>,
    pub kubernetes_version: Option<KubeVersion>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub allowed_registries: Vec<String>,
    pub exemptions: Vec<Exemption>,
    /// Further kinds whose objects hold a pod template (`pod-templates:`); apply them with
    /// [`crate::object::declare_template_kinds`] before scanning.
    pub pod_templates: Vec<crate::object::TemplateKind>,
    /// The admission webhook's settings (`webhook:`); `None` when the section is absent.
    pub webhook: Option<crate::webhook_config::WebhookConfig>,
}

/// A config file that cannot be used, with the line it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), pos.map(|p| format!(":{p}")).unwrap_or_default())]
pub struct ConfigError {
    pub path: PathBuf,
    pub pos: Option<Pos>,
    pub message: String,
}

/// The first config file in `start` or a parent directory.
pub fn discover(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find_map(|dir| FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file()))
}

/// Largest config file read: far more than any real one (a config with thousands of
/// exemptions is well under 1 MiB), small enough that a wrong path (`--config /dev/zero`, a disk
/// image) is refused instead of read into memory.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text =
        crate::source::read_text_bounded(path, MAX_CONFIG_BYTES).map_err(|e| ConfigError {
            path: path.to_owned(),
            pos: None,
            message: e.to_string(),
        })?;
    parse(path, &text)
}

/// Parses config text; `path` is only used in errors.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let err = |pos: Option<Pos>, message: String| ConfigError {
        path: path.to_owned(),
        pos,
        message,
    };
    let (docs, errors) = yaml::load_str(text, &yaml::Limits::default());
    if let Some(e) = errors.into_iter().next() {
        return Err(err(Some(e.pos), e.kind.to_string()));
    }
    let mut config = Config {
        path: Some(path.to_owned()),
        ..Config::default()
    };
    let Some(root) = docs.into_iter().next().map(|d| d.root) else {
        return Ok(config);
    };
    if root.is_null() {
        return Ok(config);
    }
    let entries = root.as_map().ok_or_else(|| {
        err(
            Some(root.span.start),
            "expected a mapping of settings".into(),
        )
    })?;
    for e in entries {
        let at = Some(e.key_span.start);
        let v = &e.value;
        match &*e.key {
            "fail-on" => {
                let s = string(v).ok_or_else(|| err(at, "fail-on: expected a severity".into()))?;
                config.fail_on = Some(
                    s.parse()
                        .map_err(|x| err(Some(v.span.start), format!("fail-on: {x}")))?,
                );
            }
            "kubernetes-version" => {
                let s = string(v)
                    .ok_or_else(|| err(at, "kubernetes-version: expected e.g. \"1.31\"".into()))?;
                config.kubernetes_version =
                    Some(s.parse().map_err(|x| {
                        err(Some(v.span.start), format!("kubernetes-version: {x}"))
                    })?);
            }
            "select" => config.select = strings(v).map_err(|m| err(at, format!("select: {m}")))?,
            "ignore" => config.ignore = strings(v).map_err(|m| err(at, format!("ignore: {m}")))?,
            "allowed-registries" => {
                config.allowed_registries =
                    strings(v).map_err(|m| err(at, format!("allowed-registries: {m}")))?
            }
            "exemptions" => {
                let items = v
                    .as_seq()
                    .ok_or_else(|| err(at, "exemptions: expected a list".into()))?;
                for item in items {
                    config
                        .exemptions
                        .push(exemption(item).map_err(|(p, m)| err(Some(p), m))?);
                }
            }
            "pod-templates" => {
                let items = v
                    .as_seq()
                    .ok_or_else(|| err(at, "pod-templates: expected a list".into()))?;
                if items.len() > MAX_TEMPLATE_KINDS {
                    return Err(err(
                        at,
                        format!("pod-templates: more than {MAX_TEMPLATE_KINDS} kinds"),
                    ));
                }
                for item in items {
                    let kind = template_kind(item).map_err(|(p, m)| err(Some(p), m))?;
                    if config
                        .pod_templates
                        .iter()
                        .any(|k| k.group == kind.group && k.kind == kind.kind)
                    {
                        return Err(err(
                            Some(item.span.start),
                            format!("pod-templates: {} declared twice", kind.kind),
                        ));
                    }
                    config.pod_templates.push(kind);
                }
            }
            "webhook" => {
                config.webhook = Some(
                    crate::webhook_config::parse(v)
                        .map_err(|(p, m)| err(Some(p), format!("webhook: {m}")))?,
                )
            }
            other => {
                return Err(err(
                    at,
                    format!(
                        "unknown setting `{other}` (known: fail-on, kubernetes-version, select, \
                         ignore, allowed-registries, exemptions, pod-templates, webhook)"
                    ),
                ))
            }
        }
    }
    Ok(config)
}

pub(crate) fn string(v: &Node) -> Option<String> {
    v.as_scalar()
        .filter(|_| !v.is_null())
        .map(|s| s.text.to_string())
}

pub(crate) fn strings(v: &Node) -> Result<Vec<String>, String> {
    if let Some(s) = string(v) {
        return Ok(s
            .split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect());
    }
    v.as_seq()
        .ok_or("expected a list of strings")?
        .iter()
        .map(|i| string(i).ok_or_else(|| format!("line {}: expected a string", i.span.start.line)))
        .collect()
}

/// Most kinds `pod-templates:` may declare; far more than any cluster's custom workloads.
const MAX_TEMPLATE_KINDS: usize = 256;

fn template_kind(item: &Node) -> Result<crate::object::TemplateKind, (Pos, String)> {
    let at = item.span.start;
    let entries = item
        .as_map()
        .ok_or((at, "pod-templates: expected a mapping".to_owned()))?;
    let (mut group, mut kind, mut template) = (String::new(), None, None);
    for e in entries {
        let p = e.key_span.start;
        let text = || {
            string(&e.value)
                .or_else(|| e.value.as_scalar().map(|_| String::new()))
                .ok_or((p, format!("pod-templates `{}`: expected a string", e.key)))
        };
        match &*e.key {
            "group" => group = text()?,
            "kind" => kind = Some(text()?),
            "template" => template = Some((p, text()?)),
            other => {
                return Err((
                    p,
                    format!("unknown pod-templates field `{other}` (known: group, kind, template)"),
                ))
            }
        }
    }
    let kind = kind
        .filter(|k| !k.is_empty())
        .ok_or((at, "pod-templates: each entry needs a `kind`".to_owned()))?;
    if !group.is_empty() && crate::names::dns1123_subdomain(&group).is_err() {
        return Err((at, format!("pod-templates: `{group}` is not an API group")));
    }
    if crate::object::is_builtin_template_kind(&group, &kind) {
        return Err((
            at,
            format!("pod-templates: {kind} is a built-in workload; Palisade already checks its pod template"),
        ));
    }
    let (p, pointer) = template.ok_or((
        at,
        format!("pod-templates: {kind} needs a `template` pointer (e.g. /spec/template; \"\" when the object is pod-shaped)"),
    ))?;
    let template: Vec<String> = match pointer.as_str() {
        "" | "/" => Vec::new(),
        s if s.starts_with('/') => yaml::split_pointer(s),
        _ => {
            return Err((
                p,
                format!(
                    "pod-templates: template `{pointer}` is not a JSON pointer (it starts with /)"
                ),
            ))
        }
    };
    if template.len() > 16 || template.iter().any(String::is_empty) {
        return Err((
            p,
            format!("pod-templates: template `{pointer}` has an empty or too many segments"),
        ));
    }
    Ok(crate::object::TemplateKind {
        group,
        kind,
        template,
    })
}

pub(crate) fn exemption(item: &Node) -> Result<Exemption, (Pos, String)> {
    let at = item.span.start;
    let entries = item
        .as_map()
        .ok_or((at, "exemption: expected a mapping".to_owned()))?;
    let mut ex = Exemption::default();
    let mut reason = None;
    for e in entries {
        let p = e.key_span.start;
        let text =
            || string(&e.value).ok_or((p, format!("exemption `{}`: expected a string", e.key)));
        match &*e.key {
            "codes" | "rules" => {
                ex.codes = strings(&e.value).map_err(|m| (p, format!("exemption codes: {m}")))?
            }
            "kind" => ex.kind = Some(text()?),
            "namespace" => ex.namespace = Some(text()?),
            "name" => ex.name = Some(text()?),
            "container" => ex.container = Some(text()?),
            "reason" => reason = Some(text()?),
            other => {
                return Err((
                    p,
                    format!(
                        "unknown exemption field `{other}` (known: codes, kind, namespace, name, \
                         container, reason)"
                    ),
                ))
            }
        }
    }
    if ex.codes.is_empty() {
        return Err((
            at,
            "exemption without `codes`: say which rules it exempts".into(),
        ));
    }
    match reason.filter(|r| !r.trim().is_empty()) {
        Some(r) => ex.reason = r,
        None => {
            return Err((
                at,
                "exemption without a `reason`: every exemption must say why the risk is accepted"
                    .into(),
            ))
        }
    }
    Ok(ex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("palisade.yaml"), text)
    }

    #[test]
    fn an_oversized_config_is_refused_naming_the_file_and_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".palisade.yaml");
        // 5 MiB of comments: valid YAML, over the 4 MiB limit.
        let text = format!("fail-on: high\n{}", "# padding\n".repeat(512 * 1024));
        std::fs::write(&path, &text).unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}: {} bytes, over the 4194304-byte limit",
                path.display(),
                text.len()
            )
        );
        // Something without a size is not read without end either.
        let zero = Path::new("/dev/zero");
        if zero.exists() {
            let err = load(zero).unwrap_err().to_string();
            assert_eq!(err, "/dev/zero: over the 4194304-byte limit");
        }
    }

    #[test]
    fn reads_every_setting() {
        let c = p("fail-on: medium\nkubernetes-version: \"1.30\"\nselect: [PS, IM]\nignore: PS152\n\
                   allowed-registries: [ghcr.io/x]\nexemptions:\n  - codes: [PS104]\n    kind: DaemonSet\n    reason: metrics\n")
        .unwrap();
        assert_eq!(c.fail_on, Some(Severity::Medium));
        assert_eq!(c.kubernetes_version, Some(KubeVersion::v1(30)));
        assert_eq!(c.select, ["PS", "IM"]);
        assert_eq!(c.ignore, ["PS152"]);
        assert_eq!(c.allowed_registries, ["ghcr.io/x"]);
        assert_eq!(c.exemptions[0].kind.as_deref(), Some("DaemonSet"));
        assert_eq!(c.exemptions[0].reason, "metrics");
    }

    #[test]
    fn errors_point_at_the_line() {
        let e = p("fail-on: high\nignroe: [PS1]\n").unwrap_err();
        assert_eq!(e.pos.map(|p| p.line), Some(2));
        assert!(
            e.message.contains("unknown setting `ignroe`"),
            "{}",
            e.message
        );
        let e = p("exemptions:\n  - codes: [PS101]\n    kind: Pod\n").unwrap_err();
        assert_eq!(e.pos.map(|p| p.line), Some(2));
        assert!(e.message.contains("reason"));
        let e = p("fail-on: severe\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("palisade.yaml:1:10: fail-on: unknown severity"),
            "{e}"
        );
        let e = p("a: [\n").unwrap_err();
        assert!(e.pos.is_some());
    }
}
