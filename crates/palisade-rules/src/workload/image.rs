//! Container image references, read the way the kubelet and the container runtimes read them
//! (the grammar of `github.com/distribution/reference`), and registry allow-list entries.
//!
//! A reference is `[host[:port]/]path[:tag][@digest]`. The first path component is a registry
//! host only when it contains `.` or `:`, is `localhost`, or has an upper-case letter; otherwise
//! the image comes from Docker Hub, whose one-component names live under `library/`
//! (`nginx` → `docker.io/library/nginx`). Getting this right matters: a naive split on `:` reads
//! `localhost:5000/app` as the image `localhost` with tag `5000/app`.

use std::fmt;

/// Docker Hub's canonical host, and the other names that reach it.
const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_ALIASES: &[&str] = &[
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// A parsed, normalised image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host with its port, lower-cased; `docker.io` for Docker Hub (written or implied).
    pub domain: String,
    /// Repository path inside the registry, `library/` added for official Docker Hub images.
    pub path: String,
    pub tag: Option<String>,
    /// `algorithm:hex`, e.g. `sha256:…`.
    pub digest: Option<String>,
}

/// Why an image reference is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    #[error("the image reference is empty")]
    Empty,
    #[error("the image reference contains white space")]
    Whitespace,
    #[error("invalid registry host `{0}`")]
    Domain(String),
    #[error(
        "invalid repository path `{0}` (lower-case letters, digits and . _ - separators only)"
    )]
    Path(String),
    #[error("invalid tag `{0}`")]
    Tag(String),
    #[error("invalid digest `{0}`")]
    Digest(String),
}

impl ImageRef {
    /// Parses a reference as `docker pull` / containerd would, normalising Docker Hub names.
    pub fn parse(text: &str) -> Result<ImageRef, ImageRefError> {
        if text.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if text.chars().any(char::is_whitespace) {
            return Err(ImageRefError::Whitespace);
        }
        let (name_tag, digest) = match text.split_once('@') {
            Some((n, d)) => {
                if !valid_digest(d) {
                    return Err(ImageRefError::Digest(d.to_owned()));
                }
                (n, Some(d.to_owned()))
            }
            None => (text, None),
        };
        // The tag is after the last `:` that follows the last `/` (a `:` before it is a port).
        let after_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[after_slash..].rfind(':') {
            Some(i) => {
                let at = after_slash + i;
                let tag = &name_tag[at + 1..];
                if !valid_tag(tag) {
                    return Err(ImageRefError::Tag(tag.to_owned()));
                }
                (&name_tag[..at], Some(tag.to_owned()))
            }
            None => (name_tag, None),
        };
        let (domain, path) = split_domain(name);
        if !valid_domain(&domain) {
            return Err(ImageRefError::Domain(domain));
        }
        if path.is_empty() || !path.split('/').all(valid_path_component) {
            return Err(ImageRefError::Path(path));
        }
        Ok(ImageRef {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// `domain/path`, the repository without tag or digest.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The tag the runtime pulls: the written one, or `latest` when neither a tag nor a digest
    /// is given.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// The `imagePullPolicy` the API server fills in when a container names none, exactly as
/// `SetDefaults_Container` does: `Always` when the tag is `latest` (written, or implied by a
/// reference with neither tag nor digest), `IfNotPresent` otherwise — including for references
/// it cannot parse.
pub fn default_pull_policy(image: &str) -> &'static str {
    match ImageRef::parse(image) {
        Ok(r) if r.effective_tag() == Some("latest") => "Always",
        _ => "IfNotPresent",
    }
}

/// Docker's `splitDockerDomain`, then Docker Hub normalisation.
fn split_domain(name: &str) -> (String, String) {
    let (domain, rest) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first.to_ascii_lowercase(), rest.to_owned())
        }
        _ => (DOCKER_HUB.to_owned(), name.to_owned()),
    };
    let domain = normalise_domain(domain);
    let path = if domain == DOCKER_HUB && !rest.contains('/') {
        format!("library/{rest}")
    } else {
        rest
    };
    (domain, path)
}

