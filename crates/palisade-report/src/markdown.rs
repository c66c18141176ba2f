//! Markdown for pull-request comments and CI job summaries (`--format markdown`): the verdict,
//! the guide scorecard, the counts and the most severe findings with links (`file#Lline`).
//!
//! GitHub refuses comments over 65,536 characters, so the document is written against that
//! budget: the scorecard and counts always fit, findings are added most severe first while they
//! fit, and a last line says how many were left out. Text from manifests is escaped so a name
//! cannot close a table cell, open a link or inject HTML.

use std::fmt::Write as _;
use std::io::{self, Write};

use palisade_core::finding::Finding;
use palisade_core::report::ScanReport;
use palisade_core::Severity;

use crate::scorecard::{Scorecard, Status};
use crate::{severity_count, Reporter};

/// GitHub's limit for an issue or pull-request comment, in characters (kept in bytes here).
pub const COMMENT_LIMIT: usize = 65_536;

/// Writes the Markdown report within `limit` characters.
#[derive(Clone, Debug)]
pub struct MarkdownReporter {
    limit: usize,
}

impl Default for MarkdownReporter {
    fn default() -> Self {
        MarkdownReporter {
            limit: COMMENT_LIMIT,
        }
    }
}

impl MarkdownReporter {
    /// A reporter with another character budget (tests; other hosts' limits).
    pub fn with_limit(limit: usize) -> Self {
        MarkdownReporter { limit }
    }
}

impl Reporter for MarkdownReporter {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(markdown(report, self.limit).as_bytes())
    }
}

fn markdown(report: &ScanReport, limit: usize) -> String {
    let card = Scorecard::of(report);
    let mut s = String::new();
    s.push_str("## Palisade: Kubernetes security against the guide\n\n");
    s.push_str(&format!("**{}**", verdict(report)));
    if !card.sources.is_empty() {
        let sources: Vec<String> = card
            .sources
            .iter()
            .map(|(k, n)| format!("{} {}", k.as_str(), code_span(n)))
            .collect();
        let _ = write!(s, " · {}", sources.join(", "));
    }
    s.push_str("\n\n");
    let _ = writeln!(
        s,
        "Findings: {} critical, {} high, {} medium, {} low · {} suppressed · {} baselined · {} input errors\n",
        severity_count(report, Severity::Critical),
        severity_count(report, Severity::High),
        severity_count(report, Severity::Medium),
        severity_count(report, Severity::Low),
        report.suppressed(),
        report.baselined(),
        report.problems.len()
    );
    s.push_str("### Guide scorecard\n\n| | Section | Severity | Status | Findings | Why |\n|---|---|---|---|---|---|\n");
    for row in &card.rows {
        let mark = match row.status {
            Status::Fails => "❌",
            Status::Holds => "✅",
            Status::NotEvaluated => "❔",
            Status::NotApplicable => "➖",
        };
        let _ = writeln!(
            s,
            "| {mark} | {} | {} {} | {} | {} | {} |",
            cell(&row.section),
            row.severity.emoji(),
            row.severity,
            if row.status == Status::Fails {
                "**fails**"
            } else {
                row.status.as_str()
            },
            row.counts_text(),
            cell(row.reason.as_deref().unwrap_or(""))
        );
    }
    s.push('\n');

    let mut open: Vec<&Finding> = report.open().collect();
    open.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.sort_key().cmp(&b.sort_key()))
    });
    if open.is_empty() {
        return s;
    }
    s.push_str("### Findings, most severe first\n\n| Severity | Rule | Where | Object | Message |\n|---|---|---|---|---|\n");
    // Room for the note that says how many were left out.
    let reserve = 200;
    // Counted in bytes, never fewer than characters: the limit holds however it is counted.
    let mut used = s.len();
    let mut shown = 0;
    for f in &open {
        let line = finding_row(f);
        let n = line.len();
        if used + n + reserve > limit {
            break;
        }
        s.push_str(&line);
        used += n;
        shown += 1;
    }
    if shown < open.len() {
        let _ = writeln!(
            s,
            "\n_{} more findings not shown (comment size limit); the full list: `palisade report REPORT.json --format html`._",
            open.len() - shown
        );
    }
    s
}

