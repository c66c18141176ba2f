//! `palisade vap export` beyond the Pod Security tables (whose rows `common::run` also judges with
//! the exported policies): every expression at every exported version compiles, names and labels
//! are valid, IM402 and RB201 agree with their built-in rules, the cost stays far under the API
//! server's limits on a pod much larger than real ones, and bad options are refused.

mod common;

use common::vap_equivalence::{objects, policy_set};
use palisade_cel::expr::Expression;
use palisade_core::yaml::Node;
use palisade_core::{Context, Emitter, KubeVersion, Settings};
use palisade_rules::engine::Selection;
use palisade_rules::pss::{self, Level};
use palisade_rules::vap_export::{self, Action, ExportError, Options};

fn options(level: Level, version: KubeVersion) -> Options {
    Options {
        level,
        version,
        actions: vec![Action::Deny],
        selection: Selection::default(),
        namespace_selector: Vec::new(),
    }
}

fn versions() -> impl Iterator<Item = KubeVersion> {
    (vap_export::MIN_VERSION.minor..=pss::LATEST_POLICY.minor).map(KubeVersion::v1)
}

fn str_at<'a>(node: &'a Node, path: &[&str]) -> &'a str {
    node.path(path).and_then(Node::as_str).unwrap_or("")
}

#[test]
fn every_expression_compiles_at_every_exported_version() {
    let mut compiled = 0;
    for level in [Level::Baseline, Level::Restricted] {
        for version in versions() {
            let text = common::vap_equivalence::exported(level, version);
            for o in objects(&text) {
                if o.kind() != "ValidatingAdmissionPolicy" {
                    continue;
                }
                let spec = o.node.get("spec").unwrap();
                let exprs = spec
                    .get("variables")
                    .unwrap()
                    .items()
                    .iter()
                    .map(|v| str_at(v, &["expression"]).to_owned())
                    .chain(
                        spec.get("validations")
                            .unwrap()
                            .items()
                            .iter()
                            .flat_map(|v| {
                                [
                                    str_at(v, &["expression"]).to_owned(),
                                    str_at(v, &["messageExpression"]).to_owned(),
                                ]
                            }),
                    );
                for e in exprs {
                    assert!(!e.is_empty(), "{}", o.reference());
                    Expression::compile(&e)
                        .unwrap_or_else(|err| panic!("{}: {err}\n{e}", o.reference()));
                    compiled += 1;
                }
            }
        }
    }
    eprintln!("{compiled} expressions compiled");
    assert!(compiled > 1000, "only {compiled}");
}

#[test]
fn names_and_labels_are_valid_and_every_policy_has_its_binding() {
    let text = common::vap_equivalence::exported(Level::Restricted, pss::LATEST_POLICY);
    let objs = objects(&text);
    let policies: Vec<_> = objs
        .iter()
        .filter(|o| o.kind() == "ValidatingAdmissionPolicy")
        .collect();
    let bindings: Vec<_> = objs
        .iter()
        .filter(|o| o.kind() == "ValidatingAdmissionPolicyBinding")
        .collect();
    // The restricted level at the newest version, IM401, IM402, PS151 and RB201.
    let checks = pss::checks_for(Level::Restricted, pss::LATEST_POLICY).len();
    assert_eq!(policies.len(), checks + 4);
    assert_eq!(bindings.len(), policies.len());
    for p in &policies {
        let name = p.name().unwrap();
        assert!(vap_export::is_dns_subdomain(name), "{name}");
        assert!(name.starts_with("palisade-"), "{name}");
        let code = str_at(&p.node, &["metadata", "labels", "palisade.dev/rule"]);
        assert!(name.contains(&code.to_ascii_lowercase()), "{name} {code}");
        assert!(bindings
            .iter()
            .any(|b| str_at(&b.node, &["spec", "policyName"]) == name));
    }
    for bad in ["", "Palisade-x", "a..b", "-a", "a-", &"a".repeat(254)] {
        assert!(!vap_export::is_dns_subdomain(bad), "{bad}");
    }
}

/// The violations the built-in rule `code` reports for the first object of `yaml`.
fn built_in(code: &str, yaml: &str) -> usize {
    let object = objects(yaml).pop().unwrap();
    let rule = palisade_rules::registry::objects()
        .find(|r| r.meta.code == code)
        .unwrap();
    let settings = Settings::default();
    let cx = Context {
        settings: &settings,
    };
    let mut out = Vec::new();
    let mut emitter = Emitter::new(&object, rule.meta, &mut out);
    rule.object().unwrap().check(&cx, &object, &mut emitter);
    out.len()
}

