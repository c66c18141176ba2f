//! `node_parsers`: what `palisade node` parses from a node's files, without the file system.
//!
//! One target for all of them, a selector byte first: they share the YAML loader, the flag
//! parser and the node rules that read their results, so one corpus lets what the fuzzer learns
//! for one (a YAML shape, a flag spelling) serve the others, and the CPU time given to fuzzing is
//! not split six ways. After the selector, the input is text whose NUL-separated parts are the
//! files (or command-line words) of the chosen parser:
//!
//! | selector % 7 | parts |
//! |---|---|
//! | 0 | command-line words → `flags::parse_args` |
//! | 1 | a systemd unit, then drop-ins; a part starting `# /path\n` is also the environment file `/path` → `flags::read_service` |
//! | 2 | kubelet config file, then `--config-dir` drop-ins |
//! | 3 | kube-proxy config file |
//! | 4 | etcd `--config-file` → `discover::etcd_config_flags` |
//! | 5 | the API server's structured configs (authentication, authorization, admission, encryption, audit policy, ImagePolicyWebhook) → `structured` |
//! | 6 | a static pod manifest → `discover::pod_components`; then a kubelet `/configz` answer → `api::inventory` |
//!
//! `selector / 7` picks the component kind where the parser does not decide it, and the
//! Kubernetes version the rules assume. Every mode ends with every node rule on the inventory
//! built, and checks that each source position lies within the file it names.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::yaml::{self, Limits, Pos};
use palisade_core::{KubeVersion, Location};
use palisade_node::api::{self, ApiNode};
use palisade_node::component::{ConfigLayer, Flag};
use palisade_node::discover::{self, API_SERVER_FILES, PLUGIN_FILE};
use palisade_node::flags::{self, Word};
use palisade_node::fs::FsError;
use palisade_node::{structured, Component, ComponentKind, Inventory, Layout, Source};

/// Versions the rules are asked about: defaults differ across them.
const VERSIONS: [KubeVersion; 3] = [
    KubeVersion::LATEST,
    KubeVersion::v1(24),
    KubeVersion::v1(19),
];

pub fn node_parsers(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let parts: Vec<&str> = text.split('\0').collect();
    let pick = usize::from(selector / 7);
    let kind = ComponentKind::ALL[pick % ComponentKind::ALL.len()];
    let version = VERSIONS[pick / ComponentKind::ALL.len() % VERSIONS.len()];
    let mut node = FuzzNode::default();
    match selector % 7 {
        0 => node.command_line(kind, &parts),
        1 => node.systemd(kind, &parts),
        2 => node.config_files(ComponentKind::Kubelet, &parts),
        3 => node.config_files(ComponentKind::KubeProxy, &parts),
        4 => node.etcd_config(&parts),
        5 => node.structured(&parts),
        _ => node.pods(&parts),
    }
    node.check(version);
}

/// The node the parts describe: its components and the texts of its files.
#[derive(Default)]
struct FuzzNode {
    components: Vec<Component>,
    sources: BTreeMap<String, String>,
}

fn word(text: &str, path: &Arc<str>) -> Word {
    Word {
        text: text.to_owned(),
        source: Source::Process {
            path: Arc::clone(path),
            pid: 1,
        },
    }
}

/// The first document of a config file when it is a mapping, as discovery reads it.
fn parse_config(path: &str, text: &str) -> Result<ConfigLayer, String> {
    let (docs, errors) = yaml::load_str(text, &Limits::default());
    if let Some(e) = errors.first() {
        return Err(format!("{path}:{e}"));
    }
    match docs.into_iter().next() {
        Some(d) if d.root.as_map().is_some() => Ok(ConfigLayer {
            path: Arc::from(path),
            root: d.root,
        }),
        _ => Err(format!("{path}: not a YAML mapping")),
    }
}

fn component(kind: ComponentKind, flags: Vec<Flag>, defined_in: &str) -> Component {
    Component {
        kind,
        version: KubeVersion::LATEST,
        version_source: Source::Assumed {
            note: "fuzzing".into(),
        },
        defined_in: Location::Path {
            path: Arc::from(defined_in),
            pos: None,
        },
        files: vec![defined_in.to_owned()],
        flags,
        config: Vec::new(),
        referenced: Vec::new(),
        problems: Vec::new(),
        running: true,
        pid: None,
        mounts: Vec::new(),
    }
}

