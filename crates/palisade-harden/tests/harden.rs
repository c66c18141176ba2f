//! The bundle on the repository's examples, the guide's own examples and (when present) the
//! real-world corpus: it parses, a re-scan is clean of every code it claims, its NetworkPolicies
//! keep DNS and every Service's clients working and block the rest, its Pod Security levels admit
//! every workload.

use std::path::{Path, PathBuf};

use palisade_core::source::objects_from_str;
use palisade_core::{KubeVersion, Object};
use palisade_harden::network::Client;
use palisade_harden::{harden, Bundle, Options};
use palisade_rules::pss::Level;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

/// Every object of the manifests below `dir` (files that do not load are skipped: the corpus
/// holds a few deliberately broken ones).
fn load(dir: &Path) -> Vec<Object> {
    let mut paths = Vec::new();
    files(dir, &mut paths);
    let mut objects = Vec::new();
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let rel = p.strip_prefix(root()).unwrap_or(&p).display().to_string();
        objects.extend(objects_from_str(&rel, &text).objects);
    }
    objects
}

fn bundle(objects: Vec<Object>, minor: u32) -> Bundle {
    harden(
        objects,
        &Options {
            version: KubeVersion::v1(minor),
            encryption_key: None,
        },
    )
}

/// Everything the acceptance asks of a bundle.
fn assert_sound(name: &str, b: &Bundle) -> palisade_harden::Proof {
    let proof = b.proof().unwrap_or_else(|e| panic!("{name}: {e}"));
    let show = |v: &[palisade_harden::Check]| {
        v.iter()
            .take(20)
            .map(|c| c.what.clone())
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    assert!(
        proof.unresolved.is_empty(),
        "{name}: claimed codes still reported:\n  {}",
        proof
            .unresolved
            .iter()
            .take(20)
            .map(|f| format!("{} {:?} {}", f.code, f.object, f.message))
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    assert!(
        proof.breakages.is_empty(),
        "{name}: breaks\n  {}",
        show(&proof.breakages)
    );
    assert!(
        proof.leaks.is_empty(),
        "{name}: leaks\n  {}",
        show(&proof.leaks)
    );
    // Per claimed code: reported before (when the inventory had the problem), never after.
    for code in &proof.claimed {
        let after = proof
            .per_code
            .iter()
            .find(|(c, ..)| c == code)
            .map_or(0, |x| x.2);
        if *code != "NP305" {
            assert_eq!(after, 0, "{name}: {code} after applying");
        }
    }
    proof
}

#[test]
fn insecure_app() {
    let b = bundle(load(&root().join("examples/insecure-app")), 37);
    let proof = assert_sound("insecure-app", &b);
    // Its namespace must stay privileged (a privileged, host-namespace Deployment runs there),
    // so PS161 is new; the default-deny policies and the ServiceAccount fix what they claim.
    let per_code: std::collections::HashMap<_, _> = proof
        .per_code
        .iter()
        .map(|(c, b, a)| (*c, (*b, *a)))
        .collect();
    // The example holds no Namespace object nor any policy of its namespace: the namespace-level
    // NetworkPolicy rules cannot judge it until the bundle adds both, and then find nothing.
    let now: std::collections::HashMap<_, _> = proof.now_evaluated.iter().copied().collect();
    assert_eq!(now["NP301"], 0);
    assert_eq!(now["NP302"], 0);
    assert!(!proof.still_not_evaluated.contains(&"NP301"));
    assert_eq!(per_code["RB202"], (1, 0));
    assert_eq!(per_code["PS161"], (0, 1));
    // NP305 stays for the hostNetwork Deployment only: NetworkPolicies do not govern it.
    assert_eq!(per_code["NP305"], (1, 1));
}

#[test]
fn hardened_app() {
    let b = bundle(load(&root().join("examples/hardened-app")), 37);
    assert_sound("hardened-app", &b);
}

#[test]
fn examples_at_every_era() {
    // PodSecurityPolicy era, both admissions (1.23-1.24), structured authz (1.30+), authn (1.32+).
    for minor in [19, 22, 24, 28, 31, 33, 37] {
        let b = bundle(load(&root().join("examples")), minor);
        assert_sound(&format!("examples at 1.{minor}"), &b);
    }
}

/// `/work/shared/corpus/real-world` (or `$PALISADE_CORPUS`), when present.
fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("PALISADE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus/real-world"));
    dir.is_dir().then_some(dir)
}

