//! The `palisade` binary: argument parsing, configuration, exit codes. Errors become `anyhow` only
//! here, at the edge.

#[cfg(feature = "alloc-stats")]
mod alloc_stats;
mod allocator;
mod catalogue;
mod cli;
mod cluster_cmd;
mod diff_cmd;
mod files;
mod fix_cmd;
mod frames;
mod harden_cmd;
mod netpol_cmd;
mod node_cmd;
mod paths_cmd;
mod policies;
mod prefilter;
mod probe_cmd;
mod rbac_cmd;
mod render;
mod report_cmd;
mod scan;
mod session;
mod timings;
mod vap_cmd;
mod webhook_cmd;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use palisade_core::report::NotEvaluated;
use palisade_core::source::SourceLimits;
use palisade_rules::Mode;

use cli::{Cli, Command, ScanArgs};
use session::{Session, EXIT_ERROR};

/// The name users type: `kubectl palisade` when run as the kubectl plugin `kubectl-palisade`.
fn command_name() -> &'static str {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let file = std::path::Path::new(&argv0)
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    if file == "kubectl-palisade" || file.starts_with("kubectl-palisade.") {
        "kubectl palisade"
    } else {
        "palisade"
    }
}

/// The CLI definition, named as it was invoked.
fn command() -> clap::Command {
    use clap::CommandFactory as _;
    Cli::command().bin_name(command_name())
}

fn main() -> ExitCode {
    timings::start();
    quiet_broken_pipe();
    let cli = match command()
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
    {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Cluster(args) => cluster_cmd::run(*args),
        Command::Node(args) => node_cmd::run(*args),
        Command::Probe(args) => probe_cmd::run(*args),
        Command::Report(args) => report_cmd::run(args),
        Command::Diff(args) => diff_cmd::run(args),
        Command::Rules(args) => session::declare_discovered_rules()
            .and_then(|()| catalogue::rules(args.format))
            .map(|()| 0),
        Command::Explain { code } => session::declare_discovered_rules()
            .and_then(|()| catalogue::explain(&code))
            .map(|()| 0),
        Command::Fix(args) => fix_cmd::run(*args),
        Command::Rbac(args) => rbac_cmd::run(args),
        Command::Netpol(args) => netpol_cmd::run(args),
        Command::Paths(args) => paths_cmd::run(*args),
        Command::Harden(args) => harden_cmd::run(*args),
        Command::Webhook(args) => webhook_cmd::run(*args),
        Command::Vap(args) => vap_cmd::run(args),
        Command::Completions { shell } => completions(shell).map(|()| 0),
        Command::Man { dir } => man(dir.as_deref()).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`palisade rules | head -1`): what it wanted it has.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Whether an error comes from writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

/// A closed stdout ends the process quietly with exit 0, as ripgrep does, whatever was writing:
/// `print!` panics on a write error, and this hook turns exactly that panic into an exit.
/// SIGPIPE stays ignored (Rust's default), so sockets of the webhook and the probe still see
/// EPIPE as an error instead of killing the process.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        // std's message: "failed printing to stdout: Broken pipe (os error 32)".
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// `palisade completions SHELL`.
fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut cmd = command();
    let name = command_name().to_owned();
    let mut out = session::stdout();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    std::io::Write::flush(&mut out).context("cannot write the completion script")?;
    Ok(())
}

/// `palisade man [--dir DIR]`.
fn man(dir: Option<&std::path::Path>) -> Result<()> {
    let cmd = command().name("palisade").bin_name("palisade");
    match dir {
        None => {
            let mut out = session::stdout();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .and_then(|()| std::io::Write::flush(&mut out))
                .context("cannot write the manual page")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write manual pages to {}", dir.display()))?;
            eprintln!("wrote manual pages to {}", dir.display());
        }
    }
    Ok(())
}

