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
//! policies: [policies/]         # ValidatingAdmissionPolicies (+ bindings, params) for every scan
//! webhook:                      # `palisade webhook` only; see [`crate::webhook_config`]
//!   fail-on: high
//!   mode: enforce               # enforce | warn | audit
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::finding::{Finding, Severity};
use crate::object::{Object, TemplateKind};
use crate::suppress::code_matches;
use crate::version::KubeVersion;
use crate::webhook_config::WebhookConfig;
use crate::yaml::{self, Pos};

/// Names tried in each directory, in order.
pub const FILE_NAMES: [&str; 2] = ["palisade.yaml", "palisade.yml"];

/// A config entry exempting findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawExemption")]
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

/// An exemption as written; [`Exemption`] once its required fields are checked.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawExemption {
    #[serde(deserialize_with = "some_strings")]
    codes: Option<Vec<String>>,
    /// Another name for `codes`.
    #[serde(deserialize_with = "some_strings")]
    rules: Option<Vec<String>>,
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    container: Option<String>,
    reason: Option<String>,
}

impl TryFrom<RawExemption> for Exemption {
    type Error = &'static str;

    fn try_from(raw: RawExemption) -> Result<Self, Self::Error> {
        let codes = match (raw.codes, raw.rules) {
            (Some(_), Some(_)) => return Err("exemption with both `codes` and `rules`: write one"),
            (Some(c), None) | (None, Some(c)) if !c.is_empty() => c,
            _ => return Err("exemption without `codes`: say which rules it exempts"),
        };
        let Some(reason) = raw.reason.filter(|r| !r.trim().is_empty()) else {
            return Err(
                "exemption without a `reason`: every exemption must say why the risk is accepted",
            );
        };
        Ok(Exemption {
            codes,
            kind: raw.kind,
            namespace: raw.namespace,
            name: raw.name,
            container: raw.container,
            reason,
        })
    }
}

/// Settings from a config file. Every field is optional; command-line flags override them.
///
/// Read with [`yaml::de`]: unknown keys are errors, and every error names its line.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// The file it was read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
    #[serde(deserialize_with = "some_parsed")]
    pub fail_on: Option<Severity>,
    #[serde(deserialize_with = "some_parsed")]
    pub kubernetes_version: Option<KubeVersion>,
    #[serde(deserialize_with = "strings")]
    pub select: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub ignore: Vec<String>,
    #[serde(deserialize_with = "strings")]
    pub allowed_registries: Vec<String>,
    pub exemptions: Vec<Exemption>,
    /// Further kinds whose objects hold a pod template (`pod-templates:`); apply them with
    /// [`crate::object::declare_template_kinds`] before scanning.
    #[serde(deserialize_with = "pod_templates")]
    pub pod_templates: Vec<TemplateKind>,
    /// Files or directories of ValidatingAdmissionPolicies, their bindings and params
    /// (`policies:`), relative to the config file: `scan` and the webhook judge every object by
    /// them (VA001), wherever the objects come from. See [`Config::policy_paths`].
    #[serde(deserialize_with = "strings")]
    pub policies: Vec<String>,
    /// Palisade rules of the user's own, written like ValidatingAdmissionPolicies (`rules:`), as
    /// written: `palisade_cel::custom` reads them (this crate does not know CEL), with the
    /// positions of the config file for its errors.
    #[serde(skip)]
    pub rules: Option<yaml::Node>,
    /// Whether `rules:` is written: the key is accepted here, and [`parse`] keeps its node in
    /// [`Config::rules`].
    #[serde(rename = "rules", deserialize_with = "any_value")]
    rules_written: bool,
    /// The admission webhook's settings (`webhook:`); `None` when the section is absent.
    pub webhook: Option<WebhookConfig>,
}

impl Config {
    /// `policies:` as paths: relative ones from the config file's directory (the config may be
    /// found in a parent of the working directory).
    pub fn policy_paths(&self) -> Vec<PathBuf> {
        let base = self
            .path
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        self.policies.iter().map(|p| base.join(p)).collect()
    }
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
    let mut config = match docs.first().map(|d| &d.root) {
        None => Config::default(),
        Some(root) if !root.is_null() && root.as_map().is_none() => {
            return Err(err(
                Some(root.span.start),
                "expected a mapping of settings".into(),
            ))
        }
        Some(root) => yaml::de::from_node(root).map_err(|e| err(e.pos, e.message))?,
    };
    config.path = Some(path.to_owned());
    config.rules = docs
        .first()
        .and_then(|d| d.root.get("rules"))
        .filter(|n| !n.is_null())
        .cloned();
    Ok(config)
}

/// Any value, left for another reader (see [`Config::rules`]): `true`, it is written.
fn any_value<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    de::IgnoredAny::deserialize(d).map(|_| true)
}

