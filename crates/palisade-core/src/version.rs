//! Kubernetes minor versions, which version-aware rules and Pod Security Standards key on.

use std::fmt;
use std::str::FromStr;

/// A Kubernetes `major.minor` version. Patch levels never change what a rule means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    /// The newest Kubernetes minor release Palisade knows about; the default target.
    pub const LATEST: KubeVersion = KubeVersion::new(1, 37);

    pub const fn new(major: u32, minor: u32) -> Self {
        KubeVersion { major, minor }
    }

    /// `1.N`.
    pub const fn v1(minor: u32) -> Self {
        KubeVersion::new(1, minor)
    }

    /// A version a user typed (`--kubernetes-version`): `latest` or `[v]MAJOR.MINOR[.PATCH]` in
    /// digits, nothing else. [`FromStr`] is lenient for what servers report (`v1.31+`,
    /// `v1.31.2-eks-1`); a flag with anything around the digits is a mistake (or an attempt to
    /// smuggle text into generated files) and is refused.
    pub fn parse_exact(s: &str) -> Result<Self, InvalidVersion> {
        let t = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let parts: Vec<&str> = t.split('.').collect();
        let digits =
            |p: &&str| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit());
        if s.eq_ignore_ascii_case("latest")
            || (matches!(parts.len(), 2 | 3) && parts.iter().all(digits))
        {
            s.parse()
        } else {
            Err(InvalidVersion(s.to_owned()))
        }
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        KubeVersion::LATEST
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)
    }
}

/// A version string that is not `[v]MAJOR.MINOR[.PATCH…]` or `latest`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Kubernetes version `{0}` (expected e.g. 1.31, v1.31.2 or latest)")]
pub struct InvalidVersion(pub String);

impl FromStr for KubeVersion {
    type Err = InvalidVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("latest") {
            return Ok(KubeVersion::LATEST);
        }
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let mut parts = t.split('.');
        let major = parts.next().and_then(|p| p.parse().ok());
        // The minor part may carry a suffix such as `31+` (EKS, GKE report that).
        let minor = parts.next().and_then(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        });
        match (major, minor) {
            (Some(major), Some(minor)) => Ok(KubeVersion { major, minor }),
            _ => Err(InvalidVersion(s.to_owned())),
        }
    }
}

/// The versions a rule applies to: `since` inclusive, `until` exclusive (the version that removed
/// the thing the rule is about).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionRange {
    pub since: Option<KubeVersion>,
    pub until: Option<KubeVersion>,
}

impl VersionRange {
    pub const ALL: VersionRange = VersionRange {
        since: None,
        until: None,
    };

    pub const fn since(v: KubeVersion) -> Self {
        VersionRange {
            since: Some(v),
            until: None,
        }
    }

    pub const fn until(v: KubeVersion) -> Self {
        VersionRange {
            since: None,
            until: Some(v),
        }
    }

    pub fn contains(&self, v: KubeVersion) -> bool {
        self.since.is_none_or(|s| v >= s) && self.until.is_none_or(|u| v < u)
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.since, self.until) {
            (None, None) => f.write_str("all"),
            (Some(s), None) => write!(f, ">= {s}"),
            (None, Some(u)) => write!(f, "< {u}"),
            (Some(s), Some(u)) => write!(f, "{s} – <{u}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_exact_takes_digits_only() {
        for (s, v) in [("1.30", (1, 30)), ("v1.31.2", (1, 31)), ("latest", (1, 37))] {
            assert_eq!(
                KubeVersion::parse_exact(s),
                Ok(KubeVersion::new(v.0, v.1)),
                "{s}"
            );
        }
        for s in [
            "1.30\nkind: X",
            "1.31+",
            "1",
            "1.",
            "1.2.3.4",
            " 1.30",
            "v1.31-eks",
            "",
        ] {
            assert!(KubeVersion::parse_exact(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn parses_common_spellings() {
        assert_eq!("1.31".parse(), Ok(KubeVersion::v1(31)));
        assert_eq!("v1.29.3".parse(), Ok(KubeVersion::v1(29)));
        assert_eq!("1.30+".parse(), Ok(KubeVersion::v1(30)));
        assert_eq!("latest".parse(), Ok(KubeVersion::LATEST));
        assert!("1".parse::<KubeVersion>().is_err());
        assert!("x.y".parse::<KubeVersion>().is_err());
    }

    #[test]
    fn ranges() {
        let r = VersionRange {
            since: Some(KubeVersion::v1(23)),
            until: Some(KubeVersion::v1(25)),
        };
        assert!(!r.contains(KubeVersion::v1(22)));
        assert!(r.contains(KubeVersion::v1(24)));
        assert!(!r.contains(KubeVersion::v1(25)));
    }
}
