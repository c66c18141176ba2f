//! The Kubernetes Dashboard (`RB250`–`RB253`, `NP340`–`NP341`): the guide's critical Dashboard
//! item — its service account bound to cluster-admin, the Dashboard exposed outside the
//! cluster, login-weakening flags — and the note that the project is archived.
//!
//! A workload is the Dashboard when a container runs a Dashboard image
//! (`kubernetesui/dashboard*`, `…/kubernetes-dashboard*` such as
//! `k8s.gcr.io/kubernetes-dashboard-amd64`) or its pod carries the Dashboard's labels
//! (`k8s-app: kubernetes-dashboard`, `app.kubernetes.io/name: kubernetes-dashboard`).
//!
//! The cross-object rules keep, of each Dashboard workload, only a projection
//! ([`dashboard_projection`]: namespace, labels, service account) plus the small objects they
//! join it with (bindings, Services, Ingresses). `--enable-skip-login` is RB203's
//! ([`crate::workload`]); whether a NetworkPolicy isolates the Dashboard belongs to the
//! NetworkPolicy rules.

use crate::netpol::ServiceSelector;
use palisade_core::image::ImageRef;
use palisade_core::yaml::Node;
use palisade_core::{Container, Keep, Object, ObjectRef, PodTemplate};

/// Label pairs that mark the Dashboard's pods in its upstream manifests and Helm chart.
pub const LABELS: [(&str, &str); 2] = [
    ("k8s-app", "kubernetes-dashboard"),
    ("app.kubernetes.io/name", "kubernetes-dashboard"),
];

/// Is `image` a Kubernetes Dashboard image? The repository's last path component starts with
/// `kubernetes-dashboard` (`k8s.gcr.io/kubernetes-dashboard-amd64`,
/// `kubernetes/kubernetes-dashboard-amd64`), or with `dashboard` under `kubernetesui/`
/// (`kubernetesui/dashboard`, `docker.io/kubernetesui/dashboard-api`); tag and digest ignored.
/// The metrics scraper (`kubernetesui/dashboard-metrics-scraper`, `metrics-scraper`) ships with
/// it but serves no UI and no login: it is not the Dashboard. The one test of Dashboard images,
/// for its rules and for the network rules.
pub fn is_dashboard_image(image: &str) -> bool {
    // Both names hold `dashboard`, and the last path component is a piece of the text: most
    // images are settled here without taking the reference apart (every rule of every workload
    // at admission asks).
    if !image.contains("dashboard") {
        return false;
    }
    // Split, not parsed: a malformed tag or digest does not make it another program.
    let r = ImageRef::split(image);
    let mut parts = r.path.rsplit('/');
    let last = parts.next().unwrap_or("");
    let owner = parts.next().unwrap_or("");
    if last.contains("metrics") {
        return false;
    }
    last.starts_with("kubernetes-dashboard")
        || (owner == "kubernetesui" && last.starts_with("dashboard"))
}

/// Does a `labels` mapping carry one of the Dashboard's labels?
pub fn has_dashboard_label(labels: Option<&Node>) -> bool {
    let Some(labels) = labels else { return false };
    LABELS
        .iter()
        .any(|(k, v)| labels.get(k).and_then(Node::as_str) == Some(v))
}

/// The containers of `pod` that run the Dashboard: those with a Dashboard image, or all of them
/// when the pod is the Dashboard by its labels only (a mirrored or rebuilt image).
pub fn dashboard_containers<'a>(object: &'a Object, pod: &PodTemplate<'a>) -> Vec<Container<'a>> {
    let by_image: Vec<Container<'a>> = pod
        .containers()
        .filter(|c| {
            c.node
                .get("image")
                .and_then(Node::as_str)
                .is_some_and(is_dashboard_image)
        })
        .collect();
    if !by_image.is_empty() {
        return by_image;
    }
    let labelled = has_dashboard_label(pod.metadata.and_then(|m| m.get("labels")))
        || has_dashboard_label(object.node.path(&["metadata", "labels"]));
    if labelled {
        pod.containers().collect()
    } else {
        Vec::new()
    }
}

/// What the rules about a Dashboard workload judge: workloads running it.
pub const JUDGES: palisade_core::Judges = palisade_core::Judges {
    what: "Kubernetes Dashboard workloads",
    test: |_, o, pod| pod.is_some_and(|p| !dashboard_containers(o, p).is_empty()),
};

/// Is `object` a workload that runs the Dashboard?
pub fn is_dashboard(object: &Object) -> bool {
    object
        .pod_template()
        .is_some_and(|pod| !dashboard_containers(object, &pod).is_empty())
}

/// What the cross-object Dashboard rules keep of a Dashboard workload: its identity, its pod
/// labels (which Services select), its service account and its containers' names (so that the
/// projection still has a pod template). `None` for anything else.
pub fn dashboard_projection(object: &Object) -> Option<Keep> {
    if !is_dashboard(object) {
        return None;
    }
    Keep::pod(
        object,
        &[&["labels"]],
        &[
            &["serviceAccountName"],
            &["serviceAccount"],
            &["containers", "name"],
        ],
        &[],
    )
}

