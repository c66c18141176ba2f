//! RB202 `default-service-account-automounts`: a namespace's `default` ServiceAccount lets every
//! pod that does not opt out mount its token.

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Fix, FixSafety, FixValue, KubeVersion, Object, ObjectRule, RuleMeta,
    Severity, VersionRange,
};

static META: RuleMeta = RuleMeta {
    code: "RB202",
    name: "default-service-account-automounts",
    severity: Severity::Low,
    guide: "Auto mount default Service Account",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.1.5: Ensure that default service accounts are not actively used",
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
    ],
    summary: "The default ServiceAccount of a namespace does not disable token automounting",
    what: "Every `ServiceAccount` named `default` (in manifests, or one per namespace in a live \
           cluster) is checked for `automountServiceAccountToken: false`.",
    why: "Every pod that names no service account runs as `default`, and unless it opts out it \
          gets that account's API token mounted. Disabling automounting on the account fixes it \
          for the whole namespace at once, including for pods written later by people who never \
          thought about tokens. The control plane creates a `default` account in every new \
          namespace with automounting on, so the guide asks for this per namespace.",
    example: "# fails\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  \
              namespace: shop\n\
              # passes\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  \
              namespace: shop\nautomountServiceAccountToken: false",
    fix: "`kubectl -n NAMESPACE patch serviceaccount default -p '{\"automountServiceAccountToken\": \
          false}'` for every namespace (and in whatever creates namespaces), or manage the \
          `default` ServiceAccount as a manifest with that field. Pods that really need a token \
          should use their own service account.",
    help: "set `automountServiceAccountToken: false` on the namespace's `default` ServiceAccount",
};

pub struct DefaultServiceAccount;

pub static RULE: DefaultServiceAccount = DefaultServiceAccount;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for DefaultServiceAccount {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "default ServiceAccounts",
            test: |_, o, _| {
                o.kind() == "ServiceAccount" && o.group().is_empty() && o.name() == Some("default")
            },
        }
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if object.kind() != "ServiceAccount" || !object.group().is_empty() {
            return;
        }
        if object.name() != Some("default") {
            return;
        }
        let ns = object
            .namespace()
            .map_or_else(String::new, |n| format!(" in namespace \"{n}\""));
        let message = match object
            .node
            .get("automountServiceAccountToken")
            .and_then(Node::bool_intent)
        {
            Some(false) => return,
            Some(true) => format!(
                "the default ServiceAccount{ns} sets automountServiceAccountToken: true, so \
                 every pod that does not opt out mounts its API token"
            ),
            None => format!(
                "the default ServiceAccount{ns} does not set automountServiceAccountToken: false, \
                 so every pod that does not opt out mounts its API token"
            ),
        };
        // Unsafe: pods using the default ServiceAccount that call the API lose their token
        // unless their own spec opts back in (`automountServiceAccountToken: true`).
        out.report("/automountServiceAccountToken", message).fix = Some(Box::new(Fix::set(
            FixSafety::Unsafe,
            "set automountServiceAccountToken: false on the default ServiceAccount",
            "/automountServiceAccountToken",
            FixValue::Bool(false),
        )));
    }
}
