//! JUnit XML and HTML reports: what CI test views and browsers show.

mod common;

use palisade_core::Severity;
use palisade_report::{render, Format, RenderOptions};

fn rendered(format: Format, report: &palisade_core::report::ScanReport) -> String {
    let mut out = Vec::new();
    let options = RenderOptions::default().with_tool(common::tool());
    render(format, report, &options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn junit_maps_findings_to_failures_skips_and_errors() {
    let report = common::report();
    let xml = rendered(Format::Junit, &report);
    assert!(xml.starts_with("<?xml"), "{xml}");
    // fail-on high: the critical privileged finding fails; the suppressed host-network finding is
    // skipped; medium and low findings pass with their message in system-out; the broken file is
    // an error.
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert_eq!(xml.matches("<skipped").count(), 1, "{xml}");
    assert_eq!(xml.matches("<error ").count(), 1, "{xml}");
    assert!(xml.contains("suppressed: ingress controller needs the host network (OPS-12)"));
    assert!(xml.contains("container &quot;app&quot; allows privilege escalation"));
    assert_eq!(
        xml.matches("<testsuite ").count(),
        3,
        "one suite per file: {xml}"
    );

    // A lower threshold turns more findings into failures.
    let mut strict = report.clone();
    strict.fail_on = Some(Severity::Low);
    let xml = rendered(Format::Junit, &strict);
    assert_eq!(xml.matches("<failure ").count(), 4, "{xml}");
}

#[test]
fn junit_lists_clean_files_as_passing() {
    let mut report = common::report();
    report.findings.clear();
    report.problems.clear();
    let xml = rendered(Format::Junit, &report);
    assert!(
        xml.contains(r#"tests="0""#) || !xml.contains("<testsuite "),
        "{xml}"
    );
}

#[test]
fn html_is_one_escaped_page() {
    let mut report = common::report();
    report.findings[0].message = "name <script>alert(1)</script> & more".into();
    let html = rendered(Format::Html, &report);
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        !html.contains("<script>alert(1)"),
        "manifest text must be escaped"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
    // Quotes cannot leave an attribute value (the namespace is in `data-ns` and the filter's
    // `<option value>`), whichever quote the attribute uses.
    let mut quoted = common::report();
    let mut object = (**quoted.findings[0].object.as_ref().expect("object")).clone();
    object.namespace = Some(r#"a" onmouseover="x' onfocus='y"#.to_owned());
    quoted.findings[0].object = Some(object.into());
    let html = rendered(Format::Html, &quoted);
    assert!(!html.contains(r#"" onmouseover=""#) && !html.contains("' onfocus='"));
    assert!(html.contains("a&quot; onmouseover=&quot;x&#39; onfocus=&#39;y"));
    assert!(html.contains("Failed: 1 input error(s)"));
    assert!(html.contains("ingress controller needs the host network (OPS-12)"));
    // Docs of every rule that reported something, linked from the findings.
    assert!(html.contains(r##"href="#PS101""##));
    assert!(html.contains(r#"id="PS101""#));
    assert!(html.contains("What it checks"));
    assert!(
        !html.contains("src=\"http"),
        "self-contained: no external assets"
    );
}

#[test]
fn html_shows_an_attack_paths_steps_escaped() {
    let mut report = common::report();
    let f = &mut report.findings[0];
    f.flow = Some(
        vec![
            palisade_core::FlowStep {
                message: "ServiceAccount ci may create pods in build <b>".to_owned(),
                location: Some(palisade_core::Location::Path {
                    path: std::sync::Arc::from("rbac.yaml"),
                    pos: None,
                }),
            },
            palisade_core::FlowStep {
                message: "a privileged pod owns its node".to_owned(),
                location: None,
            },
        ]
        .into_boxed_slice(),
    );
    let html = rendered(Format::Html, &report);
    assert!(html.contains(r#"<ol class="steps">"#), "{html}");
    assert!(html.contains("ServiceAccount ci may create pods in build &lt;b&gt;"));
    assert!(html.contains("a privileged pod owns its node</li>"));
    assert!(!html.contains("build <b>"));
    assert!(html.contains("rbac.yaml"));
}
