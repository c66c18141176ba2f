//! The guide scorecard in reports, `palisade report` (several saved reports as one) and
//! `palisade diff`, on the shipped examples and a node fixture.

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

/// `palisade scan DIR --format json`, the document.
fn scan_json(dir: &Path) -> Value {
    let out = palisade()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn node_json(fixture: &str) -> Value {
    let out = palisade()
        .args(["node", "--format", "json", "--root"])
        .arg(
            repo()
                .join("crates/palisade-node/tests/fixtures")
                .join(fixture),
        )
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).expect("JSON node report")
}

fn sections(report: &Value) -> Vec<Value> {
    report["summary"]["guide"]["sections"]
        .as_array()
        .expect("summary.guide.sections")
        .clone()
}

fn section<'a>(rows: &'a [Value], title: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["section"] == title)
        .unwrap_or_else(|| panic!("no row {title}"))
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

#[test]
fn insecure_example_fails_its_sections_and_names_what_was_not_judged() {
    let report = scan_json(&repo().join("examples/insecure-app"));
    let rows = sections(&report);
    // Every section a finding at or above the section's severity belongs to fails.
    for title in [
        "Use Pod Security Policies",
        "Restrict \"docker image pull\"",
        "Use Network Policies",
        "DenyEscalatingExec",
    ] {
        assert_eq!(section(&rows, title)["status"], "fails", "{title}");
    }
    // Node-only sections are not evaluated, and say what to run.
    for title in [
        "Your cluster is as secure as the system running it",
        "Disable Profiling",
        "Kublet settings: Authorization mode & anonymous auth",
    ] {
        let row = section(&rows, title);
        assert_eq!(row["status"], "not evaluated", "{title}");
        let reason = row["reason"].as_str().unwrap();
        assert!(reason.contains("palisade node"), "{title}: {reason}");
    }
    // Network exposure: not evaluated without a probe.
    let bastion = section(&rows, "Bastion host");
    assert_eq!(bastion["status"], "not evaluated");
    assert!(bastion["reason"]
        .as_str()
        .unwrap()
        .contains("palisade probe"));
    // The guide's order, "beyond the guide" last.
    assert_eq!(
        rows.first().unwrap()["section"],
        "Your cluster is as secure as the system running it"
    );
    assert_eq!(rows.last().unwrap()["section"], "beyond the guide");
    // The rows' counts are the findings' counts.
    let fails: u64 = rows
        .iter()
        .filter(|r| r["status"] == "fails")
        .map(|r| {
            r["counts"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum::<u64>()
        })
        .sum();
    assert!(fails > 0);
    assert_eq!(report["summary"]["guide"]["sources"][0]["kind"], "files");
}

#[test]
fn hardened_example_holds_what_manifests_can_show() {
    let report = scan_json(&repo().join("examples/hardened-app"));
    let rows = sections(&report);
    assert!(rows.iter().all(|r| r["status"] != "fails"), "{rows:#?}");
    for title in [
        "Use Pod Security Policies",
        "Use Network Policies",
        "Auto mount default Service Account",
        "DenyEscalatingExec",
    ] {
        assert_eq!(section(&rows, title)["status"], "holds", "{title}");
    }
    // A section holds only when one of its rules was evaluated: none holds on node rules alone.
    holds_only_on_evaluated_rules(&rows);
    assert_eq!(
        section(&rows, "Disable Profiling")["status"],
        "not evaluated"
    );
}

#[test]
fn deselected_rules_keep_a_section_from_holding() {
    let out = palisade()
        .args([
            "scan",
            "--no-config",
            "--format",
            "json",
            "--ignore",
            "PS101",
        ])
        .arg(repo().join("examples/hardened-app"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = sections(&report);
    let row = section(&rows, "DenyEscalatingExec");
    assert_eq!(row["status"], "not evaluated");
    assert!(
        row["reason"].as_str().unwrap().contains("deselected"),
        "{row:#?}"
    );
}

#[test]
fn a_scan_and_a_node_audit_make_one_scorecard() {
    let dir = tempfile::tempdir().unwrap();
    let scan = write(
        dir.path(),
        "scan.json",
        &scan_json(&repo().join("examples/insecure-app")),
    );
    let node = write(dir.path(), "node.json", &node_json("kubeadm-1.29-default"));
    let out = palisade()
        .args(["report", "--format", "json"])
        .arg(&scan)
        .arg(&node)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = sections(&merged);
    // Node rows come from the node audit: judged, fed by the node.
    let profiling = section(&rows, "Disable Profiling");
    assert_ne!(profiling["status"], "not evaluated", "{profiling:#?}");
    assert!(
        profiling["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().starts_with("node ")),
        "{profiling:#?}"
    );
    // Manifest rows still come from the scan.
    assert_eq!(
        section(&rows, "Use Pod Security Policies")["status"],
        "fails"
    );
    let kinds: Vec<&str> = merged["summary"]["guide"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["files", "node"]);
    let scan_n = scan_json(&repo().join("examples/insecure-app"))["findings"]
        .as_array()
        .unwrap()
        .len();
    let node_n = node_json("kubeadm-1.29-default")["findings"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        merged["findings"].as_array().unwrap().len(),
        scan_n + node_n
    );
}

#[test]
fn the_same_finding_from_two_reports_is_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let scan = scan_json(&repo().join("examples/insecure-app"));
    let a = write(dir.path(), "a.json", &scan);
    let b = write(dir.path(), "b.json", &scan);
    let out = palisade()
        .args(["report", "--format", "json"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        merged["findings"].as_array().unwrap().len(),
        scan["findings"].as_array().unwrap().len()
    );
    assert_eq!(merged["summary"]["counts"], scan["summary"]["counts"]);
}

#[test]
fn reports_written_before_the_scorecard_still_read_and_hold_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = scan_json(&repo().join("examples/hardened-app"));
    old["summary"].as_object_mut().unwrap().remove("guide");
    let p = write(dir.path(), "old.json", &old);
    let out = palisade()
        .args(["report", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    // No rule is known to have run: nothing holds on silence.
    assert!(sections(&merged).iter().all(|r| r["status"] != "holds"));
}

#[test]
fn diff_reports_new_and_fixed_and_fails_on_new_only() {
    let dir = tempfile::tempdir().unwrap();
    let insecure = write(
        dir.path(),
        "insecure.json",
        &scan_json(&repo().join("examples/insecure-app")),
    );
    let hardened = write(
        dir.path(),
        "hardened.json",
        &scan_json(&repo().join("examples/hardened-app")),
    );
    let run = |old: &Path, new: &Path| {
        let out = palisade()
            .args(["diff", "--format", "json"])
            .arg(old)
            .arg(new)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), v)
    };
    let (code, same) = run(&insecure, &insecure);
    assert_eq!(code, Some(0));
    assert_eq!(same["new"].as_array().unwrap().len(), 0);
    assert_eq!(same["fixed"].as_array().unwrap().len(), 0);
    assert!(same["unchanged"].as_u64().unwrap() > 0);
    let (code, worse) = run(&hardened, &insecure);
    assert_eq!(code, Some(1));
    assert!(!worse["new"].as_array().unwrap().is_empty());
    let (code, better) = run(&insecure, &hardened);
    assert_eq!(code, Some(0));
    assert!(!better["fixed"].as_array().unwrap().is_empty());
    assert_eq!(better["new"].as_array().unwrap().len(), 0);
}

#[test]
fn diff_ignores_moved_lines() {
    // The same objects with a comment inserted on top: every line moves, nothing is new.
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir(&app).unwrap();
    for e in std::fs::read_dir(repo().join("examples/insecure-app")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), app.join(e.file_name())).unwrap();
    }
    let before = write(dir.path(), "before.json", &scan_json(&app));
    for e in std::fs::read_dir(&app).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, format!("# moved\n# down\n{text}")).unwrap();
    }
    let after = write(dir.path(), "after.json", &scan_json(&app));
    let out = palisade()
        .args(["diff"])
        .arg(&before)
        .arg(&after)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("0 new"), "{text}");
}

