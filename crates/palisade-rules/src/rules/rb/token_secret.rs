//! RB204 `service-account-token-secret`: a Secret of type `kubernetes.io/service-account-token`,
//! a service-account token that never expires.

use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

static META: RuleMeta = RuleMeta {
    code: "RB204",
    name: "service-account-token-secret",
    severity: Severity::Low,
    guide: "Auto mount default Service Account",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/service-accounts/#get-a-token",
        "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#manual-secret-management-for-serviceaccounts",
    ],
    summary: "A Secret holds a long-lived service-account token",
    what: "Every `Secret` of type `kubernetes.io/service-account-token` is reported, with the \
           service account its `kubernetes.io/service-account.name` annotation names.",
    why: "The control plane fills such a Secret with a token for the service account that never \
          expires and is bound to no pod: whoever can read the Secret (any role with `get \
          secrets` in the namespace, a backup, a leaked manifest dump) holds the account's \
          rights until the Secret is deleted. Since Kubernetes 1.22 pods get short-lived, \
          pod-bound tokens through the TokenRequest API instead, and since 1.24 these Secrets \
          are no longer created automatically; the ones that remain were created by hand or \
          survive from older clusters.",
    example: "# fails\napiVersion: v1\nkind: Secret\nmetadata:\n  name: ci-token\n  \
              annotations:\n    kubernetes.io/service-account.name: ci\ntype: \
              kubernetes.io/service-account-token\n\
              # passes: request a short-lived token when needed\n\
              # kubectl create token ci --duration=1h",
    fix: "Delete the Secret and get tokens from the TokenRequest API: `kubectl create token \
          ACCOUNT --duration=…` for people and CI, a `projected` volume with a \
          `serviceAccountToken` source for pods. Where a system outside the cluster truly needs \
          a long-lived credential, prefer workload identity federation or a client certificate \
          with an expiry, and rotate it.",
    help: "delete the token Secret; use short-lived tokens (`kubectl create token`, projected \
           volumes) instead",
};

pub struct TokenSecret;

pub static RULE: TokenSecret = TokenSecret;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for TokenSecret {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "Secrets",
            test: |_, o, _| o.kind() == "Secret" && o.group().is_empty(),
        }
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if object.kind() != "Secret" || !object.group().is_empty() {
            return;
        }
        let ty = object.node.get("type").and_then(|n| n.as_str());
        if ty != Some("kubernetes.io/service-account-token") {
            return;
        }
        let account = object
            .annotation("kubernetes.io/service-account.name")
            .map_or_else(
                || "a service account".to_owned(),
                |n| format!("service account \"{n}\""),
            );
        out.report(
            "/type",
            format!(
                "Secret \"{}\" holds a non-expiring API token for {account}",
                object.name().unwrap_or("")
            ),
        );
    }
}
