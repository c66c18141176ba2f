//! Directories that are not plain YAML: a kustomization is rendered with `kustomize build` (or
//! `kubectl kustomize`), a Helm chart with `helm template`, and what they render is scanned like
//! any file. Only a directory named on the command line is rendered (the one you deploy);
//! directories found while walking are read as plain YAML. `--no-render` turns it off.
//!
//! Renderers run as child processes with the directory as an argument (never through a shell),
//! their output bounded by the file size limit. A missing or failing renderer is an input problem
//! of that directory (exit 2), never a silent plain-YAML fallback: the files of a kustomization
//! are not what the cluster gets.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

/// The files that make a directory a kustomization, as kustomize looks for them.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// How a directory is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renderer {
    Kustomize,
    Helm,
}

/// What rendering needs besides the directory.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Helm values files (`--values`), in order.
    pub values: Vec<PathBuf>,
}

/// What a directory rendered to: named texts to scan, and a note saying what ran.
#[derive(Debug)]
pub struct Rendered {
    pub texts: Vec<(Arc<str>, Vec<u8>)>,
    pub note: String,
}

/// The renderer a directory needs, if any.
pub fn detect(dir: &Path) -> Option<Renderer> {
    if KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file()) {
        Some(Renderer::Kustomize)
    } else if dir.join("Chart.yaml").is_file() {
        Some(Renderer::Helm)
    } else {
        None
    }
}

/// Renders `dir`; `max_bytes` bounds the output. The error is the problem's message.
pub fn render(
    dir: &Path,
    display: &str,
    renderer: Renderer,
    opts: &RenderOptions,
    max_bytes: usize,
) -> Result<Rendered, String> {
    match renderer {
        Renderer::Kustomize => {
            let (program, mut args) = if let Some(k) = on_path("kustomize") {
                (k, vec!["build".into()])
            } else if let Some(k) = on_path("kubectl") {
                (k, vec!["kustomize".into()])
            } else {
                return Err(format!(
                    "{display} is a kustomization, and neither `kustomize` nor `kubectl` is on \
                     PATH to render it (install one, or pass --no-render to scan its files as \
                     plain YAML)"
                ));
            };
            args.push(dir.as_os_str().to_owned());
            let command = describe(&program, &args);
            let out = run(&program, &args, max_bytes, &command)?;
            Ok(Rendered {
                texts: vec![(Arc::from(format!("{display} ({command})")), out)],
                note: format!(
                    "{display} holds a kustomization: scanned what `{command}` renders (lines \
                     refer to that output; --no-render scans the files as plain YAML)"
                ),
            })
        }
        Renderer::Helm => {
            let Some(helm) = on_path("helm") else {
                return Err(format!(
                    "{display} is a Helm chart, and `helm` is not on PATH to render it (install \
                     Helm, or pass --no-render to scan its files as plain YAML)"
                ));
            };
            let mut args: Vec<std::ffi::OsString> = vec!["template".into(), dir.into()];
            for v in &opts.values {
                args.push("--values".into());
                args.push(v.into());
            }
            let command = describe(&helm, &args);
            let out = run(&helm, &args, max_bytes, &command)?;
            let text = String::from_utf8(out)
                .map_err(|_| format!("`{command}` printed something that is not UTF-8"))?;
            Ok(Rendered {
                texts: by_template(&text, display),
                note: format!(
                    "{display} is a Helm chart: scanned what `{command}` renders, each document \
                     under the template that produced it (lines refer to that template's \
                     rendered output; --no-render scans the files as plain YAML)"
                ),
            })
        }
    }
}

/// Splits `helm template` output at its documents and groups them by the `# Source: CHART/…`
/// comment Helm writes above each, in order of first appearance. The name is the template's path
/// below the chart directory the user named (`chart/templates/web.yaml (helm template)`).
fn by_template(text: &str, display: &str) -> Vec<(Arc<str>, Vec<u8>)> {
    let mut groups: Vec<(String, String)> = Vec::new();
    let mut current = String::new();
    let flush = |doc: &mut String, groups: &mut Vec<(String, String)>| {
        if doc.trim().is_empty() {
            doc.clear();
            return;
        }
        let source = doc
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .map(|s| {
                // CHART/templates/x.yaml → DIR/templates/x.yaml
                let rest = s.trim().split_once('/').map_or(s.trim(), |(_, r)| r);
                format!("{}/{rest}", display.trim_end_matches('/'))
            })
            .unwrap_or_else(|| display.to_owned());
        match groups.iter_mut().find(|(s, _)| *s == source) {
            Some((_, t)) => {
                t.push_str("---\n");
                t.push_str(doc);
            }
            None => groups.push((source, std::mem::take(doc))),
        }
        doc.clear();
    };
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            flush(&mut current, &mut groups);
        } else {
            current.push_str(line);
        }
    }
    flush(&mut current, &mut groups);
    groups
        .into_iter()
        .map(|(s, t)| (Arc::from(format!("{s} (helm template)")), t.into_bytes()))
        .collect()
}

fn describe(program: &Path, args: &[std::ffi::OsString]) -> String {
    let name = program.file_name().map_or_else(
        || program.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut s = name;
    for a in args {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn run(
    program: &Path,
    args: &[std::ffi::OsString],
    max_bytes: usize,
    command: &str,
) -> Result<Vec<u8>, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "`{command}` failed ({}): {}",
            out.status,
            tail.join("\n")
        ));
    }
    if out.stdout.len() > max_bytes {
        return Err(format!(
            "`{command}` rendered {} bytes, more than the limit of {max_bytes} (--max-file-size)",
            out.stdout.len()
        ));
    }
    Ok(out.stdout)
}

/// The first executable file called `name` in PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_output_is_grouped_by_template() {
        let out = "---\n# Source: web/templates/sa.yaml\napiVersion: v1\nkind: ServiceAccount\n\
                   ---\n# Source: web/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\n\
                   ---\n# Source: web/templates/sa.yaml\napiVersion: v1\nkind: ServiceAccount\n";
        let groups = by_template(out, "charts/web/");
        let names: Vec<&str> = groups.iter().map(|(n, _)| &**n).collect();
        assert_eq!(
            names,
            [
                "charts/web/templates/sa.yaml (helm template)",
                "charts/web/templates/deploy.yaml (helm template)"
            ]
        );
        let sa = String::from_utf8(groups[0].1.clone()).unwrap();
        assert_eq!(sa.matches("kind: ServiceAccount").count(), 2);
        assert_eq!(sa.matches("---\n").count(), 1);
    }
}
