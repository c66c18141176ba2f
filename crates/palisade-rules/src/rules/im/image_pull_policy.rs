//! IM401 `image-pull-policy-not-always`: a container may start from an image already on the node
//! without the registry being asked, which is what the guide's AlwaysPullImages item prevents.

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Fix, FixSafety, FixValue, Object, ObjectRule, PodTemplate, RuleMeta,
    Severity, VersionRange,
};

use crate::workload::image::{default_pull_policy_of, ImageRef};
use crate::workload::{describe, image_of};

static META: RuleMeta = RuleMeta {
    code: "IM401",
    name: "image-pull-policy-not-always",
    severity: Severity::Medium,
    guide: "AlwaysPullImages",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 1.2.11: Ensure that the admission control plugin \
         AlwaysPullImages is set",
        "https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy",
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwayspullimages",
    ],
    summary: "A container's image pull policy is not Always",
    what: "Every container, init container and ephemeral container is checked for \
           `imagePullPolicy: Always`. When the field is absent the rule applies the API \
           server's default: `Always` for an image whose tag is `latest` or that has neither tag \
           nor digest, `IfNotPresent` for everything else (a pinned tag, a digest) — only the \
           latter is reported, and the message says the value was defaulted. A value that is \
           not one of `Always`, `IfNotPresent`, `Never` is reported as invalid.",
    why: "With `IfNotPresent` or `Never` the kubelet starts a container from any copy of the \
          image already on the node, without asking the registry. An image that another pod \
          pulled with its own registry credentials can then be run by a pod that has no right \
          to it, and read for the secrets and code inside. The guide's remedy is the \
          AlwaysPullImages admission plugin, which forces `Always` on every pod; a manifest \
          that says `Always` gets the same behaviour for its own pods, and shows that it does \
          not rely on images someone else pulled. (The kubelet feature KubeletEnsureSecretPulledImages, \
          alpha in Kubernetes 1.33 and beta in 1.35, re-checks credentials for cached images \
          even under `IfNotPresent`; on nodes where it is enabled this rule matters less.)",
    example: "# fails (a pinned tag defaults to IfNotPresent)\ncontainers:\n- name: web\n  image: \
              registry.example.com/web:1.4.2\n\
              # passes\ncontainers:\n- name: web\n  image: registry.example.com/web:1.4.2\n  \
              imagePullPolicy: Always",
    fix: "Enable the AlwaysPullImages admission plugin on the API server \
          (`--enable-admission-plugins=…,AlwaysPullImages`), which covers every pod including \
          ones you do not control, or set `imagePullPolicy: Always` on each container. `Always` \
          still uses the node's cached layers, so the cost is one registry round trip per \
          container start; pin images by digest (see IM402) so that `Always` cannot bring in \
          different content.",
    help: "set `imagePullPolicy: Always` (or enable the AlwaysPullImages admission plugin)",
};

pub struct ImagePullPolicy;

pub static RULE: ImagePullPolicy = ImagePullPolicy;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for ImagePullPolicy {
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
            let Some(image) = image_of(&c).filter(|i| !i.is_empty()) else {
                continue;
            };
            let written = c.node.get("imagePullPolicy").and_then(Node::as_str);
            // Parsed once, and only when the API server defaults the policy from it.
            let parsed = written.is_none().then(|| ImageRef::parse(image));
            match (written, &parsed) {
                (Some("Always"), _) => continue,
                (None, Some(p)) if default_pull_policy_of(p) == "Always" => continue,
                _ => {}
            }
            let pointer = format!("{}/imagePullPolicy", c.pointer);
            let who = describe(&c);
            let message = match written {
                Some("Always") => continue,
                Some("IfNotPresent") => format!(
                    "{who} has imagePullPolicy: IfNotPresent, so a copy of image \"{image}\" \
                     already on the node is started without asking the registry"
                ),
                Some("Never") => format!(
                    "{who} has imagePullPolicy: Never: image \"{image}\" is only ever taken from \
                     the node and never checked with the registry"
                ),
                Some(other) => format!(
                    "{who} has imagePullPolicy \"{other}\", which is not Always, IfNotPresent \
                     or Never: the API server rejects it"
                ),
                None => {
                    let why = match parsed {
                        Some(Ok(r)) if r.tag.is_none() => "it is pinned by digest".to_owned(),
                        Some(Ok(r)) => format!(
                            "its tag \"{}\" is not latest",
                            r.tag.as_deref().unwrap_or_default()
                        ),
                        _ => "the reference cannot be parsed".to_owned(),
                    };
                    format!(
                        "{who} sets no imagePullPolicy, and Kubernetes defaults it to \
                         IfNotPresent for image \"{image}\" because {why}: a copy already on \
                         the node is started without asking the registry"
                    )
                }
            };
            // `Never` (and an invalid value) is a deliberate choice for an image that may exist
            // only on the node: forcing a pull can stop the pod from starting.
            let safety = match written {
                None | Some("IfNotPresent") => FixSafety::Safe,
                Some(_) => FixSafety::Unsafe,
            };
            out.report_container(&c, &pointer, message).fix = Some(Box::new(Fix::set(
                safety,
                "set imagePullPolicy: Always",
                pointer.clone(),
                FixValue::str("Always"),
            )));
        }
    }
}

/// `palisade vap export`: the same verdict in CEL. In a cluster the API server has defaulted
/// `imagePullPolicy` before any policy runs; the policy also reads a manifest without it (as the
/// offline evaluator sees one), defaulting it the same way.
pub static EXPORT: crate::vap_export::Exportable = crate::vap_export::Exportable {
    meta: &META,
    cel: cel_source,
};

fn cel_source(_: palisade_core::KubeVersion) -> String {
    use crate::vap_export::cel::{container_message, per_container, quoted};
    use crate::workload::image::cel::latest;
    let written = "has(c.imagePullPolicy)";
    per_container(
        &format!(
            "has(c.image) && c.image != '' && ({written} ? c.imagePullPolicy != 'Always' : !{})",
            latest("c.image")
        ),
        &container_message(&format!(
            "({written} ? ' has imagePullPolicy ' + {} : ' sets no imagePullPolicy, which \
             defaults to IfNotPresent') + ' for image ' + {} + ': a copy already on the node is \
             started without asking the registry'",
            quoted("c.imagePullPolicy"),
            quoted("c.image")
        )),
    )
}