fn normalise_domain(domain: String) -> String {
    if DOCKER_HUB_ALIASES.contains(&domain.as_str()) {
        DOCKER_HUB.to_owned()
    } else {
        domain
    }
}

/// `host[:port]`: DNS labels or an IPv6 literal in brackets, and an optional numeric port.
fn valid_domain(domain: &str) -> bool {
    let valid_port = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = domain.strip_prefix('[') {
        let Some((ip6, after)) = rest.split_once(']') else {
            return false;
        };
        let ip_ok = !ip6.is_empty() && ip6.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
        return ip_ok && (after.is_empty() || after.strip_prefix(':').is_some_and(valid_port));
    }
    let (host, port) = match domain.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (domain, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    host_ok && port.is_none_or(valid_port)
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`.
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_lower_alnum(b[0]) || !is_lower_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_lower_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_lower_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `[\w][\w.-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

/// `algorithm:encoded`; sha256 and sha512 must be lower-case hex of the right length.
fn valid_digest(d: &str) -> bool {
    let Some((alg, enc)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = !alg.is_empty()
        && alg
            .split(['+', '.', '_', '-'])
            .all(|p| !p.is_empty() && p.bytes().all(is_lower_alnum));
    let hex = |len: usize| {
        enc.len() == len
            && enc
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let enc_ok = match alg {
        "sha256" => hex(64),
        "sha512" => hex(128),
        _ => {
            enc.len() >= 32
                && enc
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
        }
    };
    alg_ok && enc_ok
}

/// One entry of the registry allow-list: a registry host, optionally narrowed to a path prefix.
///
/// `registry.example.com` allows everything on that host; `ghcr.io/org` allows `ghcr.io/org/…`
/// but not `ghcr.io/organisation/…` (prefixes match whole path segments); `docker.io/library`
/// allows Docker Hub's official images. An entry without a registry host is a Docker Hub path
/// (`bitnami` is `docker.io/bitnami`), so write official images as `docker.io/library`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryPattern {
    pub domain: String,
    /// Path prefix without leading or trailing `/`; empty for the whole registry.
    pub path: String,
}

impl RegistryPattern {
    /// Reads an allow-list entry. A scheme (`https://`) and a trailing `/` or `/*` are tolerated.
    pub fn parse(entry: &str) -> Result<RegistryPattern, ImageRefError> {
        let e = entry.trim();
        let e = e
            .strip_prefix("https://")
            .or_else(|| e.strip_prefix("http://"))
            .unwrap_or(e);
        let e = e.strip_suffix("/*").unwrap_or(e).trim_end_matches('/');
        if e.is_empty() {
            return Err(ImageRefError::Empty);
        }
        let (domain, path) = match e.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_ascii_lowercase(), rest.to_owned())
            }
            None if e.contains(['.', ':']) || e == "localhost" => {
                (e.to_ascii_lowercase(), String::new())
            }
            _ => (DOCKER_HUB.to_owned(), e.to_owned()),
        };
        let domain = normalise_domain(domain);
        if !valid_domain(&domain) {
            return Err(ImageRefError::Domain(domain));
        }
        if !path.is_empty() && !path.split('/').all(valid_path_component) {
            return Err(ImageRefError::Path(path));
        }
        Ok(RegistryPattern { domain, path })
    }

    /// Whether the image's repository is on this registry and under this path prefix.
    pub fn matches(&self, image: &ImageRef) -> bool {
        image.domain == self.domain
            && (self.path.is_empty()
                || image.path == self.path
                || image
                    .path
                    .strip_prefix(self.path.as_str())
                    .is_some_and(|rest| rest.starts_with('/')))
    }
}

impl fmt::Display for RegistryPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.domain)
        } else {
            write!(f, "{}/{}", self.domain, self.path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn docker_hub_names_are_normalised() {
        let r = p("nginx");
        assert_eq!(
            (r.domain.as_str(), r.path.as_str(), r.tag, r.digest),
            ("docker.io", "library/nginx", None, None)
        );
        assert_eq!(p("bitnami/redis:7").repository(), "docker.io/bitnami/redis");
        assert_eq!(p("docker.io/nginx").repository(), "docker.io/library/nginx");
        assert_eq!(
            p("index.docker.io/library/nginx").repository(),
            "docker.io/library/nginx"
        );
    }

    #[test]
    fn ports_tags_and_digests() {
        let r = p("localhost:5000/app");
        assert_eq!(
            (r.domain.as_str(), r.path.as_str()),
            ("localhost:5000", "app")
        );
        assert_eq!(r.tag, None);
        let r = p("registry.example.com:443/team/app:v1.2");
        assert_eq!(r.domain, "registry.example.com:443");
        assert_eq!(r.tag.as_deref(), Some("v1.2"));
        let r = p(&format!("nginx:latest@{D}"));
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(r.digest.as_deref(), Some(D));
        assert_eq!(r.effective_tag(), Some("latest"));
        let r = p(&format!("ghcr.io/org/app@{D}"));
        assert_eq!(r.tag, None);
        assert_eq!(r.effective_tag(), None);
        // One component with a port-like suffix is a Docker Hub image with a tag.
        let r = p("localhost:5000");
        assert_eq!(r.repository(), "docker.io/library/localhost");
        assert_eq!(r.tag.as_deref(), Some("5000"));
        assert_eq!(p("[::1]:5000/app").domain, "[::1]:5000");
        assert_eq!(p("Registry.Example.com/app").domain, "registry.example.com");
        assert_eq!(p("k8s.gcr.io/pause").to_string(), "k8s.gcr.io/pause");
    }

    #[test]
    fn invalid_references() {
        for bad in [
            "",
            " nginx",
            "nginx:",
            "Nginx",
            "app/UPPER",
            "nginx@sha256:abc",
            "nginx:tag/with/slash:x",
            "a//b",
            "-x",
            "host:port/app",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn pull_policy_defaults_like_the_api_server() {
        assert_eq!(default_pull_policy("nginx"), "Always");
        assert_eq!(default_pull_policy("nginx:latest"), "Always");
        assert_eq!(default_pull_policy(&format!("nginx:latest@{D}")), "Always");
        assert_eq!(default_pull_policy("nginx:1.25"), "IfNotPresent");
        assert_eq!(default_pull_policy(&format!("nginx@{D}")), "IfNotPresent");
        assert_eq!(default_pull_policy("localhost:5000/app"), "Always");
        assert_eq!(default_pull_policy("nginx:Latest"), "IfNotPresent");
        assert_eq!(default_pull_policy("NotValid"), "IfNotPresent");
    }

    #[test]
    fn allow_list_entries() {
        let pat = |s: &str| RegistryPattern::parse(s).unwrap();
        assert!(pat("docker.io/library").matches(&p("nginx")));
        assert!(!pat("docker.io/library").matches(&p("bitnami/redis")));
        assert!(pat("docker.io").matches(&p("bitnami/redis")));
        assert!(pat("bitnami").matches(&p("bitnami/redis")));
        assert!(pat("ghcr.io/org").matches(&p("ghcr.io/org/app:1")));
        assert!(pat("ghcr.io/org/").matches(&p("ghcr.io/org/team/app")));
        assert!(pat("ghcr.io/org/*").matches(&p("ghcr.io/org/app")));
        assert!(!pat("ghcr.io/org").matches(&p("ghcr.io/organisation/app")));
        assert!(!pat("ghcr.io/org").matches(&p("ghcr.io/orgapp")));
        assert!(pat("registry.example.com").matches(&p("registry.example.com/a/b:1")));
        assert!(!pat("registry.example.com").matches(&p("registry.example.com:5000/a")));
        assert!(!pat("registry.example.com").matches(&p("evil.com/registry.example.com/a")));
        assert!(pat("https://Registry.Example.com/").matches(&p("registry.example.com/a")));
        assert!(pat("localhost:5000").matches(&p("localhost:5000/app")));
        assert!(pat("index.docker.io/library").matches(&p("nginx")));
        assert!(RegistryPattern::parse("").is_err());
        assert!(RegistryPattern::parse("nginx:1.2").is_err());
    }
}
