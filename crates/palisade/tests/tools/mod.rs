//! External programs some tests run for real (kubectl, pre-commit, podman), and how a test says
//! it skipped because one is missing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Says why a test did not run, on stderr (shown with `--nocapture`) and in the test's output.
pub fn skip(test: &str, why: &str) {
    eprintln!("SKIP {test}: {why}");
}

/// An executable called `name` on PATH, or the path in the environment variable `var`.
/// Wrappers that only forward to another program (pyenv shims, which need pyenv on PATH) are
/// passed over when a real binary is found later on PATH, so the result works with any PATH.
pub fn find(name: &str, var: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    let mut script = None;
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(name);
        if !is_executable(&candidate) {
            continue;
        }
        if is_shim(&candidate) {
            script.get_or_insert(candidate);
            continue;
        }
        return Some(candidate);
    }
    script
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn is_shim(p: &Path) -> bool {
    std::fs::read(p).is_ok_and(|b| b.starts_with(b"#!") && b.windows(5).any(|w| w == b"pyenv"))
}

/// The real kubectl ($KUBECTL, or on PATH) when it answers `version --client` and has kustomize.
pub fn kubectl() -> Option<PathBuf> {
    let k = find("kubectl", "KUBECTL")?;
    let ok = Command::new(&k)
        .args(["kustomize", "--help"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(k)
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
