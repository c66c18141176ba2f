//! End-to-end behaviour of `palisade` as a user and a CI pipeline see it: exit codes, bad input,
//! formats, configuration.

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

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] != Value::Bool(true))
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n    securityContext:\n      privileged: true\n";

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn insecure_example_fails_and_hardened_example_passes() {
    let out = palisade()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(repo().join("examples/insecure-app"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    let found = codes(&v);
    for expected in ["PS101", "PS102", "PS103"] {
        assert!(
            found.iter().any(|c| c == expected),
            "{expected} missing from {found:?}"
        );
    }

    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--fail-on",
            "low",
        ])
        .arg(repo().join("examples/hardened-app"))
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(codes(&v), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn yaml_1_1_booleans_are_true() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.yaml",
        PRIVILEGED_POD.replace("privileged: true", "privileged: on"),
    );
    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--select",
            "PS101",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(codes(&json_of(&out)), ["PS101"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn findings_point_at_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.yaml", PRIVILEGED_POD);
    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--select",
            "PS101",
        ])
        .arg(&p)
        .output()
        .unwrap();
    let v = json_of(&out);
    let f = &v["findings"][0];
    assert_eq!(f["line"], 10);
    assert_eq!(f["column"], 7);
    assert_eq!(
        f["pointer"],
        "/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(f["object"]["kind"], "Pod");
}

#[test]
fn bad_inputs_are_clear_errors_and_the_rest_is_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a-good.yaml", PRIVILEGED_POD);
    write(
        d,
        "b-broken.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n",
    );
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    write(d, "c-bomb.yaml", bomb);
    write(
        d,
        "d-binary.yaml",
        [0x7f, b'E', b'L', b'F', 0, 0, 1, 2, 0xff, 0xfe],
    );
    write(
        d,
        "e-latin1.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n",
    );
    // 50 MB: over the default 32 MiB limit.
    let big = "# padding line for a very large file\n".repeat(50 * 1024 * 1024 / 37);
    let big_len = big.len();
    write(d, "f-huge.yaml", big);
    write(
        d,
        "g-good.json",
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"containers":[{"name":"c","image":"x:1","securityContext":{"privileged":true}}]}}"#,
    );

    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--select",
            "PS101",
        ])
        .arg(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "input errors exit 2");
    let v = json_of(&out);
    // Both good files were scanned.
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("a-good.yaml")),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.ends_with("g-good.json")),
        "{files:?}"
    );
    let errors = v["errors"].as_array().unwrap();
    let msg = |name: &str| -> String {
        errors
            .iter()
            .find(|e| e["file"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no error for {name}: {errors:?}"))["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(msg("b-broken.yaml").contains("invalid YAML"));
    let broken = errors
        .iter()
        .find(|e| e["file"].as_str().unwrap().ends_with("b-broken.yaml"))
        .unwrap();
    assert!(broken["line"].as_u64().unwrap() >= 4, "{broken}");
    assert!(msg("c-bomb.yaml").contains("alias expansion"));
    assert!(msg("d-binary.yaml").contains("not a text file"));
    assert!(msg("e-latin1.yaml").contains("UTF-8"));
    // Its real size, known without reading it.
    assert_eq!(
        msg("f-huge.yaml"),
        format!(
            "file is {big_len} bytes, over the 33554432-byte limit (raise it with --max-file-size)"
        )
    );
    assert_eq!(errors.len(), 5, "{errors:?}");
}

#[test]
fn cross_object_rules_see_objects_of_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  serviceAccountName: web\n  containers:\n  - name: c\n    image: x:1\n";
    write(dir.path(), "a-pod.yaml", pod);
    let scan = |dir: &Path| {
        let out = palisade()
            .args([
                "scan",
                "--no-config",
                "--format",
                "json",
                "--select",
                "RB201",
            ])
            .arg(dir)
            .output()
            .unwrap();
        codes(&json_of(&out))
    };
    assert_eq!(
        scan(dir.path()),
        ["RB201"],
        "no ServiceAccount in the scan: the pod mounts a token"
    );
    write(
        dir.path(),
        "b-sa.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\nautomountServiceAccountToken: false\n",
    );
    assert_eq!(
        scan(dir.path()),
        Vec::<String>::new(),
        "the ServiceAccount disables the token"
    );
}

#[test]
fn text_output_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.yaml", PRIVILEGED_POD);
    write(dir.path(), "broken.yaml", "a: [\n");
    let out = palisade()
        .args(["scan", "--no-config", "--select", "PS101"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("{}:10:7", p.display())), "{text}");
    assert!(text.contains("broken.yaml:"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour when not on a terminal");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn stdin_is_scanned() {
    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--select",
            "PS101",
            "-",
        ])
        .write_stdin(PRIVILEGED_POD)
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(v["findings"][0]["file"], "<stdin>");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn pod_security_mode_reports_upstream_check_ids() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.yaml", PRIVILEGED_POD);
    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--pod-security",
            "baseline:v1.30",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    let checks: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pss_check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["privileged"]);
    assert!(v["findings"][0]["file"]
        .as_str()
        .unwrap()
        .ends_with("p.yaml"));

    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--pod-security",
            "privileged",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "nothing is forbidden at privileged"
    );

    let out = palisade()
        .args(["scan", "--no-config", "--pod-security", "strict"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown Pod Security level"));
}

#[test]
fn exemptions_suppress_but_keep_findings() {
    let dir = tempfile::tempdir().unwrap();
    let annotated = PRIVILEGED_POD.replace(
        "  name: p\n",
        "  name: p\n  annotations:\n    palisade.dev/ignore: \"PS101 — node agent needs it\"\n",
    );
    let p = write(dir.path(), "p.yaml", annotated);
    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--select",
            "PS101",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = json_of(&out);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "PS101");
    assert_eq!(f["suppressed"], true);
    assert_eq!(f["suppression_reason"], "node agent needs it");

    // The same through the config file.
    let p = write(dir.path(), "q.yaml", PRIVILEGED_POD);
    let cfg = write(
        dir.path(),
        "palisade.yaml",
        "exemptions:\n  - codes: [PS101]\n    kind: Pod\n    name: p\n    reason: accepted\n",
    );
    let out = palisade()
        .args(["scan", "--format", "json", "--select", "PS101", "--config"])
        .arg(&cfg)
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json_of(&out)["findings"][0]["suppression_reason"],
        "accepted"
    );
}

