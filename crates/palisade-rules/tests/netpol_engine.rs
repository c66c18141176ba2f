//! The NetworkPolicy evaluator against the semantics of the Kubernetes reference docs
//! (concepts/services-networking/network-policies and the networking.k8s.io/v1 API reference).

use palisade_core::source::objects_from_str;
use palisade_core::{KubeVersion, Object};
use palisade_rules::netpol::{
    parse_policy, Cidr, ContainerPort, Endpoint, Labels, Network, Options, Pod, PortQuery,
    Protocol, Side,
};

fn objects(yaml: &str) -> Vec<Object> {
    let loaded = objects_from_str("np.yaml", yaml);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.objects
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn pod(ns: &str, pairs: &[(&str, &str)]) -> Endpoint {
    Endpoint::Pod(Pod {
        namespace: ns.to_owned(),
        labels: labels(pairs),
        ports: Vec::new(),
    })
}

fn pod_with_ports(ns: &str, pairs: &[(&str, &str)], ports: &[(&str, u16, Protocol)]) -> Endpoint {
    Endpoint::Pod(Pod {
        namespace: ns.to_owned(),
        labels: labels(pairs),
        ports: ports
            .iter()
            .map(|(n, p, proto)| ContainerPort {
                name: Some((*n).to_owned()),
                number: *p,
                protocol: *proto,
            })
            .collect(),
    })
}

fn ip(s: &str) -> Endpoint {
    Endpoint::Address(s.parse().unwrap())
}

fn tcp(n: u16) -> Option<PortQuery> {
    Some(PortQuery {
        number: n,
        protocol: Protocol::Tcp,
    })
}

fn udp(n: u16) -> Option<PortQuery> {
    Some(PortQuery {
        number: n,
        protocol: Protocol::Udp,
    })
}

/// A NetworkPolicy in namespace `ns` with `spec` (indented two spaces by the caller).
fn np(name: &str, ns: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  \
         namespace: {ns}\nspec:\n{spec}---\n"
    )
}

fn ns(name: &str, pairs: &[(&str, &str)]) -> String {
    let mut s = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    if !pairs.is_empty() {
        s.push_str("  labels:\n");
        for (k, v) in pairs {
            s.push_str(&format!("    {k}: {v}\n"));
        }
    }
    s.push_str("---\n");
    s
}

fn reach(objs: &[Object], from: &Endpoint, to: &Endpoint, port: Option<PortQuery>) -> bool {
    let network = Network::new(objs, Options::default());
    assert!(network.invalid.is_empty(), "{:?}", network.invalid);
    network.can_reach(from, to, port).unwrap().allowed()
}

const DENY_ALL_INGRESS: &str = "  podSelector: {}\n  policyTypes: [Ingress]\n";

#[test]
fn no_policy_means_not_isolated() {
    let objs = objects(&np("other", "elsewhere", DENY_ALL_INGRESS));
    let network = Network::new(&objs, Options::default());
    let v = network
        .can_reach(
            &pod("shop", &[("app", "a")]),
            &pod("shop", &[("app", "b")]),
            tcp(80),
        )
        .unwrap();
    assert_eq!(v.egress, Side::NotIsolated);
    assert_eq!(v.ingress, Side::NotIsolated);
    assert!(v.allowed());
}

#[test]
fn empty_pod_selector_selects_every_pod_and_absent_too() {
    for spec in [
        DENY_ALL_INGRESS,
        "  podSelector:\n  policyTypes: [Ingress]\n",
        "  policyTypes: [Ingress]\n",
    ] {
        let objs = objects(&np("deny", "shop", spec));
        assert!(
            !reach(
                &objs,
                &pod("shop", &[]),
                &pod("shop", &[("app", "x")]),
                tcp(80)
            ),
            "{spec}"
        );
        // Other namespaces are not affected.
        assert!(
            reach(
                &objs,
                &pod("shop", &[]),
                &pod("web", &[("app", "x")]),
                tcp(80)
            ),
            "{spec}"
        );
    }
}