#[test]
fn real_world_corpus() {
    let Some(dir) = corpus() else {
        eprintln!("real-world corpus not present: skipped");
        return;
    };
    let objects = load(&dir);
    let start = std::time::Instant::now();
    let b = bundle(objects, 37);
    let generated = start.elapsed();
    let proof = assert_sound("corpus at 1.37", &b);
    eprintln!(
        "corpus 1.37: {} objects, {} generated in {generated:?}, proof in {:?}: {} connections, \
         {} workloads at their level; before {:?} after {:?}",
        b.inventory.objects.len(),
        b.objects().count(),
        start.elapsed() - generated,
        proof.connections,
        proof.workloads_evaluated,
        proof.before,
        proof.after
    );
}

/// The guide's own PodSecurityPolicy files (in the corpus), in the PodSecurityPolicy era.
#[test]
fn guide_policy_files_at_1_24() {
    let Some(dir) = corpus() else {
        eprintln!("real-world corpus not present: skipped");
        return;
    };
    let b = bundle(
        load(&dir.join("freach__kubernetes-security-best-practice")),
        24,
    );
    assert_sound("the guide's repository at 1.24", &b);
}

/// The guide's YAML examples: at 1.24 (PodSecurityPolicy and Pod Security Admission) and now.
#[test]
fn guide_examples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text = std::fs::read_to_string(dir.join("guide-examples.yaml")).unwrap();
    let objects = objects_from_str("guide-examples.yaml", &text).objects;
    for minor in [24, 37] {
        let b = bundle(objects.clone(), minor);
        assert_sound(&format!("guide examples at 1.{minor}"), &b);
        // The privileged test Deployment keeps running: its namespace stays privileged, and
        // the warning level names why it cannot be stricter.
        let default = b.psa.iter().find(|c| c.namespace == "default").unwrap();
        assert_eq!(default.enforce, Level::Privileged);
        assert_eq!(default.blockers[0].checks, ["privileged"]);
    }
    // Before 1.25 the privileged Deployment's ServiceAccount is allowed the privileged policy.
    let b = bundle(objects, 24);
    let text = b.stream();
    assert!(text.contains("name: privileged-psp-default"), "{text}");
}

