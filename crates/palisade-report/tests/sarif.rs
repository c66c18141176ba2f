//! The SARIF log is valid against the OASIS 2.1.0 schema and carries what code scanning reads.

mod common;

use std::sync::{Arc, OnceLock};

use palisade_core::finding::{Finding, Location};
use palisade_core::report::ScanReport;
use palisade_core::{ObjectRef, Severity};
use palisade_report::{render, Format, RenderOptions};
use serde_json::Value;

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json"))
            .expect("schema is JSON");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            // `uri` and `date-time` formats matter to SARIF consumers: check them too.
            .should_validate_formats(true)
            .build(&schema)
            .expect("schema compiles")
    })
}

fn sarif(report: &ScanReport) -> Value {
    let mut out = Vec::new();
    let options = RenderOptions::default().with_tool(common::tool());
    render(Format::Sarif, report, &options, &mut out).unwrap();
    serde_json::from_slice(&out).expect("SARIF is JSON")
}

fn assert_valid(log: &Value) {
    let errors: Vec<String> = validator()
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

#[test]
fn full_report_is_valid_sarif() {
    assert_valid(&sarif(&common::report()));
}

#[test]
fn empty_report_is_valid_sarif() {
    let log = sarif(&ScanReport::default());
    assert_valid(&log);
    let run = &log["runs"][0];
    assert_eq!(run["results"], Value::Array(vec![]));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn cluster_finding_without_file_is_valid_sarif() {
    let mut report = ScanReport::default();
    report.findings.push(Finding {
        code: "PS101",
        rule: "privileged-container",
        severity: Severity::Critical,
        pss_check: Some("privileged"),
        location: Location::Object {
            source: Arc::from("cluster"),
            pointer: "/spec/containers/0/securityContext/privileged".to_owned(),
        },
        object: Some(std::sync::Arc::new(ObjectRef {
            api_version: "v1".to_owned(),
            kind: "Pod".to_owned(),
            namespace: Some("kube-system".to_owned()),
            name: Some("agent".to_owned()),
        })),
        container: Some("agent".into()),
        related: None,
        message: "container \"agent\" runs privileged".into(),
        help: "",
        suppressed: None,
        baselined: false,
        fix: None,
        flow: None,
    });
    let log = sarif(&report);
    assert_valid(&log);
    let location = &log["runs"][0]["results"][0]["locations"][0];
    assert!(location.get("physicalLocation").is_none());
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        "v1/Pod/kube-system/agent"
    );
}

/// An attack path's steps are one code flow, in order; steps without a file have a message only.
#[test]
fn attack_path_steps_are_a_valid_code_flow() {
    use palisade_core::yaml::Pos;
    use palisade_core::FlowStep;
    let at = |line| {
        Some(Location::File {
            path: Arc::from("k8s/rbac.yaml"),
            pos: Pos { line, col: 3 },
            end: Pos { line, col: 9 },
            pointer: "/subjects/0".to_owned(),
        })
    };
    let mut report = ScanReport::default();
    report.findings.push(Finding {
        code: "AP801",
        rule: "attack-path-cluster-admin",
        severity: Severity::Critical,
        pss_check: None,
        location: at(12).unwrap(),
        object: None,
        container: None,
        related: None,
        message: "ServiceAccount \"build/ci\" reaches cluster-admin in 3 step(s)".into(),
        help: "",
        suppressed: None,
        baselined: false,
        fix: None,
        flow: Some(
            vec![
                FlowStep {
                    message: "may create pods in namespace build".to_owned(),
                    location: at(12),
                },
                FlowStep {
                    message: "is a member of system:authenticated".to_owned(),
                    location: None,
                },
                FlowStep {
                    message: "has full control".to_owned(),
                    location: at(30),
                },
            ]
            .into_boxed_slice(),
        ),
    });
    let log = sarif(&report);
    assert_valid(&log);
    let steps = &log["runs"][0]["results"][0]["codeFlows"][0]["threadFlows"][0]["locations"];
    assert_eq!(steps.as_array().map(Vec::len), Some(3));
    assert_eq!(
        steps[0]["location"]["physicalLocation"]["region"]["startLine"],
        12
    );
    assert!(steps[1]["location"].get("physicalLocation").is_none());
    assert_eq!(
        steps[1]["location"]["message"]["text"],
        "is a member of system:authenticated"
    );
    assert_eq!(
        steps[2]["location"]["physicalLocation"]["region"]["startLine"],
        30
    );
    // Findings without a flow have no codeFlows key at all (their output is unchanged).
    assert!(sarif(&common::report())["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("codeFlows").is_none()));
}

/// The validator is not vacuous: a log our model could never produce is rejected.
#[test]
fn schema_rejects_a_broken_log() {
    let mut log = sarif(&common::report());
    log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(!validator().is_valid(&log));
    let mut log = sarif(&common::report());
    log["runs"][0]["results"][1]["level"] = Value::from("fatal");
    assert!(!validator().is_valid(&log));
    // Formats are checked too (draft 4 knows `uri`, not `uri-reference`).
    let mut log = sarif(&common::report());
    log["runs"][0]["tool"]["driver"]["informationUri"] = Value::from("palisade dot dev");
    assert!(!validator().is_valid(&log));
}

#[test]
fn every_result_points_at_its_rule() {
    let log = sarif(&common::report());
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    // Rules that ran come first, in order; a code no rule declared is appended.
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["PS101", "PS105", "PS110", "IM401", "PS164", "PA902"]);
}

#[test]
fn rules_carry_code_scanning_metadata() {
    let log = sarif(&common::report());
    let rule = &log["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], "PS101");
    assert_eq!(rule["name"], "privileged-container");
    assert_eq!(
        rule["shortDescription"]["text"],
        "A container runs privileged"
    );
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    assert_eq!(rule["properties"]["security-severity"], "9.5");
    assert_eq!(
        rule["properties"]["tags"],
        serde_json::json!(["security", "pod-security", "pod-security-standards"])
    );
    let markdown = rule["help"]["markdown"].as_str().unwrap();
    for heading in [
        "## What it checks",
        "## Why it matters",
        "## Example",
        "## How to fix",
    ] {
        assert!(markdown.contains(heading), "missing {heading}");
    }
}

#[test]
fn results_locate_findings_in_code_points() {
    let log = sarif(&common::report());
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let privileged = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "PS101")
        .unwrap();
    assert_eq!(privileged["level"], "error");
    let physical = &privileged["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "deploy/web.yaml");
    assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        physical["region"],
        serde_json::json!({"startLine": 14, "startColumn": 13, "endLine": 14, "endColumn": 23})
    );
}

#[test]
fn suppressed_findings_are_results_with_a_suppression() {
    let log = sarif(&common::report());
    let results = log["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "PS110");
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "ingress controller needs the host network (OPS-12)"
    );
}

#[test]
fn parse_errors_are_tool_notifications() {
    let log = sarif(&common::report());
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let n = &invocation["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "error");
    assert_eq!(
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        common::BROKEN
    );
    assert_eq!(
        n["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
}

#[test]
fn rules_not_evaluated_are_notes_tied_to_their_rule() {
    let log = sarif(&common::report());
    let run = &log["runs"][0];
    let notes: Vec<&Value> = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["level"] == "note")
        .collect();
    assert_eq!(notes.len(), 2);
    let rule = &notes[0]["associatedRule"];
    assert_eq!(rule["id"], "PS164");
    let index = rule["index"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "PS164");
    let text = notes[0]["message"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("PS164 not evaluated: no Namespace object"),
        "{text}"
    );
    // A code the run does not declare has no index to point at.
    assert_eq!(notes[1]["associatedRule"]["id"], "NP399");
    assert!(notes[1]["associatedRule"].get("index").is_none());
    // Not evaluated is no failure of the tool.
    let mut report = common::report();
    report.problems.clear();
    let log = sarif(&report);
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

#[test]
fn fingerprints_are_unique_and_survive_moved_lines() {
    let report = common::report();
    let before = sarif(&report);
    let prints = |log: &Value| -> Vec<String> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["palisade/v1"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let a = prints(&before);
    let mut unique = a.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), a.len(), "fingerprints collide: {a:?}");

    // Insert a line above everything: positions move, identities must not.
    let mut moved = report.clone();
    for f in &mut moved.findings {
        if let Location::File { pos, end, .. } = &mut f.location {
            pos.line += 1;
            end.line += 1;
        }
    }
    assert_eq!(prints(&sarif(&moved)), a);
}

#[test]
fn repeated_identities_are_numbered() {
    let mut report = common::report();
    let dup = report.findings[3].clone();
    report.findings.insert(4, dup);
    let log = sarif(&report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let a = results[3]["partialFingerprints"]["palisade/v1"]
        .as_str()
        .unwrap();
    let b = results[4]["partialFingerprints"]["palisade/v1"]
        .as_str()
        .unwrap();
    assert_eq!(a[..16], b[..16]);
    assert!(a.ends_with(":1") && b.ends_with(":2"), "{a} {b}");
}

/// A finding whose rule declares a fix gets SARIF `fixes`: the replacements `palisade fix` would
/// make, computed from the file's text (a scalar replaced, a key inserted).
#[test]
fn fixes_are_replacements_in_the_file() {
    use palisade_core::{Fix, FixOp, FixSafety, FixValue};
    let mut report = common::report();
    let c0 = "/spec/template/spec/containers/0";
    for f in &mut report.findings {
        match f.code {
            "PS101" => {
                f.fix = Some(Box::new(Fix::set(
                    FixSafety::Unsafe,
                    "set privileged: false",
                    format!("{c0}/securityContext/privileged"),
                    FixValue::Bool(false),
                )))
            }
            "PS105" => {
                f.fix = Some(Box::new(Fix::safe(
                    "set allowPrivilegeEscalation: false and runAsNonRoot: true",
                    vec![
                        FixOp::Set {
                            pointer: format!("{c0}/securityContext/allowPrivilegeEscalation"),
                            value: FixValue::Bool(false),
                        },
                        FixOp::Set {
                            pointer: format!("{c0}/securityContext/runAsNonRoot"),
                            value: FixValue::Bool(true),
                        },
                    ],
                )))
            }
            _ => {}
        }
    }
    let files = std::collections::HashMap::from([(common::WEB, common::WEB_YAML)]);
    let options = RenderOptions::default()
        .with_tool(common::tool())
        .with_source(&files);
    let mut out = Vec::new();
    render(Format::Sarif, &report, &options, &mut out).unwrap();
    let log: Value = serde_json::from_slice(&out).unwrap();
    assert_valid(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let fixes = |code: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == code)
            .map(|r| r["fixes"].clone())
            .unwrap()
    };
    let privileged = fixes("PS101");
    assert_eq!(
        privileged[0]["description"]["text"],
        "set privileged: false (unsafe)"
    );
    let change = &privileged[0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], common::WEB);
    assert_eq!(
        change["replacements"][0],
        serde_json::json!({
            "deletedRegion": {"startLine": 14, "startColumn": 25, "endLine": 14, "endColumn": 29},
            "insertedContent": {"text": "false"}
        })
    );
    let escalation = fixes("PS105");
    let replacements = escalation[0]["artifactChanges"][0]["replacements"]
        .as_array()
        .unwrap();
    assert_eq!(replacements.len(), 2);
    // An insertion: an empty region at the start of the line after the mapping's last key.
    assert_eq!(
        replacements[1],
        serde_json::json!({
            "deletedRegion": {"startLine": 16, "startColumn": 1, "endLine": 16, "endColumn": 1},
            "insertedContent": {"text": "            runAsNonRoot: true\n"}
        })
    );
    // Without the text there is nothing to replace in: no fixes, still valid.
    let plain = sarif(&report);
    assert!(plain["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("fixes").is_none()));
}

#[test]
fn a_baseline_gives_every_result_a_baseline_state() {
    let mut report = common::report();
    // Without a baseline, no result claims a state.
    let log = sarif(&report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r.get("baselineState").is_none()));

    // A baseline holding the first finding only.
    let mut baseline = palisade_core::baseline::Baseline::new("base.json");
    baseline.insert(palisade_core::baseline::Fingerprint::of(
        &report.findings[0],
    ));
    baseline.apply(&mut report);
    let log = sarif(&report);
    assert_valid(&log);
    let states: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    let mut expected = vec!["new"; report.findings.len()];
    expected[0] = "unchanged";
    assert_eq!(states, expected);
}

#[test]
fn notes_are_note_notifications_and_the_run_still_succeeds() {
    let mut report = common::report();
    report.problems.clear();
    report.notes.push(palisade_core::report::InputProblem {
        path: "app/ns.yaml".into(),
        pos: Some(palisade_core::yaml::Pos { line: 1, col: 1 }),
        message: "Namespace shop is given again at bundle/ns.yaml:1:1".to_owned(),
    });
    let log = sarif(&report);
    assert_valid(&log);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let notes: Vec<&Value> = invocation["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["message"]["text"]
                .as_str()
                .unwrap()
                .contains("given again")
        })
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "note");
}
