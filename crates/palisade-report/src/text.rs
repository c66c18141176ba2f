//! The text report, for people at a terminal or reading a CI log.
//!
//! Layout, per file in path order (input errors first, then findings by position):
//!
//! ```text
//! deploy/web.yaml:12:9  💥 critical  PS101 privileged-container  container "app" runs privileged
//!   in Deployment prod/web
//!   11 |       securityContext:
//!   12 |         privileged: true
//!      |         ^^^^^^^^^^
//!   help: remove `securityContext.privileged: true`
//! ```
//!
//! then one summary block. The location comes first and bare so terminals and editors can jump
//! to it. Suppressed findings get two dimmed lines (what, and why it is suppressed) and no frame:
//! they are shown because an exemption should stay visible, but compactly because nobody has to
//! act on them.
//!
//! Code frames use a small renderer of our own rather than `annotate-snippets`: the frame is one
//! line of context, the line and a caret, which is a few dozen lines of code, and we need control
//! over two things such a crate does not give us: escaping terminal control characters (manifest
//! text is untrusted; an ESC in a container name must not reach the terminal as an escape
//! sequence) and cropping very long lines (minified JSON manifests are a single line).
//!
//! Everything taken from the input (paths, messages, object names, reasons, source lines) goes
//! through [`clean`], for the same reason.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use palisade_core::finding::{Finding, Location};
use palisade_core::report::{InputProblem, ScanReport};
use palisade_core::yaml::Pos;
use palisade_core::Severity;

use crate::scorecard::Status;
use crate::{severity_count, Reporter, SourceText};

/// Writes the text report.
#[derive(Clone, Copy)]
pub struct TextReporter<'a> {
    color: bool,
    source: Option<&'a dyn SourceText>,
}

impl<'a> TextReporter<'a> {
    pub fn new(color: bool, source: Option<&'a dyn SourceText>) -> Self {
        TextReporter { color, source }
    }
}

impl Reporter for TextReporter<'_> {
    fn render(&self, report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
        // Built in memory and written once: the report is small next to the scan, and one write
        // keeps parallel writers (several `--output`s to one pipe) from interleaving lines.
        let mut s = String::new();
        let paint = Paint(self.color);
        for (group, items) in groups(report) {
            let lines = self
                .source
                .and_then(|src| src.text(group))
                .map(LineIndex::new);
            for p in &items.problems {
                input_line(&mut s, paint, p, ERROR);
                s.push('\n');
            }
            for f in &items.findings {
                if f.suppressed.is_some() || f.baselined {
                    suppressed(&mut s, paint, f);
                } else {
                    finding(&mut s, paint, f, lines.as_ref());
                }
                s.push('\n');
            }
        }
        for n in &report.notes {
            input_line(&mut s, paint, n, NOTE);
        }
        if !report.notes.is_empty() {
            s.push('\n');
        }
        scorecard(&mut s, paint, report);
        summary(&mut s, paint, report);
        out.write_all(s.as_bytes())
    }
}

/// What one file (or one non-file source) contributed.
#[derive(Default)]
struct Group<'r> {
    problems: Vec<&'r InputProblem>,
    findings: Vec<&'r Finding>,
}

/// Findings and problems by file, files in path order, each sorted by position. The report is
/// documented as sorted already; sorting again costs little and makes the layout independent of
/// how the caller built it.
fn groups(report: &ScanReport) -> BTreeMap<&str, Group<'_>> {
    let mut groups: BTreeMap<&str, Group<'_>> = BTreeMap::new();
    for p in &report.problems {
        groups.entry(&p.path).or_default().problems.push(p);
    }
    for f in &report.findings {
        let key = match &f.location {
            Location::File { path, .. } | Location::Path { path, .. } => &**path,
            Location::Object { source, .. } => &**source,
        };
        groups.entry(key).or_default().findings.push(f);
    }
    for g in groups.values_mut() {
        g.problems.sort_by_key(|p| p.pos);
        // Objects break ties: a cluster's findings have no position, and read best by object.
        g.findings.sort_by(|a, b| {
            (a.location.pos(), &a.object, a.code, a.location.pointer()).cmp(&(
                b.location.pos(),
                &b.object,
                b.code,
                b.location.pointer(),
            ))
        });
    }
    groups
}