#[test]
fn config_is_discovered_upward_and_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    write(dir.path(), "palisade.yaml", "fail-on: critical\n");
    write(
        &sub,
        "p.yaml",
        PRIVILEGED_POD.replace("privileged: true", "privileged: false"),
    );
    // fail-on: critical from the discovered config; host-port-free pod has no critical finding.
    let out = palisade()
        .current_dir(&sub)
        .args(["scan", "p.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    write(
        dir.path(),
        "palisade.yaml",
        "fail-on: high\nignroe: [PS1]\n",
    );
    let out = palisade()
        .current_dir(&sub)
        .args(["scan", "p.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("palisade.yaml:2:1"), "{err}");
    assert!(err.contains("unknown setting `ignroe`"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let out = palisade()
        .args(["scan", "--select", "XX999", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule matches `XX999`"));
    let out = palisade()
        .args(["scan", "--fail-on", "severe", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = palisade().args(["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = palisade()
        .args(["scan", "/definitely/not/here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = palisade().args(["explain", "NOPE1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_rule_is_documented_and_explained() {
    let out = palisade()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    assert!(rules.len() >= 20, "only {} rules", rules.len());
    let mut seen = std::collections::HashSet::new();
    for r in rules {
        let code = r["code"].as_str().unwrap();
        assert!(seen.insert(code.to_owned()), "duplicate code {code}");
        let severity = r["severity"].as_str().unwrap();
        assert!(
            ["critical", "high", "medium", "low"].contains(&severity),
            "{code}: severity {severity}"
        );
        for field in [
            "name", "guide", "summary", "what", "why", "example", "fix", "help",
        ] {
            let text = r[field].as_str().unwrap_or("");
            assert!(text.trim().len() > 3, "{code} lacks `{field}`");
        }
        let name = r["name"].as_str().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{code}: name `{name}` is not kebab-case"
        );
        let out = palisade().args(["explain", code]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "explain {code}");
        let text = String::from_utf8_lossy(&out.stdout);
        for heading in [
            "## What it checks",
            "## Why it matters",
            "## Example",
            "## How to fix",
        ] {
            assert!(text.contains(heading), "explain {code} lacks {heading}");
        }
    }
}

/// Every file of the real-world corpus scans with no parse error and no panic.
#[test]
fn real_world_corpus_scans_cleanly() {
    let corpus = repo().join("../shared/corpus/real-world");
    if !corpus.is_dir() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let out = palisade()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(&corpus)
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{}", v["errors"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}",
        out.status.code()
    );
    assert_eq!(v["summary"]["files"], 1456);
    // SOURCES.md counts 2,486 objects; List items are counted one by one.
    assert!(
        v["summary"]["objects"].as_u64().unwrap() >= 2486,
        "{}",
        v["summary"]
    );
}

#[test]
fn cluster_errors_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let out = palisade()
        .args(["cluster", "--no-config", "--kubeconfig"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot load the kubeconfig"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // Nothing listens on port 9 of the loopback address: a refused connection, reported once.
    let kc = write(
        dir.path(),
        "kc",
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n    server: https://127.0.0.1:9\n    insecure-skip-tls-verify: true\ncontexts:\n- name: t\n  context: {cluster: t, user: t}\nusers:\n- name: t\n  user: {token: x}\n",
    );
    let out = palisade()
        .args([
            "cluster",
            "--no-config",
            "--request-timeout",
            "2",
            "--kubeconfig",
        ])
        .arg(&kc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot connect to the API server at https://127.0.0.1:9"),
        "{err}"
    );
}

#[test]
fn palisade_passes_its_own_deployment() {
    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--fail-on",
            "low",
        ])
        .arg(repo().join("deploy"))
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(codes(&v), Vec::<String>::new());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn not_evaluated_rules_can_fail_the_run() {
    // A workload whose Namespace is not in the files: PS164 cannot say what the namespace enforces.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "d.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  automountServiceAccountToken: false\n  containers:\n  - name: c\n    image: x:1\n",
    );
    let run = |extra: &[&str]| {
        palisade()
            .args([
                "scan",
                "--no-config",
                "--format",
                "json",
                "--select",
                "PS164",
            ])
            .args(extra)
            .arg(&p)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let v = json_of(&out);
    assert!(
        !v["summary"]["not_evaluated"].as_array().unwrap().is_empty(),
        "{}",
        v["summary"]
    );
    assert_eq!(out.status.code(), Some(0), "not evaluated is not a finding");
    assert_eq!(run(&["--fail-on-not-evaluated"]).status.code(), Some(1));
}

/// A directory whose manifests are all under hidden paths is not a clean scan: nothing was
/// scanned, and the run says so, naming the argument and why, and exits 2 (in every format).
#[test]
fn a_directory_with_nothing_to_scan_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::create_dir_all(dir.path().join(".hidden")).unwrap();
    write(&dir.path().join(".hidden"), "x.yaml", PRIVILEGED_POD);
    write(
        &dir.path().join(".github/workflows"),
        "ci.yml",
        "on: push\n",
    );
    write(dir.path(), "README.md", "# not a manifest\n");
    for format in ["text", "json"] {
        let out = palisade()
            .args(["scan", "--no-config", "--format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("nothing to scan"), "{all}");
        assert!(!all.contains("Passed:"), "{all}");
        assert!(all.contains(".github, .hidden"), "{all}");
        assert!(all.contains(&dir.path().display().to_string()), "{all}");
    }
    // Naming the hidden directory scans it.
    let out = palisade()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(dir.path().join(".hidden"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // An empty directory says there is no manifest at all.
    let empty = tempfile::tempdir().unwrap();
    let out = palisade()
        .args(["scan", "--no-config"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("no .yaml, .yml or .json file"), "{all}");
}

/// A UTF-16 manifest (as Windows tools write them) is scanned as kubectl reads it, with positions
/// of the original file, and `palisade fix` writes it back in UTF-16.
#[test]
fn utf16_manifests_are_scanned_and_fixed_in_their_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("# caf\u{e9} \u{1F600}\n{PRIVILEGED_POD}");
    for (name, be) in [("le.yaml", false), ("be.yaml", true)] {
        let mut bytes: Vec<u8> = Vec::new();
        for u in std::iter::once(0xFEFF).chain(text.encode_utf16()) {
            bytes.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        let path = write(dir.path(), name, &bytes);
        let out = palisade()
            .args([
                "scan",
                "--no-config",
                "--format",
                "json",
                "--select",
                "PS101",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json_of(&out);
        let f = &v["findings"][0];
        assert_eq!(f["code"], "PS101");
        // `privileged: true` is on line 11 of the file, its key at column 7.
        assert_eq!(f["line"], 11, "{f}");
        assert_eq!(f["column"], 7, "{f}");
        let out = palisade()
            .args(["fix", "--no-config", "--unsafe-fixes", "--select", "PS101"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fixed = std::fs::read(&path).unwrap();
        assert_eq!(
            palisade_core::source::Encoding::of(&fixed),
            if be {
                palisade_core::source::Encoding::Utf16Be
            } else {
                palisade_core::source::Encoding::Utf16Le
            }
        );
        let decoded = palisade_core::source::decode(&fixed, &Default::default()).unwrap();
        assert!(decoded.contains("privileged: false"), "{decoded}");
        assert!(decoded.starts_with("# caf\u{e9} \u{1F600}\n"), "{decoded}");
    }
}
