//! What the objects cannot show but a node audit (`palisade node`, or the control-plane flags and
//! kubelet `/configz` `palisade cluster` reads) and a probe (`palisade probe`) can: whether the
//! API server enables NodeRestriction and authorizes with the Node authorizer (or AlwaysAllow),
//! whether a kubelet serves anonymous requests with AlwaysAllow, and what answered the probe
//! without credentials. Read from the reports those commands write, by rule: a finding of the rule
//! is the fact, and a rule that was evaluated without a finding is its absence. A rule not
//! evaluated (no API server on a worker node) or a report not given leaves the fact unknown, and
//! the graph says so; nothing is assumed either way.

use palisade_core::report::{RuleState, ScanReport};
use palisade_core::{Finding, Location};

/// NodeRestriction missing from `--enable-admission-plugins`.
pub const NODE_RESTRICTION: &str = "CP509";
/// The API server's authorizers: AlwaysAllow present, Node or RBAC missing.
pub const APISERVER_AUTHORIZATION: &str = "CP501";
/// The kubelet accepts anonymous requests.
pub const KUBELET_ANONYMOUS: &str = "KL601";
/// The kubelet authorizes every request (AlwaysAllow).
pub const KUBELET_ALWAYS_ALLOW: &str = "KL602";
/// The probe: the API server answered a request without credentials.
pub const PROBE_APISERVER_ANONYMOUS: &str = "EX701";
/// The probe: the kubelet API answered a request without credentials.
pub const PROBE_KUBELET_ANONYMOUS: &str = "EX702";

/// A fact with where it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cited {
    /// The fact in words, naming the report and the setting (`… (node.json: CP509 …)`).
    pub text: String,
    /// The setting's `file:line` on the node, or the probed `host:port`.
    pub place: Option<Location>,
}

/// A setting of the API server, as the reports tell it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Not known: no report judged it (with why).
    Unknown(String),
    /// On: a report judged it and found nothing wrong (which report).
    On(String),
    /// Off, or insecure: the finding that says so.
    Off(Cited),
}

/// The facts of the node audits and probes given, for the graph's node-level edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeFacts {
    /// Whether any report was given: without one, every node-level edge is not evaluated.
    pub given: bool,
    /// The NodeRestriction admission plugin.
    pub node_restriction: Setting,
    /// The Node authorizer among the API server's authorizers.
    pub node_authorizer: Setting,
    /// AlwaysAllow among the API server's authorizers: every authenticated request is allowed.
    pub always_allow: Option<Cited>,
    /// A kubelet that accepts anonymous requests and authorizes everything, as one node audit
    /// shows both; `Err` when no report judged the kubelet (why).
    pub open_kubelet: Result<Option<Cited>, String>,
    /// The probe's answer of a kubelet to a request without credentials.
    pub probed_kubelet: Option<Cited>,
    /// The probe's answer of the API server to a request without credentials.
    pub probed_apiserver: Option<Cited>,
}

/// Without a report: nothing is known.
const NO_REPORT: &str = "no node audit given (`--node-report`, from `palisade node --format json`)";

impl Default for NodeFacts {
    fn default() -> Self {
        NodeFacts {
            given: false,
            node_restriction: Setting::Unknown(NO_REPORT.to_owned()),
            node_authorizer: Setting::Unknown(NO_REPORT.to_owned()),
            always_allow: None,
            open_kubelet: Err(NO_REPORT.to_owned()),
            probed_kubelet: None,
            probed_apiserver: None,
        }
    }
}

