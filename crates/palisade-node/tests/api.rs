//! The node rules on what the Kubernetes API shows: control-plane mirror pods and kubelet
//! `/configz`.

use std::sync::Arc;

use palisade_node::api::{self, ApiNode};
use palisade_node::ComponentKind;

const MIRROR_PODS: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-cp1
  namespace: kube-system
  labels: {component: kube-apiserver, tier: control-plane}
  annotations:
    kubernetes.io/config.mirror: 3f1c
spec:
  nodeName: cp1
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.29.4
    command:
    - kube-apiserver
    - --authorization-mode=AlwaysAllow
    - --authentication-config=/etc/kubernetes/authn.yaml
    - --profiling=false
---
apiVersion: v1
kind: Pod
metadata:
  name: etcd-cp1
  namespace: kube-system
  labels: {component: etcd, tier: control-plane}
  annotations:
    kubernetes.io/config.mirror: 9a2b
spec:
  nodeName: cp1
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.5.12-0
    command: [etcd, --client-cert-auth=true, --peer-client-cert-auth=true]
---
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-lookalike
  namespace: kube-system
  labels: {component: kube-apiserver}
spec:
  nodeName: cp1
  containers:
  - name: x
    image: registry.k8s.io/kube-apiserver:v1.29.4
    command: [kube-apiserver]
"#;

const CONFIGZ: &str = r#"{"kubeletconfig":{"authentication":{"anonymous":{"enabled":true},"webhook":{"enabled":true}},"authorization":{"mode":"Webhook"},"readOnlyPort":0,"staticPodPath":"/etc/kubernetes/manifests"}}"#;

#[test]
fn mirror_pods_feed_the_control_plane_rules() {
    let loaded = palisade_core::source::objects_from_str("cluster", MIRROR_PODS);
    let pods: Vec<_> = loaded
        .objects
        .iter()
        .filter(|o| api::is_control_plane_mirror_pod(o))
        .collect();
    assert_eq!(
        pods.len(),
        2,
        "the pod without the mirror annotation is not one"
    );
    let source: Arc<str> = Arc::from("test-cluster");
    let node = ApiNode {
        name: "cp1".into(),
        pods,
        configz: Some(Ok(CONFIGZ.into())),
        kubelet_version: Some("v1.29.4".parse().unwrap()),
    };
    let inv = api::inventory(&source, &node, Some("1.29".parse().unwrap()));
    assert_eq!(inv.version.to_string(), "v1.29");
    let report = palisade_node::check(inv);
    let cp501 = report
        .findings
        .iter()
        .find(|f| f.code == "CP501")
        .expect("AlwaysAllow");
    assert!(
        cp501
            .message
            .contains("pod kube-system/kube-apiserver-cp1 command"),
        "{}",
        cp501.message
    );
    // The authentication config is a file on the node: anonymous auth is not evaluated.
    let row = report.benchmark.row("1.2.1").unwrap();
    assert_eq!(row.status.as_str(), "NOT EVALUATED");
    assert!(
        row.evidence
            .iter()
            .any(|e| e.contains("cannot be read through the Kubernetes API")),
        "{:?}",
        row.evidence
    );
    // File modes likewise.
    assert_eq!(
        report.benchmark.row("1.1.1").unwrap().status.as_str(),
        "NOT EVALUATED"
    );
    assert_eq!(report.benchmark.row("2.2").unwrap().status.as_str(), "PASS");
    assert_eq!(
        report.benchmark.row("1.2.15").unwrap().status.as_str(),
        "PASS"
    );
    // The kubelet from configz: anonymous auth on, with the configz key as provenance.
    let kl601 = report
        .findings
        .iter()
        .find(|f| f.code == "KL601")
        .expect("anonymous kubelet");
    assert!(
        kl601
            .message
            .contains("configz of node cp1 (authentication.anonymous.enabled)"),
        "{}",
        kl601.message
    );
    assert_eq!(
        report.benchmark.row("4.2.2").unwrap().status.as_str(),
        "PASS"
    );
    assert!(report
        .inventory
        .component(ComponentKind::Kubelet)
        .is_some_and(|k| k.version.to_string() == "v1.29"));
}

#[test]
fn unreadable_configz_leaves_the_kubelet_out_with_the_reason() {
    let source: Arc<str> = Arc::from("test-cluster");
    for configz in [
        Err("forbidden: nodes/proxy".to_owned()),
        Ok("not json {".to_owned()),
        Ok(r#"{"other": 1}"#.to_owned()),
    ] {
        let node = ApiNode {
            name: "w1".into(),
            configz: Some(configz),
            ..ApiNode::default()
        };
        let inv = api::inventory(&source, &node, None);
        assert!(inv.component(ComponentKind::Kubelet).is_none());
        assert_eq!(inv.problems.len(), 1, "{:?}", inv.problems);
        let report = palisade_node::check(inv);
        assert_eq!(
            report.benchmark.row("4.2.1").unwrap().status.as_str(),
            "NOT EVALUATED"
        );
    }
}
