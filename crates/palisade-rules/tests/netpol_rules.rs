//! NP301–NP307 over fixtures: namespace-level findings once per namespace, workload-level ones
//! only where the gap is the workload's, and scope-honest messages.

mod workload_support;

use palisade_core::{Finding, Location};
use workload_support::*;

fn deployment(name: &str, ns: &str, labels: &str, extra_spec: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  \
         template:\n    metadata:\n      labels:\n{labels}    spec:\n{extra_spec}      containers:\n      \
         - name: c\n        image: {image}\n---\n"
    )
}

fn app(name: &str, ns: &str) -> String {
    deployment(
        name,
        ns,
        &format!("        app: {name}\n"),
        "",
        "nginx:1.27",
    )
}

fn np(name: &str, ns: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  \
         namespace: {ns}\nspec:\n{spec}---\n"
    )
}

fn namespace(name: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n---\n")
}

fn line(f: &Finding) -> u32 {
    match &f.location {
        Location::File { pos, .. } => pos.line,
        other => panic!("{other:?}"),
    }
}

fn messages(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| &*f.message).collect()
}

const DENY_INGRESS: &str = "  podSelector: {}\n  policyTypes: [Ingress]\n";
const DENY_EGRESS_BUT_DNS: &str = "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - {port: 53, protocol: UDP}\n";

#[test]
fn np301_one_finding_per_namespace_without_default_deny() {
    // An egress-only policy puts "shop" in scope without touching ingress.
    let yaml = format!(
        "{}{}{}{}{}",
        app("web", "shop"),
        app("api", "shop"),
        np(
            "out",
            "shop",
            "  podSelector: {}\n  policyTypes: [Egress]\n"
        ),
        app("site", "blog"),
        np("deny", "blog", DENY_INGRESS)
    );
    let f = check_all("NP301", &yaml);
    assert_eq!(f.len(), 1, "{:#?}", messages(&f));
    assert!(
        f[0].message
            .contains("namespace \"shop\" has 2 workloads (Deployment web, Deployment api)")
            && f[0]
                .message
                .contains("no NetworkPolicy in the scanned files denies ingress"),
        "{}",
        f[0].message
    );
    // On the first workload's metadata.namespace when there is no Namespace object.
    assert_eq!(pointer(&f[0]), "/metadata/namespace");
    // On the Namespace object when there is one.
    let with_ns = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n{}",
        app("web", "shop")
    );
    let f = check_all("NP301", &with_ns);
    assert_eq!(pointer(&f[0]), "/metadata/name");
    assert_eq!(f[0].object.as_ref().unwrap().kind, "Namespace");
    // Not from one object alone.
    assert!(check("NP301", &app("web", "shop")).is_empty());
}

#[test]
fn np301_what_counts_as_default_deny() {
    let cases: &[(&str, bool)] = &[
        (DENY_INGRESS, true),
        ("  podSelector: {}\n", true),
        // Isolating with exceptions is still a default deny.
        (
            "  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {}\n",
            true,
        ),
        // Isolating and allowing everything back is not.
        ("  podSelector: {}\n  ingress:\n  - {}\n", false),
        // Egress only.
        ("  podSelector: {}\n  policyTypes: [Egress]\n", false),
        // Only some pods.
        ("  podSelector:\n    matchLabels:\n      app: web\n", false),
        // Invalid: the API server rejects it.
        ("  podSelector: {}\n  policyTypes: [ingress]\n", false),
    ];
    for (spec, covered) in cases {
        let yaml = format!("{}{}", app("web", "shop"), np("p", "shop", spec));
        let f = check_all("NP301", &yaml);
        assert_eq!(f.is_empty(), *covered, "{spec}: {:?}", messages(&f));
    }
    // A policy in another namespace does not count, and hostNetwork pods are not counted.
    let yaml = format!(
        "{}{}{}",
        namespace("shop"),
        app("web", "shop"),
        np("p", "other", DENY_INGRESS)
    );
    assert_eq!(check_all("NP301", &yaml).len(), 1);
    let host = deployment(
        "agent",
        "nodes",
        "        app: agent\n",
        "      hostNetwork: true\n",
        "x:1",
    );
    assert!(check_all("NP301", &host).is_empty());
}

