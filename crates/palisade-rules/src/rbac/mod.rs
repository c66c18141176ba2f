//! RBAC: an authorizer with the API server's semantics over the Roles, ClusterRoles and bindings
//! of an inventory ([`Rbac`]), and the rules (`RB210`–`RB249`) built on it.
//!
//! Who can do what is never visible in one object: a binding names a role that may be in another
//! file, a ClusterRole's rules may come from other ClusterRoles by aggregation, a subject may be a
//! group every user is in. So every rule here is an inventory rule: `check` says nothing (or, for
//! a role's own wildcards, what the role alone shows), `keep` keeps the (small) RBAC objects
//! whole, and `refine` builds the authorizer once and reports on bindings, naming the subject,
//! the binding, the role and the rule's file and line.

use std::sync::Arc;

use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, Model, Object, ObjectRef, RuleMeta,
};

pub mod authorizer;
pub mod builtin;
pub mod model;
pub mod selector;

pub use authorizer::{service_account_of, Decision, Grant, Rbac, RuleRef, UserInfo};
pub use model::{
    is_rbac, Binding, PolicyRule, Request, Role, RoleKind, Subject, SubjectKind, Target,
};

use authorizer::{
    ALL_SERVICE_ACCOUNTS, ANONYMOUS, AUTHENTICATED, SUPERUSER_GROUP, UNAUTHENTICATED,
};

/// What every RBAC rule keeps: the RBAC objects, whole (they are small).
/// What the RBAC rules read ([`palisade_core::InventoryRule::reads`]).
pub const READS: &str = "RBAC Roles, ClusterRoles or bindings";

pub(crate) fn keep_rbac(object: &Object) -> Option<Keep> {
    is_rbac(object).then(Keep::whole)
}

/// Objects the API server creates and keeps up to date itself (its RBAC bootstrap policy):
/// `system:*` roles and bindings (and `cluster-admin`, `admin`, `edit`, `view`) carrying the
/// `kubernetes.io/bootstrapping: rbac-defaults` label or the autoupdate annotation. A cluster
/// export contains them; reporting them would be noise nobody can act on.
pub fn is_bootstrap(object: &Object) -> bool {
    let name = object.name().unwrap_or("");
    let default_name =
        name.starts_with("system:") || matches!(name, "cluster-admin" | "admin" | "edit" | "view");
    let labelled = object
        .node
        .path(&["metadata", "labels", "kubernetes.io/bootstrapping"])
        .and_then(|n| n.as_str())
        == Some("rbac-defaults")
        || object
            .annotation("rbac.authorization.kubernetes.io/autoupdate")
            .is_some();
    default_name && labelled
}

/// The inventory stage of the rules that report who is granted any of a set of requests (RB214,
/// RB215, RB216, RB218, RB219, RB222): each rule file gives its declaration, its requests and its
/// wording; reading the grants is this one implementation.
pub(crate) struct GrantRule {
    pub(crate) meta: &'static RuleMeta,
    pub(crate) probes: &'static [Probe],
    pub(crate) subjects: Subjects,
    /// What a subject granted `perms` may do, for the message.
    pub(crate) what: fn(&[Probe]) -> String,
}

impl InventoryRule for GrantRule {
    fn keep(&self, object: &Object) -> Option<Keep> {
        keep_rbac(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("rbac")
    }

    fn reads(&self) -> &'static str {
        READS
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        report_probes(
            self.meta,
            kept.model::<RbacModel>(cx).borrow_dependent(),
            findings,
            self.probes,
            self.subjects,
            &self.what,
            "",
        );
    }
}

self_cell::self_cell!(
    /// The RBAC authorizer over the RBAC objects a rule group kept, built once per scan and group
    /// ([`palisade_core::Kept::model`]) and read by every rule that asks who may do what.
    pub struct RbacModel {
        owner: Vec<Arc<Object>>,
        #[covariant]
        dependent: Rbac,
    }
);

impl Model for RbacModel {
    fn build(_cx: &Context<'_>, kept: &[Arc<Object>]) -> Self {
        RbacModel::new(kept.to_vec(), |objects| {
            Rbac::new(objects.iter().map(|o| &**o).filter(|o| is_rbac(o)))
        })
    }
}

