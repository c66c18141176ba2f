//! `palisade cluster`: audit a running cluster through the Kubernetes API, read-only.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use palisade_cluster::resources::RESOURCES;
use palisade_core::report::{ScanReport, Stats};
use palisade_core::NotEvaluated;
use palisade_rules::Mode;

use crate::cli::ReportArgs;
use crate::session::Session;

#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// Kubeconfig file [default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account]
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context [default: the current context]
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Audit one namespace only [default: all namespaces]
    #[arg(
        long,
        short = 'n',
        value_name = "NAMESPACE",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,

    /// Audit every namespace (the default)
    #[arg(long, short = 'A')]
    pub all_namespaces: bool,

    /// Timeout of one API request, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub request_timeout: u64,

    /// Also save what was read (never Secret data) to FILE, for `palisade scan --inventory FILE`
    #[arg(long, value_name = "FILE")]
    pub save_inventory: Option<PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// Reads the cluster, runs every rule on what it read, reports.
pub fn run(args: ClusterArgs) -> Result<u8> {
    let session = Session::new(&args.report, Mode::Rules)?;
    let opts = palisade_cluster::Options {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        ..palisade_cluster::Options::default()
    };
    let (inventory, probe, source) = read_live(&opts)?;
    if let Some(path) = &args.save_inventory {
        let source = args.context.as_deref().unwrap_or("cluster");
        palisade_cluster::snapshot::save(path, source, &inventory)?;
    }
    let anonymous = anonymous_findings(&session, &source, &probe);
    report(&session, &inventory, anonymous)
}

/// Reads a live cluster (with a progress bar on a terminal) and probes its API server without
/// credentials: what `palisade cluster` and `palisade harden --cluster` start from.
pub fn read_live(
    opts: &palisade_cluster::Options,
) -> Result<(
    palisade_cluster::Inventory,
    palisade_cluster::AnonymousProbe,
    std::sync::Arc<str>,
)> {
    palisade_cluster::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(
            Some(RESOURCES.len() as u64),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template("{spinner} reading {msg} {pos}/{len} {wide_bar}")
                .expect("static template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let (inventory, probe, source) = runtime.block_on(async {
        let conn = palisade_cluster::connect(opts).await?;
        let inventory = palisade_cluster::read(&conn, opts, &|name| {
            bar.set_message(name.to_owned());
            bar.inc(1);
        })
        .await?;
        let probe = palisade_cluster::probe_anonymous(&conn).await;
        Ok::<_, palisade_cluster::ClusterError>((inventory, probe, conn.source.clone()))
    })?;
    bar.finish_and_clear();
    Ok((inventory, probe, source))
}

/// EX701 from the unauthenticated probe of the API server.
fn anonymous_findings(
    session: &Session,
    source: &std::sync::Arc<str>,
    probe: &palisade_cluster::AnonymousProbe,
) -> Vec<palisade_core::Finding> {
    use palisade_cluster::Access;
    use palisade_core::Severity;
    use palisade_rules::exposure::anonymous_api::{finding, META};
    if !session.selection.includes(&META) {
        return Vec::new();
    }
    match (&probe.version, &probe.namespaces) {
        (_, Access::Allowed) => vec![finding(
            source,
            "/api/v1/namespaces",
            Severity::Critical,
            "the API server lists namespaces to a request without credentials \
             (GET /api/v1/namespaces answered 200): anonymous users can read the cluster"
                .to_owned(),
        )],
        (Access::Allowed, Access::Forbidden) => vec![finding(
            source,
            "/version",
            Severity::Low,
            "anonymous authentication is on: GET /version without credentials is answered \
             (RBAC refuses GET /api/v1/namespaces, 403); any grant to system:anonymous or \
             system:unauthenticated is open to everyone who reaches the port"
                .to_owned(),
        )],
        (Access::Forbidden, Access::Forbidden) => vec![finding(
            source,
            "/version",
            Severity::Low,
            "anonymous authentication is on: requests without credentials get 403 (not 401)"
                .to_owned(),
        )],
        _ => Vec::new(),
    }
}

/// The rules a resource the credentials could not list would have informed. Which rules read a
/// kind is known from the kinds rules look at; without a finer declaration, every rule of a family
/// that reads the kind is listed.
fn unreadable_rules(
    engine: &palisade_rules::Engine,
    inventory: &palisade_cluster::Inventory,
) -> Vec<NotEvaluated> {
    let mut out = Vec::new();
    for u in &inventory.unreadable {
        let families: &[&str] = match u.resource.split('.').next().unwrap_or("") {
            "secrets" => &["RB204"],
            "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings" => &["RB2", "RB201"],
            "networkpolicies" => &["NP3"],
            "namespaces" => &["PS16", "NP30"],
            "podsecuritypolicies" => &["PS17"],
            "serviceaccounts" => &["RB201", "RB202"],
            "limitranges" => &["PS152"],
            "services" | "ingresses" => &["NP34"],
            "nodes" => &["NP350"],
            _ => &["PS1", "IM4", "RB2", "NP3"],
        };
        for meta in engine.metas() {
            if families.iter().any(|f| meta.code.starts_with(f))
                && !out.iter().any(|n: &NotEvaluated| n.code == meta.code)
            {
                out.push(NotEvaluated {
                    code: meta.code,
                    reason: format!("cannot read {}: {}", u.resource, u.reason),
                });
            }
        }
    }
    out
}

/// Runs every rule on an inventory (read now, or saved earlier) and reports.
pub fn report(
    session: &Session,
    inventory: &palisade_cluster::Inventory,
    extra: Vec<palisade_core::Finding>,
) -> Result<u8> {
    for u in &inventory.unreadable {
        eprintln!(
            "warning: cannot read {}: {}; rules that need it are not evaluated",
            u.resource, u.reason
        );
    }
    let engine = session.engine(inventory.version);
    let (mut findings, mut not_evaluated) = engine.check_all(&inventory.objects);
    let mut rules = engine.metas();
    if !extra.is_empty() {
        rules.push(&palisade_rules::exposure::anonymous_api::META);
    }
    findings.extend(extra);
    not_evaluated.extend(unreadable_rules(&engine, inventory));
    findings.sort_by(|a, b| {
        (a.object.as_ref(), a.code, a.location.pointer()).cmp(&(
            b.object.as_ref(),
            b.code,
            b.location.pointer(),
        ))
    });
    let report = ScanReport {
        findings,
        stats: Stats {
            objects: inventory.objects.len(),
            ..Stats::default()
        },
        rules,
        kubernetes_version: engine.settings().kubernetes_version.to_string(),
        not_evaluated,
        ..ScanReport::default()
    };
    let no_sources: std::collections::BTreeMap<String, String> = Default::default();
    session.finish(report, &no_sources)
}