/// The exported policy's verdict (with its message) for the first object of `yaml`.
fn exported(code: &str, yaml: &str) -> Option<String> {
    let object = objects(yaml).pop().unwrap();
    policy_set(Level::Baseline, pss::LATEST_POLICY)
        .evaluate(&object)
        .into_iter()
        .map(|v| v.message)
        .find(|m| m.starts_with(code))
}

fn deployment(spec: &str, containers: &str) -> String {
    format!(
        "{{apiVersion: apps/v1, kind: Deployment, metadata: {{name: d}}, spec: {{template: \
         {{spec: {{{spec}containers: [{containers}]}}}}}}}}"
    )
}

#[test]
fn image_tags_agree_with_im402() {
    let images = [
        ("nginx", true),
        ("nginx:latest", true),
        ("nginx:1.27", false),
        (
            "nginx@sha256:0123456789012345678901234567890123456789012345678901234567890123",
            false,
        ),
        (
            "nginx:latest@sha256:0123456789012345678901234567890123456789012345678901234567890123",
            false,
        ),
        ("registry.example.com:5000/team/app", true),
        ("registry.example.com:5000/team/app:v2", false),
        ("registry.example.com:5000/team/app:latest", true),
        ("localhost/app:latest", true),
    ];
    for (image, bad) in images {
        for yaml in [
            deployment("", &format!("{{name: app, image: '{image}'}}")),
            deployment(
                "",
                &format!("{{name: ok, image: 'app:1'}}, {{name: side, image: '{image}'}}"),
            ),
        ] {
            let want = built_in("IM402", &yaml) > 0;
            assert_eq!(want, bad, "built-in on {image}");
            let got = exported("IM402", &yaml);
            assert_eq!(got.is_some(), want, "{image}: {got:?}");
            if let Some(m) = got {
                assert!(
                    m.starts_with("IM402 image-tag-mutable: container \""),
                    "{m}"
                );
                assert!(m.contains(image), "{m}");
            }
        }
    }
}

#[test]
fn pull_policies_agree_with_im401() {
    let digest = "sha256:0123456789012345678901234567890123456789012345678901234567890123";
    let images = [
        "nginx".to_owned(),
        "nginx:latest".to_owned(),
        "nginx:1.27".to_owned(),
        format!("nginx@{digest}"),
        format!("nginx:latest@{digest}"),
        "registry.example.com:5000/team/app".to_owned(),
        "registry.example.com:5000/team/app:v2".to_owned(),
    ];
    let mut bad = 0;
    for image in &images {
        for policy in [
            "",
            "imagePullPolicy: Always, ",
            "imagePullPolicy: IfNotPresent, ",
            "imagePullPolicy: Never, ",
        ] {
            let yaml = deployment("", &format!("{{name: app, {policy}image: '{image}'}}"));
            let want = built_in("IM401", &yaml) > 0;
            let got = exported("IM401", &yaml);
            assert_eq!(got.is_some(), want, "{image} {policy}: {got:?}");
            if let Some(m) = got {
                assert!(
                    m.starts_with("IM401 image-pull-policy-not-always: container \"app\""),
                    "{m}"
                );
                bad += 1;
            }
        }
    }
    // Never and IfNotPresent always; no policy where the default is IfNotPresent (a tag other
    // than latest, or a digest alone): three of the references.
    assert_eq!(bad, 2 * images.len() + 3);
}

#[test]
fn writable_root_file_systems_agree_with_ps151() {
    let cases = [
        ("", "{name: app, image: 'a:1'}"),
        (
            "",
            "{name: app, image: 'a:1', securityContext: {readOnlyRootFilesystem: true}}",
        ),
        (
            "",
            "{name: app, image: 'a:1', securityContext: {readOnlyRootFilesystem: false}}",
        ),
        ("os: {name: windows}, ", "{name: app, image: 'a:1'}"),
        (
            "initContainers: [{name: init, image: 'a:1'}], ",
            "{name: app, image: 'a:1', securityContext: {readOnlyRootFilesystem: true}}",
        ),
        (
            "ephemeralContainers: [{name: debug, image: 'a:1'}], ",
            "{name: app, image: 'a:1', securityContext: {readOnlyRootFilesystem: true}}",
        ),
    ];
    let mut refused = 0;
    for (spec, containers) in cases {
        let yaml = deployment(spec, containers);
        let want = built_in("PS151", &yaml) > 0;
        let got = exported("PS151", &yaml);
        assert_eq!(got.is_some(), want, "{spec} {containers}: {got:?}");
        refused += usize::from(want);
    }
    assert_eq!(refused, 3);
}

