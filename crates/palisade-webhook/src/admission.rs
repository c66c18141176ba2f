//! The decisions: an admission request (or an ImageReview) in, a verdict out. No I/O here, so
//! every decision is testable without a server, and the server stays a thin shell.
//!
//! `/validate` and `/mutate` run the same [`Engine`] as `palisade scan` on a one-object inventory
//! (per-object `check`). Cross-object rules (those with an [`palisade_core::InventoryRule`]
//! form) do not run at `/validate`: alone, their provisional verdicts say what one object cannot
//! rule out ("no NetworkPolicy is known to select …"), and their inventory stage would judge the
//! whole namespace from one object. `/mutate` runs RB201's provisional check, which stands alone
//! (the pod mounts a token unless its ServiceAccount says otherwise). The image policy is three rules of that
//! engine (IM403 allowed registries, IM404 digests, IM405 denied tags), so `/imagepolicy`,
//! `/validate` and a scan with the same settings agree.

use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use palisade_core::config::Config;
use palisade_core::image::RegistryPattern;
use palisade_core::webhook_config::{AdmissionMode, WebhookConfig};
use palisade_core::yaml::{push_to, Entry, Node, Scalar, Span, Value};
use palisade_core::{Finding, FixOp, Object, Origin, Settings};
use palisade_rules::engine::{Engine, Mode, Selection};

use crate::patch;
use crate::review::{AdmissionRequest, AdmissionResponse, ImageReviewSpec, ImageReviewStatus};

/// Longest `status.message` (the API server shows it to the user; kubectl prints it whole).
const MAX_MESSAGE: usize = 4096;
/// Warnings per response, and bytes per warning (the API server truncates longer ones).
const MAX_WARNINGS: usize = 20;
const MAX_WARNING_LEN: usize = 512;

/// Codes of the rules whose fixes `/mutate` applies, and the switch for each.
const MUTATION_CODES: [&str; 4] = ["IM401", "PS121", "PS124", "RB201"];
/// The image policy's rules.
const IMAGE_CODES: [&str; 3] = ["IM403", "IM404", "IM405"];

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(String);

/// Engines for one scope of the image policy (all namespaces, or some).
struct Engines {
    all: Engine,
    images: Engine,
}

/// What the webhook enforces, compiled from the config once (and again on reload).
pub struct Policy {
    pub config: WebhookConfig,
    default: Engines,
    /// Namespaces with their own image policy.
    scoped: Vec<(Vec<String>, Engines)>,
    /// The engine for `/mutate`: only the enabled mutation rules; `None` when none is.
    mutate: Option<Engine>,
    source: Arc<str>,
    /// `policies:` of the config: ValidatingAdmissionPolicies judged by VA001, declared once at
    /// start (`palisade_cel::rule::declare`); a reload may not change them.
    pub admission_policies: Vec<String>,
    /// `rules:` of the config as written: the user's own rules, declared once at start
    /// (`palisade_cel::custom`); a reload may not change them either.
    pub custom_rules: Option<palisade_core::yaml::Node>,
}

/// A verdict with what metrics need.
pub struct Verdict {
    pub response: AdmissionResponse,
    /// Codes of the findings that denied the request (or would have, in warn/audit mode).
    pub denied_by: Vec<&'static str>,
}

impl Verdict {
    fn allow(uid: &str) -> Self {
        Verdict {
            response: AdmissionResponse::allow(uid),
            denied_by: Vec::new(),
        }
    }
}

fn check_registries(entries: &[String]) -> Result<(), PolicyError> {
    for e in entries {
        RegistryPattern::parse(e)
            .map_err(|x| PolicyError(format!("allowed registry `{e}`: {x}")))?;
    }
    Ok(())
}