/// Allowances for a small cluster: each Service's clients as the configuration shows them, DNS,
/// the ingress controller, the outside world for a LoadBalancer, the payment provider outside,
/// and the guide's deny-dashboard in front of the Dashboard.
#[test]
fn allowances_follow_the_configuration() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text = std::fs::read_to_string(dir.join("dashboard-shop.yaml")).unwrap();
    let b = bundle(objects_from_str("dashboard-shop.yaml", &text).objects, 37);
    let proof = assert_sound("dashboard-shop", &b);
    let inv = &b.inventory;
    let clients = |service: &str| -> Vec<String> {
        let a = b
            .network
            .allowances
            .iter()
            .find(|a| inv.services[a.service].name == service)
            .unwrap_or_else(|| panic!("no allowance for {service}"));
        a.clients
            .iter()
            .map(|c| match c {
                Client::Workload(w, _) => inv.workloads[*w].name.clone(),
                Client::Namespace => "namespace".to_owned(),
                Client::AnyNamespace(_) => "any namespace".to_owned(),
                Client::External(_) => "outside".to_owned(),
            })
            .collect()
    };
    assert_eq!(clients("api"), ["web"]);
    assert_eq!(clients("db"), ["api"]);
    assert_eq!(clients("web"), ["ingress-nginx-controller"]);
    assert_eq!(clients("ingress-nginx-controller"), ["outside"]);
    assert_eq!(clients("reports"), ["namespace"]);
    // The API server calls the admission webhook from the control plane's address.
    assert_eq!(clients("policy-webhook"), ["outside"]);
    assert_eq!(
        clients("dashboard-metrics-scraper"),
        ["kubernetes-dashboard"]
    );
    assert!(!b
        .network
        .allowances
        .iter()
        .any(|a| inv.services[a.service].name == "kubernetes-dashboard"));
    let stream = b.stream();
    assert!(stream.contains("name: deny-dashboard"), "{stream}");
    assert!(
        stream.contains("name: palisade-allow-dns-ingress"),
        "{stream}"
    );
    // The API may call the payment provider on 443, never the metadata endpoint.
    assert!(
        stream.contains("calls api.payments.example.com:443 outside the cluster"),
        "{stream}"
    );
    assert!(proof.connections > 40, "{}", proof.connections);
    // kube-system stays privileged whatever its visible workloads pass; shop is labelled at the
    // level its workloads pass.
    let level = |ns: &str| b.psa.iter().find(|c| c.namespace == ns).unwrap().enforce;
    assert_eq!(level("kube-system"), Level::Privileged);
    assert_eq!(level("shop"), Level::Baseline);
    let before: std::collections::HashMap<_, _> = proof
        .per_code
        .iter()
        .map(|(c, b, a)| (*c, (*b, *a)))
        .collect();
    assert_eq!(before["NP306"], (1, 0));
    assert!(!before.contains_key("NP301") || before["NP301"].1 == 0);
    assert!(!proof.still_not_evaluated.contains(&"NP301"));
}

/// The node settings, laid over a kubeadm node of each version, pass every node rule about
/// settings; the same node without them does not (so the check can fail).
#[test]
fn node_settings_pass_the_node_rules() {
    use std::os::unix::fs::PermissionsExt;
    for minor in [16, 19, 20, 21, 23, 24, 25, 29, 30, 31, 32, 33, 34, 37] {
        let v = KubeVersion::v1(minor);
        let files = palisade_harden::node::files(v, Some(b"test-key-of-32-bytes-for-tests!!"));
        let audit = |tree: Vec<(String, String)>| {
            let dir = tempfile::tempdir().unwrap();
            for (path, text) in tree {
                let target = dir.path().join(path);
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::write(&target, text).unwrap();
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
            }
            let report = palisade_node::audit(&palisade_node::Options {
                root: dir.path().to_owned(),
                proc: None,
                kubernetes_version: Some(v),
                run_binaries: false,
            });
            report
                .findings
                .into_iter()
                .filter(|f| !palisade_harden::node::NOT_SETTINGS.contains(&f.code))
                .map(|f| format!("{} {}", f.code, f.message))
                .collect::<Vec<_>>()
        };
        let tree = palisade_harden::node::verification_tree(v, &files);
        let findings = audit(tree.clone());
        assert!(findings.is_empty(), "1.{minor}: {findings:#?}");
        // Without the bundle's API server flags, and a kubelet that accepts anonymous requests.
        let flags = palisade_harden::node::flags(v).apiserver;
        let bare: Vec<(String, String)> = tree
            .into_iter()
            .map(|(p, t)| {
                if p.ends_with("kubelet/config.yaml") {
                    let open = "apiVersion: kubelet.config.k8s.io/v1beta1\n\
                                kind: KubeletConfiguration\n\
                                authentication:\n  anonymous:\n    enabled: true\n";
                    return (p, open.to_owned());
                }
                let t = t
                    .lines()
                    .filter(|l| !flags.iter().any(|f| l.trim() == format!("- {f}")))
                    .map(|l| format!("{l}\n"))
                    .collect();
                (p, t)
            })
            .collect();
        let findings = audit(bare);
        for code in ["CP501", "CP504", "CP510", "KL601"] {
            assert!(
                findings.iter().any(|f| f.starts_with(code)),
                "1.{minor}: {code} expected without the settings: {findings:#?}"
            );
        }
    }
}

