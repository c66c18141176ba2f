//! Fixture nodes: each directory under `tests/fixtures/` is a node's file system. `modes.txt`
//! gives the modes and owners the installer would have set (git keeps neither), `expected.txt`
//! the verdicts and findings `palisade node` must give on it:
//!
//! ```text
//! version v1.29               the detected Kubernetes version
//! 1.2.6 PASS                  a CIS item's benchmark status (PASS, FAIL, MANUAL, NOT EVALUATED)
//! observed 1.2.1 Fail         what a Manual item's test saw (Pass, Fail, NotEvaluated)
//! evidence 1.2.6 TEXT         the item's evidence mentions TEXT
//! finding CP501 PATH          a CP501 finding located in PATH (a node path)
//! source KL603 TEXT           a KL603 finding whose message mentions TEXT
//! no-finding CP503            no CP503 finding
//! kube-bench 1.2.6 FAIL       what kube-bench cis-1.12 would report (its audit and test applied
//!                             by hand to the fixture's files); `differs` at the end marks a
//!                             deliberate difference, which docs/cis-mapping.md must list
//! ```

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use palisade_node::{audit, Options};

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies a fixture to a temporary directory and applies its `modes.txt`.
fn materialize(name: &str) -> tempfile::TempDir {
    let src = fixture_dir(name);
    let dir = tempfile::tempdir().unwrap();
    copy(&src, dir.path());
    if let Ok(modes) = std::fs::read_to_string(src.join("modes.txt")) {
        for line in modes.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["owner", ids, path] => {
                    let (u, g) = ids.split_once(':').unwrap();
                    std::os::unix::fs::chown(
                        dir.path().join(path),
                        Some(u.parse().unwrap()),
                        Some(g.parse().unwrap()),
                    )
                    .unwrap_or_else(|e| panic!("{name}: chown {path}: {e} (run as root)"));
                }
                [mode, path] => {
                    let mode = u32::from_str_radix(mode, 8).unwrap();
                    std::fs::set_permissions(
                        dir.path().join(path),
                        std::fs::Permissions::from_mode(mode),
                    )
                    .unwrap_or_else(|e| panic!("{name}: chmod {path}: {e}"));
                }
                _ => panic!("{name}: bad modes.txt line `{line}`"),
            }
        }
    }
    dir
}