impl Policy {
    /// Compiles a config (its `webhook:` section, or the defaults).
    pub fn new(config: &Config) -> Result<Policy, PolicyError> {
        let wh = config.webhook.clone().unwrap_or_default();
        let mut ignore = config.ignore.clone();
        ignore.extend(
            palisade_rules::registry::objects()
                .filter(|r| r.inventory().is_some_and(|i| !i.single_object_verdicts()))
                .map(|r| r.meta.code.to_owned()),
        );
        let selection = Selection {
            select: config.select.clone(),
            ignore,
        };
        let base = Settings {
            kubernetes_version: config.kubernetes_version.unwrap_or_default(),
            allowed_registries: wh
                .image_policy
                .allowed_registries
                .clone()
                .unwrap_or_else(|| config.allowed_registries.clone()),
            require_image_digest: wh.image_policy.require_digest,
            denied_image_tags: wh.image_policy.denied_tags.clone(),
            reports: Vec::new(),
        };
        check_registries(&base.allowed_registries)?;
        let engines = |settings: Settings| Engines {
            all: Engine::new(
                settings.clone(),
                selection.clone(),
                config.exemptions.clone(),
                Mode::Rules,
            ),
            images: Engine::new(
                settings,
                Selection {
                    select: IMAGE_CODES.iter().map(|c| c.to_string()).collect(),
                    ignore: config.ignore.clone(),
                },
                config.exemptions.clone(),
                Mode::Rules,
            ),
        };
        let mut scoped = Vec::new();
        for ns in &wh.image_policy.namespaces {
            let mut s = base.clone();
            if let Some(r) = &ns.allowed_registries {
                check_registries(r)?;
                s.allowed_registries = r.clone();
            }
            if let Some(d) = ns.require_digest {
                s.require_image_digest = d;
            }
            if let Some(t) = &ns.denied_tags {
                s.denied_image_tags = t.clone();
            }
            scoped.push((ns.names.clone(), engines(s)));
        }
        let m = &wh.mutate;
        let enabled: Vec<String> = MUTATION_CODES
            .iter()
            .zip([
                m.image_pull_policy_always,
                m.allow_privilege_escalation_false,
                m.seccomp_runtime_default,
                m.automount_service_account_token_false,
            ])
            .filter(|(_, on)| *on)
            .map(|(c, _)| c.to_string())
            .collect();
        let mutate = (!enabled.is_empty()).then(|| {
            Engine::new(
                base.clone(),
                Selection {
                    select: enabled,
                    ignore: Vec::new(),
                },
                config.exemptions.clone(),
                Mode::Rules,
            )
        });
        Ok(Policy {
            config: wh,
            default: engines(base),
            scoped,
            mutate,
            source: Arc::from("admission"),
            admission_policies: config.policies.clone(),
            custom_rules: config.rules.clone(),
        })
    }

    fn engines(&self, namespace: &str) -> &Engines {
        self.scoped
            .iter()
            .find(|(names, _)| names.iter().any(|n| n == namespace))
            .map_or(&self.default, |(_, e)| e)
    }

    /// Whether the request is exempt by namespace or user.
    fn exempt(&self, req: &AdmissionRequest) -> bool {
        let ex = &self.config.exempt;
        ex.namespaces.contains(&req.namespace) || ex.usernames.contains(&req.user_info.username)
    }

    /// The object of a CREATE/UPDATE, as rules see it; `Err` with the response otherwise.
    fn object(&self, uid: &str, req: &mut AdmissionRequest) -> Result<Object, Box<Verdict>> {
        if !matches!(req.operation.as_str(), "CREATE" | "UPDATE") || self.exempt(req) {
            return Err(Box::new(Verdict::allow(uid)));
        }
        // Status, scale and similar subresources do not change the pod spec; ephemeral
        // containers do, and arrive as the whole pod.
        if !(req.sub_resource.is_empty() || req.sub_resource == "ephemeralcontainers") {
            return Err(Box::new(Verdict::allow(uid)));
        }
        let Some(node) = req.object.take().map(|o| o.0) else {
            return Err(Box::new(Verdict {
                response: AdmissionResponse::deny(
                    uid,
                    400,
                    "BadRequest",
                    format!("{} request has no `object`", req.operation),
                ),
                denied_by: Vec::new(),
            }));
        };
        if node.as_map().is_none() {
            return Err(Box::new(Verdict {
                response: AdmissionResponse::deny(
                    uid,
                    400,
                    "BadRequest",
                    "request `object` is not a JSON object".to_owned(),
                ),
                denied_by: Vec::new(),
            }));
        }
        // PSA's rule: an UPDATE that leaves the spec as it was (labels, annotations, status of an
        // existing object) is not judged again, or legacy objects could not even be relabelled.
        if req.operation == "UPDATE" {
            let old_spec = req.old_object.as_ref().and_then(|o| o.0.get("spec"));
            if old_spec.is_some() && old_spec == node.get("spec") {
                return Err(Box::new(Verdict::allow(uid)));
            }
        }
        let mut node = node;
        if !self.config.annotation_exemptions {
            strip_waivers(&mut node);
        }
        let mut object = Object {
            origin: Origin::Api {
                source: Arc::clone(&self.source),
            },
            node,
        };
        // A CREATE's object often has no namespace yet (the request carries it); exemptions and
        // messages need it.
        if object.namespace().is_none() && !req.namespace.is_empty() {
            set_namespace(&mut object.node, &req.namespace);
        }
        let runtime_class = object
            .pod_template()
            .and_then(|p| p.spec.get("runtimeClassName").and_then(Node::as_str))
            .map(str::to_owned);
        if let Some(rc) = runtime_class {
            if self.config.exempt.runtime_class_names.contains(&rc) {
                return Err(Box::new(Verdict::allow(uid)));
            }
        }
        Ok(object)
    }

