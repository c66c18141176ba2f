//! The `palisade` hook of `.pre-commit-hooks.yaml`, run by the real pre-commit in a local git
//! repository: a commit of a privileged pod is refused, a clean one goes through. Skips when
//! pre-commit or git is missing.

mod tools;

use std::path::Path;
use std::process::{Command, Output};

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: registry.example.com/web:1.2.3
      securityContext:
        privileged: true
";

fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap();
    out
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn precommit_hook_blocks_a_privileged_pod() {
    let Some(precommit) = tools::find("pre-commit", "PRE_COMMIT") else {
        tools::skip(
            "precommit_hook_blocks_a_privileged_pod",
            "pre-commit not found (pip install pre-commit)",
        );
        return;
    };
    if Command::new("git").arg("--version").output().is_err() {
        tools::skip("precommit_hook_blocks_a_privileged_pod", "git not found");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // The hook repository: this repository's .pre-commit-hooks.yaml, committed.
    let hooks = tmp.path().join("hooks");
    std::fs::create_dir(&hooks).unwrap();
    std::fs::copy(
        tools::repo().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    ok(&git(&hooks, &["init", "-q"]), "git init hooks");
    ok(&git(&hooks, &["add", "."]), "git add");
    ok(
        &git(&hooks, &["commit", "-q", "-m", "hooks"]),
        "git commit hooks",
    );
    let rev = String::from_utf8(git(&hooks, &["rev-parse", "HEAD"]).stdout).unwrap();

    // A project using it.
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    ok(&git(&project, &["init", "-q"]), "git init project");
    std::fs::write(
        project.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: palisade\n",
            hooks.display(),
            rev.trim()
        ),
    )
    .unwrap();
    // `palisade` on PATH, as the hook expects: this build.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_palisade"), bin.join("palisade")).unwrap();
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let precommit_home = tmp.path().join("cache");
    let run = |args: &[&str]| {
        Command::new(&precommit)
            .current_dir(&project)
            .args(args)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", &precommit_home)
            .env("NO_COLOR", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .unwrap()
    };
    ok(&run(&["install"]), "pre-commit install");

    std::fs::write(project.join("pod.yaml"), PRIVILEGED_POD).unwrap();
    std::fs::write(project.join("notes.txt"), "not yaml\n").unwrap();
    ok(&git(&project, &["add", "."]), "git add");
    // The commit runs the hook through git's pre-commit hook: refused.
    let out = Command::new("git")
        .current_dir(&project)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["commit", "-q", "-m", "privileged"])
        .env("PATH", &path)
        .env("PRE_COMMIT_HOME", &precommit_home)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "the commit went through: {all}");
    assert!(all.contains("PS101"), "{all}");
    assert!(all.contains("pod.yaml"), "{all}");

    // Replaced by the hardened example: the hook passes.
    std::fs::remove_file(project.join("pod.yaml")).unwrap();
    for f in ["deployment.yaml", "network-policies.yaml"] {
        std::fs::copy(
            tools::repo().join("examples/hardened-app").join(f),
            project.join(f),
        )
        .unwrap();
    }
    ok(&git(&project, &["add", "-A"]), "git add");
    let out = run(&["run", "--all-files"]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{all}");
    assert!(all.contains("Passed"), "{all}");
}
