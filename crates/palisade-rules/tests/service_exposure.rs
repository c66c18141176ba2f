//! NP351: Services that expose workloads outside the cluster, and their hardened twins.

mod workload_support;

use palisade_core::Severity;
use workload_support::*;

fn service(spec: &str, annotations: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n{annotations}\
         spec:\n  selector: {{app: web}}\n  ports:\n  - port: 443\n    targetPort: 8443\n{spec}---\n"
    )
}

const WEB: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n\
spec:\n  template:\n    metadata:\n      labels: {app: web, tier: front}\n    spec:\n      \
containers:\n      - name: c\n        image: x:1\n---\n";

const OTHER_NS: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: blog\n\
spec:\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      \
containers:\n      - name: c\n        image: x:1\n---\n";

#[test]
fn node_ports_and_load_balancers_are_named_with_what_they_reach() {
    let yaml = format!("{}{WEB}{OTHER_NS}", service("  type: NodePort\n", ""));
    let f = check_all("NP351", &yaml);
    assert_eq!(pointers(&f), ["/spec/type"]);
    assert_eq!(f[0].severity, Severity::Low);
    assert!(
        f[0].message.contains(
            "Service shop/web is a NodePort: 443/TCP→8443 (node port assigned by the cluster)"
        ) && f[0].message.contains("it reaches Deployment web")
            && !f[0].message.contains("and 1 more"),
        "{}",
        f[0].message
    );

    let open = check_all("NP351", &service("  type: LoadBalancer\n", ""));
    assert!(
        open[0].message.contains("no loadBalancerSourceRanges")
            && open[0].message.contains("no workload in the input matches"),
        "{}",
        open[0].message
    );
    let internal = check_all(
        "NP351",
        &service(
            "  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0/8]\n",
            "  annotations:\n    networking.gke.io/load-balancer-type: Internal\n",
        ),
    );
    assert!(
        internal[0]
            .message
            .contains("an internal load balancer, limited to 10.0.0.0/8"),
        "{}",
        internal[0].message
    );
}

#[test]
fn load_balancers_without_node_ports_say_so() {
    let f = check_all(
        "NP351",
        &service(
            "  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n",
            "",
        ),
    );
    assert!(
        f[0].message.contains("443/TCP→8443 through") && !f[0].message.contains("node port"),
        "{}",
        f[0].message
    );
}

#[test]
fn external_ips_are_medium() {
    let f = check_all("NP351", &service("  externalIPs: [203.0.113.9]\n", ""));
    assert_eq!(pointers(&f), ["/spec/externalIPs"]);
    assert_eq!(f[0].severity, Severity::Medium);
    assert!(f[0].message.contains("CVE-2020-8554"), "{}", f[0].message);
}

#[test]
fn cluster_ip_services_are_not_reported() {
    for spec in ["", "  type: ClusterIP\n", "  clusterIP: None\n"] {
        let yaml = format!("{}{WEB}", service(spec, ""));
        assert!(check_all("NP351", &yaml).is_empty(), "{spec}");
    }
    // Not a core Service.
    let custom = "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: LoadBalancer\n";
    assert!(check_all("NP351", custom).is_empty());
}
