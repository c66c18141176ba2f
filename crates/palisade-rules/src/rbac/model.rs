//! RBAC objects as the authorizer reads them: roles with their policy rules, bindings with their
//! subjects and role reference. Read leniently from the document tree (a manifest may be invalid
//! against the schema); what the API server would reject simply grants nothing.

use palisade_core::yaml::Node;
use palisade_core::Object;

use super::selector::LabelSelector;

/// The API group of RBAC objects.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Where a namespaced RBAC object without `metadata.namespace` ends up: `kubectl apply` puts it
/// in the namespace of the current context, `default` unless configured otherwise.
pub const DEFAULT_NAMESPACE: &str = "default";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// One entry of a role's `rules`.
#[derive(Clone, Debug)]
pub struct PolicyRule<'a> {
    /// Index in the role's `rules` list (for pointers: `/rules/{index}`).
    pub index: usize,
    pub node: &'a Node,
    pub verbs: Vec<&'a str>,
    pub api_groups: Vec<&'a str>,
    pub resources: Vec<&'a str>,
    pub resource_names: Vec<&'a str>,
    pub non_resource_urls: Vec<&'a str>,
}

fn strings(node: Option<&Node>) -> Vec<&str> {
    node.map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .collect()
}

impl<'a> PolicyRule<'a> {
    pub fn read(index: usize, node: &'a Node) -> Self {
        PolicyRule {
            index,
            node,
            verbs: strings(node.get("verbs")),
            api_groups: strings(node.get("apiGroups")),
            resources: strings(node.get("resources")),
            resource_names: strings(node.get("resourceNames")),
            non_resource_urls: strings(node.get("nonResourceURLs")),
        }
    }

    /// `verbs` contains `*` or the verb.
    pub fn verb_matches(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| *v == "*" || *v == verb)
    }

    /// `apiGroups` contains `*` or the group (`""` is the core group).
    pub fn group_matches(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| *g == "*" || *g == group)
    }

    /// `resources` contains `*`, `resource/subresource` exactly, or `*/subresource` when a
    /// subresource is asked for. A plain `pods` does not cover `pods/exec`.
    pub fn resource_matches(&self, resource: &str, subresource: &str) -> bool {
        self.resources.iter().any(|r| {
            if *r == "*" {
                return true;
            }
            if subresource.is_empty() {
                return *r == resource;
            }
            match r.split_once('/') {
                Some((res, sub)) => sub == subresource && (res == "*" || res == resource),
                None => false,
            }
        })
    }

    /// No `resourceNames` allows every name; otherwise the name must be listed. A request
    /// without a name (list, create of a generated name) is only allowed by unrestricted rules.
    pub fn name_matches(&self, name: &str) -> bool {
        self.resource_names.is_empty() || self.resource_names.contains(&name)
    }

    /// `nonResourceURLs` contains `*`, the path, or a prefix of it ending in `*`.
    pub fn url_matches(&self, path: &str) -> bool {
        self.non_resource_urls.iter().any(|u| {
            *u == "*"
                || *u == path
                || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
        })
    }

    /// Whether this rule allows the request, as the RBAC authorizer decides it.
    pub fn allows(&self, request: &Request<'_>) -> bool {
        if !self.verb_matches(request.verb) {
            return false;
        }
        match &request.target {
            Target::Resource {
                group,
                resource,
                subresource,
                name,
                ..
            } => {
                self.group_matches(group)
                    && self.resource_matches(resource, subresource)
                    && self.name_matches(name)
            }
            Target::NonResource { path } => self.url_matches(path),
        }
    }

    /// Grants a resource (as opposed to a non-resource URL).
    pub fn is_resource_rule(&self) -> bool {
        !self.resources.is_empty()
    }

    /// A compact description: `get,list secrets` or `get /healthz`.
    pub fn describe(&self) -> String {
        let verbs = self.verbs.join(",");
        if self.is_resource_rule() {
            let groups: Vec<&str> = self
                .api_groups
                .iter()
                .map(|g| if g.is_empty() { "core" } else { g })
                .collect();
            let mut s = format!(
                "{verbs} {} in API group {}",
                self.resources.join(","),
                groups.join(",")
            );
            if !self.resource_names.is_empty() {
                s.push_str(&format!(" named {}", self.resource_names.join(",")));
            }
            s
        } else {
            format!("{verbs} {}", self.non_resource_urls.join(","))
        }
    }
}

