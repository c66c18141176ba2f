//! The user's own Palisade rules, written like ValidatingAdmissionPolicies (`rules:` in
//! `palisade.yaml`): a code, a name, a severity, a guide section and help, and the policy's
//! `matchConstraints`, `matchConditions`, `variables` and `validations`.
//!
//! Why the VAP shape: teams already write it (and `palisade vap export` writes it), the evaluator
//! exists ([`crate::vap`]), and a rule written here can be moved into the cluster as a policy
//! with its CEL unchanged. Each rule becomes one registry entry
//! ([`palisade_core::registry::declare_custom`]) with a per-object stage, so selection,
//! `rules`, `explain`, exemptions, baselines, every report format and the webhook treat it as a
//! built-in rule. A rule is checked when the config is read: a bad code, an unknown guide
//! section or an expression that does not compile is a config error with its line, not a
//! finding on every object later.

use std::collections::HashSet;
use std::sync::Arc;

use palisade_core::config::{Config, ConfigError};
use palisade_core::object::PodTemplate;
use palisade_core::object::{Object, ObjectRef, Origin};
use palisade_core::registry::{self, Rule, Stage};
use palisade_core::rule::{Context, Emitter, Judges, ObjectRule};
use palisade_core::yaml::{de::from_node, Node, Pos};
use palisade_core::{guide, RuleMeta, Severity, VersionRange};
use serde::Deserialize;

use crate::vap::matching::resource_of;
use crate::vap::model::{MatchResources, NamedExpression, PolicySpec, ResourceRule, Validation};
use crate::vap::PolicySet;

/// Most rules one config may declare: far more than a team writes, few enough that a config
/// cannot make every object's check arbitrarily slow by sheer number.
pub const MAX_RULES: usize = 256;

/// One rule as written.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Written {
    code: String,
    name: String,
    severity: String,
    #[serde(default)]
    guide: Option<String>,
    summary: String,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    why: Option<String>,
    #[serde(default)]
    fix: Option<String>,
    match_constraints: MatchResources,
    #[serde(default)]
    match_conditions: Vec<NamedExpression>,
    #[serde(default)]
    variables: Vec<NamedExpression>,
    validations: Vec<Validation>,
    #[serde(default)]
    failure_policy: Option<String>,
}

/// One declared rule's per-object stage: its policy, bound to everything it matches.
struct CustomRule {
    set: PolicySet,
    /// Its `matchConstraints.resourceRules`: the kinds it judges (for the guide scorecard).
    kinds: Vec<ResourceRule>,
}

impl ObjectRule for CustomRule {
    fn judges(&self) -> Judges {
        Judges {
            what: "objects of the kinds its matchConstraints name",
            test: |_, _, _| false,
        }
    }

    /// An object of a kind the rule names was judged, even if a selector or condition then
    /// left it out: the rule was applied to the input.
    fn judged(&self, _cx: &Context<'_>, object: &Object, _pod: Option<&PodTemplate<'_>>) -> bool {
        let api_version = object.api_version();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let resource = resource_of(object.kind());
        self.kinds
            .iter()
            .any(|r| r.selects_kind(group, version, &resource))
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        for v in self.set.evaluate(object) {
            out.report("", v.message);
        }
    }
}

/// Compiles the config's `rules:` and adds them to the registry. Call once, before anything
/// reads the registry (see [`registry::declare_custom`]); a config without rules declares none.
pub fn declare(config: &Config) -> Result<(), ConfigError> {
    let Some(node) = &config.rules else {
        return Ok(());
    };
    let path = config.path.clone().unwrap_or_default();
    let rules = compile(node, &path.to_string_lossy()).map_err(|(pos, message)| ConfigError {
        path: path.clone(),
        pos,
        message,
    })?;
    registry::declare_custom(rules).map_err(|e| ConfigError {
        path,
        pos: Some(node.span.start),
        message: e.to_owned(),
    })
}