#[test]
fn markdown_has_the_scorecard_and_links() {
    let out = palisade()
        .args(["scan", "--no-config", "--format", "markdown"])
        .arg(repo().join("examples/insecure-app"))
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("### Guide scorecard"));
    assert!(md.contains("| ❌ | Use Pod Security Policies |"), "{md}");
    assert!(md.contains(".yaml#L"), "{md}");
    assert!(md.len() <= 65_536);
}

/// Manifests are untrusted: a hostile file name and object name must reach the HTML as text.
#[test]
fn html_escapes_hostile_names() {
    let dir = tempfile::tempdir().unwrap();
    let name = "x\"><img src=x onerror=alert(1)>.yaml";
    std::fs::write(
        dir.path().join(name),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"<script>alert(2)</script>\"\n  namespace: \"<b>ns</b>\"\nspec:\n  containers:\n  - name: \"</pre><script>alert(3)</script>\"\n    image: nginx\n    securityContext:\n      privileged: true\n",
    )
    .unwrap();
    let out = palisade()
        .args(["scan", "--no-config", "--format", "html"])
        .arg(dir.path())
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("PS101"), "the finding is reported");
    assert!(!html.contains("<img src=x"), "file name injected markup");
    assert!(
        !html.contains("<script>alert"),
        "object name injected a script"
    );
    assert!(!html.contains("<b>ns</b>"), "namespace injected markup");
    assert!(html.contains("&lt;script&gt;alert(2)"));
    // One script element: ours.
    assert_eq!(html.matches("<script").count(), 1);
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// The examples' HTML in headless Chromium: it loads, the script runs (filters shown, the count
/// filled in) and the scorecard is there.
#[test]
fn html_renders_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIP: chromium not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let out = palisade()
        .args(["scan", "--no-config", "--format", "html", "--output"])
        .arg(format!("html={}", page.display()))
        .arg(repo().join("examples/insecure-app"))
        .arg(repo().join("examples/hardened-app"))
        .output()
        .unwrap();
    assert!(page.is_file(), "{}", String::from_utf8_lossy(&out.stderr));
    let dom = std::process::Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Guide scorecard"), "{dom}");
    // The script ran: the filter form is visible and the count says how many are shown.
    assert!(
        dom.contains("<form id=\"filters\" class=\"filters\">"),
        "filters not shown"
    );
    let total = scan_json(&repo().join("examples/insecure-app"))["findings"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        dom.contains(&format!("{total} of {total} findings shown")),
        "count missing"
    );
}