#[test]
fn ingress_empty_rule_allows_all_but_empty_list_denies() {
    let allow_all = objects(&np(
        "allow",
        "shop",
        "  podSelector: {}\n  ingress:\n  - {}\n",
    ));
    assert!(reach(
        &allow_all,
        &pod("other", &[]),
        &pod("shop", &[]),
        tcp(1234)
    ));
    assert!(reach(
        &allow_all,
        &ip("203.0.113.7"),
        &pod("shop", &[]),
        udp(53)
    ));
    for spec in ["  podSelector: {}\n  ingress: []\n", "  podSelector: {}\n"] {
        let deny = objects(&np("deny", "shop", spec));
        assert!(
            !reach(&deny, &pod("shop", &[]), &pod("shop", &[]), tcp(80)),
            "{spec}"
        );
        assert!(
            !reach(&deny, &ip("203.0.113.7"), &pod("shop", &[]), None),
            "{spec}"
        );
    }
}

#[test]
fn policy_types_default_from_the_rules() {
    let network_for = |spec: &str| objects(&np("p", "shop", spec));
    let egress_isolated = |objs: &[Object]| {
        let n = Network::new(objs, Options::default());
        let v = n
            .can_reach(&pod("shop", &[]), &ip("198.51.100.1"), tcp(443))
            .unwrap();
        !matches!(v.egress, Side::NotIsolated)
    };
    let ingress_isolated = |objs: &[Object]| {
        let n = Network::new(objs, Options::default());
        let v = n
            .can_reach(&ip("198.51.100.1"), &pod("shop", &[]), tcp(443))
            .unwrap();
        !matches!(v.ingress, Side::NotIsolated)
    };
    // No policyTypes, no rules: Ingress only.
    let o = network_for("  podSelector: {}\n");
    assert!(ingress_isolated(&o) && !egress_isolated(&o));
    // No policyTypes, egress rules: Ingress and Egress.
    let o = network_for(
        "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n",
    );
    assert!(ingress_isolated(&o) && egress_isolated(&o));
    assert!(!reach(&o, &pod("shop", &[]), &ip("198.51.100.1"), tcp(443)));
    assert!(reach(&o, &pod("shop", &[]), &ip("10.1.2.3"), tcp(443)));
    // An empty egress list is no egress section.
    let o = network_for("  podSelector: {}\n  egress: []\n");
    assert!(ingress_isolated(&o) && !egress_isolated(&o));
    // An empty policyTypes list is defaulted too.
    let o = network_for("  podSelector: {}\n  policyTypes: []\n");
    assert!(ingress_isolated(&o) && !egress_isolated(&o));
    // Explicit Egress only: ingress rules are ignored and ingress is not isolated.
    let o = network_for("  podSelector: {}\n  policyTypes: [Egress]\n  ingress:\n  - from:\n    - podSelector: {}\n");
    assert!(!ingress_isolated(&o) && egress_isolated(&o));
    assert!(!reach(&o, &pod("shop", &[]), &pod("shop", &[]), tcp(80)));
    // Explicit both, no rules: deny all both ways.
    let o = network_for("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n");
    assert!(ingress_isolated(&o) && egress_isolated(&o));
}

