//! `palisade fix`: snapshots of `--diff` on layouts that must survive editing (comments, anchors,
//! flow style, multi-document files, CRLF, Lists), in-place writing, stdin → stdout, and a
//! property test over the real-world corpus.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use palisade_core::yaml::edit::verify_documents;
use rayon::prelude::*;
use serde_json::Value;

fn palisade() -> Command {
    let mut c = Command::cargo_bin("palisade").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix")
}

/// stdout, stderr and exit code of `palisade fix --no-config ARGS` run in the fixtures
/// directory (so paths in the diff are relative and stable).
fn fix_in_fixtures(args: &[&str]) -> String {
    let out = palisade()
        .current_dir(fixtures())
        .arg("fix")
        .arg("--no-config")
        .args(args)
        .output()
        .unwrap();
    render(&out)
}

fn render(out: &Output) -> String {
    // Carriage returns made visible: a snapshot must show that CRLF survives.
    format!(
        "{}--- stderr\n{}--- exit {}\n",
        String::from_utf8_lossy(&out.stdout).replace('\r', "␍"),
        String::from_utf8_lossy(&out.stderr),
        out.status.code().unwrap()
    )
}

#[test]
fn diff_keeps_comments_quoting_and_order() {
    insta::assert_snapshot!(fix_in_fixtures(&[
        "--diff",
        "--unsafe-fixes",
        "comments.yaml"
    ]));
}

#[test]
fn without_unsafe_fixes_only_safe_ones_apply() {
    insta::assert_snapshot!(fix_in_fixtures(&["--diff", "comments.yaml", "multi.yaml"]));
}

#[test]
fn diff_never_edits_through_anchors() {
    insta::assert_snapshot!(fix_in_fixtures(&[
        "--diff",
        "--unsafe-fixes",
        "anchors.yaml"
    ]));
}

#[test]
fn diff_edits_flow_style_in_flow_style() {
    insta::assert_snapshot!(fix_in_fixtures(&["--diff", "--unsafe-fixes", "flow.yaml"]));
}

#[test]
fn diff_of_a_multi_document_file() {
    insta::assert_snapshot!(fix_in_fixtures(&["--diff", "--unsafe-fixes", "multi.yaml"]));
}

#[test]
fn diff_keeps_crlf() {
    insta::assert_snapshot!(fix_in_fixtures(&["--diff", "--unsafe-fixes", "crlf.yaml"]));
}

#[test]
fn diff_of_list_items() {
    insta::assert_snapshot!(fix_in_fixtures(&["--diff", "--unsafe-fixes", "list.yaml"]));
}

#[test]
fn select_limits_the_rules_fixed() {
    let out = fix_in_fixtures(&[
        "--diff",
        "--unsafe-fixes",
        "--select",
        "PS102",
        "comments.yaml",
    ]);
    assert!(out.contains("+      hostPID: false"), "{out}");
    assert!(!out.contains("privileged: false"), "{out}");
}

