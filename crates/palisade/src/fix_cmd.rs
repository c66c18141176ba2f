//! `palisade fix`: applies the fixes rules declare to manifest files, as minimal text edits.
//!
//! Rounds: scan every input (all objects together, so cross-object rules such as RB202 judge as
//! `scan` does), plan each file's edits from the findings' fixes
//! ([`palisade_core::yaml::edit::plan`]), apply them, and scan again, until a round changes
//! nothing (at most [`MAX_ROUNDS`]). Re-scanning instead of applying every fix at once means each
//! edit is computed from the spans of the text it applies to: two fixes that both create a
//! missing `securityContext` land in two rounds, and a fix whose pointer names the third item of a
//! list still names it after another fix removed the first. Every edited text is re-loaded and
//! refused unless each document is the old one with exactly the round's operations applied at
//! their pointers and every comment is kept ([`edit::verify`]): the file is then left as it was.
//! Files are written atomically.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::Args;
use palisade_core::fix::object_of;
use palisade_core::report::InputProblem;
use palisade_core::source::{self, SourceLimits};
use palisade_core::yaml::edit::{self, Change, Editor, Outcome, Skip};
use palisade_core::{Finding, FixSafety, Location, Object};
use palisade_rules::{Engine, Mode};
use rayon::prelude::*;

use crate::cli::{ColorChoice, ReportArgs};
use crate::scan::{self, Input};
use crate::session::{Session, EXIT_ERROR};

/// What became of each fix of a file in one round, by rule code (`Err`: not tried, and why).
type Outcomes = Vec<(&'static str, Result<Outcome, String>)>;

/// A round's edited text of one file and the changes it carries out (for [`edit::verify`]).
type Edited = (String, Vec<Change>);

/// Rounds of scan → edit; real fixes settle in two or three (a parent created, then its
/// siblings; a label set, then its version pinned).
pub const MAX_ROUNDS: usize = 8;

#[derive(Args, Debug)]
pub struct FixArgs {
    /// Files or directories to fix; `-` reads stdin and writes the fixed stream to stdout
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Print a unified diff of the fixes instead of writing any file
    #[arg(long)]
    pub diff: bool,

    /// Also apply fixes that may change what a workload does (runAsNonRoot, dropping
    /// capabilities, removing hostPort, …): review the result
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Exit 1 when a finding at or above this severity remains after fixing [default: high]
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,

    /// Fix (and judge) only these rules: codes, prefixes (PS, RB2) or names, comma-separated
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not fix (or judge) these rules: codes, prefixes or names, comma-separated
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Kubernetes version the rules judge for (and the Pod Security version PS162 pins)
    /// [default: the newest known]
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,

    /// Config file [default: palisade.yaml in this directory or a parent]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Do not read any config file
    #[arg(long)]
    pub no_config: bool,

    /// Largest file read, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_file_size: usize,
}

/// One input being fixed.
struct File {
    input: Input,
    path: Arc<str>,
    original: String,
    current: String,
    /// The file's encoding and byte-order mark (the loader decodes to UTF-8 without a mark):
    /// written back the same way.
    encoding: source::Encoding,
    /// The file's fixes were refused (an edit broke it): left as it was.
    refused: bool,
}

/// What the run did, per rule.
#[derive(Default)]
struct Tally {
    applied: BTreeMap<&'static str, usize>,
    /// (reason, rule) → count
    skipped: BTreeMap<(String, &'static str), usize>,
}

pub fn run(args: FixArgs) -> Result<u8> {
    let report_args = ReportArgs {
        format: "text".into(),
        output: Vec::new(),
        fail_on: args.fail_on.clone(),
        rules: crate::cli::SelectArgs {
            select: args.select.clone(),
            ignore: args.ignore.clone(),
        },
        kubernetes_version: args.kubernetes_version.clone(),
        allowed_registries: Vec::new(),
        config: args.config.clone(),
        no_config: args.no_config,
        color: ColorChoice::Never,
        fail_on_not_evaluated: false,
        baseline: None,
        write_baseline: None,
    };
    let session = Session::new(&report_args, Mode::Rules)?;
    let engine = session.engine(None);
    let limits = SourceLimits {
        max_file_bytes: args.max_file_size,
        ..SourceLimits::default()
    };
    let (inputs, mut problems) = scan::expand(&args.paths);
    let mut files = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for input in inputs {
        // A file named twice (`fix a.yaml .`) is fixed once.
        if let Input::File(p) = &input {
            if !seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())) {
                continue;
            }
        }
        let (path, bytes) = scan::read_input(&input, &limits);
        let decoded = bytes.and_then(|b| {
            let encoding = source::Encoding::of(&b);
            source::decode(&b, &limits).map(|t| (t.into_owned(), encoding))
        });
        match decoded {
            Ok((t, encoding)) => files.push(File {
                input,
                path,
                original: t.clone(),
                current: t,
                encoding,
                refused: false,
            }),
            Err(e) => problems.push(InputProblem {
                path,
                pos: e.pos(),
                message: e.to_string(),
            }),
        }
    }

    let outcome = fix_files(&engine, &mut files, &limits, args.unsafe_fixes);
    problems.extend(outcome.problems);

    let mut stdout = crate::session::stdout();
    let mut changed = 0;
    for f in &files {
        let is_stdin = f.input == Input::Stdin;
        if f.current != f.original {
            changed += 1;
        }
        if args.diff {
            if f.current != f.original {
                let diff = similar::TextDiff::from_lines(&f.original, &f.current);
                // `a/` and `b/` prefixes for relative paths, so `git apply` takes the diff.
                let (old, new) = if f.path.starts_with('/') || f.input == Input::Stdin {
                    (f.path.to_string(), f.path.to_string())
                } else {
                    (format!("a/{}", f.path), format!("b/{}", f.path))
                };
                write!(
                    stdout,
                    "{}",
                    diff.unified_diff().context_radius(3).header(&old, &new)
                )?;
            }
        } else if is_stdin {
            stdout.write_all(&f.encoding.encode(&f.current))?;
        } else if f.current != f.original {
            let Input::File(p) = &f.input else {
                unreachable!("not stdin")
            };
            if let Err(e) = write_atomically(p, &f.encoding.encode(&f.current)) {
                problems.push(InputProblem {
                    path: f.path.clone(),
                    pos: None,
                    message: format!("cannot write the fixed file: {e:#}"),
                });
            }
        }
    }
    stdout.flush().context("cannot write to stdout")?;

    let remaining: Vec<&Finding> = outcome
        .remaining
        .iter()
        .filter(|f| f.suppressed.is_none() && f.severity >= session.fail_on)
        .collect();
    summary(
        &outcome.tally,
        changed,
        args.diff,
        remaining.len(),
        session.fail_on,
    );
    for p in &problems {
        match p.pos {
            Some(pos) => eprintln!("error: {}:{pos}: {}", p.path, p.message),
            None => eprintln!("error: {}: {}", p.path, p.message),
        }
    }
    Ok(if !problems.is_empty() {
        EXIT_ERROR
    } else if !remaining.is_empty() {
        1
    } else {
        0
    })
}

