//! `palisade harden`: the hardening bundle for an inventory (manifests, a saved inventory or a live
//! cluster), written as a kustomize directory or one YAML stream, with the proof that it works.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::Args;
use palisade_core::source::SourceLimits;
use palisade_core::{KubeVersion, Object};
use palisade_harden::{harden, node, Bundle, Options, Proof};

use crate::files::{self, Access};
use crate::scan;

#[derive(Args, Debug)]
#[command(group(
    clap::ArgGroup::new("source")
        .required(true)
        .args(["paths", "inventory", "cluster"])
))]
pub struct HardenArgs {
    /// Manifest files or directories of the workloads to harden; `-` reads stdin
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Harden what an inventory saved by `palisade cluster --save-inventory` holds
    #[arg(long, value_name = "FILE", conflicts_with_all = ["paths", "cluster"])]
    pub inventory: Option<PathBuf>,

    /// Read the live cluster of the current kubeconfig context (read-only)
    #[arg(long, conflicts_with = "paths")]
    pub cluster: bool,

    /// Kubeconfig file for --cluster [default: $KUBECONFIG, ~/.kube/config, in-cluster]
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context for --cluster [default: the current context]
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,

    /// Timeout of one API request with --cluster, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub request_timeout: u64,

    /// Target Kubernetes version (1.N) [default: the cluster's or the inventory's, else the
    /// newest Palisade knows]
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,

    /// Write the bundle as a directory (YAML files, kustomization.yaml, node/, and the report as
    /// palisade-report.txt) instead of one stream on stdout. Only then is an encryption key
    /// generated (from the OS random source), in node/encryption-config.yaml: node/ is made 0700
    /// and its files 0600 from the start; the stream carries a placeholder instead
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Only check: exit 1 when the bundle would break a running workload (a Service's clients
    /// cut off, a Pod Security level that rejects it), 0 otherwise; writes nothing
    #[arg(long)]
    pub check: bool,

    /// Largest input file read, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_file_size: usize,
}

/// Reads the inventory, builds and proves the bundle, writes it and the report.
pub fn run(args: HardenArgs) -> Result<u8> {
    let flag_version = args
        .kubernetes_version
        .as_deref()
        .map(|v| {
            KubeVersion::parse_exact(v).map_err(|_| {
                anyhow!("--kubernetes-version: {v:?} is not a Kubernetes version (1.N, v1.N.P or latest)")
            })
        })
        .transpose()?;
    let (objects, detected, source) = read(&args)?;
    check_names(&objects)?;
    let version = flag_version.or(detected).unwrap_or_default();
    let started = std::time::Instant::now();
    let bundle = harden(
        objects,
        &Options {
            version,
            // Only a bundle written with --out gets a real key: it goes into a 0600 file. A
            // stream ends up in terminals, CI logs and files of any mode, so it carries the
            // placeholder and says how to make a key.
            encryption_key: match (&args.out, args.check) {
                (Some(_), false) => Some(random_key()?),
                _ => None,
            },
        },
    );
    let proof = bundle.proof()?;
    let node_check = check_node(&bundle)?;
    let elapsed = started.elapsed();

    let mut report = String::new();
    write_report(&mut report, &bundle, &proof, &node_check, &source);
    let broken = !proof.breakages.is_empty();
    let mut stdout = crate::session::stdout();
    if args.check {
        writeln!(
            stdout,
            "{report}check: {} ({elapsed:.1?})",
            if broken {
                "the bundle would break running workloads (see above)"
            } else {
                "the bundle breaks no running workload"
            }
        )
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")?;
        return Ok(u8::from(broken));
    }
    match &args.out {
        Some(dir) => {
            write_dir(dir, &bundle)?;
            // The proof travels with the bundle, for whoever reviews it.
            files::write(
                &dir.join("palisade-report.txt"),
                report.as_bytes(),
                Access::Shared,
            )?;
            writeln!(stdout, "{report}wrote {} ({elapsed:.1?})", dir.display())
                .and_then(|()| stdout.flush())
                .context("cannot write to stdout")?;
        }
        None => {
            stdout
                .write_all(bundle.stream().as_bytes())
                .and_then(|()| stdout.flush())
                .context("writing the bundle to stdout")?;
            eprint!("{report}");
        }
    }
    Ok(0)
}

/// The objects to harden, the Kubernetes version their source states, and a name for the source.
fn read(args: &HardenArgs) -> Result<(Vec<Object>, Option<KubeVersion>, String)> {
    if let Some(path) = &args.inventory {
        // As `scan --inventory`: 1 GiB bounds a hostile file.
        let inv = palisade_cluster::snapshot::load(path, 1 << 30)?;
        return Ok((inv.objects, inv.version, path.display().to_string()));
    }
    if args.cluster {
        let opts = palisade_cluster::Options {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            request_timeout: Duration::from_secs(args.request_timeout.max(1)),
            ..palisade_cluster::Options::default()
        };
        let (inv, source) = crate::cluster_cmd::read_live(&opts)?;
        if !inv.unreadable.is_empty() {
            let names: Vec<&str> = inv.unreadable.iter().map(|u| u.resource.as_str()).collect();
            eprintln!(
                "warning: could not list {}: the bundle is built without them",
                names.join(", ")
            );
        }
        return Ok((inv.objects, inv.version, format!("cluster {source}")));
    }
    let limits = SourceLimits {
        max_file_bytes: args.max_file_size,
        ..SourceLimits::default()
    };
    let (objects, problems) = scan::load_paths(&args.paths, &limits, &|_| true);
    if !problems.is_empty() {
        for p in &problems {
            match p.pos {
                Some(pos) => eprintln!("{}:{}:{}: {}", p.path, pos.line, pos.col, p.message),
                None => eprintln!("{}: {}", p.path, p.message),
            }
        }
        // A bundle built from part of the workloads could cut the others off.
        bail!(
            "{} input problem(s): fix them first, a bundle built without those objects could \
             break them",
            problems.len()
        );
    }
    let names: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
    Ok((objects, None, names.join(" ")))
}

/// 32 bytes from the OS random source (`getrandom(2)`), for the encryption configuration.
///
/// `getrandom` 0.4 because the binary already builds it (for `tempfile`'s random names): no second
/// version compiled. It blocks until the kernel's pool is seeded and never falls back to a weaker
/// source; failing that, the bundle is not written rather than written with a guessable key.
fn random_key() -> Result<[u8; 32]> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|e| anyhow!("cannot read the OS random source for the encryption key: {e}"))?;
    Ok(key)
}