fn scan_codes(path: &Path) -> Vec<(String, String)> {
    let out = palisade()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
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

#[cfg(unix)]
#[test]
fn writes_in_place_keeping_permissions_and_fixes_what_it_says() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::copy(fixtures().join("comments.yaml"), &file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = scan_codes(&file);
    assert!(before.iter().any(|(c, _)| c == "PS101"));

    let out = palisade()
        .args(["fix", "--no-config", "--unsafe-fixes"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fixed "), "{stderr}");
    assert!(out.stdout.is_empty());
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("privileged: false  # TODO: why?"));
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let after = scan_codes(&file);
    for code in ["PS101", "PS102", "PS104", "PS105", "PS122", "PS125"] {
        assert!(
            !after.iter().any(|(c, _)| c == code),
            "{code} still reported: {after:?}"
        );
    }
    // A second run has nothing left to do.
    let again = palisade()
        .args(["fix", "--no-config", "--unsafe-fixes", "--diff"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        again.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

#[test]
fn stdin_to_stdout_keeps_crlf() {
    let text = std::fs::read_to_string(fixtures().join("crlf.yaml")).unwrap();
    let out = palisade()
        .args([
            "fix",
            "--no-config",
            "--unsafe-fixes",
            "--fail-on",
            "critical",
            "-",
        ])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    let fixed = String::from_utf8(out.stdout).unwrap();
    assert_ne!(fixed, text);
    assert!(fixed.contains("hostNetwork: false\r\n"));
    assert_eq!(fixed.matches('\n').count(), fixed.matches("\r\n").count());
    // Nothing critical remains (hostNetwork was the critical finding): exit 0.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exit_codes_judge_what_remains() {
    // Safe fixes only: the privileged container remains (critical) → 1.
    palisade()
        .args(["fix", "--no-config", "--diff"])
        .arg(fixtures().join("comments.yaml"))
        .assert()
        .code(1);
    // A file that does not parse → 2, and the other file is still fixed.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "a: [\n").unwrap();
    std::fs::copy(fixtures().join("crlf.yaml"), dir.path().join("ok.yaml")).unwrap();
    let out = palisade()
        .args(["fix", "--no-config", "--unsafe-fixes"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let ok = std::fs::read_to_string(dir.path().join("ok.yaml")).unwrap();
    assert!(ok.contains("hostNetwork: false"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bad.yaml")).unwrap(),
        "a: [\n"
    );
}

/// Every real-world manifest: `fix --unsafe-fixes` output parses with every document, and a second
/// run finds nothing left that it could fix (every finding it fixed is gone from the re-scan at
/// the pointer it was at; what remains is skipped for a stated reason). The corpus is copied to a
/// temporary directory, never into the repository; absent, the test says so and passes.
#[test]
fn real_world_corpus_fixes_parse_and_stick() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/real-world");
    if !corpus.is_dir() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let started = std::time::Instant::now();
    let phase = |what: &str, since: std::time::Instant| {
        eprintln!("  {what}: {:.1?}", since.elapsed());
        std::time::Instant::now()
    };
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = walk(&corpus);
    for f in &files {
        let to = dir.path().join(f.strip_prefix(&corpus).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(f, &to).unwrap();
    }
    let t = phase("copy", started);
    let out = palisade()
        .args(["fix", "--no-config", "--unsafe-fixes"])
        .arg(dir.path())
        .output()
        .unwrap();
    let t = phase("fix", t);
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_ne!(out.status.code(), Some(2), "{summary}");

    // Per changed file, in parallel: the fixed text parses wherever the original did, with the
    // same documents of the same kinds.
    let changed: Vec<bool> = files
        .par_iter()
        .map(|f| {
            let before = std::fs::read_to_string(f).unwrap_or_default();
            let after = std::fs::read_to_string(dir.path().join(f.strip_prefix(&corpus).unwrap()))
                .unwrap_or_default();
            if before == after {
                return false;
            }
            if let Err(e) = verify_documents(&before, &after) {
                panic!("{}: {e}", f.display());
            }
            true
        })
        .collect();
    let files_changed = changed.iter().filter(|c| **c).count();
    let t = phase("verify", t);

    // Re-scan: nothing left that a fix would change.
    let again = palisade()
        .args(["fix", "--no-config", "--unsafe-fixes", "--diff"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        again.stdout.is_empty(),
        "a second run still changes:\n{}",
        String::from_utf8_lossy(&again.stdout)
    );
    phase("second fix --diff", t);
    eprintln!(
        "corpus: {} files, {files_changed} changed in {:.1?}\n{summary}",
        files.len(),
        started.elapsed()
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn mistyped_pod_security_labels_get_the_value_meant() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    pod-security.kubernetes.io/enforce: Restricted\n    pod-security.kubernetes.io/enforce-version: \"1.30\"\n    pod-security.kubernetes.io/warn: strict\n";
    let out = palisade()
        .args([
            "fix",
            "--no-config",
            "--unsafe-fixes",
            "--select",
            "PS163",
            "-",
        ])
        .write_stdin(text)
        .output()
        .unwrap();
    let fixed = String::from_utf8(out.stdout).unwrap();
    assert!(fixed.contains("enforce: restricted\n"), "{fixed}");
    // The value was quoted: the corrected one keeps its quotes.
    assert!(fixed.contains("enforce-version: \"v1.30\"\n"), "{fixed}");
    // No level is evidently meant by `strict`: left for a person.
    assert!(fixed.contains("warn: strict\n"), "{fixed}");
}

#[test]
fn a_byte_order_mark_and_a_file_named_twice() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.yaml");
    let text = std::fs::read_to_string(fixtures().join("crlf.yaml")).unwrap();
    std::fs::write(&file, format!("\u{feff}{text}")).unwrap();
    let out = palisade()
        .args(["fix", "--no-config", "--unsafe-fixes"])
        .arg(&file)
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in 1 file:"), "{stderr}");
    let fixed = std::fs::read(&file).unwrap();
    assert!(fixed.starts_with(b"\xEF\xBB\xBFapiVersion: v1\r\n"));
    assert!(String::from_utf8_lossy(&fixed).contains("hostNetwork: false\r\n"));
}