#[test]
fn peers_pod_selector_namespace_selector_and_both() {
    let spec = |from: &str| {
        format!("  podSelector:\n    matchLabels:\n      app: db\n  ingress:\n  - from:\n{from}")
    };
    let db = pod("shop", &[("app", "db")]);
    let prod = ns("prod", &[("env", "prod")]);
    // podSelector alone: pods of the policy's namespace only.
    let o = objects(&format!(
        "{prod}{}",
        np(
            "p",
            "shop",
            &spec("    - podSelector:\n        matchLabels:\n          app: web\n")
        )
    ));
    assert!(reach(&o, &pod("shop", &[("app", "web")]), &db, tcp(5432)));
    assert!(!reach(&o, &pod("prod", &[("app", "web")]), &db, tcp(5432)));
    assert!(!reach(&o, &pod("shop", &[("app", "api")]), &db, tcp(5432)));
    // podSelector: {}: every pod of the policy's namespace.
    let o = objects(&np("p", "shop", &spec("    - podSelector: {}\n")));
    assert!(reach(&o, &pod("shop", &[("x", "y")]), &db, tcp(5432)));
    assert!(!reach(&o, &pod("prod", &[]), &db, tcp(5432)));
    // namespaceSelector alone: every pod of the selected namespaces.
    let o = objects(&format!(
        "{prod}{}",
        np(
            "p",
            "shop",
            &spec("    - namespaceSelector:\n        matchLabels:\n          env: prod\n")
        )
    ));
    assert!(reach(&o, &pod("prod", &[("any", "thing")]), &db, tcp(5432)));
    assert!(
        !reach(&o, &pod("shop", &[]), &db, tcp(5432)),
        "own namespace not labelled env=prod"
    );
    // namespaceSelector: {}: every pod of every namespace, but not outside addresses.
    let o = objects(&np("p", "shop", &spec("    - namespaceSelector: {}\n")));
    assert!(reach(&o, &pod("anywhere", &[]), &db, tcp(5432)));
    assert!(!reach(&o, &ip("203.0.113.7"), &db, tcp(5432)));
    // Both in one peer: AND.
    let both = "    - namespaceSelector:\n        matchLabels:\n          env: prod\n      podSelector:\n        matchLabels:\n          app: web\n";
    let o = objects(&format!("{prod}{}", np("p", "shop", &spec(both))));
    assert!(reach(&o, &pod("prod", &[("app", "web")]), &db, tcp(5432)));
    assert!(!reach(&o, &pod("prod", &[("app", "api")]), &db, tcp(5432)));
    assert!(!reach(&o, &pod("shop", &[("app", "web")]), &db, tcp(5432)));
    // Two peers: OR.
    let two = "    - namespaceSelector:\n        matchLabels:\n          env: prod\n    - podSelector:\n        matchLabels:\n          app: web\n";
    let o = objects(&format!("{prod}{}", np("p", "shop", &spec(two))));
    assert!(reach(&o, &pod("prod", &[("app", "api")]), &db, tcp(5432)));
    assert!(reach(&o, &pod("shop", &[("app", "web")]), &db, tcp(5432)));
}

#[test]
fn match_expressions_operators() {
    let spec = "  podSelector:\n    matchExpressions:\n    - {key: tier, operator: In, values: [db, cache]}\n    - {key: env, operator: NotIn, values: [dev]}\n    - {key: team, operator: Exists}\n    - {key: legacy, operator: DoesNotExist}\n  policyTypes: [Ingress]\n";
    let o = objects(&np("p", "shop", spec));
    let src = pod("shop", &[]);
    let isolated = |l: &[(&str, &str)]| !reach(&o, &src, &pod("shop", l), tcp(80));
    assert!(
        isolated(&[("tier", "db"), ("team", "a")]),
        "NotIn matches an absent key"
    );
    assert!(isolated(&[
        ("tier", "cache"),
        ("env", "prod"),
        ("team", "a")
    ]));
    assert!(
        !isolated(&[("tier", "web"), ("team", "a")]),
        "In needs one of the values"
    );
    assert!(!isolated(&[("team", "a")]), "In needs the key");
    assert!(
        !isolated(&[("tier", "db"), ("env", "dev"), ("team", "a")]),
        "NotIn excludes dev"
    );
    assert!(!isolated(&[("tier", "db")]), "Exists needs the key");
    assert!(
        !isolated(&[("tier", "db"), ("team", "a"), ("legacy", "")]),
        "DoesNotExist"
    );
    // matchLabels and matchExpressions together: AND.
    let o2 = objects(&np("p", "shop", "  podSelector:\n    matchLabels:\n      app: db\n    matchExpressions:\n    - {key: env, operator: In, values: [prod]}\n  policyTypes: [Ingress]\n"));
    assert!(!reach(
        &o2,
        &src,
        &pod("shop", &[("app", "db"), ("env", "prod")]),
        tcp(80)
    ));
    assert!(reach(&o2, &src, &pod("shop", &[("app", "db")]), tcp(80)));
}