/// Refuses an inventory with names the API server would reject in a field the bundle copies
/// (see [`palisade_harden::InvalidName`]): printed with their file and line, exit 2.
fn check_names(objects: &[Object]) -> Result<()> {
    let invalid = palisade_harden::invalid_names(objects);
    for bad in &invalid {
        let o = &objects[bad.object];
        let at = match &o.origin {
            palisade_core::Origin::File { path, .. } => {
                format!("{path}:{}:{}", bad.span.start.line, bad.span.start.col)
            }
            palisade_core::Origin::Api { source } => source.to_string(),
        };
        // Kind and pointer (label keys) come from the input: escaped, they cannot forge lines.
        eprintln!(
            "{at}: {} {}: {}",
            o.kind().escape_debug(),
            bad.pointer.escape_debug(),
            bad.error
        );
    }
    if !invalid.is_empty() {
        bail!(
            "{} invalid name(s) in the input: the API server would reject these objects, and the \
             bundle would copy the names into what it generates",
            invalid.len()
        );
    }
    Ok(())
}

/// What the node rules said about a kubeadm node carrying the bundle's node settings.
struct NodeCheck {
    rules: usize,
    findings: Vec<String>,
}

/// Lays the node settings over a kubeadm node of the target version in a temporary directory
/// (modes 0600, as kubeadm writes them) and audits it with every node rule.
fn check_node(bundle: &Bundle) -> Result<NodeCheck> {
    // `tempfile` makes the directory with a random name, exclusively (a predictable path under
    // /tmp could be planted), and removes it when dropped.
    // Private (0700): the tree holds the encryption key. tempfile makes directories with the
    // umask's mode unless told.
    let dir = tempfile::Builder::new()
        .prefix("palisade-harden-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .context("creating a temporary directory for the node check")?;
    audit_tree(dir.path(), bundle)
}

fn audit_tree(dir: &Path, bundle: &Bundle) -> Result<NodeCheck> {
    for (path, text) in node::verification_tree(bundle.version, &bundle.node) {
        let target = dir.join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        files::write(&target, text.as_bytes(), Access::Private)?;
    }
    let report = palisade_node::audit(&palisade_node::Options {
        root: dir.to_owned(),
        proc: None,
        kubernetes_version: Some(bundle.version),
        // A generated tree: there is no binary to ask.
        run_binaries: false,
    });
    let rules = palisade_node::rules::metas()
        .iter()
        .filter(|m| m.versions.contains(bundle.version) && !node::NOT_SETTINGS.contains(&m.code))
        .count();
    let findings = report
        .findings
        .iter()
        .filter(|f| !node::NOT_SETTINGS.contains(&f.code))
        .map(|f| format!("{} {}", f.code, f.message))
        .collect();
    Ok(NodeCheck { rules, findings })
}

/// Writes the bundle under `dir`: the objects and kustomization.yaml as ordinary files, `node/`
/// private (a 0700 directory of 0600 files: the encryption configuration holds the key, and the
/// rest are API server and kubelet configuration that kubeadm keeps 0600 too).
fn write_dir(dir: &Path, bundle: &Bundle) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    files::private_dir(&dir.join("node"))?;
    for (name, text) in bundle.render() {
        files::write(&dir.join(&name), text.as_bytes(), Access::Shared)?;
    }
    for f in &bundle.node {
        files::write(&dir.join(&f.name), f.text.as_bytes(), Access::Private)?;
    }
    Ok(())
}

