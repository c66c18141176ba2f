//! IM404/IM405 (the image policy's digest and tag rules) and the fixes the admission webhook's
//! `/mutate` applies: IM401, PS121, PS124, RB201.

mod workload_support;

use palisade_core::{FixOp, FixSafety, FixValue, Settings};
use workload_support::*;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn image_pod(image: &str) -> String {
    pod(&format!(
        "  initContainers:\n  - name: init\n    image: \"{image}\"\n  containers:\n  - name: c\n    image: \"{image}\"\n"
    ))
}

#[test]
fn im404_requires_digests_only_when_configured() {
    let on = Settings {
        require_image_digest: true,
        ..Settings::default()
    };
    assert!(check_with("IM404", &Settings::default(), &image_pod("nginx:1.27")).is_empty());
    let f = check_with("IM404", &on, &image_pod("nginx:1.27"));
    assert_pointers(
        "tag only",
        &f,
        &["/spec/initContainers/0/image", "/spec/containers/0/image"],
    );
    assert!(f[1]
        .message
        .contains("container \"c\" image \"nginx:1.27\" is not pinned by digest"));
    assert!(check_with("IM404", &on, &image_pod(&format!("nginx:1.27@{DIGEST}"))).is_empty());
    let f = check_with("IM404", &on, &image_pod("${IMAGE}"));
    assert!(
        f[0].message.contains("not a valid image reference"),
        "{}",
        f[0].message
    );
}

#[test]
fn im405_denied_tags() {
    let deny = Settings {
        denied_image_tags: vec!["latest".into(), "dev".into()],
        ..Settings::default()
    };
    assert!(check_with("IM405", &Settings::default(), &image_pod("nginx")).is_empty());
    let f = check_with("IM405", &deny, &image_pod("nginx"));
    assert_eq!(f.len(), 2);
    assert!(
        f[0].message
            .contains("uses tag \"latest\" (no tag means latest)"),
        "{}",
        f[0].message
    );
    let f = check_with("IM405", &deny, &image_pod(&format!("app:dev@{DIGEST}")));
    assert_eq!(f.len(), 2, "a digest does not make a denied tag acceptable");
    assert!(check_with("IM405", &deny, &image_pod(&format!("app@{DIGEST}"))).is_empty());
    assert!(
        check_with("IM405", &deny, &image_pod("app:Dev")).is_empty(),
        "tags are case sensitive"
    );
    assert!(check_with("IM405", &deny, &image_pod("localhost:5000/app")).len() == 2);
}

fn set_of(f: &palisade_core::Finding) -> (FixSafety, &str, &FixValue) {
    let fix = f.fix.as_deref().expect("a fix");
    assert_eq!(fix.ops.len(), 1);
    match &fix.ops[0] {
        FixOp::Set { pointer, value } => (fix.safety, pointer.as_str(), value),
        other => panic!("{other:?}"),
    }
}

#[test]
fn im401_fix_sets_always() {
    let f = check("IM401", &pod("  containers:\n  - name: a\n    image: web:1.2\n  - name: b\n    image: web:1.2\n    imagePullPolicy: Never\n"));
    assert_eq!(f.len(), 2);
    assert_eq!(
        set_of(&f[0]),
        (
            FixSafety::Safe,
            "/spec/containers/0/imagePullPolicy",
            &FixValue::str("Always")
        )
    );
    // `Never` may be an image that exists only on the node: forcing a pull is unsafe.
    assert_eq!(set_of(&f[1]).0, FixSafety::Unsafe);
}

#[test]
fn ps121_fix_and_where_it_is_not_offered() {
    let f = check("PS121", &pod("  containers:\n  - name: a\n    image: x\n  - name: b\n    image: x\n    securityContext:\n      allowPrivilegeEscalation: true\n  - name: c\n    image: x\n    securityContext:\n      privileged: true\n  - name: d\n    image: x\n    securityContext:\n      capabilities:\n        add: [SYS_ADMIN]\n"));
    assert_eq!(f.len(), 4);
    assert_eq!(
        set_of(&f[0]),
        (
            FixSafety::Safe,
            "/spec/containers/0/securityContext/allowPrivilegeEscalation",
            &FixValue::Bool(false)
        )
    );
    assert_eq!(set_of(&f[1]).0, FixSafety::Unsafe, "explicit true");
    // The API server rejects allowPrivilegeEscalation: false with privileged or CAP_SYS_ADMIN.
    assert!(f[2].fix.is_none());
    assert!(f[3].fix.is_none());
}

#[test]
fn ps124_fix_is_the_pod_level_profile() {
    let f = check("PS124", &pod("  containers:\n  - name: a\n    image: x\n  - name: b\n    image: x\n  - name: c\n    image: x\n    securityContext:\n      seccompProfile:\n        type: Unconfined\n"));
    // Container "c"'s explicit Unconfined is the baseline check's finding (PS124 overrides it).
    assert_eq!(f.len(), 2);
    let pod_fix = FixValue::Map(vec![("type".into(), FixValue::str("RuntimeDefault"))]);
    assert_eq!(
        set_of(&f[0]),
        (
            FixSafety::Safe,
            "/spec/securityContext/seccompProfile",
            &pod_fix
        )
    );
    assert_eq!(
        f[0].fix, f[1].fix,
        "one pod-level fix covers every container without a profile"
    );
}

#[test]
fn rb201_fix_is_unsafe() {
    let f = check("RB201", &pod("  containers:\n  - name: a\n    image: x\n"));
    assert_eq!(
        set_of(&f[0]),
        (
            FixSafety::Unsafe,
            "/spec/automountServiceAccountToken",
            &FixValue::Bool(false)
        )
    );
}