/// The proof can fail: without the DNS allowance every pod loses name resolution, and a
/// namespace enforcing a level its workload fails rejects it.
#[test]
fn the_proof_catches_a_bundle_that_breaks_workloads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text = std::fs::read_to_string(dir.join("dashboard-shop.yaml")).unwrap();
    let mut b = bundle(objects_from_str("dashboard-shop.yaml", &text).objects, 37);
    for f in &mut b.files {
        f.objects.retain(|g| {
            g.value
                .get("metadata")
                .and_then(|m| m.get("name"))
                .is_none_or(|n| *n != palisade_harden::yaml::Y::str("palisade-allow-dns"))
        });
    }
    let proof = b.proof().unwrap();
    assert!(
        proof
            .breakages
            .iter()
            .any(|c| c.what.contains("kube-dns 53/UDP")),
        "{:?}",
        proof.breakages
    );

    let mut b = bundle(load(&root().join("examples/insecure-app")), 37);
    for c in &mut b.psa {
        c.enforce = Level::Restricted;
    }
    let proof = b.proof().unwrap();
    assert!(
        proof
            .breakages
            .iter()
            .any(|c| c.what.contains("legacy-billing would be rejected")),
        "{:?}",
        proof.breakages
    );
}

/// What the user reviews for examples/insecure-app: the whole stream, node settings included.
#[test]
fn insecure_app_bundle_snapshot() {
    let b = bundle(load(&root().join("examples/insecure-app")), 37);
    insta::assert_snapshot!(b.stream());
}

/// Two workloads of one name (a Deployment and a StatefulSet) get egress policies of different
/// names: objects of one name would overwrite each other when applied.
#[test]
fn generated_names_are_unique() {
    let text = "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: app}\n\
                spec: {selector: {app: db}, ports: [{port: 5432}]}\n---\n\
                apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: app}\n\
                spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: x, env: [{name: DB, value: db}]}]}\n---\n\
                apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web, namespace: app}\n\
                spec:\n  selector: {matchLabels: {app: web2}}\n  template:\n    metadata: {labels: {app: web2}}\n    spec: {containers: [{name: c, image: x, env: [{name: DB, value: db}]}]}\n---\n\
                apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: app}\n\
                spec:\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: c, image: x}]}\n";
    let b = bundle(objects_from_str("t.yaml", text).objects, 37);
    assert_sound("same names", &b);
    let parsed = b.parsed().unwrap();
    let mut names: Vec<(Option<&str>, Option<&str>)> = parsed
        .iter()
        .filter(|o| o.kind() == "NetworkPolicy")
        .map(|o| (o.namespace(), o.name()))
        .collect();
    let all = names.len();
    assert!(names.contains(&(Some("app"), Some("palisade-egress-web"))));
    assert!(names.contains(&(Some("app"), Some("palisade-egress-web-2"))));
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all);
}

