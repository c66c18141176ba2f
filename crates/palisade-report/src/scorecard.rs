//! The guide scorecard: one row per section of the guide saying whether the input shows that it
//! holds, that it fails, or that it could not be judged — and why.
//!
//! Every format shows the same [`Scorecard`], built here from the report alone, so text, JSON,
//! SARIF, HTML and Markdown cannot disagree. The rule it follows is the one "not evaluated"
//! already follows: **never "holds" without evidence**. A section holds only when at least one of
//! its rules was evaluated on input of the kind it reads, and every rule of the section that
//! applies was evaluated (not deselected, not short of data, not waiting for a node audit or a
//! probe) and found nothing at or above the section's severity.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use palisade_core::guide::{self, Reads};
use palisade_core::report::{Declared, Judged, RuleState, ScanReport, SourceKind};
use palisade_core::{KubeVersion, RuleMeta, Severity};

/// A section's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// A finding at or above the section's severity.
    Fails,
    /// Every applicable rule was evaluated and found nothing at or above the section's severity.
    Holds,
    /// Some rule could not be judged from this input (the reason says what to give).
    NotEvaluated,
    /// The input holds nothing the section's rules judge.
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fails => "fails",
            Status::Holds => "holds",
            Status::NotEvaluated => "not evaluated",
            Status::NotApplicable => "not applicable",
        }
    }

    /// A CSS-class and anchor friendly name.
    pub fn slug(self) -> &'static str {
        match self {
            Status::Fails => "fails",
            Status::Holds => "holds",
            Status::NotEvaluated => "not-evaluated",
            Status::NotApplicable => "not-applicable",
        }
    }
}

/// The whole scorecard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scorecard {
    /// The report's sources: kind and name.
    pub sources: Vec<(SourceKind, String)>,
    pub rows: Vec<Row>,
}

/// One section of the guide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub section: String,
    pub severity: Severity,
    pub status: Status,
    /// Why, for every status but a plain "holds"/"fails".
    pub reason: Option<String>,
    /// Unsuppressed findings of the section's rules, by severity (most severe first).
    pub counts: [usize; 4],
    pub suppressed: usize,
    pub rules: Vec<RuleRow>,
    /// Names of the sources whose rules judged the section.
    pub sources: Vec<String>,
}