/// The rules of a `rules:` node, each leaked once: rules live as long as the process, as the
/// built-in ones do.
fn compile(node: &Node, file: &str) -> Result<Vec<&'static Rule>, (Option<Pos>, String)> {
    let items = node
        .as_seq()
        .ok_or_else(|| (Some(node.span.start), "rules: expected a list".to_owned()))?;
    if items.len() > MAX_RULES {
        return Err((
            Some(node.span.start),
            format!("rules: more than {MAX_RULES} rules"),
        ));
    }
    let builtin_families: HashSet<&str> = registry::RULES
        .iter()
        .map(|r| family(r.meta.code))
        .collect();
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for item in items {
        let at = Some(item.span.start);
        let err = |message: String| (at, format!("rules: {message}"));
        let w: Written =
            from_node(item).map_err(|e| (e.pos.or(at), format!("rules: {}", e.message)))?;
        check_code(&w.code, &builtin_families).map_err(err)?;
        check_name(&w.name).map_err(err)?;
        if registry::RULES.iter().any(|r| r.meta.name == w.name) {
            return Err(err(format!("name `{}` is a built-in rule's", w.name)));
        }
        if !codes.insert(w.code.clone()) || !names.insert(w.name.clone()) {
            return Err(err(format!("{} ({}) is declared twice", w.code, w.name)));
        }
        let severity: Severity = w
            .severity
            .parse()
            .map_err(|e| err(format!("{}: {e}", w.code)))?;
        let guide_title = match w.guide.as_deref() {
            None | Some(guide::BEYOND) => guide::BEYOND,
            Some(title) => {
                guide::find(title)
                    .ok_or_else(|| {
                        err(format!(
                        "{}: guide section `{title}` is not one of the guide's (`palisade rules` \
                             lists them; or leave `guide` out for \"beyond the guide\")",
                        w.code
                    ))
                    })?
                    .title
            }
        };
        if w.match_constraints.resource_rules.is_empty() {
            return Err(err(format!(
                "{}: matchConstraints.resourceRules is empty, so the rule would match nothing",
                w.code
            )));
        }
        if w.validations.is_empty() {
            return Err(err(format!("{}: no validations", w.code)));
        }
        if let Some(p) = w
            .failure_policy
            .as_deref()
            .filter(|p| !matches!(*p, "Fail" | "Ignore"))
        {
            return Err(err(format!(
                "{}: failurePolicy `{p}`: expected Fail or Ignore",
                w.code
            )));
        }
        let what = format!(
            "Your own rule, from {file}: every object its matchConstraints select must satisfy {}.",
            w.validations
                .iter()
                .map(|v| format!("`{}`", v.expression))
                .collect::<Vec<_>>()
                .join(" and ")
        );
        let kinds = w
            .match_constraints
            .resource_rules
            .iter()
            .map(|r| ResourceRule {
                api_groups: r.api_groups.clone(),
                api_versions: r.api_versions.clone(),
                resources: r.resources.clone(),
                ..ResourceRule::default()
            })
            .collect();
        let spec = PolicySpec {
            param_kind: None,
            match_constraints: Some(w.match_constraints),
            match_conditions: w.match_conditions,
            variables: w.variables,
            validations: w.validations,
            failure_policy: w.failure_policy,
        };
        let set = PolicySet::single(
            w.name.clone(),
            ObjectRef {
                api_version: "palisade.dev/v1".to_owned(),
                kind: "Rule".to_owned(),
                namespace: None,
                name: Some(w.code.clone()),
            },
            Origin::File {
                path: Arc::from(file),
                document: 0,
                base: String::new(),
            },
            spec,
        );
        if let Some(e) = set.compile_errors().into_iter().next() {
            return Err(err(format!("{}: {e}", w.code)));
        }
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let help = leak(w.help.unwrap_or_else(|| w.summary.clone()));
        let meta: &'static RuleMeta = Box::leak(Box::new(RuleMeta {
            code: leak(w.code),
            name: leak(w.name),
            severity,
            guide: guide_title,
            versions: VersionRange::ALL,
            pss_check: None,
            references: &[],
            summary: leak(w.summary),
            what: leak(what),
            why: leak(w.why.unwrap_or_default()),
            example: "",
            fix: leak(w.fix.unwrap_or_default()),
            help,
        }));
        let stage: &'static CustomRule = Box::leak(Box::new(CustomRule { set, kinds }));
        out.push(&*Box::leak(Box::new(Rule {
            meta,
            stage: Stage::Object(stage),
        })));
    }
    Ok(out)
}

/// The letters a code starts with (`PS` of `PS101`): what `--select PS` selects.
fn family(code: &str) -> &str {
    let end = code
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(code.len());
    &code[..end]
}