    /// `/validate`.
    pub fn validate(&self, uid: &str, mut req: AdmissionRequest) -> Verdict {
        let object = match self.object(uid, &mut req) {
            Ok(o) => o,
            Err(v) => return *v,
        };
        let findings: Vec<Finding> = self
            .engines(&req.namespace)
            .all
            .check_object(&object)
            .into_iter()
            .filter(|f| f.suppressed.is_none())
            .collect();
        let mut response = AdmissionResponse::allow(uid);
        if findings.is_empty() {
            return Verdict {
                response,
                denied_by: Vec::new(),
            };
        }
        let fail_on = self.config.fail_on;
        let (blocking, rest): (Vec<&Finding>, Vec<&Finding>) =
            findings.iter().partition(|f| f.severity >= fail_on);
        let denied_by: Vec<&'static str> = dedup(blocking.iter().map(|f| f.code));
        let mode = self.config.mode_of(&req.namespace);
        let who = describe(&object);
        match mode {
            AdmissionMode::Enforce if !blocking.is_empty() => {
                response = AdmissionResponse::deny(
                    uid,
                    403,
                    "Forbidden",
                    deny_message(&who, &blocking, fail_on),
                );
                response.warnings = warnings(&rest);
            }
            AdmissionMode::Enforce => response.warnings = warnings(&rest),
            AdmissionMode::Warn => {
                let all: Vec<&Finding> = blocking.iter().chain(&rest).copied().collect();
                response.warnings = warnings(&all);
            }
            AdmissionMode::Audit => {}
        }
        if !denied_by.is_empty() && mode != AdmissionMode::Enforce {
            response
                .audit_annotations
                .insert(format!("{}-would-deny", mode.as_str()), denied_by.join(","));
        }
        response.audit_annotations.insert(
            "findings".to_owned(),
            dedup(findings.iter().map(|f| f.code)).join(","),
        );
        Verdict {
            response,
            denied_by,
        }
    }

    /// `/mutate`: a JSONPatch made of the enabled rules' fixes, never overwriting a value.
    pub fn mutate(&self, uid: &str, mut req: AdmissionRequest) -> Verdict {
        let Some(engine) = &self.mutate else {
            return Verdict::allow(uid);
        };
        // A pod's spec is immutable after creation except for a few fields: patch pods on
        // CREATE only; workload templates may be patched on UPDATE too.
        if req.operation == "UPDATE" && req.kind.kind == "Pod" {
            return Verdict::allow(uid);
        }
        let mut object = match self.object(uid, &mut req) {
            Ok(o) => o,
            Err(v) => return *v,
        };
        if object.pod_template().is_none() {
            return Verdict::allow(uid);
        }
        let findings = engine.check_object(&object);
        // A pod that runs as a dedicated ServiceAccount most likely has it to call the API: the
        // token is only taken away from pods of the namespace's `default` account.
        let dedicated_account = object.pod_template().is_some_and(|p| {
            palisade_rules::workload::token_mount(&p).service_account != "default"
        });
        let ops: Vec<&FixOp> = findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .filter(|f| !(f.code == "RB201" && dedicated_account))
            .filter_map(|f| f.fix.as_deref())
            .flat_map(|fix| fix.ops.iter())
            .collect();
        let mut patch = Vec::new();
        patch::build(&mut object.node, &ops, &mut patch);
        let mut response = AdmissionResponse::allow(uid);
        if !patch.is_empty() {
            let doc = patch::to_json(&patch).to_string();
            response.patch = Some(base64::engine::general_purpose::STANDARD.encode(doc));
            response.patch_type = Some("JSONPatch");
            let applied = dedup(
                findings
                    .iter()
                    .filter(|f| f.fix.is_some() && f.suppressed.is_none())
                    .filter(|f| !(f.code == "RB201" && dedicated_account))
                    .map(|f| f.code),
            );
            response
                .audit_annotations
                .insert("mutated-by".to_owned(), applied.join(","));
        }
        Verdict {
            response,
            denied_by: Vec::new(),
        }
    }

