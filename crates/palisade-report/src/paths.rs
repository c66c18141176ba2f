//! File paths as machine-readable reports name them: the same on every platform, and valid URIs
//! for SARIF.

/// `path` with forward slashes and without a leading `./`, so a finding in `deploy\app.yaml` on
/// Windows and in `./deploy/app.yaml` on Linux is the same file to SARIF viewers and fingerprints.
pub(crate) fn normalize(path: &str) -> String {
    let mut p = path.replace('\\', "/");
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.to_owned();
    }
    p
}

/// A path as a SARIF `artifactLocation.uri`, and whether it is relative (then it is resolved
/// against `%SRCROOT%`, the checkout root code scanning knows).
pub(crate) fn artifact_uri(path: &str) -> (String, bool) {
    let p = normalize(path);
    if let Some(unc) = p.strip_prefix("//") {
        // `\\server\share\x` → `file://server/share/x`.
        let (host, rest) = unc.split_once('/').unwrap_or((unc, ""));
        return (format!("file://{}/{}", encode(host), encode(rest)), false);
    }
    if let Some(rest) = p.strip_prefix('/') {
        return (format!("file:///{}", encode(rest)), false);
    }
    let bytes = p.as_bytes();
    if bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/' {
        // A Windows drive path: the drive letter keeps its `:` (RFC 8089).
        return (format!("file:///{}:/{}", &p[..1], encode(&p[3..])), false);
    }
    (encode(&p), true)
}

/// Everything but unreserved characters (RFC 3986) and `/`. Encoding `:` too keeps a relative
/// path such as `a:b.yaml` from reading as a URI with scheme `a`.
const PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_separators_and_dot_prefix() {
        assert_eq!(normalize("./deploy/app.yaml"), "deploy/app.yaml");
        assert_eq!(normalize(".\\deploy\\app.yaml"), "deploy/app.yaml");
        assert_eq!(normalize("../x.yaml"), "../x.yaml");
    }

    #[test]
    fn relative_paths_stay_relative_and_are_encoded() {
        assert_eq!(
            artifact_uri("deploy/my app.yaml"),
            ("deploy/my%20app.yaml".to_owned(), true)
        );
        assert_eq!(artifact_uri("a:b.yaml"), ("a%3Ab.yaml".to_owned(), true));
        assert_eq!(artifact_uri("<stdin>"), ("%3Cstdin%3E".to_owned(), true));
        assert_eq!(artifact_uri("é.yaml"), ("%C3%A9.yaml".to_owned(), true));
    }

    #[test]
    fn absolute_paths_become_file_uris() {
        assert_eq!(
            artifact_uri("/srv/k8s/app.yaml"),
            ("file:///srv/k8s/app.yaml".to_owned(), false)
        );
        assert_eq!(
            artifact_uri("C:\\k8s\\app.yaml"),
            ("file:///C:/k8s/app.yaml".to_owned(), false)
        );
        assert_eq!(
            artifact_uri("\\\\server\\share\\app.yaml"),
            ("file://server/share/app.yaml".to_owned(), false)
        );
    }
}
