//! Saved JSON reports read back (`palisade report`, `palisade diff`): what is read renders as
//! it was written, and merged reports count each finding once.

mod common;

use palisade_report::read::{merge, read_report, ReadError};
use palisade_report::{render, Format, RenderOptions};
use serde_json::Value;

fn json_of(report: &palisade_core::report::ScanReport) -> Value {
    let mut out = Vec::new();
    render(Format::Json, report, &RenderOptions::default(), &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn saved() -> Vec<u8> {
    let mut out = Vec::new();
    render(
        Format::Json,
        &common::report(),
        &RenderOptions::default(),
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn a_saved_report_reads_back_as_written() {
    let first: Value = serde_json::from_slice(&saved()).unwrap();
    let read = read_report(&saved(), "saved.json").unwrap();
    let again = json_of(&read);
    assert_eq!(again["findings"], first["findings"]);
    assert_eq!(again["errors"], first["errors"]);
    assert_eq!(again["summary"]["counts"], first["summary"]["counts"]);
    assert_eq!(
        again["summary"]["suppressed"],
        first["summary"]["suppressed"]
    );
    assert_eq!(
        again["summary"]["not_evaluated"].as_array().unwrap().len(),
        first["summary"]["not_evaluated"].as_array().unwrap().len()
    );
    // The scorecard's rule states are what the saved one said.
    assert_eq!(again["summary"]["guide"], first["summary"]["guide"]);
}

#[test]
fn merging_counts_each_finding_once_and_keeps_true_duplicates() {
    let one = read_report(&saved(), "a.json").unwrap();
    let n = one.findings.len();
    let merged = merge(vec![one.clone(), read_report(&saved(), "b.json").unwrap()]);
    assert_eq!(merged.findings.len(), n);
    // Two identical findings in one report are two problems; another report with one copy
    // adds nothing.
    let mut doubled = one.clone();
    doubled.findings.push(one.findings[0].clone());
    let merged = merge(vec![doubled, one]);
    assert_eq!(merged.findings.len(), n + 1);
}

#[test]
fn other_schemas_and_garbage_are_refused() {
    let mut v: Value = serde_json::from_slice(&saved()).unwrap();
    v["schema_version"] = Value::from(2);
    let text = serde_json::to_vec(&v).unwrap();
    assert!(matches!(
        read_report(&text, "x.json"),
        Err(ReadError::Schema { found: 2 })
    ));
    assert!(matches!(
        read_report(b"{\"schema_version\": 1", "x.json"),
        Err(ReadError::Invalid(_))
    ));
    let mut bad: Value = serde_json::from_slice(&saved()).unwrap();
    bad["findings"][0]["severity"] = Value::from("urgent");
    assert!(matches!(
        read_report(&serde_json::to_vec(&bad).unwrap(), "x.json"),
        Err(ReadError::Severity(_))
    ));
}
