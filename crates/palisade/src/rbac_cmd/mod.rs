//! `palisade rbac can-i` and `palisade rbac who-can`: questions to the RBAC engine about the
//! Roles, ClusterRoles and bindings in manifests, following `kubectl auth can-i` conventions.
//!
//! Only documents that may name the RBAC API group are parsed (an RBAC object's `apiVersion`
//! always does; the shared [`crate::prefilter`] decides), so a query over a large tree of
//! manifests answers in milliseconds.

mod answer;
mod query;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use palisade_core::report::InputProblem;
use palisade_core::source::SourceLimits;
use palisade_core::Object;
use palisade_rules::rbac::{self, Decision, Rbac, UserInfo};
use serde_json::json;

use crate::prefilter::Prefilter;
use crate::scan;
use answer::{grant_json, location};
use query::parse_query;

/// Exit code for usage and input errors.
const EXIT_ERROR: u8 = 2;

#[derive(Args, Debug)]
#[command(
    about = "Ask the RBAC rules in manifests who may do what (kubectl auth can-i style)",
    long_about = "Ask the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings in manifest files \
                  what a user may do, and who may do something, with the API server's RBAC semantics \
                  (ClusterRole aggregation, RoleBindings scoped to their namespace, implicit groups, \
                  `system:masters`). The default ClusterRoles (cluster-admin, admin, edit, view, \
                  system:discovery, system:basic-user, system:public-info-viewer) are known when the \
                  input does not define them; bindings must be in the input."
)]
pub struct RbacArgs {
    #[command(subcommand)]
    pub command: RbacCommand,
}

#[derive(Subcommand, Debug)]
pub enum RbacCommand {
    /// Can USER do VERB on a resource or URL? Exit 0 yes, 1 no, 2 usage or input error
    #[command(after_help = "Examples:\n  \
        palisade rbac can-i list secrets -n shop --as system:serviceaccount:shop:api k8s/\n  \
        palisade rbac can-i create pods/exec --as jane --as-group devs -n shop k8s/\n  \
        palisade rbac can-i get secrets db-password -n shop --as jane k8s/\n  \
        palisade rbac can-i update deployments.apps/scale -A --as ci k8s/\n  \
        palisade rbac can-i get /metrics --as system:anonymous k8s/\n\n\
        RESOURCE is a plural name or short name (pods, po, deploy), optionally with its API group \
        (deployments.apps) and a subresource (pods/exec). A ServiceAccount is \
        `--as system:serviceaccount:NS:NAME`; it gets system:serviceaccounts, \
        system:serviceaccounts:NS and system:authenticated. Every user but system:anonymous is in \
        system:authenticated; system:anonymous is in system:unauthenticated.")]
    CanI(CanIArgs),
    /// Every subject allowed VERB on a resource, with the binding, role and rule
    #[command(after_help = "Examples:\n  \
        palisade rbac who-can get secrets -n kube-system k8s/\n  \
        palisade rbac who-can create pods/exec -A k8s/\n  \
        palisade rbac who-can get /metrics k8s/")]
    WhoCan(WhoCanArgs),
}

#[derive(Args, Debug)]
pub struct Query {
    /// The verb: get, list, watch, create, update, patch, delete, escalate, bind, impersonate, …
    #[arg(value_name = "VERB")]
    pub verb: String,

    /// RESOURCE[.GROUP][/SUBRESOURCE], or a non-resource URL starting with `/`
    #[arg(value_name = "RESOURCE")]
    pub resource: String,

    /// [NAME] then files or directories to read (`-` reads stdin). A first argument that is not
    /// an existing path and is followed by more is the object's name
    #[arg(value_name = "PATH", required = true)]
    pub rest: Vec<PathBuf>,

    /// Namespace of the request
    #[arg(long, short = 'n', value_name = "NS", default_value = "default")]
    pub namespace: String,

    /// Ask cluster-wide (only ClusterRoleBindings count)
    #[arg(long, short = 'A', conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// The object's name (instead of the positional NAME)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = QueryFormat::Text)]
    pub format: QueryFormat,

    /// Largest file read, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_file_size: usize,
}

#[derive(Args, Debug)]
pub struct CanIArgs {
    #[command(flatten)]
    pub query: Query,

    /// The user asking: a name, or system:serviceaccount:NS:NAME
    #[arg(long = "as", value_name = "USER", required = true)]
    pub user: String,

    /// A group of the user (repeatable)
    #[arg(long = "as-group", value_name = "GROUP")]
    pub groups: Vec<String>,
}

#[derive(Args, Debug)]
pub struct WhoCanArgs {
    #[command(flatten)]
    pub query: Query,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    Text,
    Json,
}

