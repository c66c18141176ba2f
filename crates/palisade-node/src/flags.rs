//! Command lines as Go's `pflag` reads them, and systemd units as systemd expands them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::component::{line_span, Flag, Source};

/// Boolean flags of the components (a bare `--name` followed by a word does not take that word
/// as its value). pflag decides this from the flag's type; we keep the list of the ones that
/// matter, and otherwise treat a bare flag followed by a non-flag word as `--name word`.
const BOOL_FLAGS: &[&str] = &[
    "allow-privileged",
    "anonymous-auth",
    "auto-tls",
    "client-cert-auth",
    "enable-bootstrap-token-auth",
    "enable-debugging-handlers",
    "enable-server",
    "fail-swap-on",
    "make-iptables-util-chains",
    "peer-auto-tls",
    "peer-client-cert-auth",
    "profiling",
    "protect-kernel-defaults",
    "rotate-certificates",
    "rotate-server-certificates",
    "seccomp-default",
    "service-account-extend-token-expiration",
    "service-account-lookup",
    "use-service-account-credentials",
    "v",
];

/// One word of a command line with where it came from.
#[derive(Clone, Debug)]
pub struct Word {
    pub text: String,
    pub source: Source,
}

/// Flags and positional words of a command line (without the binary).
pub fn parse_args(words: &[Word]) -> (Vec<Flag>, Vec<String>) {
    let mut flags = Vec::new();
    let mut positional = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        let Some(body) = w
            .text
            .strip_prefix("--")
            .or_else(|| w.text.strip_prefix('-'))
        else {
            positional.push(w.text.clone());
            continue;
        };
        if body.is_empty() {
            // `--` ends the flags.
            positional.extend(words[i..].iter().map(|w| w.text.clone()));
            break;
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => {
                let takes_next = !BOOL_FLAGS.contains(&body)
                    && words.get(i).is_some_and(|n| !n.text.starts_with('-'));
                if takes_next {
                    i += 1;
                    (body.to_owned(), Some(words[i - 1].text.clone()))
                } else {
                    (body.to_owned(), None)
                }
            }
        };
        flags.push(Flag {
            name,
            value,
            source: w.source.clone(),
        });
    }
    (flags, positional)
}

/// A systemd service as its unit and drop-ins define it: the command it starts, word by word.
#[derive(Clone, Debug, Default)]
pub struct Service {
    /// The last `ExecStart=` after any reset, expanded.
    pub exec: Vec<Word>,
    /// Environment files named by `EnvironmentFile=` (node paths; optional ones may be absent).
    pub environment_files: Vec<String>,
    /// Files that could not be read, with the reason.
    pub problems: Vec<String>,
    /// The service's environment (`Environment=`, then `EnvironmentFile=` values), sorted by
    /// name, each with the line that set it: etcd reads its settings from `ETCD_*` variables.
    pub env: Vec<(String, String, Source)>,
}

/// One `Key=value` of a unit's `[Service]` section with its place.
#[derive(Clone, Debug)]
struct Directive {
    path: Arc<str>,
    key: String,
    value: String,
    /// Where the value's pieces are in the file: (character offset in `value`, 1-based line,
    /// 1-based column of that character), one per source line the value spans, in order. A
    /// value continued with `\` at the end of a line goes on at the next line's first
    /// non-blank character.
    places: Vec<(usize, u32, u32)>,
}

impl Directive {
    /// Line and column of the character at `offset` (in characters) of the value.
    fn place(&self, offset: usize) -> (u32, u32) {
        let i = self
            .places
            .partition_point(|&(start, _, _)| start <= offset);
        let (start, line, col) = self.places[i.saturating_sub(1)];
        (line, col + offset.saturating_sub(start) as u32)
    }
}