/// ANSI styling, or none.
#[derive(Clone, Copy)]
struct Paint(bool);

const BOLD: &str = "1";
const DIM: &str = "2";
const RED: &str = "31";
const BOLD_RED: &str = "1;31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const BLUE: &str = "34";
const CYAN: &str = "36";

impl Paint {
    fn paint<'s>(self, style: &str, text: &'s str) -> Cow<'s, str> {
        if self.0 && !text.is_empty() {
            format!("\x1b[{style}m{text}\x1b[0m").into()
        } else {
            text.into()
        }
    }
}

fn severity_style(s: Severity) -> &'static str {
    match s {
        Severity::Critical => BOLD_RED,
        Severity::High => RED,
        Severity::Medium => YELLOW,
        Severity::Low => BLUE,
    }
}

/// `💥 critical`; low has no mark in the guide, so no mark here either.
fn severity_label(s: Severity) -> String {
    match s.emoji() {
        "" => s.as_str().to_owned(),
        e => format!("{e} {s}"),
    }
}

/// `path:line:col`, `path`, or the object a cluster finding is about.
fn location_label(f: &Finding) -> String {
    match &f.location {
        Location::File { path, pos, .. } => format!("{}:{pos}", clean(path)),
        Location::Path { path, pos: Some(p) } if p.line > 0 => format!("{}:{p}", clean(path)),
        Location::Path { path, .. } => clean(path).into_owned(),
        Location::Object { source, .. } => match &f.object {
            Some(o) => format!("{}: {}", clean(source), clean(&o.to_string())),
            None => clean(source).into_owned(),
        },
    }
}

fn headline(s: &mut String, paint: Paint, f: &Finding) {
    let _ = writeln!(
        s,
        "{}  {}  {} {}  {}",
        paint.paint(BOLD, &location_label(f)),
        paint.paint(severity_style(f.severity), &severity_label(f.severity)),
        paint.paint(BOLD, f.code),
        f.rule,
        clean(&f.message),
    );
}

fn finding(s: &mut String, paint: Paint, f: &Finding, lines: Option<&LineIndex<'_>>) {
    headline(s, paint, f);
    // Where the finding sits beyond file:line (the object; for a cluster finding, whose headline
    // names the object already, the field), and which Pod Security check it is, which is what a
    // `--pod-security` user maps back to the namespace label's level.
    let mut context = Vec::new();
    match (&f.location, &f.object) {
        (Location::Object { pointer, .. }, _) if !pointer.is_empty() => {
            context.push(format!("at {}", clean(pointer)));
        }
        (Location::Object { .. }, _) | (_, None) => {}
        (_, Some(o)) => context.push(format!("in {}", clean(&o.to_string()))),
    }
    if let Some(check) = f.pss_check {
        context.push(format!("Pod Security check `{check}`"));
    }
    if !context.is_empty() {
        let _ = writeln!(s, "  {}", context.join(" · "));
    }
    if let (Location::File { pos, end, .. }, Some(lines)) = (&f.location, lines) {
        frame(s, paint, lines, *pos, *end, severity_style(f.severity));
    }
    if !f.help.is_empty() {
        let _ = writeln!(s, "  {} {}", paint.paint(CYAN, "help:"), clean(f.help));
    }
}

/// A finding nobody has to act on now: exempted, or already in the baseline.
fn suppressed(s: &mut String, paint: Paint, f: &Finding) {
    let (label, why) = match &f.suppressed {
        Some(reason) => ("suppressed", clean(reason)),
        None => ("baselined", Cow::Borrowed("already in the baseline")),
    };
    let head = format!(
        "{}  ({label}) {}  {} {}  {}",
        location_label(f),
        severity_label(f.severity),
        f.code,
        f.rule,
        clean(&f.message)
    );
    let why = format!("  {label}: {why}");
    let _ = writeln!(s, "{}", paint.paint(DIM, &head));
    let _ = writeln!(s, "{}", paint.paint(DIM, &why));
}