#[test]
fn np302_egress_default_deny() {
    let yaml = format!(
        "{}{}",
        app("web", "shop"),
        np("deny-in", "shop", DENY_INGRESS)
    );
    let f = check_all("NP302", &yaml);
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("denies egress"), "{}", f[0].message);
    let yaml = format!(
        "{}{}",
        app("web", "shop"),
        np("deny-out", "shop", DENY_EGRESS_BUT_DNS)
    );
    assert!(check_all("NP302", &yaml).is_empty());
    // Egress rules without policyTypes make it an egress policy.
    let yaml = format!(
        "{}{}",
        app("web", "shop"),
        np(
            "p",
            "shop",
            "  podSelector: {}\n  egress:\n  - ports:\n    - port: 443\n"
        )
    );
    assert!(check_all("NP302", &yaml).is_empty());
}

#[test]
fn np303_only_in_namespaces_with_policies() {
    let yaml = format!(
        "{}{}{}{}",
        app("web", "shop"),
        app("api", "shop"),
        app("lonely", "empty"),
        np(
            "web",
            "shop",
            "  podSelector:\n    matchLabels:\n      app: web\n"
        )
    );
    let f = check_all("NP303", &yaml);
    assert_eq!(f.len(), 1, "{:#?}", messages(&f));
    assert_eq!(pointer(&f[0]), "/spec/template/metadata/labels");
    assert!(
        f[0].message.contains("no NetworkPolicy in the scanned files selects the pods of Deployment shop/api (labels app=api)"),
        "{}",
        f[0].message
    );
    // A default deny selects everyone.
    let yaml = format!("{}{}", app("api", "shop"), np("deny", "shop", DENY_INGRESS));
    assert!(check_all("NP303", &yaml).is_empty());
    // Provisional, from one object: reported.
    assert_eq!(check("NP303", &app("api", "shop")).len(), 1);
}

#[test]
fn np304_ingress_from_anywhere() {
    let cases: &[(&str, &[&str])] = &[
        ("  podSelector: {}\n  ingress:\n  - {}\n", &["/spec/ingress/0"]),
        ("  podSelector: {}\n  ingress:\n  - from: []\n    ports:\n    - port: 443\n", &["/spec/ingress/0"]),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n", &["/spec/ingress/0/from/0/ipBlock/cidr"]),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {}\n    - namespaceSelector: {}\n", &["/spec/ingress/0/from/1"]),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {}\n      podSelector:\n        matchLabels:\n          app: prometheus\n", &[]),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 203.0.113.0/24\n", &[]),
        // Ingress rules of a policy that is Egress-only are ignored.
        ("  podSelector: {}\n  policyTypes: [Egress]\n  ingress:\n  - {}\n", &[]),
        ("  podSelector: {}\n  ingress: []\n", &[]),
    ];
    for (spec, expected) in cases {
        assert_pointers(spec, &check("NP304", &np("p", "shop", spec)), expected);
    }
    let f = check("NP304", &np("p", "shop", "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - ports:\n    - port: 443\n"));
    assert!(
        f[0].message
            .contains("every source, inside and outside the cluster")
            && f[0].message.contains("on 443/TCP to pods app=web"),
        "{}",
        f[0].message
    );
}