/// `[Service]` directives of a unit file, continuation lines joined.
fn service_directives(path: &Arc<str>, text: &str, out: &mut Vec<Directive>) {
    let mut section = String::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, raw)) = lines.next() {
        let mut line = raw.trim_end().to_owned();
        // (character offset in `line`, source line, column) where each source line's text starts.
        let mut pieces = vec![(0usize, n as u32 + 1, 1u32)];
        while line.ends_with('\\') {
            line.pop();
            match lines.next() {
                Some((m, next)) => {
                    line.push(' ');
                    let rest = next.trim_start();
                    let indent = next[..next.len() - rest.len()].chars().count();
                    pieces.push((line.chars().count(), m as u32 + 1, indent as u32 + 1));
                    line.push_str(rest.trim_end());
                }
                None => break,
            }
        }
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if t.starts_with('[') {
            section = t.trim_matches(|c| c == '[' || c == ']').to_owned();
            continue;
        }
        if section != "Service" {
            continue;
        }
        if let Some((k, v)) = t.split_once('=') {
            let value = v.trim_start();
            // The value is a suffix of the joined line: where it starts, in characters.
            let start = line.chars().count() - value.chars().count();
            let first = pieces.partition_point(|&(s, _, _)| s <= start) - 1;
            let places = pieces[first..]
                .iter()
                .enumerate()
                .map(|(i, &(s, l, c))| {
                    if i == 0 {
                        (0, l, c + (start - s) as u32)
                    } else {
                        (s - start, l, c)
                    }
                })
                .collect();
            out.push(Directive {
                path: Arc::clone(path),
                key: k.trim().to_owned(),
                value: value.trim_end().to_owned(),
                places,
            });
        }
    }
}

/// Splits a value with systemd's quoting rules: whitespace separates words, `"…"` and `'…'`
/// group, a backslash escapes. Returns each word with the column (0-based char offset) it starts.
fn split_words(s: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let start = i;
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) if c == '\\' && i + 1 < chars.len() => {
                    i += 1;
                    word.push(chars[i]);
                }
                Some(_) => word.push(c),
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '\\' && i + 1 < chars.len() => {
                    i += 1;
                    word.push(chars[i]);
                }
                None if c.is_whitespace() => break,
                None => word.push(c),
            }
            i += 1;
        }
        out.push((start, word));
    }
    out
}

/// An environment variable's value and where it was set.
#[derive(Clone, Debug)]
struct EnvValue {
    value: String,
    path: Arc<str>,
    line: u32,
    /// The full source line (to find the column of each word).
    line_text: String,
}

/// Reads `KEY=value` lines of an environment file.
fn parse_env_file(path: &Arc<str>, text: &str, env: &mut HashMap<String, EnvValue>) {
    for (n, raw) in text.lines().enumerate() {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        let t = t.strip_prefix("export ").unwrap_or(t);
        let Some((k, v)) = t.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let value = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            v[1..v.len() - 1].to_owned()
        } else {
            v.to_owned()
        };
        env.insert(
            k.trim().to_owned(),
            EnvValue {
                value,
                path: Arc::clone(path),
                line: n as u32 + 1,
                line_text: raw.to_owned(),
            },
        );
    }
}

