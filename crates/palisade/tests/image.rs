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
