//! RB251 `dashboard-settings-authorizer-disabled`: the Kubernetes Dashboard runs with
//! `--disable-settings-authorizer`, so its settings page needs no signed-in, authorized user.

use palisade_core::{
    Context, Emitter, Object, ObjectRule, PodTemplate, RuleMeta, Severity, VersionRange,
};

use crate::dashboard::{dashboard_containers, go_bool, last_flag};

static META: RuleMeta = RuleMeta {
    code: "RB251",
    name: "dashboard-settings-authorizer-disabled",
    severity: Severity::Medium,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &["https://github.com/kubernetes/dashboard/blob/master/docs/common/arguments.md"],
    summary: "The Kubernetes Dashboard lets anyone change its settings",
    what: "The command and arguments of the Dashboard's containers (see RB253 for how the \
           Dashboard is recognised) are searched for `--disable-settings-authorizer`, bare or \
           with a true value; the last occurrence wins.",
    why: "With the settings authorizer disabled, the Dashboard's settings page (cluster name, \
          items per page, auto-refresh, default namespace, resources shown to everyone) can be \
          changed without signing in. It grants no cluster rights by itself — hence medium, \
          below the guide's critical Dashboard item — but it is one of the \"convenience\" \
          flags that usually travel with `--enable-skip-login` and an exposed Dashboard, and it \
          lets an anonymous visitor change what every user sees.",
    example: "# fails\nargs:\n- --auto-generate-certificates\n- --disable-settings-authorizer\n\
              # passes\nargs:\n- --auto-generate-certificates",
    fix: "Remove `--disable-settings-authorizer` (its default is false). The Dashboard project \
          is archived; Headlamp is a maintained alternative.",
    help: "remove `--disable-settings-authorizer` from the Dashboard's arguments",
};

pub struct SettingsAuthorizer;

pub static RULE: SettingsAuthorizer = SettingsAuthorizer;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for SettingsAuthorizer {
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
            if let Some((value, pointer)) = last_flag(&c, "disable-settings-authorizer") {
                if go_bool(value) {
                    out.report_container(
                        &c,
                        &pointer,
                        format!(
                            "container {:?} runs the Kubernetes Dashboard with \
                             --disable-settings-authorizer: its settings can be changed \
                             without signing in",
                            c.name
                        ),
                    );
                }
            }
        }
    }
}
