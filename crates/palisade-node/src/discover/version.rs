//! The node's Kubernetes version from a component binary's `--version`, when no image tag says
//! it. Running a binary is the one thing the audit executes, so the conditions (root-only file,
//! the audit's own mount namespace, the very file a process runs, a bounded wait) are kept
//! together here.

use palisade_core::KubeVersion;

use super::processes::{is_live, same_file};
use super::{Discovery, Problem};
use crate::component::{ComponentKind, Source};

/// A binary that may be asked for its version.
#[derive(Clone, Debug)]
pub(super) struct Binary {
    pub(super) kind: ComponentKind,
    /// The node path: a unit's `ExecStart` binary, or a trusted process's executable.
    pub(super) path: String,
    /// The process it was found through (live /proc only): it must still be that file.
    pub(super) pid: Option<u32>,
}

impl Discovery {
    /// The Kubernetes version a component's binary reports (`kubelet --version` prints
    /// `Kubernetes v1.29.3`), from the first binary that answers. etcd's own version is not a
    /// Kubernetes version and is not asked. A binary is run only when only root could have
    /// written it (checked again here, just before running it; the path run is the one the
    /// check resolved links to), and one found through a process only while that process still
    /// runs that very file; a binary refused is noted.
    pub(super) fn binary_version(&mut self) -> Option<(KubeVersion, Source)> {
        let live_proc = self.proc.clone().filter(|p| is_live(p));
        let mut refused: Vec<(String, String)> = Vec::new();
        let mut found = None;
        for b in self.binaries.clone() {
            if b.kind == ComponentKind::Etcd {
                continue;
            }
            let resolved = match self.fs.root_only(&b.path) {
                Ok(r) => r,
                Err(e) => {
                    refused.push((b.path.clone(), format!("{e}: not run to ask its version")));
                    continue;
                }
            };
            let host = self.fs.root().join(resolved.trim_start_matches('/'));
            if let (Some(pid), Some(proc)) = (b.pid, &live_proc) {
                if !same_file(&proc.join(pid.to_string()).join("exe"), &host) {
                    continue;
                }
            }
            let Some(output) = run_version(&host, VERSION_TIMEOUT) else {
                continue;
            };
            let Some(v) = output
                .split_whitespace()
                .find_map(|w| w.parse::<KubeVersion>().ok())
            else {
                continue;
            };
            found = Some((
                v,
                Source::Binary {
                    path: resolved,
                    output: output.trim().to_owned(),
                },
            ));
            break;
        }
        refused.dedup();
        for (path, why) in refused {
            self.problems.push(Problem::note(path, why));
        }
        found
    }
}

/// How long a binary may take to print its version.
pub const VERSION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs `binary --version` with no input, a bounded wait and a bounded output; the first line
/// it prints, or `None` when it cannot run, fails, or does not answer in time (it is killed).
pub fn run_version(binary: &std::path::Path, timeout: std::time::Duration) -> Option<String> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(binary)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env_clear()
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    if !status.success() {
        return None;
    }
    let mut out = String::new();
    child
        .stdout
        .take()?
        .take(4096)
        .read_to_string(&mut out)
        .ok()?;
    out.lines().next().map(str::to_owned)
}