/// A setting read with its type's [`FromStr`] (a severity, a version, a mode), whose error says
/// what is wrong with the value.
pub(crate) fn parsed<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    String::deserialize(d)?.parse().map_err(de::Error::custom)
}

pub(crate) fn some_parsed<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    parsed(d).map(Some)
}

/// What a setting holds, read without asking for a type: a scalar's text (a number or boolean
/// as its value prints), a list of strings, or nothing.
enum Written {
    Empty,
    Text(String),
    List(Vec<String>),
}

impl Written {
    /// Reads what is written; anything else is an error saying `expecting`.
    fn read<'de, D: Deserializer<'de>>(d: D, expecting: &'static str) -> Result<Self, D::Error> {
        struct V(&'static str);
        impl<'de> Visitor<'de> for V {
            type Value = Written;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(self.0)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Written, E> {
                Ok(Written::Empty)
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Written, E> {
                Ok(Written::Text(s.to_owned()))
            }

            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Written, E> {
                Ok(Written::Text(b.to_string()))
            }

            fn visit_i64<E: de::Error>(self, i: i64) -> Result<Written, E> {
                Ok(Written::Text(i.to_string()))
            }

            fn visit_u64<E: de::Error>(self, i: u64) -> Result<Written, E> {
                Ok(Written::Text(i.to_string()))
            }

            fn visit_f64<E: de::Error>(self, f: f64) -> Result<Written, E> {
                Ok(Written::Text(f.to_string()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Written, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Written::List(out))
            }
        }
        d.deserialize_any(V(expecting))
    }
}

/// A list of strings, written as a list or as one comma-separated string (`ignore: PS152, IM`).
pub(crate) fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    const EXPECTING: &str = "a list of strings";
    match Written::read(d, EXPECTING)? {
        Written::Text(s) => Ok(s
            .split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect()),
        Written::List(l) => Ok(l),
        Written::Empty => Err(de::Error::custom(format!("expected {EXPECTING}"))),
    }
}

pub(crate) fn some_strings<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    strings(d).map(Some)
}

/// Most kinds `pod-templates:` may declare; far more than any cluster's custom workloads.
const MAX_TEMPLATE_KINDS: usize = 256;

/// `pod-templates:`: at most [`MAX_TEMPLATE_KINDS`] kinds, each declared once.
fn pod_templates<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TemplateKind>, D::Error> {
    struct Kinds;
    impl<'de> Visitor<'de> for Kinds {
        type Value = Vec<TemplateKind>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let too_many = || de::Error::custom(format!("more than {MAX_TEMPLATE_KINDS} kinds"));
            if seq.size_hint().is_some_and(|n| n > MAX_TEMPLATE_KINDS) {
                return Err(too_many());
            }
            let mut kinds = Vec::new();
            while let Some(kind) = seq.next_element_seed(NewKind(&kinds))? {
                if kinds.len() == MAX_TEMPLATE_KINDS {
                    return Err(too_many());
                }
                kinds.push(kind);
            }
            Ok(kinds)
        }
    }
    d.deserialize_seq(Kinds)
}

/// One `pod-templates:` entry, refused when it declares a kind `.0` has already (the error is
/// then the entry's).
struct NewKind<'a>(&'a [TemplateKind]);

impl<'de> DeserializeSeed<'de> for NewKind<'_> {
    type Value = TemplateKind;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<TemplateKind, D::Error> {
        let kind =
            TemplateKind::try_from(RawTemplateKind::deserialize(d)?).map_err(de::Error::custom)?;
        if self
            .0
            .iter()
            .any(|k| k.group == kind.group && k.kind == kind.kind)
        {
            return Err(de::Error::custom(format!("{} declared twice", kind.kind)));
        }
        Ok(kind)
    }
}

/// A `pod-templates:` entry as written. An empty value is an empty string here (`group:` is the
/// core group, `template:` a pod-shaped object).
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawTemplateKind {
    #[serde(deserialize_with = "text_or_empty")]
    group: String,
    #[serde(deserialize_with = "text_or_empty")]
    kind: String,
    #[serde(deserialize_with = "pointer")]
    template: Option<Vec<String>>,
}

impl TryFrom<RawTemplateKind> for TemplateKind {
    type Error = String;

    fn try_from(raw: RawTemplateKind) -> Result<Self, Self::Error> {
        let RawTemplateKind {
            group,
            kind,
            template,
        } = raw;
        if kind.is_empty() {
            return Err("each entry needs a `kind`".into());
        }
        if !group.is_empty() && crate::names::dns1123_subdomain(&group).is_err() {
            return Err(format!("`{group}` is not an API group"));
        }
        if crate::object::is_builtin_template_kind(&group, &kind) {
            return Err(format!(
                "{kind} is a built-in workload; Palisade already checks its pod template"
            ));
        }
        let template = template.ok_or_else(|| {
            format!(
                "{kind} needs a `template` pointer (e.g. /spec/template; \"\" when the object \
                 is pod-shaped)"
            )
        })?;
        Ok(TemplateKind {
            group,
            kind,
            template,
        })
    }
}

