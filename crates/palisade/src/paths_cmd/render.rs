//! The paths as text, JSON, Graphviz dot or a Mermaid flowchart.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::Result;
use palisade_core::{location_of, Location};
use palisade_rules::paths::{AttackGraph, Search};
use serde_json::json;

use super::PathsFormat;

pub(super) fn write(
    out: &mut dyn Write,
    format: PathsFormat,
    model: &AttackGraph,
    found: &Search,
) -> Result<()> {
    match format {
        PathsFormat::Text => text(out, model, found),
        PathsFormat::Json => json_out(out, model, found),
        PathsFormat::Dot => dot(out, model, found),
        PathsFormat::Mermaid => mermaid(out, model, found),
    }
}

fn location(model: &AttackGraph, e: usize) -> Option<Location> {
    let ev = &model.graph.edge(e).evidence;
    ev.location(|i| location_of(model.object(i), &ev.pointer))
}

fn text(out: &mut dyn Write, model: &AttackGraph, found: &Search) -> Result<()> {
    let g = &model.graph;
    for p in &found.paths {
        writeln!(
            out,
            "{} → {} ({} step{})",
            g.get(p.source).spec(),
            g.get(p.goal).spec(),
            p.edges.len(),
            if p.edges.len() == 1 { "" } else { "s" }
        )?;
        for (n, &e) in p.edges.iter().enumerate() {
            let edge = g.edge(e);
            writeln!(
                out,
                "  {}. {} → {} → {}",
                n + 1,
                g.get(edge.from),
                edge.action,
                g.get(edge.to)
            )?;
            match location(model, e) {
                Some(l) => writeln!(out, "     {} ({l})", edge.evidence.text)?,
                None => writeln!(out, "     {}", edge.evidence.text)?,
            }
        }
        writeln!(out)?;
    }
    if found.paths.is_empty() {
        writeln!(out, "no attack path found")?;
    } else {
        let cuts = palisade_rules::paths::cuts(g, &found.paths);
        if let Some((cut, n)) = cuts.first() {
            writeln!(
                out,
                "{} path(s); changing {cut} cuts {n} of them",
                found.paths.len()
            )?;
        }
    }
    for note in &found.notes {
        writeln!(out, "note: {note}")?;
    }
    for u in &g.unknowns {
        writeln!(out, "not evaluated: {u}")?;
    }
    Ok(())
}

fn json_out(out: &mut dyn Write, model: &AttackGraph, found: &Search) -> Result<()> {
    let g = &model.graph;
    let paths: Vec<serde_json::Value> = found
        .paths
        .iter()
        .map(|p| {
            let steps: Vec<serde_json::Value> = p
                .edges
                .iter()
                .map(|&e| {
                    let edge = g.edge(e);
                    let loc = location(model, e);
                    json!({
                        "subject": g.get(edge.from).to_string(),
                        "action": edge.action,
                        "target": g.get(edge.to).to_string(),
                        "evidence": {
                            "text": &*edge.evidence.text,
                            "file": loc.as_ref().and_then(|l| l.path().map(str::to_owned)),
                            "line": loc.as_ref().and_then(|l| l.pos()).map(|p| p.line),
                            "pointer": loc.as_ref().and_then(|l| l.pointer().map(str::to_owned)),
                            "object": loc.as_ref().and_then(|l| match l {
                                Location::Object { source, .. } => Some(source.to_string()),
                                _ => None,
                            }),
                            "cut": edge.evidence.cut.as_deref(),
                        },
                    })
                })
                .collect();
            json!({
                "source": g.get(p.source).spec(),
                "goal": g.get(p.goal).spec(),
                "steps": steps,
            })
        })
        .collect();
    let cuts: Vec<serde_json::Value> = palisade_rules::paths::cuts(g, &found.paths)
        .into_iter()
        .take(10)
        .map(|(c, n)| json!({"change": c, "paths": n}))
        .collect();
    let v = json!({
        "paths": paths,
        "cuts": cuts,
        "notes": found.notes,
        "not_evaluated": g.unknowns,
    });
    serde_json::to_writer_pretty(&mut *out, &v)?;
    writeln!(out)?;
    Ok(())
}

/// The vertices and edges the paths use, each once.
fn used(found: &Search) -> BTreeSet<usize> {
    found
        .paths
        .iter()
        .flat_map(|p| p.edges.iter().copied())
        .collect()
}

fn dot_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dot(out: &mut dyn Write, model: &AttackGraph, found: &Search) -> Result<()> {
    let g = &model.graph;
    writeln!(out, "digraph attack_paths {{")?;
    writeln!(out, "  rankdir=LR;")?;
    let edges = used(found);
    let vertices: BTreeSet<usize> = edges
        .iter()
        .flat_map(|&e| [g.edge(e).from, g.edge(e).to])
        .collect();
    for v in vertices {
        writeln!(out, "  v{v} [label={}];", dot_quote(&g.get(v).to_string()))?;
    }
    for e in edges {
        let edge = g.edge(e);
        writeln!(
            out,
            "  v{} -> v{} [label={}];",
            edge.from,
            edge.to,
            dot_quote(edge.action)
        )?;
    }
    writeln!(out, "}}")?;
    Ok(())
}

/// Mermaid labels are quoted; a quote inside becomes `#quot;` (Mermaid's entity syntax).
fn mermaid_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "#quot;"))
}

fn mermaid(out: &mut dyn Write, model: &AttackGraph, found: &Search) -> Result<()> {
    let g = &model.graph;
    writeln!(out, "flowchart LR")?;
    let edges = used(found);
    let vertices: BTreeSet<usize> = edges
        .iter()
        .flat_map(|&e| [g.edge(e).from, g.edge(e).to])
        .collect();
    for v in vertices {
        writeln!(out, "  v{v}[{}]", mermaid_quote(&g.get(v).to_string()))?;
    }
    for e in edges {
        let edge = g.edge(e);
        writeln!(
            out,
            "  v{} -->|{}| v{}",
            edge.from,
            mermaid_quote(edge.action),
            edge.to
        )?;
    }
    Ok(())
}
