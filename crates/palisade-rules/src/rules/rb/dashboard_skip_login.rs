//! RB203 `dashboard-skip-login-enabled`: the Kubernetes Dashboard runs with `--enable-skip-login`,
//! the "SKIP" button of the guide's Dashboard item.

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Fix, FixOp, Object, ObjectRule, PodTemplate, RuleMeta, Severity, VersionRange,
};

use crate::dashboard::{go_bool, go_flag};
use crate::workload::describe;

static META: RuleMeta = RuleMeta {
    code: "RB203",
    name: "dashboard-skip-login-enabled",
    severity: Severity::Critical,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://github.com/kubernetes/dashboard/blob/master/docs/common/arguments.md",
        "https://github.com/kubernetes/dashboard/blob/master/docs/user/access-control/README.md",
    ],
    summary: "The Kubernetes Dashboard lets users skip the login page",
    what: "The command and arguments of every container are searched for the Dashboard's \
           `--enable-skip-login` flag (also inside a `sh -c` string). The flag counts when it is \
           given bare or with a true value (`=true`, `=1`, `=t`); the last occurrence wins, as \
           for any Go flag.",
    why: "With skip-login enabled the Dashboard's sign-in page has a SKIP button: whoever can \
          reach the Dashboard uses the Dashboard's own service account, no credentials needed. \
          The guide's Dashboard item (critical) is about exactly this: when that account is \
          bound to cluster-admin, clicking SKIP grants full control of the cluster — the way \
          Tesla's cluster was taken over to mine cryptocurrency.",
    example: "# fails\ncontainers:\n- name: kubernetes-dashboard\n  image: \
              kubernetesui/dashboard:v2.7.0\n  args:\n  - --auto-generate-certificates\n  \
              - --enable-skip-login\n\
              # passes\ncontainers:\n- name: kubernetes-dashboard\n  image: \
              kubernetesui/dashboard:v2.7.0\n  args:\n  - --auto-generate-certificates",
    fix: "Remove `--enable-skip-login` (its default is false) so every user signs in with their \
          own token and acts with their own RBAC rights. Keep the Dashboard's service account \
          minimal and never bind it to cluster-admin; do not expose the Dashboard outside the \
          cluster (use `kubectl proxy` or port-forward). The Dashboard project is archived; \
          Headlamp is a maintained alternative.",
    help: "remove `--enable-skip-login` so every Dashboard user must sign in",
};

pub struct DashboardSkipLogin;

pub static RULE: DashboardSkipLogin = DashboardSkipLogin;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

const FLAG: &str = "enable-skip-login";

/// The value the flag gets from one command-line word, if the word is that flag (see
/// [`crate::dashboard::go_flag`]).
fn flag_value(word: &str) -> Option<bool> {
    go_flag(word, FLAG).map(go_bool)
}

impl ObjectRule for DashboardSkipLogin {
    fn judges(&self) -> palisade_core::Judges {
        crate::dashboard::JUDGES
    }

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
            // (value, pointer of the item, whether the item is the flag alone)
            let mut last: Option<(bool, String, bool)> = None;
            for field in ["command", "args"] {
                let items = c.node.get(field).map(Node::items).unwrap_or(&[]);
                for (i, item) in items.iter().enumerate() {
                    let Some(text) = item.as_str() else { continue };
                    for word in text.split_whitespace() {
                        if let Some(v) = flag_value(word) {
                            let alone = text.trim() == word;
                            last = Some((v, format!("{}/{field}/{i}", c.pointer), alone));
                        }
                    }
                }
            }
            if let Some((true, pointer, alone)) = last {
                let f = out.report_container(
                    &c,
                    &pointer,
                    format!(
                        "{} runs the Kubernetes Dashboard with --enable-skip-login: anyone who \
                         reaches it can skip sign-in and act as its service account",
                        describe(&c)
                    ),
                );
                // Only an argument that is the flag alone is removed; inside a shell string
                // the edit is the user's. Safe: the Dashboard runs as before, and its users
                // sign in (the default) instead of skipping.
                if alone {
                    f.fix = Some(Box::new(Fix::safe(
                        "remove the --enable-skip-login argument",
                        vec![FixOp::Remove { pointer }],
                    )));
                }
            }
        }
    }
}