#[test]
fn ports_protocols_named_ports_and_ranges() {
    let spec = "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n    - protocol: UDP\n      port: 53\n    - port: http-alt\n    - port: 32000\n      endPort: 32768\n";
    let o = objects(&np("p", "shop", spec));
    let src = pod("shop", &[]);
    let dst = pod_with_ports(
        "shop",
        &[],
        &[
            ("http-alt", 8080, Protocol::Tcp),
            ("metrics", 9090, Protocol::Udp),
        ],
    );
    assert!(reach(&o, &src, &dst, tcp(80)), "protocol defaults to TCP");
    assert!(!reach(&o, &src, &dst, udp(80)));
    assert!(reach(&o, &src, &dst, udp(53)));
    assert!(!reach(&o, &src, &dst, tcp(53)));
    assert!(
        reach(&o, &src, &dst, tcp(8080)),
        "named port resolved on the destination"
    );
    assert!(
        !reach(&o, &src, &pod("shop", &[]), tcp(8080)),
        "no such container port"
    );
    assert!(reach(&o, &src, &dst, tcp(32000)));
    assert!(reach(&o, &src, &dst, tcp(32500)));
    assert!(reach(&o, &src, &dst, tcp(32768)));
    assert!(!reach(&o, &src, &dst, tcp(32769)));
    assert!(reach(&o, &src, &dst, None), "some port is open");
    // Before 1.22 endPort is dropped: only `port` counts.
    let old = Network::new(&o, Options::for_version(KubeVersion::v1(21)));
    assert!(!old.can_reach(&src, &dst, tcp(32500)).unwrap().allowed());
    assert!(old.can_reach(&src, &dst, tcp(32000)).unwrap().allowed());
    // A named port must match the protocol of the container port too.
    let o = objects(&np(
        "p",
        "shop",
        "  podSelector: {}\n  ingress:\n  - ports:\n    - port: metrics\n",
    ));
    assert!(!reach(&o, &src, &dst, tcp(9090)));
    let network = Network::new(&o, Options::default());
    let v = network.can_reach(&src, &dst, tcp(9090)).unwrap();
    let Side::Denied { notes, .. } = &v.ingress else {
        panic!("{v:?}")
    };
    assert!(notes.iter().any(|n| n.contains("\"metrics\"")), "{notes:?}");
}

#[test]
fn ip_blocks_with_except() {
    let spec = "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 0.0.0.0/0\n        except:\n        - 169.254.169.254/32\n        - 10.0.0.0/8\n    - ipBlock:\n        cidr: 2001:db8::/32\n";
    let o = objects(&np("p", "shop", spec));
    let src = pod("shop", &[]);
    assert!(reach(&o, &src, &ip("203.0.113.7"), tcp(443)));
    assert!(!reach(&o, &src, &ip("169.254.169.254"), tcp(80)));
    assert!(!reach(&o, &src, &ip("10.20.30.40"), tcp(80)));
    assert!(reach(&o, &src, &ip("11.0.0.1"), tcp(80)));
    assert!(reach(&o, &src, &ip("2001:db8::1"), tcp(80)));
    assert!(!reach(&o, &src, &ip("2001:db9::1"), tcp(80)));
    // ipBlocks are for addresses outside the cluster: they never match a pod, and say so.
    let network = Network::new(&o, Options::default());
    let v = network
        .can_reach(&src, &pod("other", &[]), tcp(80))
        .unwrap();
    let Side::Denied { notes, .. } = &v.egress else {
        panic!("{v:?}")
    };
    assert!(notes.iter().any(|n| n.contains("ipBlock")), "{notes:?}");
    // CIDR arithmetic.
    let c = Cidr::parse("10.1.2.3/16").unwrap();
    assert!(c.contains("10.1.255.1".parse().unwrap()));
    assert!(!c.contains("10.2.0.1".parse().unwrap()));
    assert!(!c.contains("::1".parse().unwrap()));
    assert!(Cidr::parse("10.0.0.0/33").is_err());
    assert!(Cidr::parse("10.0.0.0").is_err());
}

