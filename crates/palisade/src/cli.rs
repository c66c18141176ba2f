//! Command-line interface. The help text is the first documentation most users read: it says what
//! each command is for and shows how to use it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "palisade",
    version,
    about = "Checks Kubernetes manifests, clusters and nodes against the Kubernetes Security Best Practice Guide and the Pod Security Standards",
    long_about = "Palisade checks Kubernetes manifests, live clusters and nodes against the Kubernetes \
                  Security – Best Practice Guide and the Pod Security Standards, and reports every \
                  problem where it is (file, line and column; object; flag and config file), why it \
                  matters and how to fix it.",
    after_help = "Examples:\n  \
        palisade scan deploy/                       scan every .yaml/.yml/.json below deploy/\n  \
        helm template ./chart | palisade scan -     scan rendered Helm output\n  \
        palisade scan --format sarif k8s/ > palisade.sarif\n  \
        palisade scan --pod-security restricted:v1.30 k8s/\n  \
        palisade cluster --context prod             audit a live cluster, read-only\n  \
        palisade node --benchmark cis               CIS report for the node it runs on\n  \
        palisade rules                              list every rule\n  \
        palisade explain PS101                      what a rule checks and how to fix it\n\n\
        Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage, input or config error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan manifest files, directories or stdin (`-`)
    #[command(
        long_about = "Scan manifest files, directories (recursively: .yaml, .yml, .json) or stdin (`-`).\n\n\
                      Multi-document YAML, JSON, and `List` kinds are understood; YAML is read the way \
                      Kubernetes reads it (YAML 1.1: `hostNetwork: yes` is true). A file that cannot be \
                      parsed is reported with its line and column, every other file is still scanned, \
                      and the run exits 2.",
        after_help = "Examples:\n  \
            palisade scan examples/insecure-app\n  \
            kustomize build overlays/prod | palisade scan - --fail-on medium\n  \
            palisade scan k8s/ --format json --output sarif=palisade.sarif\n  \
            palisade scan k8s/ --select PS,IM --ignore PS152\n  \
            palisade scan k8s/ --pod-security baseline:v1.29\n\n\
            Exemptions: annotate an object with `palisade.dev/ignore: \"PS104 — reason\"`, or one \
            container with `container.palisade.dev/<name>: \"PS151 — reason\"`, or list them under \
            `exemptions:` in palisade.yaml (a reason is required). Exempted findings are reported \
            as suppressed."
    )]
    Scan(Box<ScanArgs>),
    /// Audit a running cluster through the Kubernetes API (read-only; never reads Secret data)
    #[command(
        long_about = "Audit a running cluster through the Kubernetes API with every rule that \
                      applies to its version. Read-only: only get and list requests, only the \
                      resources the rules need, Secrets as metadata only. A resource your \
                      credentials may not list is reported, and the rules that need it are not \
                      evaluated (never counted as passed).",
        after_help = "Examples:\n  \
            palisade cluster                               current kubeconfig context, all namespaces\n  \
            palisade cluster --context prod -n payments\n  \
            palisade cluster --format sarif --output html=cluster.html"
    )]
    Cluster(Box<crate::cluster_cmd::ClusterArgs>),
    /// Audit a node's Kubernetes components (flags, config files, file permissions) and print
    /// the CIS benchmark report with --benchmark cis
    #[command(after_help = "Examples:\n  \
        palisade node                                   audit the machine it runs on\n  \
        palisade node --root /mnt/node1                 audit a node's file system mounted there\n  \
        palisade node --benchmark cis --format junit    CIS report for CI\n\n\
        Exit codes: 0 nothing at or above --fail-on (benchmark: no FAIL), 1 otherwise, 2 usage error.")]
    Node(Box<crate::node_cmd::NodeArgs>),
    /// Ask the RBAC objects in manifests: `rbac can-i`, `rbac who-can`
    Rbac(crate::rbac_cmd::RbacArgs),
    /// NetworkPolicy analysis: may one pod reach another, and which policy decides
    Netpol(crate::netpol_cmd::NetpolArgs),
    /// Admission webhook: the scan's rules at admission, JSONPatch fixes, exec guard,
    /// ImagePolicyWebhook; `webhook manifests` prints what deploys it
    Webhook(Box<crate::webhook_cmd::WebhookArgs>),
    /// List every rule: code, name, severity, guide section, Kubernetes versions
    Rules(RulesArgs),
    /// Explain a rule: what it checks, why it matters, an example, how to fix it
    Explain {
        /// Rule code (PS101) or name (privileged-container)
        code: String,
    },
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin
    #[arg(value_name = "PATH", required_unless_present = "inventory")]
    pub paths: Vec<PathBuf>,

    /// Audit an inventory saved by `palisade cluster --save-inventory` instead of files
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub inventory: Option<PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Evaluate only the Pod Security Standards at LEVEL (privileged, baseline, restricted) and
    /// policy VERSION (v1.0 … or latest); exits 1 if any pod violates it
    #[arg(long, value_name = "LEVEL[:VERSION]")]
    pub pod_security: Option<String>,

    /// Largest file read, in bytes (larger files are reported as errors)
    #[arg(long, value_name = "BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_file_size: usize,

    /// Read and parse only, run no rule (for benchmarks: the floor a scan cannot go below)
    #[arg(long, hide = true)]
    pub parse_only: bool,

    /// Worker threads [default: one per core]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

/// How findings are chosen, judged and reported: shared by every command that reports findings.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Report format on stdout: text, json, sarif, junit or html
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text")]
    pub format: String,

    /// Also write a report to a file, e.g. `--output sarif=palisade.sarif` (repeatable)
    #[arg(long, short = 'o', value_name = "FORMAT=FILE")]
    pub output: Vec<String>,

    /// Exit 1 when a finding at or above this severity (critical, high, medium, low) is not
    /// exempted [default: high; with --pod-security: any violation]
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,

    /// Run only these rules: codes, prefixes (PS, IM4) or names, comma-separated
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Skip these rules: codes, prefixes or names, comma-separated
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Kubernetes version the rules judge for [default: the cluster's, or the newest known]
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,

    /// Registries images may come from (IM403), comma-separated; adds to the config file's list
    #[arg(long, value_name = "REGISTRIES", value_delimiter = ',')]
    pub allowed_registries: Vec<String>,

    /// Config file [default: palisade.yaml in this directory or a parent]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Do not read any config file
    #[arg(long)]
    pub no_config: bool,

    /// Colour in text output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Exit 1 when a rule could not be evaluated for lack of data (CI demanding full coverage)
    #[arg(long)]
    pub fail_on_not_evaluated: bool,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output as a table (text) or JSON
    #[arg(long, short = 'f', value_enum, default_value_t = CatalogueFormat::Text)]
    pub format: CatalogueFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CatalogueFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}
