//! The RBAC authorizer over an inventory: which binding, role and rule let a user do something,
//! and who can do it. Same decisions as the API server's RBAC authorizer
//! (`plugin/pkg/auth/authorizer/rbac`): ClusterRoleBindings apply everywhere, RoleBindings only
//! to requests in their namespace, the first rule that allows a request decides, nothing denies.

use std::collections::{HashMap, HashSet};

use palisade_core::{Object, Origin};

use super::builtin;
use super::model::{
    read_binding, read_role, Binding, PolicyRule, Request, Role, RoleKind, Subject, SubjectKind,
};

/// The group the API server lets do anything, before RBAC is asked (`system:masters`).
pub const SUPERUSER_GROUP: &str = "system:masters";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
pub const ANONYMOUS: &str = "system:anonymous";
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
const SA_PREFIX: &str = "system:serviceaccount:";

/// A rule of a role: indexes into [`Rbac::roles`] and that role's `rules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef {
    pub role: usize,
    pub rule: usize,
}

/// One way a subject gets a permission: a subject of a binding, and the rule that allows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Index into [`Rbac::bindings`].
    pub binding: usize,
    /// Index into that binding's `subjects` (the parsed list, see [`Subject::index`]).
    pub subject: usize,
    pub rule: RuleRef,
}

/// The authorizer's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The user is in `system:masters`, which the API server allows before asking RBAC.
    Superuser,
    Allowed(Grant),
    Denied,
}

/// Who is asking: a user name and groups, as an authenticator produces them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A user as the API server sees it after authentication (or impersonation): `extra_groups`
    /// plus the implicit groups: `system:unauthenticated` for `system:anonymous`,
    /// `system:authenticated` for everyone else, and for a service account
    /// (`system:serviceaccount:NS:NAME`) `system:serviceaccounts` and
    /// `system:serviceaccounts:NS`.
    pub fn new(name: &str, extra_groups: &[String]) -> Self {
        let mut groups: Vec<String> = extra_groups.to_vec();
        let mut add = |g: String| {
            if !groups.contains(&g) {
                groups.push(g);
            }
        };
        if let Some((ns, _)) = service_account_of(name) {
            add(ALL_SERVICE_ACCOUNTS.to_owned());
            add(format!("{ALL_SERVICE_ACCOUNTS}:{ns}"));
        }
        if name == ANONYMOUS {
            add(UNAUTHENTICATED.to_owned());
        } else {
            add(AUTHENTICATED.to_owned());
        }
        UserInfo {
            name: name.to_owned(),
            groups,
        }
    }

    fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// `(namespace, name)` of a service account user name `system:serviceaccount:NS:NAME`.
pub fn service_account_of(user: &str) -> Option<(&str, &str)> {
    let (ns, name) = user.strip_prefix(SA_PREFIX)?.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
}

/// Roles and bindings of an inventory, with aggregation resolved.
pub struct Rbac<'a> {
    pub roles: Vec<Role<'a>>,
    pub bindings: Vec<Binding<'a>>,
    /// Per role, its rules after aggregation.
    effective: Vec<Vec<RuleRef>>,
    /// Per binding, the roles it refers to (several when the input defines a role twice).
    binding_roles: Vec<Vec<usize>>,
}

fn path_of(o: &Object) -> Option<&str> {
    match &o.origin {
        Origin::File { path, .. } => Some(path),
        Origin::Api { .. } => None,
    }
}

impl<'a> Rbac<'a> {
    /// Reads every Role, ClusterRole, RoleBinding and ClusterRoleBinding of `objects` (others
    /// are ignored) and adds the default ClusterRoles the input does not define (see
    /// [`builtin`]).
    pub fn new<I: IntoIterator<Item = &'a Object>>(objects: I) -> Self {
        let mut roles = Vec::new();
        let mut bindings = Vec::new();
        for o in objects {
            if let Some(r) = read_role(o) {
                roles.push(r);
            } else if let Some(b) = read_binding(o) {
                bindings.push(b);
            }
        }
        let defined: HashSet<&str> = roles
            .iter()
            .filter(|r| r.kind == RoleKind::ClusterRole)
            .map(|r| r.name)
            .collect();
        for o in builtin::roles() {
            if let Some(mut r) = read_role(o) {
                if !defined.contains(r.name) {
                    r.builtin = true;
                    roles.push(r);
                }
            }
        }