#[test]
fn allow_union_across_policies_and_both_directions() {
    let a = np("a", "shop", "  podSelector:\n    matchLabels:\n      app: db\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: web\n");
    let b = np("b", "shop", "  podSelector:\n    matchLabels:\n      app: db\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: batch\n    ports:\n    - port: 5432\n");
    let o = objects(&format!("{a}{b}"));
    let db = pod("shop", &[("app", "db")]);
    assert!(reach(&o, &pod("shop", &[("app", "web")]), &db, tcp(1)));
    assert!(reach(&o, &pod("shop", &[("app", "batch")]), &db, tcp(5432)));
    assert!(!reach(&o, &pod("shop", &[("app", "batch")]), &db, tcp(22)));
    assert!(!reach(&o, &pod("shop", &[("app", "api")]), &db, tcp(5432)));
    let network = Network::new(&o, Options::default());
    let v = network
        .can_reach(&pod("shop", &[("app", "web")]), &db, tcp(5432))
        .unwrap();
    let Side::Allowed(allows) = &v.ingress else {
        panic!("{v:?}")
    };
    assert_eq!(network.policies[allows[0].policy].name, "a");

    // The source's egress must allow it too.
    let e = np("web-egress", "shop", "  podSelector:\n    matchLabels:\n      app: web\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - podSelector:\n        matchLabels:\n          app: cache\n");
    let o = objects(&format!("{a}{e}"));
    assert!(!reach(&o, &pod("shop", &[("app", "web")]), &db, tcp(5432)));
    assert!(reach(
        &o,
        &pod("shop", &[("app", "web")]),
        &pod("shop", &[("app", "cache")]),
        tcp(6379)
    ));
    // Traffic from outside is only checked on ingress.
    assert!(!reach(&o, &ip("203.0.113.7"), &db, tcp(5432)));
    assert!(reach(
        &o,
        &ip("203.0.113.7"),
        &pod("shop", &[("app", "web")]),
        tcp(5432)
    ));
    // Two addresses: nothing to say.
    let network = Network::new(&o, Options::default());
    assert!(network
        .can_reach(&ip("1.1.1.1"), &ip("2.2.2.2"), None)
        .is_err());
}

#[test]
fn namespace_labels_from_objects_and_the_automatic_name_label() {
    let by_name = np("p", "shop", "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: monitoring\n");
    let o = objects(&by_name);
    assert!(reach(
        &o,
        &pod("monitoring", &[]),
        &pod("shop", &[]),
        tcp(9090)
    ));
    assert!(!reach(
        &o,
        &pod("default", &[]),
        &pod("shop", &[]),
        tcp(9090)
    ));
    // Before 1.21 there is no automatic label.
    let old = Network::new(&o, Options::for_version(KubeVersion::v1(20)));
    assert!(!old
        .can_reach(&pod("monitoring", &[]), &pod("shop", &[]), tcp(9090))
        .unwrap()
        .allowed());
    // Labels of a Namespace object; a namespace without an object has only the name label.
    let team = np("p", "shop", "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchExpressions:\n        - {key: team, operator: In, values: [ops]}\n");
    let o = objects(&format!("{}{team}", ns("tools", &[("team", "ops")])));
    assert!(reach(&o, &pod("tools", &[]), &pod("shop", &[]), tcp(1)));
    assert!(!reach(&o, &pod("unknown", &[]), &pod("shop", &[]), tcp(1)));
    // The automatic label cannot be overridden by the object.
    let o = objects(&format!(
        "{}{by_name}",
        ns("impostor", &[("kubernetes.io/metadata.name", "monitoring")])
    ));
    assert!(!reach(&o, &pod("impostor", &[]), &pod("shop", &[]), tcp(1)));
}

