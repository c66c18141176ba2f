//! The inventory of a node: which Kubernetes components it runs, with every flag and config value
//! they were given and where each one came from.

use std::fmt;
use std::sync::Arc;

use palisade_core::yaml::{Node, Pos, Span, Value};
use palisade_core::{KubeVersion, Location};

/// The components a node audit knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentKind {
    ApiServer,
    ControllerManager,
    Scheduler,
    Etcd,
    Kubelet,
    KubeProxy,
}

impl ComponentKind {
    pub const ALL: [ComponentKind; 6] = [
        ComponentKind::ApiServer,
        ComponentKind::ControllerManager,
        ComponentKind::Scheduler,
        ComponentKind::Etcd,
        ComponentKind::Kubelet,
        ComponentKind::KubeProxy,
    ];

    /// The binary's name, as processes and static pods name it.
    pub fn name(self) -> &'static str {
        match self {
            ComponentKind::ApiServer => "kube-apiserver",
            ComponentKind::ControllerManager => "kube-controller-manager",
            ComponentKind::Scheduler => "kube-scheduler",
            ComponentKind::Etcd => "etcd",
            ComponentKind::Kubelet => "kubelet",
            ComponentKind::KubeProxy => "kube-proxy",
        }
    }

    /// The component a binary (or `hyperkube` sub-command) name stands for.
    pub fn from_binary(name: &str) -> Option<ComponentKind> {
        let base = name.rsplit('/').next().unwrap_or(name);
        Some(match base {
            "kube-apiserver" | "apiserver" => ComponentKind::ApiServer,
            "kube-controller-manager" | "controller-manager" => ComponentKind::ControllerManager,
            "kube-scheduler" | "scheduler" => ComponentKind::Scheduler,
            "etcd" => ComponentKind::Etcd,
            "kubelet" => ComponentKind::Kubelet,
            "kube-proxy" | "proxy" => ComponentKind::KubeProxy,
            _ => return None,
        })
    }

    /// Runs on control-plane nodes only.
    pub fn is_control_plane(self) -> bool {
        !matches!(self, ComponentKind::Kubelet | ComponentKind::KubeProxy)
    }
}

impl fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a value came from: what a finding shows so the user knows which file to edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An argument in a static pod manifest (`command:`/`args:` item).
    Manifest {
        path: Arc<str>,
        span: Span,
        pointer: String,
    },
    /// A word of a systemd unit, drop-in or `EnvironmentFile` line; `var` names the environment
    /// variable the word was expanded from.
    Unit {
        path: Arc<str>,
        span: Span,
        var: Option<String>,
    },
    /// A running process's command line (`/proc/PID/cmdline`).
    Process { path: Arc<str>, pid: u32 },
    /// A key of a config file (kubelet or kube-proxy configuration, k3s/RKE2 `config.yaml`).
    Config {
        path: Arc<str>,
        span: Span,
        pointer: String,
    },
    /// A value the distribution sets itself (k3s, RKE2), not visible in any file.
    Distribution { name: &'static str },
    /// The component's built-in default for a Kubernetes version.
    Default {
        version: KubeVersion,
        /// Why this default applies (`flag default`, `KubeletConfiguration default`).
        note: &'static str,
    },
    /// The audit's own `--kubernetes-version`, or an assumption.
    Assumed { note: String },
    /// An environment variable the component reads as a setting (etcd's `ETCD_*`), set at
    /// `at` (a static pod's `env` item, a unit's `Environment=` or `EnvironmentFile` line, a
    /// process's environment).
    Env { var: String, at: Box<Source> },
    /// What the component's own binary said (`kubelet --version`).
    Binary { path: String, output: String },
    /// A mirror pod read through the Kubernetes API (`pod kube-system/kube-apiserver-node1`),
    /// `field` naming what in it (`command`, `image`).
    Pod {
        namespace: String,
        name: String,
        field: String,
    },
    /// A node's kubelet configuration read through the API (`/configz`), at `key`.
    Configz { node: String, key: String },
}

