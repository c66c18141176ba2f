//! RB201 `service-account-token-automounted`: a pod gets a Kubernetes API token mounted that it
//! probably does not need.
//!
//! Whether a token is mounted is decided by the pod's `automountServiceAccountToken` when it is
//! set, and by the ServiceAccount's otherwise. From the pod alone the rule reports every pod that
//! does not settle the question itself; its inventory form (used when the whole scan is known)
//! also reads the ServiceAccount and stays quiet when that account disables automounting, or
//! when RBAC bindings in the scan show that the account is meant to use the API.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Finding, Fix, FixSafety, FixValue, InventoryRule, Keep, Kept, KubeVersion,
    Model, Object, ObjectRef, ObjectRule, PodTemplate, RuleMeta, Severity, VersionRange,
};

static META: RuleMeta = RuleMeta {
    code: "RB201",
    name: "service-account-token-automounted",
    severity: Severity::Low,
    guide: "Auto mount default Service Account",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.1.6: Ensure that Service Account Tokens are only mounted where \
         necessary",
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
    ],
    summary: "A pod gets a Kubernetes API token mounted without opting out",
    what: "Every pod and pod template is checked for `automountServiceAccountToken`. A pod that \
           sets it to `false` is fine. A pod that leaves it unset gets the token of its service \
           account (`spec.serviceAccountName`, or `default`) mounted unless that ServiceAccount \
           sets `automountServiceAccountToken: false`. When the whole scan is known (a directory of \
           manifests, a live cluster), the pod's ServiceAccount is read too: a pod whose account \
           disables automounting is not reported, and neither is a pod whose dedicated account \
           a RoleBinding or ClusterRoleBinding of the scan grants rights — it is meant to call \
           the API. A pod that explicitly sets `true` \
           with a dedicated service account has made a deliberate choice and is not reported; \
           explicitly mounting the `default` account's token is. Mirror pods of static pods \
           never get a token and are skipped.",
    why: "The token at /var/run/secrets/kubernetes.io/serviceaccount is a credential for the \
          Kubernetes API. Most applications never call the API, but anyone who gets code \
          execution in the container can read the token and act with the service account's \
          permissions: list secrets, create pods, or at least explore the cluster. With RBAC the \
          `default` account has few rights, which is why the guide grades this low; without RBAC \
          (or when someone has bound roles to `default`) the token is a cluster credential.",
    example: "# fails: no opt-out, the \"default\" account's token is mounted\n\
              apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  \
              - name: web\n    image: nginx:1.27\n\
              # passes\n\
              apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  \
              automountServiceAccountToken: false\n  containers:\n  - name: web\n    \
              image: nginx:1.27",
    fix: "Set `automountServiceAccountToken: false` in the pod spec of every workload that does \
          not call the Kubernetes API, or on its ServiceAccount (for the `default` account of a \
          namespace: `kubectl patch serviceaccount default -p '{\"automountServiceAccountToken\": \
          false}'`). Workloads that do need the API should run as a dedicated service account \
          with minimal RBAC; a pod that needs a token only sometimes can mount a short-lived one \
          with a `projected` volume of source `serviceAccountToken`.",
    help: "set `automountServiceAccountToken: false` on the pod (or its ServiceAccount) unless it \
           calls the Kubernetes API",
};

/// The rule, in both single-object and inventory form.
pub struct ServiceAccountToken;

pub static RULE: ServiceAccountToken = ServiceAccountToken;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

/// The annotation the kubelet sets on the API mirror of a static pod; the ServiceAccount
/// admission plugin does not give such pods a token.
const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// Which service account a pod runs as, and whether the pod decides token mounting itself. An
/// engine can join this with the ServiceAccount objects it knows about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenMount<'a> {
    /// `spec.serviceAccountName`, else the deprecated `spec.serviceAccount`, else `default`.
    pub service_account: &'a str,
    /// The pod's `automountServiceAccountToken` (a quoted `"false"` counts as what it spells:
    /// the type error is PA903's business); `None` when the ServiceAccount decides.
    pub pod_decision: Option<bool>,
}

/// Reads a pod's service account and its own automount decision.
pub fn token_mount<'a>(pod: &PodTemplate<'a>) -> TokenMount<'a> {
    let service_account = ["serviceAccountName", "serviceAccount"]
        .iter()
        .filter_map(|k| pod.spec.get(k).and_then(Node::as_str))
        .find(|s| !s.is_empty())
        .unwrap_or("default");
    TokenMount {
        service_account,
        pod_decision: pod
            .spec
            .get("automountServiceAccountToken")
            .and_then(Node::bool_intent),
    }
}

