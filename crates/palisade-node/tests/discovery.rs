//! Discovery details built on small node trees written by the tests: input errors, etcd's
//! environment, binaries' versions, paths inside containers, selection.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use palisade_node::{audit, discover, ComponentKind, Options, Source};

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn options(root: &Path) -> Options {
    Options {
        root: root.to_owned(),
        proc: None,
        kubernetes_version: None,
        run_binaries: false,
    }
}

const SCHEDULER: &str = "apiVersion: v1
kind: Pod
metadata:
  name: kube-scheduler
  namespace: kube-system
spec:
  containers:
  - name: kube-scheduler
    image: registry.k8s.io/kube-scheduler:v1.30.2
    command:
    - kube-scheduler
    - --profiling=true
";

/// A manifest that does not parse is an input error at its line; the other manifests are still
/// read and judged.
#[test]
fn unparsable_manifest_is_an_input_error_and_the_rest_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "/etc/kubernetes/manifests/kube-scheduler.yaml",
        SCHEDULER,
    );
    write(
        root,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        "apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n",
    );
    let report = audit(&options(root));
    let invalid: Vec<_> = report
        .inventory
        .problems
        .iter()
        .filter(|p| p.invalid)
        .collect();
    assert_eq!(invalid.len(), 1, "{:#?}", report.inventory.problems);
    assert_eq!(
        invalid[0].path,
        "/etc/kubernetes/manifests/kube-apiserver.yaml"
    );
    let pos = invalid[0].pos.expect("a position");
    assert!(pos.line >= 4, "{pos}");
    assert!(
        invalid[0].message.starts_with(&format!(
            "/etc/kubernetes/manifests/kube-apiserver.yaml:{}",
            pos.line
        )),
        "{}",
        invalid[0].message
    );
    // The scheduler was still audited: its profiling finding is there.
    assert!(report
        .findings
        .iter()
        .any(|f| f.code == "CP504" && f.message.contains("kube-scheduler")));
}

/// A kubelet config file that is not a mapping is invalid input too; a missing one is not.
#[test]
fn kubelet_config_not_a_mapping_is_invalid_missing_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "/etc/systemd/system/kubelet.service",
        "[Service]\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\n",
    );
    write(root, "/var/lib/kubelet/config.yaml", "- a\n- b\n");
    let inv = discover(&options(root));
    let p = inv.problems.iter().find(|p| p.invalid).expect("invalid");
    assert_eq!(p.path, "/var/lib/kubelet/config.yaml");
    assert_eq!(p.pos.map(|p| p.line), Some(1));
    assert_eq!(
        inv.problems.iter().filter(|p| p.invalid).count(),
        1,
        "reported once: {:#?}",
        inv.problems
    );

    std::fs::remove_file(root.join("var/lib/kubelet/config.yaml")).unwrap();
    let inv = discover(&options(root));
    assert!(
        inv.problems.iter().all(|p| !p.invalid),
        "{:#?}",
        inv.problems
    );
    assert!(!inv.problems.is_empty());
}

const ETCD_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.5.12-0
    command:
    - etcd
    - --client-cert-auth=true
    - --cert-file=/etc/kubernetes/pki/etcd/server.crt
    - --key-file=/etc/kubernetes/pki/etcd/server.key
    env:
    - name: ETCD_CLIENT_CERT_AUTH
      value: \"false\"
    - name: ETCD_PEER_CLIENT_CERT_AUTH
      value: \"false\"
    - name: ETCD_PEER_CERT_FILE
      value: /etc/kubernetes/pki/etcd/peer.crt
    - name: ETCD_PEER_KEY_FILE
      value: /etc/kubernetes/pki/etcd/peer.key
    - name: ETCD_UNSUPPORTED_ARCH
      value: arm
";

