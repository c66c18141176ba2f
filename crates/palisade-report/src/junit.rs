//! JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines, …).
//!
//! Mapping: one test suite per input file; one test case per finding. A finding at or above the
//! run's `--fail-on` threshold is a *failure*; one below it is a passing case that carries its
//! message (the build passes, so the report must not show red); a suppressed one is *skipped* with
//! the reason. A file that could not be read or parsed gets an *error* case. A file with nothing to
//! say gets one passing case, so every scanned file appears. The XML itself is written by
//! `quick-junit` (the crate cargo-nextest uses), which handles escaping and the schema.

use std::collections::BTreeMap;
use std::io::{self, Write};

use palisade_core::report::ScanReport;
use palisade_core::Finding;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::Reporter;

/// Renders a report as JUnit XML.
#[derive(Clone, Debug, Default)]
pub struct JunitReporter;

impl Reporter for JunitReporter {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
        to_junit(report)
            .serialize(out)
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

/// Builds the JUnit document.
pub fn to_junit(report: &ScanReport) -> Report {
    // Files in path order; findings without a file (cluster objects) under their source.
    let mut by_file: BTreeMap<String, (Vec<&Finding>, Vec<String>)> = BTreeMap::new();
    for f in &report.findings {
        let key = f
            .location
            .path()
            .map(str::to_owned)
            .unwrap_or_else(|| f.location.to_string());
        by_file.entry(key).or_default().0.push(f);
    }
    for p in &report.problems {
        let at = p.pos.map(|pos| format!(":{pos}")).unwrap_or_default();
        by_file
            .entry(p.path.to_string())
            .or_default()
            .1
            .push(format!("{}{at}: {}", p.path, p.message));
    }

    let mut junit = Report::new("palisade");
    for (file, (findings, problems)) in by_file {
        let mut suite = TestSuite::new(file.as_str());
        for message in problems {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(message.as_str()).set_type("input error");
            suite.add_test_case(TestCase::new("read and parse", status));
        }
        for f in findings {
            suite.add_test_case(case(report, f));
        }
        if suite.test_cases.is_empty() {
            suite.add_test_case(TestCase::new("no findings", TestCaseStatus::success()));
        }
        junit.add_test_suite(suite);
    }
    junit
}

fn case(report: &ScanReport, f: &Finding) -> TestCase {
    let pos = f
        .location
        .pos()
        .map(|p| format!(" at {p}"))
        .unwrap_or_default();
    let name = format!("{} {}{pos}", f.code, f.rule);
    let failing =
        f.suppressed.is_none() && !f.baselined && report.fail_on.is_some_and(|t| f.severity >= t);
    let detail = format!(
        "{}: {} {} {}: {}\nhelp: {}",
        f.location, f.severity, f.code, f.rule, f.message, f.help
    );
    let status = match (&f.suppressed, failing) {
        (Some(reason), _) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("suppressed: {reason}"));
            s
        }
        (None, _) if f.baselined => {
            let mut s = TestCaseStatus::skipped();
            s.set_message("baselined: already in the baseline");
            s
        }
        (None, true) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(&*f.message)
                .set_type(f.severity.as_str())
                .set_description(detail.as_str());
            s
        }
        (None, false) => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(name, status);
    if let Some(o) = &f.object {
        case.set_classname(o.to_string());
    }
    if f.suppressed.is_none() && !f.baselined && !failing {
        case.set_system_out(detail);
    }
    case.add_property(("severity", f.severity.as_str()));
    if let Some(check) = f.pss_check {
        case.add_property(("pss_check", check));
    }
    case
}
