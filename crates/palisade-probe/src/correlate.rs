//! Ties what the probe saw to the configuration that should have prevented it: the findings of a
//! node audit (`palisade node --format json`, saved) about the setting behind each probe rule.
//! "10255 answers on 10.0.0.5" becomes "… — the node audit agrees: KL603 kubelet serves
//! unauthenticated read-only port 10255 (readOnlyPort=10255 (/var/lib/kubelet/config.yaml:24))".

use std::net::IpAddr;

use palisade_core::Finding;

use crate::target::Resolver;
use crate::ProbeError;

/// Largest node report read.
pub const MAX_REPORT_BYTES: u64 = 64 << 20;
/// Node findings quoted in one probe finding.
const QUOTED: usize = 3;

/// The node rules whose findings explain a probe rule's finding.
pub fn node_rules(probe_code: &str) -> &'static [&'static str] {
    match probe_code {
        // The API server answering anonymously: anonymous auth, authorization mode.
        "EX701" => &["CP502", "CP501"],
        // The kubelet answering anonymously: anonymous auth, authorization mode.
        "EX702" => &["KL601", "KL602"],
        "EX703" => &["KL603"],
        "EX706" => &["CP515"],
        "EX708" => &["CP503", "CP518"],
        // The controller manager / scheduler bound beyond loopback.
        "EX712" | "EX713" => &["CP514"],
        "EX709" => &["KL605"],
        _ => &[],
    }
}

/// One finding of a node report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeFinding {
    pub code: String,
    pub file: Option<String>,
    pub line: Option<u64>,
    pub message: String,
}

/// A node audit (saved, or run in this invocation), and the host it is about (`--node-report HOST=FILE`), or every probed host
/// when none is given.
#[derive(Clone, Debug)]
pub struct NodeReport {
    /// The report file, or what was audited (`--root /mnt/node1`).
    pub path: String,
    pub host: Option<IpAddr>,
    pub findings: Vec<NodeFinding>,
}

/// Splits `HOST=REST` (an address, or a name resolved with `resolver`) from `REST` alone. A `=`
/// after a `/` is part of a path, not a host.
pub fn split_host<'a>(
    spec: &'a str,
    resolver: &dyn Resolver,
) -> Result<(Option<IpAddr>, &'a str), String> {
    match spec.split_once('=') {
        Some((h, rest)) if !h.contains('/') && !h.is_empty() => {
            let ip = match h.parse::<IpAddr>() {
                Ok(ip) => ip,
                Err(_) => resolver
                    .resolve(h)
                    .ok()
                    .and_then(|a| a.first().copied())
                    .ok_or_else(|| format!("cannot resolve the host `{h}`"))?,
            };
            Ok((Some(ip), rest))
        }
        _ => Ok((None, spec)),
    }
}

/// Reads `[HOST=]FILE`: a Palisade JSON report (`palisade node --format json`).
pub fn load(spec: &str, resolver: &dyn Resolver) -> Result<NodeReport, ProbeError> {
    let (host, path) = split_host(spec, resolver).map_err(|reason| ProbeError::NodeReport {
        path: spec.to_owned(),
        reason,
    })?;
    let err = |reason: String| ProbeError::NodeReport {
        path: path.to_owned(),
        reason,
    };
    let text = palisade_core::source::read_bounded(std::path::Path::new(path), MAX_REPORT_BYTES)
        .map_err(|e| err(e.to_string()))?;
    let findings = parse(&text).map_err(err)?;
    Ok(NodeReport {
        path: path.to_owned(),
        host,
        findings,
    })
}

/// A node audit run in this invocation (`--node-root`), named `label`.
pub fn from_findings(label: String, host: Option<IpAddr>, findings: &[Finding]) -> NodeReport {
    NodeReport {
        path: label,
        host,
        findings: findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .map(|f| NodeFinding {
                code: f.code.to_owned(),
                file: f.location.path().map(str::to_owned),
                line: f.location.pos().map(|p| u64::from(p.line)),
                message: f.message.to_string(),
            })
            .collect(),
    }
}

/// The findings of a JSON report (schema version 1, docs/json-schema.md).
pub fn parse(text: &[u8]) -> Result<Vec<NodeFinding>, String> {
    let doc: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| format!("not a JSON report: {e}"))?;
    match doc.get("schema_version").and_then(|v| v.as_u64()) {
        Some(1) => {}
        Some(v) => return Err(format!("report schema version {v}, expected 1")),
        None => {
            return Err(
                "not a Palisade JSON report (no schema_version); write one with \
                 `palisade node --format json > node.json`"
                    .into(),
            )
        }
    }
    let list = doc
        .get("findings")
        .and_then(|f| f.as_array())
        .ok_or("the report has no findings array")?;
    Ok(list
        .iter()
        .filter(|f| f.get("suppressed").and_then(|s| s.as_bool()) != Some(true))
        .filter_map(|f| {
            Some(NodeFinding {
                code: f.get("code")?.as_str()?.to_owned(),
                file: f.get("file").and_then(|v| v.as_str()).map(str::to_owned),
                line: f.get("line").and_then(|v| v.as_u64()),
                message: f.get("message")?.as_str()?.to_owned(),
            })
        })
        .collect())
}

