//! Container image references: the one parser for the image rules, the image policy (IM403-IM405,
//! the webhook's ImageReview), the Dashboard and ingress controller tests, and the validation of
//! images Palisade writes into generated manifests (`names::image_reference`).
//!
//! The spec is what the kubelet and the container runtimes do with `containers[].image`:
//! `ParseNormalizedNamed` of `github.com/distribution/reference` (containerd and the kubelet's
//! defaulting; CRI-O uses a fork of it). A reference is `[host[:port]/]path[:tag][@digest]`. The
//! first path component is a registry host only when it contains `.` or `:`, is `localhost`, or
//! has an upper-case letter (`splitDockerDomain`); otherwise the image comes from Docker Hub,
//! whose one-component names live under `library/` (`nginx` → `docker.io/library/nginx`).
//! Getting this right matters: a naive split on `:` reads `localhost:5000/app` as the image
//! `localhost` with tag `5000/app`.
//!
//! [`ImageRef::parse`] applies the whole grammar and refuses what the runtime refuses (the
//! container then fails with `InvalidImageName`); [`ImageRef::split`] only takes a reference
//! apart, for recognising software by its repository even in a reference that would not run.

use std::fmt;

/// Docker Hub's canonical host.
const DOCKER_HUB: &str = "docker.io";
/// Other names of Docker Hub. `index.docker.io` is the one `splitDockerDomain` rewrites; the
/// others reach the same registry, so an allow-list entry naming one of them means Docker Hub.
const DOCKER_HUB_ALIASES: &[&str] = &[
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];
/// `NameTotalLengthMax`: the normalised name (`docker.io/library/nginx`) is at most this long.
const NAME_MAX: usize = 255;

/// A normalised image reference.
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
    #[error(
        "invalid digest `{0}` (sha256, sha384 or sha512 with lower-case hex of the hash's length)"
    )]
    Digest(String),
    #[error("the repository name is longer than {NAME_MAX} characters")]
    TooLong,
    #[error("a 64-digit hexadecimal name is an image ID, not a repository name")]
    ImageId,
}

/// A reference taken apart without validation: the domain as written (`None` for Docker Hub
/// implied), the rest of the name, tag and digest.
struct Parts<'a> {
    domain: Option<&'a str>,
    remainder: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn parts(text: &str) -> Parts<'_> {
    // The digest follows the first `@` (neither name nor tag may hold one).
    let (name_tag, digest) = match text.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (text, None),
    };
    // The tag is after the last `:` that follows the last `/` (a `:` before it is a port).
    let after_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[after_slash..].rfind(':') {
        Some(i) => {
            let at = after_slash + i;
            (&name_tag[..at], Some(&name_tag[at + 1..]))
        }
        None => (name_tag, None),
    };
    // `splitDockerDomain`.
    let (domain, remainder) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    };
    Parts {
        domain,
        remainder,
        tag,
        digest,
    }
}

/// The registry as compared and reported: lower-cased (host names are case-insensitive), Docker
/// Hub's aliases as `docker.io`.
fn normalise_domain(domain: &str) -> String {
    let lower = domain.to_ascii_lowercase();
    if DOCKER_HUB_ALIASES.contains(&lower.as_str()) {
        DOCKER_HUB.to_owned()
    } else {
        lower
    }
}