/// What is known about the pod's ServiceAccount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Account {
    /// Not in the scan (single-object check, or an account created elsewhere).
    Unknown,
    /// In the scan, with its `automountServiceAccountToken` (None when unset).
    Known(Option<bool>),
    /// A RoleBinding or ClusterRoleBinding in the scan grants the account rights: the pod is
    /// meant to call the API with its token.
    Bound,
}

/// `palisade vap export`: the rule's single-object verdict in CEL. A policy cannot read the
/// ServiceAccount or the bindings, so this is the verdict without them ([`Account::Unknown`]):
/// a pod must set `automountServiceAccountToken: false` itself, or `true` with a dedicated
/// service account. Mirror pods are skipped, as here.
pub static EXPORT: crate::vap_export::Exportable = crate::vap_export::Exportable {
    meta: &META,
    cel: cel_source,
};

fn cel_source(_: KubeVersion) -> String {
    use crate::vap_export::cel::{lit, or_empty};
    let spec = "variables.spec";
    // `serviceAccountName`, else the deprecated `serviceAccount`, else `default`.
    let sa = format!(
        "({n} != '' ? {n} : ({o} != '' ? {o} : 'default'))",
        n = or_empty(spec, "serviceAccountName"),
        o = or_empty(spec, "serviceAccount"),
    );
    let mirror = format!("{} in variables.annotations", lit(MIRROR_POD_ANNOTATION));
    format!(
        "{mirror} || (has({spec}.automountServiceAccountToken) && ({spec}.automountServiceAccountToken == false || {sa} != 'default')) ? [] : [has({spec}.automountServiceAccountToken) ? 'pod sets automountServiceAccountToken: true and so mounts an API token of the \"default\" service account, which pods should not need' : 'pod mounts an API token of service account \"' + {sa} + '\" unless that ServiceAccount disables it: automountServiceAccountToken is not false on the pod']"
    )
}

/// The message for a pod that gets a token, or `None` when it does not (or chose to).
fn verdict(mount: TokenMount<'_>, account: Account) -> Option<String> {
    let sa = mount.service_account;
    let is_default = sa == "default";
    match (mount.pod_decision, account) {
        (Some(false), _) => None,
        (Some(true), _) if !is_default => None,
        (Some(true), _) => Some(
            "pod sets automountServiceAccountToken: true and so mounts an API token of the \
             \"default\" service account, which pods should not need"
                .to_owned(),
        ),
        (None, Account::Known(Some(false))) => None,
        // The default account should not need rights; binding some to it is its own problem
        // and does not make mounting its token in every pod right.
        (None, Account::Bound) if !is_default => None,
        // A dedicated account that explicitly opts in is a deliberate choice, as on the pod.
        (None, Account::Known(Some(true))) if !is_default => None,
        (None, Account::Known(_)) => Some(format!(
            "pod mounts an API token of service account \"{sa}\": neither the pod nor the \
             ServiceAccount sets automountServiceAccountToken: false"
        )),
        (None, Account::Unknown | Account::Bound) => Some(format!(
            "pod mounts an API token of service account \"{sa}\" unless that ServiceAccount \
             disables it: automountServiceAccountToken is not false on the pod"
        )),
    }
}