#[test]
fn token_automount_agrees_with_rb201_from_the_pod_alone() {
    let cases = [
        ("", true),
        ("automountServiceAccountToken: false, ", false),
        ("automountServiceAccountToken: true, ", true),
        (
            "automountServiceAccountToken: true, serviceAccountName: api, ",
            false,
        ),
        (
            "automountServiceAccountToken: true, serviceAccount: api, ",
            false,
        ),
        ("serviceAccountName: api, ", true),
        (
            "serviceAccountName: '', automountServiceAccountToken: true, ",
            true,
        ),
    ];
    for (spec, bad) in cases {
        let yaml = deployment(spec, "{name: app, image: 'app:1'}");
        let want = built_in("RB201", &yaml) > 0;
        assert_eq!(want, bad, "built-in on {spec}");
        let got = exported("RB201", &yaml);
        assert_eq!(got.is_some(), want, "{spec}: {got:?}");
    }
    // A static pod's mirror never gets a token.
    let mirror = "{apiVersion: v1, kind: Pod, metadata: {name: m, annotations: \
                  {kubernetes.io/config.mirror: x}}, spec: {containers: [{name: a, image: 'a:1'}]}}";
    assert_eq!(built_in("RB201", mirror), 0);
    assert_eq!(exported("RB201", mirror), None);
}

#[test]
fn the_pod_template_of_every_workload_kind_is_judged() {
    let bad = "securityContext: {privileged: true}";
    let template = format!("{{spec: {{containers: [{{name: app, image: 'app:1', {bad}}}]}}}}");
    let kinds = [
        ("apps/v1", "Deployment", format!("{{template: {template}}}")),
        (
            "apps/v1",
            "StatefulSet",
            format!("{{template: {template}}}"),
        ),
        ("apps/v1", "DaemonSet", format!("{{template: {template}}}")),
        ("apps/v1", "ReplicaSet", format!("{{template: {template}}}")),
        ("batch/v1", "Job", format!("{{template: {template}}}")),
        (
            "v1",
            "ReplicationController",
            format!("{{template: {template}}}"),
        ),
        (
            "batch/v1",
            "CronJob",
            format!("{{schedule: '* * * * *', jobTemplate: {{spec: {{template: {template}}}}}}}"),
        ),
    ];
    for (api, kind, spec) in kinds {
        let yaml =
            format!("{{apiVersion: {api}, kind: {kind}, metadata: {{name: w}}, spec: {spec}}}");
        assert_eq!(built_in("PS101", &yaml), 1, "{kind}");
        let got = exported("PS101", &yaml);
        assert_eq!(
            got.as_deref(),
            Some("PS101 privileged-container: container \"app\" runs privileged"),
            "{kind}"
        );
    }
}

/// The API server stops an expression over 1,000,000 cost units (`PerCallLimit`) and a policy
/// evaluation over 10,000,000 (`RuntimeCELCostBudget`); it checks no estimated cost when a
/// ValidatingAdmissionPolicy is created (type checking is informational there). palisade-cel
/// refuses an expression whose *upper-bound* estimate is over the per-call limit, so a pod on
/// which no expression is refused is one on which none is near the API server's limit. This pod
/// is far larger than real ones: 20 containers each with 10 ports, 10 added capabilities and
/// their own security context, 20 volumes, 20 sysctls, 20 annotations.
#[test]
fn cost_stays_under_the_per_expression_limit_on_a_large_pod() {
    let container = |i: usize| {
        let ports: Vec<String> = (0..10)
            .map(|p| format!("{{containerPort: {}, hostPort: {}}}", 8000 + p, 9000 + p))
            .collect();
        let caps: Vec<String> = (0..10).map(|c| format!("CAP_{c}")).collect();
        format!(
            "{{name: c{i}, image: 'registry.example.com/team/app{i}:latest', imagePullPolicy: Never, \
             ports: [{}], \
             securityContext: {{privileged: true, procMount: Unmasked, runAsUser: 0, \
             capabilities: {{add: [{}]}}, seLinuxOptions: {{type: spc_t, user: u, role: r}}, \
             seccompProfile: {{type: Unconfined}}, appArmorProfile: {{type: Unconfined}}, \
             windowsOptions: {{hostProcess: true}}}}, livenessProbe: {{httpGet: {{host: h, port: 1}}}}, \
             lifecycle: {{preStop: {{tcpSocket: {{host: h, port: 1}}}}}}}}",
            ports.join(", "),
            caps.join(", ")
        )
    };
    let containers: Vec<String> = (0..20).map(container).collect();
    let volumes: Vec<String> = (0..20)
        .map(|v| format!("{{name: v{v}, hostPath: {{path: /v{v}}}, nfs: {{server: s, path: /}}}}"))
        .collect();
    let sysctls: Vec<String> = (0..20)
        .map(|s| format!("{{name: kernel.s{s}, value: '1'}}"))
        .collect();
    let annotations: Vec<String> = (0..20)
        .map(|a| format!("container.apparmor.security.beta.kubernetes.io/c{a}: unconfined"))
        .collect();
    let yaml = format!(
        "{{apiVersion: v1, kind: Pod, metadata: {{name: big, annotations: {{{}}}}}, spec: \
         {{hostNetwork: true, hostPID: true, securityContext: {{sysctls: [{}], runAsNonRoot: false}}, \
         volumes: [{}], containers: [{}]}}}}",
        annotations.join(", "),
        sysctls.join(", "),
        volumes.join(", "),
        containers.join(", ")
    );
    let object = objects(&yaml).pop().unwrap();
    for level in [Level::Baseline, Level::Restricted] {
        let violations = policy_set(level, pss::LATEST_POLICY).evaluate(&object);
        let expected = pss::checks_for(level, pss::LATEST_POLICY).len() + 4;
        assert_eq!(violations.len(), expected, "{level}");
        for v in violations {
            assert!(
                !v.message.contains("cost"),
                "{level} {}: {}",
                v.policy,
                v.message
            );
            let code = v.message.split(' ').next().unwrap_or("");
            assert!(
                v.policy
                    .starts_with(&format!("palisade-{}-", code.to_ascii_lowercase())),
                "{}: {}",
                v.policy,
                v.message
            );
        }
    }
}

