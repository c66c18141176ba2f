//! CP507: pod security is enforced at admission: PodSecurityPolicy before 1.23, Pod Security
//! Admission from then on.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{NodeRule, Outcomes};
use crate::structured::{admission_enabled, pod_security_enforce};

static META: RuleMeta = RuleMeta {
    code: "CP507",
    name: "pod-security-admission",
    severity: Severity::Critical,
    guide: "PodSecurityPolicy",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
        "https://kubernetes.io/docs/concepts/security/pod-security-policy/",
    ],
    summary: "No pod security admission: neither PodSecurityPolicy nor Pod Security Admission",
    what: "Before 1.23: `PodSecurityPolicy` must be an enabled admission plugin. 1.23–1.24: \
           `PodSecurityPolicy` enabled, or the `PodSecurity` plugin (on by default) not disabled. \
           From 1.25 (PodSecurityPolicy removed): `PodSecurity` must not be in \
           `--disable-admission-plugins`. The admission config's cluster-wide `enforce` default is \
           shown when set; namespace labels are checked by the cluster audit.",
    why: "Without pod security admission anyone who can create a pod can create a privileged, \
          host-namespace pod: root on a node.",
    example: "# fails (1.25+)\n- --disable-admission-plugins=PodSecurity\n# passes\n\
              (no --disable-admission-plugins, or one without PodSecurity)",
    fix: "Remove `PodSecurity` from `--disable-admission-plugins` and label namespaces with \
          `pod-security.kubernetes.io/enforce: baseline` (or `restricted`), or set cluster-wide \
          defaults in the PodSecurity admission configuration.",
    help: "keep the PodSecurity admission plugin enabled and enforce baseline or restricted",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = inv.component(ComponentKind::ApiServer) else {
            return;
        };
        let v = c.version;
        let enabled = admission_enabled(c);
        let disabled = c.flag_or("disable-admission-plugins", None);
        let psp = enabled.as_ref().is_some_and(|e| e.has("PodSecurityPolicy"));
        let psa_off = disabled.as_ref().is_some_and(|d| d.has("PodSecurity"));
        let psa = v >= KubeVersion::v1(23) && !psa_off;
        let ok = if v < KubeVersion::v1(25) {
            psp || psa
        } else {
            psa
        };
        if ok {
            return;
        }
        let (location, msg) = if psa_off {
            (
                c.location_of(disabled.as_ref()),
                format!(
                    "kube-apiserver {v} disables the PodSecurity admission plugin ({})",
                    crate::rules::describe("--disable-admission-plugins", disabled.as_ref())
                ),
            )
        } else {
            (
                c.location_of(enabled.as_ref()),
                format!(
                    "kube-apiserver {v} enforces no pod security: PodSecurityPolicy is not enabled ({})",
                    crate::rules::describe("--enable-admission-plugins", enabled.as_ref())
                ),
            )
        };
        let msg = match pod_security_enforce(c) {
            Some((level, source)) => {
                format!("{msg}; PodSecurity default enforce={level} ({source})")
            }
            None => msg,
        };
        out.report(&META, Some(c.kind), location, msg);
    }
}