/// How far `code` got in `report`: `Ok` when it was evaluated (its findings are all there is),
/// else why not.
fn judged(report: &ScanReport, code: &str) -> Result<(), String> {
    match &report.evidence.judged {
        // A saved report: the states it wrote.
        Some(judged) => match judged.iter().find(|j| j.code == code).map(|j| &j.state) {
            Some(RuleState::Evaluated) => Ok(()),
            Some(RuleState::NotEvaluated(why))
            | Some(RuleState::NotApplicable(why))
            | Some(RuleState::NoInput(why)) => Err(format!("{code} not evaluated: {why}")),
            Some(RuleState::Deselected) => Err(format!("{code} was deselected")),
            None => Err(format!("{code} did not run")),
        },
        // A report of this run: the rules it ran and what they could not evaluate.
        None => {
            if let Some(n) = report.not_evaluated.iter().find(|n| n.code == code) {
                Err(format!("{code} not evaluated: {}", n.reason))
            } else if report.rules.iter().any(|m| m.code == code) {
                Ok(())
            } else {
                Err(format!("{code} did not run"))
            }
        }
    }
}

fn cite(name: &str, f: &Finding) -> Cited {
    Cited {
        text: format!("{} {} (report {name})", f.code, f.message),
        place: Some(f.location.clone()),
    }
}

fn findings<'r>(report: &'r ScanReport, code: &'r str) -> impl Iterator<Item = &'r Finding> {
    report
        .findings
        .iter()
        .filter(move |f| f.code == code && f.suppressed.is_none())
}

/// A setting the first finding of `code` matching `off` turns off, and an evaluation without
/// one turns on.
fn setting(reports: &[(&str, &ScanReport)], code: &str, off: &dyn Fn(&Finding) -> bool) -> Setting {
    let mut on = None;
    let mut why = Vec::new();
    for (name, r) in reports {
        if let Some(f) = findings(r, code).find(|f| off(f)) {
            return Setting::Off(cite(name, f));
        }
        match judged(r, code) {
            Ok(()) => on = on.or(Some(format!("{code} evaluated by {name}, no finding"))),
            Err(e) => why.push(format!("{name}: {e}")),
        }
    }
    match on {
        Some(by) => Setting::On(by),
        None => Setting::Unknown(why.join("; ")),
    }
}

impl NodeFacts {
    /// The facts of `reports` (name, report): node audits, probes, cluster reports, in any mix.
    pub fn from_reports(reports: &[(&str, &ScanReport)]) -> NodeFacts {
        if reports.is_empty() {
            return NodeFacts::default();
        }
        let authz = |word: &'static str| move |f: &Finding| f.message.contains(word);
        let node_restriction = setting(reports, NODE_RESTRICTION, &|_| true);
        let node_authorizer = setting(
            reports,
            APISERVER_AUTHORIZATION,
            &authz("does not include Node"),
        );
        let always_allow = reports.iter().find_map(|(name, r)| {
            findings(r, APISERVER_AUTHORIZATION)
                .find(|f| authz("AlwaysAllow is an authorizer")(f))
                .map(|f| cite(name, f))
        });
        let mut open_kubelet = Err(Vec::new());
        for (name, r) in reports {
            let anonymous = findings(r, KUBELET_ANONYMOUS).next();
            let allow = findings(r, KUBELET_ALWAYS_ALLOW).next();
            if let (Some(a), Some(b)) = (anonymous, allow) {
                open_kubelet = Ok(Some(Cited {
                    text: format!(
                        "{} {}; and {} {} (report {name})",
                        a.code, a.message, b.code, b.message
                    ),
                    place: Some(a.location.clone()),
                }));
                break;
            }
            let evaluated = judged(r, KUBELET_ANONYMOUS).and(judged(r, KUBELET_ALWAYS_ALLOW));
            match (evaluated, &mut open_kubelet) {
                (Ok(()), Err(_)) => open_kubelet = Ok(None),
                (Err(e), Err(why)) => why.push(format!("{name}: {e}")),
                _ => {}
            }
        }
        let probed = |code: &str| {
            reports
                .iter()
                .find_map(|(name, r)| findings(r, code).next().map(|f| cite(name, f)))
        };
        NodeFacts {
            given: true,
            node_restriction,
            node_authorizer,
            always_allow,
            open_kubelet: open_kubelet.map_err(|why| why.join("; ")),
            probed_kubelet: probed(PROBE_KUBELET_ANONYMOUS),
            probed_apiserver: probed(PROBE_APISERVER_ANONYMOUS),
        }
    }
}