#[test]
fn bad_options_are_refused_with_a_reason() {
    let latest = pss::LATEST_POLICY;
    assert_eq!(
        vap_export::export(&options(Level::Baseline, KubeVersion::v1(29))).unwrap_err(),
        ExportError::VersionTooOld(KubeVersion::v1(29))
    );
    let mut o = options(Level::Baseline, latest);
    o.actions = vec![Action::Deny, Action::Warn];
    assert_eq!(
        vap_export::export(&o).unwrap_err(),
        ExportError::DenyAndWarn
    );
    o.actions.clear();
    assert_eq!(vap_export::export(&o).unwrap_err(), ExportError::NoAction);
    let mut o = options(Level::Baseline, latest);
    o.selection.select = vec!["NP".to_owned()];
    assert_eq!(
        vap_export::export(&o).unwrap_err(),
        ExportError::NothingSelected(Level::Baseline)
    );
    // A restricted check is not part of baseline.
    o.selection.select = vec!["PS125".to_owned()];
    assert!(vap_export::export(&o).is_err());
    let mut o = options(Level::Baseline, latest);
    o.namespace_selector = vec![("team".into(), "In".into(), vec![])];
    assert!(matches!(
        vap_export::export(&o).unwrap_err(),
        ExportError::BadSelector(_)
    ));
}

#[test]
fn selection_actions_and_namespace_selector_reach_the_output() {
    let mut o = options(Level::Restricted, KubeVersion::v1(31));
    o.selection.select = vec!["PS101".to_owned(), "IM402".to_owned()];
    o.actions = vec![Action::Warn, Action::Audit];
    o.namespace_selector = vec![(
        "kubernetes.io/metadata.name".into(),
        "NotIn".into(),
        vec!["kube-system".into()],
    )];
    let objs = vap_export::export(&o).unwrap();
    let text = vap_export::render(&objs, &o);
    let loaded = objects(&text);
    assert_eq!(loaded.len(), 4);
    let binding = loaded
        .iter()
        .find(|b| b.kind() == "ValidatingAdmissionPolicyBinding")
        .unwrap();
    let actions: Vec<&str> = binding
        .node
        .path(&["spec", "validationActions"])
        .unwrap()
        .items()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    assert_eq!(actions, ["Warn", "Audit"]);
    let expr = &binding
        .node
        .path(&[
            "spec",
            "matchResources",
            "namespaceSelector",
            "matchExpressions",
        ])
        .unwrap()
        .items()[0];
    assert_eq!(str_at(expr, &["operator"]), "NotIn");
    assert_eq!(
        str_at(
            &loaded[0].node,
            &["metadata", "labels", "palisade.dev/kubernetes-version"]
        ),
        "v1.31"
    );
    // The header names what is not exported, and why.
    assert!(text.contains("#   PS164: reads several objects"), "{text}");
    assert!(
        text.contains("#   PA902: judges the manifest text"),
        "{text}"
    );
}

/// docs/custom-rules.md names the per-object rules not yet written in CEL; the list must be the
/// one the export computes (a rule exported later, or a new rule, changes it).
#[test]
fn the_docs_list_the_rules_not_yet_in_cel() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/custom-rules.md"
    ))
    .unwrap();
    let start = docs.find("written in CEL (").expect("the list in the docs") + 16;
    let end = start + docs[start..].find(')').unwrap();
    let listed: Vec<&str> = docs[start..end].split(", ").collect();
    let computed: Vec<&str> = vap_export::skipped()
        .into_iter()
        .filter(|(_, why)| why.contains("not yet written in CEL"))
        .map(|(code, _)| code)
        .collect();
    assert_eq!(listed, computed);
}