    /// `/imagepolicy`: the image rules on a pod made of the review's images.
    pub fn image_review(&self, spec: &ImageReviewSpec) -> (ImageReviewStatus, Vec<&'static str>) {
        if self.config.exempt.namespaces.contains(&spec.namespace) {
            return (
                ImageReviewStatus {
                    allowed: true,
                    ..Default::default()
                },
                Vec::new(),
            );
        }
        if self.config.image_policy.break_glass {
            let glass = spec.annotations.iter().find(|(k, v)| {
                k.ends_with(".image-policy.k8s.io/break-glass") && v.as_str() == "true"
            });
            if let Some((key, _)) = glass {
                let mut status = ImageReviewStatus {
                    allowed: true,
                    ..Default::default()
                };
                status
                    .audit_annotations
                    .insert("break-glass".to_owned(), key.clone());
                return (status, Vec::new());
            }
        }
        let pod = pod_of_images(&spec.namespace, &spec.containers, &self.source);
        let findings: Vec<Finding> = self
            .engines(&spec.namespace)
            .images
            .check_object(&pod)
            .into_iter()
            .filter(|f| f.suppressed.is_none())
            .collect();
        let denied_by = dedup(findings.iter().map(|f| f.code));
        let mut status = ImageReviewStatus {
            allowed: findings.is_empty(),
            ..Default::default()
        };
        if !findings.is_empty() {
            let mut reason = String::from("denied by Palisade's image policy: ");
            for (i, f) in findings.iter().enumerate() {
                if i > 0 {
                    reason.push_str("; ");
                }
                // The review has no container names: name the image only.
                let _ = write!(reason, "{} {}: {}", f.code, f.rule, image_message(f));
            }
            truncate(&mut reason, MAX_MESSAGE);
            status.reason = reason;
            status
                .audit_annotations
                .insert("denied-by".to_owned(), denied_by.join(","));
        }
        (status, denied_by)
    }
}

/// A finding's message without the synthetic container name of an ImageReview pod.
fn image_message(f: &Finding) -> String {
    match f.message.split_once("\" image ") {
        Some((_, rest)) => format!("image {rest}"),
        None => f.message.to_string(),
    }
}

/// A Pod whose containers are the review's images, for the image rules.
fn pod_of_images(
    namespace: &str,
    containers: &[crate::review::ImageReviewContainer],
    source: &Arc<str>,
) -> Object {
    let s = |t: &str| Node {
        value: Value::Scalar(Scalar::string(t, true)),
        span: Span::default(),
    };
    let map = |entries: Vec<(&str, Node)>| Node {
        value: Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| Entry {
                    key: k.into(),
                    key_span: Span::default(),
                    value: v,
                })
                .collect(),
        ),
        span: Span::default(),
    };
    let items = containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            map(vec![
                ("name", s(&format!("image-{i}"))),
                ("image", s(&c.image)),
            ])
        })
        .collect();
    let node = map(vec![
        ("apiVersion", s("v1")),
        ("kind", s("Pod")),
        ("metadata", map(vec![("namespace", s(namespace))])),
        (
            "spec",
            map(vec![(
                "containers",
                Node {
                    value: Value::Seq(items),
                    span: Span::default(),
                },
            )]),
        ),
    ]);
    Object {
        origin: Origin::Api {
            source: Arc::clone(source),
        },
        node,
    }
}

