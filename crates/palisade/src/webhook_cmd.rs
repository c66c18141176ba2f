//! `palisade webhook`: the admission webhook (serve), and `palisade webhook manifests`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use palisade_webhook::manifests::{self, ManifestError, ManifestOptions};

use crate::files::{self, Access};

#[derive(Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    long_about = "Run the admission webhook: the rules of `palisade scan`, enforced when objects \
                  are created or updated. One HTTPS server (HTTP/1.1 and HTTP/2) with:\n\n  \
                  /validate     AdmissionReview: deny findings at or above `fail-on` (codes and \
                  help in the message), warn about the rest; per-namespace enforce/warn/audit\n  \
                  /mutate       JSONPatch from the rules' fixes (imagePullPolicy: Always, \
                  allowPrivilegeEscalation: false, seccomp RuntimeDefault, optionally \
                  automountServiceAccountToken: false); never overwrites a value that is set\n  \
                  /exec         the exec guard: CONNECT pods/exec and pods/attach denied into \
                  privileged or host-namespace pods (DenyEscalatingExec)\n  \
                  /imagepolicy  ImagePolicyWebhook backend (ImageReview): allowed registries, \
                  required digests, denied tags\n  \
                  /healthz /readyz /metrics\n\n\
                  Certificate, key and config are reloaded when they change; SIGTERM drains \
                  in-flight reviews. Settings live under `webhook:` in the config file.",
    after_help = "Examples:\n  \
        palisade webhook --tls-cert tls.crt --tls-key tls.key --config palisade.yaml\n  \
        palisade webhook manifests --namespace palisade-system | kubectl apply -f -\n  \
        palisade webhook manifests --ca-bundle ca.crt --failure-policy Ignore --apiserver-dir /etc/kubernetes/palisade\n\n\
        Config (palisade.yaml):\n  \
        policies: [policies/]                # ValidatingAdmissionPolicies, enforced as VA001\n  \
        rules: [...]                         # your own rules in CEL (docs/custom-rules.md)\n  \
        webhook:\n    \
          fail-on: high\n    \
          mode: enforce                      # enforce | warn | audit\n    \
          namespaces: [{names: [legacy], mode: warn}]\n    \
          exempt: {namespaces: [kube-system], usernames: [], runtime-class-names: []}\n    \
          mutate: {automount-service-account-token-false: true}\n    \
          exec-guard: {failure: closed, cache-ttl-seconds: 5}\n    \
          image-policy: {require-digest: true, denied-tags: [latest]}\n\n\
        Exit codes: 0 stopped cleanly, 2 usage, certificate or config error."
)]
pub struct WebhookArgs {
    #[command(subcommand)]
    pub command: Option<WebhookCommand>,

    /// Serving certificate (PEM, with its chain; at most 1 MiB, as the key)
    #[arg(long, value_name = "FILE", required = true)]
    pub tls_cert: Option<PathBuf>,

    /// Private key of the serving certificate (PEM)
    #[arg(long, value_name = "FILE", required = true)]
    pub tls_key: Option<PathBuf>,

    /// Address and port to listen on (HTTPS only)
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,

    /// Config file with a `webhook:` section [default: built-in defaults]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Kubeconfig for the exec guard's pod reads [default: in-cluster service account, then
    /// $KUBECONFIG, ~/.kube/config]
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Open connections at most; more are closed at once
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub max_connections: usize,

    /// Seconds between checks of certificate, key and config for changes
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub reload_interval: u64,
}

#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// Print the Kubernetes objects that deploy the webhook, and the API server's
    /// ImagePolicyWebhook files
    #[command(after_help = "Examples:\n  \
        palisade webhook manifests | kubectl apply -f -\n  \
        palisade webhook manifests --namespace sec --ca-bundle ca.crt --failure-policy Ignore\n  \
        palisade webhook manifests --apiserver-dir /etc/kubernetes/palisade   # also write the API server files\n\n\
        The serving certificate goes in Secret <namespace>/palisade-webhook-tls, for DNS name \
        palisade-webhook.<namespace>.svc. Without --ca-bundle the webhook configurations ask \
        cert-manager to inject the CA. `palisade scan` of the output reports nothing above low.")]
    Manifests(ManifestsArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailurePolicy {
    /// Reject requests when the webhook cannot be reached
    Fail,
    /// Allow requests when the webhook cannot be reached
    Ignore,
}

#[derive(Args, Debug)]
pub struct ManifestsArgs {
    /// Namespace the webhook runs in (excluded from its own webhooks, as is kube-system); a
    /// DNS-1123 label, as the API server requires
    #[arg(
        long,
        short = 'n',
        value_name = "NAMESPACE",
        default_value = "palisade-system"
    )]
    pub namespace: String,

    /// PEM file of the CA that signed the serving certificate, for caBundle (at most 1 MiB)
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,

    /// What the API server does when the webhook cannot answer
    #[arg(long, value_enum, default_value = "Fail", ignore_case = true)]
    pub failure_policy: FailurePolicy,

    /// Container image of palisade: [host[:port]/]path[:tag][@digest], checked by the grammar
    /// container runtimes parse (github.com/distribution/reference)
    #[arg(long, value_name = "IMAGE", default_value = manifests::DEFAULT_IMAGE)]
    pub image: String,

    /// Leave out the Namespace object (it exists already, e.g. from deploy/base)
    #[arg(long)]
    pub no_namespace: bool,

    /// Replicas (at least 2)
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub replicas: u32,

    /// Seconds the API server waits for an answer (1-30)
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub timeout_seconds: u32,

    /// Write admission-config.yaml and imagepolicy.kubeconfig for the API server into DIR
    /// (otherwise they are printed as comments after the objects). The files are created 0600;
    /// a missing DIR is created 0700
    #[arg(long, value_name = "DIR")]
    pub apiserver_dir: Option<PathBuf>,
}