impl FuzzNode {
    fn file(&mut self, path: &str, text: &str) {
        self.sources.insert(path.to_owned(), text.to_owned());
    }

    fn command_line(&mut self, kind: ComponentKind, words: &[&str]) {
        let path: Arc<str> = Arc::from("/proc/1/cmdline");
        let words: Vec<Word> = words.iter().map(|w| word(w, &path)).collect();
        let (flags, positional) = flags::parse_args(&words);
        for f in &flags {
            assert!(!f.name.contains('='), "{f:?}");
        }
        for p in &positional {
            assert!(words.iter().any(|w| &w.text == p), "{p:?} is no word");
        }
        self.components.push(component(kind, flags, &path));
    }

    fn systemd(&mut self, kind: ComponentKind, parts: &[&str]) {
        let units: Vec<(Arc<str>, String)> = parts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let path = if i == 0 {
                    format!("/etc/systemd/system/{kind}.service")
                } else {
                    format!("/etc/systemd/system/{kind}.service.d/{i:02}.conf")
                };
                (Arc::from(path.as_str()), (*t).to_owned())
            })
            .collect();
        for (path, text) in &units {
            self.file(path, text);
        }
        let read = |path: &str| {
            parts
                .iter()
                .find_map(|t| {
                    t.strip_prefix(&format!("# {path}\n"))
                        .map(|_| (*t).to_owned())
                })
                .ok_or_else(|| FsError::NotFound(path.to_owned()))
        };
        let service = flags::read_service(&units, &read);
        for f in &service.environment_files {
            if let Ok(t) = read(f.trim_start_matches('-')) {
                self.file(f.trim_start_matches('-'), &t);
            }
        }
        let mut words = service.exec.iter().map(|w| &w.source).collect::<Vec<_>>();
        words.extend(service.env.iter().map(|(_, _, s)| s));
        for s in words {
            self.check_source(s);
        }
        let Some(first) = service.exec.first() else {
            return;
        };
        let kind = ComponentKind::from_binary(&first.text).unwrap_or(kind);
        let (mut flags, _) = flags::parse_args(&service.exec[1..]);
        if kind == ComponentKind::Etcd {
            flags = discover::with_etcd_env(service.env.iter().cloned(), flags);
        }
        let mut c = component(kind, flags, &units[0].0);
        c.files
            .extend(units[1..].iter().map(|(p, _)| p.to_string()));
        self.components.push(c);
    }

    fn config_files(&mut self, kind: ComponentKind, parts: &[&str]) {
        let main = match kind {
            ComponentKind::Kubelet => "/var/lib/kubelet/config.yaml",
            _ => "/var/lib/kube-proxy/config.conf",
        };
        let path: Arc<str> = Arc::from("/proc/1/cmdline");
        let mut c = component(
            kind,
            flags::parse_args(&[
                word(&format!("--config={main}"), &path),
                word("--config-dir=/etc/kubernetes/kubelet.conf.d", &path),
            ])
            .0,
            &path,
        );
        for (i, text) in parts.iter().enumerate() {
            let file = if i == 0 {
                main.to_owned()
            } else {
                format!("/etc/kubernetes/kubelet.conf.d/{i:02}.conf")
            };
            self.file(&file, text);
            match parse_config(&file, text) {
                Ok(layer) => c.config.push(layer),
                Err(e) => c.problems.push(e),
            }
        }
        self.components.push(c);
    }

    fn etcd_config(&mut self, parts: &[&str]) {
        let file = "/etc/etcd/etcd.conf.yml";
        let text = parts[0];
        self.file(file, text);
        let path: Arc<str> = Arc::from("/proc/1/cmdline");
        let (mut flags, _) = flags::parse_args(&[word(&format!("--config-file={file}"), &path)]);
        let mut c = component(ComponentKind::Etcd, Vec::new(), &path);
        match parse_config(file, text) {
            Ok(layer) => {
                let from_file = discover::etcd_config_flags(&layer);
                for f in &from_file {
                    let Source::Config { pointer, .. } = &f.source else {
                        panic!("an etcd config flag comes from the file: {f:?}");
                    };
                    assert!(layer.root.lookup(pointer).1, "{pointer} is not in the file");
                    self.check_source(&f.source);
                }
                flags.extend(from_file);
                c.config.push(layer);
            }
            Err(e) => c.problems.push(e),
        }
        c.flags = flags;
        self.components.push(c);
    }

    fn structured(&mut self, parts: &[&str]) {
        let path: Arc<str> = Arc::from("/etc/kubernetes/manifests/kube-apiserver.yaml");
        let mut words = vec![word("--authorization-mode=Node,RBAC", &path)];
        let mut referenced = Vec::new();
        let names = API_SERVER_FILES
            .iter()
            .map(|f| (*f).to_owned())
            .chain([format!("{PLUGIN_FILE}ImagePolicyWebhook")]);
        for (name, text) in names.zip(parts) {
            let file = format!("/etc/kubernetes/{}.yaml", name.replace(':', "-"));
            if !name.starts_with(PLUGIN_FILE) {
                words.push(word(&format!("--{name}={file}"), &path));
            }
            self.file(&file, text);
            referenced.push((name, parse_config(&file, text)));
        }
        let mut c = component(ComponentKind::ApiServer, flags::parse_args(&words).0, &path);
        c.referenced = referenced;
        // What the rules read, asked directly too: each answer's places must be in the files.
        let _ = structured::apiserver_anonymous(&c);
        if let Ok(e) = structured::apiserver_authorizers(&c) {
            self.check_source(&e.source);
        }
        if let Some(e) = structured::admission_enabled(&c) {
            self.check_source(&e.source);
        }
        if let Some((_, s)) = structured::pod_security_enforce(&c) {
            self.check_source(&s);
        }
        let _ = structured::secrets_encryption(&c);
        let _ = structured::audit_policy_rules(&c);
        let _ = structured::image_policy(&c);
        self.components.push(c);
    }

    fn pods(&mut self, parts: &[&str]) {
        let file = "/etc/kubernetes/manifests/pod.yaml";
        let arc: Arc<str> = Arc::from(file);
        self.file(file, parts[0]);
        let loaded = palisade_core::source::load_text(&arc, parts[0], &Default::default());
        for object in &loaded.objects {
            for (c, _) in discover::manifest_pod_components(&arc, object) {
                for f in &c.flags {
                    self.check_source(&f.source);
                }
                self.components.push(c);
            }
        }
        // The same pods as mirror pods, with a kubelet `/configz` answer, as the cluster audit
        // reads them.
        let pods: Vec<&palisade_core::Object> = loaded.objects.iter().collect();
        let api_node = ApiNode {
            name: "fuzz".into(),
            pods,
            configz: parts.get(1).map(|t| Ok((*t).to_owned())),
            kubelet_version: None,
        };
        let inventory = api::inventory(&Arc::from("cluster"), &api_node, None);
        palisade_node::check(inventory);
    }

    /// A source position names a line of its file and a column on it.
    fn check_source(&self, source: &Source) {
        match source {
            Source::Env { at, .. } => self.check_source(at),
            Source::Manifest { path, span, .. }
            | Source::Unit { path, span, .. }
            | Source::Config { path, span, .. } => {
                let text = self
                    .sources
                    .get(&**path)
                    .unwrap_or_else(|| panic!("{path} is not a file read: {source:?}"));
                check_pos(text, span.start, source);
            }
            _ => {}
        }
    }

    fn check(self, version: KubeVersion) {
        let mut components = self.components;
        for c in &mut components {
            c.version = version;
        }
        let inventory = Inventory {
            layout: Layout::Other,
            components,
            version,
            version_source: Source::Assumed {
                note: "fuzzing".into(),
            },
            files: BTreeMap::new(),
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            problems: Vec::new(),
            sources: self.sources,
            cni_files: Vec::new(),
            cni_dirs: Vec::new(),
            looked_in: Vec::new(),
        };
        let report = palisade_node::check(inventory);
        for f in &report.findings {
            if let Location::File { path, pos, .. } = &f.location {
                if let Some(text) = report.inventory.sources.get(&**path) {
                    check_pos(text, *pos, &f.location);
                }
            }
        }
    }
}

/// `pos` is on a line of `text`, at most one column past its end.
fn check_pos(text: &str, pos: Pos, what: &dyn std::fmt::Debug) {
    let line = pos.line as usize;
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(
        line >= 1 && line <= lines.len(),
        "{pos} is outside the file's {} lines: {what:?}",
        lines.len()
    );
    let chars = lines[line - 1].chars().count();
    assert!(
        pos.col >= 1 && pos.col as usize <= chars + 1,
        "{pos} is past the end of its line ({chars} characters): {what:?}"
    );
}
