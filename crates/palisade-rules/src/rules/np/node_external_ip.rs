//! NP350: a node with a public (ExternalIP) address.

use palisade_core::yaml::Node;
use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

static META: RuleMeta = RuleMeta {
    code: "NP350",
    name: "node-external-ip",
    severity: Severity::Low,
    guide: "Private topology",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Private topology",
        "https://kubernetes.io/docs/reference/node/node-status/#addresses",
    ],
    summary: "A node has an external (public) IP address",
    what: "Every Node object (as read from a live cluster) is checked for an address of type \
           `ExternalIP` in `status.addresses`.",
    why: "The guide recommends a private topology: masters and nodes with private addresses only, \
          and only the ports that must be reachable forwarded from a NAT gateway or load balancer. \
          A node with a public address exposes every port it listens on — the kubelet API \
          (10250), the read-only port (10255) where it is still on, NodePort services, SSH — to \
          the Internet unless a firewall in front of it is exactly right, and experience shows \
          that explicit exposure is what makes people think about the consequences.",
    example: "# reported\nstatus:\n  addresses:\n  - type: InternalIP\n    address: 10.0.1.12\n  \
              - type: ExternalIP\n    address: 203.0.113.40",
    fix: "Run nodes in private subnets (a private VPC or node pool with private nodes) and expose \
          workloads through load balancers or an ingress; reach the nodes through a bastion host. \
          Where public addresses cannot be avoided, firewall every Kubernetes port (see \
          `palisade probe`).",
    help:
        "put nodes in a private subnet; expose services through a load balancer, not node addresses",
};

pub struct NodeExternalIp;

pub static RULE: NodeExternalIp = NodeExternalIp;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for NodeExternalIp {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "Node objects",
            test: |_, o, _| o.kind() == "Node" && o.group().is_empty(),
        }
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if object.kind() != "Node" || !object.group().is_empty() {
            return;
        }
        let addresses = object.node.path(&["status", "addresses"]).map(Node::items);
        for (i, a) in addresses.unwrap_or(&[]).iter().enumerate() {
            if a.get("type").and_then(Node::as_str) != Some("ExternalIP") {
                continue;
            }
            let ip = a.get("address").and_then(Node::as_str).unwrap_or("?");
            out.report(
                &format!("/status/addresses/{i}/address"),
                format!(
                    "node \"{}\" has the external address {ip}",
                    object.name().unwrap_or("")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::Settings;

    fn run(yaml: &str) -> Vec<String> {
        let objects = palisade_core::source::objects_from_str("n.yaml", yaml).objects;
        let settings = Settings::default();
        let mut findings = Vec::new();
        for o in &objects {
            RULE.check(
                &Context {
                    settings: &settings,
                },
                o,
                &mut Emitter::new(o, &META, &mut findings),
            );
        }
        findings
            .into_iter()
            .map(|f| f.message.into_string())
            .collect()
    }

    #[test]
    fn reports_external_addresses_only() {
        let node = "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus:\n  addresses:\n  \
                    - {type: InternalIP, address: 10.0.0.5}\n  - {type: Hostname, address: n1}\n";
        assert!(run(node).is_empty());
        let public = format!("{node}  - {{type: ExternalIP, address: 203.0.113.7}}\n");
        assert_eq!(
            run(&public),
            ["node \"n1\" has the external address 203.0.113.7"]
        );
        assert!(run("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus:\n  addresses:\n  - {type: ExternalIP, address: 1.2.3.4}\n").is_empty());
    }
}
