//! `palisade harden`: from an inventory (manifests, a saved inventory, a live cluster's objects)
//! to the changes the guide asks for, and the proof that they work.
//!
//! The bundle ([`harden`]) holds, per namespace, default-deny NetworkPolicies with the allowances
//! the workloads need ([`network`]), Pod Security Admission labels at the strictest level every
//! workload already passes ([`psa`]), the `default` ServiceAccount without token automounting;
//! before 1.25 the guide's PodSecurityPolicy pair ([`psp`]); and node settings ([`node`]). Every
//! object names the rules it satisfies in the `palisade.dev/satisfies` annotation.
//!
//! The proof ([`Bundle::proof`]) applies the bundle to the inventory in memory, re-scans both with
//! the rule engine, and checks with the NetworkPolicy engine that DNS and every Service's clients
//! still get through while everything else is blocked, and with the PSS engine that no running
//! workload is rejected. Nothing here does I/O.

pub mod inventory;
pub mod network;
pub mod node;
pub mod psa;
pub mod psp;
mod verify;
/// The YAML writer of generated objects lives in `palisade-core` (`palisade vap export` in
/// `palisade-rules` writes with it too); this path keeps the bundle's modules reading it as before.
pub use palisade_core::yaml::writer as yaml;

use std::collections::BTreeMap;

use palisade_core::source::objects_from_str;
use palisade_core::{Finding, KubeVersion, Object, Severity};

pub use inventory::{invalid_names, normalize, InvalidName, Inventory};
pub use verify::{Check, Proof};
use yaml::Y;

/// The annotation naming the rule codes an object satisfies.
pub const SATISFIES: &str = "palisade.dev/satisfies";

/// Bundle options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Target Kubernetes version.
    pub version: KubeVersion,
    /// The AES-CBC key of the encryption-at-rest configuration (32 bytes from the OS random
    /// source; the caller draws them, this crate does no I/O). Bytes, not text: the key is encoded
    /// here, so nothing but base64 can reach the YAML. `None` writes a placeholder.
    pub encryption_key: Option<[u8; 32]>,
}

/// One generated object.
#[derive(Clone, Debug)]
pub struct Generated {
    pub value: Y,
    pub satisfies: Vec<&'static str>,
}

impl Generated {
    pub fn kind(&self) -> &str {
        match self.value.get("kind") {
            Some(Y::Str(s)) => s,
            _ => "",
        }
    }
}

