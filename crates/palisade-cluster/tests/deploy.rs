//! The in-cluster deployment grants exactly what the cluster source reads, and no Secret access.

use std::collections::BTreeSet;
use std::path::Path;

use palisade_cluster::resources::RESOURCES;
use palisade_core::yaml::Node;

#[test]
fn reader_role_lists_exactly_the_resources_read() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/base/rbac.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = palisade_core::source::objects_from_str("rbac.yaml", &text);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let role = loaded
        .objects
        .iter()
        .find(|o| o.kind() == "ClusterRole" && o.name() == Some("palisade-reader"))
        .expect("the reader ClusterRole");
    let mut granted = BTreeSet::new();
    for rule in role.node.get("rules").map(Node::items).unwrap_or(&[]) {
        let verbs: BTreeSet<&str> = rule
            .get("verbs")
            .unwrap()
            .items()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(verbs, BTreeSet::from(["get", "list"]), "read-only");
        for g in rule.get("apiGroups").unwrap().items() {
            for r in rule.get("resources").unwrap().items() {
                granted.insert((
                    g.as_str().unwrap_or("").to_owned(),
                    r.as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    let read: BTreeSet<(String, String)> = RESOURCES
        .iter()
        .filter(|r| !r.metadata_only)
        .map(|r| (r.group.to_owned(), r.plural.to_owned()))
        .collect();
    assert_eq!(granted, read);
    assert!(
        !granted.iter().any(|(_, r)| r == "secrets"),
        "no Secret access by default"
    );
}

/// The kubelet opt-in grants `get` on `nodes/proxy` and nothing else, and says why it is risky.
#[test]
fn kubelet_configz_opt_in_grants_only_get_on_nodes_proxy() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nodes-proxy-opt-in.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("most powerful"), "the risk is explained");
    let loaded = palisade_core::source::objects_from_str("nodes-proxy-opt-in.yaml", &text);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let role = loaded
        .objects
        .iter()
        .find(|o| o.kind() == "ClusterRole")
        .unwrap();
    let rules = role.node.get("rules").unwrap().items();
    assert_eq!(rules.len(), 1);
    let list = |k: &str| -> Vec<&str> {
        rules[0]
            .get(k)
            .unwrap()
            .items()
            .iter()
            .filter_map(Node::as_str)
            .collect()
    };
    assert_eq!(list("verbs"), ["get"]);
    assert_eq!(list("resources"), ["nodes/proxy"]);
    assert_eq!(list("apiGroups"), [""]);
}
