//! Writing generated files: atomically, and the ones with key material private from the start.
//!
//! Every file goes to a temporary file created exclusively in its directory (`tempfile`: random
//! name, `O_EXCL`, the mode given at `open`), is written and flushed, then renamed over the target.
//! So a reader sees the old file or the whole new one, a symlink planted at the target is replaced
//! rather than followed, and a private file is never readable by anyone else, not even while it
//! is written (a `chmod` after writing would leave that window open).

use std::fs::Permissions;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::Path;

use anyhow::{bail, Context as _, Result};

/// Who may read a written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `0666` less the umask, as `std::fs::write` creates files.
    Shared,
    /// `0600`: key material and configuration only root's components read.
    Private,
}

/// Writes `bytes` to `path` (see the module docs). The directory must exist.
pub fn write(path: &Path, bytes: &[u8], access: Access) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mode = match access {
        Access::Shared => 0o666,
        Access::Private => 0o600,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".palisade-")
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Creates `dir` (and missing parents, as usual) with mode `0700` in one step; `Ok(false)` when
/// it already exists, which is left as it is: a directory the user names (`--apiserver-dir
/// /etc/kubernetes`) is theirs, and not narrowed behind their back.
pub fn create_private_dir(dir: &Path) -> Result<bool> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(false),
        Err(e) => Err(e).with_context(|| format!("creating {}", dir.display())),
    }
}

/// Makes `dir`, a directory Palisade names itself (a bundle's `node/`), one only its owner can
/// enter (`0700`): created with that mode, or an existing one (an earlier bundle) narrowed before
/// anything private goes in. A symlink is refused: the key would land wherever it points.
pub fn private_dir(dir: &Path) -> Result<()> {
    if create_private_dir(dir).unwrap_or(false) {
        return Ok(());
    }
    let meta =
        std::fs::symlink_metadata(dir).with_context(|| format!("reading {}", dir.display()))?;
    if !meta.is_dir() {
        bail!(
            "{} exists and is not a directory (a symlink is not followed for files with key \
             material)",
            dir.display()
        );
    }
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private (mode 0700)", dir.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_files_are_0600_in_a_0700_directory_and_replace_symlinks() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/node");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let decoy = root.path().join("decoy");
        std::fs::write(&decoy, "decoy").unwrap();
        let target = dir.join("key.yaml");
        std::os::unix::fs::symlink(&decoy, &target).unwrap();
        write(&target, b"secret", Access::Private).unwrap();
        assert_eq!(mode(&target), 0o600);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "secret");
        assert_eq!(std::fs::read_to_string(&decoy).unwrap(), "decoy");
        // An existing open directory is narrowed, a symlink refused.
        let open = root.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, Permissions::from_mode(0o755)).unwrap();
        private_dir(&open).unwrap();
        assert_eq!(mode(&open), 0o700);
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&open, &link).unwrap();
        assert!(private_dir(&link).is_err());
        // Nothing but the target is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["key.yaml"]);
    }
}