/// etcd reads `ETCD_*` variables for the flags its command line does not give: the flag wins,
/// the variable fills in, and findings name the variable and its line.
#[test]
fn etcd_settings_from_static_pod_env() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "/etc/kubernetes/manifests/etcd.yaml", ETCD_POD);
    let report = audit(&options(root));
    let etcd = report.inventory.component(ComponentKind::Etcd).unwrap();
    let cca = etcd.flag("client-cert-auth").unwrap();
    assert_eq!(
        cca.text(),
        "true",
        "the flag wins over ETCD_CLIENT_CERT_AUTH"
    );
    let peer = etcd.flag("peer-client-cert-auth").unwrap();
    assert_eq!(peer.text(), "false");
    assert!(matches!(&peer.source, Source::Env { var, .. } if var == "ETCD_PEER_CLIENT_CERT_AUTH"));
    assert!(etcd.flag("unsupported-arch").is_none());
    let row = |id: &str| report.benchmark.row(id).unwrap();
    assert_eq!(row("2.2").status.as_str(), "PASS");
    assert_eq!(
        row("2.4").status.as_str(),
        "PASS",
        "{:?}",
        row("2.4").evidence
    );
    assert_eq!(row("2.5").status.as_str(), "FAIL");
    let f = report
        .findings
        .iter()
        .find(|f| f.code == "CP515" && f.message.contains("peer-client-cert-auth"))
        .expect("CP515 on the peer setting");
    assert!(
        f.message
            .contains("$ETCD_PEER_CLIENT_CERT_AUTH at /etc/kubernetes/manifests/etcd.yaml:19"),
        "{}",
        f.message
    );
    assert_eq!(
        f.location.path(),
        Some("/etc/kubernetes/manifests/etcd.yaml")
    );
}

/// etcd as a systemd service configured by an environment file (the usual external etcd).
#[test]
fn etcd_settings_from_unit_environment_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "/etc/systemd/system/etcd.service",
        "[Service]\nEnvironment=ETCD_AUTO_TLS=true\nEnvironmentFile=/etc/etcd/etcd.conf\n\
         ExecStart=/usr/local/bin/etcd --peer-client-cert-auth=true\n",
    );
    write(
        root,
        "/etc/etcd/etcd.conf",
        "# etcd settings\nETCD_CLIENT_CERT_AUTH=\"true\"\nETCD_PEER_CLIENT_CERT_AUTH=false\n",
    );
    let report = audit(&options(root));
    let etcd = report.inventory.component(ComponentKind::Etcd).unwrap();
    assert_eq!(etcd.flag("client-cert-auth").unwrap().text(), "true");
    assert_eq!(etcd.flag("peer-client-cert-auth").unwrap().text(), "true");
    let row = |id: &str| report.benchmark.row(id).unwrap();
    assert_eq!(row("2.2").status.as_str(), "PASS");
    assert!(
        row("2.2").evidence[0].contains("$ETCD_CLIENT_CERT_AUTH at /etc/etcd/etcd.conf:2"),
        "{:?}",
        row("2.2").evidence
    );
    assert_eq!(row("2.3").status.as_str(), "FAIL");
    assert!(
        row("2.3").evidence[0].contains("/etc/systemd/system/etcd.service:2"),
        "{:?}",
        row("2.3").evidence
    );
}

