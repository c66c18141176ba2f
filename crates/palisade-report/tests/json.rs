//! The JSON report and its documentation (`docs/json-schema.md`) agree field for field.

mod common;

use std::collections::BTreeSet;

use palisade_report::{render, Format, RenderOptions, SCHEMA_VERSION};
use serde_json::Value;

const DOC: &str = include_str!("../../../docs/json-schema.md");

fn json() -> Value {
    let mut out = Vec::new();
    let mut report = common::report();
    report.evidence.sources.push(palisade_core::report::Source {
        kind: palisade_core::report::SourceKind::Files,
        name: "deploy/".to_owned(),
    });
    render(Format::Json, &report, &RenderOptions::default(), &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// Field names in the table under `## {section}` of the doc.
fn documented(section: &str) -> BTreeSet<String> {
    let start = DOC
        .find(&format!("\n## {section}\n"))
        .unwrap_or_else(|| panic!("no section {section}"));
    DOC[start + 1..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn every_field_is_documented_and_every_documented_field_exists() {
    let v = json();
    assert_eq!(keys(&v), documented("Top level"));
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(keys(f), documented("finding"));
    }
    assert_eq!(keys(&v["errors"][0]), documented("error"));
    assert_eq!(keys(&v["summary"]), documented("summary"));
    for n in v["summary"]["not_evaluated"].as_array().unwrap() {
        assert_eq!(keys(n), documented("not_evaluated"));
    }
    let guide = &v["summary"]["guide"];
    assert_eq!(keys(guide), documented("guide"));
    for s in guide["sections"].as_array().unwrap() {
        assert_eq!(keys(s), documented("guide section"));
        for r in s["rules"].as_array().unwrap() {
            assert_eq!(keys(r), documented("guide rule"));
        }
    }
    for s in guide["sources"].as_array().unwrap() {
        assert_eq!(keys(s), documented("guide source"));
    }
}

#[test]
fn not_evaluated_rules_are_listed_with_their_names() {
    let v = json();
    let n = v["summary"]["not_evaluated"].as_array().unwrap();
    assert_eq!(n.len(), 2);
    assert_eq!(n[0]["code"], "PS164");
    assert_eq!(n[0]["rule"], "workload-rejected-by-pod-security");
    assert!(n[0]["reason"].as_str().unwrap().contains("\"prod\""));
    assert_eq!(n[1]["code"], "NP399");
    assert_eq!(n[1]["rule"], Value::Null);
}

#[test]
fn doc_example_has_the_real_shape() {
    let start = DOC.find("```json\n").unwrap() + "```json\n".len();
    let end = start + DOC[start..].find("```").unwrap();
    let example: Value = serde_json::from_str(&DOC[start..end]).expect("example is JSON");
    let v = json();
    assert_eq!(keys(&example), keys(&v));
    assert_eq!(keys(&example["findings"][0]), keys(&v["findings"][0]));
    assert_eq!(keys(&example["errors"][0]), keys(&v["errors"][0]));
    assert_eq!(keys(&example["summary"]), keys(&v["summary"]));
    assert_eq!(
        keys(&example["summary"]["counts"]),
        keys(&v["summary"]["counts"])
    );
    assert_eq!(
        keys(&example["summary"]["not_evaluated"][0]),
        keys(&v["summary"]["not_evaluated"][0])
    );
    assert_eq!(
        keys(&example["summary"]["guide"]["sections"][0]),
        keys(&v["summary"]["guide"]["sections"][0])
    );
    assert_eq!(
        keys(&example["summary"]["guide"]["sections"][0]["rules"][0]),
        keys(&v["summary"]["guide"]["sections"][0]["rules"][0])
    );
    assert_eq!(example["schema_version"], SCHEMA_VERSION);
}

#[test]
fn summary_counts_exclude_suppressed_findings() {
    let v = json();
    let s = &v["summary"];
    assert_eq!(
        s["counts"],
        serde_json::json!({"critical": 1, "high": 0, "medium": 2, "low": 1})
    );
    assert_eq!(s["suppressed"], 1);
    assert_eq!(s["failing"], 1);
    let suppressed: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] == true)
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["severity"], "high");
    assert!(suppressed[0]["suppression_reason"].is_string());
}
