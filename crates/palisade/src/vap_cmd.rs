//! `palisade vap export`: Palisade's per-object rules as ValidatingAdmissionPolicies. The CEL and
//! the policies are built in `palisade_rules::vap_export`; this only reads the flags.

use std::io::Write;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use palisade_core::KubeVersion;
use palisade_rules::engine::Selection;
use palisade_rules::pss::Level;
use palisade_rules::vap_export::{self, Action, Options};

#[derive(Args, Debug)]
pub struct VapArgs {
    #[command(subcommand)]
    pub command: VapCommand,
}

#[derive(Subcommand, Debug)]
pub enum VapCommand {
    /// Write Palisade's per-object rules as ValidatingAdmissionPolicies and bindings (YAML on stdout)
    #[command(
        long_about = "Write Palisade's rules that can be decided from one object in CEL as \
                      admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies, one per rule, \
                      each with a ValidatingAdmissionPolicyBinding, so that a cluster (1.30 or \
                      later) enforces them itself: the Pod Security Standards checks of the \
                      chosen level at the policy version of --kubernetes-version, IM401 (image \
                      pull policy not Always), IM402 (image without tag or with :latest and no \
                      digest), PS151 (writable root file system) and RB201 (the pod does not opt \
                      out of token automounting; its single-object form: a policy cannot read the \
                      ServiceAccount). Each policy matches Pods (and the ephemeralcontainers \
                      subresource) and the pod templates of Deployments, StatefulSets, DaemonSets, \
                      ReplicaSets, Jobs, CronJobs and ReplicationControllers, on CREATE and UPDATE, \
                      and denies with a message that names the rule code and what is wrong.\n\n\
                      Not exported (the output's header comment lists every rule with its reason): \
                      rules that read several objects or the inventory (most NP, AP, the RBAC rules, \
                      PS152, PS160, PS161, PS164), PodSecurityPolicy rules (PS170-PS179), rules \
                      that follow palisade.yaml's image policy (IM403-IM405), manifest-text rules \
                      (PA), VA001, and the per-object rules not yet written in CEL (NP304, NP307, \
                      NP350, PS150, PS153, PS154, PS162, PS163, RB202, RB203, RB204, RB251, RB252, \
                      RB253).",
        after_help = "Examples:\n  \
            palisade vap export --level restricted > palisade-vap.yaml\n  \
            palisade vap export --select PS101,PS102,IM402 --action Warn --action Audit\n  \
            palisade vap export --level baseline --kubernetes-version 1.31 \\\n      \
            --namespace-selector 'kubernetes.io/metadata.name NotIn kube-system'\n\n\
            Without --select every exportable rule is written; --select PS1 writes the Pod \
            Security checks alone (with PS151, the guide's writable-root check). Roll out with \
            --action Warn (or Audit) first, then Deny."
    )]
    Export(ExportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Pod Security level whose checks are exported (a restricted check replaces the baseline
    /// check it overrides, as Pod Security Admission does)
    #[arg(long, value_enum, default_value_t = LevelArg::Baseline)]
    pub level: LevelArg,

    #[command(flatten)]
    pub rules: crate::cli::SelectArgs,

    /// Kubernetes version of the cluster (1.30 or later); the Pod Security checks are written at
    /// that policy version [default: the newest known]
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,

    /// The bindings' validationActions (repeatable; Deny and Warn exclude each other)
    #[arg(long, value_enum, default_values_t = [ActionArg::Deny])]
    pub action: Vec<ActionArg>,

    /// Bind only in namespaces matching this requirement: `KEY In V1,V2`, `KEY NotIn V1,V2`,
    /// `KEY Exists` or `KEY DoesNotExist` (repeatable; all must hold)
    #[arg(long, value_name = "REQUIREMENT")]
    pub namespace_selector: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    Baseline,
    Restricted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ActionArg {
    #[value(name = "Deny", alias = "deny")]
    Deny,
    #[value(name = "Warn", alias = "warn")]
    Warn,
    #[value(name = "Audit", alias = "audit")]
    Audit,
}

pub fn run(args: VapArgs) -> Result<u8> {
    match args.command {
        VapCommand::Export(a) => export(a),
    }
}

/// `KEY OP [V1,V2]` as a matchExpressions requirement.
fn requirement(text: &str) -> Result<(String, String, Vec<String>)> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    match parts.as_slice() {
        [key, op @ ("In" | "NotIn"), values] => Ok((
            (*key).to_owned(),
            (*op).to_owned(),
            values.split(',').map(str::to_owned).collect(),
        )),
        [key, op @ ("Exists" | "DoesNotExist")] => {
            Ok(((*key).to_owned(), (*op).to_owned(), Vec::new()))
        }
        _ => bail!(
            "--namespace-selector {text:?}: expected `KEY In V1,V2`, `KEY NotIn V1,V2`, `KEY Exists` \
             or `KEY DoesNotExist`"
        ),
    }
}

fn export(a: ExportArgs) -> Result<u8> {
    let version = match &a.kubernetes_version {
        Some(v) => v
            .parse::<KubeVersion>()
            .with_context(|| format!("--kubernetes-version {v:?}"))?,
        None => KubeVersion::LATEST,
    };
    let options = Options {
        level: match a.level {
            LevelArg::Baseline => Level::Baseline,
            LevelArg::Restricted => Level::Restricted,
        },
        version,
        actions: a
            .action
            .iter()
            .map(|x| match x {
                ActionArg::Deny => Action::Deny,
                ActionArg::Warn => Action::Warn,
                ActionArg::Audit => Action::Audit,
            })
            .collect(),
        selection: Selection {
            select: a.rules.select,
            ignore: a.rules.ignore,
        },
        namespace_selector: a
            .namespace_selector
            .iter()
            .map(|s| requirement(s))
            .collect::<Result<_>>()?,
    };
    let objects = vap_export::export(&options)?;
    let mut out = std::io::stdout().lock();
    out.write_all(vap_export::render(&objects, &options).as_bytes())?;
    Ok(0)
}