fn script(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

/// Without an image tag, the version comes from the binary's `--version` — only when the audit
/// may run binaries (the local machine), never for a `--root` tree, and only a binary that only
/// root could have written. (The binary run is the node file `ExecStart` names, under the root:
/// the CLI allows running binaries only when the root is `/`.)
#[test]
fn version_from_the_binary_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let marker = root.join("ran");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    for d in ["usr", "usr/bin"] {
        std::fs::set_permissions(root.join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script(
        &root.join("usr/bin"),
        "kubelet",
        &format!(
            "touch {}\n[ \"$1\" = --version ] && echo 'Kubernetes v1.27.4'",
            marker.display()
        ),
    );
    write(
        root,
        "/etc/systemd/system/kubelet.service",
        "[Service]\nExecStart=/usr/bin/kubelet --read-only-port=0\n",
    );
    let inv = discover(&options(root));
    assert!(!marker.exists(), "a --root tree's binary was executed");
    assert_ne!(inv.version.to_string(), "v1.27");

    // A directory on the way that anyone may write to: anyone could have put the binary there.
    std::fs::set_permissions(root.join("usr/bin"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let inv = discover(&Options {
        run_binaries: true,
        ..options(root)
    });
    assert!(
        !marker.exists(),
        "a world-writable directory's binary was executed"
    );
    assert_ne!(inv.version.to_string(), "v1.27");
    assert!(
        inv.problems.iter().any(|p| p.path == "/usr/bin/kubelet"
            && p.message
                .contains("the directory /usr/bin is world-writable")
            && p.message.contains("not run")),
        "{:?}",
        inv.problems
    );
    std::fs::set_permissions(root.join("usr/bin"), std::fs::Permissions::from_mode(0o755)).unwrap();

    if !is_root() {
        eprintln!("skipped the rest of version_from_the_binary_only_when_allowed: not root, so no file here is root's");
        return;
    }
    let inv = discover(&Options {
        run_binaries: true,
        ..options(root)
    });
    assert!(marker.exists());
    assert_eq!(inv.version.to_string(), "v1.27");
    assert!(
        inv.version_source
            .to_string()
            .contains("Kubernetes v1.27.4"),
        "{}",
        inv.version_source
    );
    let k = inv.component(ComponentKind::Kubelet).unwrap();
    assert_eq!(k.version.to_string(), "v1.27");

    // --kubernetes-version is the user's word: it overrides what the binary says.
    let inv = discover(&Options {
        run_binaries: true,
        kubernetes_version: Some("1.25".parse().unwrap()),
        ..options(root)
    });
    assert_eq!(inv.version.to_string(), "v1.25");
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // A file this process creates is owned by its effective uid.
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().metadata().unwrap().uid() == 0
}

/// A binary that does not answer is killed after the time limit and the version stays unknown.
#[test]
fn hanging_binary_gives_no_version() {
    let bin = tempfile::tempdir().unwrap();
    let slow = script(bin.path(), "kubelet", "exec sleep 30");
    let out = palisade_node::discover::run_version(
        Path::new(&slow),
        std::time::Duration::from_millis(200),
    );
    assert_eq!(out, None);
    let failing = script(bin.path(), "fails", "echo 'Kubernetes v1.2.3'; exit 3");
    assert_eq!(
        palisade_node::discover::run_version(
            Path::new(&failing),
            std::time::Duration::from_secs(2)
        ),
        None
    );
    assert_eq!(
        palisade_node::discover::run_version(
            Path::new("/nonexistent/kubelet"),
            std::time::Duration::from_secs(2)
        ),
        None
    );
}

const KUBE_PROXY_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: kube-proxy
  namespace: kube-system
spec:
  containers:
  - name: kube-proxy
    image: registry.k8s.io/kube-proxy:v1.30.2
    command:
    - /usr/local/bin/kube-proxy
    - --config=/var/lib/kube-proxy/config.conf
    volumeMounts:
    - name: kube-proxy
      mountPath: /var/lib/kube-proxy
  volumes:
  - name: kube-proxy
    VOLUME
";

/// kube-proxy's `--config` names a path inside its container: through a `hostPath` mount it is
/// read from the node; from a ConfigMap volume it cannot be, and KL605 says why.
#[test]
fn kube_proxy_config_inside_its_container() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let manifest = "/etc/kubernetes/manifests/kube-proxy.yaml";
    write(
        root,
        manifest,
        &KUBE_PROXY_POD.replace("VOLUME", "configMap:\n      name: kube-proxy"),
    );
    let report = audit(&options(root));
    let row = report.benchmark.row("4.3.1").unwrap();
    assert_eq!(row.status.as_str(), "NOT EVALUATED");
    assert!(
        row.evidence[0].contains("configMap volume kube-proxy")
            && row.evidence[0].contains("not on the node's file system"),
        "{:?}",
        row.evidence
    );

    write(
        root,
        manifest,
        &KUBE_PROXY_POD.replace("VOLUME", "hostPath:\n      path: /srv/kube-proxy"),
    );
    write(
        root,
        "/srv/kube-proxy/config.conf",
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n\
         metricsBindAddress: 0.0.0.0:10249\n",
    );
    let report = audit(&options(root));
    let row = report.benchmark.row("4.3.1").unwrap();
    assert_eq!(
        row.observed.map(|v| format!("{v:?}")).as_deref(),
        Some("Fail")
    );
    assert!(
        row.evidence[0].contains("/srv/kube-proxy/config.conf:3"),
        "{:?}",
        row.evidence
    );
}

/// A kube-proxy seen as a process. kubeadm runs it from a DaemonSet, a pod like any other:
/// anyone who may create a pod can call a process kube-proxy, so such a process is ignored (a
/// note says so) and nothing is read through it. As a static pod's container (its cgroup names
/// the pod, the kubelet's log directory ties the pod to the manifest), its config file is read
/// inside the process's root in the proc tree.
#[test]
fn kube_proxy_process_config_through_proc_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let proc = tempfile::tempdir().unwrap();
    write(
        proc.path(),
        "/4242/cmdline",
        "/usr/local/bin/kube-proxy\0--config=/var/lib/kube-proxy/config.conf\0",
    );
    write(
        proc.path(),
        "/4242/root/var/lib/kube-proxy/config.conf",
        "kind: KubeProxyConfiguration\nmetricsBindAddress: 127.0.0.1:10249\n",
    );
    // A pod the API server made (an RFC 4122 UID), with the kubelet's log directory for it.
    let api_uid = "0f6c3b1e-2d4a-4c8e-9f10-1a2b3c4d5e6f";
    write(
        proc.path(),
        "/4242/cgroup",
        &format!("0::/kubepods/besteffort/pod{api_uid}/6d1f\n"),
    );
    std::fs::create_dir_all(root.join(format!(
        "var/log/pods/kube-system_kube-proxy-x7k2p_{api_uid}"
    )))
    .unwrap();
    let opts = Options {
        proc: Some(proc.path().to_owned()),
        ..options(root)
    };
    let report = audit(&opts);
    assert!(report
        .inventory
        .component(ComponentKind::KubeProxy)
        .is_none());
    assert!(
        report.inventory.problems.iter().any(|p| p.message
            == "process 4242 calls itself kube-proxy but runs in a container that is not a \
                static pod: ignored"),
        "{:?}",
        report.inventory.problems
    );
    assert!(!report.inventory.sources.keys().any(|k| k.contains("4242")));

    // The same process as the container of a static pod.
    let static_uid = "9a8b7c6d5e4f30211203948576afbecd";
    write(
        root,
        "/etc/kubernetes/manifests/kube-proxy.yaml",
        &KUBE_PROXY_POD.replace("VOLUME", "hostPath:\n      path: /srv/kube-proxy"),
    );
    std::fs::create_dir_all(root.join(format!(
        "var/log/pods/kube-system_kube-proxy-node1_{static_uid}"
    )))
    .unwrap();
    write(
        proc.path(),
        "/4242/cgroup",
        &format!("0::/kubepods/besteffort/pod{static_uid}/6d1f\n"),
    );
    let report = audit(&opts);
    assert!(report
        .inventory
        .problems
        .iter()
        .all(|p| !p.message.contains("ignored")));
    let row = report.benchmark.row("4.3.1").unwrap();
    assert_eq!(
        row.observed.map(|v| format!("{v:?}")).as_deref(),
        Some("Pass")
    );
    assert!(
        row.evidence[0].contains("4242/root/var/lib/kube-proxy/config.conf:2"),
        "{:?}",
        row.evidence
    );
}

/// Selection works on node rules as on manifest rules: a rule left out gives no finding and no
/// verdict.
#[test]
fn selection_leaves_rules_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "/etc/kubernetes/manifests/kube-scheduler.yaml",
        SCHEDULER,
    );
    let inv = discover(&options(root));
    let all = palisade_node::check(inv.clone());
    assert!(all.findings.iter().any(|f| f.code == "CP504"));
    let some = palisade_node::check_selected(inv, &|m| m.code != "CP504");
    assert!(some.findings.iter().all(|f| f.code != "CP504"));
    assert!(some.items.iter().all(|i| i.code != "CP504"));
}