/// Reads a service from its unit text and drop-ins (in the order systemd applies them);
/// `read` reads environment files (node paths).
pub fn read_service(
    units: &[(Arc<str>, String)],
    read: &dyn Fn(&str) -> Result<String, crate::fs::FsError>,
) -> Service {
    let mut directives = Vec::new();
    for (path, text) in units {
        service_directives(path, text, &mut directives);
    }
    let mut service = Service::default();
    // Environment= first, then EnvironmentFile= (whose values override), as systemd does.
    let mut env: HashMap<String, EnvValue> = HashMap::new();
    for d in directives.iter().filter(|d| d.key == "Environment") {
        for (at, assignment) in split_words(&d.value) {
            if let Some((k, v)) = assignment.split_once('=') {
                let (line, col) = d.place(at);
                // The assignment as written (quotes included) from its first character on, at
                // its column, to find the column of each of its words.
                let written: String = d.value.chars().skip(at).collect();
                env.insert(
                    k.to_owned(),
                    EnvValue {
                        value: v.to_owned(),
                        path: Arc::clone(&d.path),
                        line,
                        line_text: format!("{}{written}", " ".repeat(col as usize - 1)),
                    },
                );
            }
        }
    }
    for d in directives.iter().filter(|d| d.key == "EnvironmentFile") {
        if d.value.is_empty() {
            continue;
        }
        let (optional, file) = match d.value.strip_prefix('-') {
            Some(f) => (true, f.trim()),
            None => (false, d.value.trim()),
        };
        service.environment_files.push(file.to_owned());
        match read(file) {
            Ok(text) => parse_env_file(&Arc::from(file), &text, &mut env),
            Err(e) if optional && e.is_not_found() => {}
            Err(e) => service.problems.push(e.to_string()),
        }
    }
    let mut exec: Option<&Directive> = None;
    for d in directives.iter().filter(|d| d.key == "ExecStart") {
        exec = if d.value.is_empty() { None } else { Some(d) };
    }
    if let Some(d) = exec {
        let value = d.value.trim_start_matches(['@', '-', ':', '+', '!']);
        let skipped = d.value.len() - value.len();
        for (at, word) in split_words(value) {
            let place = d.place(skipped + at);
            expand_word(d, place, &word, &env, &mut service.exec);
        }
    }
    let mut vars: Vec<(String, String, Source)> = env
        .into_iter()
        .map(|(k, v)| {
            let col = v
                .line_text
                .find(&format!("{k}="))
                .map_or(1, |i| v.line_text[..i].chars().count() as u32 + 1);
            let len = k.chars().count() + 1 + v.value.chars().count();
            let source = Source::Unit {
                path: v.path,
                span: line_span(v.line, col, len),
                var: Some(k.clone()),
            };
            (k, v.value, source)
        })
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    service.env = vars;
    service
}