/// Any scalar's text, an empty value as `""`.
fn text_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Written::read(d, "a string")? {
        Written::Text(s) => Ok(s),
        Written::Empty => Ok(String::new()),
        Written::List(_) => Err(de::Error::custom("expected a string")),
    }
}

/// The template's JSON pointer as keys: `""`, `/` or an empty value for a pod-shaped object.
fn pointer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let pointer = text_or_empty(d)?;
    let keys = match pointer.as_str() {
        "" | "/" => Vec::new(),
        s if s.starts_with('/') => yaml::split_pointer(s),
        _ => {
            return Err(de::Error::custom(format!(
                "`{pointer}` is not a JSON pointer (it starts with /)"
            )))
        }
    };
    if keys.len() > 16 || keys.iter().any(String::is_empty) {
        return Err(de::Error::custom(format!(
            "`{pointer}` has an empty or too many segments"
        )));
    }
    Ok(Some(keys))
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

    /// Each error says where it is and which keys lead to it: at the value when a scalar is
    /// written, at the key for a wrong shape or an empty value, at the item for a list item, at
    /// the key for an unknown key.
    #[test]
    fn every_error_names_its_place() {
        for (text, want) in [
            ("fail-on:\n", "1:1: fail-on: expected a string"),
            ("fail-on: [high]\n", "1:1: fail-on: expected a string"),
            (
                "kubernetes-version: banana\n",
                "1:21: kubernetes-version: invalid Kubernetes version `banana` (expected e.g. \
                 1.31, v1.31.2 or latest)",
            ),
            ("select:\n", "1:1: select: expected a list of strings"),
            ("select:\n  - PS\n  - [x]\n", "3:5: select: expected a string"),
            ("exemptions: foo\n", "1:13: exemptions: expected a list"),
            (
                "exemptions:\n  - kind: Pod\n    reason: x\n",
                "2:5: exemptions: exemption without `codes`: say which rules it exempts",
            ),
            (
                "exemptions:\n  - codes: [PS101]\n    rules: [PS1]\n    reason: x\n",
                "2:5: exemptions: exemption with both `codes` and `rules`: write one",
            ),
            (
                "exemptions:\n  - codes: PS101\n    reason: x\n    kind:\n",
                "4:5: exemptions: kind: expected a string",
            ),
            (
                "exemptions:\n  - codes: [PS101]\n    reason: x\n    kindd: Pod\n",
                "4:5: unknown exemptions field `kindd` (known: codes, rules, kind, namespace, \
                 name, container, reason)",
            ),
            (
                "pod-templates:\n  - kind: BatchRun\n    template: spec.template\n",
                "3:15: pod-templates: template: `spec.template` is not a JSON pointer (it starts \
                 with /)",
            ),
            (
                "pod-templates:\n  - kind: X\n    template: /spec\n  - kind: X\n    template:\n",
                "4:5: pod-templates: X declared twice",
            ),
            (
                "pod-templates:\n  - group: 'Bad Group'\n    kind: X\n    template: /\n",
                "2:5: pod-templates: `Bad Group` is not an API group",
            ),
            ("webhook: yes\n", "1:10: webhook: expected a mapping"),
            (
                "webhook:\n  mutate:\n    image-pull-policy-always: 'true'\n",
                "3:31: webhook: mutate: image-pull-policy-always: expected true or false",
            ),
            (
                "webhook:\n  exec-guard:\n    cache-ttl-seconds: 9000\n",
                "3:24: webhook: exec-guard: cache-ttl-seconds: expected 0 to 3600",
            ),
            (
                "webhook:\n  image-policy:\n    namespaces:\n      - names: [a]\n        bogus: 1\n",
                "5:9: webhook: image-policy: unknown namespaces field `bogus` (known: names, \
                 allowed-registries, require-digest, denied-tags)",
            ),
            ("- a\n", "1:1: expected a mapping of settings"),
        ] {
            let e = p(text).unwrap_err();
            assert_eq!(e.to_string(), format!("palisade.yaml:{want}"), "{text}");
        }
        // An empty value is an empty string where the field allows one: `group:` is the core
        // group and `template:` a pod-shaped object.
        let c = p("pod-templates:\n  - group:\n    kind: X\n    template:\n").unwrap();
        assert_eq!(c.pod_templates[0].group, "");
        assert!(c.pod_templates[0].template.is_empty());
        // An empty section is a section with its defaults.
        assert_eq!(p("webhook:\n").unwrap().webhook, Some(Default::default()));
        assert_eq!(
            p("").unwrap().path.as_deref(),
            Some(Path::new("palisade.yaml"))
        );
    }
}
