//! Reading a node's files under a root directory (`--root`), never outside it.
//!
//! Every path is a *node path* (`/etc/kubernetes/manifests/kube-apiserver.yaml`), as it is on the
//! node; it is joined to the root only here. Symbolic links are followed with absolute targets
//! re-rooted, so a copied or mounted node tree behaves like the node (systemd's
//! `multi-user.target.wants/kubelet.service` is usually such a link) and nothing outside the root
//! is ever read. Reads are bounded; every failure is a value ([`FsError`]) the audit turns into
//! "not evaluated" with the reason, never a panic.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest file the audit reads (config files are a few KiB; this guards against devices and
/// runaway logs named like config files).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// How many symbolic links one lookup may follow.
const MAX_LINKS: usize = 16;

/// Why a node file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FsError {
    #[error("{0}: no such file or directory")]
    NotFound(String),
    #[error("{0}: permission denied")]
    PermissionDenied(String),
    #[error("{0}: larger than {MAX_FILE_BYTES} bytes")]
    TooLarge(String),
    #[error("{0}: not UTF-8 text")]
    NotText(String),
    #[error("{0}: too many levels of symbolic links")]
    LinkLoop(String),
    #[error("{0}: {1}")]
    Other(String, String),
    /// A file the audit would execute that a non-root user could have written (it, or a
    /// directory above it, is not owned by root or is group- or world-writable).
    #[error("{0}: {1}, so a non-root user could have written it")]
    NotRootOnly(String, String),
}

impl FsError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, FsError::NotFound(_))
    }

    fn from_io(path: &str, e: &std::io::Error) -> FsError {
        match e.kind() {
            std::io::ErrorKind::NotFound => FsError::NotFound(path.to_owned()),
            std::io::ErrorKind::PermissionDenied => FsError::PermissionDenied(path.to_owned()),
            _ => FsError::Other(path.to_owned(), e.to_string()),
        }
    }
}

/// Mode and owner of a node file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMeta {
    /// Permission bits (`0o644`), without the file type.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub is_dir: bool,
}

/// A node's file system, seen through a root directory.
#[derive(Clone, Debug)]
pub struct NodeFs {
    root: PathBuf,
}