pub fn run(args: RbacArgs) -> Result<u8> {
    match args.command {
        RbacCommand::CanI(a) => can_i(a),
        RbacCommand::WhoCan(a) => who_can(a),
    }
}

/// Every RBAC object of the inputs, and the problems met reading them.
fn load(paths: &[PathBuf], max_file_bytes: usize) -> (Vec<Object>, Vec<InputProblem>) {
    let limits = SourceLimits {
        max_file_bytes,
        ..SourceLimits::default()
    };
    // Most files hold no RBAC object: only documents that may name the RBAC API group (an RBAC
    // object's `apiVersion` does) are parsed.
    let filter = Prefilter::any_text(&[rbac::model::RBAC_GROUP]);
    let (objects, problems) = scan::load_paths(paths, &limits, &|t| filter.wanted(t));
    (
        objects.into_iter().filter(rbac::is_rbac).collect(),
        problems,
    )
}

fn report_problems(problems: &[InputProblem]) {
    for p in problems {
        match p.pos {
            Some(pos) => eprintln!("error: {}:{pos}: {}", p.path, p.message),
            None => eprintln!("error: {}: {}", p.path, p.message),
        }
    }
}

fn can_i(args: CanIArgs) -> Result<u8> {
    let parsed = parse_query(&args.query)?;
    if args.user.is_empty() {
        bail!("--as must name a user");
    }
    let (objects, problems) = load(&parsed.paths, args.query.max_file_size);
    let rbac = Rbac::new(&objects);
    let user = UserInfo::new(&args.user, &args.groups);
    let decision = rbac.authorize(&user, &parsed.request());
    let allowed = decision != Decision::Denied;
    let mut out = crate::session::stdout();
    match args.query.format {
        QueryFormat::Json => {
            let mut v = json!({
                "allowed": allowed,
                "user": {"name": user.name, "groups": user.groups},
                "request": parsed.json(),
                "superuser": decision == Decision::Superuser,
                "problems": problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>(),
            });
            if let Decision::Allowed(g) = &decision {
                v["grant"] = grant_json(&rbac, g);
            }
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        QueryFormat::Text => match &decision {
            Decision::Allowed(g) => {
                let b = &rbac.bindings[g.binding];
                let s = &b.subjects[g.subject];
                writeln!(out, "yes")?;
                writeln!(
                    out,
                    "  {} may {}: subject {} of {} at {}",
                    args.user,
                    parsed.describe(),
                    s.describe(b.namespace),
                    b.describe(),
                    location(b.object, &format!("/subjects/{}", s.index))
                )?;
                writeln!(out, "  via {}", rbac.describe_grant(g.binding, g.rule))?;
            }
            Decision::Superuser => {
                writeln!(out, "yes")?;
                writeln!(
                    out,
                    "  {} is in group system:masters, which the API server allows everything \
                     before RBAC is asked",
                    args.user
                )?;
            }
            Decision::Denied => {
                writeln!(out, "no")?;
                writeln!(
                    out,
                    "  no binding in the input lets {} (groups: {}) {}",
                    user.name,
                    user.groups.join(", "),
                    parsed.describe()
                )?;
            }
        },
    }
    out.flush().context("cannot write the answer")?;
    report_problems(&problems);
    Ok(if !problems.is_empty() {
        EXIT_ERROR
    } else if allowed {
        0
    } else {
        1
    })
}

fn who_can(args: WhoCanArgs) -> Result<u8> {
    let parsed = parse_query(&args.query)?;
    let (objects, problems) = load(&parsed.paths, args.query.max_file_size);
    let rbac = Rbac::new(&objects);
    let grants = rbac.who_can(&parsed.request());
    let mut out = crate::session::stdout();
    match args.query.format {
        QueryFormat::Json => {
            let v = json!({
                "request": parsed.json(),
                "superuserGroup": "system:masters",
                "subjects": grants.iter().map(|g| grant_json(&rbac, g)).collect::<Vec<_>>(),
                "problems": problems.iter().map(|p| p.message.clone()).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        QueryFormat::Text => {
            writeln!(out, "who can {}:", parsed.describe())?;
            writeln!(
                out,
                "  Group \"system:masters\": always (the API server allows it before RBAC)"
            )?;
            for g in &grants {
                let b = &rbac.bindings[g.binding];
                let s = &b.subjects[g.subject];
                writeln!(
                    out,
                    "  {} ({}) via {}",
                    s.describe(b.namespace),
                    location(b.object, &format!("/subjects/{}", s.index)),
                    rbac.describe_grant(g.binding, g.rule)
                )?;
            }
            if grants.is_empty() {
                writeln!(out, "  no binding in the input grants it")?;
            }
        }
    }
    out.flush().context("cannot write the answer")?;
    report_problems(&problems);
    Ok(if problems.is_empty() { 0 } else { EXIT_ERROR })
}