/// A code is 2–4 capital letters and 3 digits, of a family no built-in rule uses: `--select PS`
/// must keep meaning the Pod Security rules, and a baseline must never confuse a user's rule
/// with a built-in one.
fn check_code(code: &str, builtin: &HashSet<&str>) -> Result<(), String> {
    let letters = family(code);
    let digits = &code[letters.len()..];
    let shaped = (2..=4).contains(&letters.len())
        && letters.chars().all(|c| c.is_ascii_uppercase())
        && digits.len() == 3
        && digits.chars().all(|c| c.is_ascii_digit());
    if !shaped {
        return Err(format!(
            "code `{code}`: expected 2 to 4 capital letters and 3 digits (`ORG001`)"
        ));
    }
    if builtin.contains(letters) {
        return Err(format!(
            "code `{code}`: {letters} is a family of built-in rules; choose other letters"
        ));
    }
    Ok(())
}

/// A name is kebab-case, as built-in names are (`require-team-label`).
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "name `{name}`: expected lowercase letters, digits and `-` (kebab-case, at most 63)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes of the rules `yaml` declares, or the error with its position.
    fn rules(yaml: &str) -> Result<Vec<&'static RuleMeta>, String> {
        let config = palisade_core::config::parse(std::path::Path::new("palisade.yaml"), yaml)
            .map_err(|e| e.to_string())?;
        compile(config.rules.as_ref().expect("rules:"), "palisade.yaml")
            .map(|r| r.into_iter().map(|r| r.meta).collect())
            .map_err(|(pos, m)| format!("{}: {m}", pos.map(|p| p.to_string()).unwrap_or_default()))
    }

    const TEAM: &str = "rules:\n- code: ORG001\n  name: require-team-label\n  severity: medium\n  \
        summary: Workloads name their team\n  matchConstraints:\n    resourceRules:\n    \
        - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n  \
        validations:\n  - expression: \"has(object.metadata.labels) && 'team' in object.metadata.labels\"\n    \
        message: every Deployment names its team\n";

    #[test]
    fn a_rule_compiles_with_its_declaration() {
        let r = rules(TEAM).unwrap();
        assert_eq!(r.len(), 1);
        let m = r[0];
        assert_eq!(
            (m.code, m.name, m.severity),
            ("ORG001", "require-team-label", Severity::Medium)
        );
        assert_eq!(m.guide, guide::BEYOND);
        assert_eq!(m.help, "Workloads name their team");
        assert!(
            m.what.contains("'team' in object.metadata.labels"),
            "{}",
            m.what
        );
    }

    #[test]
    fn mistakes_are_config_errors_with_their_line() {
        let bad = |from: &str, to: &str| rules(&TEAM.replace(from, to)).unwrap_err();
        // This crate's tests link only its own built-in rule (VA001).
        assert!(bad("ORG001", "VA901").contains("VA is a family of built-in rules"));
        assert!(bad("ORG001", "org1").contains("expected 2 to 4 capital letters"));
        assert!(bad("require-team-label", "Require_Team").contains("kebab-case"));
        assert!(bad("require-team-label", "admission-policy-violation").contains("built-in rule's"));
        assert!(bad("severity: medium", "severity: severe").contains("severe"));
        let e = bad(
            "severity: medium",
            "severity: medium\n  guide: Not a section",
        );
        assert!(e.contains("guide section `Not a section`"), "{e}");
        let e = bad("'team' in object", "'team' in in object");
        assert!(e.starts_with("2:3:") && e.contains("validation `"), "{e}");
        let e = bad("summary:", "sumary:");
        assert!(e.contains("sumary"), "{e}");
        let e = bad(
            "severity: medium",
            "severity: medium\n  failurePolicy: Sometimes",
        );
        assert!(e.contains("expected Fail or Ignore"), "{e}");
        let twice = format!("{TEAM}{}", &TEAM["rules:\n".len()..]);
        assert!(rules(&twice).unwrap_err().contains("declared twice"));
    }

    #[test]
    fn a_known_guide_section_is_kept() {
        let r = rules(&TEAM.replace(
            "severity: medium",
            "severity: high\n  guide: Use Network Policies",
        ))
        .unwrap();
        assert_eq!(r[0].guide, "Use Network Policies");
    }
}
