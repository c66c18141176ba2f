//! IM404 `image-digest-required`: an image is not pinned by digest where the policy requires it.
//! Configured (`webhook.image-policy.require-digest`); the admission webhook's `/validate` and
//! `/imagepolicy` apply it, so clusters without the ImagePolicyWebhook plugin get it too.

use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::workload::image::ImageRef;
use crate::workload::{describe, image_of};

static META: RuleMeta = RuleMeta {
    code: "IM404",
    name: "image-digest-required",
    severity: Severity::High,
    guide: "Restrict \"docker image pull\"",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/containers/images/#image-names",
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#imagepolicywebhook",
    ],
    summary: "An image is not pinned by digest where the image policy requires digests",
    what: "Runs only when the image policy requires digests (`require-digest: true` in the \
           webhook's `image-policy`, for all namespaces or some). Every container, init \
           container and ephemeral container must reference its image with a digest \
           (`@sha256:…`); a tag alone, or a reference that cannot be parsed, is reported.",
    why: "A tag is a pointer the registry owner (or anyone who steals a push credential) can move: \
          the same manifest can run different code tomorrow, and an allow-list of registries \
          cannot tell. A digest names the content itself, so what was reviewed and scanned is \
          what runs. The guide restricts which images may be pulled; requiring digests is what \
          makes that restriction about images rather than names.",
    example: "# fails (with require-digest: true)\ncontainers:\n- name: web\n  image: \
              registry.example.com/web:1.4.2\n\
              # passes\ncontainers:\n- name: web\n  image: \
              registry.example.com/web:1.4.2@sha256:<digest>",
    fix: "Resolve the tag to its digest at build or release time (`crane digest IMAGE`, \
          `docker buildx imagetools inspect IMAGE`) and write `image: NAME:TAG@sha256:DIGEST`; \
          let a dependency bot propose updates.",
    help: "reference the image by digest (`NAME:TAG@sha256:…`)",
};

pub struct ImageDigest;

pub static RULE: ImageDigest = ImageDigest;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for ImageDigest {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "pods or workloads with digests required (`require-digest`)",
            test: |cx, _, pod| pod.is_some() && cx.settings.require_image_digest,
        }
    }

    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !cx.settings.require_image_digest {
            return;
        }
        let Some(pod) = object.pod_template() else {
            return;
        };
        for c in pod.containers() {
            let Some(image) = image_of(&c) else { continue };
            let message = match ImageRef::parse(image) {
                Ok(r) if r.digest.is_some() => continue,
                Ok(_) => format!(
                    "{} image \"{image}\" is not pinned by digest, and the image policy requires \
                     digests",
                    describe(&c)
                ),
                Err(e) => format!(
                    "{} image \"{image}\" is not a valid image reference ({e}), so it has no \
                     digest, which the image policy requires",
                    describe(&c)
                ),
            };
            out.report_container(&c, &format!("{}/image", c.pointer), message);
        }
    }
}