/// The pod labels of a kept Dashboard projection.
pub(crate) fn pod_labels(projection: &Object) -> Option<&Node> {
    projection
        .pod_template()
        .and_then(|p| p.metadata)
        .and_then(|m| m.get("labels"))
}

/// The service account a kept Dashboard projection runs as.
pub(crate) fn service_account(projection: &Object) -> Option<&str> {
    projection
        .pod_template()
        .map(|pod| crate::workload::token_mount(&pod).service_account)
}

/// Does `service` select pods with `labels` (see [`ServiceSelector`])?
pub fn selects(service: &Object, labels: Option<&Node>) -> bool {
    ServiceSelector::of(&service.node).is_some_and(|selector| {
        selector.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Node::as_str))
    })
}

/// A reference to an object of `kind` in the core group.
pub(crate) fn core_ref(kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".to_owned(),
        kind: kind.to_owned(),
        namespace: namespace.map(str::to_owned),
        name: Some(name.to_owned()),
    }
}

/// A Service or Ingress backend name that is the Dashboard's by its upstream naming
/// (`kubernetes-dashboard`, and the Helm chart's `kubernetes-dashboard-kong-proxy`,
/// `-web`, `-api`, `-auth`), not its metrics scraper.
pub fn is_dashboard_name(name: &str) -> bool {
    (name == "kubernetes-dashboard" || name.starts_with("kubernetes-dashboard-"))
        && !name.ends_with("metrics-scraper")
}

/// The value a Go (`flag`/`pflag`) flag `name` gets from one command-line word, if the word
/// sets it: `Some("")` when bare, `Some(value)` for `--name=value` (one or two dashes).
pub(crate) fn go_flag<'w>(word: &'w str, name: &str) -> Option<&'w str> {
    let rest = word
        .strip_prefix("--")
        .or_else(|| word.strip_prefix('-'))?
        .strip_prefix(name)?;
    match rest {
        "" => Some(""),
        _ => rest.strip_prefix('='),
    }
}

/// A boolean flag's value as Go's `strconv.ParseBool` reads it (bare means true); an invalid
/// value is a start-up error of the program, taken as "not enabled".
pub(crate) fn go_bool(value: &str) -> bool {
    matches!(value, "" | "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// The last occurrence of flag `name` in a container's `command` and `args` (also inside a
/// `sh -c` string): its value and the pointer of the item that sets it. The last one wins, as
/// for any Go flag.
pub(crate) fn last_flag<'a>(c: &Container<'a>, name: &str) -> Option<(&'a str, String)> {
    let mut last = None;
    for field in ["command", "args"] {
        let items = c.node.get(field).map(Node::items).unwrap_or(&[]);
        for (i, item) in items.iter().enumerate() {
            let Some(text) = item.as_str() else { continue };
            for word in text.split_whitespace() {
                if let Some(v) = go_flag(word, name) {
                    last = Some((v, format!("{}/{field}/{i}", c.pointer)));
                }
            }
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn dashboard_images() {
        for yes in [
            "kubernetesui/dashboard:v2.7.0",
            "docker.io/kubernetesui/dashboard-api:1.10.1",
            "kubernetesui/dashboard-web@sha256:abc",
            "k8s.gcr.io/kubernetes-dashboard-amd64:v1.10.1",
            "gcr.io/google_containers/kubernetes-dashboard-amd64:v1.8.3",
            "kubernetes/kubernetes-dashboard-amd64:head",
            "registry.local:5000/kubernetes-dashboard:v2",
        ] {
            assert!(is_dashboard_image(yes), "{yes}");
        }
        for no in [
            "kubernetesui/metrics-scraper:v1.0.8",
            "docker.io/kubernetesui/dashboard-metrics-scraper:1.2.2",
            "nginx:1.27",
            "example.com/dashboard:1",
            "grafana/grafana:10",
            "registry.local:5000/kubernetesui:dashboard",
        ] {
            assert!(!is_dashboard_image(no), "{no}");
        }
    }

    #[test]
    pub(crate) fn go_flags() {
        assert_eq!(
            go_flag("--enable-insecure-login", "enable-insecure-login"),
            Some("")
        );
        assert_eq!(
            go_flag("-enable-insecure-login=false", "enable-insecure-login"),
            Some("false")
        );
        assert_eq!(
            go_flag("--enable-insecure-login-x", "enable-insecure-login"),
            None
        );
        assert_eq!(
            go_flag("enable-insecure-login", "enable-insecure-login"),
            None
        );
        assert!(go_bool("") && go_bool("T") && !go_bool("false") && !go_bool("yes"));
    }

    #[test]
    pub(crate) fn names() {
        assert!(is_dashboard_name("kubernetes-dashboard"));
        assert!(is_dashboard_name("kubernetes-dashboard-kong-proxy"));
        assert!(!is_dashboard_name("kubernetes-dashboard-metrics-scraper"));
        assert!(!is_dashboard_name("dashboard"));
    }
}
