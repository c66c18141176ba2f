//! PA904: an exemption annotation that does not say why.

use palisade_core::{RuleMeta, Severity, VersionRange};

pub static META: RuleMeta = RuleMeta {
    code: "PA904",
    name: "exemption-without-reason",
    severity: Severity::Low,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[],
    summary: "An exemption annotation gives no reason",
    what: "Every `palisade.dev/ignore` and `container.palisade.dev/<container>` annotation is checked \
           for a reason after the codes.",
    why: "An exemption is an accepted risk. Without a reason, the next reviewer cannot tell a \
          deliberate decision from a silenced warning, and the exemption outlives its cause.",
    example: "# fails\nannotations:\n  palisade.dev/ignore: \"PS104\"\n# passes\nannotations:\n  \
              palisade.dev/ignore: \"PS104 — the ingress controller binds host ports 80 and 443\"",
    fix: "Write the reason after the codes, separated by `—`, `:` or `#`.",
    help: "add the reason after the codes: `PS104 — why this is acceptable`",
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Input,
});
