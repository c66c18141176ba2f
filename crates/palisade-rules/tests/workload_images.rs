//! IM401–IM403: pull policy, mutable tags, registry allow-list.

mod workload_support;

use palisade_core::Settings;
use workload_support::*;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A Pod with one init container, one container and one ephemeral container, all with `image`
/// and the given extra lines.
fn three(image: &str, extra: &str) -> String {
    pod(&format!(
        "  initContainers:\n  - name: init\n    image: \"{image}\"\n{extra}  containers:\n  - name: main\n    image: \"{image}\"\n{extra}  ephemeralContainers:\n  - name: debug\n    image: \"{image}\"\n{extra}"
    ))
}

fn image_pod(image: &str, extra: &str) -> String {
    pod(&format!(
        "  containers:\n  - name: c\n    image: \"{image}\"\n{extra}"
    ))
}

#[test]
fn im401_pull_policy() {
    let p = "/spec/containers/0/imagePullPolicy";
    let with_digest = format!("nginx@{DIGEST}");
    let latest_with_digest = format!("nginx:latest@{DIGEST}");
    let cases: &[(&str, String, &[&str])] = &[
        (
            "Always",
            image_pod("nginx:1.27", "    imagePullPolicy: Always\n"),
            &[],
        ),
        (
            "IfNotPresent",
            image_pod("nginx:1.27", "    imagePullPolicy: IfNotPresent\n"),
            &[p],
        ),
        (
            "Never",
            image_pod("nginx", "    imagePullPolicy: Never\n"),
            &[p],
        ),
        (
            "invalid value",
            image_pod("nginx", "    imagePullPolicy: always\n"),
            &[p],
        ),
        (
            "absent, pinned tag defaults to IfNotPresent",
            image_pod("nginx:1.27", ""),
            &[p],
        ),
        (
            "absent, no tag defaults to Always",
            image_pod("nginx", ""),
            &[],
        ),
        (
            "absent, :latest defaults to Always",
            image_pod("nginx:latest", ""),
            &[],
        ),
        (
            "absent, registry port is not a tag",
            image_pod("localhost:5000/app", ""),
            &[],
        ),
        (
            "absent, port and tag",
            image_pod("localhost:5000/app:v2", ""),
            &[p],
        ),
        (
            "absent, digest defaults to IfNotPresent",
            image_pod(&with_digest, ""),
            &[p],
        ),
        (
            "absent, latest with digest defaults to Always",
            image_pod(&latest_with_digest, ""),
            &[],
        ),
        (
            "null is absent",
            image_pod("nginx:1.27", "    imagePullPolicy: null\n"),
            &[p],
        ),
        ("no image", pod("  containers:\n  - name: c\n"), &[]),
    ];
    for (name, yaml, expected) in cases {
        assert_pointers(name, &check("IM401", yaml), expected);
    }
}

#[test]
fn im401_messages_and_container_kinds() {
    let f = check("IM401", &three("nginx:1.27", ""));
    assert_pointers(
        "all three lists",
        &f,
        &[
            "/spec/initContainers/0/imagePullPolicy",
            "/spec/containers/0/imagePullPolicy",
            "/spec/ephemeralContainers/0/imagePullPolicy",
        ],
    );
    assert!(
        f[0].message.starts_with("init container \"init\""),
        "{}",
        f[0].message
    );
    assert!(
        f[2].message.starts_with("ephemeral container \"debug\""),
        "{}",
        f[2].message
    );
    assert!(
        f[1].message.contains("defaults it to IfNotPresent") && f[1].message.contains("\"1.27\""),
        "{}",
        f[1].message
    );
    assert_eq!(f[1].container.as_deref(), Some("main"));
    let f = check("IM401", &image_pod(&format!("nginx@{DIGEST}"), ""));
    assert!(
        f[0].message.contains("pinned by digest"),
        "{}",
        f[0].message
    );
    let f = check(
        "IM401",
        &image_pod("nginx", "    imagePullPolicy: IfNotPresent\n"),
    );
    assert!(
        f[0].message.contains("imagePullPolicy: IfNotPresent"),
        "{}",
        f[0].message
    );
}

#[test]
fn im401_workloads() {
    let cron = "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: j
spec:
  schedule: '0 * * * *'
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: c
            image: registry.example.com/job:3
";
    assert_pointers(
        "cronjob",
        &check("IM401", cron),
        &["/spec/jobTemplate/spec/template/spec/containers/0/imagePullPolicy"],
    );
}