impl Source {
    /// Where a finding about this value points. Defaults and distribution values have no place;
    /// callers fall back to the component's defining file.
    pub fn location(&self) -> Option<Location> {
        match self {
            Source::Manifest {
                path,
                span,
                pointer,
            }
            | Source::Config {
                path,
                span,
                pointer,
            } => Some(Location::File {
                path: Arc::clone(path),
                pos: span.start,
                end: span.end,
                pointer: pointer.clone(),
            }),
            Source::Unit { path, span, .. } => Some(Location::File {
                path: Arc::clone(path),
                pos: span.start,
                end: span.end,
                pointer: String::new(),
            }),
            Source::Process { path, .. } => Some(Location::Path {
                path: Arc::clone(path),
                pos: None,
            }),
            Source::Env { at, .. } => at.location(),
            Source::Distribution { .. }
            | Source::Default { .. }
            | Source::Assumed { .. }
            | Source::Binary { .. }
            | Source::Pod { .. }
            | Source::Configz { .. } => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Manifest { path, span, .. } => write!(f, "{path}:{}", span.start.line),
            Source::Unit { path, span, var } => match var {
                Some(v) => write!(f, "{path}:{} (${v})", span.start.line),
                None => write!(f, "{path}:{}", span.start.line),
            },
            Source::Process { path, pid } => write!(f, "process {pid} ({path})"),
            Source::Config { path, span, .. } => write!(f, "{path}:{}", span.start.line),
            Source::Distribution { name } => write!(f, "{name} built-in setting"),
            Source::Default { version, note } => write!(f, "{note} for {version}"),
            Source::Assumed { note } => f.write_str(note),
            Source::Env { var, at } => write!(f, "${var} at {at}"),
            Source::Binary { path, output } => write!(f, "`{path} --version`: {output}"),
            Source::Pod {
                namespace,
                name,
                field,
            } => write!(f, "pod {namespace}/{name} {field}"),
            Source::Configz { node, key } => write!(f, "configz of node {node} ({key})"),
        }
    }
}

/// One command-line flag as given (`--name=value`, `--name value`, or a bare boolean `--name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// Without dashes: `anonymous-auth`.
    pub name: String,
    /// `None` for a bare boolean flag (which means `true`).
    pub value: Option<String>,
    pub source: Source,
}

impl Flag {
    /// The value as the component reads it: a bare boolean flag is `true`.
    pub fn text(&self) -> &str {
        self.value.as_deref().unwrap_or("true")
    }
}

/// One configuration file (or drop-in) layered into a component's configuration.
#[derive(Clone, Debug)]
pub struct ConfigLayer {
    pub path: Arc<str>,
    pub root: Node,
}

/// A component found on the node.
#[derive(Clone, Debug)]
pub struct Component {
    pub kind: ComponentKind,
    /// Kubernetes version the component runs (etcd: the Kubernetes version of the node).
    pub version: KubeVersion,
    /// Where the version came from.
    pub version_source: Source,
    /// What defines the component: its static pod manifest, systemd unit, k3s config or process.
    pub defined_in: Location,
    /// Every file that defines the component (manifest, unit and drop-ins, environment files),
    /// as node paths: what CIS file-permission checks look at.
    pub files: Vec<String>,
    /// Flags in the order the component reads them; the last occurrence of a name wins.
    pub flags: Vec<Flag>,
    /// The component's config file (`--config`) then its drop-ins, in the order they apply.
    pub config: Vec<ConfigLayer>,
    /// Structured configuration files the component names (flag → the parsed file, or why it
    /// could not be read): the API server's `--authentication-config`, `--authorization-config`,
    /// `--admission-control-config-file`, `--encryption-provider-config`, `--audit-policy-file`.
    pub referenced: Vec<(String, Result<ConfigLayer, String>)>,
    /// Things that could not be read about this component (permission denied, garbage), with
    /// the reason; settings that depend on them are not evaluated.
    pub problems: Vec<String>,
    /// `true` when the flags come from a running process (not only from files).
    pub running: bool,
    /// The process id, when the component was seen running (its `/proc/PID/root` is the file
    /// system it sees, a container's when it runs in one).
    pub pid: Option<u32>,
    /// For a component run as a static pod: the container's volume mounts, so a path it names
    /// (`--config=/var/lib/kube-proxy/config.conf`) can be found on the node, or said not to be.
    /// Empty for a component running on the host.
    pub mounts: Vec<Mount>,
}

/// A volume mounted into a static pod's container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Where the container sees it.
    pub container_path: String,
    /// The node path behind it (a `hostPath` volume), or what it is instead (`configMap
    /// kube-proxy`), which no node file holds.
    pub host: Result<String, String>,
}

/// Where a path a component names is on the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A node path (the component runs on the host, or a `hostPath` volume holds it).
    Node(String),
    /// Not on the node's file system, and why.
    Elsewhere(String),
}

impl Component {
    /// Where `path`, as the component names it, lies on the node: through the static pod's
    /// volume mounts (the longest mount path that contains it), else the same node path.
    pub fn resolve_path(&self, path: &str) -> Resolved {
        let path = crate::fs::normalize(path);
        let mount = self
            .mounts
            .iter()
            .filter(|m| {
                let mp = m.container_path.trim_end_matches('/');
                path == mp || path.starts_with(&format!("{mp}/")) || mp.is_empty()
            })
            .max_by_key(|m| m.container_path.len());
        match mount {
            None => Resolved::Node(path),
            Some(m) => {
                let rest = &path[m.container_path.trim_end_matches('/').len()..];
                match &m.host {
                    Ok(host) => Resolved::Node(crate::fs::normalize(&format!("{host}/{rest}"))),
                    Err(what) => Resolved::Elsewhere(format!(
                        "{path} is in the {what}, mounted at {} in the {} container, \
                         not on the node's file system",
                        m.container_path, self.kind
                    )),
                }
            }
        }
    }
}