/// Control-plane identities that legitimately hold every right: the superuser group and the
/// users of the API server, controller manager and scheduler.
pub(crate) fn is_control_plane(s: &Subject<'_>) -> bool {
    match s.kind {
        SubjectKind::Group => s.name == SUPERUSER_GROUP,
        SubjectKind::User => matches!(
            s.name,
            "system:kube-controller-manager"
                | "system:kube-scheduler"
                | "system:apiserver"
                | "kube-apiserver"
        ),
        _ => false,
    }
}

/// A subject that stands for every user (`system:anonymous`, `system:unauthenticated`), or
/// every authenticated user or service account; RB211 and RB212 report what those get.
pub(crate) fn is_everyone(s: &Subject<'_>) -> bool {
    match s.kind {
        SubjectKind::User => s.name == ANONYMOUS,
        SubjectKind::Group => {
            matches!(
                s.name,
                UNAUTHENTICATED | AUTHENTICATED | ALL_SERVICE_ACCOUNTS
            )
        }
        _ => false,
    }
}

/// Whether a subject can match anyone (a ServiceAccount without a namespace in a
/// ClusterRoleBinding, or an unknown kind, matches nobody).
pub(crate) fn is_real(s: &Subject<'_>, binding: &Binding<'_>) -> bool {
    match s.kind {
        SubjectKind::Unknown => false,
        SubjectKind::ServiceAccount => s.service_account_namespace(binding.namespace).is_some(),
        _ => true,
    }
}

/// The request every rule of `cluster-admin` allows and nothing narrower does: any verb on any
/// resource of any group.
pub(crate) fn full_control() -> Request<'static> {
    Request::resource("*", "*", "*", "")
}

/// A binding whose role grants `*` verbs on `*` resources in `*` groups (RB210's business).
pub(crate) fn grants_full_control(rbac: &Rbac<'_>, binding: usize) -> bool {
    rbac.binding_allows(binding, &full_control()).is_some()
}

/// One permission a rule looks for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Probe {
    pub(crate) verb: &'static str,
    pub(crate) group: &'static str,
    pub(crate) resource: &'static str,
    pub(crate) subresource: &'static str,
    /// Object name asked for (`""`: any, so only rules without `resourceNames` match).
    pub(crate) name: &'static str,
    /// The resource is cluster-scoped: a RoleBinding cannot grant it.
    pub(crate) cluster_scoped: bool,
}

impl Probe {
    pub(crate) const fn new(
        verb: &'static str,
        group: &'static str,
        resource: &'static str,
    ) -> Self {
        Probe {
            verb,
            group,
            resource,
            subresource: "",
            name: "",
            cluster_scoped: false,
        }
    }

    pub(crate) const fn sub(mut self, subresource: &'static str) -> Self {
        self.subresource = subresource;
        self
    }

    pub(crate) const fn cluster(mut self) -> Self {
        self.cluster_scoped = true;
        self
    }

    pub(crate) fn request(&self) -> Request<'static> {
        Request {
            verb: self.verb,
            target: Target::Resource {
                group: self.group,
                resource: self.resource,
                subresource: self.subresource,
                name: self.name,
                namespace: "",
            },
        }
    }

    /// `create pods/exec`, `get secrets`, `create deployments.apps`.
    pub(crate) fn label(&self) -> String {
        let mut s = format!("{} {}", self.verb, self.resource);
        if !self.group.is_empty() {
            s.push('.');
            s.push_str(self.group);
        }
        if !self.subresource.is_empty() {
            s.push('/');
            s.push_str(self.subresource);
        }
        if !self.name.is_empty() {
            s.push_str(&format!(" \"{}\"", self.name));
        }
        s
    }
}

/// Which subjects of a binding a rule reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Subjects {
    /// Every real subject but control-plane identities and the "everyone" groups (RB211/RB212
    /// report those), and not when the binding grants full control (RB210 reports that).
    Ordinary,
    /// Like `Ordinary`, only ServiceAccounts other than `default` (RB213 reports that one), only
    /// through RoleBindings.
    NamespacedServiceAccounts,
}

