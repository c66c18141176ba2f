//! RB221 `csr-approval`: a subject may approve certificate signing requests for signers that
//! issue API client certificates, and so mint credentials for any user.

use std::collections::BTreeMap;

use palisade_core::{
    Context, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::rbac::{
    grants_full_control, is_bootstrap, is_control_plane, is_everyone, is_real, keep_rbac,
    report_subject, Probe, Rbac, RbacModel, Request, RuleRef, SubjectKind, Target,
};

static META: RuleMeta = RuleMeta {
    code: "RB221",
    name: "csr-approval",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::since(KubeVersion::v1(18)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#csrs-and-certificate-issuing",
    ],
    summary: "A subject may approve CertificateSigningRequests for API client certificates",
    what: "ClusterRoleBindings are resolved to their rules and combined per subject: a subject \
           that may `update` `certificatesigningrequests/approval` and `approve` `signers` \
           (unrestricted, `kubernetes.io/*`, or one of `kubernetes.io/kube-apiserver-client`, \
           `kubernetes.io/kube-apiserver-client-kubelet`, `kubernetes.io/legacy-unknown`) is \
           reported, on the binding that grants the approval (control-plane identities \
           excepted; full control is RB210).",
    why: "Approving a request for the `kube-apiserver-client` signer issues a client \
          certificate for whatever user and groups the request names, `system:masters` \
          included: a permanent cluster-admin credential that cannot be revoked short of \
          rotating the cluster CA.",
    example: "# fails\nrules:\n- apiGroups: [certificates.k8s.io]\n  resources: \
              [certificatesigningrequests/approval]\n  verbs: [update]\n- apiGroups: \
              [certificates.k8s.io]\n  resources: [signers]\n  verbs: [approve]\n\
              # passes: approval limited to kubelet serving certificates\n\
              - apiGroups: [certificates.k8s.io]\n  resources: [signers]\n  resourceNames: \
              [kubernetes.io/kubelet-serving]\n  verbs: [approve]",
    fix: "Restrict `approve` on `signers` with `resourceNames` to the signers the approver \
          handles (typically `kubernetes.io/kubelet-serving`), and keep client-certificate \
          approval with cluster administrators.",
    help: "restrict signer approval with resourceNames to the signers needed",
};

const CSR: &str = "certificates.k8s.io";

const APPROVAL: Probe = Probe::new("update", CSR, "certificatesigningrequests")
    .sub("approval")
    .cluster();

/// Signers whose certificates authenticate to the API server.
const SIGNERS: &[&str] = &[
    "kubernetes.io/kube-apiserver-client",
    "kubernetes.io/kube-apiserver-client-kubelet",
    "kubernetes.io/legacy-unknown",
];

/// The approval check asks for the signer's name and for its domain wildcard (`domain/*`);
/// either allows it.
fn approves_signer(rbac: &Rbac<'_>, binding: usize, signer: &str) -> Option<RuleRef> {
    let domain = format!("{}/*", signer.split_once('/').map_or(signer, |(d, _)| d));
    let mut found = None;
    for name in [signer, domain.as_str()] {
        let request = Request {
            verb: "approve",
            target: Target::Resource {
                group: CSR,
                resource: "signers",
                subresource: "",
                name,
                namespace: "",
            },
        };
        found = found.or_else(|| rbac.binding_allows(binding, &request));
    }
    found
}

pub struct CsrApproval;

pub static RULE: CsrApproval = CsrApproval;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

/// A subject as an identity: kind, name, namespace (service accounts).
type Identity<'a> = (SubjectKind, &'a str, &'a str);

impl InventoryRule for CsrApproval {
    fn keep(&self, object: &Object) -> Option<Keep> {
        keep_rbac(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("rbac")
    }

    fn reads(&self) -> &'static str {
        crate::rbac::READS
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = kept.model::<RbacModel>(cx);
        let rbac = model.borrow_dependent();
        // Per identity: (binding, subject index, rule) granting approval, and one granting a
        // dangerous signer.
        let mut approval: BTreeMap<Identity<'_>, Vec<(usize, usize, RuleRef)>> = BTreeMap::new();
        let mut signer: BTreeMap<Identity<'_>, (usize, RuleRef, &'static str)> = BTreeMap::new();
        for b in 0..rbac.bindings.len() {
            let binding = &rbac.bindings[b];
            if !binding.cluster || is_bootstrap(binding.object) || grants_full_control(rbac, b) {
                continue;
            }
            let approves = rbac.binding_allows(b, &APPROVAL.request());
            let signs = SIGNERS
                .iter()
                .find_map(|name| Some((approves_signer(rbac, b, name)?, *name)));
            if approves.is_none() && signs.is_none() {
                continue;
            }
            for s in &binding.subjects {
                if !is_real(s, binding) || is_control_plane(s) || is_everyone(s) {
                    continue;
                }
                let ns = s.service_account_namespace(binding.namespace).unwrap_or("");
                let id = (s.kind, s.name, ns);
                if let Some(rule) = approves {
                    approval.entry(id).or_default().push((b, s.index, rule));
                }
                if let Some((rule, name)) = signs {
                    signer.entry(id).or_insert((b, rule, name));
                }
            }
        }
        for (id, grants) in &approval {
            let Some((sb, srule, signer_name)) = signer.get(id) else {
                continue;
            };
            for (b, index, rule) in grants {
                let binding = &rbac.bindings[*b];
                let subject = binding
                    .subjects
                    .iter()
                    .find(|s| s.index == *index)
                    .expect("indexed above");
                let message = format!(
                    "{} may approve CertificateSigningRequests for signer \"{signer_name}\" and \
                     so issue client certificates for any user: approval through {}; signer \
                     through {}",
                    subject.describe(binding.namespace),
                    rbac.describe_grant(*b, *rule),
                    rbac.describe_grant(*sb, *srule)
                );
                report_subject(&META, findings, rbac, *b, *index, message);
            }
        }
    }
}