/// A setting's value with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    /// The value as text: booleans `true`/`false`, lists comma-separated.
    pub value: String,
    pub source: Source,
}

impl Effective {
    pub fn is_true(&self) -> bool {
        self.value.eq_ignore_ascii_case("true")
    }

    pub fn is_false(&self) -> bool {
        self.value.eq_ignore_ascii_case("false")
    }

    /// Comma-separated items, trimmed.
    pub fn items(&self) -> Vec<&str> {
        self.value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    pub fn has(&self, item: &str) -> bool {
        self.items().contains(&item)
    }
}

impl Component {
    /// The last occurrence of `--name`, unless it gives an empty value: `--tls-private-key-file=`
    /// leaves a string flag at its default (empty), which is "not set" for every check. Taking it
    /// as set would pass CIS items on a broken configuration, and read `--root` itself as the
    /// file named by `--encryption-provider-config=`.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags
            .iter()
            .rev()
            .find(|f| f.name == name)
            .filter(|f| f.value.as_deref() != Some(""))
    }

    /// A value from the config file layers: the last layer that sets `path` wins (drop-ins merge
    /// over the file field by field; a list is replaced as a whole).
    pub fn config_value(&self, path: &[&str]) -> Option<(&Node, Source)> {
        self.config.iter().rev().find_map(|layer| {
            let node = layer.root.path(path)?;
            if node.is_null() {
                return None;
            }
            let pointer: String = path.iter().map(|p| format!("/{p}")).collect();
            if let Some(name) = layer.path.strip_prefix(crate::api::CONFIGZ) {
                return Some((
                    node,
                    Source::Configz {
                        node: name.to_owned(),
                        key: path.join("."),
                    },
                ));
            }
            let span = layer.root.key_span(&pointer).unwrap_or(node.span);
            Some((
                node,
                Source::Config {
                    path: Arc::clone(&layer.path),
                    span,
                    pointer,
                },
            ))
        })
    }

    /// A flag's effective value: the flag if given, else `default` (with its provenance).
    pub fn flag_or(&self, name: &str, default: Option<&'static str>) -> Option<Effective> {
        if let Some(f) = self.flag(name) {
            return Some(Effective {
                value: f.text().to_owned(),
                source: f.source.clone(),
            });
        }
        default.map(|d| Effective {
            value: d.to_owned(),
            source: Source::Default {
                version: self.version,
                note: "flag default",
            },
        })
    }

    /// A kubelet/kube-proxy style setting: the flag wins, then the config file layers, then the
    /// default (`config_default` when a config file is in use, `flag_default` otherwise: the
    /// two differ for the kubelet, whose `KubeletConfiguration` defaults are the safe ones).
    pub fn setting(
        &self,
        flag: Option<&str>,
        path: &[&str],
        flag_default: Option<&'static str>,
        config_default: Option<&'static str>,
    ) -> Option<Effective> {
        if let Some(f) = flag.and_then(|n| self.flag(n)) {
            return Some(Effective {
                value: f.text().to_owned(),
                source: f.source.clone(),
            });
        }
        if !path.is_empty() {
            if let Some((node, source)) = self.config_value(path) {
                return Some(Effective {
                    value: node_text(node),
                    source,
                });
            }
        }
        let (default, note) = if self.config.is_empty() {
            (flag_default, "flag default")
        } else {
            (config_default, "configuration file default")
        };
        default.map(|d| Effective {
            value: d.to_owned(),
            source: Source::Default {
                version: self.version,
                note,
            },
        })
    }

    /// The structured configuration file named by `--flag`: `None` when the flag is not set,
    /// `Some(Err)` when it is set but the file could not be read.
    pub fn referenced(&self, flag: &str) -> Option<Result<&ConfigLayer, &str>> {
        self.referenced
            .iter()
            .find(|(f, _)| f == flag)
            .map(|(_, r)| r.as_ref().map_err(String::as_str))
    }

    /// The location for a finding about `effective` (or about a missing setting): the value's
    /// own place, else the component's defining file.
    pub fn location_of(&self, effective: Option<&Effective>) -> Location {
        effective
            .and_then(|e| e.source.location())
            .unwrap_or_else(|| self.defined_in.clone())
    }
}

/// A config node as text: scalars as written (booleans/ints resolved), lists comma-joined.
pub fn node_text(node: &Node) -> String {
    match &node.value {
        Value::Scalar(s) => s.text.to_string(),
        Value::Seq(items) => items.iter().map(node_text).collect::<Vec<_>>().join(","),
        Value::Map(entries) => entries
            .iter()
            .map(|e| format!("{}={}", e.key, node_text(&e.value)))
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// A span covering one line from `col` over `len` characters.
pub fn line_span(line: u32, col: u32, len: usize) -> Span {
    Span {
        start: Pos { line, col },
        end: Pos {
            line,
            col: col + len as u32,
        },
    }
}