/// Removes exemption annotations from the object and its pod template.
fn strip_waivers(node: &mut Node) {
    let is_waiver = |k: &str| {
        k == palisade_core::suppress::OBJECT_ANNOTATION
            || k.starts_with(palisade_core::suppress::CONTAINER_ANNOTATION_PREFIX)
    };
    let paths: [&[&str]; 4] = [
        &["metadata", "annotations"],
        &["spec", "template", "metadata", "annotations"],
        &["template", "metadata", "annotations"],
        &[
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "annotations",
        ],
    ];
    for path in paths {
        if let Some(entries) = map_at(node, path) {
            if entries.iter().any(|e| is_waiver(&e.key)) {
                let mut kept = std::mem::take(entries).into_vec();
                kept.retain(|e| !is_waiver(&e.key));
                *entries = kept.into_boxed_slice();
            }
        }
    }
}

/// The entries of the mapping at `path`, when there is one.
fn map_at<'a>(node: &'a mut Node, path: &[&str]) -> Option<&'a mut Box<[Entry]>> {
    let mut n = node;
    for key in path {
        n = match &mut n.value {
            Value::Map(entries) => &mut entries.iter_mut().find(|e| &*e.key == *key)?.value,
            _ => return None,
        };
    }
    match &mut n.value {
        Value::Map(entries) => Some(entries),
        _ => None,
    }
}

fn set_namespace(node: &mut Node, namespace: &str) {
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    let ns = Node {
        value: Value::Scalar(Scalar::string(namespace, true)),
        span: Span::default(),
    };
    match entries.iter_mut().find(|e| &*e.key == "metadata") {
        Some(Entry {
            value: Node {
                value: Value::Map(meta),
                ..
            },
            ..
        }) => push_to(
            meta,
            Entry {
                key: "namespace".into(),
                key_span: Span::default(),
                value: ns,
            },
        ),
        Some(_) => {}
        None => push_to(
            entries,
            Entry {
                key: "metadata".into(),
                key_span: Span::default(),
                value: Node {
                    value: Value::Map(Box::new([Entry {
                        key: "namespace".into(),
                        key_span: Span::default(),
                        value: ns,
                    }])),
                    span: Span::default(),
                },
            },
        ),
    }
}

/// `Deployment shop/web` (or `generateName` with `*`).
fn describe(o: &Object) -> String {
    let name = o
        .name()
        .map(str::to_owned)
        .or_else(|| {
            o.node
                .path(&["metadata", "generateName"])
                .and_then(Node::as_str)
                .map(|g| format!("{g}*"))
        })
        .unwrap_or_else(|| "(unnamed)".to_owned());
    match o.namespace() {
        Some(ns) => format!("{} {ns}/{name}", o.kind()),
        None => format!("{} {name}", o.kind()),
    }
}

fn dedup(codes: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for c in codes {
        if !v.contains(&c) {
            v.push(c);
        }
    }
    v
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max.saturating_sub(3);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
}

/// `Palisade denied Deployment shop/web (findings at or above high): PS101 privileged-container:
/// container "app" is privileged (help: …); …`.
fn deny_message(who: &str, blocking: &[&Finding], fail_on: palisade_core::Severity) -> String {
    let mut m = format!(
        "Palisade denied {who} ({} finding(s) at or above {fail_on}):",
        blocking.len()
    );
    let mut helped: Vec<&'static str> = Vec::new();
    for f in blocking {
        let _ = write!(m, " [{} {} {}] {}", f.code, f.rule, f.severity, f.message);
        if !helped.contains(&f.code) {
            helped.push(f.code);
            let _ = write!(m, " (fix: {})", f.help);
        }
        m.push(';');
        if m.len() > MAX_MESSAGE {
            break;
        }
    }
    m.pop();
    truncate(&mut m, MAX_MESSAGE);
    m
}

fn warnings(findings: &[&Finding]) -> Vec<String> {
    let mut out: Vec<String> = findings
        .iter()
        .take(MAX_WARNINGS)
        .map(|f| {
            let mut w = format!("{} {} ({}): {}", f.code, f.rule, f.severity, f.message);
            truncate(&mut w, MAX_WARNING_LEN);
            w
        })
        .collect();
    if findings.len() > MAX_WARNINGS {
        out.push(format!(
            "… and {} more Palisade finding(s)",
            findings.len() - MAX_WARNINGS
        ));
    }
    out
}