/// What is asked: a verb on a resource (possibly named, in a namespace) or on a URL path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'r> {
    pub verb: &'r str,
    pub target: Target<'r>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target<'r> {
    Resource {
        group: &'r str,
        resource: &'r str,
        /// `""` when none.
        subresource: &'r str,
        /// `""` when the request names no object (list, watch, create).
        name: &'r str,
        /// `""` for a cluster-wide request (cluster-scoped resources, or all namespaces).
        namespace: &'r str,
    },
    NonResource {
        path: &'r str,
    },
}

impl<'r> Request<'r> {
    /// A request on `resource` (no subresource, no name) in `namespace` (`""`: cluster-wide).
    pub fn resource(verb: &'r str, group: &'r str, resource: &'r str, namespace: &'r str) -> Self {
        Request::exact(verb, group, resource, "", "", namespace)
    }

    /// `verb` on a resource or one of its subresources: `name` empty for any name, `namespace`
    /// empty for cluster-wide.
    pub fn exact(
        verb: &'r str,
        group: &'r str,
        resource: &'r str,
        subresource: &'r str,
        name: &'r str,
        namespace: &'r str,
    ) -> Self {
        Request {
            verb,
            target: Target::Resource {
                group,
                resource,
                subresource,
                name,
                namespace,
            },
        }
    }

    pub fn non_resource(verb: &'r str, path: &'r str) -> Self {
        Request {
            verb,
            target: Target::NonResource { path },
        }
    }

    /// The namespace RoleBindings are looked up in (`""`: only ClusterRoleBindings apply).
    pub fn namespace(&self) -> &'r str {
        match &self.target {
            Target::Resource { namespace, .. } => namespace,
            Target::NonResource { .. } => "",
        }
    }
}

/// A Role or ClusterRole.
#[derive(Clone, Debug)]
pub struct Role<'a> {
    pub object: &'a Object,
    pub kind: RoleKind,
    pub name: &'a str,
    /// `""` for a ClusterRole (a `metadata.namespace` on one is ignored, as the API server does).
    pub namespace: &'a str,
    pub labels: Vec<(&'a str, &'a str)>,
    pub rules: Vec<PolicyRule<'a>>,
    /// `aggregationRule.clusterRoleSelectors` of an aggregated ClusterRole: its rules are then
    /// those of the ClusterRoles selected, and its own `rules` are overwritten.
    pub aggregation: Option<Vec<LabelSelector>>,
    /// One of the default roles Palisade knows (see [`super::builtin`]), not from the input.
    pub builtin: bool,
}

/// Who a binding grants to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
    /// Anything else: the API server rejects it, it grants nothing.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject<'a> {
    /// Index in the binding's `subjects` (for pointers: `/subjects/{index}`).
    pub index: usize,
    pub kind: SubjectKind,
    pub name: &'a str,
    /// As written. A ServiceAccount subject without one defaults to the binding's namespace in a
    /// RoleBinding and matches nobody in a ClusterRoleBinding.
    pub namespace: Option<&'a str>,
}

impl Subject<'_> {
    /// The namespace a ServiceAccount subject means in a binding of `binding_namespace` (`""` for
    /// a ClusterRoleBinding); `None` when it can match no account.
    pub fn service_account_namespace<'b>(&'b self, binding_namespace: &'b str) -> Option<&'b str> {
        let ns = self
            .namespace
            .filter(|n| !n.is_empty())
            .unwrap_or(binding_namespace);
        (!ns.is_empty()).then_some(ns)
    }

    /// `User "alice"`, `Group "system:authenticated"`, `ServiceAccount "ns/name"`.
    pub fn describe(&self, binding_namespace: &str) -> String {
        match self.kind {
            SubjectKind::ServiceAccount => {
                match self.service_account_namespace(binding_namespace) {
                    Some(ns) => format!("ServiceAccount \"{ns}/{}\"", self.name),
                    None => format!("ServiceAccount \"{}\" (no namespace)", self.name),
                }
            }
            SubjectKind::User => format!("User \"{}\"", self.name),
            SubjectKind::Group => format!("Group \"{}\"", self.name),
            SubjectKind::Unknown => format!("subject \"{}\"", self.name),
        }
    }
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub struct Binding<'a> {
    pub object: &'a Object,
    /// A ClusterRoleBinding.
    pub cluster: bool,
    pub name: &'a str,
    /// `""` for a ClusterRoleBinding; a RoleBinding without one is in [`DEFAULT_NAMESPACE`].
    pub namespace: &'a str,
    /// A RoleBinding sets `metadata.namespace` (else it goes where it is applied).
    pub namespace_set: bool,
    /// `None` for a kind the API server rejects (or a Role referenced by a ClusterRoleBinding).
    pub role_kind: Option<RoleKind>,
    pub role_name: &'a str,
    pub subjects: Vec<Subject<'a>>,
}