fn copy(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let target = to.join(&name);
        if from == fixture_dir(from.file_name().unwrap().to_str().unwrap())
            && (name == "modes.txt" || name == "expected.txt")
        {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

fn check_fixture(name: &str) {
    let root = materialize(name);
    let report = audit(&Options {
        root: root.path().to_owned(),
        proc: None,
        kubernetes_version: None,
        run_binaries: false,
    });
    let expected = std::fs::read_to_string(fixture_dir(name).join("expected.txt")).unwrap();
    let mut checked = 0;
    for line in expected.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        checked += 1;
        let (head, rest) = line.split_once(' ').unwrap();
        let findings = |code: &str| {
            report
                .findings
                .iter()
                .filter(|f| f.code == code)
                .collect::<Vec<_>>()
        };
        match head {
            "version" => assert_eq!(report.inventory.version.to_string(), rest, "{name}"),
            "finding" => {
                let (code, path) = rest.split_once(' ').unwrap();
                let fs = findings(code);
                assert!(
                    fs.iter().any(|f| f.location.path() == Some(path)),
                    "{name}: expected a {code} finding in {path}, got {:#?}",
                    fs.iter()
                        .map(|f| format!("{} {}", f.location, f.message))
                        .collect::<Vec<_>>()
                );
            }
            "source" => {
                let (code, text) = rest.split_once(' ').unwrap();
                assert!(
                    findings(code).iter().any(|f| f.message.contains(text)),
                    "{name}: expected a {code} finding mentioning `{text}`: {:#?}",
                    findings(code)
                );
            }
            "no-finding" => assert!(
                findings(rest).is_empty(),
                "{name}: unexpected {rest}: {:#?}",
                findings(rest)
                    .iter()
                    .map(|f| format!("{} {}", f.location, f.message))
                    .collect::<Vec<_>>()
            ),
            "observed" => {
                let (id, v) = rest.split_once(' ').unwrap();
                let row = report.benchmark.row(id).unwrap();
                assert_eq!(
                    row.observed.map(|o| format!("{o:?}")).as_deref(),
                    Some(v),
                    "{name} {id}: {:?}",
                    row.evidence
                );
            }
            "kube-bench" => {
                // What kube-bench cis-1.12 would report; `differs` marks a deliberate
                // difference, which docs/cis-mapping.md must list.
                let parts: Vec<&str> = rest.split_whitespace().collect();
                let (id, theirs, differs) = match parts.as_slice() {
                    [id, v] => (*id, *v, false),
                    [id, v, "differs"] => (*id, *v, true),
                    _ => panic!("{name}: bad kube-bench line `{line}`"),
                };
                let row = report.benchmark.row(id).unwrap();
                let ours = match row.observed {
                    Some(palisade_node::rules::Verdict::Pass) => "PASS",
                    Some(palisade_node::rules::Verdict::Fail) => "FAIL",
                    other => panic!("{name} {id}: no verdict to compare ({other:?})"),
                };
                if differs {
                    assert_ne!(ours, theirs, "{name} {id}: marked as differing but agrees");
                    let docs = std::fs::read_to_string(
                        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cis-mapping.md"),
                    )
                    .unwrap();
                    let section = docs
                        .split("## Where Palisade deliberately differs from kube-bench")
                        .nth(1)
                        .expect("docs/cis-mapping.md lists the differences");
                    assert!(
                        section.contains(id),
                        "{name} {id}: differs from kube-bench, but docs/cis-mapping.md does not \
                         say so"
                    );
                } else {
                    assert_eq!(
                        ours, theirs,
                        "{name} {id}: kube-bench would say {theirs}: {:?}",
                        row.evidence
                    );
                }
            }
            "evidence" => {
                let (id, text) = rest.split_once(' ').unwrap();
                let row = report.benchmark.row(id).unwrap();
                assert!(
                    row.evidence.iter().any(|e| e.contains(text)),
                    "{name} {id}: {:?}",
                    row.evidence
                );
            }
            id => {
                let row = report
                    .benchmark
                    .row(id)
                    .unwrap_or_else(|| panic!("{name}: no CIS item {id}"));
                assert_eq!(
                    row.status.as_str(),
                    rest,
                    "{name} {id}: evidence {:?}",
                    row.evidence
                );
            }
        }
    }
    assert!(checked > 0, "{name}: expected.txt checks nothing");
}

#[test]
fn kubeadm_1_29_default() {
    check_fixture("kubeadm-1.29-default");
}

#[test]
fn kubeadm_1_33_hardened_structured_authn_authz() {
    check_fixture("kubeadm-1.33-hardened");
}

#[test]
fn kubeadm_1_24_insecure() {
    check_fixture("kubeadm-1.24-insecure");
}

#[test]
fn kubeadm_1_19_insecure_port() {
    check_fixture("kubeadm-1.19-insecure-port");
}

#[test]
fn kubeadm_1_37_config_dir_drop_ins() {
    check_fixture("kubeadm-1.37-config-dir");
}

#[test]
fn worker_with_flags_only() {
    check_fixture("worker-flags-only");
}

#[test]
fn kubelet_flag_wins_over_config_file() {
    check_fixture("kubelet-flag-wins");
}

#[test]
fn k3s_server() {
    check_fixture("k3s-server");
}

#[test]
fn rke2_server() {
    check_fixture("rke2-server");
}

#[test]
fn garbage_config_files() {
    check_fixture("garbage");
}

/// No automated item is ever PASS without a rule having seen evidence, and every fixture's
/// benchmark lists every item.
#[test]
fn never_pass_without_evidence() {
    for entry in std::fs::read_dir(fixture_dir("")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let root = materialize(&name);
        let report = audit(&Options {
            root: root.path().to_owned(),
            proc: None,
            kubernetes_version: None,
            run_binaries: false,
        });
        assert_eq!(report.benchmark.rows.len(), palisade_node::cis::ITEMS.len());
        for row in &report.benchmark.rows {
            if row.status == palisade_node::cis::Status::Pass {
                assert!(!row.codes.is_empty(), "{name} {}", row.item.id);
            }
        }
    }
}

/// A running process is what counts; where its flag matches the manifest, the manifest's line is
/// kept as the place to edit. The process is the container of the static pod (its cgroup names
/// the pod's UID, which the kubelet's pod log directory ties to the manifest's pod).
#[test]
fn processes_override_files_and_keep_file_provenance() {
    let root = materialize("kubeadm-1.29-default");
    let uid = "3f1d9a64c2b84e0f9d1e7a5b6c4d2e10";
    std::fs::create_dir_all(
        root.path()
            .join("var/log/pods")
            .join(format!("kube-system_kube-apiserver-node1_{uid}"))
            .join("kube-apiserver"),
    )
    .unwrap();
    let proc = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(proc.path().join("4242")).unwrap();
    let argv = [
        "kube-apiserver",
        "--authorization-mode=Node,RBAC",
        "--profiling=false",
    ];
    std::fs::write(proc.path().join("4242/cmdline"), argv.join("\0") + "\0").unwrap();
    std::fs::write(
        proc.path().join("4242/cgroup"),
        format!("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{uid}.slice/cri-containerd-1f2e.scope\n"),
    )
    .unwrap();
    std::fs::create_dir_all(proc.path().join("self")).unwrap();
    std::fs::write(proc.path().join("77"), "not a directory").unwrap();
    let report = audit(&Options {
        root: root.path().to_owned(),
        proc: Some(proc.path().to_owned()),
        kubernetes_version: Some(palisade_core::KubeVersion::v1(30)),
        run_binaries: false,
    });
    let api = report
        .inventory
        .component(palisade_node::ComponentKind::ApiServer)
        .unwrap();
    assert!(api.running);
    assert_eq!(api.flags.len(), 2);
    let authz = api.flag("authorization-mode").unwrap();
    assert!(
        authz
            .source
            .to_string()
            .starts_with("/etc/kubernetes/manifests/kube-apiserver.yaml:"),
        "{}",
        authz.source
    );
    let profiling = api.flag("profiling").unwrap();
    assert!(
        profiling.source.to_string().starts_with("process 4242"),
        "{}",
        profiling.source
    );
    assert_eq!(report.inventory.version.to_string(), "v1.30");
    assert_eq!(
        report.benchmark.row("1.2.15").unwrap().status.as_str(),
        "PASS"
    );
}

/// Writes a copied proc tree with processes that call themselves components but are not what
/// the node runs, each forging settings: pods, another mount namespace, a non-root user, a
/// binary in a world-writable directory. PID 1 gives the host's namespaces.
fn impostors(root: &std::path::Path) -> tempfile::TempDir {
    use std::os::unix::fs::symlink;
    let proc = tempfile::tempdir().unwrap();
    let p = proc.path();
    let process = |pid: u32, argv: &[&str], mnt: &str, uid: u32, cgroup: &str, exe: &str| {
        let dir = p.join(pid.to_string());
        std::fs::create_dir_all(dir.join("ns")).unwrap();
        std::fs::write(dir.join("cmdline"), argv.join("\0") + "\0").unwrap();
        symlink(mnt, dir.join("ns/mnt")).unwrap();
        symlink("pid:[4026531836]", dir.join("ns/pid")).unwrap();
        std::fs::write(
            dir.join("status"),
            format!("Name:\tx\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n"),
        )
        .unwrap();
        std::fs::write(dir.join("cgroup"), format!("0::{cgroup}\n")).unwrap();
        symlink(exe, dir.join("exe")).unwrap();
    };
    let host = "mnt:[4026531841]";
    let pod = "/kubepods/besteffort/pod0f6c3b1e-2d4a-4c8e-9f10-1a2b3c4d5e6f/6d1f";
    process(1, &["/sbin/init"], host, 0, "/init.scope", "/sbin/init");
    let secure_kubelet = [
        "kubelet",
        "--anonymous-auth=false",
        "--authorization-mode=Webhook",
        "--read-only-port=0",
        "--protect-kernel-defaults=true",
    ];
    let open_kubelet = ["kubelet", "--anonymous-auth=true", "--read-only-port=10255"];
    process(501, &secure_kubelet, "mnt:[4026532501]", 0, pod, "/kubelet");
    process(502, &open_kubelet, "mnt:[4026532502]", 0, "/", "/kubelet");
    process(
        503,
        &[
            "kube-apiserver",
            "--anonymous-auth=true",
            "--authorization-mode=AlwaysAllow",
        ],
        "mnt:[4026532503]",
        0,
        "/system.slice/containerd.service",
        "/usr/local/bin/kube-apiserver",
    );
    process(
        504,
        &["/usr/local/bin/k3s", "agent"],
        "mnt:[4026532504]",
        0,
        pod,
        "/bin/k3s",
    );
    process(
        505,
        &["hyperkube", "kubelet", "--anonymous-auth=false"],
        host,
        1000,
        "/user.slice/user-1000.slice/session-2.scope",
        "/usr/bin/hyperkube",
    );
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::write(root.join("tmp/etcd"), "").unwrap();
    process(
        506,
        &["etcd", "--client-cert-auth=false"],
        host,
        0,
        "/user.slice/user-0.slice/session-2.scope",
        "/tmp/etcd",
    );
    proc
}

/// Processes that call themselves components change no verdict on kubeadm, k3s and RKE2 nodes
/// (their flags are not the components'), and each is named once in a note.
#[test]
fn impostor_processes_change_no_verdict() {
    for name in [
        "kubeadm-1.24-insecure",
        "kubeadm-1.33-hardened",
        "k3s-server",
        "rke2-server",
    ] {
        let root = materialize(name);
        let options = Options {
            root: root.path().to_owned(),
            proc: None,
            kubernetes_version: None,
            run_binaries: false,
        };
        let before = audit(&options);
        let proc = impostors(root.path());
        let after = audit(&Options {
            proc: Some(proc.path().to_owned()),
            ..options
        });
        let verdicts = |r: &palisade_node::NodeReport| {
            r.benchmark
                .rows
                .iter()
                .map(|row| (row.item.id, row.status, row.evidence.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(verdicts(&before), verdicts(&after), "{name}");
        let findings = |r: &palisade_node::NodeReport| {
            r.findings
                .iter()
                .map(|f| format!("{} {} {}", f.code, f.location, f.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(findings(&before), findings(&after), "{name}");
        assert_eq!(before.inventory.layout, after.inventory.layout, "{name}");
        assert!(after.inventory.components.iter().all(|c| c.pid.is_none()));
        let notes: Vec<&str> = after
            .inventory
            .problems
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        let container = "runs in a container that is not a static pod: ignored";
        for expected in [
            format!("process 501 calls itself kubelet but {container}"),
            format!("process 502 calls itself kubelet but {container}"),
            format!("process 503 calls itself kube-apiserver but {container}"),
            format!("process 504 calls itself k3s but {container}"),
            "process 505 calls itself kubelet but is not run by root: ignored".to_owned(),
        ] {
            assert_eq!(
                notes.iter().filter(|n| **n == expected).count(),
                1,
                "{name}: {expected} in {notes:#?}"
            );
        }
        assert!(
            notes.iter().any(|n| n
                .starts_with("process 506 calls itself etcd but its executable /tmp/etcd:")
                && n.ends_with("so a non-root user could have written it: ignored")),
            "{name}: {notes:#?}"
        );
    }
}