/// One file as the last round read it.
struct Checked {
    objects: Vec<Object>,
    /// Findings of `Engine::check_object`, before the cross-object stage.
    findings: Vec<Finding>,
    kept: Vec<(usize, Arc<Object>)>,
}

struct FixOutcome {
    tally: Tally,
    /// Findings of the last scan (of the fixed texts).
    remaining: Vec<Finding>,
    problems: Vec<InputProblem>,
}

/// Fixes `files` in memory, round after round (see the module docs).
fn fix_files(
    engine: &Engine,
    files: &mut [File],
    limits: &SourceLimits,
    unsafe_fixes: bool,
) -> FixOutcome {
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    let mut round = 0;
    // Each file's objects, the findings of its objects on their own, and what cross-object rules
    // keep of them; a round re-reads and re-checks only the files the previous round changed.
    let mut checked: Vec<Option<Checked>> = files.iter().map(|_| None).collect();
    loop {
        let errors: Vec<InputProblem> = files
            .par_iter()
            .zip(checked.par_iter_mut())
            .filter(|(_, c)| c.is_none())
            .flat_map_iter(|(f, c)| {
                let read = source::load_text(&f.path, &f.current, limits);
                let mut findings = Vec::new();
                let mut kept = Vec::new();
                for o in &read.objects {
                    findings.extend(engine.check_object(o));
                    kept.extend(engine.keep(o));
                }
                *c = Some(Checked {
                    objects: read.objects,
                    findings,
                    kept,
                });
                read.errors.into_iter().map(|e| InputProblem {
                    path: f.path.clone(),
                    pos: e.pos(),
                    message: e.to_string(),
                })
            })
            .collect();
        // The input's own errors, once (an edit never adds one: `verify` refuses that).
        if round == 0 {
            problems.extend(errors);
        }
        let checked_now: Vec<&Checked> = checked
            .iter()
            .map(|c| c.as_ref().expect("every file is checked"))
            .collect();
        // The cross-object stage over every file, so those rules judge as in `scan`.
        let mut findings: Vec<Finding> = checked_now
            .iter()
            .flat_map(|c| c.findings.iter().cloned())
            .collect();
        let kept: Vec<_> = checked_now
            .iter()
            .flat_map(|c| c.kept.iter().cloned())
            .collect();
        engine.refine(&kept, &mut findings);
        let mut by_file: HashMap<&str, Vec<&Finding>> = HashMap::new();
        for f in &findings {
            if let (Some(_), Location::File { path, .. }, None) =
                (&f.fix, &f.location, &f.suppressed)
            {
                by_file.entry(path).or_default().push(f);
            }
        }
        let plans: Vec<(usize, Option<Edited>, Outcomes)> = files
            .par_iter()
            .enumerate()
            .filter(|(_, f)| !f.refused)
            .filter_map(|(i, f)| {
                let wanted = by_file.get(&*f.path)?;
                let (text, outcomes) = plan_file(f, &checked_now[i].objects, wanted, unsafe_fixes);
                Some((i, text, outcomes))
            })
            .collect();
        // The final scan: nothing more to change (or no rounds left). What its fixes could not
        // do is what the run could not fix; earlier rounds' skips come back in it.
        if round == MAX_ROUNDS || plans.iter().all(|(_, text, _)| text.is_none()) {
            for (_, _, outcomes) in plans {
                for (code, outcome) in outcomes {
                    let reason = match outcome {
                        Ok(Outcome::Applied | Outcome::Deferred) => {
                            format!("conflicting fixes, not settled in {MAX_ROUNDS} rounds")
                        }
                        Ok(Outcome::Unchanged) => {
                            "the fix does not change the text (the finding has another cause)"
                                .to_owned()
                        }
                        Ok(Outcome::Skipped(skip)) => skip.to_string(),
                        Err(reason) => reason,
                    };
                    *tally.skipped.entry((reason, code)).or_default() += 1;
                }
            }
            return FixOutcome {
                tally,
                remaining: findings,
                problems,
            };
        }
        let mut changed = Vec::new();
        for (i, text, outcomes) in plans {
            let Some((text, changes)) = text else {
                continue;
            };
            let file = &mut files[i];
            if let Err(e) = edit::verify(&file.current, &text, &changes) {
                file.refused = true;
                file.current = file.original.clone();
                changed.push(i);
                problems.push(InputProblem {
                    path: file.path.clone(),
                    pos: None,
                    message: format!("fixes refused, file left as it was: {e}"),
                });
                continue;
            }
            for (code, outcome) in outcomes {
                if outcome == Ok(Outcome::Applied) {
                    *tally.applied.entry(code).or_default() += 1;
                }
            }
            file.current = text;
            changed.push(i);
        }
        for i in changed {
            checked[i] = None;
        }
        round += 1;
    }
}

