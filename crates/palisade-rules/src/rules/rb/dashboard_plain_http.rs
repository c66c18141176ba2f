//! RB252 `dashboard-plain-http-login`: the Kubernetes Dashboard accepts sign-in over plain HTTP
//! (`--enable-insecure-login`) or serves plain HTTP beyond the pod's loopback
//! (`--insecure-bind-address`).

use palisade_core::{
    Context, Emitter, Object, ObjectRule, PodTemplate, RuleMeta, Severity, VersionRange,
};

use crate::dashboard::{dashboard_containers, go_bool, last_flag};

static META: RuleMeta = RuleMeta {
    code: "RB252",
    name: "dashboard-plain-http-login",
    severity: Severity::High,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://github.com/kubernetes/dashboard/blob/master/docs/common/arguments.md",
        "https://github.com/kubernetes/dashboard/blob/master/docs/user/accessing-dashboard/README.md",
    ],
    summary: "The Kubernetes Dashboard takes sign-in tokens over plain HTTP",
    what: "The Dashboard's containers are checked for `--enable-insecure-login` (bare or true), \
           which shows the sign-in page over HTTP, and for `--insecure-bind-address` set to an \
           address other than loopback (`127.0.0.1`, `::1`, `localhost`), which serves the \
           plain-HTTP port to the pod network instead of only to `kubectl proxy`/port-forward \
           inside the pod. The last occurrence of a flag wins.",
    why: "A Dashboard user signs in with a bearer token or kubeconfig — often a powerful one. \
          Over plain HTTP that token crosses the network in clear text, where anyone on the \
          path (another pod, a compromised node, a misrouted load balancer) can take it and \
          act as that user. The guide's Dashboard item is critical; this is graded high because \
          the exposure needs a network position.",
    example: "# fails\nargs:\n- --enable-insecure-login\n- --insecure-bind-address=0.0.0.0\n\
              # passes\nargs:\n- --auto-generate-certificates",
    fix: "Serve the Dashboard over HTTPS only (`--auto-generate-certificates` or your own \
          certificate), remove `--enable-insecure-login`, and leave `--insecure-bind-address` \
          at its loopback default. Reach it with `kubectl proxy` or `kubectl port-forward`. The \
          Dashboard project is archived; Headlamp is a maintained alternative.",
    help: "serve the Dashboard over HTTPS only; drop --enable-insecure-login",
};

pub struct PlainHttp;

pub static RULE: PlainHttp = PlainHttp;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

fn is_loopback(address: &str) -> bool {
    address.starts_with("127.") || matches!(address, "::1" | "[::1]" | "localhost")
}

impl ObjectRule for PlainHttp {
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
        for c in dashboard_containers(object, &pod) {
            if let Some((value, pointer)) = last_flag(&c, "enable-insecure-login") {
                if go_bool(value) {
                    out.report_container(
                        &c,
                        &pointer,
                        format!(
                            "container {:?} runs the Kubernetes Dashboard with \
                             --enable-insecure-login: sign-in tokens may be sent over plain HTTP",
                            c.name
                        ),
                    );
                }
            }
            if let Some((address, pointer)) = last_flag(&c, "insecure-bind-address") {
                if !is_loopback(address) {
                    out.report_container(
                        &c,
                        &pointer,
                        format!(
                            "container {:?} serves the Kubernetes Dashboard over plain HTTP on \
                             {address:?} (--insecure-bind-address), not only on loopback",
                            c.name
                        ),
                    );
                }
            }
        }
    }
}
