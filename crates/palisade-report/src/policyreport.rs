//! wg-policy reports (`wgpolicyk8s.io/v1alpha2`): a `PolicyReport` per namespace for findings on
//! namespaced objects, and one `ClusterPolicyReport` for the rest (cluster-scoped objects, node
//! and probe findings, rules not evaluated, input errors), as a `v1` `List` that `kubectl apply
//! -f` takes. Policy Reporter, Kyverno's UI and other consumers of the API read them.
//!
//! Each result: `policy` the rule code, `rule` its name, `result` `fail` (open, at or above
//! `--fail-on`), `warn` (open below it, or baselined), `skip` (exempted, or not evaluated),
//! `error` (an input problem); `severity` critical/high/medium/low (`info` for errors), `category`
//! the guide section, `resources` the object, `properties` where it is (`file`, `line`, `column`,
//! `field`, or `provenance` for objects read from a cluster), `message`, `timestamp`, `source`
//! `palisade`. `summary` counts the results of that report.

use std::collections::BTreeMap;
use std::io::{self, Write};

use palisade_core::finding::{Finding, Location};
use palisade_core::report::ScanReport;
use palisade_core::RuleMeta;
use serde_json::{json, Map, Value};

use crate::{Reporter, ToolInfo};

/// The API group and version of the reports.
pub const API_VERSION: &str = "wgpolicyk8s.io/v1alpha2";
/// The name of every report Palisade writes (one per namespace, one cluster report).
pub const REPORT_NAME: &str = "palisade";

/// Writes the reports as a `List`.
#[derive(Clone, Debug)]
pub struct PolicyReportReporter {
    tool: ToolInfo,
    timestamp: i64,
}

impl PolicyReportReporter {
    /// `timestamp`: seconds since the epoch written on every result (the caller's clock, so
    /// output stays a function of the inputs).
    pub fn new(tool: ToolInfo, timestamp: i64) -> Self {
        PolicyReportReporter { tool, timestamp }
    }
}

impl Reporter for PolicyReportReporter {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
        let list = json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": policy_reports(report, &self.tool, self.timestamp, &[]),
        });
        serde_json::to_writer_pretty(&mut *out, &list)?;
        out.write_all(b"\n")
    }
}

/// The reports of `report`: the `ClusterPolicyReport` first (always, so a clean run replaces an
/// older report), then a `PolicyReport` per namespace, sorted. `namespaces` get a report even
/// without results (a live audit passes every namespace it read, so a namespace that became
/// clean has its old report emptied).
pub fn policy_reports(
    report: &ScanReport,
    tool: &ToolInfo,
    timestamp: i64,
    namespaces: &[String],
) -> Vec<Value> {
    let metas: BTreeMap<&str, &RuleMeta> = report.rules.iter().map(|m| (m.code, *m)).collect();
    let mut cluster: Vec<Value> = Vec::new();
    let mut by_namespace: BTreeMap<String, Vec<Value>> =
        namespaces.iter().map(|n| (n.clone(), Vec::new())).collect();
    let stamp = json!({ "seconds": timestamp, "nanos": 0 });
    for f in &report.findings {
        let result = finding_result(f, report, metas.get(f.code).copied(), &stamp);
        match f
            .object
            .as_ref()
            .and_then(|o| o.namespace.as_deref())
            .filter(|n| !n.is_empty())
        {
            Some(ns) => by_namespace.entry(ns.to_owned()).or_default().push(result),
            None => cluster.push(result),
        }
    }
    for n in &report.not_evaluated {
        let meta = metas.get(n.code).copied();
        cluster.push(json!({
            "source": "palisade",
            "policy": n.code,
            "rule": meta.map_or(n.code, |m| m.name),
            "category": meta.map_or("", |m| m.guide),
            "severity": meta.map_or("info", |m| m.severity.as_str()),
            "result": "skip",
            "scored": false,
            "message": format!("not evaluated: {}", n.reason),
            "properties": { "notEvaluated": "true" },
            "timestamp": stamp,
        }));
    }
    for p in &report.problems {
        let mut properties = Map::new();
        properties.insert("file".into(), Value::from(&*p.path));
        if let Some(pos) = p.pos {
            properties.insert("line".into(), Value::from(pos.line.to_string()));
            properties.insert("column".into(), Value::from(pos.col.to_string()));
        }
        cluster.push(json!({
            "source": "palisade",
            "policy": "input",
            "rule": "input-error",
            "category": "input",
            "severity": "info",
            "result": "error",
            "scored": false,
            "message": p.message,
            "properties": properties,
            "timestamp": stamp,
        }));
    }
    let mut out = vec![object("ClusterPolicyReport", None, cluster, tool)];
    for (ns, results) in by_namespace {
        out.push(object("PolicyReport", Some(&ns), results, tool));
    }
    out
}