impl Row {
    pub fn findings(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The row's findings by severity, as every format writes them: `2 critical, 1 medium`
    /// (empty when there are none).
    pub fn counts_text(&self) -> String {
        Severity::ALL
            .iter()
            .zip(self.counts)
            .filter(|(_, n)| *n > 0)
            .map(|(sev, n)| format!("{n} {sev}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One rule behind a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRow {
    pub code: String,
    pub name: String,
    pub severity: Option<Severity>,
    pub state: RuleState,
    /// Unsuppressed findings.
    pub findings: usize,
    pub suppressed: usize,
    pub sources: Vec<String>,
}

impl Scorecard {
    /// The scorecard of `report`, over every rule this program knows (the registry) and every
    /// rule the report names.
    pub fn of(report: &ScanReport) -> Scorecard {
        let mut metas: BTreeMap<&str, &'static RuleMeta> = BTreeMap::new();
        for m in palisade_core::registry::catalogue()
            .into_iter()
            .chain(report.rules.iter().copied())
        {
            metas.entry(m.code).or_insert(m);
        }
        let states: HashMap<String, (RuleState, Vec<String>)> = match &report.evidence.judged {
            Some(judged) => judged
                .iter()
                .map(|j| (j.code.clone(), (j.state.clone(), j.sources.clone())))
                .collect(),
            None => derive_states(report, &metas),
        };
        let declared: HashMap<&str, &Declared> = report
            .evidence
            .judged
            .iter()
            .flatten()
            .filter_map(|j| Some((j.code.as_str(), j.declared.as_ref()?)))
            .collect();
        let mut tally: HashMap<&str, ([usize; 4], usize)> = HashMap::new();
        for f in &report.findings {
            let t = tally.entry(f.code).or_default();
            if f.suppressed.is_some() {
                t.1 += 1;
            } else {
                t.0[severity_index(f.severity)] += 1;
            }
        }
        // Every code with a meta, a state or a finding gets a rule row.
        let mut codes: BTreeSet<&str> = metas.keys().copied().collect();
        codes.extend(states.keys().map(String::as_str));
        codes.extend(tally.keys().copied());
        let mut sections: BTreeMap<(usize, String), (Severity, Vec<RuleRow>)> = BTreeMap::new();
        for code in codes {
            let meta = metas.get(code).copied();
            let (state, sources) = states.get(code).cloned().unwrap_or_else(|| {
                (
                    RuleState::NoInput(Reads::of(code).missing().to_owned()),
                    Vec::new(),
                )
            });
            let (counts, suppressed) = tally.get(code).copied().unwrap_or_default();
            let saved = declared.get(code).copied();
            let rule = RuleRow {
                code: code.to_owned(),
                name: meta
                    .map(|m| m.name.to_owned())
                    .unwrap_or_else(|| saved.and_then(|d| d.name.clone()).unwrap_or_default()),
                severity: meta.map(|m| m.severity).or(saved.and_then(|d| d.severity)),
                state,
                findings: counts.iter().sum(),
                suppressed,
                sources,
            };
            // The rule's sections: as this program declares it, else as the saved report did,
            // else beyond the guide.
            let titles: Vec<(String, Severity)> = match (meta, saved) {
                (Some(m), _) => guide::sections_of(m)
                    .into_iter()
                    .map(|s| (s.title.to_owned(), s.severity))
                    .collect(),
                (None, Some(d)) if !d.sections.is_empty() => d.sections.clone(),
                _ => vec![(guide::BEYOND.to_owned(), Severity::Low)],
            };
            for (title, severity) in titles {
                let entry = sections
                    .entry((guide::order(&title), title))
                    .or_insert_with(|| (severity, Vec::new()));
                entry.1.push(rule.clone());
            }
        }
        let rows = sections
            .into_iter()
            .map(|((_, section), (severity, rules))| row(section, severity, rules, &tally))
            .collect();
        Scorecard {
            sources: report
                .evidence
                .sources
                .iter()
                .map(|s| (s.kind, s.name.clone()))
                .collect(),
            rows,
        }
    }

    /// Each rule's state and the sources behind it, as a merged report carries them.
    pub fn judged(&self) -> Vec<Judged> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for r in self.rows.iter().flat_map(|r| &r.rules) {
            if seen.insert(r.code.clone()) {
                out.push(Judged {
                    code: r.code.clone(),
                    state: r.state.clone(),
                    sources: r.sources.clone(),
                    declared: Some(Declared {
                        name: (!r.name.is_empty()).then(|| r.name.clone()),
                        severity: r.severity,
                        sections: self
                            .rows
                            .iter()
                            .filter(|row| row.rules.iter().any(|x| x.code == r.code))
                            .map(|row| (row.section.clone(), row.severity))
                            .collect(),
                    }),
                });
            }
        }
        out
    }

    /// Rows per status, in [`Status`] order, for summaries.
    pub fn tally(&self) -> [(Status, usize); 4] {
        [
            Status::Fails,
            Status::Holds,
            Status::NotEvaluated,
            Status::NotApplicable,
        ]
        .map(|s| (s, self.rows.iter().filter(|r| r.status == s).count()))
    }
}

/// Merges what several reports said about each rule: the state that says the most wins (a node
/// audit's "evaluated" over a manifest scan's "no node audited"), and the sources of every report
/// with that state are kept.
pub fn merge_judged(inputs: &[Vec<Judged>]) -> Vec<Judged> {
    let mut best: BTreeMap<String, Judged> = BTreeMap::new();
    for j in inputs.iter().flatten() {
        match best.get_mut(&j.code) {
            None => {
                best.insert(j.code.clone(), j.clone());
            }
            Some(b) if j.state.rank() < b.state.rank() => *b = j.clone(),
            Some(b) if j.state.rank() == b.state.rank() => {
                if let (RuleState::NotEvaluated(a), RuleState::NotEvaluated(c)) =
                    (&mut b.state, &j.state)
                {
                    if !a.contains(c.as_str()) {
                        a.push_str("; ");
                        a.push_str(c);
                    }
                }
                for s in &j.sources {
                    if !b.sources.contains(s) {
                        b.sources.push(s.clone());
                    }
                }
            }
            Some(_) => {}
        }
    }
    best.into_values().collect()
}

fn severity_index(s: Severity) -> usize {
    Severity::ALL
        .iter()
        .position(|x| *x == s)
        .expect("ALL lists every severity")
}

/// Each rule's state in a report made by this run, from the rules it ran, what they could not
/// evaluate, the report's sources and what its input held.
fn derive_states(
    report: &ScanReport,
    metas: &BTreeMap<&str, &'static RuleMeta>,
) -> HashMap<String, (RuleState, Vec<String>)> {
    let ran: BTreeSet<&str> = report.rules.iter().map(|m| m.code).collect();
    let version: Option<KubeVersion> = report.kubernetes_version.parse().ok();
    let mut not_evaluated: HashMap<&str, Vec<&str>> = HashMap::new();
    for n in &report.not_evaluated {
        not_evaluated.entry(n.code).or_default().push(&n.reason);
    }
    let nothing_judged: HashMap<&str, &str> = report
        .evidence
        .nothing_judged
        .iter()
        .map(|n| (n.code, n.reason.as_str()))
        .collect();
    // A finding is a judgement, whatever the rule's own account of what it judged.
    let reported: BTreeSet<&str> = report.findings.iter().map(|f| f.code).collect();
    let kinds: BTreeSet<SourceKind> = report.evidence.sources.iter().map(|s| s.kind).collect();
    let reads_kind = |reads: Reads| match reads {
        Reads::Objects => {
            kinds.contains(&SourceKind::Files) || kinds.contains(&SourceKind::Cluster)
        }
        Reads::Node => kinds.contains(&SourceKind::Node),
        Reads::Probe => kinds.contains(&SourceKind::Probe),
    };
    let fed_by = |reads: Reads| -> Vec<String> {
        report
            .evidence
            .sources
            .iter()
            .filter(|s| match reads {
                Reads::Objects => matches!(s.kind, SourceKind::Files | SourceKind::Cluster),
                Reads::Node => s.kind != SourceKind::Probe,
                Reads::Probe => matches!(s.kind, SourceKind::Probe | SourceKind::Cluster),
            })
            .map(|s| s.name.clone())
            .collect()
    };
    let mut out = HashMap::new();
    for (code, meta) in metas {
        let reads = Reads::of(code);
        let state = if ran.contains(code) {
            if let Some(reasons) = not_evaluated.get(code) {
                let mut reasons = reasons.clone();
                reasons.dedup();
                RuleState::NotEvaluated(reasons.join("; "))
            } else if reads == Reads::Objects
                && report.stats.objects == 0
                && report.stats.subject.is_none()
            {
                RuleState::NotApplicable("no Kubernetes objects in the input".to_owned())
            } else if let Some(reason) = nothing_judged
                .get(code)
                .filter(|_| !reported.contains(code))
            {
                RuleState::NotApplicable((*reason).to_owned())
            } else {
                RuleState::Evaluated
            }
        } else if version.is_some_and(|v| !meta.versions.contains(v)) {
            RuleState::NotApplicable(format!(
                "applies to Kubernetes {}, the input is {}",
                meta.versions, report.kubernetes_version
            ))
        } else if reads_kind(reads) {
            RuleState::Deselected
        } else {
            RuleState::NoInput(reads.missing().to_owned())
        };
        let sources = match state {
            RuleState::Evaluated | RuleState::NotEvaluated(_) => fed_by(reads),
            _ => Vec::new(),
        };
        out.insert((*code).to_owned(), (state, sources));
    }
    out
}

/// A section's verdict from its rules' states and findings.
fn row(
    section: String,
    severity: Severity,
    rules: Vec<RuleRow>,
    tally: &HashMap<&str, ([usize; 4], usize)>,
) -> Row {
    let mut counts = [0; 4];
    let mut suppressed = 0;
    for r in &rules {
        if let Some((c, s)) = tally.get(r.code.as_str()) {
            for (total, n) in counts.iter_mut().zip(c) {
                *total += n;
            }
            suppressed += s;
        }
    }
    let failing: usize = Severity::ALL
        .iter()
        .zip(counts)
        .filter(|(s, _)| **s >= severity)
        .map(|(_, n)| n)
        .sum();
    let below = counts.iter().sum::<usize>() - failing;
    let codes = |want: fn(&RuleState) -> bool| -> Vec<&str> {
        rules
            .iter()
            .filter(|r| want(&r.state))
            .map(|r| r.code.as_str())
            .collect()
    };
    let mut reasons: Vec<String> = Vec::new();
    for r in &rules {
        if let RuleState::NotEvaluated(why) = &r.state {
            reasons.push(format!("{}: {why}", r.code));
        }
    }
    let mut missing: Vec<&str> = Vec::new();
    for r in &rules {
        if let RuleState::NoInput(why) = &r.state {
            if !missing.contains(&why.as_str()) {
                missing.push(why);
            }
        }
    }
    let deselected = codes(|s| matches!(s, RuleState::Deselected));
    if !deselected.is_empty() {
        reasons.push(format!(
            "rules deselected (--select/--ignore or --pod-security): {}",
            deselected.join(", ")
        ));
    }
    let evaluated = codes(|s| matches!(s, RuleState::Evaluated));
    // Rules waiting for another kind of input (a node audit, a probe) do not keep a section
    // from holding on the input that was given, when some rule of it judged that input: the
    // row says what was not judged. With nothing judged, they are the reason it is not
    // evaluated.
    let not_judged = (!missing.is_empty()).then(|| format!("not judged: {}", missing.join("; ")));
    let (status, reason) = if failing > 0 {
        (Status::Fails, None)
    } else if !reasons.is_empty() {
        reasons.extend(missing.iter().map(|m| (*m).to_owned()));
        (Status::NotEvaluated, Some(reasons.join("; ")))
    } else if !evaluated.is_empty() {
        let below = (below > 0).then(|| {
            format!(
                "{below} finding{} below the section's severity ({severity})",
                if below == 1 { "" } else { "s" }
            )
        });
        let note: Vec<String> = below.into_iter().chain(not_judged).collect();
        (Status::Holds, (!note.is_empty()).then(|| note.join("; ")))
    } else {
        // With input missing, only what the given objects lacked is worth saying (a node rule
        // outside the target version is not, nor anything about objects when none were given).
        let objects = |r: &RuleRow| Reads::of(&r.code) == Reads::Objects;
        let objects_given = !rules
            .iter()
            .any(|r| objects(r) && matches!(r.state, RuleState::NoInput(_)));
        let said = |r: &RuleRow| missing.is_empty() || (objects(r) && objects_given);
        let mut why: Vec<&str> = Vec::new();
        for r in rules.iter().filter(|r| said(r)) {
            if let RuleState::NotApplicable(w) = &r.state {
                if !why.contains(&w.as_str()) {
                    why.push(w);
                }
            }
        }
        if missing.is_empty() {
            (Status::NotApplicable, Some(why.join("; ")))
        } else {
            // What was given held nothing to judge; what was not given might.
            let given = (!why.is_empty()).then(|| format!("not applicable: {}", why.join("; ")));
            let reason: Vec<String> = missing
                .iter()
                .map(|m| (*m).to_owned())
                .chain(given)
                .collect();
            (Status::NotEvaluated, Some(reason.join("; ")))
        }
    };
    let mut sources: Vec<String> = Vec::new();
    for s in rules.iter().flat_map(|r| &r.sources) {
        if !sources.contains(s) {
            sources.push(s.clone());
        }
    }
    Row {
        section,
        severity,
        status,
        reason,
        counts,
        suppressed,
        rules,
        sources,
    }
}

/// The state's name as reports write it.
pub fn state_name(state: &RuleState) -> &'static str {
    match state {
        RuleState::Evaluated => "evaluated",
        RuleState::NotEvaluated(_) => "not evaluated",
        RuleState::Deselected => "deselected",
        RuleState::NotApplicable(_) => "not applicable",
        RuleState::NoInput(_) => "no input",
    }
}

/// The state's reason, when it has one.
pub fn state_reason(state: &RuleState) -> Option<&str> {
    match state {
        RuleState::NotEvaluated(r) | RuleState::NotApplicable(r) | RuleState::NoInput(r) => Some(r),
        RuleState::Evaluated | RuleState::Deselected => None,
    }
}

/// A state from its written name and reason (a saved report's), `None` for a name this version
/// does not know.
pub fn state_from(name: &str, reason: Option<&str>) -> Option<RuleState> {
    let reason = || reason.unwrap_or_default().to_owned();
    Some(match name {
        "evaluated" => RuleState::Evaluated,
        "not evaluated" => RuleState::NotEvaluated(reason()),
        "deselected" => RuleState::Deselected,
        "not applicable" => RuleState::NotApplicable(reason()),
        "no input" => RuleState::NoInput(reason()),
        _ => return None,
    })
}

impl Scorecard {
    /// The scorecard as JSON `summary.guide` and SARIF `runs[0].properties.guide` write it (see
    /// `docs/json-schema.md`, "guide").
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let counts =
            |c: &[usize; 4]| json!({"critical": c[0], "high": c[1], "medium": c[2], "low": c[3]});
        json!({
            "sources": self.sources.iter().map(|(kind, name)| json!({
                "kind": kind.as_str(), "name": name,
            })).collect::<Vec<_>>(),
            "sections": self.rows.iter().map(|r| json!({
                "section": r.section,
                "severity": r.severity.as_str(),
                "status": r.status.as_str(),
                "reason": r.reason,
                "counts": counts(&r.counts),
                "suppressed": r.suppressed,
                "sources": r.sources,
                "rules": r.rules.iter().map(|rule| json!({
                    "code": rule.code,
                    "rule": (!rule.name.is_empty()).then_some(&rule.name),
                    "severity": rule.severity.map(Severity::as_str),
                    "state": state_name(&rule.state),
                    "reason": state_reason(&rule.state),
                    "findings": rule.findings,
                    "suppressed": rule.suppressed,
                    "sources": rule.sources,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use palisade_core::finding::{Finding, Location};
    use palisade_core::report::{Evidence, NotEvaluated, NothingJudged, Source};
    use palisade_core::VersionRange;

    use super::*;

    const fn meta(code: &'static str, guide: &'static str, severity: Severity) -> RuleMeta {
        RuleMeta {
            code,
            name: "a-rule",
            severity,
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

    static PSS: RuleMeta = meta("PS101", "Use Pod Security Policies", Severity::Critical);
    static PSS_LOW: RuleMeta = meta("PS199", "Use Pod Security Policies", Severity::Low);
    static NODE: RuleMeta = meta("CP599", "Disable Profiling", Severity::Medium);
    static NET: RuleMeta = meta("NP399", "Use Network Policies", Severity::Medium);

    // Known to this test program (the registry is what the scorecard knows besides the report's
    // own rules), so a report that did not run them says why.
    mod registered {
        use palisade_core::registry::{Rule, Stage};
        palisade_core::register!(Rule {
            meta: &super::NODE,
            stage: Stage::Input,
        });
    }
    mod registered_net {
        use palisade_core::registry::{Rule, Stage};
        palisade_core::register!(Rule {
            meta: &super::NET,
            stage: Stage::Input,
        });
    }

    fn finding(code: &'static str, severity: Severity) -> Finding {
        Finding {
            code,
            rule: "a-rule",
            severity,
            pss_check: None,
            location: Location::Path {
                path: Arc::from("a.yaml"),
                pos: None,
            },
            object: None,
            container: None,
            related: None,
            message: "m".into(),
            help: "",
            suppressed: None,
            baselined: false,
            fix: None,
            flow: None,
        }
    }

    fn files_report(rules: Vec<&'static RuleMeta>, findings: Vec<Finding>) -> ScanReport {
        ScanReport {
            findings,
            rules,
            kubernetes_version: "v1.37".to_owned(),
            stats: palisade_core::report::Stats {
                files: 1,
                objects: 3,
                ..Default::default()
            },
            evidence: Evidence {
                sources: vec![Source {
                    kind: SourceKind::Files,
                    name: "k8s/".to_owned(),
                }],
                nothing_judged: Vec::new(),
                judged: None,
            },
            ..ScanReport::default()
        }
    }

    fn status(card: &Scorecard, section: &str) -> (Status, Option<String>) {
        let row = card.rows.iter().find(|r| r.section == section).unwrap();
        (row.status, row.reason.clone())
    }

    #[test]
    fn a_finding_at_the_sections_severity_fails_it() {
        let card = Scorecard::of(&files_report(
            vec![&PSS, &NET],
            vec![finding("PS101", Severity::Critical)],
        ));
        assert_eq!(status(&card, "Use Pod Security Policies").0, Status::Fails);
        assert_eq!(status(&card, "Use Network Policies").0, Status::Holds);
    }

    #[test]
    fn findings_below_the_sections_severity_do_not_fail_it_but_are_said() {
        let card = Scorecard::of(&files_report(
            vec![&PSS, &PSS_LOW],
            vec![finding("PS199", Severity::Low)],
        ));
        let (s, reason) = status(&card, "Use Pod Security Policies");
        assert_eq!(s, Status::Holds);
        assert!(reason.unwrap().contains("1 finding below"));
    }

    #[test]
    fn suppressed_findings_do_not_fail_a_section() {
        let mut f = finding("PS101", Severity::Critical);
        f.suppressed = Some("accepted".into());
        let card = Scorecard::of(&files_report(vec![&PSS], vec![f]));
        let row = card
            .rows
            .iter()
            .find(|r| r.section == "Use Pod Security Policies")
            .unwrap();
        assert_eq!((row.status, row.suppressed), (Status::Holds, 1));
    }

    #[test]
    fn node_rules_without_a_node_audit_are_not_evaluated() {
        let card = Scorecard::of(&files_report(vec![&PSS], vec![]));
        let (s, reason) = status(&card, "Disable Profiling");
        assert_eq!(s, Status::NotEvaluated);
        assert!(reason.unwrap().contains("palisade node"));
    }

    #[test]
    fn not_evaluated_rules_keep_a_section_from_holding() {
        let mut report = files_report(vec![&NET], vec![]);
        report.not_evaluated.push(NotEvaluated {
            code: "NP399",
            reason: "no Namespace object".to_owned(),
        });
        let (s, reason) = status(&Scorecard::of(&report), "Use Network Policies");
        assert_eq!(s, Status::NotEvaluated);
        assert!(reason.unwrap().contains("NP399: no Namespace object"));
    }

    #[test]
    fn a_rule_that_did_not_run_on_a_source_that_could_run_it_was_deselected() {
        // NET did not run, though the files could have fed it.
        let card = Scorecard::of(&files_report(vec![&PSS], vec![]));
        let (s, reason) = status(&card, "Use Network Policies");
        assert_eq!(s, Status::NotEvaluated);
        assert!(reason.unwrap().contains("deselected"));
    }

    fn nothing_judged(code: &'static str, reason: &str) -> NothingJudged {
        NothingJudged {
            code,
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn a_section_whose_rules_judged_nothing_is_not_applicable() {
        let mut report = files_report(vec![&PSS, &PSS_LOW, &NET], vec![]);
        report.evidence.nothing_judged = vec![
            nothing_judged("PS101", "no pods or workloads in the input"),
            nothing_judged("PS199", "no pods or workloads in the input"),
        ];
        let card = Scorecard::of(&report);
        let (s, reason) = status(&card, "Use Pod Security Policies");
        assert_eq!(s, Status::NotApplicable);
        assert_eq!(reason.as_deref(), Some("no pods or workloads in the input"));
        // NET judged something and found nothing.
        assert_eq!(status(&card, "Use Network Policies").0, Status::Holds);
    }

    #[test]
    fn one_rule_that_judged_something_lets_its_section_hold() {
        let mut report = files_report(vec![&PSS, &PSS_LOW], vec![]);
        report.evidence.nothing_judged = vec![nothing_judged(
            "PS199",
            "no PodSecurityPolicies in the input",
        )];
        let card = Scorecard::of(&report);
        let row = card
            .rows
            .iter()
            .find(|r| r.section == "Use Pod Security Policies")
            .unwrap();
        assert_eq!(row.status, Status::Holds);
        let state = |code: &str| &row.rules.iter().find(|r| r.code == code).unwrap().state;
        assert_eq!(state("PS101"), &RuleState::Evaluated);
        assert!(matches!(state("PS199"), RuleState::NotApplicable(_)));
    }

    #[test]
    fn a_rule_with_a_finding_judged_something_whatever_the_evidence_says() {
        let mut report = files_report(vec![&PSS], vec![finding("PS101", Severity::Critical)]);
        report.evidence.nothing_judged = vec![nothing_judged("PS101", "no pods")];
        let card = Scorecard::of(&report);
        assert_eq!(status(&card, "Use Pod Security Policies").0, Status::Fails);
        let rule = &card
            .rows
            .iter()
            .flat_map(|r| &r.rules)
            .find(|r| r.code == "PS101");
        assert_eq!(rule.unwrap().state, RuleState::Evaluated);
    }

    fn judged(code: &str, state: RuleState, source: &str) -> Judged {
        Judged {
            code: code.to_owned(),
            state,
            sources: vec![source.to_owned()],
            declared: None,
        }
    }

    #[test]
    fn merged_reports_keep_a_rule_applicable_where_any_source_judged_it() {
        let judged = |state, source| judged("PS101", state, source);
        let nothing = RuleState::NotApplicable("no pods or workloads in the input".into());
        let merged = merge_judged(&[
            vec![judged(nothing.clone(), "a")],
            vec![judged(RuleState::Evaluated, "b")],
            vec![judged(nothing.clone(), "c")],
        ]);
        assert_eq!(merged[0].state, RuleState::Evaluated);
        assert_eq!(merged[0].sources, ["b"]);
        let merged = merge_judged(&[
            vec![judged(nothing.clone(), "a")],
            vec![judged(nothing.clone(), "c")],
        ]);
        assert_eq!(merged[0].state, nothing);
    }

    #[test]
    fn merging_keeps_the_state_that_says_the_most() {
        let judged = |state, source| judged("CP599", state, source);
        let merged = merge_judged(&[
            vec![judged(
                RuleState::NoInput("run palisade node".into()),
                "scan",
            )],
            vec![judged(RuleState::Evaluated, "node a")],
            vec![judged(RuleState::Evaluated, "node b")],
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].state, RuleState::Evaluated);
        assert_eq!(merged[0].sources, ["node a", "node b"]);
    }

    #[test]
    fn json_names_every_row_and_rule_state() {
        let card = Scorecard::of(&files_report(vec![&PSS], vec![]));
        let v = card.to_json();
        assert_eq!(v["sources"][0]["kind"], "files");
        let rows = v["sections"].as_array().unwrap();
        let node = rows
            .iter()
            .find(|r| r["section"] == "Disable Profiling")
            .unwrap();
        assert_eq!(node["status"], "not evaluated");
        assert_eq!(node["rules"][0]["state"], "no input");
        // What a saved report's rule state reads back as.
        for r in card.rows.iter().flat_map(|r| &r.rules) {
            assert_eq!(
                state_from(state_name(&r.state), state_reason(&r.state)).as_ref(),
                Some(&r.state)
            );
        }
    }
}