/// The permissions among `probes` a binding grants, with the rules granting them.
pub(crate) fn granted(rbac: &Rbac<'_>, binding: usize, probes: &[Probe]) -> Vec<(Probe, RuleRef)> {
    let cluster = rbac.bindings[binding].cluster;
    probes
        .iter()
        .filter(|p| cluster || !p.cluster_scoped)
        .filter_map(|p| Some((*p, rbac.binding_allows(binding, &p.request())?)))
        .collect()
}

/// `rule at f.yaml:12` for the first rule, then the other distinct rule locations.
pub(crate) fn grant_text(rbac: &Rbac<'_>, binding: usize, rules: &[RuleRef]) -> String {
    let mut text = rbac.describe_grant(binding, rules[0]);
    let mut others: Vec<String> = Vec::new();
    for r in &rules[1..] {
        let loc = rbac.location(*r);
        if *r != rules[0] && !others.contains(&loc) && loc != rbac.location(rules[0]) {
            others.push(loc);
        }
    }
    if !others.is_empty() {
        text.push_str(&format!("; also rules at {}", others.join(", ")));
    }
    text
}

/// The role object a binding refers to, for [`Finding::related`].
pub(crate) fn related_role(rbac: &Rbac<'_>, binding: usize) -> Option<ObjectRef> {
    let role = *rbac.roles_of(binding).first()?;
    let r = &rbac.roles[role];
    Some(if r.builtin {
        ObjectRef {
            api_version: format!("{}/v1", model::RBAC_GROUP),
            kind: r.kind.as_str().to_owned(),
            namespace: None,
            name: Some(r.name.to_owned()),
        }
    } else {
        r.object.reference()
    })
}

/// Reports a finding on subject `index` of binding `b`, naming the role in `related`.
pub(crate) fn report_subject(
    meta: &'static RuleMeta,
    findings: &mut Vec<Finding>,
    rbac: &Rbac<'_>,
    b: usize,
    index: usize,
    message: String,
) {
    let mut out = Emitter::new(rbac.bindings[b].object, meta, findings);
    let f = out.report(&format!("/subjects/{index}"), message);
    f.related = related_role(rbac, b).map(Box::new);
}

/// Reports, for every binding of the inventory, each subject (as `subjects` selects) that gets
/// one of `probes`. `what` turns the permissions found into the message's verb phrase
/// (`"may read Secrets (get/list secrets)"`); `note`, when not empty, ends the message.
pub(crate) fn report_probes(
    meta: &'static RuleMeta,
    rbac: &Rbac<'_>,
    findings: &mut Vec<Finding>,
    probes: &[Probe],
    subjects: Subjects,
    what: &dyn Fn(&[Probe]) -> String,
    note: &str,
) {
    report_probes_where(meta, rbac, findings, probes, subjects, what, note, &|_| {
        true
    });
}

