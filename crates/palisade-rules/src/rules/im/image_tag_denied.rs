//! IM405 `image-tag-denied`: an image uses a tag the image policy denies (`latest` by default in
//! the webhook's `image-policy`). Unlike IM402, which reports every mutable reference in a scan,
//! this is the admission policy: configured tags, denied even when a digest is also given (a
//! reference that says `:dev@sha256:…` still says it is a development build).

use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::workload::image::ImageRef;
use crate::workload::{describe, image_of};

static META: RuleMeta = RuleMeta {
    code: "IM405",
    name: "image-tag-denied",
    severity: Severity::High,
    guide: "Restrict \"docker image pull\"",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/containers/images/#image-names",
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#imagepolicywebhook",
    ],
    summary: "An image uses a tag the image policy denies",
    what: "Runs only when the image policy lists denied tags (`denied-tags` in the webhook's \
           `image-policy`; `[latest]` unless configured). The tag of every container, init \
           container and ephemeral container is compared with the list; a reference with \
           neither tag nor digest means `latest`. Tags are compared exactly (tags are case \
           sensitive).",
    why: "Some tags say by their name that nobody reviewed what they point to: `latest` is \
          whatever was pushed last, `dev` or `nightly` are builds of unreviewed code. Denying \
          them at admission keeps such images out of the cluster whatever the manifest's author \
          intended, which is what the guide's restriction of image pulls is for.",
    example: "# fails (with denied-tags: [latest])\ncontainers:\n- name: web\n  image: nginx\n\
              # passes\ncontainers:\n- name: web\n  image: nginx:1.27.3",
    fix: "Reference a release tag (and preferably its digest) instead of the denied tag.",
    help: "use a release tag instead (`NAME:1.2.3`, preferably with `@sha256:…`)",
};

pub struct ImageTagDenied;

pub static RULE: ImageTagDenied = ImageTagDenied;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for ImageTagDenied {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "pods or workloads with denied tags configured (`denied-tags`)",
            test: |cx, _, pod| pod.is_some() && !cx.settings.denied_image_tags.is_empty(),
        }
    }

    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        let denied = &cx.settings.denied_image_tags;
        if denied.is_empty() {
            return;
        }
        let Some(pod) = object.pod_template() else {
            return;
        };
        for c in pod.containers() {
            let Some(image) = image_of(&c) else { continue };
            let Ok(r) = ImageRef::parse(image) else {
                continue;
            };
            let Some(tag) = r.effective_tag().filter(|t| denied.iter().any(|d| d == t)) else {
                continue;
            };
            let implied = if r.tag.is_none() {
                " (no tag means latest)"
            } else {
                ""
            };
            out.report_container(
                &c,
                &format!("{}/image", c.pointer),
                format!(
                    "{} image \"{image}\" uses tag \"{tag}\"{implied}, which the image policy \
                     denies",
                    describe(&c)
                ),
            );
        }
    }
}
