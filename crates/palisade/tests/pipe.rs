//! A reader that goes away (`palisade rules | head -1`) ends Palisade quietly: nothing on stderr,
//! and the exit code it would have had (0, or 1 for a scan with findings), for every command that
//! prints.

mod tools;

use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

/// A pipe whose read end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors were just created and are owned by nobody else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    Stdio::from(write)
}

#[test]
fn every_command_ends_quietly_on_a_closed_stdout() {
    let examples = tools::repo().join("examples");
    let insecure = examples.join("insecure-app");
    let insecure = insecure.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["--version"],
        vec!["scan", "--help"],
        vec!["rules"],
        vec!["rules", "--format", "json"],
        vec!["explain", "PS101"],
        vec!["scan", insecure],
        vec!["scan", insecure, "--format", "json"],
        vec!["scan", insecure, "--format", "sarif"],
        vec!["scan", insecure, "--format", "junit"],
        vec!["scan", insecure, "--format", "html"],
        vec!["fix", insecure, "--diff"],
        vec!["harden", insecure],
        vec!["rbac", "who-can", "list", "secrets", insecure],
        vec!["webhook", "manifests"],
        vec!["completions", "bash"],
        vec!["completions", "zsh"],
        vec!["man"],
    ];
    // `--no-config` where the command has it (a palisade.yaml around must not change the test).
    fn out_args(args: &[&str]) -> Vec<&'static str> {
        match args.first() {
            Some(&"scan" | &"fix") if args.len() > 2 || args[1] != "--help" => {
                vec!["--no-config"]
            }
            _ => vec![],
        }
    }
    for args in commands {
        let out = Command::cargo_bin("palisade")
            .unwrap()
            .args(&args)
            .args(out_args(&args))
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.is_empty() || !stderr.contains("pipe") && !stderr.contains("panick"),
            "palisade {args:?} on a closed pipe printed: {stderr}"
        );
        assert!(
            !stderr.contains("error"),
            "palisade {args:?} on a closed pipe printed: {stderr}"
        );
        // The verdict is the same as with a reader: findings still fail a scan.
        let expected = Command::cargo_bin("palisade")
            .unwrap()
            .args(&args)
            .args(out_args(&args))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(
            out.status.code(),
            expected.code(),
            "palisade {args:?} on a closed pipe: {:?} {stderr}",
            out.status
        );
    }
}

/// What users type: one line out, nothing on stderr.
#[test]
fn rules_piped_to_head_prints_one_line() {
    let bin = assert_cmd::cargo::cargo_bin("palisade");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' rules | head -1", bin.display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
