//! The query: VERB, RESOURCE[.GROUP][/SUBRESOURCE] or a URL, NAME and namespace, resolved with
//! the resource table (`palisade_cluster::resources`) as discovery resolves them for `kubectl
//! auth can-i`.

use std::path::PathBuf;

use anyhow::{bail, Result};
use palisade_cluster::resources;
use palisade_rules::rbac::{Request, Target};
use serde_json::{json, Value};

use super::Query;

/// A parsed query: the request's parts, owned.
pub(super) struct Parsed {
    pub(super) verb: String,
    pub(super) group: String,
    pub(super) resource: String,
    pub(super) subresource: String,
    pub(super) name: String,
    pub(super) namespace: String,
    pub(super) url: Option<String>,
    pub(super) paths: Vec<PathBuf>,
}

impl Parsed {
    pub(super) fn request(&self) -> Request<'_> {
        match &self.url {
            Some(path) => Request::non_resource(&self.verb, path),
            None => Request {
                verb: &self.verb,
                target: Target::Resource {
                    group: &self.group,
                    resource: &self.resource,
                    subresource: &self.subresource,
                    name: &self.name,
                    namespace: &self.namespace,
                },
            },
        }
    }

    /// `get secrets "db" in namespace "shop"`, `get /metrics`.
    pub(super) fn describe(&self) -> String {
        if let Some(url) = &self.url {
            return format!("{} {url}", self.verb);
        }
        let mut s = format!("{} {}", self.verb, self.resource);
        if !self.group.is_empty() {
            s.push('.');
            s.push_str(&self.group);
        }
        if !self.subresource.is_empty() {
            s.push('/');
            s.push_str(&self.subresource);
        }
        if !self.name.is_empty() {
            s.push_str(&format!(" \"{}\"", self.name));
        }
        if self.namespace.is_empty() {
            s.push_str(" cluster-wide");
        } else {
            s.push_str(&format!(" in namespace \"{}\"", self.namespace));
        }
        s
    }

    pub(super) fn json(&self) -> Value {
        match &self.url {
            Some(url) => json!({"verb": self.verb, "nonResourceURL": url}),
            None => json!({
                "verb": self.verb,
                "group": self.group,
                "resource": self.resource,
                "subresource": self.subresource,
                "name": self.name,
                "namespace": self.namespace,
            }),
        }
    }
}

pub(super) fn parse_query(q: &Query) -> Result<Parsed> {
    if q.verb.is_empty() {
        bail!("VERB must not be empty");
    }
    let mut rest = q.rest.clone();
    // `[NAME] PATH...`: names never contain `/` and are not files.
    let mut name = q.name.clone().unwrap_or_default();
    if rest.len() >= 2 {
        let first = rest[0].to_string_lossy().into_owned();
        if first != "-" && !rest[0].exists() && !first.contains(['/', '\\']) {
            if q.name.is_some() {
                bail!("NAME given twice: `{first}` and --name");
            }
            name = first;
            rest.remove(0);
        }
    }
    if q.resource.starts_with('/') {
        if !name.is_empty() {
            bail!("a non-resource URL takes no NAME");
        }
        return Ok(Parsed {
            verb: q.verb.clone(),
            group: String::new(),
            resource: String::new(),
            subresource: String::new(),
            name,
            namespace: String::new(),
            url: Some(q.resource.clone()),
            paths: rest,
        });
    }
    let (res_group, subresource) = q
        .resource
        .split_once('/')
        .unwrap_or((q.resource.as_str(), ""));
    let (res, explicit_group) = match res_group.split_once('.') {
        Some((r, g)) => (r, Some(g)),
        None => (res_group, None),
    };
    if res.is_empty() || subresource.contains('/') {
        bail!(
            "RESOURCE `{}` is not RESOURCE[.GROUP][/SUBRESOURCE] or a /url",
            q.resource
        );
    }
    let (resource, group, cluster_scoped) = match resources::resolve(res, explicit_group) {
        Some(r) => (r.plural.to_owned(), r.group.to_owned(), !r.namespaced),
        None => (
            res.to_owned(),
            explicit_group.unwrap_or("").to_owned(),
            false,
        ),
    };
    let namespace = if q.all_namespaces || cluster_scoped {
        String::new()
    } else {
        q.namespace.clone()
    };
    Ok(Parsed {
        verb: q.verb.clone(),
        group,
        resource,
        subresource: subresource.to_owned(),
        name,
        namespace,
        url: None,
        paths: rest,
    })
}
