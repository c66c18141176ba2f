//! `palisade probe`: which of the guide's ports answer on the hosts the user names, and what they
//! answer without credentials; findings tied to the node audit when one is given.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use palisade_core::report::{ScanReport, Stats};
use palisade_core::NotEvaluated;
use palisade_probe::ports::{self, PortSpec, Role};
use palisade_probe::rules::{self, Context};
use palisade_probe::target::{self, Limits, Resolver, SystemResolver, Target};
use palisade_rules::Mode;

use crate::cli::ReportArgs;
use crate::session::Session;

/// Ports probed at once, at most (each holds one socket; the default keeps well under the usual
/// 1024 open-file limit).
const MAX_CONCURRENCY: usize = 4096;

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// Hosts, IP addresses, CIDR ranges or HOST:PORT to probe (only these are ever touched)
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Also probe the targets in FILE (whitespace-separated, `#` comments; at most 4 MiB)
    #[arg(long, value_name = "FILE")]
    pub targets_file: Option<PathBuf>,

    /// Also probe the cluster's nodes (InternalIP and ExternalIP) and its API endpoint, read from
    /// the kubeconfig's cluster (needs `list nodes`)
    #[arg(long)]
    pub from_cluster: bool,

    /// Kubeconfig file for --from-cluster [default: $KUBECONFIG, ~/.kube/config, in-cluster]
    #[arg(long, value_name = "FILE", requires = "from_cluster")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context for --from-cluster [default: the current context]
    #[arg(long, value_name = "NAME", requires = "from_cluster")]
    pub context: Option<String>,

    /// Ports to probe instead of the default list: ports, ranges and role-tagged ports, e.g.
    /// `22,6443,10250-10259,kubelet=20250` (roles: ssh, etcd, apiserver, kubelet,
    /// kubelet-read-only, kube-proxy, controller-manager, scheduler, cadvisor, calico,
    /// insecure-api, dashboard, https, nodeport, other)
    #[arg(long, value_name = "LIST")]
    pub ports: Option<String>,

    /// Also probe the NodePort range 30000-32767
    #[arg(long)]
    pub nodeports: bool,

    /// Probe up to N hosts; required for a CIDR range larger than a /24 [default: 1024]
    #[arg(long, value_name = "N")]
    pub max_hosts: Option<usize>,

    /// Timeout of one connect, TLS handshake or HTTP exchange, in seconds (a port that accepts
    /// and stays silent costs two: TLS, then plain HTTP)
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub timeout: f64,

    /// Stop the whole probe after this many seconds; what was not probed is reported as not
    /// evaluated
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0)]
    pub deadline: f64,

    /// Ports probed at once (each holds at most one socket)
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub concurrency: usize,

    /// The bastion host: the one host expected to answer SSH (EX715 reports SSH on any other)
    #[arg(long, value_name = "HOST")]
    pub bastion: Option<String>,

    /// A saved node audit (`palisade node --format json > node.json`) to tie findings to the
    /// settings behind them; `HOST=FILE` applies it to one host only (repeatable; at most 64 MiB)
    #[arg(long, value_name = "[HOST=]FILE")]
    pub node_report: Vec<String>,

    /// Audit a node's files now (as `palisade node --root DIR` does) and tie findings to its
    /// settings; `HOST=DIR` applies it to one host only (repeatable; `/` is this machine)
    #[arg(long, value_name = "[HOST=]DIR")]
    pub node_root: Vec<String>,

    /// Manifests (files or directories) whose NodePort and LoadBalancer Services name the
    /// Service behind each node port that answers (repeatable; with --from-cluster the cluster's
    /// Services are read too)
    #[arg(long, value_name = "PATH")]
    pub services: Vec<PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// Probes, then reports like every command.