impl Binding<'_> {
    pub fn kind(&self) -> &'static str {
        if self.cluster {
            "ClusterRoleBinding"
        } else {
            "RoleBinding"
        }
    }

    /// `ClusterRoleBinding "x"` or `RoleBinding "ns/x"`.
    pub fn describe(&self) -> String {
        if self.cluster {
            format!("ClusterRoleBinding \"{}\"", self.name)
        } else {
            format!("RoleBinding \"{}/{}\"", self.namespace, self.name)
        }
    }

    /// `cluster-wide` or `in namespace "ns"`.
    pub fn scope(&self) -> String {
        if self.cluster {
            "cluster-wide".to_owned()
        } else if self.namespace_set {
            format!("in namespace \"{}\"", self.namespace)
        } else {
            format!(
                "in the namespace it is applied to (none set, \"{}\" by default)",
                self.namespace
            )
        }
    }
}

/// Whether `object` is an RBAC object the engine reads (any version of the RBAC group).
pub fn is_rbac(object: &Object) -> bool {
    object.group() == RBAC_GROUP
        && matches!(
            object.kind(),
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
        )
}

fn labels(object: &Object) -> Vec<(&str, &str)> {
    object
        .node
        .path(&["metadata", "labels"])
        .map(Node::entries)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| Some((&*e.key, e.value.as_str()?)))
        .collect()
}

fn namespace_of(object: &Object) -> &str {
    object
        .namespace()
        .filter(|n| !n.is_empty())
        .unwrap_or(DEFAULT_NAMESPACE)
}

/// Reads a Role or ClusterRole; `None` for anything else or a role without a name.
pub fn read_role(object: &Object) -> Option<Role<'_>> {
    if object.group() != RBAC_GROUP {
        return None;
    }
    let kind = match object.kind() {
        "Role" => RoleKind::Role,
        "ClusterRole" => RoleKind::ClusterRole,
        _ => return None,
    };
    let name = object.name().filter(|n| !n.is_empty())?;
    let rules = object
        .node
        .get("rules")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, n)| PolicyRule::read(i, n))
        .collect();
    let aggregation = match kind {
        RoleKind::ClusterRole => object.node.get("aggregationRule").map(|a| {
            a.get("clusterRoleSelectors")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .map(LabelSelector::read)
                .collect()
        }),
        RoleKind::Role => None,
    };
    Some(Role {
        object,
        kind,
        name,
        namespace: match kind {
            RoleKind::Role => namespace_of(object),
            RoleKind::ClusterRole => "",
        },
        labels: labels(object),
        rules,
        aggregation,
        builtin: false,
    })
}

/// Reads a RoleBinding or ClusterRoleBinding; `None` for anything else or one without a name.
pub fn read_binding(object: &Object) -> Option<Binding<'_>> {
    if object.group() != RBAC_GROUP {
        return None;
    }
    let cluster = match object.kind() {
        "RoleBinding" => false,
        "ClusterRoleBinding" => true,
        _ => return None,
    };
    let name = object.name().filter(|n| !n.is_empty())?;
    let role_ref = object.node.get("roleRef");
    let field = |k: &str| role_ref.and_then(|r| r.get(k)).and_then(Node::as_str);
    let group_ok = field("apiGroup").is_none_or(|g| g.is_empty() || g == RBAC_GROUP);
    let role_kind = match (field("kind"), cluster, group_ok) {
        (Some("ClusterRole"), _, true) => Some(RoleKind::ClusterRole),
        (Some("Role"), false, true) => Some(RoleKind::Role),
        _ => None,
    };
    let subjects = object
        .node
        .get("subjects")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(|(index, s)| {
            let kind = match s.get("kind").and_then(Node::as_str)? {
                "User" => SubjectKind::User,
                "Group" => SubjectKind::Group,
                "ServiceAccount" => SubjectKind::ServiceAccount,
                _ => SubjectKind::Unknown,
            };
            Some(Subject {
                index,
                kind,
                name: s.get("name").and_then(Node::as_str)?,
                namespace: s.get("namespace").and_then(Node::as_str),
            })
        })
        .collect();
    Some(Binding {
        object,
        cluster,
        name,
        namespace: if cluster { "" } else { namespace_of(object) },
        namespace_set: object.namespace().is_some_and(|n| !n.is_empty()),
        role_kind,
        role_name: field("name").unwrap_or(""),
        subjects,
    })
}