/// One round for one file: the edited text with the changes it carries out (when anything
/// changed), and what became of each fix.
fn plan_file(
    file: &File,
    objects: &[Object],
    findings: &[&Finding],
    unsafe_fixes: bool,
) -> (Option<Edited>, Outcomes) {
    let editor = Editor::new(&file.current);
    let mut outcomes: Outcomes = Vec::new();
    let mut items = Vec::new();
    let mut codes = Vec::new();
    for f in findings {
        let fix = f.fix.as_deref().expect("filtered on fixes");
        if fix.safety == FixSafety::Unsafe && !unsafe_fixes {
            outcomes.push((f.code, Err("unsafe (apply with --unsafe-fixes)".into())));
            continue;
        }
        match object_of(objects, f) {
            Some(o) => {
                items.push((o, fix));
                codes.push(f.code);
            }
            None => outcomes.push((f.code, Err(Skip::Layout("object not found").to_string()))),
        }
    }
    let planned = edit::plan(&editor, &items);
    outcomes.extend(codes.into_iter().zip(planned.outcomes.into_iter().map(Ok)));
    let text = (!planned.changes.is_empty()).then(|| {
        let edits: Vec<_> = planned.changes.iter().map(|c| c.edit.clone()).collect();
        (edit::apply(&file.current, &edits), planned.changes)
    });
    (text, outcomes)
}

/// What was fixed and what was not, on stderr (stdout may carry the diff or the fixed stream).
fn summary(
    tally: &Tally,
    changed: usize,
    diff: bool,
    remaining: usize,
    fail_on: palisade_core::Severity,
) {
    let applied: usize = tally.applied.values().sum();
    let list = |m: &mut dyn Iterator<Item = (&&'static str, &usize)>| {
        m.map(|(code, n)| format!("{code} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let verb = if diff { "would fix" } else { "fixed" };
    if applied > 0 {
        eprintln!(
            "{verb} {applied} finding{} in {changed} file{}: {}",
            plural(applied),
            plural(changed),
            list(&mut tally.applied.iter())
        );
    } else {
        eprintln!("nothing to fix");
    }
    let mut by_reason: BTreeMap<&str, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for ((reason, code), n) in &tally.skipped {
        *by_reason
            .entry(reason)
            .or_default()
            .entry(code)
            .or_default() += n;
    }
    for (reason, codes) in &by_reason {
        let n: usize = codes.values().sum();
        eprintln!("not fixed: {n} — {reason}: {}", list(&mut codes.iter()));
    }
    eprintln!(
        "{remaining} finding{} at or above {fail_on} remain{}",
        plural(remaining),
        if remaining == 1 { "s" } else { "" }
    );
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees half a file; the file keeps its permissions. A symbolic link is followed
/// (the file it names is replaced, the link stays). The temporary file comes from `tempfile`
/// (random name, created exclusively): a predictable name in a directory others can write to
/// could be a planted symbolic link.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = std::fs::canonicalize(path).with_context(|| format!("{}", path.display()))?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(&target)?.permissions();
    let result = (|| -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".palisade-fix.")
            .tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        std::fs::set_permissions(tmp.path(), permissions)?;
        // On failure the temporary file is removed when `tmp` is dropped.
        tmp.persist(&target).map(drop).map_err(|e| e.error)
    })();
    result.with_context(|| format!("{}", target.display()))
}
