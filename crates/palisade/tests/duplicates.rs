//! The same object given twice (same group, kind, namespace and name): the later copy is the one
//! judged, as `kubectl apply -f a -f b` would leave it, and a note names both places.

use assert_cmd::Command;
use serde_json::Value;

fn palisade() -> Command {
    let mut c = Command::cargo_bin("palisade").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

const APP: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n\
apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: shop\n";

const BUNDLE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    \
pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: v1.37\n\
---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: shop\n\
automountServiceAccountToken: false\n";

fn scan(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, Value) {
    let out = palisade()
        .current_dir(dir)
        .args(["scan", "--no-config", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn codes(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

#[test]
fn later_input_wins_and_a_note_names_both_places() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    std::fs::create_dir(dir.path().join("bundle")).unwrap();
    std::fs::write(dir.path().join("app/ns.yaml"), APP).unwrap();
    std::fs::write(dir.path().join("bundle/ns.yaml"), BUNDLE).unwrap();

    let (code, alone) = scan(dir.path(), &["app"]);
    assert_eq!(code, Some(1));
    for want in ["PS160", "RB202"] {
        assert!(codes(&alone).contains(&want), "{want}: {:?}", codes(&alone));
    }

    // The bundle after the app replaces both objects: what it fixes is gone.
    let (code, both) = scan(dir.path(), &["app", "bundle"]);
    assert_eq!(code, Some(0), "{both:#}");
    assert!(codes(&both).is_empty(), "{:?}", codes(&both));
    let notes = both["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "{notes:#?}");
    assert_eq!(notes[0]["file"], "app/ns.yaml");
    let message = notes[0]["message"].as_str().unwrap();
    assert!(
        message.contains("Namespace shop is given again at bundle/ns.yaml:1:1"),
        "{message}"
    );

    // Order matters: the app after the bundle undoes it.
    let (code, reversed) = scan(dir.path(), &["bundle", "app"]);
    assert_eq!(code, Some(1));
    assert!(codes(&reversed).contains(&"PS160"));
    assert_eq!(reversed["notes"][0]["file"], "bundle/ns.yaml");

    // Within one file, the later document wins too.
    std::fs::write(dir.path().join("one.yaml"), format!("{APP}---\n{BUNDLE}")).unwrap();
    let (code, one) = scan(dir.path(), &["one.yaml"]);
    assert_eq!(code, Some(0), "{:?}", codes(&one));
    assert_eq!(one["notes"].as_array().unwrap().len(), 2);
}

#[test]
fn different_objects_of_one_name_are_not_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    // Same name, different kinds, namespaces or groups: four objects, no note.
    let text =
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: a\n---\n\
apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: b\n---\n\
apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: a\n---\n\
apiVersion: example.com/v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: a\n";
    std::fs::write(dir.path().join("m.yaml"), text).unwrap();
    let (_, v) = scan(dir.path(), &["m.yaml"]);
    assert!(
        v["notes"].as_array().unwrap().is_empty(),
        "{:#}",
        v["notes"]
    );
    assert_eq!(v["summary"]["objects"], 4);
}

/// Two files under one directory argument are alternatives a repository keeps side by side, not
/// one application applied twice: both are judged, neither hides the other.
#[test]
fn alternatives_in_one_directory_are_both_judged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("repo")).unwrap();
    // `alternative.yaml` sorts first; `recommended.yaml` would replace it if files replaced
    // each other.
    std::fs::write(dir.path().join("repo/alternative.yaml"), APP).unwrap();
    std::fs::write(dir.path().join("repo/recommended.yaml"), BUNDLE).unwrap();
    let (code, v) = scan(dir.path(), &["repo"]);
    assert_eq!(code, Some(1));
    assert!(
        v["notes"].as_array().unwrap().is_empty(),
        "{:#}",
        v["notes"]
    );
    assert!(codes(&v).contains(&"PS160"), "{:?}", codes(&v));
}