/// An input error (`error`, red) or a note about the input that is no error (`note`, cyan):
/// one line each, at the place it is about.
fn input_line(s: &mut String, paint: Paint, p: &InputProblem, (label, color): (&str, &str)) {
    let location = match p.pos {
        Some(pos) if pos.line > 0 => format!("{}:{pos}", clean(&p.path)),
        _ => clean(&p.path).into_owned(),
    };
    let _ = writeln!(
        s,
        "{}  {}  {}",
        paint.paint(BOLD, &location),
        paint.paint(color, label),
        clean(&p.message)
    );
}

const ERROR: (&str, &str) = ("error", BOLD_RED);
const NOTE: (&str, &str) = ("note", CYAN);

fn summary(s: &mut String, paint: Paint, report: &ScanReport) {
    let st = &report.stats;
    if let Some(subject) = st.subject {
        let _ = write!(
            s,
            "{} {}",
            subject.verb,
            plural(st.objects, subject.one, subject.many)
        );
        if st.files > 0 {
            let _ = write!(s, " in {}", plural(st.files, "file", "files"));
        }
    // A cluster or admission scan reads objects, not files: say only what applies.
    } else if st.files == 0 && st.objects > 0 {
        let _ = write!(s, "Scanned {}", plural(st.objects, "object", "objects"));
    } else {
        let _ = write!(
            s,
            "Scanned {}: {}, {}",
            plural(st.files, "file", "files"),
            plural(st.documents, "document", "documents"),
            plural(st.objects, "object", "objects"),
        );
    }
    if st.skipped_documents > 0 {
        let _ = write!(
            s,
            " ({} not a Kubernetes object)",
            plural(st.skipped_documents, "document", "documents")
        );
    }
    if !report.kubernetes_version.is_empty() {
        let _ = write!(s, "; Kubernetes {}", clean(&report.kubernetes_version));
    }
    if let Some(pss) = &report.pod_security {
        let _ = write!(s, ", Pod Security {}", clean(pss));
    }
    s.push_str(".\n");

    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|&sev| {
            let n = severity_count(report, sev);
            let text = format!("{n} {sev}");
            if n > 0 {
                paint.paint(severity_style(sev), &text).into_owned()
            } else {
                text
            }
        })
        .collect();
    let _ = writeln!(
        s,
        "Findings: {}; {} suppressed; {}.",
        counts.join(", "),
        report.suppressed(),
        plural(report.problems.len(), "input error", "input errors"),
    );

    if let Some(b) = &report.baseline {
        let _ = writeln!(
            s,
            "Baseline {}: {} new, {} unchanged (baselined), {} fixed since.",
            clean(&b.source),
            plural(b.new, "finding", "findings"),
            b.unchanged,
            b.absent,
        );
    }

    not_evaluated(s, paint, report);

    if let Some(threshold) = report.fail_on {
        let failing = report.failing();
        if failing > 0 {
            let text = format!(
                "Failed: {} at or above {threshold}.",
                plural(failing, "finding", "findings")
            );
            let _ = writeln!(s, "{}", paint.paint(BOLD_RED, &text));
        } else if !report.problems.is_empty() {
            // Not a pass: what could not be read (or a directory with nothing to scan) was not
            // checked, and the run exits 2.
            let text = format!(
                "Not passed: no findings at or above {threshold}, but {} (see above).",
                plural(report.problems.len(), "input error", "input errors")
            );
            let _ = writeln!(s, "{}", paint.paint(BOLD_RED, &text));
        } else {
            let text = format!("Passed: no findings at or above {threshold}.");
            let _ = writeln!(s, "{}", paint.paint(GREEN, &text));
        }
    }
}