/// Every rule names a section the guide has (or "beyond the guide"), so no rule gets a row of
/// its own by a typo in its title.
#[test]
fn every_rule_declares_a_section_of_the_guide() {
    let out = palisade()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    assert!(rules.len() > 100);
    for r in rules {
        let guide = r["guide"].as_str().unwrap();
        let known = palisade_core::guide::find(guide).is_some()
            || guide
                .split(" / ")
                .all(|part| palisade_core::guide::find(part).is_some());
        assert!(
            known,
            "{}: {guide:?} is not a section of the guide",
            r["code"]
        );
    }
}

/// A saved cluster inventory without any workload: the cluster is the source, the rules that
/// read pod specs have nothing to judge (not applicable), a section holds on what its other rules
/// judged (the Namespace's Pod Security label), and the node rows say why the cluster audit could
/// not judge them.
#[test]
fn a_cluster_without_workloads_judges_only_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    let inventory = serde_json::json!({
        "apiVersion": "palisade.dev/v1alpha1",
        "kind": "Inventory",
        "source": "test",
        "serverVersion": "v1.33.2",
        "items": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {
                "pod-security.kubernetes.io/enforce": "restricted"}}},
            {"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "default", "namespace": "shop"},
             "automountServiceAccountToken": false}
        ]
    });
    std::fs::write(&path, inventory.to_string()).unwrap();
    let out = palisade()
        .args(["scan", "--no-config", "--format", "json", "--inventory"])
        .arg(&path)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["summary"]["guide"]["sources"][0]["kind"], "cluster");
    let rows = sections(&report);
    let pss = section(&rows, "Use Pod Security Policies");
    assert_eq!(pss["status"], "holds", "{pss:#?}");
    assert_eq!(rule(pss, "PS161")["state"], "evaluated", "{pss:#?}");
    let privileged = rule(pss, "PS103");
    assert_eq!(privileged["state"], "not applicable", "{pss:#?}");
    assert!(reason(privileged).contains("no pods or workloads"));
    // Nothing of what AlwaysPullImages reads is in the inventory, nor a node audit.
    let pull = section(&rows, "AlwaysPullImages");
    assert_eq!(pull["status"], "not evaluated", "{pull:#?}");
    assert!(reason(pull).contains("palisade node"), "{pull:#?}");
    assert_eq!(rule(pull, "IM401")["state"], "not applicable", "{pull:#?}");
    let profiling = section(&rows, "Disable Profiling");
    assert_eq!(profiling["status"], "not evaluated", "{profiling:#?}");
}

