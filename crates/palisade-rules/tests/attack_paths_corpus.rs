//! Attack paths over real-world manifests (`shared/corpus/real-world`), each repository as one
//! cluster: no panics, every finding carries its steps, each step of a finding has its fact's
//! place or is a rule of Kubernetes, and the paths found are the ones read and checked by hand
//! (docs/attack-paths.md, issue 16's note). `PALISADE_SHOW=1` prints every path.

mod corpus_support;

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::source::objects_from_str;
use palisade_core::{KubeVersion, Object};
use palisade_rules::paths::{self, AttackGraph, Limits, Vertex};

use corpus_support::{corpus_dir, walk};

/// Per repository: its paths as `source → goal: step | step | …`.
fn paths_per_repository() -> Option<BTreeMap<String, Vec<String>>> {
    let Some(dir) = corpus_dir() else {
        eprintln!("skipping: no corpus at shared/corpus/real-world (set PALISADE_CORPUS)");
        return None;
    };
    let mut repos: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    let mut out = BTreeMap::new();
    for repo in repos {
        let mut files = Vec::new();
        walk(&repo, &mut files);
        let mut objects: Vec<Arc<Object>> = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let name = f.strip_prefix(&dir).unwrap().display().to_string();
            objects.extend(
                objects_from_str(&name, &text)
                    .objects
                    .into_iter()
                    .map(Arc::new),
            );
        }
        let model = AttackGraph::new(objects, KubeVersion::LATEST);
        let g = &model.graph;
        let goals: Vec<usize> = [Vertex::ClusterAdmin, Vertex::Node]
            .iter()
            .filter_map(|v| g.find(v))
            .collect();
        let found = paths::search(g, &paths::default_sources(g), &goals, Limits::default());
        // No depth or count limit is hit; that a pair has other shortest paths than the one
        // shown is information, not a limit.
        assert!(
            found
                .notes
                .iter()
                .all(|n| n.contains("have more shortest paths than")),
            "{:?}",
            found.notes
        );
        let shown: Vec<String> = found
            .paths
            .iter()
            .map(|p| {
                let steps: Vec<String> = p
                    .edges
                    .iter()
                    .map(|&e| {
                        let edge = g.edge(e);
                        // A step cites its place, or is how Kubernetes works (no cut to make).
                        assert!(
                            edge.evidence.object.is_some()
                                || edge.evidence.place.is_some()
                                || edge.evidence.cut.is_none(),
                            "{edge:?}"
                        );
                        format!(
                            "{} {} {}",
                            g.get(edge.from).spec(),
                            edge.action,
                            g.get(edge.to).spec()
                        )
                    })
                    .collect();
                format!(
                    "{} → {}: {}",
                    g.get(p.source).spec(),
                    g.get(p.goal).spec(),
                    steps.join(" | ")
                )
            })
            .collect();
        out.insert(
            repo.file_name().unwrap().to_string_lossy().into_owned(),
            shown,
        );
    }
    Some(out)
}

#[test]
fn every_repository_as_one_cluster() {
    let Some(all) = paths_per_repository() else {
        return;
    };
    if std::env::var_os("PALISADE_SHOW").is_some() {
        for (repo, paths) in &all {
            for p in paths {
                println!("{repo}: {p}");
            }
        }
    }
    let count = |goal: &str| -> usize {
        all.values()
            .flatten()
            .filter(|p| p.contains(&format!(" → {goal}: ")))
            .count()
    };
    println!(
        "paths to cluster-admin: {}, to a node: {}",
        count("cluster-admin"),
        count("node")
    );
    // Argo CD's server may GET nodes/proxy (`get` on `*` in every API group): the kubelet's
    // /exec on any node.
    let argo = &all["argoproj__argo-cd"];
    assert!(
        argo.iter()
            .any(|p| p.starts_with("sa:argocd/argocd-server → node: ")),
        "{argo:#?}"
    );
    // Argo CD's application controller holds `*` on `*`: an administrator, never a source.
    assert!(!argo
        .iter()
        .any(|p| p.starts_with("sa:argocd/argocd-application-controller")));
}