fn write_report(
    out: &mut String,
    bundle: &Bundle,
    proof: &Proof,
    node_check: &NodeCheck,
    source: &str,
) {
    use std::fmt::Write as _;
    let inv = &bundle.inventory;
    let v = bundle.version;
    let _ = writeln!(
        out,
        "palisade harden: {source} — {} namespaces, {} workloads, {} Services; Kubernetes v{}.{}",
        inv.namespaces.len(),
        inv.workloads.len(),
        inv.services.len(),
        v.major,
        v.minor
    );
    let objects = bundle.objects().count();
    let _ = writeln!(
        out,
        "bundle: {objects} objects in {} files, {} node files; rules satisfied: {}",
        bundle.files.len(),
        bundle.node.len(),
        proof.claimed.join(", ")
    );
    if !bundle.psa.is_empty() {
        let _ = writeln!(
            out,
            "\nPod Security Admission (strictest level every workload passes):"
        );
        for c in &bundle.psa {
            let _ = writeln!(
                out,
                "  {:<24} enforce {:<10} warn/audit {:<10} {}",
                c.namespace,
                c.enforce.as_str(),
                c.warn.as_str(),
                c.version
            );
            if let Some(rejected) = &c.kept_existing {
                let _ = writeln!(
                    out,
                    "    kept the existing stricter label; it already rejects {} workload(s)",
                    rejected.len()
                );
            }
            for b in c.blockers.iter().take(5) {
                let _ = writeln!(
                    out,
                    "    blocks {}: {} ({})",
                    c.warn.as_str(),
                    b.workload,
                    b.checks.join(", ")
                );
            }
            if c.blockers.len() > 5 {
                let _ = writeln!(out, "    … and {} more", c.blockers.len() - 5);
            }
        }
    }
    let _ = writeln!(
        out,
        "\nNetworkPolicies: default deny in {} namespace(s), {} Service(s) with their clients",
        bundle.network.namespaces.len(),
        bundle.network.allowances.len()
    );
    for n in bundle.notes.iter().take(20) {
        let _ = writeln!(out, "  note: {n}");
    }
    if bundle.notes.len() > 20 {
        let _ = writeln!(out, "  … and {} more notes", bundle.notes.len() - 20);
    }
    let _ = writeln!(out, "\nProof (inventory → inventory + bundle, re-scanned):");
    let counts = proof
        .before
        .iter()
        .zip(&proof.after)
        .map(|((s, b), (_, a))| format!("{} {b} → {a}", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(out, "  findings: {counts}");
    for (code, b, a) in &proof.per_code {
        let mark = if proof.claimed.contains(code) {
            " (claimed)"
        } else if a > b {
            " (new: see its explanation with `palisade explain`)"
        } else {
            ""
        };
        let _ = writeln!(out, "  {code}: {b} → {a}{mark}");
    }
    for (code, a) in &proof.now_evaluated {
        let mark = if proof.claimed.contains(code) {
            " (claimed)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {code}: not evaluated (the inventory does not hold its namespaces) → {a}{mark}"
        );
    }
    if !proof.still_not_evaluated.is_empty() {
        let _ = writeln!(
            out,
            "  still not evaluated: {}",
            proof.still_not_evaluated.join(", ")
        );
    }
    for f in proof.unresolved.iter().take(10) {
        let _ = writeln!(out, "  still reported: {} {}", f.code, f.message);
    }
    let _ = writeln!(
        out,
        "  connections checked with the NetworkPolicy engine: {} ({} would break, {} leak; {} \
         allowed by the inventory's own policies)",
        proof.connections,
        proof.breakages.len(),
        proof.leaks.len(),
        proof.allowed_by_inventory
    );
    let _ = writeln!(
        out,
        "  workloads evaluated at their namespace's level: {}",
        proof.workloads_evaluated
    );
    for b in proof.breakages.iter().take(20) {
        let _ = writeln!(out, "  BREAKS: {}", b.what);
    }
    for l in proof.leaks.iter().take(20) {
        let _ = writeln!(out, "  LEAKS: {}", l.what);
    }
    let _ = writeln!(
        out,
        "  node settings: {} node rules on a kubeadm v{}.{} node with them: {} finding(s)",
        node_check.rules,
        v.major,
        v.minor,
        node_check.findings.len()
    );
    for f in &node_check.findings {
        let _ = writeln!(out, "    {f}");
    }
}