#[test]
fn np305_metadata_endpoint() {
    // (1) Rules that admit it.
    let cases: &[(&str, &[&str])] = &[
        ("  podSelector: {}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n", &["/spec/egress/0/to/0/ipBlock"]),
        ("  podSelector: {}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n        except: [169.254.169.254/32]\n", &[]),
        ("  podSelector: {}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 169.254.0.0/16\n", &["/spec/egress/0/to/0/ipBlock"]),
        ("  podSelector: {}\n  egress:\n  - ports:\n    - port: 53\n      protocol: UDP\n", &[]),
        ("  podSelector: {}\n  egress:\n  - ports:\n    - port: 1\n      endPort: 1024\n", &["/spec/egress/0"]),
        ("  podSelector: {}\n  egress:\n  - {}\n", &["/spec/egress/0"]),
        ("  podSelector: {}\n  egress:\n  - to:\n    - namespaceSelector: {}\n", &[]),
    ];
    for (spec, expected) in cases {
        assert_pointers(spec, &check("NP305", &np("p", "shop", spec)), expected);
    }
    // (2) A namespace without any egress restriction: once.
    let f = check_all(
        "NP305",
        &format!(
            "{}{}{}",
            namespace("shop"),
            app("web", "shop"),
            app("api", "shop")
        ),
    );
    assert_eq!(f.len(), 1, "{:#?}", messages(&f));
    assert!(
        f[0].message.contains("namespace \"shop\" has 2 workloads"),
        "{}",
        f[0].message
    );
    // (3) Restricted namespace: the workload no egress policy selects, and hostNetwork pods.
    let yaml = format!(
        "{}{}{}{}",
        app("web", "shop"),
        app("api", "shop"),
        deployment(
            "agent",
            "shop",
            "        app: agent\n",
            "      hostNetwork: true\n",
            "x:1"
        ),
        np(
            "web-out",
            "shop",
            "  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Egress]\n"
        )
    );
    let f = check_all("NP305", &yaml);
    assert_eq!(
        pointers(&f),
        [
            "/spec/template/metadata/labels",
            "/spec/template/spec/hostNetwork"
        ],
        "{:#?}",
        messages(&f)
    );
    assert!(
        f[0].message.contains("Deployment shop/api"),
        "{}",
        f[0].message
    );
    assert!(f[1].message.contains("hostNetwork"), "{}", f[1].message);
}

const DASHBOARD_LABELS: &str = "        k8s-app: kubernetes-dashboard\n";

#[test]
fn np306_dashboard() {
    let dash = deployment(
        "kubernetes-dashboard",
        "kubernetes-dashboard",
        DASHBOARD_LABELS,
        "",
        "kubernetesui/dashboard:v2.7.0",
    );
    let f = check_all("NP306", &dash);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message
            .contains("no NetworkPolicy in the scanned files isolates the Kubernetes Dashboard"),
        "{}",
        f[0].message
    );
    // The guide's deny-dashboard policy.
    let deny = np("deny-dashboard", "kubernetes-dashboard", "  podSelector:\n    matchLabels:\n      k8s-app: kubernetes-dashboard\n  policyTypes:\n  - Ingress\n");
    assert!(check_all("NP306", &format!("{dash}{deny}")).is_empty());
    // In another namespace it does not apply.
    let elsewhere = deny.replace("namespace: kubernetes-dashboard", "namespace: kube-system");
    assert_eq!(check_all("NP306", &format!("{dash}{elsewhere}")).len(), 1);
    // A policy that isolates it but admits pods: reported at that rule.
    let open = np("dash", "kubernetes-dashboard", "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {}\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n");
    let f = check_all("NP306", &format!("{dash}{open}"));
    assert_eq!(
        pointers(&f),
        ["/spec/ingress/0/from/0"],
        "{:#?}",
        messages(&f)
    );
    assert_eq!(f[0].object.as_ref().unwrap().kind, "NetworkPolicy");
    assert!(line(&f[0]) > 10);
    // Detected by image alone; not the metrics scraper; not other workloads.
    let by_image = deployment(
        "ui",
        "tools",
        "        app: ui\n",
        "",
        "docker.io/kubernetesui/dashboard-web:1.6.0",
    );
    assert_eq!(check_all("NP306", &by_image).len(), 1);
    let old = deployment(
        "ui",
        "kube-system",
        "        app: ui\n",
        "",
        "k8s.gcr.io/kubernetes-dashboard-amd64:v1.10.1",
    );
    assert_eq!(check_all("NP306", &old).len(), 1);
    let scraper = deployment(
        "s",
        "tools",
        "        app: s\n",
        "",
        "kubernetesui/dashboard-metrics-scraper:1.2.1",
    );
    assert!(check_all("NP306", &scraper).is_empty());
    assert!(check_all("NP306", &app("web", "shop")).is_empty());
}