/// Kubelets before 1.12 serve cAdvisor on `--cadvisor-port` (default 4194 before 1.10, 0 in
/// 1.10 and 1.11); from 1.12 the port is gone and KL610 has nothing to say.
#[test]
fn cadvisor_port_before_1_12() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let unit =
        |flags: &str| format!("[Service]\nExecStart=/usr/bin/kubelet --read-only-port=0 {flags}\n");
    let at = |v: &str| Options {
        kubernetes_version: Some(v.parse().unwrap()),
        ..options(root)
    };
    let kl610 = |r: &palisade_node::NodeReport| {
        r.findings
            .iter()
            .filter(|f| f.code == "KL610")
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
    };
    write(root, "/etc/systemd/system/kubelet.service", &unit(""));
    let f = kl610(&audit(&at("1.9")));
    assert_eq!(f.len(), 1);
    assert!(
        f[0].contains("--cadvisor-port=4194 (flag default for v1.9)"),
        "{f:?}"
    );
    assert!(kl610(&audit(&at("1.11"))).is_empty());

    write(
        root,
        "/etc/systemd/system/kubelet.service",
        &unit("--cadvisor-port=4194"),
    );
    let f = kl610(&audit(&at("1.11")));
    assert!(
        f[0].contains("/etc/systemd/system/kubelet.service:2"),
        "{f:?}"
    );
    assert!(kl610(&audit(&at("1.12"))).is_empty());

    write(
        root,
        "/etc/systemd/system/kubelet.service",
        &unit("--cadvisor-port=0"),
    );
    assert!(kl610(&audit(&at("1.9"))).is_empty());
}

