//! etcd's two other ways of being configured: `ETCD_*` environment variables (from a process,
//! a unit or a static pod) and a `--config-file`, both turned into the flags they stand for.
//!
//! Public (hidden) for the fuzz targets, which feed them arbitrary input.

use std::sync::Arc;

use palisade_core::yaml::{escape_pointer, Node};

use crate::component::{ConfigLayer, Flag, Source};

/// etcd's settings from `ETCD_*` environment variables (`ETCD_CLIENT_CERT_AUTH=true` is
/// `--client-cert-auth=true`), placed before the command-line flags: etcd applies a variable
/// only when the flag is not on the command line, and the last occurrence of a flag wins here.
/// Public for the fuzz targets (`palisade-fuzz`) only.
#[doc(hidden)]
pub fn with_etcd_env(
    vars: impl IntoIterator<Item = (String, String, Source)>,
    flags: Vec<Flag>,
) -> Vec<Flag> {
    let mut out: Vec<Flag> = vars
        .into_iter()
        .filter_map(|(name, value, at)| {
            let rest = name.strip_prefix("ETCD_")?;
            if rest.is_empty() || rest.starts_with("UNSUPPORTED") {
                return None;
            }
            Some(Flag {
                name: rest.to_ascii_lowercase().replace('_', "-"),
                value: Some(value),
                source: Source::Env {
                    var: name.clone(),
                    at: Box::new(at),
                },
            })
        })
        .collect();
    out.extend(flags);
    out
}

/// The settings of an etcd configuration file (`--config-file`) as the flags they stand for:
/// top-level keys are flag names (`data-dir`), and the TLS sections map to the `--*` and
/// `--peer-*` certificate flags (`client-transport-security.cert-file` is `--cert-file`).
/// Public for the fuzz targets (`palisade-fuzz`) only.
#[doc(hidden)]
pub fn etcd_config_flags(layer: &ConfigLayer) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut push = |name: String, node: &Node, pointer: String| {
        if node.is_null() || node.as_map().is_some() {
            return;
        }
        out.push(Flag {
            name,
            value: Some(crate::component::node_text(node)),
            source: Source::Config {
                path: Arc::clone(&layer.path),
                span: layer.root.key_span(&pointer).unwrap_or(node.span),
                pointer,
            },
        });
    };
    for e in layer.root.entries() {
        match &*e.key {
            "client-transport-security" | "peer-transport-security" => {
                let prefix = if &*e.key == "peer-transport-security" {
                    "peer-"
                } else {
                    ""
                };
                for t in e.value.entries() {
                    push(
                        format!("{prefix}{}", t.key),
                        &t.value,
                        format!("/{}/{}", escape_pointer(&e.key), escape_pointer(&t.key)),
                    );
                }
            }
            // A key holding `/` or `~` (no etcd setting does, but the file may) is escaped, so
            // the pointer finds it again (found by the node_parsers fuzz target).
            key => push(
                key.to_owned(),
                &e.value,
                format!("/{}", escape_pointer(key)),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_variables_come_before_flags() {
        let at = Source::Assumed { note: "t".into() };
        let flags = vec![Flag {
            name: "client-cert-auth".into(),
            value: Some("true".into()),
            source: at.clone(),
        }];
        let merged = with_etcd_env(
            [
                ("ETCD_CLIENT_CERT_AUTH".into(), "false".into(), at.clone()),
                ("ETCD_PEER_AUTO_TLS".into(), "true".into(), at.clone()),
                ("PATH".into(), "/bin".into(), at.clone()),
                ("ETCD_".into(), "x".into(), at.clone()),
            ],
            flags,
        );
        let names: Vec<&str> = merged.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["client-cert-auth", "peer-auto-tls", "client-cert-auth"]
        );
        // The last occurrence is what a rule reads: the command line's.
        assert_eq!(merged.last().unwrap().text(), "true");
    }
}
