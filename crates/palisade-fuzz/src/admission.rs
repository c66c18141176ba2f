//! `admission_review`: the webhook's request decoding (`review.rs`) and decisions
//! (`admission.rs`: `/validate`, `/mutate`, `/imagepolicy`) on arbitrary request bodies, without
//! I/O, under two policies: the defaults, and one that turns every switch on.

use std::path::Path;
use std::sync::OnceLock;

use base64::Engine as _;
use palisade_webhook::review::{self, AdmissionResponse, AdmissionReviewResponse};
use palisade_webhook::Policy;
use serde_json::Value;

/// A `palisade.yaml` that enables what the defaults leave off: per-namespace modes, annotation
/// exemptions, every mutation, the image policy with a scoped namespace, break-glass.
const STRICT: &str = r#"
allowed-registries: [registry.example.com, ghcr.io/example]
exemptions:
  - codes: [PS104]
    kind: DaemonSet
    namespace: monitoring
    reason: fuzzing an exemption
webhook:
  fail-on: medium
  mode: enforce
  namespaces:
    - names: [legacy]
      mode: warn
    - names: [quiet]
      mode: audit
  annotation-exemptions: true
  exempt:
    namespaces: [kube-system]
    usernames: ["system:serviceaccount:kube-system:replicaset-controller"]
    runtime-class-names: [kata]
  mutate:
    image-pull-policy-always: true
    allow-privilege-escalation-false: true
    seccomp-runtime-default: true
    automount-service-account-token-false: true
  image-policy:
    require-digest: false
    denied-tags: [latest]
    break-glass: true
    namespaces:
      - names: [prod]
        require-digest: true
        allowed-registries: [registry.example.com]
"#;

/// Longest `status.message` and warning the webhook promises (`admission.rs`).
const MAX_MESSAGE: usize = 4096;
const MAX_WARNINGS: usize = 20;
const MAX_WARNING_LEN: usize = 512;

fn policies() -> &'static [Policy; 2] {
    static POLICIES: OnceLock<[Policy; 2]> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let strict = palisade_core::config::parse(Path::new("fuzz-palisade.yaml"), STRICT)
            .expect("the strict fuzzing config is valid");
        [
            Policy::new(&Default::default()).expect("the default policy compiles"),
            Policy::new(&strict).expect("the strict policy compiles"),
        ]
    })
}

/// Decodes the body as an AdmissionReview and as an ImageReview, and decides each that decodes
/// under both policies. Checks: errors say something; every response serialises, answers the
/// request's uid, denies with a 4xx status and a message within bounds, keeps warnings within
/// bounds; a `/mutate` patch is base64 of a JSONPatch that applies to the request's object and
/// only adds to it; an ImageReview is denied exactly when some rule denied it, with a reason.
pub fn admission_review(body: &[u8]) {
    for policy in policies() {
        match review::parse_admission(body) {
            Ok((uid, req)) => check_response(&policy.validate(&uid, req).response, &uid),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        if let Ok((uid, req)) = review::parse_admission(body) {
            let verdict = policy.mutate(&uid, req);
            check_response(&verdict.response, &uid);
            check_patch(body, &verdict.response);
        }
        match review::parse_image_review(body) {
            Ok(spec) => {
                let (status, denied_by) = policy.image_review(&spec);
                assert_eq!(status.allowed, denied_by.is_empty(), "{status:?}");
                if !status.allowed {
                    assert!(!status.reason.is_empty());
                    assert!(
                        status.reason.len() <= MAX_MESSAGE,
                        "{}",
                        status.reason.len()
                    );
                }
                serde_json::to_vec(&status).expect("an ImageReview status serialises");
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

fn check_response(r: &AdmissionResponse, uid: &str) {
    assert_eq!(r.uid, uid);
    if r.allowed {
        assert!(r.status.is_none(), "{r:?}");
    } else {
        let status = r.status.as_ref().expect("a denial has a status");
        assert!((400..500).contains(&status.code), "{r:?}");
        assert!(!status.message.is_empty() && status.message.len() <= MAX_MESSAGE);
    }
    assert!(r.warnings.len() <= MAX_WARNINGS + 1, "{}", r.warnings.len());
    for w in &r.warnings {
        assert!(w.len() <= MAX_WARNING_LEN, "{w}");
    }
    serde_json::to_vec(&AdmissionReviewResponse::new(r.clone())).expect("a response serialises");
}

fn check_patch(body: &[u8], r: &AdmissionResponse) {
    let Some(patch) = &r.patch else {
        assert!(r.patch_type.is_none());
        return;
    };
    assert_eq!(r.patch_type, Some("JSONPatch"));
    assert!(r.allowed, "a patch comes with an allowed response");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(patch)
        .expect("the patch is base64");
    let patch: json_patch::Patch = serde_json::from_slice(&bytes).expect("the patch is JSONPatch");
    assert!(!patch.0.is_empty(), "an empty patch is sent as none");
    // Read as the webhook reads it: fields it does not model are skipped unchecked (so an invalid
    // escape there is no error), only `request.object` is a value.
    #[derive(serde::Deserialize)]
    struct Review {
        request: Request,
    }
    #[derive(serde::Deserialize)]
    struct Request {
        object: Value,
    }
    let review: Review = serde_json::from_slice(body).expect("the body decoded before");
    let original = review.request.object;
    let mut patched = original.clone();
    if let Err(e) = json_patch::patch(&mut patched, &patch) {
        panic!(
            "the webhook's patch does not apply to the request's object: {e}\npatch: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    assert!(
        contains(&patched, &original),
        "the patch changed what the user wrote\npatch: {}",
        String::from_utf8_lossy(&bytes)
    );
}

/// `true` when `outer` holds everything `inner` does: the same scalars, every key, and every
/// item at its index (a patch may add keys and append items, nothing else). A `null` is an absent
/// field to the API server, which a patch may set.
fn contains(outer: &Value, inner: &Value) -> bool {
    match (outer, inner) {
        (_, Value::Null) => true,
        (Value::Object(o), Value::Object(i)) => i
            .iter()
            .all(|(k, v)| o.get(k).is_some_and(|ov| contains(ov, v))),
        (Value::Array(o), Value::Array(i)) => {
            o.len() >= i.len() && o.iter().zip(i).all(|(a, b)| contains(a, b))
        }
        (o, i) => o == i,
    }
}