/// What the node reports that apply to `ip` say about the setting behind `probe_code`, as text
/// to append to the probe finding's message; `None` when no report applies or the rule has no
/// node counterpart.
pub fn annotate(probe_code: &str, ip: IpAddr, reports: &[NodeReport]) -> Option<String> {
    let codes = node_rules(probe_code);
    if codes.is_empty() {
        return None;
    }
    let mut notes = Vec::new();
    for r in reports.iter().filter(|r| r.host.is_none_or(|h| h == ip)) {
        let matching: Vec<&NodeFinding> = r
            .findings
            .iter()
            .filter(|f| codes.contains(&f.code.as_str()))
            .collect();
        if matching.is_empty() {
            notes.push(format!(
                "the node audit ({}) has no {} finding: another process may serve the port, or \
                 the report is from another node",
                r.path,
                codes.join("/")
            ));
            continue;
        }
        let quoted: Vec<String> = matching
            .iter()
            .take(QUOTED)
            .map(|f| {
                let at = match (&f.file, f.line) {
                    (Some(file), Some(line)) => format!(" [{file}:{line}]"),
                    (Some(file), None) => format!(" [{file}]"),
                    _ => String::new(),
                };
                format!("{} {}{at}", f.code, f.message)
            })
            .collect();
        let more = match matching.len().saturating_sub(QUOTED) {
            0 => String::new(),
            n => format!(" (and {n} more)"),
        };
        notes.push(format!(
            "the node audit ({}) agrees: {}{more}",
            r.path,
            quoted.join("; ")
        ));
    }
    (!notes.is_empty()).then(|| format!(" — {}", notes.join(" — ")))
}

/// Reads every `--node-report` given.
pub fn load_all(specs: &[String], resolver: &dyn Resolver) -> Result<Vec<NodeReport>, ProbeError> {
    specs.iter().map(|s| load(s, resolver)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{"schema_version":1,"findings":[
        {"code":"KL603","file":"/var/lib/kubelet/config.yaml","line":12,"message":"kubelet serves unauthenticated read-only port 10255 (readOnlyPort=10255 (/var/lib/kubelet/config.yaml:12))","suppressed":false},
        {"code":"KL601","file":"/var/lib/kubelet/config.yaml","line":4,"message":"kubelet accepts anonymous requests","suppressed":true}
    ]}"#;

    fn report(host: Option<&str>) -> NodeReport {
        NodeReport {
            path: "node.json".into(),
            host: host.map(|h| h.parse().unwrap()),
            findings: parse(REPORT.as_bytes()).unwrap(),
        }
    }

    #[test]
    fn quotes_the_setting_and_where_it_is() {
        let ip: IpAddr = "10.0.0.5".parse().unwrap();
        let note = annotate("EX703", ip, &[report(None)]).unwrap();
        assert_eq!(
            note,
            " — the node audit (node.json) agrees: KL603 kubelet serves unauthenticated read-only \
             port 10255 (readOnlyPort=10255 (/var/lib/kubelet/config.yaml:12)) \
             [/var/lib/kubelet/config.yaml:12]"
        );
        // Suppressed node findings do not count; a report with no such finding says so.
        let note = annotate("EX702", ip, &[report(None)]).unwrap();
        assert!(note.contains("has no KL601/KL602 finding"), "{note}");
        // A report about another host does not apply; rules without a node side get nothing.
        assert_eq!(annotate("EX703", ip, &[report(Some("10.0.0.6"))]), None);
        assert!(annotate("EX703", ip, &[report(Some("10.0.0.5"))]).is_some());
        assert_eq!(annotate("EX715", ip, &[report(None)]), None);
    }

    #[test]
    fn a_report_without_a_size_is_read_only_up_to_the_limit() {
        let zero = "/dev/zero";
        if !std::path::Path::new(zero).exists() {
            eprintln!("skipped: no /dev/zero");
            return;
        }
        let err = load(zero, &crate::target::SystemResolver).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--node-report /dev/zero: over the 67108864-byte limit"
        );
    }

    #[test]
    fn bad_reports_are_errors() {
        assert!(parse(b"[]").unwrap_err().contains("no schema_version"));
        assert!(parse(b"{\"schema_version\":2}")
            .unwrap_err()
            .contains("version 2"));
        assert!(parse(b"nope").unwrap_err().contains("not a JSON report"));
    }
}
