//! NP305 `cloud-metadata-egress-not-blocked`: pods can reach the cloud metadata endpoint
//! 169.254.169.254, which hands out the node's cloud credentials.

use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, ObjectRule,
    RuleMeta, Severity, VersionRange,
};

use crate::netpol::{
    anchor, by_namespace, count_workloads, describe, is_network_policy, parse_policy, scope,
    Direction, NetModel, Options, Peer, PolicyRule, PortRef, Prepared, Protocol, METADATA_ADDRESS,
};
use crate::rules::np::ingress_from_anywhere::targets;

static META: RuleMeta = RuleMeta {
    code: "NP305",
    name: "cloud-metadata-egress-not-blocked",
    severity: Severity::High,
    guide: "Use Network Policies",
    versions: VersionRange::since(KubeVersion::v1(8)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/tasks/administer-cluster/securing-a-cluster/#restricting-cloud-metadata-api-access",
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html",
    ],
    summary: "Pods can reach the cloud metadata endpoint 169.254.169.254",
    what: "Three cases. (1) An egress rule of a NetworkPolicy admits 169.254.169.254 on port \
           80/TCP: it has no `to` (every destination) or an `ipBlock` containing the address \
           without an `except` for it (typically `0.0.0.0/0`). (2) A namespace with workloads \
           where no NetworkPolicy restricts egress at all: one finding for the namespace. (3) \
           In a namespace that does restrict egress, a workload no egress policy selects; and \
           every hostNetwork workload, which NetworkPolicies do not govern on most network \
           plugins. Scanning files, only the policies in those files are known. Outside a \
           cloud (no metadata service) the finding does not apply.",
    why: "On AWS, GCP, Azure and OpenStack, 169.254.169.254 serves the node's instance metadata, \
          including temporary credentials of the node's cloud identity (its IAM role). A pod \
          that can reach it can act in the cloud account as the node: pull every image, read \
          buckets, sometimes create instances. This is how many cluster compromises became \
          cloud account compromises.",
    example: "# fails: egress to every address, the metadata endpoint included\negress:\n- to:\n  \
              - ipBlock:\n      cidr: 0.0.0.0/0\n\
              # passes: egress to the Internet without the metadata endpoint\negress:\n- to:\n  \
              - ipBlock:\n      cidr: 0.0.0.0/0\n      except:\n      - 169.254.169.254/32",
    fix: "Restrict egress in every namespace (NP302) and add `except: [169.254.169.254/32]` to \
          ipBlocks that would contain it. At the node level, require IMDSv2 with a hop limit of \
          1 (AWS) or use Workload Identity / IRSA so pods never need the node's credentials; \
          hostNetwork pods can only be stopped there.",
    help: "exclude 169.254.169.254/32 from egress (an `except` in broad ipBlocks, a default-deny \
           egress policy) and block it at the node",
};

pub struct MetadataEgress;

pub static RULE: MetadataEgress = MetadataEgress;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

/// What of `rule` admits the metadata endpoint on 80/TCP, with where it says so.
fn admits_metadata(rule: &PolicyRule, options: Options) -> Option<(String, String)> {
    let port_ok = match &rule.ports {
        None => true,
        Some(specs) => specs.iter().any(|s| {
            s.protocol == Protocol::Tcp
                && match (&s.port, s.end_port.filter(|_| options.end_port)) {
                    (None, _) => true,
                    (Some(PortRef::Number(p)), Some(end)) => (*p..=end).contains(&80),
                    (Some(PortRef::Number(p)), None) => *p == 80,
                    // A named port resolves against pods only.
                    (Some(PortRef::Name(_)), _) => false,
                }
        }),
    };
    if !port_ok {
        return None;
    }
    match &rule.peers {
        None => Some((rule.pointer.clone(), "the rule has no `to`".to_owned())),
        Some(peers) => peers.iter().find_map(|p| match p {
            Peer::IpBlock { pointer, block } if block.contains(METADATA_ADDRESS) => Some((
                format!("{pointer}/ipBlock"),
                format!("ipBlock {block} contains it"),
            )),
            _ => None,
        }),
    }
}

impl ObjectRule for MetadataEgress {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "pods, workloads or NetworkPolicies",
            test: |_, o, pod| pod.is_some() || is_network_policy(o),
        }
    }

    /// Case (1), from the policy alone. Cases (2) and (3) need the inventory.
    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_network_policy(object) {
            return;
        }
        let (policy, errors) = parse_policy(object);
        if !errors.is_empty() {
            return;
        }
        let options = Options::for_version(cx.settings.kubernetes_version);
        for (i, rule) in policy.rules(Direction::Egress).iter().enumerate() {
            if let Some((pointer, why)) = admits_metadata(rule, options) {
                out.report(
                    &pointer,
                    format!(
                        "egress rule {i} of NetworkPolicy {} lets {} reach the cloud metadata \
                         endpoint 169.254.169.254 ({why}; no `except` for 169.254.169.254/32)",
                        policy.display_name(),
                        targets(&policy)
                    ),
                );
            }
        }
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

impl InventoryRule for MetadataEgress {
    fn keep(&self, object: &Object) -> Option<Keep> {
        crate::netpol::keep(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("netpol")
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = kept.model::<NetModel>(cx);
        let prepared = model.borrow_dependent();
        let Prepared {
            network, workloads, ..
        } = prepared;
        for (namespace, list) in by_namespace(workloads) {
            let restricts = network
                .policies
                .iter()
                .any(|p| p.namespace == namespace && p.affects(Direction::Egress));
            if restricts {
                for w in &list {
                    if network.isolating(&w.pod, Direction::Egress).is_empty() {
                        Emitter::new(w.object, &META, findings).report(
                            &w.labels_pointer,
                            format!(
                                "pods of {} can reach the cloud metadata endpoint \
                                 169.254.169.254: no NetworkPolicy {} restricts their egress, \
                                 although other pods of namespace {} are restricted",
                                describe(w.object),
                                scope(w.object),
                                crate::netpol::show_namespace(&namespace)
                            ),
                        );
                    }
                }
                continue;
            }
            if !crate::netpol::namespace_in_scope(&namespace, prepared, &list) {
                continue;
            }
            let Some((object, pointer)) = anchor(&namespace, prepared, &list) else {
                continue;
            };
            Emitter::new(object, &META, findings).report(
                pointer,
                format!(
                    "namespace {} has {} whose pods can reach the cloud metadata \
                     endpoint 169.254.169.254: no NetworkPolicy {} restricts their egress",
                    crate::netpol::show_namespace(&namespace),
                    count_workloads(&list),
                    scope(object)
                ),
            );
        }
        for w in workloads.iter().filter(|w| w.host_network) {
            let template = w.object.pod_template();
            let pointer = template
                .map(|t| format!("{}/hostNetwork", t.spec_pointer))
                .unwrap_or_default();
            Emitter::new(w.object, &META, findings).report(
                &pointer,
                format!(
                    "{} runs with hostNetwork: NetworkPolicies do not govern it, so it reaches \
                     the cloud metadata endpoint 169.254.169.254 with the node's own access",
                    describe(w.object)
                ),
            );
        }
    }

    fn not_evaluated(&self, cx: &Context<'_>, kept: &Kept<'_>) -> Option<String> {
        crate::netpol::namespaces_out_of_scope(
            cx,
            kept,
            "a NetworkPolicy restricts their egress to the cloud metadata endpoint",
        )
    }
}