impl ObjectRule for ServiceAccountToken {
    /// The provisional verdict, from the pod alone. When it depends on the ServiceAccount, the
    /// finding names that account in `related` for [`InventoryRule::refine`].
    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        let Some(pod) = object.pod_template() else {
            return;
        };
        if pod.annotation(MIRROR_POD_ANNOTATION).is_some() {
            return;
        }
        let mount = token_mount(&pod);
        if let Some(message) = verdict(mount, Account::Unknown) {
            let pointer = format!("{}/automountServiceAccountToken", pod.spec_pointer);
            let f = out.report(&pointer, message);
            // Unsafe: from the pod alone nothing tells whether a container calls the API with
            // the token (client-go's in-cluster config reads exactly this file), and such a pod
            // fails once the token is gone.
            f.fix = Some(Box::new(Fix::set(
                FixSafety::Unsafe,
                "set automountServiceAccountToken: false on the pod",
                pointer,
                FixValue::Bool(false),
            )));
            if mount.pod_decision.is_none() {
                f.related = Some(Box::new(ObjectRef {
                    api_version: "v1".to_owned(),
                    kind: "ServiceAccount".to_owned(),
                    namespace: object.namespace().map(str::to_owned),
                    name: Some(mount.service_account.to_owned()),
                }));
            }
        }
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

/// With the scan's ServiceAccounts and bindings: a pod is not reported when its account disables
/// automounting, or when a binding grants its dedicated account rights (it is meant to call the
/// API). Namespaces are compared as written (`metadata.namespace`, both unset being equal).
impl InventoryRule for ServiceAccountToken {
    /// ServiceAccounts and bindings, and of pods and workloads what [`ObjectRule::check`] reads,
    /// which runs on that (see [`InventoryRule::checks_kept`]).
    fn keep(&self, o: &Object) -> Option<Keep> {
        match (o.group(), o.kind()) {
            ("", "ServiceAccount") => Some(Keep::paths(&[&["automountServiceAccountToken"]])),
            ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
                Some(Keep::paths(&[&["subjects"]]))
            }
            _ => Keep::pod(
                o,
                Keep::WAIVERS_META,
                &[
                    &["serviceAccountName"],
                    &["serviceAccount"],
                    &["automountServiceAccountToken"],
                ],
                Keep::WAIVERS_ROOT,
            ),
        }
    }

    /// Most pods of a large scan run as an account the scan shows disabling automounting (or
    /// one a binding grants rights): their provisional findings would all be dropped.
    fn checks_kept(&self) -> bool {
        true
    }

    fn refine(&self, cx: &Context<'_>, context: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = context.model::<AccountModel>(cx);
        let Accounts { settings, bound } = model.borrow_dependent();
        findings.retain_mut(|f| {
            let Some(sa) = f.related.as_ref().filter(|_| f.code == META.code) else {
                return true;
            };
            let (ns, name) = (
                sa.namespace.as_deref(),
                sa.name.as_deref().unwrap_or("default"),
            );
            let is_bound = bound.get(name).is_some_and(|namespaces| {
                namespaces
                    .iter()
                    .any(|bns| bns.is_none() || ns.is_none() || *bns == ns)
            });
            let account = match settings.get(&(ns, name)) {
                Some(Some(false)) => Account::Known(Some(false)),
                _ if is_bound => Account::Bound,
                Some(setting) => Account::Known(*setting),
                None => Account::Unknown,
            };
            let mount = TokenMount {
                service_account: name,
                pod_decision: None,
            };
            match verdict(mount, account) {
                Some(message) => {
                    f.message = message.into();
                    true
                }
                None => false,
            }
        });
    }
}

/// What `refine` reads of the inventory, built once per scan ([`Kept::model`]) rather than for
/// each batch of findings the engine gives it: each ServiceAccount's own
/// `automountServiceAccountToken` (the first object of each namespace and name), and for each
/// account name the namespaces bindings name it in.
struct Accounts<'a> {
    settings: HashMap<(Option<&'a str>, &'a str), Option<bool>>,
    bound: HashMap<&'a str, Vec<Option<&'a str>>>,
}

self_cell::self_cell!(
    struct AccountModel {
        owner: Vec<Arc<Object>>,
        #[covariant]
        dependent: Accounts,
    }
);

impl Model for AccountModel {
    fn build(_cx: &Context<'_>, kept: &[Arc<Object>]) -> Self {
        AccountModel::new(kept.to_vec(), |objects| {
            let mut accounts = Accounts {
                settings: HashMap::new(),
                bound: HashMap::new(),
            };
            for o in objects.iter().map(|o| &**o) {
                if o.pod_template().is_some() {
                    continue;
                }
                if o.kind() == "ServiceAccount" {
                    if let Some(name) = o.name() {
                        let setting = o
                            .node
                            .get("automountServiceAccountToken")
                            .and_then(Node::bool_intent);
                        accounts
                            .settings
                            .entry((o.namespace(), name))
                            .or_insert(setting);
                    }
                } else {
                    for (ns, name) in bound_accounts(o) {
                        accounts.bound.entry(name).or_default().push(ns);
                    }
                }
            }
            accounts
        })
    }
}

fn bound_accounts(binding: &Object) -> Vec<(Option<&str>, &str)> {
    binding
        .node
        .get("subjects")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter(|s| s.get("kind").and_then(Node::as_str) == Some("ServiceAccount"))
        .filter_map(|s| {
            let name = s.get("name").and_then(Node::as_str)?;
            let ns = s
                .get("namespace")
                .and_then(Node::as_str)
                .or_else(|| binding.namespace());
            Some((ns, name))
        })
        .collect()
}
