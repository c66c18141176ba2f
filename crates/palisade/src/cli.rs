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
        palisade probe 10.0.1.0/24                  which of the guide's ports answer, and to whom\n  \
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
                      A directory argument holding kustomization.yaml (.yml, Kustomization) is \
                      rendered with `kustomize build` (or `kubectl kustomize`), one holding \
                      Chart.yaml with `helm template` (--values), and the result is scanned; a \
                      note says so, Helm findings name the template that produced them, and a \
                      missing renderer is an error for that directory (exit 2). --no-render scans \
                      the files as plain YAML.\n\n\
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
    #[command(
        long_about = "Audit a node's Kubernetes components (flags, config files, file permissions) \
                      and print the CIS benchmark report with --benchmark cis. Components are \
                      found in static pod manifests, systemd units, k3s/RKE2 config.yaml and \
                      running processes; nothing on the node is written.\n\n\
                      A process is believed to be a component only when the node says it runs it: \
                      it is the process of the host's systemd unit for that component, the \
                      container of a static pod of the kubelet's manifest directory (its cgroup \
                      names the pod, /var/log/pods ties the pod to the manifest), the k3s or RKE2 \
                      process of their unit, or a root process of the host's mount and PID \
                      namespaces whose executable only root could have written. Any other \
                      process calling itself kubelet, kube-apiserver, ... (a pod can) is ignored \
                      and named in a note.\n\n\
                      What may be executed: nothing with --root. Without --root, and only when \
                      neither --kubernetes-version nor a static pod's image tag gives the \
                      version, `BINARY --version` (no environment, 2 s limit) of the kubelet's or \
                      kube-proxy's systemd unit ExecStart binary, or of a believed process's \
                      executable in palisade's own mount namespace (checked to be that very \
                      file) - and only when the file and every directory above it are owned by \
                      root and not group- or world-writable. A binary seen through a process of \
                      another mount namespace (a container) is never executed.",
        after_help = "Examples:\n  \
        palisade node                                   audit the machine it runs on\n  \
        palisade node --root /mnt/node1                 audit a node's file system mounted there\n  \
        palisade node --benchmark cis --format junit    CIS report for CI\n\n\
        Exit codes: 0 nothing at or above --fail-on (benchmark: no FAIL), 1 otherwise, 2 usage \
        error, an input file that does not parse, or no Kubernetes component found."
    )]
    Node(Box<crate::node_cmd::NodeArgs>),
    /// Apply the fixes rules declare to manifest files, as minimal edits (`--diff` to preview)
    #[command(
        long_about = "Apply the fixes that rules declare to manifest files, in place, as minimal \
                      text edits: comments, key order, quoting, indentation and line endings stay \
                      as they were, and a diff shows only the fixes. Fixes that may change what a \
                      workload does (runAsNonRoot, dropping capabilities, removing host ports or \
                      host namespaces, enforcing a Pod Security level) are unsafe and applied only \
                      with --unsafe-fixes. A field written under a YAML anchor used elsewhere, or \
                      brought in by a `<<` merge key, is never edited (that would change the other \
                      places too). Every fixed file is re-parsed and refused if it would lose a \
                      document or stop parsing; files are replaced atomically.\n\n\
                      The fixed files are scanned again (fixes run in rounds until nothing \
                      changes), and the exit code judges what remains.",
        after_help = "Examples:\n  \
            palisade fix k8s/ --diff                     show what would change, write nothing\n  \
            palisade fix k8s/                            apply the safe fixes in place\n  \
            palisade fix k8s/ --unsafe-fixes --select PS  also the fixes that change behaviour\n  \
            kustomize build . | palisade fix - > fixed.yaml\n\n\
            A summary of fixes applied and not applied (unsafe, through an anchor, …) per rule \
            goes to stderr.\n\n\
            Exit codes: 0 no finding at or above --fail-on remains after fixing (with --diff: \
            would remain), 1 some remain, 2 usage or input error (also when a file's fixes were \
            refused or it could not be written)."
    )]
    Fix(Box<crate::fix_cmd::FixArgs>),
    /// Probe hosts for the guide's exposed ports: kubelet, etcd, API server, health ports, SSH
    #[command(
        long_about = "Probe the hosts you name for the ports the guide says to firewall (kubelet \
                      10250/10255, etcd 2379-2380, API server 6443 and 8080, kube-proxy 10256, \
                      Calico 9099, cAdvisor 4149/4194, controller manager 10257, scheduler 10259, \
                      the Dashboard, SSH) and ask each open port, without credentials, what it \
                      serves: the kubelet's /pods, the API server's namespaces, etcd without a \
                      client certificate. Only the targets you name are touched; a CIDR range \
                      larger than a /24 needs --max-hosts. Findings are located at host:port and \
                      quote the evidence; with --node-report they quote the node setting behind \
                      them.",
        after_help = "Examples:\n  \
            palisade probe 10.0.0.5 10.0.0.6               the default ports on two nodes\n  \
            palisade probe 10.0.1.0/24 --nodeports         a subnet, NodePorts included\n  \
            palisade probe --from-cluster --bastion 10.0.0.1\n  \
            palisade probe --targets-file nodes.txt --format sarif -o json=probe.json\n  \
            palisade probe 10.0.0.5 --ports 22,6443,kubelet=20250   a kubelet on a custom port\n  \
            palisade node --format json > node.json; palisade probe 10.0.0.5 --node-report 10.0.0.5=node.json\n\n\
            Run it from where an attacker would stand (the Internet, another tenant's network): \
            what answers there is what is exposed.\n\n\
            Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error \
            (bad target, port or option)."
    )]
    Probe(Box<crate::probe_cmd::ProbeArgs>),
    /// Merge saved JSON reports (scan, cluster, node, probe) into one guide scorecard and report
    #[command(
        long_about = "Read JSON reports written by `scan`, `cluster`, `node` and `probe` \
                      (`--format json` or `--output json=FILE`) and render them as one report: one \
                      guide scorecard whose rows come from whichever source could judge them (a \
                      node audit's verdicts fill the node rows of a manifest scan), and each \
                      finding counted once however many reports hold it (matched as baselines \
                      match findings).",
        after_help = "Examples:\n  \
            palisade cluster -o json=cluster.json; palisade node --format json > node.json\n  \
            palisade report cluster.json node.json --format html > guide.html\n  \
            palisade report scan.json --format markdown >> \"$GITHUB_STEP_SUMMARY\""
    )]
    Report(crate::report_cmd::ReportArgs),
    /// New, fixed and unchanged findings between two saved JSON reports
    #[command(
        long_about = "Compare two JSON reports: findings of NEW that OLD does not hold are new, \
                      findings of OLD that NEW no longer holds are fixed. Findings are matched as \
                      baselines match them (rule, object, container-named JSON pointer; line \
                      numbers and files take no part). Exits 1 when a new unsuppressed finding is \
                      at or above --fail-on."
    )]
    Diff(crate::diff_cmd::DiffArgs),
    /// Ask the RBAC objects in manifests: `rbac can-i`, `rbac who-can`
    Rbac(crate::rbac_cmd::RbacArgs),
    /// NetworkPolicy analysis: may one pod reach another, and which policy decides
    Netpol(crate::netpol_cmd::NetpolArgs),
    /// Attack paths: from identities or the internet to a node, Secrets or cluster-admin
    Paths(Box<crate::paths_cmd::PathsArgs>),
    /// Generate the hardening bundle for manifests or a cluster, and prove it breaks nothing
    #[command(
        long_about = "Generate the changes the guide asks for, from what runs (manifests, a saved \
                      inventory or a live cluster), for the target Kubernetes version: per \
                      namespace default-deny ingress and egress NetworkPolicies with the \
                      allowances the workloads need (DNS, each Service's clients, the outside \
                      addresses their configuration names), the deny-dashboard policy, Pod \
                      Security Admission labels at the strictest level every workload already \
                      passes (warn/audit one level stricter, version pinned), the default \
                      ServiceAccount without token automounting; before 1.25 the guide's \
                      PodSecurityPolicy pair and its RBAC; and kube-apiserver, controller-manager, \
                      scheduler, etcd and kubelet settings under node/. Every object names the rules \
                      it satisfies (palisade.dev/satisfies) and what it assumed.\n\n\
                      The bundle is then applied to the inventory in memory and re-scanned \
                      (before/after counts by severity), its NetworkPolicies are checked connection \
                      by connection (DNS and every Service's clients still work, the rest is \
                      blocked), its Pod Security levels against every workload, and its node \
                      settings with the node rules on a kubeadm node.",
        after_help = "Examples:\n  \
            palisade harden k8s/ > hardening.yaml             one stream (node settings as comments)\n  \
            palisade harden k8s/ --out hardening/             kustomize directory: kubectl apply -k hardening/\n  \
            palisade harden --inventory prod.json --kubernetes-version 1.24 --out psp-era/\n  \
            palisade harden --cluster --context prod --out hardening/\n  \
            palisade harden k8s/ --check                      CI: fail if the bundle would break a workload\n\n\
            Exit codes: 0 bundle written (--check: nothing would break), 1 --check found a \
            workload the bundle would break, 2 usage or input error (unreadable input produces no \
            bundle: one built without some workloads could cut them off)."
    )]
    Harden(Box<crate::harden_cmd::HardenArgs>),
    /// Admission webhook: the scan's rules at admission, JSONPatch fixes, exec guard,
    /// ImagePolicyWebhook; `webhook manifests` prints what deploys it
    Webhook(Box<crate::webhook_cmd::WebhookArgs>),
    /// ValidatingAdmissionPolicies: `vap export` writes Palisade's per-object rules as policies a
    /// cluster enforces itself
    Vap(crate::vap_cmd::VapArgs),
    /// List every rule: code, name, severity, guide section, Kubernetes versions
    Rules(RulesArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish
    #[command(after_help = "Examples:\n  \
        palisade completions bash > ~/.local/share/bash-completion/completions/palisade\n  \
        palisade completions zsh > \"${fpath[1]}/_palisade\"\n  \
        palisade completions fish > ~/.config/fish/completions/palisade.fish\n  \
        palisade completions powershell >> $PROFILE")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `palisade man | man -l -`; `--dir DIR` writes one page per
    /// command (palisade.1, palisade-scan.1, …)
    Man {
        /// Write palisade.1 and a page per subcommand into DIR instead of printing palisade.1
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
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

    /// Audit an inventory saved by `palisade cluster --save-inventory` instead of files (at most
    /// 1 GiB)
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

    /// Scan a directory argument holding a kustomization or a Helm chart as its files, instead
    /// of rendering it (`kustomize build` or `kubectl kustomize`; `helm template`)
    #[arg(long)]
    pub no_render: bool,

    /// Helm values file for charts that are rendered (repeatable, in order)
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,

    /// Worker threads [default: one per core]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// A saved node audit (`palisade node --format json`) whose NodeRestriction, API server
    /// authorizers and kubelet anonymous access the attack-path rules (AP8xx) join (repeatable)
    #[arg(long, value_name = "FILE")]
    pub node_report: Vec<PathBuf>,

    /// A saved probe report (`palisade probe --format json`) whose anonymous kubelet and API
    /// server answers the attack-path rules join (repeatable)
    #[arg(long, value_name = "FILE")]
    pub probe_report: Vec<PathBuf>,
}

