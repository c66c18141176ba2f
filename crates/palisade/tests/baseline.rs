//! `--baseline` / `--write-baseline`: adopting Palisade in CI without a flag day. A repository
//! with findings records them once; later runs fail only on what is new, whatever moved.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn palisade() -> Command {
    let mut c = Command::cargo_bin("palisade").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A copy of the insecure example: plenty of findings of every severity, across two files.
fn insecure_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir(&app).unwrap();
    for entry in std::fs::read_dir(repo().join("examples/insecure-app")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), app.join(entry.file_name())).unwrap();
    }
    dir
}

fn scan(dir: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let out = palisade()
        .current_dir(dir)
        .args(["scan", "app", "--no-config", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), json)
}

fn new_findings(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baselined"] == Value::Bool(false) && f["suppressed"] == Value::Bool(false))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["container"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, f(text)).unwrap();
}

#[test]
fn an_unchanged_repository_passes_against_its_own_baseline() {
    let dir = insecure_copy();
    let (code, written) = scan(dir.path(), &["--write-baseline", "base.json"]);
    // Writing a baseline does not change the verdict of the run itself.
    assert_eq!(code, Some(1));
    let total = written["findings"].as_array().unwrap().len();
    assert!(total > 20, "{total}");

    let (code, v) = scan(dir.path(), &["--baseline", "base.json"]);
    assert_eq!(code, Some(0), "{v:#}");
    assert!(new_findings(&v).is_empty());
    let b = &v["summary"]["baseline"];
    assert_eq!(b["new"], 0);
    assert_eq!(b["unchanged"].as_u64().unwrap() as usize, total);
    assert_eq!(b["absent"], 0);
    assert_eq!(v["summary"]["failing"], 0);
}

#[test]
fn shifted_and_reordered_text_changes_nothing() {
    let dir = insecure_copy();
    scan(dir.path(), &["--write-baseline", "base.json"]);
    let app = dir.path().join("app");
    // Every line moves down; the documents of pod.yaml swap places.
    edit(&app.join("deployment.yaml"), |t| {
        format!("# reviewed 2026-12\n\n{t}")
    });
    edit(&app.join("pod.yaml"), |t| {
        let docs: Vec<&str> = t.split("\n---\n").collect();
        assert_eq!(docs.len(), 2, "{t}");
        format!(
            "# moved\n{}\n---\n{}\n",
            docs[1].trim_end(),
            docs[0].trim_end()
        )
    });
    let (code, v) = scan(dir.path(), &["--baseline", "base.json"]);
    assert_eq!(code, Some(0), "{:?}", new_findings(&v));
    assert!(new_findings(&v).is_empty());
    assert_eq!(v["summary"]["baseline"]["absent"], 0);
}

#[test]
fn a_new_privileged_container_is_the_only_new_thing() {
    let dir = insecure_copy();
    scan(dir.path(), &["--write-baseline", "base.json"]);
    // A container inserted *before* the existing one: indices shift, names do not.
    edit(&dir.path().join("app/pod.yaml"), |t| {
        t.replacen(
            "  containers:\n",
            "  containers:\n    - name: sidecar\n      image: evil:1.0\n      securityContext:\n        privileged: true\n",
            1,
        )
    });
    let (code, v) = scan(dir.path(), &["--baseline", "base.json"]);
    assert_eq!(code, Some(1));
    let new = new_findings(&v);
    assert!(new.iter().all(|(_, c)| c == "sidecar"), "{new:?}");
    assert!(new.contains(&("PS101".to_owned(), "sidecar".to_owned())));
    // Only the privileged container is at or above the default threshold (high).
    assert_eq!(v["summary"]["failing"], 1, "{new:?}");
    assert_eq!(v["summary"]["baseline"]["absent"], 0);

    // SARIF says the same through baselineState.
    let out = palisade()
        .current_dir(dir.path())
        .args(["scan", "app", "--no-config", "--format", "sarif"])
        .args(["--baseline", "base.json"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let states: Vec<&str> = results
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == "new").count(),
        new.len(),
        "{states:?}"
    );
    assert!(states.iter().all(|s| *s == "new" || *s == "unchanged"));

    // Text: the summary says what the baseline did, baselined findings are marked.
    let out = palisade()
        .current_dir(dir.path())
        .args(["scan", "app", "--no-config", "--baseline", "base.json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(baselined)"), "{text}");
    assert!(
        text.contains(&format!("Baseline base.json: {} findings new", new.len())),
        "{text}"
    );
}

#[test]
fn fixed_findings_are_counted_as_absent() {
    let dir = insecure_copy();
    scan(dir.path(), &["--write-baseline", "base.json"]);
    edit(&dir.path().join("app/pod.yaml"), |t| {
        t.replacen("  hostIPC: true\n", "", 1)
    });
    let (code, v) = scan(dir.path(), &["--baseline", "base.json"]);
    assert_eq!(code, Some(0));
    assert_eq!(v["summary"]["baseline"]["absent"], 1);
    assert_eq!(v["summary"]["baseline"]["new"], 0);
}

#[test]
fn a_bad_baseline_is_a_usage_error() {
    let dir = insecure_copy();
    std::fs::write(dir.path().join("bad.json"), "{\"findings\": 3}").unwrap();
    std::fs::write(
        dir.path().join("future.json"),
        "{\"schema_version\": 99, \"findings\": []}",
    )
    .unwrap();
    for (file, says) in [
        ("bad.json", "not a Palisade JSON report"),
        ("future.json", "schema 99"),
        ("missing.json", "cannot read"),
    ] {
        let out = palisade()
            .current_dir(dir.path())
            .args(["scan", "app", "--no-config", "--baseline", file])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says) && err.contains(file), "{file}: {err}");
        assert!(out.stdout.is_empty(), "no report before the error");
    }
}