pub fn run(args: ProbeArgs) -> Result<u8> {
    let session = Session::new(&args.report, Mode::Rules)?;
    let opts = options(&args)?;
    let resolver = SystemResolver;
    let mut reports = palisade_probe::correlate::load_all(&args.node_report, &resolver)?;
    for spec in &args.node_root {
        reports.push(audit_node(spec, &resolver)?);
    }
    let bastion = match &args.bastion {
        Some(b) => Some(one_address(b, &resolver).map_err(|e| anyhow!("--bastion: {e}"))?),
        None => None,
    };
    let mut specs = args.targets.clone();
    if let Some(file) = &args.targets_file {
        specs.extend(target::read_file(file)?);
    }
    let limits = Limits {
        max_hosts: args.max_hosts,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut nodes = HashMap::new();
    let mut targets: Vec<Target> = Vec::new();
    let mut services = load_services(&args.services)?;
    if args.from_cluster {
        // The Services are read only when node ports are probed: they name what answers there.
        let node_ports = opts.ports.iter().any(|p| p.role == Role::NodePort);
        let (found, names, cluster_services) =
            runtime.block_on(from_cluster(&args, &resolver, node_ports))?;
        targets.extend(found);
        nodes = names;
        services.extend(cluster_services);
    }
    let mut node_ports: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for owner in palisade_rules::rules::np::service_exposed::node_port_owners(&services) {
        node_ports
            .entry(owner.node_port)
            .or_default()
            .push(owner.service);
    }
    if !specs.is_empty() || targets.is_empty() {
        targets.extend(target::expand(&specs, limits, &resolver)?);
    }
    let max = args.max_hosts.unwrap_or(target::DEFAULT_MAX_HOSTS);
    if targets.len() > max {
        bail!(
            "{} hosts to probe, more than {max}; pass --max-hosts N to probe more",
            targets.len()
        );
    }
    let targets: Vec<Arc<Target>> = targets.into_iter().map(Arc::new).collect();
    let planned: usize = targets
        .iter()
        .map(|t| palisade_probe::ports_of(t, &opts).len())
        .sum();
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(planned as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} probing {pos}/{len} host:port {wide_bar} {eta}",
            )
            .expect("static template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let outcome = runtime.block_on(palisade_probe::probe(&targets, &opts, &|| bar.inc(1)));
    bar.finish_and_clear();
    let c = outcome.counts;
    eprintln!(
        "Probed {} of {} host:port pairs on {} host(s) in {:.2} s: {} open, {} closed, {} \
         filtered (no answer to the connect){}.",
        c.probed,
        c.planned,
        targets.len(),
        outcome.elapsed.as_secs_f64(),
        c.open,
        c.closed,
        c.filtered,
        if c.failed > 0 {
            format!(", {} unreachable", c.failed)
        } else {
            String::new()
        }
    );

    let cx = Context {
        bastion,
        nodes,
        reports,
        node_ports,
    };
    let include = |m: &palisade_core::RuleMeta| session.selection.includes(m);
    let findings = rules::evaluate(&outcome, &cx, &include);
    let metas: Vec<_> = rules::metas().into_iter().filter(|m| include(m)).collect();
    let not_evaluated = if outcome.deadline_hit {
        metas
            .iter()
            .map(|m| NotEvaluated {
                code: m.code,
                reason: format!(
                    "the --deadline of {}s passed before {} of {} host:port pairs were probed",
                    args.deadline,
                    c.planned - c.probed,
                    c.planned
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    let report = ScanReport {
        findings,
        stats: Stats {
            objects: c.probed,
            subject: Some(palisade_core::report::Subject {
                verb: "Probed",
                one: "host:port pair",
                many: "host:port pairs",
            }),
            ..Stats::default()
        },
        rules: metas,
        kubernetes_version: session
            .engine(None)
            .settings()
            .kubernetes_version
            .to_string(),
        not_evaluated,
        evidence: palisade_core::report::Evidence {
            sources: vec![palisade_core::report::Source {
                kind: palisade_core::report::SourceKind::Probe,
                name: format!("probe of {} host:port pairs", c.probed),
            }],
            ..Default::default()
        },
        ..ScanReport::default()
    };
    let no_sources: std::collections::BTreeMap<String, String> = Default::default();
    session.finish(report, &no_sources)
}

fn options(args: &ProbeArgs) -> Result<palisade_probe::Options> {
    let seconds = |name: &str, v: f64| -> Result<Duration> {
        if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
            bail!("{name}: {v} is not a number of seconds between 0 and 86400");
        }
        Ok(Duration::from_secs_f64(v))
    };
    if args.concurrency == 0 || args.concurrency > MAX_CONCURRENCY {
        bail!("--concurrency: between 1 and {MAX_CONCURRENCY}");
    }
    // Each probe in flight holds a socket, and another may still be closing.
    if let Some(limit) = open_file_limit() {
        let needed = 2 * args.concurrency as u64 + 64;
        if needed > limit {
            bail!(
                "--concurrency {}: needs up to {needed} open files, the limit is {limit} \
                 (lower --concurrency, or raise the limit with `ulimit -n`)",
                args.concurrency
            );
        }
    }
    let mut list = match &args.ports {
        Some(spec) => ports::parse_ports(spec)?,
        None => ports::default_ports(),
    };
    if args.nodeports {
        ports::merge(&mut list, ports::nodeports());
    }
    Ok(palisade_probe::Options {
        ports: list,
        timeout: seconds("--timeout", args.timeout)?,
        concurrency: args.concurrency,
        deadline: seconds("--deadline", args.deadline)?,
    })
}

/// Runs the node audit of `[HOST=]DIR` for correlation.
fn audit_node(
    spec: &str,
    resolver: &dyn Resolver,
) -> Result<palisade_probe::correlate::NodeReport> {
    let (host, dir) = palisade_probe::correlate::split_host(spec, resolver)
        .map_err(|e| anyhow!("--node-root {spec}: {e}"))?;
    let root = PathBuf::from(dir);
    if !root.is_dir() {
        bail!("--node-root {dir}: not a directory");
    }
    let proc = (root == std::path::Path::new("/")).then(|| PathBuf::from("/proc"));
    // The machine itself (as `palisade node` without --root): its binaries may tell their version.
    let run_binaries = proc.is_some();
    let audit = palisade_node::audit(&palisade_node::Options {
        root,
        proc,
        kubernetes_version: None,
        run_binaries,
    });
    Ok(palisade_probe::correlate::from_findings(
        format!("--root {dir}"),
        host,
        &audit.findings,
    ))
}

/// The soft limit of open files (Linux: /proc/self/limits), if known.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn one_address(host: &str, resolver: &dyn Resolver) -> Result<IpAddr> {
    if let Ok(ip) = host.parse() {
        return Ok(ip);
    }
    resolver
        .resolve(host)
        .map_err(|e| anyhow!("cannot resolve `{host}`: {e}"))?
        .first()
        .copied()
        .ok_or_else(|| anyhow!("cannot resolve `{host}`: no address"))
}

/// The Services of `--services` manifests; a file that cannot be read or parsed is an error
/// (exit 2), as in `scan`.
fn load_services(paths: &[PathBuf]) -> Result<Vec<palisade_core::Object>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let limits = palisade_core::source::SourceLimits::default();
    // Every document is read: a text prefilter could miss a Service written unusually, and the
    // node ports it names would go unnamed.
    let (objects, problems) = crate::scan::load_paths(paths, &limits, &|_| true);
    if let Some(p) = problems.first() {
        let at = p.pos.map(|pos| format!(":{pos}")).unwrap_or_default();
        bail!("--services {}{at}: {}", p.path, p.message);
    }
    Ok(objects)
}

/// The cluster's node addresses (every default port) and its API endpoint (that port only, as
/// an API server), node names by address, and its Services when node ports are probed (a
/// refused `list services` only loses the names: a note, not an error).
async fn from_cluster(
    args: &ProbeArgs,
    resolver: &dyn Resolver,
    with_services: bool,
) -> Result<(
    Vec<Target>,
    HashMap<IpAddr, String>,
    Vec<palisade_core::Object>,
)> {
    palisade_cluster::install_crypto_provider();
    let opts = palisade_cluster::Options {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        request_timeout: Duration::from_secs(30),
        ..palisade_cluster::Options::default()
    };
    let conn = palisade_cluster::connect(&opts).await?;
    let addresses = palisade_cluster::node_addresses(&conn, &opts).await?;
    let mut targets = Vec::new();
    let mut names = HashMap::new();
    for a in &addresses {
        let ip: IpAddr = a.address.parse().map_err(|_| {
            anyhow!(
                "node {} has {} `{}`, not an IP address",
                a.node,
                a.kind,
                a.address
            )
        })?;
        names.insert(ip, a.node.clone());
        if !targets.iter().any(|t: &Target| t.ip == ip) {
            targets.push(Target::ip(ip));
        }
    }
    let (host, port) = endpoint(&conn.url)
        .ok_or_else(|| anyhow!("the kubeconfig's server `{}` has no host", conn.url))?;
    let host = host.as_str();
    let ip = one_address(host, resolver)?;
    targets.push(Target {
        ip,
        name: host.parse::<IpAddr>().is_err().then(|| host.to_owned()),
        ports: Some(vec![PortSpec {
            port,
            role: Role::ApiServer,
        }]),
    });
    let services = if with_services {
        match palisade_cluster::services(&conn, &opts).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("note: the Services behind node ports are not named: {e}");
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    Ok((targets, names, services))
}

/// Host and port of a server URL (`https://[fd00::1]:6443/` → `fd00::1`, 6443; the scheme's
/// port when none is given).
fn endpoint(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split(['/', '?']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let default = if scheme.eq_ignore_ascii_case("http") {
        80
    } else {
        443
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok().filter(|p| *p != 0)?,
        None => default,
    };
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn api_endpoints() {
        assert_eq!(
            endpoint("https://10.0.0.2:6443"),
            Some(("10.0.0.2".into(), 6443))
        );
        assert_eq!(
            endpoint("https://api.example.com/"),
            Some(("api.example.com".into(), 443))
        );
        assert_eq!(
            endpoint("https://[fd00::1]:6443/x"),
            Some(("fd00::1".into(), 6443))
        );
        assert_eq!(endpoint("http://localhost"), Some(("localhost".into(), 80)));
        assert_eq!(endpoint("https://:6443"), None);
        assert_eq!(endpoint("https://h:0"), None);
    }
}