#[test]
fn np307_invalid_policy() {
    let f = check(
        "NP307",
        &np(
            "p",
            "shop",
            "  podSelector: {}\n  ingress:\n  - from:\n    - {}\n",
        ),
    );
    assert_eq!(pointers(&f), ["/spec/ingress/0/from/0"]);
    assert!(
        f[0].message
            .contains("NetworkPolicy shop/p would be rejected by the API server"),
        "{}",
        f[0].message
    );
    assert!(check("NP307", &np("p", "shop", DENY_INGRESS)).is_empty());
}

#[test]
fn workloads_controlled_by_others_are_represented_by_them() {
    // A live cluster's Pod owned by a ReplicaSet is represented by its owner.
    let owned = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc\n  namespace: shop\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: web, uid: x, controller: true}\n  labels:\n    app: web\nspec:\n  containers:\n  - name: c\n    image: x:1\n---\n";
    let yaml = format!(
        "{owned}{}",
        np(
            "p",
            "shop",
            "  podSelector:\n    matchLabels:\n      app: other\n"
        )
    );
    assert!(check_all("NP303", &yaml).is_empty());
    assert!(check_all("NP301", owned).is_empty());
}

/// Objects without metadata.namespace: those of one directory share a namespace, those of
/// different directories (unrelated applications of one scan) do not.
#[test]
fn unset_namespaces_are_grouped_by_directory() {
    use palisade_core::source::objects_from_str;
    use palisade_core::{check_objects, Context, Settings};
    let web = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: c\n        image: x:1\n";
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db\nspec:\n  podSelector:\n    matchLabels:\n      app: db\n";
    let run = |code: &str, files: &[(&str, &str)]| {
        let objects: Vec<_> = files
            .iter()
            .flat_map(|(path, text)| objects_from_str(path, text).objects)
            .collect();
        let mut out = Vec::new();
        let settings = Settings::default();
        check_objects(
            rule(code),
            &Context {
                settings: &settings,
            },
            &objects,
            &mut out,
        );
        out
    };
    // Same directory: the policy is in web's namespace, which then has a policy not selecting it.
    let same = run("NP303", &[("app/web.yaml", web), ("app/np.yaml", policy)]);
    assert_eq!(same.len(), 1);
    assert!(
        same[0]
            .message
            .contains("objects without metadata.namespace in app"),
        "{}",
        same[0].message
    );
    // Different directories: unrelated. The namespace-level rule cannot speak either: nothing
    // of web's namespace but web is in the scan.
    assert!(run("NP303", &[("a/web.yaml", web), ("b/np.yaml", policy)]).is_empty());
    assert!(run("NP301", &[("a/web.yaml", web), ("b/np.yaml", policy)]).is_empty());
    let objects: Vec<_> = [("a/web.yaml", web), ("b/np.yaml", policy)]
        .iter()
        .flat_map(|(path, text)| objects_from_str(path, text).objects)
        .collect();
    let why = not_evaluated_of("NP301", &objects).expect("not evaluated");
    assert!(
        why.contains("objects without metadata.namespace in a"),
        "{why}"
    );
}