/// The guide scorecard, one line per section (and its reason), before the counts. Reports that
/// name no source (built by a library caller) have none: there is nothing to say it about.
fn scorecard(s: &mut String, paint: Paint, report: &ScanReport) {
    if report.evidence.sources.is_empty() {
        return;
    }
    let card = crate::scorecard::Scorecard::of(report);
    let sources: Vec<String> = card
        .sources
        .iter()
        .map(|(kind, name)| format!("{}: {}", kind.as_str(), clean(name)))
        .collect();
    let _ = writeln!(
        s,
        "{} ({}):",
        paint.paint(BOLD, "Guide scorecard"),
        sources.join("; ")
    );
    for row in &card.rows {
        let (style, label) = match row.status {
            Status::Fails => (BOLD_RED, "FAILS"),
            Status::Holds => (GREEN, "holds"),
            Status::NotEvaluated => (BOLD, "not evaluated"),
            Status::NotApplicable => ("", "not applicable"),
        };
        let label = format!("{label:<14}");
        let mut line = format!("  {} {}", paint.paint(style, &label), clean(&row.section));
        if row.findings() > 0 {
            let _ = write!(line, " ({})", row.counts_text());
        }
        if let Some(reason) = &row.reason {
            let _ = write!(line, ": {}", clean(reason));
        }
        let _ = writeln!(s, "{line}");
    }
    let tally: Vec<String> = card
        .tally()
        .iter()
        .map(|(status, n)| format!("{n} {}", status.as_str()))
        .collect();
    let _ = writeln!(s, "Guide sections: {}.\n", tally.join(", "));
}

/// Rules that could not reach a verdict for lack of data, one per line, so that nobody reads
/// their silence as a pass.
fn not_evaluated(s: &mut String, paint: Paint, report: &ScanReport) {
    if report.not_evaluated.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "{} (missing data, which is not a pass):",
        paint.paint(
            BOLD,
            &format!(
                "Not evaluated: {}",
                plural(report.not_evaluated.len(), "rule", "rules")
            )
        )
    );
    for n in &report.not_evaluated {
        let rule = match report.rules.iter().find(|m| m.code == n.code) {
            Some(m) => format!("{} {}", n.code, m.name),
            None => n.code.to_owned(),
        };
        let _ = writeln!(s, "  {rule}  {}", clean(&n.reason));
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `text` with every character that could change the terminal's state or reorder what is shown
/// (C0/C1 controls, DEL, bidirectional overrides and isolates, as in "Trojan Source") replaced by
/// a visible `\u{…}` escape (`\n`, `\t` for the common ones).
fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out.into()
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Start offsets of the lines of one file, built once per file so frames cost O(1) each.
struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// Line `n` (1-based) without its line ending.
    fn line(&self, n: u32) -> Option<&'t str> {
        let i = (n as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).map_or(self.text.len(), |e| e - 1);
        if i > 0 && i + 1 == self.starts.len() && start == self.text.len() {
            // The empty "line" after a final newline is not a line of the file.
            return None;
        }
        let line = &self.text[start..end];
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// Longest stretch of a line shown, in characters; longer lines are cropped around the column.
const MAX_FRAME_CHARS: usize = 120;
/// Characters kept left of the column when cropping.
const CROP_LEAD: usize = 40;
const TAB_WIDTH: usize = 4;

/// The line before (when not blank), the line of `pos`, and a caret line under `pos..end` (one
/// caret when the span runs past the line, as a missing field's parent mapping does).
fn frame(s: &mut String, paint: Paint, lines: &LineIndex<'_>, pos: Pos, end: Pos, style: &str) {
    let Some(line) = lines.line(pos.line) else {
        return; // The source changed since the scan, or the position is synthetic.
    };
    let chars: Vec<char> = line.chars().collect();
    // 0-based character index of the column, and the stretch of the line shown.
    let col = (pos.col.max(1) - 1) as usize;
    let lo = if chars.len() > MAX_FRAME_CHARS {
        col.min(chars.len()).saturating_sub(CROP_LEAD)
    } else {
        0
    };
    let hi = (lo + MAX_FRAME_CHARS).min(chars.len());
    let width = pos.line.to_string().len();
    let gutter = |s: &mut String, n: Option<u32>| {
        let num = n.map_or_else(String::new, |n| n.to_string());
        let _ = write!(s, "  {}", paint.paint(BLUE, &format!("{num:>width$} |")));
    };

    let before = (pos.line > 1)
        .then(|| lines.line(pos.line - 1))
        .flatten()
        .filter(|l| !l.trim().is_empty());
    if let Some(b) = before {
        // Cropped at the same character offsets: YAML indentation lines up by characters.
        let bchars: Vec<char> = b.chars().collect();
        gutter(s, Some(pos.line - 1));
        let _ = writeln!(
            s,
            "{}",
            prefixed(&render_span(&bchars, lo, lo + MAX_FRAME_CHARS).text)
        );
    }
    let shown = render_span(&chars, lo, hi);
    gutter(s, Some(pos.line));
    let _ = writeln!(s, "{}", prefixed(&shown.text));

    let first = col.clamp(lo, hi);
    let last = if end.line == pos.line && end.col > pos.col {
        ((end.col - 1) as usize).clamp(first + 1, hi.max(first + 1))
    } else {
        first + 1
    };
    let from = shown.column(first - lo);
    let to = shown.column(last - lo).max(from + 1);
    gutter(s, None);
    let _ = writeln!(
        s,
        " {}{}",
        " ".repeat(from),
        paint.paint(style, &"^".repeat(to - from))
    );
}

/// A frame line after the gutter's `|`: a space, then the text (nothing for an empty line, so no
/// trailing whitespace ends up in logs and snapshots).
fn prefixed(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(" {text}")
    }
}

