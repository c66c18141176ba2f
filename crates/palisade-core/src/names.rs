//! The name grammars Kubernetes validates, for values Palisade writes into generated manifests.
//!
//! A generator that copies a command-line flag or a scanned object's field into YAML must only
//! write values the API server (or, for images, the container runtime) would accept in that field:
//! anything else is at best an object that fails to apply, at worst text that escapes its YAML
//! position. These checks mirror `k8s.io/apimachinery/pkg/util/validation` (DNS-1123 and
//! DNS-1035 names, label keys and values, IANA service names) and
//! `github.com/distribution/reference` (image references) exactly, so a value is rejected here
//! exactly when Kubernetes would reject it.

/// Why a value is not a valid name of its kind. The message quotes the value with Rust escapes
/// (`"x\nkind: …"`), so a hostile value cannot forge lines of the error output either.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {kind}: {rule}")]
pub struct NameError {
    pub value: String,
    /// `DNS-1123 label`, `image reference`, …
    pub kind: &'static str,
    /// What the grammar requires, in the API server's words where it has some.
    pub rule: &'static str,
}

fn fail(value: &str, kind: &'static str, rule: &'static str) -> NameError {
    NameError {
        value: value.to_owned(),
        kind,
        rule,
    }
}

const DNS1123_LABEL_RULE: &str = "at most 63 characters, lower case letters, digits or '-', \
                                  starting and ending with a letter or digit";

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` without a length limit: one label of a DNS-1123 name.
fn is_dns1123_label_text(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter().all(|c| alnum(c) || *c == b'-')
}

/// A DNS-1123 label (`IsDNS1123Label`): Namespace names, most label-like object names.
pub fn dns1123_label(s: &str) -> Result<(), NameError> {
    if s.len() <= 63 && is_dns1123_label_text(s) {
        Ok(())
    } else {
        Err(fail(s, "DNS-1123 label", DNS1123_LABEL_RULE))
    }
}

/// A DNS-1123 subdomain (`IsDNS1123Subdomain`): the names of most objects (ServiceAccounts,
/// ConfigMaps, Deployments, …). At most 253 characters; the dot-separated parts are not limited
/// to 63 each, as in the API server.
pub fn dns1123_subdomain(s: &str) -> Result<(), NameError> {
    if s.len() <= 253 && s.split('.').all(is_dns1123_label_text) {
        Ok(())
    } else {
        Err(fail(
            s,
            "DNS-1123 subdomain",
            "at most 253 characters, lower case letters, digits, '-' or '.', starting and \
             ending with a letter or digit",
        ))
    }
}

/// A DNS-1035 label (`IsDNS1035Label`): Service names (they become DNS names and environment
/// variable prefixes, so they start with a letter).
pub fn dns1035_label(s: &str) -> Result<(), NameError> {
    if s.len() <= 63 && is_dns1123_label_text(s) && s.as_bytes()[0].is_ascii_lowercase() {
        Ok(())
    } else {
        Err(fail(
            s,
            "DNS-1035 label",
            "at most 63 characters, lower case letters, digits or '-', starting with a letter \
             and ending with a letter or digit",
        ))
    }
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most 63: a label value or a key's name part.
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    !b.is_empty()
        && b.len() <= 63
        && b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter()
            .all(|c| alnum(c) || matches!(c, b'-' | b'_' | b'.'))
}

/// A label or annotation key (`IsQualifiedName`): an optional DNS-1123 subdomain prefix and `/`,
/// then a name of at most 63 characters.
pub fn label_key(s: &str) -> Result<(), NameError> {
    let ok = match s.split_once('/') {
        Some((prefix, name)) => {
            !prefix.is_empty() && dns1123_subdomain(prefix).is_ok() && is_qualified_name_part(name)
        }
        None => is_qualified_name_part(s),
    };
    if ok {
        Ok(())
    } else {
        Err(fail(
            s,
            "label key",
            "an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' \
             or '.', starting and ending with a letter or digit",
        ))
    }
}

/// A label value (`IsValidLabelValue`): empty, or at most 63 letters, digits, `-`, `_`, `.`
/// starting and ending with a letter or digit.
pub fn label_value(s: &str) -> Result<(), NameError> {
    if s.is_empty() || is_qualified_name_part(s) {
        Ok(())
    } else {
        Err(fail(
            s,
            "label value",
            "empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a \
             letter or digit",
        ))
    }
}

/// A port name (`IsValidPortName`, IANA service name): at most 15 lower case letters, digits and
/// `-`, at least one letter, no `-` at either end or twice in a row.
pub fn port_name(s: &str) -> Result<(), NameError> {
    let b = s.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 15
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.iter().any(u8::is_ascii_lowercase)
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok {
        Ok(())
    } else {
        Err(fail(
            s,
            "port name",
            "at most 15 lower case letters, digits or '-', with at least one letter and no '-' \
             at either end or next to another",
        ))
    }
}

const IMAGE_RULE: &str = "[host[:port]/]path[:tag][@digest] as in \
                          github.com/distribution/reference: lower case path components, a tag \
                          of at most 128 letters, digits, '_', '.' or '-', a digest sha256, \
                          sha384 or sha512 with lower case hex of the hash's length, at most 255 \
                          characters of name once normalised (docker.io/library/…)";

/// An image reference as the container runtime parses it: [`crate::image::ImageRef::parse`],
/// the one parser (`ParseNormalizedNamed` of `github.com/distribution/reference`, digests as
/// go-digest validates them, a bare 64-hex-digit text refused as an image ID).
pub fn image_reference(s: &str) -> Result<(), NameError> {
    match crate::image::ImageRef::parse(s) {
        Ok(_) => Ok(()),
        Err(_) => Err(fail(s, "image reference", IMAGE_RULE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        for ok in ["a", "palisade-system", "0abc", &"a".repeat(63)] {
            assert!(dns1123_label(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "a.b",
            "a_b",
            "x\nkind: ClusterRoleBinding",
            &"a".repeat(64),
        ] {
            assert!(dns1123_label(bad).is_err(), "{bad:?}");
        }
        assert!(dns1123_subdomain("a.b-c.d").is_ok());
        assert!(dns1123_subdomain(&format!("{}.b", "a".repeat(100))).is_ok());
        for bad in ["", "a..b", ".a", "a.", "a/b", &"a".repeat(254)] {
            assert!(dns1123_subdomain(bad).is_err(), "{bad:?}");
        }
        assert!(dns1035_label("web").is_ok());
        assert!(dns1035_label("1web").is_err());
        let e = dns1123_label("x\nkind: ClusterRoleBinding").unwrap_err();
        assert_eq!(
            e.to_string().lines().count(),
            1,
            "the value is escaped in the message: {e}"
        );
    }

    #[test]
    fn labels_and_ports() {
        for ok in ["app", "app.kubernetes.io/name", "a_b.c-D", &"a".repeat(63)] {
            assert!(label_key(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "-a",
            "a/b/c",
            "Ex.com/a",
            &"a".repeat(64),
            "a b",
        ] {
            assert!(label_key(bad).is_err(), "{bad:?}");
        }
        for ok in ["", "v1.2_3-A"] {
            assert!(label_value(ok).is_ok(), "{ok:?}");
        }
        for bad in ["-a", "a b", "a\n", &"a".repeat(64)] {
            assert!(label_value(bad).is_err(), "{bad:?}");
        }
        for ok in ["http", "https-8443", "a1"] {
            assert!(port_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "80",
            "-http",
            "http-",
            "h--p",
            "Http",
            "abcdefghijklmnop",
        ] {
            assert!(port_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn image_references_follow_distribution_reference() {
        let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
        for ok in [
            "nginx".to_owned(),
            "nginx:1.25".to_owned(),
            "library/nginx:latest".to_owned(),
            "ghcr.io/palisade-dev/palisade:0.1.0".to_owned(),
            "localhost:5000/a/b__c/d-e--f.g:TAG_1.x-y".to_owned(),
            "localhost:5000".to_owned(), // name localhost, tag 5000
            "Registry.Example.COM/app".to_owned(),
            "[::1]:5000/app:v1".to_owned(),
            "[fe80::1]/app".to_owned(),
            format!("app@{digest}"),
            format!("registry.example.com:443/team/app:v1@{digest}"),
            format!("app@sha512:{}", "ab".repeat(64)),
            // The name part is not an image ID when a tag follows (the ID test is on the text).
            format!("{}:v1", "0123456789abcdef".repeat(4)),
            format!("a:{}", "t".repeat(128)),
        ] {
            assert!(image_reference(&ok).is_ok(), "{ok}");
        }
        for bad in [
            "".to_owned(),
            "Nginx".to_owned(),
            "app:".to_owned(),
            "app:-tag".to_owned(),
            format!("a:{}", "t".repeat(129)),
            "app@sha256:abc".to_owned(),
            "app@:0123456789abcdef0123456789abcdef".to_owned(),
            format!("app@1sha:{}", "a".repeat(32)),
            "a//b".to_owned(),
            "a/b/".to_owned(),
            "a..b".to_owned(),
            "a___b".to_owned(),
            "-a".to_owned(),
            "registry:port/app".to_owned(),
            "[::1]app".to_owned(),
            "[]/app".to_owned(),
            "[::1]:/app".to_owned(),
            "reg_istry.io/app".to_owned() + "/x_",
            "x\nkind: ClusterRoleBinding".to_owned(),
            "app:v1\n  privileged: true".to_owned(),
            "app #comment".to_owned(),
            "0123456789abcdef".repeat(4),
            format!("{}/{}", "a".repeat(200), "b".repeat(60)),
            // Grammatical digests that go-digest refuses (unknown algorithm, upper-case hex),
            // so the runtime does too.
            format!("app@sha256+b64.x_y-z:{}", "A".repeat(32)),
            format!("app@sha256:{}", "0123456789ABCDEF".repeat(4)),
            // 245 characters as written, 263 once normalised to docker.io/library/….
            "a".repeat(245),
        ] {
            assert!(image_reference(&bad).is_err(), "{bad:?}");
        }
        // A domain component may hold '_' only as a path component, not after a port.
        assert!(image_reference("a_b/c").is_ok());
        assert!(image_reference("a_b:5000/c").is_err());
    }
}