/// The Dashboard's own manifests (`shared/corpus/real-world/kubernetes__dashboard`): no policy
/// isolates it, and that is reported once per Dashboard workload.
#[test]
fn dashboard_repository_reports_the_dashboard() {
    use palisade_core::source::objects_from_str;
    use palisade_core::{check_objects, Context, Settings};
    let dir = std::env::var_os("PALISADE_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/corpus/real-world")
        })
        .join("kubernetes__dashboard");
    if !dir.is_dir() {
        eprintln!("skipping: no corpus at {}", dir.display());
        return;
    }
    let mut objects = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
                let text = std::fs::read_to_string(&p).unwrap();
                objects.extend(objects_from_str(&p.display().to_string(), &text).objects);
            }
        }
    }
    let settings = Settings::default();
    let mut findings = Vec::new();
    check_objects(
        rule("NP306"),
        &Context {
            settings: &settings,
        },
        &objects,
        &mut findings,
    );
    assert!(!findings.is_empty());
    for f in &findings {
        assert!(
            f.message.contains(
                "no NetworkPolicy in the scanned files isolates the Kubernetes Dashboard"
            ),
            "{}",
            f.message
        );
    }
}

/// A hardened pod scanned alone says nothing about its namespace's policies: the namespace-level
/// rules are not evaluated, and say why; per-pod facts still are findings.
#[test]
fn namespace_verdicts_need_the_namespace_in_the_scan() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: app\nspec:\n  \
               containers:\n  - name: c\n    image: nginx:1.27\n";
    for code in ["NP301", "NP302", "NP305"] {
        assert!(check_all(code, pod).is_empty(), "{code}");
        let why = not_evaluated(code, pod).unwrap_or_else(|| panic!("{code}: no reason"));
        assert!(
            why.contains("namespace \"app\" (1 workload (Pod web))")
                && why.contains("neither the Namespace object nor any NetworkPolicy"),
            "{code}: {why}"
        );
    }
    // With the Namespace object, or any policy of the namespace, the verdict is the scan's.
    for with in [namespace("app"), np("out", "app", DENY_EGRESS_BUT_DNS)] {
        let yaml = format!("{with}{pod}");
        assert_eq!(check_all("NP301", &yaml).len(), 1, "{yaml}");
        assert_eq!(not_evaluated("NP301", &yaml), None);
    }
    // A hostNetwork pod reaches the metadata endpoint whatever its namespace has: still a finding.
    let host = pod.replace("spec:\n", "spec:\n  hostNetwork: true\n");
    assert_eq!(check_all("NP305", &host).len(), 1);

    // A live cluster holds every policy there is: no Namespace object needed.
    let from_cluster: Vec<palisade_core::Object> = objects(pod)
        .into_iter()
        .map(|o| palisade_core::Object {
            origin: palisade_core::Origin::Api {
                source: "cluster".into(),
            },
            node: o.node,
        })
        .collect();
    let mut out = Vec::new();
    palisade_core::check_objects(
        rule("NP301"),
        &palisade_core::Context {
            settings: &palisade_core::Settings::default(),
        },
        &from_cluster,
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert!(
        out[0].message.contains("in the cluster"),
        "{}",
        out[0].message
    );
    assert_eq!(not_evaluated_of("NP301", &from_cluster), None);
}

/// Every workload already selected by an ingress policy: the gap is only the catch-all default
/// deny a future workload would need, and that is what is said, at low.
#[test]
fn np301_without_catch_all_when_every_workload_is_selected() {
    let yaml = format!(
        "{}{}{}{}",
        app("web", "shop"),
        app("api", "shop"),
        np("web", "shop", "  podSelector:\n    matchLabels:\n      app: web\n  ingress:\n  - from:\n    - podSelector: {}\n"),
        np("api", "shop", "  podSelector:\n    matchLabels:\n      app: api\n  policyTypes: [Ingress]\n"),
    );
    let f = check_all("NP301", &yaml);
    assert_eq!(f.len(), 1, "{:#?}", messages(&f));
    assert_eq!(f[0].severity, palisade_core::Severity::Low);
    assert!(
        f[0].message.contains("no catch-all default-deny ingress")
            && f[0].message.contains("a workload added later"),
        "{}",
        f[0].message
    );
    // One workload left unselected: the namespace really is open, at the rule's severity.
    let open = format!("{yaml}{}", app("db", "shop"));
    let f = check_all("NP301", &open);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, palisade_core::Severity::Medium);
    assert!(f[0]
        .message
        .contains("a pod no policy selects accepts connections"));
}