        let mut index: HashMap<(RoleKind, &str, &str), Vec<usize>> = HashMap::new();
        for (i, r) in roles.iter().enumerate() {
            index
                .entry((r.kind, r.namespace, r.name))
                .or_default()
                .push(i);
        }
        let effective = aggregate(&roles);
        let binding_roles = bindings
            .iter()
            .map(|b| {
                let Some(kind) = b.role_kind else {
                    return Vec::new();
                };
                let ns = match kind {
                    RoleKind::Role => b.namespace,
                    RoleKind::ClusterRole => "",
                };
                let candidates = index
                    .get(&(kind, ns, b.role_name))
                    .cloned()
                    .unwrap_or_default();
                // A role defined in several files: the one next to the binding is meant.
                let here: Vec<usize> = candidates
                    .iter()
                    .copied()
                    .filter(|&i| path_of(roles[i].object) == path_of(b.object))
                    .collect();
                if here.is_empty() {
                    candidates
                } else {
                    here
                }
            })
            .collect();
        Rbac {
            roles,
            bindings,
            effective,
            binding_roles,
        }
    }

    pub fn rule(&self, r: RuleRef) -> &PolicyRule<'a> {
        &self.roles[r.role].rules[r.rule]
    }

    /// Rules of a role after aggregation.
    pub fn rules_of(&self, role: usize) -> &[RuleRef] {
        &self.effective[role]
    }

    /// Roles a binding refers to; empty when the role is not in the inventory.
    pub fn roles_of(&self, binding: usize) -> &[usize] {
        &self.binding_roles[binding]
    }

    /// The rule of binding `binding`'s role that allows `request`, if any (the request's
    /// namespace is not looked at: see [`Rbac::binding_applies`]).
    pub fn binding_allows(&self, binding: usize, request: &Request<'_>) -> Option<RuleRef> {
        self.binding_rules(binding)
            .find(|r| self.rule(*r).allows(request))
    }

    /// Every rule a binding grants (through every role it refers to).
    pub fn binding_rules(&self, binding: usize) -> impl Iterator<Item = RuleRef> + '_ {
        self.binding_roles[binding]
            .iter()
            .flat_map(|&role| self.effective[role].iter().copied())
    }

    /// Whether a binding takes part in requests in `namespace` (`""`: cluster-wide requests, for
    /// which only ClusterRoleBindings count).
    pub fn binding_applies(&self, binding: usize, namespace: &str) -> bool {
        let b = &self.bindings[binding];
        b.cluster || (!namespace.is_empty() && b.namespace == namespace)
    }

    /// The first subject of a binding that is `user`.
    fn subject_for(&self, binding: usize, user: &UserInfo) -> Option<usize> {
        let b = &self.bindings[binding];
        b.subjects
            .iter()
            .position(|s| subject_is(s, b.namespace, user))
    }

    /// Decides `request` for `user`: ClusterRoleBindings first, then RoleBindings of the
    /// request's namespace, as the API server does; the first rule that allows it is reported.
    pub fn authorize(&self, user: &UserInfo, request: &Request<'_>) -> Decision {
        if user.in_group(SUPERUSER_GROUP) {
            return Decision::Superuser;
        }
        let ns = request.namespace();
        let order = (0..self.bindings.len())
            .filter(|&b| self.bindings[b].cluster)
            .chain((0..self.bindings.len()).filter(|&b| !self.bindings[b].cluster));
        for b in order {
            if !self.binding_applies(b, ns) {
                continue;
            }
            let Some(subject) = self.subject_for(b, user) else {
                continue;
            };
            if let Some(rule) = self.binding_allows(b, request) {
                return Decision::Allowed(Grant {
                    binding: b,
                    subject,
                    rule,
                });
            }
        }
        Decision::Denied
    }

    /// Every subject allowed `request`, with the binding and rule: one grant per subject of
    /// every binding that applies. Members of `system:masters` can always, and are not listed.
    pub fn who_can(&self, request: &Request<'_>) -> Vec<Grant> {
        let ns = request.namespace();
        let mut grants = Vec::new();
        for b in 0..self.bindings.len() {
            if !self.binding_applies(b, ns) {
                continue;
            }
            let Some(rule) = self.binding_allows(b, request) else {
                continue;
            };
            let binding = &self.bindings[b];
            for (i, s) in binding.subjects.iter().enumerate() {
                let matches_someone = match s.kind {
                    SubjectKind::Unknown => false,
                    SubjectKind::ServiceAccount => {
                        s.service_account_namespace(binding.namespace).is_some()
                    }
                    SubjectKind::User | SubjectKind::Group => true,
                };
                if matches_someone {
                    grants.push(Grant {
                        binding: b,
                        subject: i,
                        rule,
                    });
                }
            }
        }
        grants
    }

    /// `path:line` of a rule (`<built-in>` for the default roles), for messages.
    pub fn location(&self, r: RuleRef) -> String {
        let role = &self.roles[r.role];
        let line = self.rule(r).node.span.start.line;
        match &role.object.origin {
            _ if role.builtin => builtin::ORIGIN.to_owned(),
            Origin::File { path, .. } => format!("{path}:{line}"),
            Origin::Api { source } => format!("{source}#/rules/{}", r.rule),
        }
    }

    /// `ClusterRole "x"`, or `Role "ns/x"`.
    pub fn describe_role(&self, role: usize) -> String {
        let r = &self.roles[role];
        match r.kind {
            RoleKind::ClusterRole => format!("ClusterRole \"{}\"", r.name),
            RoleKind::Role => format!("Role \"{}/{}\"", r.namespace, r.name),
        }
    }

    /// How a binding reaches a rule: `ClusterRole "admin"` and, when the rule comes from
    /// another role by aggregation, `(aggregated from ClusterRole "x")`; then the rule and its
    /// location.
    pub fn describe_grant(&self, binding: usize, rule: RuleRef) -> String {
        let b = &self.bindings[binding];
        let bound = self.binding_roles[binding]
            .iter()
            .copied()
            .find(|&role| self.effective[role].contains(&rule))
            .unwrap_or(rule.role);
        let mut s = format!("{} → {}", b.describe(), self.describe_role(bound));
        if bound != rule.role {
            s.push_str(&format!(
                " (aggregated from {})",
                self.describe_role(rule.role)
            ));
        }
        s.push_str(&format!(
            ", rule `{}` at {}",
            self.rule(rule).describe(),
            self.location(rule)
        ));
        s
    }
}

