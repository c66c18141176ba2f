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

    /// Also write the findings into the cluster as wg-policy PolicyReports (one per namespace)
    /// and a ClusterPolicyReport, named `palisade`, by server-side apply (field manager
    /// `palisade`). The one write Palisade makes: needs create and patch on them
    /// (deploy/components/policy-reports) and the wgpolicyk8s.io/v1alpha2 CRDs
    #[arg(long)]
    pub write_policy_reports: bool,

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
    let (inventory, source) = read_live(&opts)?;
    if let Some(path) = &args.save_inventory {
        palisade_cluster::snapshot::save(path, &source, &inventory)?;
    }
    let mut report = build_report(&session, &inventory, Vec::new());
    let mut write_failed = false;
    if args.write_policy_reports {
        report.fail_on = Some(session.fail_on);
        write_failed = !write_policy_reports(&opts, &report, &inventory)?;
    }
    let no_sources: std::collections::BTreeMap<String, String> = Default::default();
    let code = session.finish(report, &no_sources)?;
    Ok(if write_failed {
        crate::session::EXIT_ERROR
    } else {
        code
    })
}

/// Applies the reports of `report` to the cluster; false when some could not be written (each
/// named on stderr).
fn write_policy_reports(
    opts: &palisade_cluster::Options,
    report: &ScanReport,
    inventory: &palisade_cluster::Inventory,
) -> Result<bool> {
    let mut namespaces: Vec<String> = inventory
        .objects
        .iter()
        .filter(|o| o.kind() == "Namespace" && o.group().is_empty())
        .filter_map(|o| o.name().map(str::to_owned))
        .collect();
    if let Some(ns) = &opts.namespace {
        namespaces.retain(|n| n == ns);
    }
    let objects = palisade_report::policyreport::policy_reports(
        report,
        &palisade_report::ToolInfo::default(),
        crate::session::now(),
        &namespaces,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let failures = runtime.block_on(async {
        let conn = palisade_cluster::connect(opts).await?;
        Ok::<_, palisade_cluster::ClusterError>(
            palisade_cluster::policy_reports::apply(&conn, &objects).await,
        )
    })?;
    for f in &failures {
        eprintln!("error: {f}");
    }
    eprintln!(
        "wrote {} of {} policy reports (server-side apply, field manager {})",
        objects.len() - failures.len(),
        objects.len(),
        palisade_cluster::policy_reports::FIELD_MANAGER
    );
    Ok(failures.is_empty())
}

/// Reads a live cluster (with a progress bar on a terminal) and probes its API server without
/// credentials (the answer is kept in the inventory): what `palisade cluster` and
/// `palisade harden --cluster` start from. Also returns the connection's name for findings.
pub fn read_live(
    opts: &palisade_cluster::Options,
) -> Result<(palisade_cluster::Inventory, std::sync::Arc<str>)> {
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
    let (mut inventory, probe, source) = runtime.block_on(async {
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
    // The probe is part of what was read: saved with the objects, so that `scan --inventory`
    // gives the same EX701 finding.
    inventory.anonymous = Some(probe);
    Ok((inventory, source))
}

/// The name findings use for the cluster: the origin of the objects read.
fn cluster_source(inventory: &palisade_cluster::Inventory) -> std::sync::Arc<str> {
    match inventory.objects.first().map(|o| &o.origin) {
        Some(palisade_core::Origin::Api { source }) => std::sync::Arc::clone(source),
        _ => std::sync::Arc::from("cluster"),
    }
}

/// The node rules on what the API shows: control-plane mirror pods (CP rules) and each
/// kubelet's `/configz` (KL rules), with what could not be seen as not evaluated.
fn node_audit(
    session: &Session,
    inventory: &palisade_cluster::Inventory,
    source: &std::sync::Arc<str>,
) -> (
    Vec<palisade_core::Finding>,
    Vec<NotEvaluated>,
    Vec<&'static palisade_core::RuleMeta>,
) {
    use palisade_core::ObjectRef;
    use palisade_node::api::{self, ApiNode};
    use std::collections::{BTreeMap, BTreeSet};

    let metas: Vec<&'static palisade_core::RuleMeta> = palisade_node::rules::metas()
        .into_iter()
        .filter(|m| session.selection.includes(m))
        .collect();
    let cp_rule = |code: &str| code.starts_with("CP");
    let mut reasons: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    type Reasons = BTreeMap<&'static str, BTreeSet<String>>;
    fn ne(
        reasons: &mut Reasons,
        metas: &[&'static palisade_core::RuleMeta],
        pred: &dyn Fn(&str) -> bool,
        why: &str,
    ) {
        for m in metas.iter().filter(|m| pred(m.code)) {
            reasons.entry(m.code).or_default().insert(why.to_owned());
        }
    }
    let control_plane = palisade_cluster::facts::control_plane(
        &inventory.server_version,
        &inventory.objects,
        inventory.kube_system_read(),
    );
    let mut nodes: BTreeMap<String, ApiNode<'_>> = BTreeMap::new();
    match control_plane.not_evaluated() {
        Some(why) => ne(&mut reasons, &metas, &|c| cp_rule(c), &why),
        None => {
            for pod in inventory
                .objects
                .iter()
                .filter(|o| api::is_control_plane_mirror_pod(o))
            {
                let name = api::node_name(pod).unwrap_or("").to_owned();
                let node = nodes.entry(name.clone()).or_default();
                node.name = name;
                node.pods.push(pod);
            }
        }
    }
    if let Some(u) = inventory.unreadable.iter().find(|u| u.resource == "nodes") {
        ne(
            &mut reasons,
            &metas,
            &|c| !cp_rule(c),
            &format!("cannot read nodes: {}", u.reason),
        );
    }
    for (name, answer) in &inventory.configz {
        let kubelet_version = inventory
            .objects
            .iter()
            .find(|o| o.kind() == "Node" && o.name() == Some(name.as_str()))
            .and_then(|o| o.node.path(&["status", "nodeInfo", "kubeletVersion"]))
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse().ok());
        let n = nodes.entry(name.clone()).or_default();
        n.name = name.clone();
        n.configz = Some(answer.clone());
        n.kubelet_version = kubelet_version;
    }
    let mut findings = Vec::new();
    let mut ran: BTreeSet<&'static str> = BTreeSet::new();
    for node in nodes.values() {
        let has_cp = !node.pods.is_empty();
        let has_kubelet = matches!(node.configz, Some(Ok(_)));
        if let Some(Err(why)) = &node.configz {
            ne(
                &mut reasons,
                &metas,
                &|c| !cp_rule(c),
                &format!("node {}: {why}", node.name),
            );
        }
        let inv = api::inventory(source, node, inventory.version);
        if has_kubelet
            && inv
                .component(palisade_node::ComponentKind::Kubelet)
                .is_none()
        {
            if let Some(p) = inv.problems.first() {
                ne(
                    &mut reasons,
                    &metas,
                    &|c| !cp_rule(c),
                    &format!("node {}: {}", node.name, p.message),
                );
            }
        }
        let wanted = |m: &palisade_core::RuleMeta| {
            session.selection.includes(m) && if cp_rule(m.code) { has_cp } else { has_kubelet }
        };
        let report = palisade_node::check_selected(inv, &wanted);
        for item in report
            .items
            .iter()
            .filter(|i| i.verdict == palisade_node::rules::Verdict::NotEvaluated)
        {
            reasons
                .entry(item.code)
                .or_default()
                .insert(format!("node {}: {}", node.name, item.evidence));
        }
        for mut f in report.findings {
            ran.insert(f.code);
            let kind = f
                .object
                .as_ref()
                .map(|o| o.kind.clone())
                .unwrap_or_default();
            let pod = node
                .pods
                .iter()
                .find(|p| p.name().is_some_and(|n| n.starts_with(&format!("{kind}-"))));
            f.object = Some(std::sync::Arc::new(match pod {
                Some(p) => ObjectRef {
                    api_version: "v1".into(),
                    kind: "Pod".into(),
                    namespace: p.namespace().map(str::to_owned),
                    name: p.name().map(str::to_owned),
                },
                None => ObjectRef {
                    api_version: "v1".into(),
                    kind: "Node".into(),
                    namespace: None,
                    name: Some(node.name.clone()),
                },
            }));
            if let Some(e) = session
                .config
                .exemptions
                .iter()
                .find(|e| e.matches_finding(&f))
            {
                f.suppressed = Some(e.reason.clone().into());
            }
            findings.push(f);
        }
        ran.extend(report.items.iter().map(|i| i.code));
    }
    let not_evaluated = reasons
        .into_iter()
        .map(|(code, why)| {
            let mut list: Vec<String> = why.into_iter().collect();
            if list.len() > 3 {
                let more = list.len() - 3;
                list.truncate(3);
                list.push(format!("and {more} more"));
            }
            NotEvaluated {
                code,
                reason: list.join("; "),
            }
        })
        .collect::<Vec<_>>();
    let rules = metas
        .into_iter()
        .filter(|m| ran.contains(m.code) || not_evaluated.iter().any(|n| n.code == m.code))
        .collect();
    (findings, not_evaluated, rules)
}

/// EX701 from the unauthenticated probe of the API server.
fn anonymous_findings(
    session: &Session,
    source: &std::sync::Arc<str>,
    probe: &palisade_cluster::AnonymousProbe,
) -> Vec<palisade_core::Finding> {
    use palisade_cluster::Access;
    use palisade_core::Severity;
    use palisade_probe::rules::apiserver_anonymous::{finding, META};
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
            // `policies::declare_from_cluster` says which policies could not be judged.
            r if r.starts_with("validatingadmissionpolic") => &[],
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
    let report = build_report(session, inventory, extra);
    let no_sources: std::collections::BTreeMap<String, String> = Default::default();
    session.finish(report, &no_sources)
}

/// Every rule on an inventory, as one report.
fn build_report(
    session: &Session,
    inventory: &palisade_cluster::Inventory,
    extra: Vec<palisade_core::Finding>,
) -> ScanReport {
    for u in &inventory.unreadable {
        eprintln!(
            "warning: cannot read {}: {}; rules that need it are not evaluated",
            u.resource, u.reason
        );
    }
    let source = cluster_source(inventory);
    let mut extra = extra;
    if let Some(probe) = &inventory.anonymous {
        extra.extend(anonymous_findings(session, &source, probe));
    }
    let (node_findings, node_not_evaluated, node_rules) = node_audit(session, inventory, &source);
    // What the control plane's flags, the kubelets' configz and the anonymous probe showed is
    // joined by the attack-path rules, as `scan --node-report` joins a saved node audit.
    let mut joined_rules = node_rules.clone();
    if !extra.is_empty() {
        joined_rules.push(&palisade_probe::rules::apiserver_anonymous::META);
    }
    let joined = ScanReport {
        findings: node_findings.iter().chain(&extra).cloned().collect(),
        rules: joined_rules,
        not_evaluated: node_not_evaluated.clone(),
        ..ScanReport::default()
    };
    // `scan --inventory --node-report` joins its saved reports too.
    let mut reports = session.reports.clone();
    reports.push((format!("cluster {source}"), std::sync::Arc::new(joined)));
    let engine = session.engine_with(inventory.version, reports);
    let policies_not_evaluated = if engine
        .metas()
        .iter()
        .any(|m| m.code == palisade_cel::rule::META.code)
    {
        crate::policies::declare_from_cluster(inventory)
    } else {
        Vec::new()
    };
    let palisade_rules::Evaluation {
        mut findings,
        mut not_evaluated,
        nothing_judged,
    } = engine.evaluate(&inventory.objects);
    not_evaluated.extend(policies_not_evaluated);
    if engine
        .metas()
        .iter()
        .any(|m| m.code == palisade_cel::gatekeeper::rule::META.code)
    {
        not_evaluated.push(NotEvaluated {
            code: palisade_cel::gatekeeper::rule::META.code,
            reason: "palisade cluster does not read Gatekeeper ConstraintTemplates and \
                     constraints; scan their manifests with the workloads'"
                .to_owned(),
        });
    }
    let mut rules = engine.metas();
    if !extra.is_empty() {
        rules.push(&palisade_probe::rules::apiserver_anonymous::META);
    }
    findings.extend(extra);
    not_evaluated.extend(unreadable_rules(&engine, inventory));
    findings.extend(node_findings);
    not_evaluated.extend(node_not_evaluated);
    rules.extend(node_rules);
    findings.sort_by(|a, b| {
        (a.object.as_ref(), a.code, a.location.pointer()).cmp(&(
            b.object.as_ref(),
            b.code,
            b.location.pointer(),
        ))
    });
    ScanReport {
        findings,
        stats: Stats {
            objects: inventory.objects.len(),
            ..Stats::default()
        },
        rules,
        kubernetes_version: engine.settings().kubernetes_version.to_string(),
        not_evaluated,
        evidence: palisade_core::report::Evidence {
            sources: vec![palisade_core::report::Source {
                kind: palisade_core::report::SourceKind::Cluster,
                name: format!("cluster {source}"),
            }],
            nothing_judged,
            judged: None,
        },
        ..ScanReport::default()
    }
}