/// A stretch of a source line as a frame shows it.
struct Shown {
    text: String,
    /// Display column at which each character of the stretch starts.
    cols: Vec<usize>,
    /// Display width of the stretch, without a trailing `…`.
    width: usize,
}

impl Shown {
    /// Display column of character `i` of the stretch (`i` counted from the stretch's start);
    /// the end of the text past the last character.
    fn column(&self, i: usize) -> usize {
        self.cols.get(i).copied().unwrap_or(self.width)
    }
}

/// Renders `chars[lo..hi]` for a frame: tabs expanded, controls escaped, `…` where cropped.
fn render_span(chars: &[char], lo: usize, hi: usize) -> Shown {
    let hi = hi.min(chars.len());
    let lo = lo.min(hi);
    let mut text = String::new();
    let mut cols = Vec::with_capacity(hi - lo);
    let mut width = 0;
    if lo > 0 {
        text.push('…');
        width += 1;
    }
    for &c in &chars[lo..hi] {
        cols.push(width);
        if c == '\t' {
            let n = TAB_WIDTH - width % TAB_WIDTH;
            text.extend(std::iter::repeat_n(' ', n));
            width += n;
        } else if needs_escape(c) {
            let before = text.len();
            push_escaped(&mut text, c);
            width += text.len() - before; // escapes are ASCII
        } else {
            text.push(c);
            width += char_width(c);
        }
    }
    if hi < chars.len() {
        text.push('…');
    }
    Shown { text, cols, width }
}

