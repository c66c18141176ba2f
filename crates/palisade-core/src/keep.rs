//! What a cross-object rule keeps of an object for its inventory stage, as a description the
//! engine can combine.
//!
//! Several rule groups keep something of the same workload (the NetworkPolicy rules its labels
//! and ports, the RBAC token rules its service account, PS160 what the Pod Security checks read).
//! Were each to keep its own copy, a scan of 100,000 workloads would hold four or five copies of
//! each; instead every rule says *what* it wants as a [`Keep`], the engine joins the wishes of all
//! rules for one object ([`Keep::union`]) and makes one projection that every rule's slot shares.
//! A rule may therefore find more fields in what it kept than it asked for, never fewer; whether
//! an object is kept for a rule at all stays the rule's own decision.

use crate::object::Object;
use crate::yaml::KeyPath;

/// The fields of one object a rule keeps: the whole object, or the fields at some paths from
/// its root (a path may run through sequences: `["spec", "containers", "ports"]` keeps the
/// ports of every container). `apiVersion`, `kind` and `metadata.name`/`namespace` are always
/// kept: see [`Object::project`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keep {
    whole: bool,
    paths: Vec<KeyPath<'static>>,
}

impl Keep {
    /// The pod template's annotations, as [`Keep::pod`]'s `meta` paths: with
    /// [`Keep::WAIVERS_ROOT`], what exemption annotations are read from
    /// ([`crate::suppress::object_waivers`]). A rule whose findings are made from what it kept
    /// ([`crate::InventoryRule::checks_kept`]) keeps both.
    pub const WAIVERS_META: &'static [&'static [&'static str]] = &[&["annotations"]];
    /// The object's own annotations, as [`Keep::pod`]'s `root` paths (see
    /// [`Keep::WAIVERS_META`]).
    pub const WAIVERS_ROOT: &'static [&'static [&'static str]] = &[&["metadata", "annotations"]];

    /// The whole object: for small objects (RBAC objects, NetworkPolicies, Services).
    pub fn whole() -> Self {
        Keep {
            whole: true,
            paths: Vec::new(),
        }
    }

    /// The fields at `paths` from the object's root (none: only its identity).
    pub fn paths(paths: &[&'static [&'static str]]) -> Self {
        Keep {
            whole: false,
            paths: paths.iter().map(|p| KeyPath::new(p)).collect(),
        }
    }

    /// For a pod or workload, fields relative to its pod template: `meta` below the pod
    /// metadata, `spec` below the pod spec, `root` from the object's root. `None` when the object
    /// has no pod template.
    pub fn pod(
        object: &Object,
        meta: &[&'static [&'static str]],
        spec: &[&'static [&'static str]],
        root: &[&'static [&'static str]],
    ) -> Option<Self> {
        let pod = object.pod_template()?;
        let mut paths = Vec::with_capacity(meta.len() + spec.len() + root.len());
        paths.extend(meta.iter().map(|r| KeyPath {
            base: pod.meta_path,
            rel: r,
        }));
        paths.extend(spec.iter().map(|r| KeyPath {
            base: pod.spec_path,
            rel: r,
        }));
        paths.extend(root.iter().map(|r| KeyPath::new(r)));
        Some(Keep {
            whole: false,
            paths,
        })
    }

    /// Everything `self` or `other` keeps.
    pub fn union(&mut self, other: Keep) {
        if self.whole || other.whole {
            self.whole = true;
            self.paths = Vec::new();
            return;
        }
        for path in other.paths {
            if !self.paths.contains(&path) {
                self.paths.push(path);
            }
        }
    }

    /// What is kept of `object`.
    pub fn project(&self, object: &Object) -> Object {
        if self.whole {
            return object.clone();
        }
        object.project_paths(&self.paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::objects_from_str;

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {tier: front}}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: app
      containers:
      - {name: c, image: x, ports: [{containerPort: 80}]}
";

    fn deployment() -> Object {
        objects_from_str("d.yaml", DEPLOYMENT).objects.remove(0)
    }

    /// Whichever order the wishes come in, a path asked whole is kept whole: a deeper path of
    /// another rule grafted first must not leave it partial.
    #[test]
    fn a_whole_field_is_kept_whole_after_a_deeper_path() {
        let d = deployment();
        let containers = ["spec", "template", "spec", "containers"];
        let deeper = Keep::pod(&d, &[], &[&["containers", "ports"]], &[]).unwrap();
        let whole = Keep::pod(&d, &[], &[&["containers"]], &[]).unwrap();
        let mut one = deeper.clone();
        one.union(whole.clone());
        let mut other = whole;
        other.union(deeper);
        let image = |o: &Object| {
            o.node
                .path(&containers)
                .map(crate::yaml::Node::items)
                .and_then(|items| items.first().and_then(|c| c.get("image")))
                .and_then(|n| n.as_str().map(str::to_owned))
        };
        assert_eq!(image(&d).as_deref(), Some("x"));
        for keep in [one, other] {
            assert_eq!(image(&keep.project(&d)).as_deref(), Some("x"));
        }
        // The projection itself, paths in either order.
        let ports = [&containers[..], &["ports"]].concat();
        let paths: [&[&str]; 2] = [&ports, &containers];
        assert_eq!(image(&d.project(&paths)).as_deref(), Some("x"));
        assert_eq!(
            image(&d.project(&[paths[1], paths[0]])).as_deref(),
            Some("x")
        );
    }

    #[test]
    fn a_union_projects_every_wish_once() {
        let d = deployment();
        let mut keep = Keep::pod(&d, &[&["labels"]], &[&["containers", "ports"]], &[]).unwrap();
        keep.union(
            Keep::pod(
                &d,
                &[],
                &[&["serviceAccountName"]],
                &[&["metadata", "labels"]],
            )
            .unwrap(),
        );
        let p = keep.project(&d);
        let spec = ["spec", "template", "spec"];
        assert_eq!(
            p.node
                .path(&["metadata", "labels", "tier"])
                .and_then(|n| n.as_str()),
            Some("front")
        );
        assert_eq!(
            p.node
                .path(&["spec", "template", "metadata", "labels", "app"])
                .and_then(|n| n.as_str()),
            Some("web")
        );
        assert_eq!(
            p.node
                .path(&[&spec[..], &["serviceAccountName"]].concat())
                .and_then(|n| n.as_str()),
            Some("app")
        );
        let container = &p
            .node
            .path(&[&spec[..], &["containers"]].concat())
            .unwrap()
            .items()[0];
        assert!(container.get("ports").is_some());
        // Not asked for by either.
        assert!(container.get("image").is_none());
        assert!(container.get("name").is_none());
    }

    #[test]
    fn whole_wins_a_union() {
        let d = deployment();
        let mut keep = Keep::paths(&[&["metadata", "labels"]]);
        keep.union(Keep::whole());
        assert_eq!(keep.project(&d).node, d.node);
        let mut keep = Keep::whole();
        keep.union(Keep::paths(&[&["metadata", "labels"]]));
        assert_eq!(keep.project(&d).node, d.node);
    }

    #[test]
    fn a_pod_keep_needs_a_pod_template() {
        let cm = objects_from_str(
            "c.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        )
        .objects
        .remove(0);
        assert!(Keep::pod(&cm, &[&["labels"]], &[], &[]).is_none());
        assert_eq!(Keep::paths(&[]).project(&cm).name(), Some("c"));
    }
}