/// Whether a binding subject names `user` (`binding_namespace` is `""` for a
/// ClusterRoleBinding): users by name, groups by membership, service accounts by their user name
/// `system:serviceaccount:NS:NAME`, the namespace defaulting to the binding's.
pub fn subject_is(subject: &Subject<'_>, binding_namespace: &str, user: &UserInfo) -> bool {
    match subject.kind {
        SubjectKind::User => user.name == subject.name,
        SubjectKind::Group => user.in_group(subject.name),
        SubjectKind::ServiceAccount => subject
            .service_account_namespace(binding_namespace)
            .is_some_and(|ns| service_account_of(&user.name) == Some((ns, subject.name))),
        SubjectKind::Unknown => false,
    }
}

/// Rules of every role after ClusterRole aggregation. The aggregation controller replaces an
/// aggregated role's rules with the union of the rules of every *other* ClusterRole its
/// selectors match; roles selected may be aggregated themselves, so this runs to a fixed point
/// (the least one: a cycle of aggregated roles adds nothing by itself).
fn aggregate(roles: &[Role<'_>]) -> Vec<Vec<RuleRef>> {
    let mut effective: Vec<Vec<RuleRef>> = roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if r.aggregation.is_some() {
                Vec::new()
            } else {
                (0..r.rules.len())
                    .map(|rule| RuleRef { role: i, rule })
                    .collect()
            }
        })
        .collect();
    let sources: Vec<(usize, Vec<usize>)> = roles
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let selectors = r.aggregation.as_ref()?;
            let mut selected: Vec<usize> = roles
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.kind == RoleKind::ClusterRole
                        && c.name != r.name
                        && selectors.iter().any(|s| s.matches(&c.labels))
                })
                .map(|(j, _)| j)
                .collect();
            selected.sort_by_key(|&j| roles[j].name);
            Some((i, selected))
        })
        .collect();
    loop {
        let mut changed = false;
        for (target, selected) in &sources {
            let mut seen: HashSet<RuleRef> = effective[*target].iter().copied().collect();
            let mut added = Vec::new();
            for &s in selected {
                for r in &effective[s] {
                    if seen.insert(*r) {
                        added.push(*r);
                    }
                }
            }
            if !added.is_empty() {
                effective[*target].extend(added);
                changed = true;
            }
        }
        if !changed {
            return effective;
        }
    }
}
