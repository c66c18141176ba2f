//! The container image built from this test build of the binary (static, like the release
//! build) works: `tests/image.sh` builds it with podman, exports it and runs its entrypoint as
//! the non-root user on a read-only root. The script skips (exit 0, `SKIP:`) without podman or
//! root, and fails on anything else.

mod tools;

#[test]
fn container_image_runs_its_entrypoint_as_non_root_read_only() {
    let out = std::process::Command::new("bash")
        .arg(tools::repo().join("tests/image.sh"))
        .arg(env!("CARGO_BIN_EXE_palisade"))
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "tests/image.sh failed:\n{stdout}{stderr}"
    );
    assert!(
        stdout.contains("image test passed") || stdout.contains("SKIP:"),
        "{stdout}"
    );
}

/// The Dockerfile's final stage and Containerfile.local (which the test above builds) make the
/// same image: same user, entrypoint, command and files, from scratch.
#[test]
fn dockerfile_final_stage_matches_the_tested_containerfile() {
    let read = |f: &str| std::fs::read_to_string(tools::repo().join(f)).unwrap();
    let docker = read("Dockerfile");
    let local = read("Containerfile.local");
    let final_stage = &docker[docker.rfind("\nFROM ").expect("stages")..];
    let directives = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| {
                ["FROM", "USER", "ENTRYPOINT", "CMD"]
                    .iter()
                    .any(|d| l.starts_with(d))
            })
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(directives(final_stage), directives(&local));
    assert!(final_stage.contains("\nFROM scratch\n"));
    let destinations = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("COPY "))
            .map(|l| l.rsplit(' ').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(destinations(final_stage), destinations(&local));
    assert_eq!(
        destinations(&local),
        ["/etc/ssl/certs/ca-certificates.crt", "/palisade"]
    );
    assert!(final_stage.contains("USER 65532:65532"));
}