impl ImageRef {
    /// Parses a reference as the runtime would, normalising Docker Hub names.
    pub fn parse(text: &str) -> Result<ImageRef, ImageRefError> {
        if text.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if text.chars().any(char::is_whitespace) {
            return Err(ImageRefError::Whitespace);
        }
        // `anchoredIdentifierRegexp`, tested on the whole text before anything else.
        if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ImageRefError::ImageId);
        }
        let p = parts(text);
        if let Some(d) = p.digest.filter(|d| !valid_digest(d)) {
            return Err(ImageRefError::Digest(d.to_owned()));
        }
        if let Some(t) = p.tag.filter(|t| !valid_tag(t)) {
            return Err(ImageRefError::Tag(t.to_owned()));
        }
        if let Some(d) = p.domain.filter(|d| !valid_domain(d)) {
            return Err(ImageRefError::Domain(d.to_ascii_lowercase()));
        }
        let r = ImageRef::from_parts(&p);
        if r.path.is_empty() || !r.path.split('/').all(valid_path_component) {
            return Err(ImageRefError::Path(r.path));
        }
        // The length `ParseNormalizedNamed` checks: the name as Go normalises it, with the
        // domain as written (only `index.docker.io` is rewritten there).
        let go_domain = match p.domain {
            None | Some("index.docker.io") => DOCKER_HUB,
            Some(d) => d,
        };
        let library = if go_domain == DOCKER_HUB && !p.remainder.contains('/') {
            "library/".len()
        } else {
            0
        };
        if go_domain.len() + 1 + library + p.remainder.len() > NAME_MAX {
            return Err(ImageRefError::TooLong);
        }
        Ok(r)
    }

    /// Takes a reference apart with the same rules as [`ImageRef::parse`] but without validating
    /// any part: for recognising software by its repository (`kubernetesui/dashboard`), which a
    /// malformed tag or digest does not change. Never fails; an empty text has an empty path.
    pub fn split(text: &str) -> ImageRef {
        ImageRef::from_parts(&parts(text))
    }

    fn from_parts(p: &Parts<'_>) -> ImageRef {
        let domain = p
            .domain
            .map_or_else(|| DOCKER_HUB.to_owned(), normalise_domain);
        let path = if domain == DOCKER_HUB && !p.remainder.contains('/') {
            format!("library/{}", p.remainder)
        } else {
            p.remainder.to_owned()
        };
        ImageRef {
            domain,
            path,
            tag: p.tag.map(str::to_owned),
            digest: p.digest.map(str::to_owned),
        }
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

/// `host[:port]`: DNS labels (`[a-zA-Z0-9]` with inner `-`) or an IPv6 literal in brackets, and
/// an optional numeric port.
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

/// A digest as `github.com/opencontainers/go-digest`'s `Parse` accepts it, which
/// `distribution/reference` applies after its grammar: an algorithm the runtime can verify
/// (sha256, sha384, sha512; any other is `ErrDigestUnsupported`) and lower-case hex of exactly
/// that hash's length.
fn valid_digest(d: &str) -> bool {
    let Some((algorithm, encoded)) = d.split_once(':') else {
        return false;
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    encoded.len() == len
        && encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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
        // Unlike a reference, an entry may be a host alone (`registry.example.com`).
        let (domain, path) = match e.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (first, rest)
            }
            None if e.contains(['.', ':']) || e == "localhost" => (e, ""),
            _ => (DOCKER_HUB, e),
        };
        if !valid_domain(domain) {
            return Err(ImageRefError::Domain(domain.to_ascii_lowercase()));
        }
        if !path.is_empty() && !path.split('/').all(valid_path_component) {
            return Err(ImageRefError::Path(path.to_owned()));
        }
        Ok(RegistryPattern {
            domain: normalise_domain(domain),
            path: path.to_owned(),
        })
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
        assert!(ImageRef::parse(&format!("app@sha384:{}", "0a".repeat(48))).is_ok());
        assert!(ImageRef::parse(&format!("app@sha512:{}", "0a".repeat(64))).is_ok());
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

    /// What go-digest and `ParseNormalizedNamed` add to the grammar: the runtime refuses these.
    #[test]
    fn digests_names_and_lengths_as_the_runtime_checks_them() {
        let hex = "0123456789abcdef".repeat(4);
        for (bad, err) in [
            (
                format!("app@sha256:{}", hex.to_uppercase()),
                ImageRefError::Digest(format!("sha256:{}", hex.to_uppercase())),
            ),
            (
                format!("app@md5:{}", &hex[..32]),
                ImageRefError::Digest(format!("md5:{}", &hex[..32])),
            ),
            (
                format!("app@sha384:{hex}"),
                ImageRefError::Digest(format!("sha384:{hex}")),
            ),
            (hex.clone(), ImageRefError::ImageId),
            // 255 as written, 273 once Docker Hub's `docker.io/library/` is added.
            ("a".repeat(255), ImageRefError::TooLong),
            (
                format!("registry.example.com/{}", "a".repeat(235)),
                ImageRefError::TooLong,
            ),
        ] {
            assert_eq!(ImageRef::parse(&bad), Err(err), "{bad}");
        }
        // A 64-hex path component under a repository is a name like any other.
        assert!(ImageRef::parse(&format!("org/{hex}")).is_ok());
        assert!(ImageRef::parse(&format!("registry.example.com/{}", "a".repeat(234))).is_ok());
        assert!(ImageRef::parse(&"a".repeat(237)).is_ok());
    }

    #[test]
    fn split_never_validates() {
        let r = ImageRef::split("kubernetesui/dashboard-web@sha256:abc");
        assert_eq!(r.repository(), "docker.io/kubernetesui/dashboard-web");
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        let r = ImageRef::split("registry.local:5000/kubernetesui:dashboard");
        assert_eq!(r.path, "kubernetesui");
        assert_eq!(r.tag.as_deref(), Some("dashboard"));
        assert_eq!(ImageRef::split("").path, "library/");
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
