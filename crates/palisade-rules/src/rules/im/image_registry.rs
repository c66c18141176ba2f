//! IM403 `image-registry-not-allowed`: an image comes from a registry the configured allow-list
//! does not name.

use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::workload::image::{ImageRef, RegistryPattern};
use crate::workload::{describe, image_of};

static META: RuleMeta = RuleMeta {
    code: "IM403",
    name: "image-registry-not-allowed",
    severity: Severity::High,
    guide: "Restrict \"docker image pull\"",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#imagepolicywebhook",
        "https://kubernetes.io/docs/concepts/containers/images/#image-names",
    ],
    summary: "An image comes from a registry that is not on the allow-list",
    what: "Runs only when an allow-list of registries is configured (`allowed_registries`). Every \
           container's image is normalised the way container runtimes read it — `nginx` is \
           `docker.io/library/nginx`, `bitnami/redis` is `docker.io/bitnami/redis`, \
           `index.docker.io` is `docker.io`, a first component with `.` or `:` or `localhost` is \
           a registry host (with its port) — and must match an entry. An entry is a registry \
           host (`registry.example.com` allows all of it; a port must match exactly) optionally \
           followed by a path prefix matched on whole segments (`ghcr.io/org` allows \
           `ghcr.io/org/app` but not `ghcr.io/organisation/app`); an entry without a host is a \
           Docker Hub path, so `docker.io/library` allows the official images. An image \
           reference that cannot be parsed cannot be shown to be allowed and is reported.",
    why: "The guide's \"Restrict docker image pull\" item (high) warns that images are an \
          uncontrolled environment: clusters became cryptocurrency miners by running images \
          that anyone could push. Limiting images to registries you control or trust — your own \
          registry with scanning and signing, a vetted mirror — is the control it asks for; \
          the ImagePolicyWebhook or a validating admission policy enforces it at admission, and \
          this rule finds violations before deployment.",
    example: "# with allowed_registries: [registry.example.com, docker.io/library]\n\
              # fails\ncontainers:\n- name: miner\n  image: randomuser/xmrig:latest\n\
              # passes\ncontainers:\n- name: web\n  image: registry.example.com/shop/web:1.4.2\n\
              - name: cache\n  image: redis:7.4",
    fix: "Pull the image through a registry on the allow-list (mirror or re-publish it after \
          review), or, if the source is trustworthy, add it to `allowed_registries` as narrowly \
          as possible (`ghcr.io/org` rather than `ghcr.io`). Enforce the same list at admission \
          with Palisade's webhook, a ValidatingAdmissionPolicy, or the ImagePolicyWebhook.",
    help: "use an image from an allowed registry, or add its registry to `allowed_registries`",
};

pub struct ImageRegistry;

pub static RULE: ImageRegistry = ImageRegistry;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for ImageRegistry {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "pods or workloads with a registry allow-list configured (`allowed-registries`)",
            test: |cx, _, pod| pod.is_some() && !cx.settings.allowed_registries.is_empty(),
        }
    }

    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if cx.settings.allowed_registries.is_empty() {
            return;
        }
        let Some(pod) = object.pod_template() else {
            return;
        };
        // Entries that do not parse match nothing; configuration loading reports them (see
        // `RegistryPattern::parse`), and a typo must not silently allow everything.
        let allowed: Vec<RegistryPattern> = cx
            .settings
            .allowed_registries
            .iter()
            .filter_map(|e| RegistryPattern::parse(e).ok())
            .collect();
        for c in pod.containers() {
            let Some(image) = image_of(&c) else { continue };
            let pointer = format!("{}/image", c.pointer);
            let message = match ImageRef::parse(image) {
                Ok(r) if allowed.iter().any(|p| p.matches(&r)) => continue,
                Ok(r) => format!(
                    "{} image \"{image}\" comes from {}, which is not an allowed registry",
                    describe(&c),
                    r.repository()
                ),
                Err(e) => format!(
                    "{} image \"{image}\" is not a valid image reference ({e}), so it cannot \
                     be checked against the allowed registries",
                    describe(&c)
                ),
            };
            out.report_container(&c, &pointer, message);
        }
    }
}
