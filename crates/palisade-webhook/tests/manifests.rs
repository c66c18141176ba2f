//! The generated manifests pass Palisade's own scan (nothing above low) and configure the
//! webhooks as the Kubernetes API expects.

use palisade_core::source::objects_from_str;
use palisade_core::yaml::Node;
use palisade_core::{Settings, Severity};
use palisade_rules::engine::{Engine, Mode, Selection};
use palisade_webhook::manifests::{generate, ManifestError, ManifestOptions};

fn scan(text: &str) -> Vec<palisade_core::Finding> {
    let loaded = objects_from_str("manifests.yaml", text);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(loaded.duplicate_keys.is_empty());
    let engine = Engine::new(
        Settings::default(),
        Selection::default(),
        Vec::new(),
        Mode::Rules,
    );
    engine.check_all(&loaded.objects).0
}

#[test]
fn scan_of_the_manifests_reports_nothing_above_low() {
    for opts in [
        ManifestOptions::default(),
        ManifestOptions {
            namespace: "sec".into(),
            ca_bundle: Some(
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
            ),
            failure_policy: "Ignore".into(),
            ..Default::default()
        },
    ] {
        let m = generate(&opts).unwrap();
        let findings = scan(&m.objects);
        let above: Vec<String> = findings
            .iter()
            .filter(|f| f.severity > Severity::Low && f.suppressed.is_none())
            .map(|f| {
                format!(
                    "{} {}: {}",
                    f.code,
                    f.object.as_ref().map(|o| o.to_string()).unwrap_or_default(),
                    f.message
                )
            })
            .collect();
        assert!(above.is_empty(), "{above:#?}");
    }
}

#[test]
fn webhook_configurations() {
    let m = generate(&ManifestOptions {
        namespace: "sec".into(),
        ca_bundle: Some("PEM".into()),
        failure_policy: "Ignore".into(),
        ..Default::default()
    })
    .unwrap();
    let loaded = objects_from_str("m.yaml", &m.objects);
    let kinds: Vec<&str> = loaded.objects.iter().map(|o| o.kind()).collect();
    for k in [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "NetworkPolicy",
        "Deployment",
        "PodDisruptionBudget",
        "Service",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let vwc = loaded
        .objects
        .iter()
        .find(|o| o.kind() == "ValidatingWebhookConfiguration")
        .unwrap();
    let hooks = vwc.node.get("webhooks").unwrap().items();
    assert_eq!(hooks.len(), 2);
    for h in hooks {
        let s = |p: &[&str]| h.path(p).and_then(Node::as_str).map(str::to_owned);
        assert_eq!(s(&["sideEffects"]).as_deref(), Some("None"));
        assert_eq!(s(&["failurePolicy"]).as_deref(), Some("Ignore"));
        assert_eq!(
            h.get("admissionReviewVersions").unwrap().items()[0].as_str(),
            Some("v1")
        );
        assert_eq!(h.get("timeoutSeconds").unwrap().as_i64(), Some(5));
        assert_eq!(
            s(&["clientConfig", "service", "namespace"]).as_deref(),
            Some("sec")
        );
        assert_eq!(s(&["clientConfig", "caBundle"]).as_deref(), Some("UEVN"));
        let excluded: Vec<&str> = h
            .path(&["namespaceSelector", "matchExpressions"])
            .unwrap()
            .items()[0]
            .get("values")
            .unwrap()
            .items()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(excluded, ["sec", "kube-system"]);
    }
    assert_eq!(
        hooks[1]
            .path(&["clientConfig", "service", "path"])
            .and_then(Node::as_str),
        Some("/exec")
    );
    let d = loaded
        .objects
        .iter()
        .find(|o| o.kind() == "Deployment")
        .unwrap();
    assert_eq!(
        d.node.path(&["spec", "replicas"]).and_then(Node::as_i64),
        Some(2)
    );
    assert!(m.admission_config.contains("name: ImagePolicyWebhook"));
    assert!(
        m.admission_config.contains("defaultAllow: true"),
        "Ignore = allow when unreachable"
    );
    assert!(m
        .imagepolicy_kubeconfig
        .contains("server: https://palisade-webhook.sec.svc:443/imagepolicy"));
    // Both API server files are YAML.
    for f in [&m.admission_config, &m.imagepolicy_kubeconfig] {
        assert!(objects_from_str("f.yaml", f).errors.is_empty());
    }
}

/// A value that is not what its field allows is refused, whatever it would do to the YAML.
#[test]
fn hostile_options_are_refused() {
    for ns in [
        "x\nkind: ClusterRoleBinding",
        "x: y",
        "\"x",
        "x}",
        "Sec",
        "a.b",
        "",
        &"a".repeat(64),
    ] {
        let r = generate(&ManifestOptions {
            namespace: ns.into(),
            ..Default::default()
        });
        assert!(matches!(r, Err(ManifestError::Namespace(_))), "{ns:?}");
    }
    for image in [
        "app\n        securityContext: {privileged: true}",
        "app #x",
        "app:1 ",
        "App",
        "",
        "app@sha256:short",
    ] {
        let r = generate(&ManifestOptions {
            image: image.into(),
            ..Default::default()
        });
        assert!(matches!(r, Err(ManifestError::Image(_))), "{image:?}");
    }
    let r = generate(&ManifestOptions {
        failure_policy: "Fail\nx: y".into(),
        ..Default::default()
    });
    assert!(matches!(r, Err(ManifestError::FailurePolicy(_))));
}

/// Valid values that a careless template would misread (a namespace that looks like a number or
/// a boolean, a digest) come back from the generated text as exactly themselves.
#[test]
fn valid_values_read_back_in_their_place() {
    let image = format!(
        "[::1]:5000/team/app:v1@sha256:{}",
        "0123456789abcdef".repeat(4)
    );
    let objects =
        |m: &palisade_webhook::manifests::Manifests| objects_from_str("m.yaml", &m.objects);
    let usual = objects(&generate(&ManifestOptions::default()).unwrap())
        .objects
        .len();
    for ns in ["123", "yes", "0x1f", "1e3", "null"] {
        let m = generate(&ManifestOptions {
            namespace: ns.into(),
            image: image.clone(),
            ..Default::default()
        })
        .unwrap();
        let loaded = objects(&m);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(loaded.objects.len(), usual, "{ns}");
        for o in &loaded.objects {
            let Some(got) = o.node.path(&["metadata", "namespace"]) else {
                continue;
            };
            assert_eq!(
                got.as_scalar().map(|s| s.kind()),
                Some(palisade_core::yaml::ScalarKind::Str)
            );
            assert_eq!(got.as_str(), Some(ns));
        }
        let ns_object = &loaded.objects[0];
        assert_eq!(ns_object.name(), Some(ns));
        let deployment = loaded
            .objects
            .iter()
            .find(|o| o.kind() == "Deployment")
            .unwrap();
        let container = deployment
            .node
            .path(&["spec", "template", "spec", "containers"])
            .unwrap();
        assert_eq!(
            container.items()[0].get("image").unwrap().as_str(),
            Some(image.as_str())
        );
        let kubeconfig = objects_from_str("k.yaml", &m.imagepolicy_kubeconfig);
        let server = kubeconfig.objects[0]
            .node
            .path(&["clusters"])
            .unwrap()
            .items()[0]
            .path(&["cluster", "server"])
            .unwrap();
        assert_eq!(
            server.as_str().unwrap(),
            format!("https://palisade-webhook.{ns}.svc:443/imagepolicy")
        );
    }
}