/// How findings are chosen, judged and reported: shared by every command that reports findings.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Report format on stdout: text, json, sarif, junit, html, markdown or policyreport
    /// (wg-policy PolicyReport/ClusterPolicyReport objects)
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text")]
    pub format: String,

    /// Also write a report to a file, e.g. `--output sarif=palisade.sarif` (repeatable)
    #[arg(long, short = 'o', value_name = "FORMAT=FILE")]
    pub output: Vec<String>,

    /// Exit 1 when a finding at or above this severity (critical, high, medium, low) is not
    /// exempted [default: high; with --pod-security: any violation]
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,

    #[command(flatten)]
    pub rules: SelectArgs,

    /// Kubernetes version the rules judge for [default: the cluster's, or the newest known]
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,

    /// Registries images may come from (IM403), comma-separated; adds to the config file's list
    #[arg(long, value_name = "REGISTRIES", value_delimiter = ',')]
    pub allowed_registries: Vec<String>,

    /// Config file, at most 4 MiB [default: palisade.yaml in this directory or a parent]
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

    /// Count only findings that are new since this earlier JSON report towards --fail-on; the
    /// others are reported as baselined. Findings match by rule, object and field, not by line
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Also write this run's findings to FILE as a baseline (a JSON report) for a later
    /// --baseline: the first step of adopting Palisade in an existing repository
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

/// Which rules: `--select` and `--ignore`, shared by the commands that take them with this
/// meaning (`scan` and the other reporting commands, `vap export`).
#[derive(Args, Debug)]
pub struct SelectArgs {
    /// Run only these rules: codes, prefixes (PS, IM4) or names, comma-separated
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Skip these rules: codes, prefixes or names, comma-separated
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,
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