impl NodeFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        NodeFs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The host path of a node path, symbolic links resolved inside the root.
    pub fn resolve(&self, node_path: &str) -> Result<PathBuf, FsError> {
        self.resolve_visiting(node_path, &mut |_, _| Ok(()))
            .map(|(host, _)| host)
    }

    /// Resolves a node path as [`NodeFs::resolve`] does, calling `visit` with the node path and
    /// metadata (not following links) of the root and of every directory and link walked
    /// through, in order; an error from `visit` stops the walk. Returns the host path and the
    /// node path it resolved to.
    fn resolve_visiting(
        &self,
        node_path: &str,
        visit: &mut dyn FnMut(&str, &std::fs::Metadata) -> Result<(), FsError>,
    ) -> Result<(PathBuf, String), FsError> {
        let root_meta =
            std::fs::symlink_metadata(&self.root).map_err(|e| FsError::from_io("/", &e))?;
        visit("/", &root_meta)?;
        let mut current = normalize(node_path);
        for _ in 0..MAX_LINKS {
            // Resolve links in every parent directory too: walk component by component.
            let mut host = self.root.clone();
            let mut walked = String::new();
            let mut restart = None;
            let parts: Vec<&str> = current.split('/').filter(|p| !p.is_empty()).collect();
            for (i, part) in parts.iter().enumerate() {
                walked.push('/');
                walked.push_str(part);
                host.push(part);
                let meta = std::fs::symlink_metadata(&host);
                if let Ok(m) = &meta {
                    if i + 1 < parts.len() || m.file_type().is_symlink() {
                        visit(&walked, m)?;
                    }
                }
                match meta {
                    Ok(m) if m.file_type().is_symlink() => {
                        let target = std::fs::read_link(&host)
                            .map_err(|e| FsError::from_io(&current, &e))?;
                        let target = target.to_string_lossy().into_owned();
                        let base = if target.starts_with('/') {
                            target
                        } else {
                            let parent = walked.rsplit_once('/').map_or("", |(p, _)| p);
                            format!("{parent}/{target}")
                        };
                        let rest = parts[i + 1..].join("/");
                        restart = Some(if rest.is_empty() {
                            normalize(&base)
                        } else {
                            normalize(&format!("{base}/{rest}"))
                        });
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => return Err(FsError::from_io(&current, &e)),
                }
            }
            match restart {
                Some(next) => current = next,
                None => return Ok((host, current)),
            }
        }
        Err(FsError::LinkLoop(node_path.to_owned()))
    }

    /// Checks that only root could have written a node file the audit is about to execute: it
    /// is a regular file owned by root and not group- or world-writable, and so is every
    /// directory on the way to it (the root included, and the directories holding any
    /// symbolic link followed, whose target someone else could otherwise re-point). Returns the
    /// node path the file resolved to: that path, not a link, is what may be executed, so a
    /// link swapped after the check changes nothing.
    pub fn root_only(&self, node_path: &str) -> Result<String, FsError> {
        use std::os::unix::fs::MetadataExt;
        let why = |m: &std::fs::Metadata| {
            if m.uid() != 0 {
                Some(format!("owned by uid {}", m.uid()))
            } else if m.mode() & 0o002 != 0 {
                Some("world-writable".to_owned())
            } else if m.mode() & 0o020 != 0 {
                Some("group-writable".to_owned())
            } else {
                None
            }
        };
        let (host, resolved) = self.resolve_visiting(node_path, &mut |at, m| {
            if m.file_type().is_symlink() {
                // A link's own mode means nothing; its directory was checked before it.
                return Ok(());
            }
            match why(m) {
                Some(w) => Err(FsError::NotRootOnly(
                    node_path.to_owned(),
                    format!("the directory {at} is {w}"),
                )),
                None => Ok(()),
            }
        })?;
        let m = std::fs::metadata(&host).map_err(|e| FsError::from_io(node_path, &e))?;
        if !m.is_file() {
            return Err(FsError::Other(
                node_path.to_owned(),
                "is not a regular file".into(),
            ));
        }
        if let Some(w) = why(&m) {
            return Err(FsError::NotRootOnly(
                node_path.to_owned(),
                format!("it is {w}"),
            ));
        }
        Ok(resolved)
    }

    /// Opens a regular file. Anything else is refused before `open`: opening a FIFO blocks until
    /// a writer appears (a hang on a hostile or odd node tree), and a device or socket is never a
    /// configuration file.
    fn open_regular(&self, node_path: &str) -> Result<std::fs::File, FsError> {
        let host = self.resolve(node_path)?;
        let meta = std::fs::metadata(&host).map_err(|e| FsError::from_io(node_path, &e))?;
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "is a directory"
            } else {
                "is not a regular file"
            };
            return Err(FsError::Other(node_path.to_owned(), what.into()));
        }
        std::fs::File::open(&host).map_err(|e| FsError::from_io(node_path, &e))
    }

    /// The text of a node file.
    pub fn read(&self, node_path: &str) -> Result<String, FsError> {
        let file = self.open_regular(node_path)?;
        let mut buf = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| FsError::from_io(node_path, &e))?;
        if buf.len() as u64 > MAX_FILE_BYTES {
            return Err(FsError::TooLarge(node_path.to_owned()));
        }
        String::from_utf8(buf).map_err(|_| FsError::NotText(node_path.to_owned()))
    }

    /// The raw bytes of a node file (for `/proc/*/cmdline`, which is NUL-separated).
    pub fn read_bytes(&self, node_path: &str) -> Result<Vec<u8>, FsError> {
        let file = self.open_regular(node_path)?;
        let mut buf = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| FsError::from_io(node_path, &e))?;
        if buf.len() as u64 > MAX_FILE_BYTES {
            return Err(FsError::TooLarge(node_path.to_owned()));
        }
        Ok(buf)
    }

    /// Mode and owner of a node file (links followed).
    pub fn stat(&self, node_path: &str) -> Result<FileMeta, FsError> {
        use std::os::unix::fs::MetadataExt;
        let host = self.resolve(node_path)?;
        let m = std::fs::metadata(&host).map_err(|e| FsError::from_io(node_path, &e))?;
        Ok(FileMeta {
            mode: m.mode() & 0o7777,
            uid: m.uid(),
            gid: m.gid(),
            is_dir: m.is_dir(),
        })
    }

    pub fn exists(&self, node_path: &str) -> bool {
        self.stat(node_path).is_ok()
    }

    /// Names in a node directory, sorted (the order systemd and the kubelet read drop-ins in).
    pub fn list(&self, node_dir: &str) -> Result<Vec<String>, FsError> {
        let host = self.resolve(node_dir)?;
        let rd = std::fs::read_dir(&host).map_err(|e| FsError::from_io(node_dir, &e))?;
        let mut names: Vec<String> = rd
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Every file below a node directory (recursively, links not followed into directories),
    /// as node paths, sorted. Bounded to `limit` entries.
    pub fn walk(&self, node_dir: &str, limit: usize) -> Result<Vec<String>, FsError> {
        let mut out = Vec::new();
        let mut stack = vec![normalize(node_dir)];
        // The directory itself counts (CIS 1.1.19 checks the PKI directory and its files).
        while let Some(dir) = stack.pop() {
            let names = self.list(&dir)?;
            for n in names {
                let p = format!("{}/{n}", dir.trim_end_matches('/'));
                let host = self.resolve(&p);
                match host.and_then(|h| {
                    std::fs::symlink_metadata(&h).map_err(|e| FsError::from_io(&p, &e))
                }) {
                    Ok(m) if m.is_dir() => stack.push(p.clone()),
                    _ => {}
                }
                out.push(p);
                if out.len() >= limit {
                    out.sort();
                    return Ok(out);
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// `a//b/./c/../d` → `/a/b/d`; always absolute.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Joins a path that may be relative (to `base_dir`) or absolute.
pub fn join(base_dir: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize(path)
    } else {
        normalize(&format!("{base_dir}/{path}"))
    }
}

/// The directory of a node path.
pub fn parent(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((p, _)) => p,
        None => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize("a//b/./c/../d"), "/a/b/d");
        assert_eq!(normalize("/../.."), "/");
        assert_eq!(join("/etc/x", "../y.conf"), "/etc/y.conf");
        assert_eq!(join("/etc/x", "/abs"), "/abs");
        assert_eq!(parent("/etc/a.conf"), "/etc");
        assert_eq!(parent("/a"), "/");
    }

    #[test]
    fn absolute_links_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("lib/systemd/system")).unwrap();
        std::fs::create_dir_all(root.join("etc/systemd/system")).unwrap();
        std::fs::write(root.join("lib/systemd/system/kubelet.service"), "x").unwrap();
        std::os::unix::fs::symlink(
            "/lib/systemd/system/kubelet.service",
            root.join("etc/systemd/system/kubelet.service"),
        )
        .unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("etc/escape")).unwrap();
        let fs = NodeFs::new(root);
        assert_eq!(fs.read("/etc/systemd/system/kubelet.service").unwrap(), "x");
        // /etc/passwd of the host is not read: the link is re-rooted and does not exist there.
        assert!(fs.read("/etc/escape").unwrap_err().is_not_found());
        std::os::unix::fs::symlink("/etc/loop", root.join("etc/loop")).unwrap();
        assert!(matches!(fs.read("/etc/loop"), Err(FsError::LinkLoop(_))));
    }
}