#[test]
fn objects_without_namespace_are_in_default() {
    let o = objects("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  podSelector: {}\n");
    assert!(!reach(&o, &pod("x", &[]), &pod("default", &[]), tcp(80)));
    assert!(reach(&o, &pod("x", &[]), &pod("shop", &[]), tcp(80)));
}

#[test]
fn invalid_policies_are_reported_and_ignored() {
    let cases: &[(&str, &str)] = &[
        ("  podSelector:\n    matchExpressions:\n    - {key: a, operator: in, values: [x]}\n", "/spec/podSelector/matchExpressions/0/operator"),
        ("  podSelector:\n    matchExpressions:\n    - {key: a, operator: In}\n", "/spec/podSelector/matchExpressions/0/values"),
        ("  podSelector:\n    matchExpressions:\n    - {key: a, operator: Exists, values: [x]}\n", "/spec/podSelector/matchExpressions/0/values"),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - {}\n", "/spec/ingress/0/from/0"),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n      podSelector: {}\n", "/spec/ingress/0/from/0"),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}\n", "/spec/ingress/0/from/0/ipBlock/except/0"),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}\n", "/spec/ingress/0/from/0/ipBlock/except/0"),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0}\n", "/spec/ingress/0/from/0/ipBlock/cidr"),
        // The API server does not trim white space, and compares prefix lengths as written.
        ("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: \" 10.0.0.0/8\"}\n", "/spec/ingress/0/from/0/ipBlock/cidr"),
        ("  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: \"::ffff:10.0.0.0/104\", except: [10.1.0.0/16]}\n", "/spec/ingress/0/from/0/ipBlock/except/0"),
        ("  podSelector: {}\n  ingress:\n  - ports:\n    - {protocol: tcp, port: 80}\n", "/spec/ingress/0/ports/0/protocol"),
        ("  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 0}\n", "/spec/ingress/0/ports/0/port"),
        ("  podSelector: {}\n  ingress:\n  - ports:\n    - {port: \"80\"}\n", "/spec/ingress/0/ports/0/port"),
        ("  podSelector: {}\n  ingress:\n  - ports:\n    - {port: http, endPort: 90}\n", "/spec/ingress/0/ports/0/endPort"),
        ("  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 100, endPort: 90}\n", "/spec/ingress/0/ports/0/endPort"),
        ("  podSelector: {}\n  ingress:\n  - ports:\n    - {endPort: 90}\n", "/spec/ingress/0/ports/0/endPort"),
        ("  podSelector: {}\n  policyTypes: [ingress]\n", "/spec/policyTypes/0"),
    ];
    for (spec, pointer) in cases {
        let o = objects(&np("bad", "shop", spec));
        let (_, errors) = parse_policy(&o[0]);
        assert_eq!(
            errors
                .iter()
                .map(|e| e.pointer.as_str())
                .collect::<Vec<_>>(),
            [*pointer],
            "{spec}: {errors:?}"
        );
        let network = Network::new(&o, Options::default());
        assert!(network.policies.is_empty() && network.invalid.len() == 1);
    }
    // Valid spellings that look odd.
    for spec in [
        "  podSelector:\n  ingress:\n  - from:\n    - namespaceSelector:\n      podSelector: {}\n",
        "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 53, protocol: SCTP}\n    - {port: dns-tcp}\n",
        "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.1.2.3/8, except: [10.1.0.0/16]}\n",
        // ParseCIDRSloppy: leading zeros (decimal), and Go's containment of IPv4-mapped ranges.
        "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 010.1.2.3/08, except: [10.001.0.0/16]}\n",
        "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [\"::ffff:10.1.0.0/112\"]}\n",
    ] {
        let o = objects(&np("ok", "shop", spec));
        let (_, errors) = parse_policy(&o[0]);
        assert!(errors.is_empty(), "{spec}: {errors:?}");
    }
}