/// ImagePolicyWebhook configured inline in the admission configuration, failing open.
#[test]
fn image_policy_webhook_inline_default_allow() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  \
         - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    \
         command:\n    - kube-apiserver\n    \
         - --enable-admission-plugins=NodeRestriction,ImagePolicyWebhook\n    \
         - --admission-control-config-file=/etc/kubernetes/admission.yaml\n",
    );
    write(
        root,
        "/etc/kubernetes/admission.yaml",
        "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n\
         - name: ImagePolicyWebhook\n  configuration:\n    imagePolicy:\n      \
         kubeConfigFile: /etc/kubernetes/ipw.kubeconfig\n      defaultAllow: yes\n",
    );
    write(
        root,
        "/etc/kubernetes/ipw.kubeconfig",
        "apiVersion: v1\nkind: Config\n",
    );
    let r = audit(&options(root));
    let f: Vec<_> = r.findings.iter().filter(|f| f.code == "CP520").collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0]
        .message
        .contains("defaultAllow: true at /etc/kubernetes/admission.yaml:8"));
    assert_eq!(f[0].location.path(), Some("/etc/kubernetes/admission.yaml"));

    // Fixed: defaultAllow false and the backend's kubeconfig on the node.
    write(
        root,
        "/etc/kubernetes/admission.yaml",
        "plugins:\n- name: ImagePolicyWebhook\n  configuration:\n    imagePolicy:\n      \
         kubeConfigFile: /etc/kubernetes/ipw.kubeconfig\n      defaultAllow: false\n",
    );
    let r = audit(&options(root));
    assert!(r.findings.iter().all(|f| f.code != "CP520"));
}

/// An empty flag value (`--tls-private-key-file=`) leaves the flag at its default, not set: CIS
/// items that want it set fail, and `--encryption-provider-config=` does not read the root.
#[test]
fn empty_flag_values_are_not_set() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let apiserver = |extra: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  namespace: kube-system\n\
             spec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.33.1\n\
             \x20   command:\n    - kube-apiserver\n    - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt\n{extra}"
        )
    };
    let verdict = |report: &palisade_node::NodeReport, id: &str| {
        report
            .items
            .iter()
            .filter(|i| i.cis == id)
            .map(|i| format!("{:?}", i.verdict))
            .collect::<Vec<_>>()
    };
    write(
        root,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        &apiserver("    - --tls-private-key-file=\n    - --encryption-provider-config=\n"),
    );
    let empty = audit(&options(root));
    assert_eq!(verdict(&empty, "1.2.24"), ["Fail"], "{:#?}", empty.items);
    assert_eq!(verdict(&empty, "1.2.27"), ["Fail"]);
    assert!(
        empty
            .findings
            .iter()
            .any(|f| f.code == "CP511" && f.message.contains("not set")),
        "{:#?}",
        empty.findings
    );
    // The same flags with values pass 1.2.24 and read the named file.
    write(
        root,
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        &apiserver("    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key\n"),
    );
    let set = audit(&options(root));
    assert_eq!(verdict(&set, "1.2.24"), ["Pass"], "{:#?}", set.items);
}

/// A key of etcd's config file holding `/` is named by an escaped pointer that finds it again
/// (found by the node_parsers fuzz target: the pointer `/a/b-dir` named no key).
#[test]
fn etcd_config_keys_with_a_slash_are_escaped_in_their_pointer() {
    let text = "name: node1\nd/a-dir: /var/lib/etcd\nclient-transport-security:\n  cert~file: /c\n";
    let (docs, _) = palisade_core::yaml::load_str(text, &palisade_core::yaml::Limits::default());
    let layer = palisade_node::component::ConfigLayer {
        path: std::sync::Arc::from("/etc/etcd/etcd.conf.yml"),
        root: docs.into_iter().next().unwrap().root,
    };
    let flags = palisade_node::discover::etcd_config_flags(&layer);
    let pointers: Vec<&str> = flags
        .iter()
        .map(|f| match &f.source {
            Source::Config { pointer, .. } => pointer.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        pointers,
        [
            "/name",
            "/d~1a-dir",
            "/client-transport-security/cert~0file"
        ]
    );
    for p in pointers {
        assert!(layer.root.lookup(p).1, "{p}");
    }
}