/// Builds an object: `apiVersion`, `kind`, metadata with the satisfied codes and notes as
/// annotations, then `body`.
pub(crate) fn object(
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    satisfies: &[&'static str],
    notes: Vec<(&'static str, String)>,
    body: Vec<(&str, Y)>,
) -> Generated {
    let mut meta = Y::map([("name", Y::str(name))]);
    if let Some(ns) = namespace {
        meta.set("namespace", Y::str(ns));
    }
    let mut annotations = Vec::new();
    if !satisfies.is_empty() {
        annotations.push((SATISFIES.to_owned(), Y::str(satisfies.join(","))));
    }
    annotations.extend(notes.into_iter().map(|(k, v)| (k.to_owned(), Y::Str(v))));
    if !annotations.is_empty() {
        meta.set("annotations", Y::Map(annotations));
    }
    let mut value = Y::map([
        ("apiVersion", Y::str(api_version)),
        ("kind", Y::str(kind)),
        ("metadata", meta),
    ]);
    for (k, v) in body {
        value.set(k, v);
    }
    Generated {
        value,
        satisfies: satisfies.to_vec(),
    }
}

/// Errors of the bundle itself (never of the input: bad input is the caller's to report).
#[derive(Debug, thiserror::Error)]
pub enum HardenError {
    #[error("generated file {file} does not read back: {message}")]
    Unreadable { file: String, message: String },
}

/// One file of the bundle.
#[derive(Clone, Debug)]
pub struct File {
    /// Path inside the bundle directory.
    pub name: String,
    pub objects: Vec<Generated>,
}

/// The hardening bundle, with what the generators learned on the way.
#[derive(Debug)]
pub struct Bundle {
    pub version: KubeVersion,
    pub inventory: Inventory,
    /// Kubernetes objects, by file.
    pub files: Vec<File>,
    pub node: Vec<node::NodeFile>,
    pub network: network::Plan,
    pub psa: Vec<psa::Choice>,
    /// Notes on assumptions and choices, for the report.
    pub notes: Vec<String>,
}

/// Why the `default` ServiceAccount is a whole object.
const SA_REASON: &str = "a whole object, not a patch: kustomize patches need their target among \
                         the kustomization's resources, and the control plane creates this \
                         ServiceAccount; kubectl apply merges the field into the existing one";

/// Builds the bundle for `objects` (the inventory; objects without a namespace are taken to be in
/// `default`).
pub fn harden(objects: Vec<Object>, options: &Options) -> Bundle {
    let version = options.version;
    let inv = Inventory::new(normalize(objects));
    let mut network = network::plan(&inv, version);
    network
        .objects
        .extend(network::patch_existing(&inv, version));
    let psa = psa::choose(&inv, version);
    let (psp_objects, psp_notes) = psp::plan(&inv, version);

    let mut namespaces = Vec::new();
    let mut accounts = Vec::new();
    for ns in &inv.namespaces {
        let choice = psa.iter().find(|c| &c.namespace == ns);
        let mut labels: Vec<(String, String)> = choice.map(psa::labels).unwrap_or_default();
        if version < KubeVersion::v1(21) {
            // Cross-namespace peers select namespaces by this label, which the API server only
            // sets itself from 1.21.
            labels.push((
                palisade_rules::netpol::NAMESPACE_NAME_LABEL.to_owned(),
                ns.clone(),
            ));
        }
        if !labels.is_empty() {
            let satisfies: &[&'static str] = match choice {
                Some(c) if c.kept_existing.is_none() => &["PS160", "PS162", "PS164"],
                Some(_) => &["PS160", "PS162"],
                None => &[],
            };
            let mut notes = Vec::new();
            if let Some(c) = choice {
                notes.push((
                    "palisade.dev/reason",
                    match &c.kept_existing {
                        None if c.system => "privileged: system components the inventory may not \
                                             show run here (the guide's privileged policy for \
                                             kube-system); warn and audit report baseline"
                            .to_owned(),
                        Some(_) => format!(
                            "the namespace already enforces {}, which the bundle keeps",
                            c.enforce
                        ),
                        None => format!(
                            "{}: the strictest level every workload of the namespace passes at {}",
                            c.enforce, c.version
                        ),
                    },
                ));
            }
            let mut g = object("v1", "Namespace", None, ns, satisfies, notes, Vec::new());
            if let Some(&i) = inv.namespace_objects.get(ns) {
                merge_metadata(&mut g.value, &inv.objects[i]);
            }
            let meta = g.value.map_at("metadata");
            let existing = meta.map_at("labels");
            for (k, v) in labels {
                existing.set(&k, Y::Str(v));
            }
            namespaces.push(g);
        }
        let mut sa = object(
            "v1",
            "ServiceAccount",
            Some(ns),
            "default",
            &["RB202"],
            vec![("palisade.dev/reason", SA_REASON.to_owned())],
            vec![("automountServiceAccountToken", Y::bool(false))],
        );
        if let Some(existing) = inv.objects.iter().find(|o| {
            o.kind() == "ServiceAccount"
                && o.group().is_empty()
                && o.name() == Some("default")
                && o.namespace() == Some(ns)
        }) {
            merge_metadata(&mut sa.value, existing);
            if let Some(n) = existing.node.get("imagePullSecrets") {
                sa.value.set("imagePullSecrets", Y::from_node(n));
            }
        }
        accounts.push(sa);
    }

    let mut notes = network.notes.clone();
    notes.extend(psp_notes);
    let default_sa_users: Vec<String> = inv
        .workloads
        .iter()
        .zip(&inv.uses_api)
        .filter(|(w, api)| **api && w.service_account == "default")
        .map(|(w, _)| w.describe())
        .collect();
    if !default_sa_users.is_empty() {
        notes.push(format!(
            "{} use the API as the default ServiceAccount (it has RBAC bindings): give them their \
             own ServiceAccount or set automountServiceAccountToken: true in their pod spec \
             before applying",
            some(&default_sa_users)
        ));
    }

    let mut files = vec![
        File {
            name: "namespaces.yaml".to_owned(),
            objects: namespaces,
        },
        File {
            name: "service-accounts.yaml".to_owned(),
            objects: accounts,
        },
        File {
            name: "network-policies.yaml".to_owned(),
            objects: network.objects.clone(),
        },
        File {
            name: "pod-security-policies.yaml".to_owned(),
            objects: psp_objects,
        },
    ];
    files.retain(|f| !f.objects.is_empty());
    Bundle {
        version,
        node: node::files(version, options.encryption_key.as_ref()),
        inventory: inv,
        files,
        network,
        psa,
        notes,
    }
}

/// `a, b, c, d, e and 12 more`: names for a one-line note.
pub(crate) fn some(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// Copies the identity and the user's labels and annotations of an existing object into a
/// generated one (server-managed fields such as `uid` and `managedFields` are left out), keeping
/// the generated annotations.
pub(crate) fn merge_metadata(generated: &mut Y, existing: &Object) {
    let meta = generated.map_at("metadata");
    for key in ["labels", "annotations"] {
        let Some(Y::Map(entries)) = existing.node.path(&["metadata", key]).map(Y::from_node) else {
            continue;
        };
        let target = meta.map_at(key);
        for (k, v) in entries {
            if k == "kubectl.kubernetes.io/last-applied-configuration" {
                continue;
            }
            if target.get(&k).is_none() {
                target.set(&k, v);
            }
        }
    }
}

impl Bundle {
    /// Every generated object.
    pub fn objects(&self) -> impl Iterator<Item = &Generated> {
        self.files.iter().flat_map(|f| f.objects.iter())
    }

    /// Rule codes the bundle claims to satisfy.
    pub fn claimed(&self) -> Vec<&'static str> {
        let mut codes: Vec<&'static str> = self
            .objects()
            .flat_map(|g| g.satisfies.iter().copied())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    /// The text of each Kubernetes file, and `kustomization.yaml` listing them.
    pub fn render(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .files
            .iter()
            .map(|f| {
                let mut text = format!(
                    "# Generated by `palisade harden` for Kubernetes v{}.{}. Each object names the\n\
                     # rules it satisfies in the {SATISFIES} annotation. Review before applying.\n",
                    self.version.major, self.version.minor
                );
                for (i, g) in f.objects.iter().enumerate() {
                    if i > 0 {
                        text.push_str("---\n");
                    }
                    text.push_str(&g.value.render());
                }
                (f.name.clone(), text)
            })
            .collect();
        let kustomization = Y::map([
            ("apiVersion", Y::str("kustomize.config.k8s.io/v1beta1")),
            ("kind", Y::str("Kustomization")),
            (
                "resources",
                Y::seq(self.files.iter().map(|f| Y::str(f.name.clone()))),
            ),
        ]);
        out.push((
            "kustomization.yaml".to_owned(),
            format!(
                "# Apply with `kubectl apply -k .` (node/ holds settings for the nodes, not objects).\n{}",
                kustomization.render()
            ),
        ));
        out
    }

    /// One YAML stream of every object, then the node files as comments.
    pub fn stream(&self) -> String {
        let mut text = String::new();
        for (name, body) in self.render() {
            if name == "kustomization.yaml" {
                continue;
            }
            if !text.is_empty() {
                text.push_str("---\n");
            }
            text.push_str(&format!("# {name}\n{body}"));
        }
        text.push_str(
            "# Node settings (not Kubernetes objects; `--out DIR` writes them as files):\n",
        );
        for f in &self.node {
            text.push_str(&format!("#\n# ==> {} (for {})\n", f.name, f.target));
            for line in f.text.lines() {
                text.push_str("#   ");
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }

    /// The bundle's objects as Palisade reads them back from the rendered text: what the user
    /// applies is what gets verified.
    pub fn parsed(&self) -> Result<Vec<Object>, HardenError> {
        let mut out = Vec::new();
        for (name, text) in self.render() {
            if name == "kustomization.yaml" {
                continue;
            }
            let loaded = objects_from_str(&format!("bundle/{name}"), &text);
            if let Some(e) = loaded.errors.first() {
                return Err(HardenError::Unreadable {
                    file: name,
                    message: e.to_string(),
                });
            }
            out.extend(loaded.objects);
        }
        Ok(out)
    }

    /// The inventory with the bundle applied: generated objects replace the objects of the same
    /// kind, namespace and name (those already carry what they kept of them), the rest are added.
    pub fn applied(&self) -> Result<Vec<Object>, HardenError> {
        let bundle = self.parsed()?;
        let key = |o: &Object| {
            (
                o.group().to_owned(),
                o.kind().to_owned(),
                o.namespace().map(str::to_owned),
                o.name().map(str::to_owned),
            )
        };
        let replaced: std::collections::HashSet<_> = bundle.iter().map(key).collect();
        let mut out: Vec<Object> = self
            .inventory
            .objects
            .iter()
            .filter(|o| !replaced.contains(&key(o)))
            .cloned()
            .collect();
        out.extend(bundle);
        Ok(out)
    }

    /// Applies the bundle in memory and checks it; see [`Proof`].
    pub fn proof(&self) -> Result<Proof, HardenError> {
        verify::prove(self)
    }
}

/// Findings not suppressed, by severity (critical first).
pub fn counts(findings: &[Finding]) -> [(Severity, usize); 4] {
    let mut by = BTreeMap::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        *by.entry(f.severity).or_insert(0) += 1;
    }
    [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .map(|s| (s, by.get(&s).copied().unwrap_or(0)))
}