pub fn run(args: WebhookArgs) -> Result<u8> {
    if let Some(WebhookCommand::Manifests(m)) = args.command {
        return print_manifests(m);
    }
    let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) else {
        anyhow::bail!("--tls-cert and --tls-key are required");
    };
    if let Some(path) = &args.config {
        declare_policies_and_rules(path)?;
    }
    let mut opts = palisade_webhook::Options::new(args.listen, cert, key);
    opts.config = args.config;
    opts.kubeconfig = args.kubeconfig;
    opts.max_connections = args.max_connections.max(1);
    opts.reload_interval = Duration::from_secs(args.reload_interval.max(1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(palisade_webhook::run(opts))?;
    Ok(0)
}

/// The user's own rules (`rules:`) and the ValidatingAdmissionPolicies of the config's
/// `policies:` (with their bindings and params, for VA001), declared before the server starts: read with the scan's reader, and any file or
/// policy that cannot be read stops the start (a webhook that silently enforced fewer policies
/// than configured would fail open).
fn declare_policies_and_rules(config: &std::path::Path) -> Result<()> {
    let config = palisade_core::config::load(config)?;
    palisade_cel::custom::declare(&config)?;
    let paths = config.policy_paths();
    if paths.is_empty() {
        return Ok(());
    }
    let limits = palisade_core::source::SourceLimits::default();
    let expanded = crate::scan::expand_by_argument(&paths, None, limits.max_file_bytes);
    let mut problems = expanded.problems;
    let declared = crate::policies::declare(&expanded.inputs, &limits);
    problems.extend(declared.problems);
    // Not a reason to refuse the start (the rest is enforced), but never silent.
    for reason in &declared.not_evaluated {
        eprintln!("palisade webhook: not enforced: {reason}");
    }
    if let Some(p) = problems.first() {
        anyhow::bail!(
            "policies: {}{}: {}",
            p.path,
            p.pos.map(|p| format!(":{p}")).unwrap_or_default(),
            p.message
        );
    }
    Ok(())
}

fn print_manifests(args: ManifestsArgs) -> Result<u8> {
    let ca_bundle = match &args.ca_bundle {
        Some(p) => {
            let pem = palisade_core::source::read_text_bounded(
                p,
                palisade_webhook::server::MAX_TLS_FILE_BYTES,
            )
            .with_context(|| format!("--ca-bundle {}", p.display()))?;
            anyhow::ensure!(
                pem.contains("-----BEGIN CERTIFICATE-----"),
                "--ca-bundle {}: not a PEM certificate",
                p.display()
            );
            Some(pem)
        }
        None => None,
    };
    let m = manifests::generate(&ManifestOptions {
        namespace: args.namespace,
        ca_bundle,
        failure_policy: match args.failure_policy {
            FailurePolicy::Fail => "Fail",
            FailurePolicy::Ignore => "Ignore",
        }
        .to_owned(),
        image: args.image,
        namespace_object: !args.no_namespace,
        replicas: args.replicas,
        timeout_seconds: args.timeout_seconds,
    })
    .map_err(|e| match e {
        // The flag, then the library's reason (which quotes the value with escapes).
        ManifestError::Namespace(e) => anyhow::anyhow!("--namespace: {e}"),
        ManifestError::Image(e) => anyhow::anyhow!("--image: {e}"),
        ManifestError::FailurePolicy(_) => anyhow::anyhow!("--failure-policy: {e}"),
    })?;
    match &args.apiserver_dir {
        Some(dir) => {
            // API server configuration: root's, like kubeadm's 0600 files in /etc/kubernetes
            // (CIS 1.1.x); the kubeconfig is where client credentials for the webhook would go.
            // Neither holds a secret today, so an existing directory keeps its mode.
            files::create_private_dir(dir)?;
            for (name, text) in [
                ("admission-config.yaml", &m.admission_config),
                ("imagepolicy.kubeconfig", &m.imagepolicy_kubeconfig),
            ] {
                let path = dir.join(name);
                files::write(&path, text.as_bytes(), Access::Private)?;
                eprintln!("wrote {}", path.display());
            }
            print!("{}", m.objects);
        }
        None => {
            print!("{}", m.objects);
            println!(
                "\n# ---- API server files (not objects; write them with --apiserver-dir) ----\n\
                 # {}/admission-config.yaml",
                manifests::APISERVER_DIR
            );
            print!("{}", manifests::commented(&m.admission_config));
            println!("# {}/imagepolicy.kubeconfig", manifests::APISERVER_DIR);
            print!("{}", manifests::commented(&m.imagepolicy_kubeconfig));
        }
    }
    Ok(0)
}