#[test]
fn im402_mutable_tags() {
    let p = "/spec/containers/0/image";
    let cases: &[(&str, String, &[&str])] = &[
        ("no tag", image_pod("nginx", ""), &[p]),
        ("latest", image_pod("nginx:latest", ""), &[p]),
        ("pinned tag", image_pod("nginx:1.27.3", ""), &[]),
        (
            "digest only",
            image_pod(&format!("nginx@{DIGEST}"), ""),
            &[],
        ),
        (
            "latest with digest",
            image_pod(&format!("nginx:latest@{DIGEST}"), ""),
            &[],
        ),
        (
            "registry port, no tag",
            image_pod("localhost:5000/app", ""),
            &[p],
        ),
        (
            "registry port, tag",
            image_pod("localhost:5000/app:1.0", ""),
            &[],
        ),
        (
            "registry port, latest",
            image_pod("registry.local:5000/team/app:latest", ""),
            &[p],
        ),
        ("Latest is another tag", image_pod("nginx:Latest", ""), &[]),
        ("unrendered placeholder", image_pod("${IMAGE}", ""), &[]),
    ];
    for (name, yaml, expected) in cases {
        assert_pointers(name, &check("IM402", yaml), expected);
    }
    let f = check("IM402", &three("busybox", ""));
    assert_eq!(f.len(), 3);
    assert!(f[0].message.contains("has no tag"), "{}", f[0].message);
    let f = check("IM402", &image_pod("nginx:latest", ""));
    assert!(f[0].message.contains(":latest") && f[0].message.contains("\"nginx:latest\""));
}

fn allow(entries: &[&str]) -> Settings {
    Settings {
        allowed_registries: entries.iter().map(|s| s.to_string()).collect(),
        ..Settings::default()
    }
}

#[test]
fn im403_registry_allow_list() {
    let p = "/spec/containers/0/image";
    let list = allow(&["registry.example.com", "docker.io/library", "ghcr.io/org"]);
    let cases: &[(&str, &str, &[&str])] = &[
        ("official Docker Hub image", "nginx:1.27", &[]),
        (
            "official image, explicit host",
            "docker.io/library/nginx:1.27",
            &[],
        ),
        (
            "official image, index host",
            "index.docker.io/library/nginx",
            &[],
        ),
        ("Docker Hub user image", "randomuser/xmrig:latest", &[p]),
        ("allowed host", "registry.example.com/team/app:1", &[]),
        (
            "allowed host, other port",
            "registry.example.com:5000/team/app:1",
            &[p],
        ),
        (
            "host only as a path",
            "evil.example.org/registry.example.com/app:1",
            &[p],
        ),
        ("allowed org", "ghcr.io/org/app:1", &[]),
        ("allowed org, nested", "ghcr.io/org/team/app:1", &[]),
        (
            "org prefix is not a segment",
            "ghcr.io/organisation/app:1",
            &[p],
        ),
        ("other org", "ghcr.io/other/app:1", &[p]),
        ("local registry", "localhost:5000/app", &[p]),
        ("invalid reference", "Not A Valid Image", &[p]),
    ];
    for (name, image, expected) in cases {
        assert_pointers(
            name,
            &check_with("IM403", &list, &image_pod(image, "")),
            expected,
        );
    }
    let f = check_with("IM403", &list, &image_pod("randomuser/xmrig", ""));
    assert!(
        f[0].message.contains("docker.io/randomuser/xmrig"),
        "{}",
        f[0].message
    );
    let f = check_with("IM403", &list, &image_pod("Bad Image", ""));
    assert!(
        f[0].message.contains("not a valid image reference"),
        "{}",
        f[0].message
    );
}

#[test]
fn im403_off_without_a_list_and_ports_in_entries() {
    assert_pointers(
        "no allow-list",
        &check("IM403", &image_pod("randomuser/xmrig", "")),
        &[],
    );
    let list = allow(&["localhost:5000"]);
    assert_pointers(
        "host with port",
        &check_with("IM403", &list, &three("localhost:5000/app:1", "")),
        &[],
    );
    // An unparseable entry allows nothing (rather than everything).
    let list = allow(&["not a registry"]);
    assert_eq!(check_with("IM403", &list, &image_pod("nginx", "")).len(), 1);
}
