//! The guide's sections, in the guide's order, with the severity the guide marks each with: what
//! the scorecard (`palisade_report::scorecard`) has one row for.
//!
//! Rules name their section in [`RuleMeta::guide`] with the guide's own title. The list here is
//! the guide's table of contents (`guide.md`), so that rows come in the order a reader of the
//! guide expects and each row knows how severe the guide says its item is: a section *fails* on
//! a finding at or above that severity. A rule naming two sections (`"PodSecurityPolicy /
//! DenyEscalatingExec"`) counts for both; a title not in this list gets a row of its own after
//! the guide's sections (the registry test keeps that from happening unnoticed).

use crate::finding::Severity;
use crate::rule::RuleMeta;

/// One item of the guide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    /// The title as the guide writes it (and rules declare it).
    pub title: &'static str,
    /// The guide's mark (💥 critical, 🔥 high, ☁️ medium); unmarked items are low, so any finding
    /// fails them.
    pub severity: Severity,
}

/// What rules declare when they check something the guide does not ask for.
pub const BEYOND: &str = "beyond the guide";

/// The guide's items that rules can declare, in the guide's order, then [`BEYOND`].
pub const SECTIONS: &[Section] = &[
    section(
        "Your cluster is as secure as the system running it",
        Severity::High,
    ),
    section("Private topology", Severity::Low),
    section("Firewall ports", Severity::High),
    section("Bastion host", Severity::Medium),
    section("Kubernetes Security Scan with kube-bench", Severity::High),
    section("Authorization mode & anonymous auth", Severity::Critical),
    section("Insecure Port", Severity::Critical),
    section("Disable Profiling", Severity::Medium),
    section("AdmissionController", Severity::Low),
    section("AlwaysPullImages", Severity::Medium),
    section("DenyEscalatingExec", Severity::Critical),
    section("PodSecurityPolicy", Severity::Critical),
    section(
        "Kublet settings: Authorization mode & anonymous auth",
        Severity::Critical,
    ),
    // 💥 only without RBAC; with RBAC (every current cluster) the guide leaves it unmarked.
    section("Auto mount default Service Account", Severity::Low),
    section("Use Network Policies", Severity::Medium),
    section("Use Pod Security Policies", Severity::Medium),
    section("Restrict \"docker image pull\"", Severity::High),
    section("Kubernetes Dashboard", Severity::Critical),
    section("Securing a Cluster (by Kubernetes project)", Severity::Low),
    section(BEYOND, Severity::Low),
];

/// Other spellings rules use for a section, and the section's title.
const ALIASES: &[(&str, &str)] = &[("Restrict image pull", "Restrict \"docker image pull\"")];

const fn section(title: &'static str, severity: Severity) -> Section {
    Section { title, severity }
}

/// The section with this title (or one of its aliases).
pub fn find(title: &str) -> Option<&'static Section> {
    let title = ALIASES
        .iter()
        .find(|(alias, _)| *alias == title)
        .map_or(title, |(_, t)| t);
    SECTIONS.iter().find(|s| s.title == title)
}

/// The sections a rule declares: its guide title, or each part of `A / B` when every part is a
/// section. A title the guide does not have is its own section, graded low.
pub fn sections_of(meta: &RuleMeta) -> Vec<Section> {
    if let Some(s) = find(meta.guide) {
        return vec![*s];
    }
    let parts: Vec<Option<&'static Section>> = meta.guide.split(" / ").map(find).collect();
    if parts.len() > 1 && parts.iter().all(Option::is_some) {
        return parts.into_iter().flatten().copied().collect();
    }
    vec![Section {
        title: meta.guide,
        severity: Severity::Low,
    }]
}

/// The position of a section in the guide (unknown titles after the guide's own, before
/// [`BEYOND`]), for ordering rows.
pub fn order(title: &str) -> usize {
    match SECTIONS.iter().position(|s| s.title == title) {
        Some(i) if title == BEYOND => i + 1,
        Some(i) => i,
        None => SECTIONS.len() - 1,
    }
}

/// What kind of input a rule judges, from its code family: a node's components (`CP`, `KL`), a
/// probe's answers (`EX`), or Kubernetes objects (everything else).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reads {
    Objects,
    Node,
    Probe,
}

impl Reads {
    pub fn of(code: &str) -> Reads {
        if code.starts_with("CP") || code.starts_with("KL") {
            Reads::Node
        } else if code.starts_with("EX") {
            Reads::Probe
        } else {
            Reads::Objects
        }
    }

    /// What to run to judge such a rule, for "not evaluated" reasons.
    pub fn missing(self) -> &'static str {
        match self {
            Reads::Objects => {
                "no manifests or cluster objects given; run `palisade scan` on the manifests or \
                 `palisade cluster`"
            }
            Reads::Node => {
                "node settings: no node audited; run `palisade node` on each node, or \
                 `palisade cluster` with nodes/proxy"
            }
            Reads::Probe => {
                "network exposure: nothing probed; run `palisade probe` against the nodes"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::VersionRange;

    fn meta(guide: &'static str) -> RuleMeta {
        RuleMeta {
            code: "XX001",
            name: "x",
            severity: Severity::Low,
            guide,
            versions: VersionRange::ALL,
            pss_check: None,
            references: &[],
            summary: "",
            what: "",
            why: "",
            example: "",
            fix: "",
            help: "",
        }
    }

    #[test]
    fn sections_follow_titles_aliases_and_pairs() {
        assert_eq!(
            sections_of(&meta("Firewall ports"))[0].severity,
            Severity::High
        );
        assert_eq!(
            sections_of(&meta("Restrict image pull"))[0].title,
            "Restrict \"docker image pull\""
        );
        let both = sections_of(&meta("PodSecurityPolicy / DenyEscalatingExec"));
        let titles: Vec<_> = both.iter().map(|s| s.title).collect();
        assert_eq!(titles, ["PodSecurityPolicy", "DenyEscalatingExec"]);
        let other = sections_of(&meta("Something else"));
        assert_eq!(
            (other[0].title, other[0].severity),
            ("Something else", Severity::Low)
        );
    }

    #[test]
    fn beyond_the_guide_comes_last() {
        assert!(order("Something else") < order(BEYOND));
        assert!(order("Private topology") < order("Firewall ports"));
        assert!(order("Something else") > order("Kubernetes Dashboard"));
    }

    #[test]
    fn families_decide_what_a_rule_reads() {
        assert_eq!(Reads::of("KL601"), Reads::Node);
        assert_eq!(Reads::of("CP501"), Reads::Node);
        assert_eq!(Reads::of("EX701"), Reads::Probe);
        assert_eq!(Reads::of("PS101"), Reads::Objects);
    }
}