fn scan(args: ScanArgs) -> Result<u8> {
    allocator::keep_freed_memory();
    let mode = match &args.pod_security {
        Some(spec) => session::parse_pod_security(spec)?,
        None => Mode::Rules,
    };
    let mut session = Session::new(&args.report, mode)?;
    if let Some(j) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(j.max(1))
            .build_global()
            .context("--jobs")?;
    }
    if args.parse_only {
        session.selection.ignore.push("*".into());
    }
    for f in args.node_report.iter().chain(&args.probe_report) {
        let report = report_cmd::load(f)?;
        session
            .reports
            .push((f.display().to_string(), std::sync::Arc::new(report)));
    }
    if let Some(path) = &args.inventory {
        // An inventory of a large cluster is hundreds of megabytes; 1 GiB bounds a hostile file.
        let inventory = palisade_cluster::snapshot::load(path, 1 << 30)?;
        return cluster_cmd::report(&session, &inventory, Vec::new());
    }
    let engine = session.engine(None);
    let render_opts = render::RenderOptions {
        values: args.values.clone(),
    };
    let scan::Expanded {
        mut inputs,
        mut problems,
        mut notes,
    } = scan::expand_by_argument(
        &args.paths,
        (!args.no_render).then_some(&render_opts),
        args.max_file_size,
    );
    let opts = scan::ScanOptions {
        limits: SourceLimits {
            max_file_bytes: args.max_file_size,
            ..SourceLimits::default()
        },
        keep_sources: session.wants_source(),
        progress: std::io::stderr().is_terminal(),
    };
    let selected = |code: &str| engine.metas().iter().any(|m| m.code == code);
    let mut unjudged = Vec::new();
    if selected(palisade_cel::rule::META.code)
        || selected(palisade_cel::gatekeeper::rule::META.code)
    {
        let (buffered, unread) = policies::buffer_stdin(inputs, &opts.limits);
        inputs = buffered;
        problems.extend(unread);
        // `policies:` of palisade.yaml: read for their policies only, never rendered.
        let configured =
            scan::expand_by_argument(&session.config.policy_paths(), None, args.max_file_size);
        problems.extend(configured.problems);
        let searched = policies::with_configured(&inputs, configured.inputs);
        let declared = policies::declare(&searched, &opts.limits);
        problems.extend(declared.problems);
        if selected(palisade_cel::gatekeeper::rule::META.code) {
            unjudged = declared.not_evaluated;
        }
        timings::mark("admission policies");
    }
    let (mut report, sources, control_plane) = scan::run(&engine, inputs, &opts);
    // Rego-only Gatekeeper templates and constraints without a template: never pass nor fail.
    report
        .not_evaluated
        .extend(unjudged.into_iter().map(|reason| NotEvaluated {
            code: palisade_cel::gatekeeper::rule::META.code,
            reason,
        }));
    if session.mode == Mode::Rules && !control_plane.is_empty() {
        control_plane_rules(&session, &control_plane, &mut report);
    }
    problems.append(&mut report.problems);
    report.problems = problems;
    notes.append(&mut report.notes);
    report.notes = notes;
    report.evidence.sources.push(palisade_core::report::Source {
        kind: palisade_core::report::SourceKind::Files,
        name: args
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
    });
    let code = session.finish(report, &sources);
    timings::mark("report");
    code
}

/// The node rules about the control plane (CP5xx) on static pod manifests found among the
/// scanned files, as `palisade node` judges them on a node and `palisade cluster` on mirror pods.
/// Their findings are placed in the manifest and belong to the Pod; settings that live in files
/// on the node are not part of a scan of manifests and give no finding.
fn control_plane_rules(
    session: &Session,
    pods: &[palisade_core::Object],
    report: &mut palisade_core::report::ScanReport,
) {
    let refs: Vec<&palisade_core::Object> = pods.iter().collect();
    let inventory = palisade_node::api::manifest_inventory(&refs, session.version);
    let wanted =
        |m: &palisade_core::RuleMeta| m.code.starts_with("CP") && session.selection.includes(m);
    let node = palisade_node::check_selected(inventory, &wanted);
    for mut f in node.findings {
        // A node finding names its component (`kube-apiserver`); the Pod running it is the
        // object users exempt, baseline and look up.
        let component = f
            .object
            .as_ref()
            .map(|o| o.kind.clone())
            .unwrap_or_default();
        if let Some(pod) = pods.iter().find(|p| {
            p.pod_template().is_some_and(|t| {
                t.containers().any(|c| {
                    c.node
                        .get("command")
                        .map(palisade_core::yaml::Node::items)
                        .and_then(|i| i.first())
                        .and_then(palisade_core::yaml::Node::as_str)
                        .is_some_and(|b| b.rsplit('/').next() == Some(component.as_str()))
                })
            })
        }) {
            f.object = Some(std::sync::Arc::new(pod.reference()));
        }
        if let Some(e) = session
            .config
            .exemptions
            .iter()
            .find(|e| e.matches_finding(&f))
        {
            f.suppressed = Some(e.reason.clone().into());
        }
        report.findings.push(f);
    }
    for meta in palisade_node::rules::metas() {
        if wanted(meta) && !report.rules.iter().any(|m| m.code == meta.code) {
            report.rules.push(meta);
        }
    }
    palisade_core::sort_for_report(&mut report.findings);
}

impl palisade_report::SourceText for scan::Sources {
    fn text(&self, path: &str) -> Option<&str> {
        self.get(path)
    }
}