/// Expands one ExecStart word: `$VAR` alone becomes the variable's words, `${VAR}` is
/// substituted in place; each resulting word remembers the line that defined it. `(line, col)`
/// is where the word is in the unit.
fn expand_word(
    d: &Directive,
    (line, col): (u32, u32),
    word: &str,
    env: &HashMap<String, EnvValue>,
    out: &mut Vec<Word>,
) {
    let literal = |text: String| Word {
        source: Source::Unit {
            path: Arc::clone(&d.path),
            span: line_span(line, col, text.chars().count()),
            var: None,
        },
        text,
    };
    if let Some(name) = word
        .strip_prefix('$')
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        if let Some(v) = env.get(name) {
            for (_, w) in split_words(&v.value) {
                let col = v
                    .line_text
                    .find(&w)
                    .map_or(1, |i| v.line_text[..i].chars().count() as u32 + 1);
                out.push(Word {
                    source: Source::Unit {
                        path: Arc::clone(&v.path),
                        span: line_span(v.line, col, w.chars().count()),
                        var: Some(name.to_owned()),
                    },
                    text: w,
                });
            }
        }
        return;
    }
    // ${VAR} inside a word.
    let mut text = String::new();
    let mut rest = word;
    while let Some(i) = rest.find("${") {
        text.push_str(&rest[..i]);
        match rest[i + 2..].find('}') {
            Some(j) => {
                let name = &rest[i + 2..i + 2 + j];
                if let Some(v) = env.get(name) {
                    text.push_str(&v.value);
                }
                rest = &rest[i + 3 + j..];
            }
            None => {
                text.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(literal(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<Word> {
        s.iter()
            .map(|t| Word {
                text: (*t).to_owned(),
                source: Source::Assumed { note: "t".into() },
            })
            .collect()
    }

    #[test]
    fn pflag_forms() {
        let (flags, pos) = parse_args(&words(&[
            "server",
            "--a=1",
            "--b",
            "2",
            "--anonymous-auth",
            "--c",
            "--profiling",
            "false",
            "-v=2",
        ]));
        let got: Vec<(&str, Option<&str>)> = flags
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", Some("1")),
                ("b", Some("2")),
                ("anonymous-auth", None),
                ("c", None),
                ("profiling", None),
                ("v", Some("2"))
            ]
        );
        // `false` after a bare boolean flag is a positional word, as pflag reads it.
        assert_eq!(pos, vec!["server", "false"]);
    }

    #[test]
    fn kubeadm_drop_in_expands_environment_files() {
        let unit = "[Unit]\nDescription=kubelet\n[Service]\nExecStart=/usr/bin/kubelet\n";
        let dropin = "[Service]\n\
            Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"\n\
            Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\n\
            EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\n\
            EnvironmentFile=-/etc/default/kubelet\n\
            ExecStart=\n\
            ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n";
        let read = |p: &str| {
            match p {
            "/var/lib/kubelet/kubeadm-flags.env" => {
                Ok("KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock --read-only-port=10255\"\n".to_owned())
            }
            other => Err(crate::fs::FsError::NotFound(other.to_owned())),
        }
        };
        let s = read_service(
            &[
                (
                    Arc::from("/lib/systemd/system/kubelet.service"),
                    unit.into(),
                ),
                (
                    Arc::from("/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"),
                    dropin.into(),
                ),
            ],
            &read,
        );
        let texts: Vec<&str> = s.exec.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "/usr/bin/kubelet",
                "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
                "--kubeconfig=/etc/kubernetes/kubelet.conf",
                "--config=/var/lib/kubelet/config.yaml",
                "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
                "--read-only-port=10255",
            ]
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        let ro = &s.exec[5];
        assert_eq!(
            ro.source.to_string(),
            "/var/lib/kubelet/kubeadm-flags.env:1 ($KUBELET_KUBEADM_ARGS)"
        );
        match &ro.source {
            Source::Unit { span, .. } => assert_eq!(span.start.col, 91),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quoting_and_continuations() {
        let unit = "[Service]\nExecStart=/usr/local/bin/kube-proxy \\\n  --config='/etc/kp.yaml' \\\n  --v=2\n";
        let s = read_service(&[(Arc::from("/u"), unit.into())], &|p| {
            Err(crate::fs::FsError::NotFound(p.into()))
        });
        let texts: Vec<&str> = s.exec.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "/usr/local/bin/kube-proxy",
                "--config=/etc/kp.yaml",
                "--v=2"
            ]
        );
    }

    /// Found by the `node_parsers` fuzz target (fuzz/seeds/node_parsers/systemd_worker): words of
    /// an `ExecStart=` continued over several lines (`\` at the end of a line) were placed on the
    /// directive's first line, at columns past its end; a non-ASCII character before the value
    /// shifted them too (bytes counted as columns).
    #[test]
    fn words_of_continued_lines_are_placed_on_their_own_line() {
        let unit = "[Service]\n\
            Environment=\"A=1\" \\\n\
            \x20 B=2\n\
            ExecStart=/usr/bin/kubelet \\\n\
            \x20   --anonymous-auth=false \\\n\
            \t--read-only-port=0 $B\n\
            é=x\n";
        let s = read_service(
            &[(
                Arc::from("/etc/systemd/system/kubelet.service"),
                unit.into(),
            )],
            &|p| Err(crate::fs::FsError::NotFound(p.to_owned())),
        );
        let places: Vec<(&str, u32, u32)> = s
            .exec
            .iter()
            .map(|w| match &w.source {
                Source::Unit { span, .. } => (w.text.as_str(), span.start.line, span.start.col),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            places,
            vec![
                ("/usr/bin/kubelet", 4, 11),
                ("--anonymous-auth=false", 5, 5),
                ("--read-only-port=0", 6, 2),
                ("2", 3, 5),
            ]
        );
        let env: Vec<(&str, u32, u32)> = s
            .env
            .iter()
            .map(|(k, _, source)| match source {
                Source::Unit { span, .. } => (k.as_str(), span.start.line, span.start.col),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(env, vec![("A", 2, 14), ("B", 3, 3)]);
    }
}