fn object(kind: &str, namespace: Option<&str>, results: Vec<Value>, tool: &ToolInfo) -> Value {
    let mut summary = BTreeMap::from([
        ("pass", 0u64),
        ("fail", 0),
        ("warn", 0),
        ("error", 0),
        ("skip", 0),
    ]);
    for r in &results {
        if let Some(n) = r["result"].as_str().and_then(|k| summary.get_mut(k)) {
            *n += 1;
        }
    }
    let mut metadata = json!({
        "name": REPORT_NAME,
        "labels": {
            "app.kubernetes.io/managed-by": "palisade",
            "app.kubernetes.io/version": tool.version,
        },
    });
    if let Some(ns) = namespace {
        metadata["namespace"] = Value::from(ns);
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": metadata,
        "summary": summary,
        "results": results,
    })
}

fn finding_result(
    f: &Finding,
    report: &ScanReport,
    meta: Option<&RuleMeta>,
    stamp: &Value,
) -> Value {
    let result = if f.suppressed.is_some() {
        "skip"
    } else if f.baselined {
        "warn"
    } else if report.fail_on.is_some_and(|t| f.severity >= t) {
        "fail"
    } else {
        "warn"
    };
    let mut properties = Map::new();
    match &f.location {
        Location::File {
            path, pos, pointer, ..
        } => {
            properties.insert("file".into(), Value::from(&**path));
            properties.insert("line".into(), Value::from(pos.line.to_string()));
            properties.insert("column".into(), Value::from(pos.col.to_string()));
            if !pointer.is_empty() {
                properties.insert("field".into(), Value::from(pointer.as_str()));
            }
        }
        Location::Path { path, pos } => {
            properties.insert("file".into(), Value::from(&**path));
            if let Some(pos) = pos {
                properties.insert("line".into(), Value::from(pos.line.to_string()));
                properties.insert("column".into(), Value::from(pos.col.to_string()));
            }
        }
        Location::Object { source, pointer } => {
            properties.insert("provenance".into(), Value::from(&**source));
            if !pointer.is_empty() {
                properties.insert("field".into(), Value::from(pointer.as_str()));
            }
        }
    }
    if let Some(c) = &f.container {
        properties.insert("container".into(), Value::from(&**c));
    }
    if let Some(reason) = &f.suppressed {
        properties.insert("exemption".into(), Value::from(&**reason));
    }
    if f.baselined {
        properties.insert("baselined".into(), Value::from("true"));
    }
    if let Some(check) = f.pss_check {
        properties.insert("pssCheck".into(), Value::from(check));
    }
    if !f.help.is_empty() {
        properties.insert("help".into(), Value::from(f.help));
    }
    let mut r = json!({
        "source": "palisade",
        "policy": f.code,
        "rule": f.rule,
        "category": meta.map_or("", |m| m.guide),
        "severity": f.severity.as_str(),
        "result": result,
        "scored": true,
        "message": f.message,
        "properties": properties,
        "timestamp": stamp,
    });
    if let Some(o) = &f.object {
        let mut res = json!({ "apiVersion": o.api_version, "kind": o.kind });
        if let Some(n) = &o.name {
            res["name"] = Value::from(n.as_str());
        }
        if let Some(ns) = o.namespace.as_deref().filter(|n| !n.is_empty()) {
            res["namespace"] = Value::from(ns);
        }
        r["resources"] = json!([res]);
    }
    r
}
