//! The manifest scan: inputs → documents → objects → findings → one [`ScanReport`].
//!
//! Files are read and checked in parallel (rayon); a large file is cut at its `---` markers and its
//! documents are parsed in parallel too, so one 2 MB install bundle does not leave a core idle.
//! A problem with one input never stops the others.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use palisade_core::report::{InputProblem, ScanReport, Stats};
use palisade_core::source::{self, InputError, SourceLimits};
use palisade_core::yaml::{self, Chunk};
use palisade_core::{object, Finding, Object};
use palisade_rules::{Engine, Judged};

use crate::frames::{FrameLines, KeepSources, Sparse};

/// What a scan keeps of one input's text for code frames.
enum Text {
    Whole(Arc<str>),
    Frames(Sparse),
}
use rayon::prelude::*;

/// The display name of standard input.
pub const STDIN: &str = "<stdin>";

/// Files above this size have their documents parsed in parallel.
const PARALLEL_FILE_BYTES: usize = 128 * 1024;

/// One input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
    /// What a renderer printed for a directory (see [`crate::render`]), under the name findings
    /// are attributed to.
    Rendered {
        name: Arc<str>,
        bytes: Arc<[u8]>,
    },
}

/// What the command-line paths expand to.
#[derive(Default)]
pub struct Expanded {
    /// Each input with the index of the argument it came from.
    pub inputs: Vec<(usize, Input)>,
    pub problems: Vec<InputProblem>,
    /// What was rendered, and how.
    pub notes: Vec<InputProblem>,
}

/// Expands command-line paths: directories recursively (`.yaml`, `.yml`, `.json`, skipping hidden
/// directories and files such as `.git`), files as given, `-` as stdin. Paths that do not exist, and
/// directories that give no file to scan, are problems (the run exits 2).
pub fn expand(paths: &[PathBuf]) -> (Vec<Input>, Vec<InputProblem>) {
    let e = expand_by_argument(paths, None, usize::MAX);
    (e.inputs.into_iter().map(|(_, i)| i).collect(), e.problems)
}

/// [`expand`], each input with the index of the argument it came from (see [`run`]: an object
/// given again in a later argument replaces the earlier copy). With `render`, a directory
/// argument that is a kustomization or a Helm chart is rendered ([`crate::render`]) and its
/// output, at most `max_bytes`, is the input.
pub fn expand_by_argument(
    paths: &[PathBuf],
    render: Option<&crate::render::RenderOptions>,
    max_bytes: usize,
) -> Expanded {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    for (argument, p) in paths.iter().enumerate() {
        let renderer = render
            .filter(|_| p.is_dir())
            .and_then(|o| crate::render::detect(p).map(|r| (r, o)));
        if p.as_os_str() == "-" {
            inputs.push((argument, Input::Stdin));
        } else if let Some((renderer, opts)) = renderer {
            let shown = p.to_string_lossy();
            match crate::render::render(p, &shown, renderer, opts, max_bytes) {
                Ok(r) => {
                    notes.push(InputProblem {
                        path: display(p),
                        pos: None,
                        message: r.note,
                    });
                    for (name, bytes) in r.texts {
                        inputs.push((
                            argument,
                            Input::Rendered {
                                name,
                                bytes: Arc::from(bytes),
                            },
                        ));
                    }
                }
                Err(message) => problems.push(InputProblem {
                    path: display(p),
                    pos: None,
                    message,
                }),
            }
        } else if p.is_dir() {
            let before = inputs.len();
            let walker = walkdir::WalkDir::new(p)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                });
            for entry in walker {
                match entry {
                    // A symlink to a file is scanned; symlinked directories are not followed
                    // (no loops, no escaping the tree the user named).
                    Ok(e)
                        if (e.file_type().is_file()
                            || (e.path_is_symlink() && e.path().is_file()))
                            && is_manifest(e.path()) =>
                    {
                        inputs.push((argument, Input::File(e.into_path())))
                    }
                    Ok(_) => {}
                    Err(e) => problems.push(InputProblem {
                        path: display(e.path().unwrap_or(p)),
                        pos: None,
                        message: format!("cannot read: {e}"),
                    }),
                }
            }
            if inputs.len() == before {
                problems.push(InputProblem {
                    path: display(p),
                    pos: None,
                    message: nothing_to_scan(p),
                });
            }
        } else if p.exists() {
            inputs.push((argument, Input::File(p.clone())));
        } else {
            problems.push(InputProblem {
                path: display(p),
                pos: None,
                message: "no such file or directory".into(),
            });
        }
    }
    Expanded {
        inputs,
        problems,
        notes,
    }
}

