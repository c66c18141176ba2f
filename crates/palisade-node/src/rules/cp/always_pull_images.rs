//! CP505: the AlwaysPullImages admission plugin.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};
use crate::structured::admission_enabled;

static META: RuleMeta = RuleMeta {
    code: "CP505",
    name: "always-pull-images-admission",
    severity: Severity::Medium,
    guide: "AlwaysPullImages",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.11 (Manual)",
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwayspullimages",
    ],
    summary: "The AlwaysPullImages admission plugin is not enabled",
    what: "Whether `AlwaysPullImages` is in `--enable-admission-plugins` (or the deprecated \
           `--admission-control`) of the API server. It is not enabled by default. CIS grades the \
           item Manual; the guide recommends it.",
    why: "Without it, a pod can use an image another pod pulled with credentials it does not \
          have: images cached on a node are shared by every pod scheduled there.",
    example: "# fails\n- --enable-admission-plugins=NodeRestriction\n# passes\n\
              - --enable-admission-plugins=NodeRestriction,AlwaysPullImages",
    fix: "Add `AlwaysPullImages` to `--enable-admission-plugins` (or enforce \
          `imagePullPolicy: Always` with a mutating policy). Pulls then need registry access \
          at every pod start.",
    help: "add AlwaysPullImages to --enable-admission-plugins",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["1.2.11"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, &["1.2.11"], out) else {
            return;
        };
        let e = admission_enabled(c);
        let ok = e.as_ref().is_some_and(|e| e.has("AlwaysPullImages"));
        out.setting(
            &META,
            Some("1.2.11"),
            c,
            "--enable-admission-plugins",
            e.as_ref(),
            ok,
            |e| {
                format!(
                    "kube-apiserver does not enable AlwaysPullImages ({})",
                    crate::rules::describe("--enable-admission-plugins", e)
                )
            },
        );
    }
}