/// Existing egress rules that admit the metadata endpoint through ipBlocks written as the API
/// server accepts them (leading zeros, an IPv4-mapped range, which holds IPv4 addresses as Go
/// reads it) get the address as an `except` in the range's own spelling: the API server compares
/// prefix lengths as written, so `169.254.169.254/32` under a /96 would make the policy invalid.
#[test]
fn metadata_except_in_the_range_spelling() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
                metadata: {name: out, namespace: app}\nspec:\n  podSelector: {}\n  egress:\n  \
                - to:\n    - ipBlock: {cidr: \"::ffff:0.0.0.0/96\"}\n    \
                - ipBlock: {cidr: 0169.0.0.0/8}\n";
    let b = bundle(objects_from_str("t.yaml", text).objects, 37);
    assert_sound("metadata spellings", &b);
    let parsed = b.parsed().unwrap();
    let patched = parsed
        .iter()
        .find(|o| o.kind() == "NetworkPolicy" && o.name() == Some("out"))
        .expect("the policy is patched");
    let (_, errors) = palisade_rules::netpol::parse_policy(patched);
    assert!(errors.is_empty(), "{errors:?}");
    let stream = b.stream();
    assert!(stream.contains("::ffff:169.254.169.254/128"), "{stream}");
    assert!(stream.contains("169.254.169.254/32"), "{stream}");
}

/// Values a tenant controls (namespace names, labels, annotations, Service and port names of the
/// scanned objects) stay in their YAML position: every generated object reads back from the
/// rendered text as exactly the tree that was generated, and nothing else appears. The same
/// inventory is what `invalid_names` reports, field by field.
#[test]
fn hostile_inventory_values_never_leave_their_position() {
    let hostile = "x\nkind: ClusterRoleBinding";
    let text = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{team: {lv}}}\n  \
         annotations: {{note: {ann}}}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  \
         selector:\n    matchLabels: {{{lk}: {lv}}}\n  template:\n    metadata:\n      labels: {{{lk}: {lv}}}\n    \
         spec:\n      serviceAccountName: {sa}\n      containers:\n      - name: c\n        image: nginx\n        \
         ports: [{{name: {pn}, containerPort: 80}}]\n        env: [{{name: DB, value: db}}]\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: {svc}\n  namespace: {ns}\nspec:\n  \
         selector: {{{lk}: {lv}}}\n  ports: [{{port: 80, targetPort: {pn}}}]\n",
        ns = palisade_core::yaml::scalar::double_quoted(hostile),
        lv = palisade_core::yaml::scalar::double_quoted("v: {a: b}\n- c"),
        lk = palisade_core::yaml::scalar::double_quoted("k: #x"),
        ann = palisade_core::yaml::scalar::double_quoted("'\"\\\u{2028}---\n..."),
        sa = palisade_core::yaml::scalar::double_quoted("sa\n  namespace: kube-system"),
        pn = palisade_core::yaml::scalar::double_quoted("http\n    port: 1"),
        svc = palisade_core::yaml::scalar::double_quoted("db\n  namespace: kube-system"),
    );
    let loaded = objects_from_str("hostile.yaml", &text);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let fields: Vec<String> = palisade_harden::invalid_names(&loaded.objects)
        .into_iter()
        .map(|i| format!("{} {}", loaded.objects[i.object].kind(), i.pointer))
        .collect();
    for expected in [
        "Namespace /metadata/name",
        "Namespace /metadata/labels/team",
        "Deployment /metadata/namespace",
        "Deployment /spec/template/metadata/labels/k: #x",
        "Deployment /spec/template/spec/serviceAccountName",
        "Deployment /spec/selector/matchLabels/k: #x",
        "Service /metadata/name",
        "Service /spec/selector/k: #x",
        "Service /spec/ports/0/targetPort",
    ] {
        assert!(
            fields.iter().any(|f| f == expected),
            "{expected} not in {fields:?}"
        );
    }
    // Unvalidated, through the library: quoting alone keeps every value in place.
    for minor in [24, 33] {
        let b = bundle(loaded.objects.clone(), minor);
        assert!(b.inventory.namespaces.iter().any(|n| n == hostile));
        let generated: Vec<&palisade_harden::Generated> = b.objects().collect();
        let parsed = b.parsed().unwrap();
        assert_eq!(parsed.len(), generated.len());
        for (g, p) in generated.iter().zip(&parsed) {
            assert_eq!(palisade_harden::yaml::Y::from_node(&p.node), g.value);
        }
    }
}
