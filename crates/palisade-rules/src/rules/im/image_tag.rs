//! IM402 `image-tag-mutable`: an image named without a tag or by `:latest`, and without a digest,
//! so what runs is whatever the registry serves under that name at pull time.

use palisade_core::{
    Context, Emitter, Object, ObjectRule, PodTemplate, RuleMeta, Severity, VersionRange,
};

use crate::workload::image::ImageRef;
use crate::workload::{describe, image_of};

static META: RuleMeta = RuleMeta {
    code: "IM402",
    name: "image-tag-mutable",
    severity: Severity::Medium,
    guide: "Restrict \"docker image pull\"",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/containers/images/#image-names",
        "https://kubernetes.io/docs/concepts/configuration/overview/#container-images",
    ],
    summary: "An image is referenced by `:latest` or no tag, without a digest",
    what: "The image reference of every container, init container and ephemeral container is \
           parsed (registry hosts with ports such as `localhost:5000/app` are not mistaken for \
           tags). It is reported when it has no digest and its tag is `latest` or missing — a \
           missing tag means `latest`. A reference with a digest (`app@sha256:…`, also \
           `app:1.2@sha256:…`) is immutable and passes. References that cannot be parsed (for \
           example unrendered `${IMAGE}` placeholders) are left alone.",
    why: "`latest` is whatever was pushed last: a compromised CI job, a typo-squatted or \
          hijacked upstream image, or simply an incompatible release reaches the cluster the \
          next time any node pulls, with no change to the manifest and no review. Different \
          nodes can run different content under the same name, and a rollback cannot go back to \
          what ran before. The guide's \"Restrict docker image pull\" item is about controlling \
          what images enter the cluster; a reference that does not say which image it means \
          defeats that control.",
    example: "# fails\ncontainers:\n- name: web\n  image: nginx\n- name: sidecar\n  image: \
              registry.example.com/proxy:latest\n\
              # passes\ncontainers:\n- name: web\n  image: nginx:1.27.3@sha256:<digest>\n- name: \
              sidecar\n  image: registry.example.com/proxy:2.4.1",
    fix: "Reference a specific release tag (`nginx:1.27.3`), and preferably its digest as well \
          (`nginx:1.27.3@sha256:…`, see `crane digest` or `docker buildx imagetools inspect`): \
          only a digest is immutable, since any tag can be pushed again. Let a dependency bot \
          propose updates.",
    help: "pin the image to a release tag, preferably with its `@sha256:` digest",
};

pub struct ImageTag;

pub static RULE: ImageTag = ImageTag;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for ImageTag {
    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        self.check_pod(cx, object, object.pod_template().as_ref(), out);
    }

    fn check_pod(
        &self,
        _cx: &Context<'_>,
        _object: &Object,
        pod: Option<&PodTemplate<'_>>,
        out: &mut Emitter<'_>,
    ) {
        let Some(pod) = pod.cloned() else {
            return;
        };
        for c in pod.containers() {
            let Some(image) = image_of(&c) else { continue };
            let Ok(r) = ImageRef::parse(image) else {
                continue;
            };
            if r.digest.is_some() {
                continue;
            }
            let what = match r.tag.as_deref() {
                None => "has no tag, so the runtime pulls :latest",
                Some("latest") => "uses the mutable tag :latest",
                Some(_) => continue,
            };
            out.report_container(
                &c,
                &format!("{}/image", c.pointer),
                format!(
                    "{} image \"{image}\" {what} and no digest: the content can change at any \
                     pull",
                    describe(&c)
                ),
            );
        }
    }
}

/// `palisade vap export`: the same verdict in CEL, per container (the reference split by
/// [`crate::workload::image::cel`]).
pub static EXPORT: crate::vap_export::Exportable = crate::vap_export::Exportable {
    meta: &META,
    cel: cel_source,
};

fn cel_source(_: palisade_core::KubeVersion) -> String {
    use crate::vap_export::cel::{container_message, per_container, quoted};
    use crate::workload::image::cel::{has_digest, has_tag, tag};
    let untagged = format!("!{}", has_tag("c.image"));
    per_container(
        &format!(
            "has(c.image) && c.image != '' && !{} && ({untagged} || {} == 'latest')",
            has_digest("c.image"),
            tag("c.image")
        ),
        &container_message(&format!(
            "' image ' + {} + ({untagged} ? ' has no tag, so the runtime pulls :latest' : ' uses \
             the mutable tag :latest') + ' and no digest: the content can change at any pull'",
            quoted("c.image")
        )),
    )
}