fn finding_row(f: &Finding) -> String {
    let place = match (f.location.path(), f.location.pos()) {
        (Some(path), Some(pos)) => format!(
            "[{}]({}#L{})",
            cell(&format!("{path}:{}", pos.line)),
            link_target(path),
            pos.line
        ),
        (Some(path), None) => cell(path),
        (None, _) => cell(f.location.pointer().unwrap_or("")),
    };
    let object = f
        .object
        .as_ref()
        .map(|o| cell(&o.to_string()))
        .unwrap_or_default();
    format!(
        "| {} {} | `{}` {} | {} | {} | {} |\n",
        f.severity.emoji(),
        f.severity,
        cell(f.code).replace('`', ""),
        cell(f.rule),
        place,
        object,
        cell(&f.message)
    )
}

fn verdict(report: &ScanReport) -> String {
    let failing = report.failing();
    match (report.fail_on, failing, report.problems.len()) {
        (_, _, p) if p > 0 => format!("Failed: {p} input error(s)"),
        (Some(t), n, _) if n > 0 => format!("Failed: {n} finding(s) at or above {t}"),
        (Some(t), _, _) => format!("Passed: no findings at or above {t}"),
        (None, _, _) => "Findings are reported, none fails the run".to_owned(),
    }
}

/// A table cell: no line breaks, no `|`, and Markdown and HTML punctuation escaped.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A source name in a code span (backticks inside are dropped: a span cannot escape them).
fn code_span(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| *c != '`' && !c.is_control())
        .collect();
    format!("`{clean}`")
}

/// A relative link target: percent-encoded so spaces and parentheses cannot end it.
fn link_target(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, &LINK).to_string()
}

const LINK: percent_encoding::AsciiSet = percent_encoding::CONTROLS
    .add(b' ')
    .add(b'(')
    .add(b')')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b']')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'`')
    .add(b'|')
    .add(b'\\');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        let c = cell("a|b<script>x</script>\n[link](http://e)");
        assert!(!c.contains('\n'));
        assert!(!c.contains("<script"));
        assert!(c.contains("a\\|b"));
        assert!(c.contains("\\[link\\]\\(http://e\\)"));
    }

    #[test]
    fn link_targets_keep_their_parentheses_encoded() {
        assert_eq!(link_target("a b/(x).yaml"), "a%20b/%28x%29.yaml");
    }
}

#[cfg(test)]
mod budget {
    use std::sync::Arc;

    use palisade_core::finding::{Finding, Location};
    use palisade_core::yaml::Pos;

    use super::*;

    #[test]
    fn long_reports_are_cut_to_the_budget_with_a_note() {
        let findings: Vec<Finding> = (0..5000)
            .map(|i| Finding {
                code: "PS101",
                rule: "privileged-container",
                severity: Severity::Critical,
                pss_check: None,
                location: Location::File {
                    path: Arc::from(format!("deploy/app-{i}.yaml")),
                    pos: Pos { line: 3, col: 5 },
                    end: Pos { line: 3, col: 9 },
                    pointer: "/spec".to_owned(),
                },
                object: None,
                container: None,
                related: None,
                message: "container \"app\" runs privileged".into(),
                help: "",
                suppressed: None,
                baselined: false,
                fix: None,
                flow: None,
            })
            .collect();
        let report = ScanReport {
            findings,
            ..ScanReport::default()
        };
        let md = markdown(&report, COMMENT_LIMIT);
        let n = md.len();
        assert!(n <= COMMENT_LIMIT, "{n} bytes");
        assert!(n > COMMENT_LIMIT - 1000, "the budget is used: {n}");
        assert!(md.contains("more findings not shown"));
        assert!(md.contains("(deploy/app-0.yaml#L3)"));
    }
}
