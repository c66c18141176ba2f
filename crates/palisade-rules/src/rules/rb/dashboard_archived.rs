//! RB253 `dashboard-archived`: a note that the Kubernetes Dashboard project is archived upstream,
//! with Headlamp as the maintained alternative.

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Object, ObjectRule, PodTemplate, RuleMeta, Severity, VersionRange,
};

use crate::dashboard::dashboard_containers;

static META: RuleMeta = RuleMeta {
    code: "RB253",
    name: "dashboard-archived",
    severity: Severity::Low,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://github.com/kubernetes/dashboard",
        "https://headlamp.dev/",
        "https://github.com/kubernetes-sigs/headlamp",
    ],
    summary: "The Kubernetes Dashboard is archived upstream (informational)",
    what: "Reports each workload that runs the Kubernetes Dashboard, recognised by a container \
           image (`kubernetesui/dashboard*`, `…/kubernetes-dashboard*` such as \
           `k8s.gcr.io/kubernetes-dashboard-amd64`) or by the pod's labels \
           (`k8s-app: kubernetes-dashboard`, `app.kubernetes.io/name: kubernetes-dashboard`). \
           Informational: one low finding per workload, at the first Dashboard container's \
           image.",
    why: "The kubernetes/dashboard repository is archived: no new releases, no security fixes. \
          A web UI holding users' cluster tokens, exposed to browsers, is exactly the kind of \
          component that needs them. The guide's Dashboard item remains valid for existing \
          installations (see RB203, RB250–RB252, NP340–NP341), but new ones should use a \
          maintained UI such as Headlamp (a Kubernetes SIG UI project), which also signs users \
          in with their own credentials.",
    example: "# fails\ncontainers:\n- name: kubernetes-dashboard\n  image: \
              kubernetesui/dashboard:v2.7.0\n\
              # passes\ncontainers:\n- name: headlamp\n  image: \
              ghcr.io/headlamp-k8s/headlamp:v0.25.0",
    fix: "Plan a migration to Headlamp (or another maintained UI, or none: `kubectl` and \
          read-only tooling). Until then keep the Dashboard unexposed, with sign-in required \
          and a minimal service account.",
    help: "the Dashboard is archived upstream: plan a move to Headlamp",
};

pub struct Archived;

pub static RULE: Archived = Archived;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for Archived {
    fn judges(&self) -> palisade_core::Judges {
        crate::dashboard::JUDGES
    }

    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        self.check_pod(cx, object, object.pod_template().as_ref(), out);
    }

    fn check_pod(
        &self,
        _cx: &Context<'_>,
        object: &Object,
        pod: Option<&PodTemplate<'_>>,
        out: &mut Emitter<'_>,
    ) {
        let Some(pod) = pod.cloned() else {
            return;
        };
        let Some(c) = dashboard_containers(object, &pod).into_iter().next() else {
            return;
        };
        let image = c.node.get("image").and_then(Node::as_str).unwrap_or("");
        let kind = object.kind();
        let name = object.name().unwrap_or("");
        out.report_container(
            &c,
            &format!("{}/image", c.pointer),
            format!(
                "{kind} {name:?} runs the Kubernetes Dashboard ({image}), which is archived \
                 upstream and gets no more fixes: consider Headlamp"
            ),
        );
    }
}
