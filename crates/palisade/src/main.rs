//! The `palisade` binary: argument parsing, configuration, exit codes. Errors become `anyhow` only
//! here, at the edge.

/// The scan allocates and frees millions of small nodes across threads; mimalloc does that
/// markedly faster than the system allocator (see bench/).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod catalogue;
mod cli;
mod cluster_cmd;
mod files;
mod fix_cmd;
mod harden_cmd;
mod netpol_cmd;
mod node_cmd;
mod probe_cmd;
mod rbac_cmd;
mod scan;
mod session;
mod webhook_cmd;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Parser;
use palisade_core::source::SourceLimits;
use palisade_rules::Mode;

use cli::{Cli, Command, ScanArgs};
use session::{Session, EXIT_ERROR};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
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
        Command::Rules(args) => catalogue::rules(args.format).map(|()| 0),
        Command::Explain { code } => catalogue::explain(&code).map(|()| 0),
        Command::Fix(args) => fix_cmd::run(*args),
        Command::Rbac(args) => rbac_cmd::run(args),
        Command::Netpol(args) => netpol_cmd::run(args),
        Command::Harden(args) => harden_cmd::run(*args),
        Command::Webhook(args) => webhook_cmd::run(*args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
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
    if let Some(path) = &args.inventory {
        // An inventory of a large cluster is hundreds of megabytes; 1 GiB bounds a hostile file.
        let inventory = palisade_cluster::snapshot::load(path, 1 << 30)?;
        return cluster_cmd::report(&session, &inventory, Vec::new());
    }
    let engine = session.engine(None);
    let (inputs, mut problems) = scan::expand_by_argument(&args.paths);
    let opts = scan::ScanOptions {
        limits: SourceLimits {
            max_file_bytes: args.max_file_size,
            ..SourceLimits::default()
        },
        keep_sources: session.wants_source(),
        progress: std::io::stderr().is_terminal(),
    };
    let (mut report, sources) = scan::run(&engine, inputs, &opts);
    problems.append(&mut report.problems);
    report.problems = problems;
    session.finish(report, &sources)
}

impl palisade_report::SourceText for scan::Sources {
    fn text(&self, path: &str) -> Option<&str> {
        self.get(path)
    }
}