/// Why a directory argument gave no file to scan: none at all, or only below hidden (`.name`)
/// directories or as hidden files, which the walk skips (`.git`, `.github`, editor state).
fn nothing_to_scan(dir: &Path) -> String {
    let hidden: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && is_manifest(e.path()))
        .map(|e| e.into_path())
        .collect();
    if hidden.is_empty() {
        return "nothing to scan: no .yaml, .yml or .json file in this directory or below it"
            .into();
    }
    // The hidden directories (or files) directly below the argument that hold them.
    let mut tops: Vec<String> = hidden
        .iter()
        .filter_map(|f| f.strip_prefix(dir).ok()?.components().next())
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    tops.dedup();
    let example = dir.join(&tops[0]);
    format!(
        "nothing to scan: the {} manifest file{} below it {} under hidden paths ({}), which a \
         directory scan skips; name one to scan it (`palisade scan {}`)",
        hidden.len(),
        if hidden.len() == 1 { "" } else { "s" },
        if hidden.len() == 1 { "is" } else { "are all" },
        tops.join(", "),
        example.display()
    )
}

fn is_manifest(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn display(p: &Path) -> Arc<str> {
    Arc::from(p.to_string_lossy().as_ref())
}

/// One object of an input and what its own checks gave, kept apart until the whole scan is read:
/// a later input may hold the same object, and then this copy's findings do not count.
struct Checked {
    /// Group, kind, namespace and name; `None` for an object without a name (`generateName`),
    /// which is never the same object as another.
    identity: Option<Identity>,
    pos: palisade_core::yaml::Pos,
    /// How many findings its own checks gave: the next ones of its file's
    /// [`FileResult::object_findings`].
    findings: u32,
    /// What cross-object rules keep of it (see `Engine::keep`).
    context: Vec<(usize, Arc<Object>)>,
    /// The object itself when it is a control-plane static pod (see [`is_control_plane_pod`]);
    /// boxed, as few objects are and a scan holds this record for every object until the merge.
    control_plane: Option<Box<Object>>,
}

/// A Pod whose container runs `kube-apiserver`, `kube-controller-manager`, `kube-scheduler` or
/// `etcd`: a static pod manifest as kubeadm, Talos or a GitOps repository keep them. The node
/// rules (CP5xx) judge its flags, as `palisade node` and `palisade cluster` do.
fn is_control_plane_pod(o: &Object) -> bool {
    if o.kind() != "Pod" || !o.group().is_empty() {
        return false;
    }
    o.pod_template().is_some_and(|t| {
        t.containers().any(|c| {
            let first = c
                .node
                .get("command")
                .map(palisade_core::yaml::Node::items)
                .and_then(|items| items.first())
                .and_then(palisade_core::yaml::Node::as_str)
                .unwrap_or("");
            let binary = first.rsplit('/').next().unwrap_or(first);
            palisade_node::ComponentKind::from_binary(binary)
                .is_some_and(palisade_node::ComponentKind::is_control_plane)
        })
    })
}

/// What makes two objects the same object to the API server.
type Identity = (Box<str>, Box<str>, Option<Box<str>>, Box<str>);

impl Checked {
    /// Checks `o`, appending its findings to `findings` and marking in `judged` the rules that
    /// judged it (the guide scorecard's evidence; a copy another replaces is of the same kind, so
    /// its marks stand).
    fn new(
        engine: &Engine,
        o: &Object,
        findings: &mut Vec<Finding>,
        judged: &mut Judged,
    ) -> Checked {
        let identity = o.name().filter(|n| !n.is_empty()).map(|name| {
            (
                o.group().into(),
                o.kind().into(),
                o.namespace().filter(|n| !n.is_empty()).map(Box::from),
                name.into(),
            )
        });
        let own = engine.check_and_judge(o, Some(judged));
        let count = u32::try_from(own.len()).expect("findings of one object fit in u32");
        findings.extend(own);
        Checked {
            identity,
            pos: o.node.span.start,
            findings: count,
            context: engine.keep(o),
            control_plane: is_control_plane_pod(o).then(|| Box::new(o.clone())),
        }
    }
}

/// What one input gave.
#[derive(Default)]
struct FileResult {
    /// The input's display name.
    path: Arc<str>,
    /// The command-line argument it was found under.
    argument: usize,
    /// Findings about the file rather than one object (duplicate keys).
    findings: Vec<Finding>,
    /// The findings of its objects' own checks, object after object (see [`Checked::findings`]).
    /// One vector per file, not one per object: freed at the merge, a hundred thousand small
    /// vectors left the allocator's pages of their sizes half used, and the cross-object
    /// stage then took fresh memory (+50 MB resident at 100,000 objects).
    object_findings: Vec<Finding>,
    checked: Vec<Checked>,
    problems: Vec<InputProblem>,
    documents: usize,
    objects: usize,
    skipped: usize,
    /// The rules that judged an object of it.
    judged: Judged,
    /// What is kept of the text for code frames (see [`KeepSources`]).
    text: Option<Text>,
    /// The input, to be read again for frames (see [`complete_frames`]).
    input: Option<Input>,
}

/// What one `---` section of a file gave.
#[derive(Default)]
struct ChunkOutcome {
    findings: Vec<Finding>,
    object_findings: Vec<Finding>,
    checked: Vec<Checked>,
    documents: usize,
    objects: usize,
    skipped: usize,
    judged: Judged,
    error: Option<InputError>,
}

/// Source texts kept for reporters (code frames).
#[derive(Default)]
pub struct Sources(HashMap<Arc<str>, Arc<str>>);

impl Sources {
    pub fn get(&self, path: &str) -> Option<&str> {
        self.0.get(path).map(|t| &**t)
    }
}

/// Options of one scan.
pub struct ScanOptions {
    pub limits: SourceLimits,
    pub keep_sources: KeepSources,
    pub progress: bool,
}

/// Scans every input with `engine`; each input comes with the index of the command-line argument
/// it was found under ([`expand_by_argument`]).
/// Besides the report and the texts, it returns the control-plane static pods among the objects
/// (not replaced by a later copy), for the node rules. Meant to run once per process: it does
/// not free what the cross-object rules kept.
pub fn run(
    engine: &Engine,
    inputs: Vec<(usize, Input)>,
    opts: &ScanOptions,
) -> (ScanReport, Sources, Vec<Object>) {
    let bar = if opts.progress && inputs.len() >= 200 {
        let bar =
            ProgressBar::with_draw_target(Some(inputs.len() as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} scanning {pos}/{len} files {wide_bar} {eta}")
                .expect("static template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let results: Vec<FileResult> = inputs
        .into_par_iter()
        .map(|(argument, input)| {
            let mut r = scan_input(engine, &input, opts);
            r.argument = argument;
            if matches!(r.text, Some(Text::Frames(_))) {
                r.input = Some(input);
            }
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    crate::timings::mark("read, parse, check");

    let mut report = ScanReport {
        kubernetes_version: engine.settings().kubernetes_version.to_string(),
        rules: engine.metas(),
        ..ScanReport::default()
    };
    let mut sources = Sources::default();
    let mut stats = Stats::default();
    let mut context = Vec::new();
    let replaced = replaced_copies(&results, &mut report.notes);
    let mut control_plane = Vec::new();
    let mut judged = Judged::default();
    let mut reread = Vec::new();
    let mut results = results;
    for (file, r) in results.iter_mut().enumerate() {
        let mut dropped = Vec::new();
        for (i, c) in r.checked.iter_mut().enumerate() {
            if replaced.contains(&(file, i)) {
                dropped.push(i);
            } else {
                context.append(&mut c.context);
                control_plane.extend(c.control_plane.take().map(|pod| *pod));
            }
        }
        if !dropped.is_empty() {
            drop_findings_of(r, &dropped);
        }
        stats.files += 1;
        stats.documents += r.documents;
        stats.objects += r.objects;
        stats.skipped_documents += r.skipped;
        judged.merge(&r.judged);
        report.problems.append(&mut r.problems);
        match (r.text.take(), r.input.take()) {
            (Some(Text::Whole(text)), _) => {
                sources.0.insert(r.path.clone(), text);
            }
            (Some(Text::Frames(sparse)), Some(input)) => {
                reread.push((r.path.clone(), input, sparse));
            }
            _ => {}
        }
    }
    report.stats = stats;
    // The cross-object rules' findings are taken out first, so that the merged vector is sized
    // for the rest and the provisional findings `refine` drops are never copied (see
    // `Engine::take_refined`); each file's findings are its objects' then its own.
    let taken = engine.take_refined(
        results
            .iter_mut()
            .flat_map(|r| [&mut r.object_findings, &mut r.findings]),
    );
    // Sized once: a scan of 100,000 objects has hundreds of thousands of findings, and growing
    // the vector by doubling would copy them again and again (and hold both copies: +90 MB at
    // 100,000 objects). `refine` may give more findings than it was given (one per namespace,
    // per attack path; RB201 and NP303 are given none, see `InventoryRule::checks_kept`), so
    // the room is generous: a vector this large is mapped on its own, and the part never
    // written is address space, not memory.
    let rest: usize = results
        .iter()
        .map(|r| r.findings.len() + r.object_findings.len())
        .sum();
    report
        .findings
        .reserve_exact(rest + taken.len() + rest / 4 + 1024);
    for r in results {
        report.findings.extend(r.object_findings);
        report.findings.extend(r.findings);
    }
    crate::timings::mark("merge");
    let (refined, not_evaluated) = engine.refine_taken(&context, taken);
    report.not_evaluated = not_evaluated;
    // Exactly, should `refine` have outgrown the room left for it.
    report.findings.reserve_exact(refined.len());
    report.findings.extend(refined);
    report.evidence.nothing_judged = engine.nothing_judged(&judged, &context);
    // What the rules kept is not needed any more, and the process ends after the report:
    // freeing 100,000 projections one by one would take longer than the rules that read them.
    std::mem::forget(context);
    crate::timings::mark("refine");
    let whole = opts.keep_sources == KeepSources::Whole;
    complete_frames(&report.findings, reread, whole, &opts.limits, &mut sources);
    crate::timings::mark("frames");
    palisade_core::sort_for_report(&mut report.findings);
    crate::timings::mark("sort");
    (report, sources, control_plane)
}

/// The objects given more than once (same group, kind, namespace and name) whose copy a later one
/// replaces, as (input index, object index). Later wins, as `kubectl apply -f a -f b` applies
/// them: a copy in a later command-line argument replaces every copy in earlier ones, and a later
/// document of the same file replaces an earlier one. Two files found under one directory
/// argument do not replace each other: a repository often keeps alternative manifests of one
/// application side by side (`recommended.yaml`, `alternative.yaml`) that are never applied
/// together, and dropping one's findings on a guess would hide them. Each replaced copy gets a
/// note naming both places.
fn replaced_copies(
    results: &[FileResult],
    notes: &mut Vec<InputProblem>,
) -> std::collections::HashSet<(usize, usize)> {
    let identities = || {
        results.iter().enumerate().flat_map(|(file, r)| {
            r.checked
                .iter()
                .enumerate()
                .filter_map(move |(i, c)| Some((file, i, c, c.identity.as_ref()?)))
        })
    };
    // Most objects are given once: find those given more than once first, in one pass, and
    // look closer only at them.
    let mut given_again: HashMap<&Identity, bool> =
        HashMap::with_capacity(results.iter().map(|r| r.checked.len()).sum());
    for (_, _, _, id) in identities() {
        given_again
            .entry(id)
            .and_modify(|again| *again = true)
            .or_insert(false);
    }
    given_again.retain(|_, again| *again);
    let mut replaced = std::collections::HashSet::new();
    if given_again.is_empty() {
        return replaced;
    }
    let copies = || identities().filter(|(_, _, _, id)| given_again.contains_key(id));
    // The last copy overall, and the last copy within each file.
    let mut last: HashMap<&Identity, (usize, usize)> = HashMap::new();
    let mut last_in_file: HashMap<(usize, &Identity), usize> = HashMap::new();
    for (file, i, _, id) in copies() {
        last.insert(id, (file, i));
        last_in_file.insert((file, id), i);
    }
    for (file, i, c, id) in copies() {
        let r = &results[file];
        let (lf, li) = last[id];
        let by = if results[lf].argument > r.argument {
            (lf, li)
        } else {
            match last_in_file[&(file, id)] {
                later if later > i => (file, later),
                _ => continue,
            }
        };
        replaced.insert((file, i));
        let winner = &results[by.0];
        notes.push(InputProblem {
            path: r.path.clone(),
            pos: Some(c.pos),
            message: format!(
                "{} is given again at {}:{}; the later copy is the one checked, as \
                 `kubectl apply` would leave it (findings of this copy are dropped)",
                describe(id),
                winner.path,
                winner.checked[by.1].pos
            ),
        });
    }
    replaced
}

/// Removes from `r.object_findings` the findings of the objects at `dropped` (indexes into
/// `r.checked`, ascending): copies a later one replaces.
fn drop_findings_of(r: &mut FileResult, dropped: &[usize]) {
    let mut keep = Vec::with_capacity(r.object_findings.len());
    let mut findings = std::mem::take(&mut r.object_findings).into_iter();
    for (i, c) in r.checked.iter_mut().enumerate() {
        let own = findings.by_ref().take(c.findings as usize);
        if dropped.binary_search(&i).is_ok() {
            own.for_each(drop);
            c.findings = 0;
        } else {
            keep.extend(own);
        }
    }
    r.object_findings = keep;
}

/// `Deployment shop/web` (`ClusterRole admin` without a namespace), for the note on a copy given
/// again: made only then, not for each of a scan's objects.
fn describe((_, kind, namespace, name): &Identity) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

fn scan_input(engine: &Engine, input: &Input, opts: &ScanOptions) -> FileResult {
    let (path, bytes) = read_input(input, &opts.limits);
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => return problem(&path, &e),
    };
    let text = match source::decode(&bytes, &opts.limits) {
        Ok(t) => t,
        Err(e) => return problem(&path, &e),
    };
    let text = &*text;
    let chunks = yaml::split_documents(text);
    let check = |(i, c): (usize, &Chunk)| check_chunk(engine, &path, text, i, *c, opts);
    let outcomes: Vec<ChunkOutcome> = if text.len() > PARALLEL_FILE_BYTES && chunks.len() > 1 {
        chunks.par_iter().enumerate().map(check).collect()
    } else {
        chunks.iter().enumerate().map(check).collect()
    };
    let mut r = FileResult {
        path: path.clone(),
        ..FileResult::default()
    };
    // Held until the merge for every object of the scan: sized exactly, not by doubling.
    r.checked
        .reserve_exact(outcomes.iter().map(|o| o.checked.len()).sum());
    r.object_findings
        .reserve_exact(outcomes.iter().map(|o| o.object_findings.len()).sum());
    for o in outcomes {
        r.findings.extend(o.findings);
        r.object_findings.extend(o.object_findings);
        r.checked.extend(o.checked);
        r.documents += o.documents;
        r.objects += o.objects;
        r.skipped += o.skipped;
        r.judged.merge(&o.judged);
        if let Some(e) = o.error {
            r.problems.push(InputProblem {
                path: path.clone(),
                pos: e.pos(),
                message: e.to_string(),
            });
        }
    }
    let has_findings = !r.findings.is_empty() || !r.object_findings.is_empty();
    let kept_objects = r.checked.iter().any(|c| !c.context.is_empty());
    r.text = match opts.keep_sources {
        KeepSources::None => None,
        // Standard input cannot be read again for the cross-object rules' frames: kept whole.
        KeepSources::Whole
            if has_findings
                || !r.problems.is_empty()
                || (kept_objects && matches!(input, Input::Stdin)) =>
        {
            Some(Text::Whole(Arc::from(text)))
        }
        // The cross-object rules may still report on its kept objects: recognised when read again.
        KeepSources::Whole if kept_objects => Some(Text::Frames(FrameLines::default().keep(text))),
        KeepSources::Frames if matches!(input, Input::Stdin) && (has_findings || kept_objects) => {
            Some(Text::Whole(Arc::from(text)))
        }
        KeepSources::Frames if has_findings || !r.problems.is_empty() || kept_objects => {
            Some(Text::Frames(frame_lines(&r).keep(text)))
        }
        _ => None,
    };
    r
}

/// The frames of one input's findings and problems, and of the node rules' findings on its
/// control-plane static pods (see [`crate::frames`]).
fn frame_lines(r: &FileResult) -> FrameLines {
    let mut lines = FrameLines::default();
    for f in &r.findings {
        lines.finding(f);
    }
    for p in &r.problems {
        if let Some(pos) = p.pos {
            lines.frame(pos.line, pos.line);
        }
    }
    for f in &r.object_findings {
        lines.finding(f);
    }
    for c in &r.checked {
        if let Some(pod) = &c.control_plane {
            lines.whole(&pod.node);
        }
    }
    lines
}

/// Adds to the kept lines of each file the frames of the cross-object rules' findings about it,
/// reading the file again (see [`crate::frames`]). With `whole` (SARIF), a file kept only for
/// recognition gets its whole text back instead, when it is the text that was scanned.
fn complete_frames(
    findings: &[Finding],
    kept: Vec<(Arc<str>, Input, Sparse)>,
    whole: bool,
    limits: &SourceLimits,
    sources: &mut Sources,
) {
    let mut by_path: HashMap<&str, Vec<&palisade_core::Location>> = HashMap::new();
    for f in findings {
        let steps = f
            .flow
            .iter()
            .flat_map(|s| s.iter())
            .filter_map(|s| s.location.as_ref());
        for l in std::iter::once(&f.location).chain(steps) {
            if let Some(path) = l.path() {
                by_path.entry(path).or_default().push(l);
            }
        }
    }
    let completed: Vec<(Arc<str>, Arc<str>)> = kept
        .into_par_iter()
        .filter_map(|(path, input, sparse)| {
            let locations = by_path.get(&*path)?;
            if whole {
                let bytes = read_input(&input, limits).1.ok()?;
                let text = source::decode(&bytes, limits).ok()?;
                return sparse.is_scanned(&text).then(|| (path, Arc::from(&*text)));
            }
            let more = sparse.missing(locations.iter().copied());
            let text = if more.is_empty() {
                sparse.text
            } else {
                let bytes = read_input(&input, limits).1.ok();
                let again = bytes
                    .as_deref()
                    .and_then(|b| source::decode(b, limits).ok())
                    .and_then(|t| sparse.extend(more, &t));
                match again {
                    Some(s) => s.text,
                    None => sparse.text,
                }
            };
            (!text.is_empty()).then_some((path, text))
        })
        .collect();
    sources.0.extend(completed);
}

/// An input's display name and its bytes, bounded by the size limit (or why it could not be read).
pub type RawInput = (Arc<str>, Result<Vec<u8>, InputError>);

/// Reads one input (a file or stdin), reading at most one byte more than the size limit.
pub fn read_input(input: &Input, limits: &SourceLimits) -> RawInput {
    let (path, bytes) = match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            let limit = limits.max_file_bytes as u64 + 1;
            let read = std::io::stdin().lock().take(limit).read_to_end(&mut buf);
            (Arc::from(STDIN), read.map(|_| buf))
        }
        Input::File(p) => {
            let read = source::read_bounded(p, limits.max_file_bytes as u64);
            return (display(p), read.map_err(|e| input_error(e, limits)));
        }
        // Bounded when rendered.
        Input::Rendered { name, bytes } => return (name.clone(), Ok(bytes.to_vec())),
    };
    (path, bytes.map_err(|e| InputError::Io(e.to_string())))
}

/// A bounded read's failure as an input problem (the size one with its `--max-file-size` hint).
fn input_error(e: source::ReadError, limits: &SourceLimits) -> InputError {
    match e {
        source::ReadError::Io(e) => InputError::Io(e.to_string()),
        source::ReadError::TooLarge { size, limit } => InputError::TooLarge {
            size: size.unwrap_or(limit.saturating_add(1)),
            limit: limits.max_file_bytes,
        },
        other => InputError::Io(other.to_string()),
    }
}

/// The objects of the documents of one input that `wanted` selects, and the input's problems.
/// `wanted` is a cheap test on bytes (the whole input first, then each document) for commands
/// that need a few kinds out of a large tree; it must err towards `true`.
pub fn objects_in(
    path: &Arc<str>,
    bytes: &[u8],
    limits: &SourceLimits,
    wanted: &(dyn Fn(&[u8]) -> bool + Sync),
) -> (Vec<Object>, Vec<InputProblem>) {
    let problem = |e: &InputError| InputProblem {
        path: path.clone(),
        pos: e.pos(),
        message: e.to_string(),
    };
    // The quick look is at UTF-8 bytes: a UTF-16 or UTF-32 file is decoded first.
    let utf8 = matches!(
        source::Encoding::of(bytes),
        source::Encoding::Utf8 | source::Encoding::Utf8Bom
    );
    if utf8 && !wanted(bytes) {
        return (Vec::new(), Vec::new());
    }
    let text = match source::decode(bytes, limits) {
        Ok(t) => t,
        Err(e) => return (Vec::new(), vec![problem(&e)]),
    };
    let text = &*text;
    if !utf8 && !wanted(text.as_bytes()) {
        return (Vec::new(), Vec::new());
    }
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for (ordinal, chunk) in yaml::split_documents(text).into_iter().enumerate() {
        if !wanted(&text.as_bytes()[chunk.start..chunk.end]) {
            continue;
        }
        let loaded = yaml::load_chunk(text, chunk, &limits.yaml);
        for doc in loaded.documents {
            if let Some(objs) = object::objects_of_document(path, ordinal + doc.index, doc.root) {
                objects.extend(objs);
            }
        }
        if let Some(e) = loaded.error {
            problems.push(problem(&source::yaml_error(text, e)));
        }
    }
    (objects, problems)
}

/// The objects of the files and directories `paths` name that `wanted` selects (see
/// [`objects_in`]), read and loaded in parallel, for the commands that analyse manifests without
/// scanning them (`rbac`, `paths`, `harden`, `probe --services`).
pub fn load_paths(
    paths: &[PathBuf],
    limits: &SourceLimits,
    wanted: &(dyn Fn(&[u8]) -> bool + Sync),
) -> (Vec<Object>, Vec<InputProblem>) {
    let (inputs, mut problems) = expand(paths);
    let texts: Vec<RawInput> = inputs.par_iter().map(|i| read_input(i, limits)).collect();
    let (objects, more) = load_objects(&texts, limits, wanted);
    problems.extend(more);
    (objects, problems)
}

/// [`objects_in`] over already read inputs, in parallel.
pub fn load_objects(
    inputs: &[RawInput],
    limits: &SourceLimits,
    wanted: &(dyn Fn(&[u8]) -> bool + Sync),
) -> (Vec<Object>, Vec<InputProblem>) {
    let results: Vec<(Vec<Object>, Vec<InputProblem>)> = inputs
        .par_iter()
        .map(|(path, bytes)| match bytes {
            Ok(b) => objects_in(path, b, limits, wanted),
            Err(e) => (
                Vec::new(),
                vec![InputProblem {
                    path: path.clone(),
                    pos: e.pos(),
                    message: e.to_string(),
                }],
            ),
        })
        .collect();
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for (o, p) in results {
        objects.extend(o);
        problems.extend(p);
    }
    (objects, problems)
}

fn problem(path: &Arc<str>, e: &InputError) -> FileResult {
    FileResult {
        path: path.clone(),
        problems: vec![InputProblem {
            path: path.clone(),
            pos: e.pos(),
            message: e.to_string(),
        }],
        ..FileResult::default()
    }
}

fn check_chunk(
    engine: &Engine,
    path: &Arc<str>,
    text: &str,
    ordinal: usize,
    chunk: Chunk,
    opts: &ScanOptions,
) -> ChunkOutcome {
    let loaded = yaml::load_chunk(text, chunk, &opts.limits.yaml);
    let mut out = ChunkOutcome {
        documents: loaded.documents.len(),
        ..ChunkOutcome::default()
    };
    for doc in loaded.documents {
        for dup in &doc.duplicate_keys {
            out.findings.extend(engine.duplicate_key(path, dup));
        }
        // Chunks are cut at `---`, so a chunk's ordinal is its document's index in the file (a
        // chunk holds more than one document only after an explicit `...` end marker).
        match object::objects_of_document(path, ordinal + doc.index, doc.root) {
            Some(objects) => {
                out.objects += objects.len();
                out.checked.extend(
                    objects.iter().map(|o| {
                        Checked::new(engine, o, &mut out.object_findings, &mut out.judged)
                    }),
                );
            }
            None => out.skipped += 1,
        }
    }
    out.error = loaded.error.map(|e| source::yaml_error(text, e));
    out
}