/// Terminal columns a character takes: 0 for combining marks and variation selectors, 2 for East
/// Asian wide characters and emoji, 1 otherwise. An approximation of Unicode's East Asian Width
/// that covers what manifests contain; a miss only shifts a caret, so a full table (and a
/// dependency for it) is not worth it.
fn char_width(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036F
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x200B..=0x200D
        | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F
        | 0xFE20..=0xFE2F
        | 0xE0100..=0xE01EF => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F680..=0x1F6FF
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use palisade_core::ObjectRef;

    use super::*;

    fn pos(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    fn frame_of(text: &str, at: Pos, end: Pos) -> String {
        let mut s = String::new();
        frame(&mut s, Paint(false), &LineIndex::new(text), at, end, RED);
        s
    }

    #[test]
    fn clean_escapes_terminal_controls_and_bidi_overrides() {
        assert!(matches!(clean("plain ☁️ text"), Cow::Borrowed(_)));
        assert_eq!(clean("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(clean("x\ny\tz"), "x\\ny\\tz");
        assert_eq!(clean("admin\u{202E}txt"), "admin\\u{202e}txt");
        assert_eq!(clean("\u{9b}"), "\\u{9b}");
    }

    #[test]
    fn line_index_handles_crlf_and_final_newline() {
        let idx = LineIndex::new("a: 1\r\nb: 2\n");
        assert_eq!(idx.line(1), Some("a: 1"));
        assert_eq!(idx.line(2), Some("b: 2"));
        assert_eq!(idx.line(3), None);
        assert_eq!(idx.line(0), None);
        let idx = LineIndex::new("a\n\nb");
        assert_eq!(idx.line(2), Some(""));
        assert_eq!(idx.line(3), Some("b"));
    }

    #[test]
    fn frame_underlines_the_span_with_one_line_of_context() {
        let text = "spec:\n  hostPID: true\n";
        assert_eq!(
            frame_of(text, pos(2, 3), pos(2, 10)),
            "  1 | spec:\n  2 |   hostPID: true\n    |   ^^^^^^^\n"
        );
    }

    #[test]
    fn frame_skips_blank_context_and_uses_one_caret_for_multiline_spans() {
        let text = "a: 1\n\nspec:\n  x: 1\n";
        assert_eq!(
            frame_of(text, pos(3, 1), pos(4, 7)),
            "  3 | spec:\n    | ^\n"
        );
    }

    #[test]
    fn frame_gutter_is_as_wide_as_the_line_number() {
        let text = "x\n".repeat(99) + "  key: v\n";
        assert_eq!(
            frame_of(&text, pos(100, 3), pos(100, 6)),
            "   99 | x\n  100 |   key: v\n      |   ^^^\n"
        );
    }

    #[test]
    fn caret_accounts_for_wide_characters_and_tabs() {
        // `名前` takes four terminal columns; the caret must land under `b`.
        let text = "a: 名前 b\n";
        let out = frame_of(text, pos(1, 7), pos(1, 8));
        assert_eq!(out, "  1 | a: 名前 b\n    |         ^\n");
        // A tab is shown as spaces to the next multiple of four.
        let text = "k:\t\"v\"\n";
        let out = frame_of(text, pos(1, 4), pos(1, 7));
        assert_eq!(out, "  1 | k:  \"v\"\n    |     ^^^\n");
    }

    #[test]
    fn frame_escapes_controls_in_source() {
        let text = "name: \"a\x1bb\" x\n";
        let out = frame_of(text, pos(1, 13), pos(1, 14));
        // The escape takes six columns; the caret still lands under `x`.
        assert_eq!(
            out,
            "  1 | name: \"a\\u{1b}b\" x\n    |                  ^\n"
        );
    }

    #[test]
    fn long_lines_are_cropped_around_the_column() {
        let line = format!("{}TARGET{}", "a".repeat(300), "b".repeat(300));
        let out = frame_of(&line, pos(1, 301), pos(1, 307));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("  1 | …aaaa"));
        assert!(lines[0].ends_with("bbb…"));
        assert!(lines[0].chars().count() < 140, "{}", lines[0]);
        // The caret sits under TARGET.
        let code = lines[0].find('…').unwrap();
        let caret = lines[1].find('^').unwrap();
        let target = lines[0].find("TARGET").unwrap();
        assert_eq!(
            lines[0][code..target].chars().count(),
            lines[1][code..caret].chars().count()
        );
        assert!(lines[1].ends_with("^^^^^^"));
    }

    #[test]
    fn stale_source_gives_no_frame() {
        assert_eq!(frame_of("a: 1\n", pos(7, 1), pos(7, 2)), "");
    }

    fn report_with(finding: Finding) -> ScanReport {
        ScanReport {
            findings: vec![finding],
            ..ScanReport::default()
        }
    }

    fn text_of(report: &ScanReport) -> String {
        let mut out = Vec::new();
        TextReporter::new(false, None)
            .render(report, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn cluster_finding(message: &str) -> Finding {
        Finding {
            code: "PS101",
            rule: "privileged-container",
            severity: Severity::Critical,
            pss_check: None,
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
            container: None,
            related: None,
            message: message.to_owned().into(),
            help: "drop it",
            suppressed: None,
            baselined: false,
            fix: None,
            flow: None,
        }
    }

    #[test]
    fn cluster_findings_name_the_object_and_the_field() {
        let out = text_of(&report_with(cluster_finding("runs privileged")));
        assert!(out.starts_with(
            "cluster: Pod kube-system/agent  💥 critical  PS101 privileged-container  runs privileged\n  at /spec/containers/0/securityContext/privileged\n  help: drop it\n"
        ), "{out}");
    }

    #[test]
    fn summary_names_what_a_command_looked_at() {
        let mut report = report_with(cluster_finding("x"));
        report.stats.objects = 4096;
        report.stats.subject = Some(palisade_core::report::Subject {
            verb: "Probed",
            one: "host:port pair",
            many: "host:port pairs",
        });
        assert!(
            text_of(&report).contains("Probed 4096 host:port pairs."),
            "{}",
            text_of(&report)
        );
        report.stats.objects = 1;
        report.stats.files = 3;
        assert!(text_of(&report).contains("Probed 1 host:port pair in 3 files."));
    }

    #[test]
    fn cluster_findings_are_ordered_by_object() {
        let mut b = cluster_finding("second");
        b.object
            .as_mut()
            .map(std::sync::Arc::make_mut)
            .unwrap()
            .name = Some("zeta".to_owned());
        let mut report = report_with(b);
        report.findings.push(cluster_finding("first"));
        report.stats.objects = 2;
        let out = text_of(&report);
        let first = out.find("first").unwrap();
        let second = out.find("second").unwrap();
        assert!(first < second, "{out}");
        assert!(out.contains("Scanned 2 objects.\n"), "{out}");
    }

    #[test]
    fn untrusted_text_cannot_reach_the_terminal_raw() {
        let out = text_of(&report_with(cluster_finding(
            "container \"\x1b]0;pwned\x07\" runs privileged",
        )));
        assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
        assert!(out.contains("\\u{1b}]0;pwned\\u{7}"));
    }

    #[test]
    fn summary_without_threshold_says_nothing_about_failing() {
        let out = text_of(&ScanReport::default());
        assert_eq!(
            out,
            "Scanned 0 files: 0 documents, 0 objects.\nFindings: 0 critical, 0 high, 0 medium, 0 low; 0 suppressed; 0 input errors.\n"
        );
        let passing = ScanReport {
            fail_on: Some(Severity::Low),
            ..ScanReport::default()
        };
        assert!(text_of(&passing).ends_with("Passed: no findings at or above low.\n"));
    }

    #[test]
    fn suppressed_findings_do_not_count_towards_failing() {
        let mut f = cluster_finding("runs privileged");
        f.suppressed = Some("vendor agent, reviewed".into());
        let mut report = report_with(f);
        report.fail_on = Some(Severity::High);
        let out = text_of(&report);
        assert!(out.contains("(suppressed) 💥 critical"), "{out}");
        assert!(out.contains("  suppressed: vendor agent, reviewed\n"));
        assert!(out.contains("0 critical"));
        assert!(out.contains("; 1 suppressed;"));
        assert!(out.ends_with("Passed: no findings at or above high.\n"));
    }
}