/// [`report_probes`] on the bindings `applies` accepts only (those reaching one namespace, say).
#[allow(clippy::too_many_arguments)]
pub(crate) fn report_probes_where(
    meta: &'static RuleMeta,
    rbac: &Rbac<'_>,
    findings: &mut Vec<Finding>,
    probes: &[Probe],
    subjects: Subjects,
    what: &dyn Fn(&[Probe]) -> String,
    note: &str,
    applies: &dyn Fn(&Binding<'_>) -> bool,
) {
    for b in 0..rbac.bindings.len() {
        let binding = &rbac.bindings[b];
        if is_bootstrap(binding.object) || grants_full_control(rbac, b) || !applies(binding) {
            continue;
        }
        if subjects == Subjects::NamespacedServiceAccounts && binding.cluster {
            continue;
        }
        let found = granted(rbac, b, probes);
        if found.is_empty() {
            continue;
        }
        let (perms, rules): (Vec<Probe>, Vec<RuleRef>) = found.into_iter().unzip();
        for s in &binding.subjects {
            if !is_real(s, binding) || is_control_plane(s) || is_everyone(s) {
                continue;
            }
            // `default` is RB213's business.
            if subjects == Subjects::NamespacedServiceAccounts
                && (s.kind != SubjectKind::ServiceAccount || s.name == "default")
            {
                continue;
            }
            let mut message = format!(
                "{} {} {} through {}",
                s.describe(binding.namespace),
                what(&perms),
                binding.scope(),
                grant_text(rbac, b, &rules)
            );
            if !note.is_empty() {
                message.push_str("; ");
                message.push_str(note);
            }
            report_subject(meta, findings, rbac, b, s.index, message);
        }
    }
}

/// Non-resource URLs anyone may read: health, version, API discovery and OpenAPI documents, and
/// the service-account issuer's public keys (the default `system:public-info-viewer`,
/// `system:discovery` and `system:service-account-issuer-discovery` roles).
pub(crate) const DISCOVERY_URLS: &[&str] = &[
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/healthz/*",
    "/livez",
    "/livez/*",
    "/readyz",
    "/readyz/*",
    "/openapi",
    "/openapi/*",
    "/version",
    "/version/",
    "/.well-known/openid-configuration",
    "/openid/v1/jwks",
];

/// Whether a rule grants more than discovery: reading [`DISCOVERY_URLS`], asking the API what
/// one may do oneself (`selfsubjectaccessreviews` and friends, the default
/// `system:basic-user`), or using a PodSecurityPolicy (the guide's own setup grants `use` of its
/// restrictive `default` PSP to every user; who may use a permissive one is a PSP rule's
/// business).
pub fn beyond_discovery(rule: &PolicyRule<'_>) -> bool {
    let only = |have: &[&str], allowed: &[&str]| {
        !have.is_empty() && have.iter().all(|x| allowed.contains(x))
    };
    if rule.is_resource_rule() {
        let self_review = only(&rule.verbs, &["create"])
            && only(
                &rule.api_groups,
                &["authorization.k8s.io", "authentication.k8s.io"],
            )
            && only(
                &rule.resources,
                &[
                    "selfsubjectaccessreviews",
                    "selfsubjectrulesreviews",
                    "selfsubjectreviews",
                ],
            );
        let psp_use = only(&rule.verbs, &["use"])
            && only(&rule.api_groups, &["policy", "extensions"])
            && only(&rule.resources, &["podsecuritypolicies"]);
        !(self_review || psp_use)
    } else if rule.non_resource_urls.is_empty() {
        false
    } else {
        !(only(&rule.verbs, &["get", "head"]) && only(&rule.non_resource_urls, DISCOVERY_URLS))
    }
}

/// Reports bindings granting more than discovery to the subjects `pick` selects (RB211, RB212).
pub(crate) fn report_everyone(
    meta: &'static RuleMeta,
    rbac: &Rbac<'_>,
    findings: &mut Vec<Finding>,
    pick: &dyn Fn(&Subject<'_>) -> Option<&'static str>,
) {
    for b in 0..rbac.bindings.len() {
        let binding = &rbac.bindings[b];
        if is_bootstrap(binding.object) {
            continue;
        }
        let rules: Vec<RuleRef> = rbac
            .binding_rules(b)
            .filter(|r| beyond_discovery(rbac.rule(*r)))
            .collect();
        if rules.is_empty() {
            continue;
        }
        let mut shown: Vec<String> = Vec::new();
        for r in &rules {
            let d = format!("`{}`", rbac.rule(*r).describe());
            if !shown.contains(&d) {
                shown.push(d);
            }
        }
        let more = shown.len().saturating_sub(3);
        shown.truncate(3);
        let mut granted = shown.join(", ");
        if more > 0 {
            granted.push_str(&format!(" and {more} more"));
        }
        for s in &binding.subjects {
            let Some(who) = pick(s) else { continue };
            let message = format!(
                "{} ({who}) is granted {granted} {} through {}",
                s.describe(binding.namespace),
                binding.scope(),
                grant_text(rbac, b, &rules)
            );
            report_subject(meta, findings, rbac, b, s.index, message);
        }
    }
}

/// `get/list/watch secrets, create deployments.apps`: verbs on the same resource together.
pub(crate) fn labels(perms: &[Probe]) -> String {
    let mut by_resource: Vec<(String, Vec<&str>)> = Vec::new();
    for p in perms {
        let target = Probe { verb: "", ..*p }.label();
        let target = target.trim_start().to_owned();
        match by_resource.iter_mut().find(|(t, _)| *t == target) {
            Some((_, verbs)) if !verbs.contains(&p.verb) => verbs.push(p.verb),
            Some(_) => {}
            None => by_resource.push((target, vec![p.verb])),
        }
    }
    by_resource
        .iter()
        .map(|(t, verbs)| format!("{} {t}", verbs.join("/")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
