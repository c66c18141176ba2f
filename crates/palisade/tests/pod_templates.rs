//! Kinds of other controllers declared in `palisade.yaml` (`pod-templates:`) get every pod rule;
//! undeclared, the same object gets none, and a bad declaration is a config error (exit 2).

use assert_cmd::Command;
use serde_json::Value;

const RUN: &str = "apiVersion: batch.example.com/v1\nkind: BatchRun\nmetadata:\n  name: nightly\n  \
namespace: jobs\nspec:\n  runner:\n    template:\n      metadata:\n        labels:\n          app: nightly\n      \
spec:\n        containers:\n          - name: main\n            image: registry.example.com/run:1.0\n            \
securityContext:\n              privileged: true\n";

const CONFIG: &str = "pod-templates:\n  - group: batch.example.com\n    kind: BatchRun\n    \
template: /spec/runner/template\n";

fn scan(dir: &std::path::Path, config: Option<&str>) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let mut c = Command::cargo_bin("palisade").expect("binary built");
    c.env("NO_COLOR", "1").current_dir(dir);
    c.args(["scan", "--format", "json", "--select", "PS"]);
    match config {
        Some(text) => {
            std::fs::write(dir.join("palisade.yaml"), text).unwrap();
            c.args(["--config", "palisade.yaml"]);
        }
        None => {
            c.arg("--no-config");
        }
    }
    let out = c.arg("run.yaml").output().unwrap();
    (out.status.code(), out.stdout, out.stderr)
}

fn findings(stdout: &[u8]) -> Vec<(String, String)> {
    let v: Value = serde_json::from_slice(stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["pointer"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_declared_kind_gets_the_pod_rules_at_its_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.yaml"), RUN).unwrap();

    let (code, stdout, stderr) = scan(dir.path(), None);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&stderr));
    assert!(findings(&stdout).is_empty());

    let (code, stdout, stderr) = scan(dir.path(), Some(CONFIG));
    assert_eq!(code, Some(1), "{}", String::from_utf8_lossy(&stderr));
    let found = findings(&stdout);
    let privileged = found
        .iter()
        .find(|(c, _)| c == "PS101")
        .unwrap_or_else(|| panic!("no PS101 in {found:?}"));
    assert_eq!(
        privileged.1,
        "/spec/runner/template/spec/containers/0/securityContext/privileged"
    );
}

#[test]
fn bad_declarations_are_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.yaml"), RUN).unwrap();
    for (config, want) in [
        (
            "pod-templates:\n  - group: apps\n    kind: Deployment\n    template: /spec/template\n",
            "built-in workload",
        ),
        (
            "pod-templates:\n  - kind: BatchRun\n    template: spec.template\n",
            "not a JSON pointer",
        ),
        ("pod-templates:\n  - kind: BatchRun\n", "needs a `template`"),
        (
            "pod-templates:\n  - kind: BatchRun\n    template: /spec\n    path: x\n",
            "unknown pod-templates field `path`",
        ),
    ] {
        let (code, _, stderr) = scan(dir.path(), Some(config));
        let stderr = String::from_utf8_lossy(&stderr);
        assert_eq!(code, Some(2), "{config}: {stderr}");
        assert!(stderr.contains(want), "{config}: {stderr}");
        // Every config error names the line it is about.
        assert!(
            ["2", "3", "4"]
                .iter()
                .any(|l| stderr.contains(&format!("palisade.yaml:{l}:"))),
            "{config}: {stderr}"
        );
    }
}
