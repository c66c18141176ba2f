//! `AP8xx`: attack paths: chains of facts other rules report one by one (a grant, a namespace's
//! Pod Security level, a privileged pod, a mounted token) that together lead an identity that is
//! not an administrator, or the internet, to a node or to cluster-admin. The graph is
//! [`crate::paths`]; each rule reports the paths to its goal.

use std::collections::{BTreeMap, HashMap};

use palisade_core::{
    location_of, Context, Emitter, Finding, FlowStep, InventoryRule, Keep, Kept, Object, RuleMeta,
};

use crate::paths::{self, AttackGraph, Graph, Limits, Path, Vertex};

pub mod path_to_cluster_admin;
pub mod path_to_node;

/// The inventory stage of the AP rules: the paths of every default source to `goal`, one finding
/// per weakest link.
pub(crate) struct PathRule {
    pub(crate) meta: &'static RuleMeta,
    pub(crate) goal: Vertex,
}

/// How many paths a rule reads: a bound on the work of a scan, never reached by real inputs (it
/// is one path per source).
const MAX_PATHS: usize = 100_000;

/// One step as a line: `ServiceAccount "build/ci" → may create pods in → namespace "build" (…)`.
pub fn step_text(g: &Graph, e: usize) -> String {
    let edge = g.edge(e);
    format!(
        "{} → {} → {}: {}",
        g.get(edge.from),
        edge.action,
        g.get(edge.to),
        edge.evidence.text
    )
}

/// The steps of `path` with the location of each fact.
pub fn flow(model: &AttackGraph, path: &Path) -> Vec<FlowStep> {
    let g = &model.graph;
    path.edges
        .iter()
        .map(|&e| {
            let ev = &g.edge(e).evidence;
            FlowStep {
                message: step_text(g, e),
                location: ev.location(|i| location_of(model.object(i), &ev.pointer)),
            }
        })
        .collect()
}

impl InventoryRule for PathRule {
    fn keep(&self, object: &Object) -> Option<Keep> {
        paths::keep(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some(paths::KEEP_GROUP)
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = kept.model::<AttackGraph>(cx);
        let g = &model.graph;
        let Some(goal) = g.find(&self.goal) else {
            return;
        };
        let sources = paths::default_sources(g);
        let limits = Limits {
            max_paths: MAX_PATHS,
            ..Limits::default()
        };
        let found = paths::search(g, &sources, &[goal], limits).paths;
        if found.is_empty() {
            return;
        }
        let cuts = paths::cuts(g, &found);
        let counts: HashMap<&str, usize> = cuts.iter().map(|(c, n)| (c.as_str(), *n)).collect();
        // Paths grouped by their weakest link; the group's finding shows its shortest path.
        let mut groups: BTreeMap<Option<usize>, Vec<&Path>> = BTreeMap::new();
        for p in &found {
            groups
                .entry(paths::weakest_link(g, p, &counts))
                .or_default()
                .push(p);
        }
        let total = found.len();
        let goal_name = g.get(goal).to_string();
        for (link, mut group) in groups {
            group.sort_by_key(|p| (p.edges.len(), g.get(p.source).spec()));
            let shown = group[0];
            // Where the finding is: the weakest link's fact, else the first step with one; in
            // an object of the input, else on the node or probed address a report names (an
            // API server with AlwaysAllow: no object of the input is on the path).
            let anchor = link
                .into_iter()
                .chain(shown.edges.iter().copied())
                .find(|&e| g.edge(e).evidence.object.is_some())
                .or_else(|| {
                    link.into_iter()
                        .chain(shown.edges.iter().copied())
                        .find(|&e| g.edge(e).evidence.place.is_some())
                });
            let Some(anchor) = anchor else { continue };
            let ev = &g.edge(anchor).evidence;
            let chain: Vec<String> = shown
                .edges
                .iter()
                .map(|&e| {
                    let edge = g.edge(e);
                    format!("{} {}", edge.action, g.get(edge.to))
                })
                .collect();
            let mut message = format!(
                "{} reaches {goal_name} in {} step(s): {}",
                g.get(shown.source),
                shown.edges.len(),
                chain.join(", then ")
            );
            if group.len() > 1 {
                let others: Vec<String> = group[1..]
                    .iter()
                    .take(5)
                    .map(|p| g.get(p.source).spec())
                    .collect();
                let more = group.len() - 1 - others.len();
                message.push_str(&format!(
                    ". {} other source(s) take the same weakest link: {}{}",
                    group.len() - 1,
                    others.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
            if let Some(cut) = link.and_then(|e| g.edge(e).evidence.cut.as_deref()) {
                message.push_str(&format!(". Weakest link: {cut}"));
            }
            // The change that cuts the most paths of all, among those that cut one of this
            // finding's: a change elsewhere would not break the path the finding shows.
            let on_group = |cut: &str| {
                group.iter().any(|p| {
                    p.edges
                        .iter()
                        .any(|&e| g.edge(e).evidence.cut.as_deref() == Some(cut))
                })
            };
            if let Some((best, n)) = cuts.iter().find(|(c, _)| on_group(c)) {
                message.push_str(&format!(
                    ". Changing {best} cuts {n} of {total} path(s) to {goal_name}"
                ));
            }
            let steps = flow(&model, shown).into_boxed_slice();
            match (ev.object.map(|i| model.object(i)), &ev.place) {
                (Some(object), _) => {
                    let mut emitter = Emitter::new(object, self.meta, findings);
                    let f = emitter.report(&ev.pointer, message);
                    f.flow = Some(steps);
                }
                (None, Some(place)) => findings.push(Finding {
                    code: self.meta.code,
                    rule: self.meta.name,
                    severity: self.meta.severity,
                    pss_check: None,
                    location: place.clone(),
                    object: None,
                    container: None,
                    related: None,
                    message: message.into(),
                    help: self.meta.help,
                    suppressed: None,
                    baselined: false,
                    fix: None,
                    flow: Some(steps),
                }),
                (None, None) => {}
            }
        }
    }

    fn not_evaluated(&self, cx: &Context<'_>, kept: &Kept<'_>) -> Option<String> {
        let model = kept.model::<AttackGraph>(cx);
        let unknowns = &model.graph.unknowns;
        (!unknowns.is_empty()).then(|| {
            let shown: Vec<&str> = unknowns.iter().take(5).map(String::as_str).collect();
            let more = unknowns.len().saturating_sub(shown.len());
            format!(
                "attack-path edges left out for lack of facts: {}{}",
                shown.join("; "),
                if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                }
            )
        })
    }
}