/// Every "holds" rests on a rule that judged something.
fn holds_only_on_evaluated_rules(rows: &[Value]) {
    for r in rows.iter().filter(|r| r["status"] == "holds") {
        assert!(
            r["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["state"] == "evaluated"),
            "{r:#?}"
        );
    }
}

fn reason(v: &Value) -> &str {
    v["reason"].as_str().unwrap_or_default()
}

fn rule<'a>(row: &'a Value, code: &str) -> &'a Value {
    row["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("no rule {code} in {row:#?}"))
}

/// Holds only on something judged: the examples hold no RBAC object, so the sections only RBAC
/// rules judge from manifests hold nowhere; a manifest with a binding lets them hold.
#[test]
fn sections_without_input_of_their_kind_do_not_hold() {
    for example in ["examples/insecure-app", "examples/hardened-app"] {
        let rows = sections(&scan_json(&repo().join(example)));
        let admission = section(&rows, "AdmissionController");
        assert_eq!(admission["status"], "not applicable", "{example}");
        assert!(reason(admission).contains("no RBAC Roles, ClusterRoles or bindings"));
        let auth = section(&rows, "Authorization mode & anonymous auth");
        assert_eq!(auth["status"], "not evaluated", "{example}: {auth:#?}");
        assert!(reason(auth).contains("no RBAC"));
        let dashboard = section(&rows, "Kubernetes Dashboard");
        assert_ne!(dashboard["status"], "holds", "{example}");
        assert_eq!(rule(dashboard, "RB203")["state"], "not applicable");
        holds_only_on_evaluated_rules(&rows);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rbac.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: read\n  \
         namespace: shop\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  \
         name: reader\nsubjects:\n- kind: ServiceAccount\n  name: app\n  namespace: shop\n",
    )
    .unwrap();
    let rows = sections(&scan_json(dir.path()));
    assert_eq!(section(&rows, "AdmissionController")["status"], "holds");
    let auth = section(&rows, "Authorization mode & anonymous auth");
    assert_eq!(rule(auth, "RB211")["state"], "evaluated", "{auth:#?}");
    assert_eq!(auth["status"], "holds", "{auth:#?}");
}

/// `palisade report` over a scan whose input held no RBAC object and one that did: the RBAC
/// rules were judged by the second, so their sections hold, fed by it alone.
#[test]
fn merged_reports_judge_what_any_source_judged() {
    let dir = tempfile::tempdir().unwrap();
    let rbac = dir.path().join("rbac");
    std::fs::create_dir(&rbac).unwrap();
    std::fs::write(
        rbac.join("role.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  \
         name: reader\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  \
         verbs: [get]\n",
    )
    .unwrap();
    let a = write(
        dir.path(),
        "a.json",
        &scan_json(&repo().join("examples/hardened-app")),
    );
    let b = write(dir.path(), "b.json", &scan_json(&rbac));
    let merge = |files: &[&Path]| -> Vec<Value> {
        let out = palisade()
            .args(["report", "--format", "json"])
            .args(files)
            .output()
            .unwrap();
        sections(&serde_json::from_slice(&out.stdout).unwrap())
    };
    let rows = merge(&[&a, &b]);
    let admission = section(&rows, "AdmissionController");
    assert_eq!(admission["status"], "holds", "{admission:#?}");
    let rb222 = rule(admission, "RB222");
    assert_eq!(rb222["state"], "evaluated");
    let fed: Vec<&str> = rb222["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(fed, [rbac.display().to_string()]);
    // Pod rules came from the first; the second had no pod.
    assert_eq!(
        section(&rows, "Use Pod Security Policies")["status"],
        "holds"
    );
    // Neither judged a Dashboard workload.
    let dashboard = section(&rows, "Kubernetes Dashboard");
    assert_eq!(rule(dashboard, "RB203")["state"], "not applicable");
    // Alone, the first judges no RBAC.
    let alone = merge(&[&a]);
    assert_eq!(
        section(&alone, "AdmissionController")["status"],
        "not applicable"
    );
}

/// `palisade report` shows the code frames the scan showed, from the lines the JSON carries:
/// after the file changed, the frame is still what the finding saw; a report without them (an
/// older release's) renders without frames.
#[test]
fn report_frames_come_from_the_saved_report_not_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir(&app).unwrap();
    let manifest = app.join("pod.yaml");
    std::fs::copy(repo().join("examples/insecure-app/pod.yaml"), &manifest).unwrap();
    let text = |args: &[&std::ffi::OsStr]| -> String {
        let out = palisade().args(args).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let scan_text = text(&["scan".as_ref(), "--no-config".as_ref(), app.as_os_str()]);
    let saved = write(dir.path(), "scan.json", &scan_json(&app));
    assert!(
        saved_findings(&saved)
            .iter()
            .all(|f| f["snippet"]["lines"].is_array()),
        "every finding of a scanned file carries its lines"
    );
    // The file changes after the scan: every line is rewritten.
    let original = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, original.replace(':', ": #changed")).unwrap();
    let findings = |t: &str| t.split("Guide scorecard").next().unwrap().to_owned();
    let reported = text(&["report".as_ref(), saved.as_os_str()]);
    assert!(!reported.contains("#changed"), "{reported}");
    assert_eq!(findings(&reported), findings(&scan_text));
    assert!(reported.contains(" | "), "frames are shown: {reported}");
    let html = text(&[
        "report".as_ref(),
        "--format".as_ref(),
        "html".as_ref(),
        saved.as_os_str(),
    ]);
    assert!(html.contains("hostPID") && !html.contains("#changed"));
    // Without snippets: no frames, and nothing read from the changed file.
    let mut old: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    for f in old["findings"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("snippet");
    }
    let old = write(dir.path(), "old.json", &old);
    let reported = text(&["report".as_ref(), old.as_os_str()]);
    assert!(
        !reported.contains(" | ") && !reported.contains("#changed"),
        "{reported}"
    );
}

fn saved_findings(path: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["findings"].as_array().unwrap().clone()
}

/// A worker node's audit judges no API server: the sections of the API server's settings are not
/// evaluated there, and say where to audit them, rather than holding on nothing.
#[test]
fn a_worker_node_audit_does_not_hold_api_server_sections() {
    let rows = sections(&node_json("worker-flags-only"));
    for title in ["Authorization mode & anonymous auth", "Disable Profiling"] {
        let row = section(&rows, title);
        assert_eq!(row["status"], "not evaluated", "{title}: {row:#?}");
        assert!(
            reason(row).contains("no kube-apiserver on this node"),
            "{row:#?}"
        );
    }
    // The kubelet's own settings were judged there.
    assert_ne!(
        section(
            &rows,
            "Kublet settings: Authorization mode & anonymous auth"
        )["status"],
        "not evaluated"
    );
}

/// A scan keeps only the lines code frames show. The cross-object rules report after every file
/// was read: their findings get frames too, also in a file where nothing else was found, and the
/// text report shows the same lines as the JSON snippet.
#[test]
fn cross_object_findings_have_frames_from_the_scanned_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut padding = String::new();
    for i in 0..40 {
        padding.push_str(&format!("    note-{i}: filler line {i}\n"));
    }
    std::fs::write(
        dir.path().join("role.yaml"),
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: run-jobs\n  \
             namespace: shop\n  annotations:\n{padding}rules:\n- apiGroups: [batch]\n  \
             resources: [jobs]\n  verbs: [create]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("binding.yaml"),
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  \
             name: jobs-runner\n  namespace: shop\n  annotations:\n{padding}subjects:\n\
             - kind: ServiceAccount\n  name: runner\n  namespace: shop\nroleRef:\n  \
             apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: run-jobs\n"
        ),
    )
    .unwrap();
    let report = scan_json(dir.path());
    let findings = report["findings"].as_array().unwrap();
    let in_binding: Vec<&Value> = findings
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with("binding.yaml"))
        .collect();
    assert!(
        in_binding.iter().any(|f| f["code"] == "RB216"),
        "{findings:#?}"
    );
    for f in &in_binding {
        let line = f["line"].as_u64().unwrap();
        let snippet = &f["snippet"];
        assert_eq!(snippet["line"].as_u64().unwrap(), line - 1, "{f:#}");
        let lines: Vec<&str> = snippet["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let text = std::fs::read_to_string(dir.path().join("binding.yaml")).unwrap();
        let original: Vec<&str> = text.lines().collect();
        assert_eq!(lines, original[line as usize - 2..][..lines.len()], "{f:#}");
    }
    let out = palisade()
        .args(["scan", "--no-config"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("| - kind: ServiceAccount"), "{text}");
}
