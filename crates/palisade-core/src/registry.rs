//! The one list of every rule Palisade has, whatever it inspects: an object, what the scan kept of
//! all objects, a node's components, or what a probed port answered.
//!
//! Each rule file registers itself with [`register!`], next to its declaration, into the
//! distributed slice [`RULES`] (the `linkme` crate). Why a distributed slice rather than a list
//! written out somewhere: rules live in four crates that depend on each other in a line
//! (core ← rules ← probe, core ← node), so a written list would have to live in the binary above
//! them all, where the crates' own tests cannot see it, and every list written by hand is one more
//! place to forget a rule. The slice is assembled by the linker at no run-time cost (no life
//! before `main`, unlike `inventory`). What a program sees is what it links: the `palisade`
//! binary sees every rule; a crate's tests see that crate's rules and those below it.
//!
//! A rule implements only the stage it needs ([`Stage`]); `palisade rules`, `palisade explain`,
//! SARIF metadata and the docs all read [`RuleMeta`] from here.

use std::any::Any;
use std::sync::OnceLock;

use crate::rule::{InventoryRule, ObjectRule, RuleMeta};

#[doc(hidden)]
pub use linkme;

/// Every rule linked into this program, in link order; [`all`] gives them by code.
#[linkme::distributed_slice]
pub static RULES: [Rule];

/// One rule: its declaration and the stage that evaluates it.
pub struct Rule {
    pub meta: &'static RuleMeta,
    pub stage: Stage,
}

/// What a rule reads.
pub enum Stage {
    /// One object at a time, possibly with a cross-object step ([`ObjectRule::inventory`]).
    Object(&'static dyn ObjectRule),
    /// Only what the scan kept of every object (RBAC grants, NetworkPolicy isolation).
    Inventory(&'static dyn InventoryRule),
    /// Reported by Palisade itself while reading its input (`PA9xx`: a duplicate key, a waiver
    /// without a reason): there is nothing to run.
    Input,
    /// A node's components (palisade-node). The core cannot name that crate's types, so the rule
    /// is stored as a `&'static dyn palisade_node::rules::NodeRule` behind `Any` and that crate
    /// takes it back with [`Rule::downcast`].
    Node(&'static (dyn Any + Send + Sync)),
    /// What probed ports answered (palisade-probe), stored like [`Stage::Node`].
    Probe(&'static (dyn Any + Send + Sync)),
}

impl Rule {
    /// The per-object stage, if the rule has one.
    pub fn object(&self) -> Option<&'static dyn ObjectRule> {
        match self.stage {
            Stage::Object(r) => Some(r),
            _ => None,
        }
    }

    /// The cross-object stage, if the rule has one.
    pub fn inventory(&self) -> Option<&'static dyn InventoryRule> {
        match self.stage {
            Stage::Object(r) => r.inventory(),
            Stage::Inventory(r) => Some(r),
            _ => None,
        }
    }

    /// Whether the rule's object stage runs on what its cross-object stage kept, right before
    /// it (see [`InventoryRule::checks_kept`]).
    pub fn checks_kept(&self) -> bool {
        self.inventory().is_some_and(|i| i.checks_kept())
    }

    /// Whether the rule reads manifests or cluster objects (as opposed to a node or a probe).
    pub fn reads_objects(&self) -> bool {
        matches!(
            self.stage,
            Stage::Object(_) | Stage::Inventory(_) | Stage::Input
        )
    }

    /// A node or probe rule's stage as the type its crate stored (see [`Stage::Node`]).
    pub fn downcast<T: Any>(&self) -> Option<&'static T> {
        match self.stage {
            Stage::Node(any) | Stage::Probe(any) => any.downcast_ref::<T>(),
            _ => None,
        }
    }
}

/// Registers a rule: `register!(Rule { meta: &META, stage: Stage::Object(&RULE) });`, once per
/// rule file. The registry test of each crate fails for a rule file that does not.
#[macro_export]
macro_rules! register {
    ($rule:expr) => {
        #[$crate::registry::linkme::distributed_slice($crate::registry::RULES)]
        #[linkme(crate = $crate::registry::linkme)]
        static REGISTERED: $crate::registry::Rule = $rule;
    };
}

/// [`all`], made on first use.
static SORTED: OnceLock<Vec<&'static Rule>> = OnceLock::new();
/// The user's own rules ([`declare_custom`]).
static CUSTOM: OnceLock<Vec<&'static Rule>> = OnceLock::new();

/// Every rule of this program, by code (sorted once): those linked into it and the user's own
/// ([`declare_custom`]).
pub fn all() -> &'static [&'static Rule] {
    SORTED.get_or_init(|| {
        let mut rules: Vec<&'static Rule> = RULES
            .iter()
            .chain(CUSTOM.get().into_iter().flatten().copied())
            .collect();
        rules.sort_by_key(|r| r.meta.code);
        rules
    })
}

/// Adds the user's own rules (`rules:` in `palisade.yaml`, compiled by `palisade_cel::custom`)
/// to the registry, so that selection, `rules`, `explain`, exemptions, baselines and every report
/// treat them as built-in rules. Once per process, before anything reads the registry: the list
/// is fixed when first read, and a rule declared later would be missing from some of its readers.
pub fn declare_custom(rules: Vec<&'static Rule>) -> Result<(), &'static str> {
    if SORTED.get().is_some() {
        return Err("custom rules declared after the rule registry was read");
    }
    CUSTOM.set(rules).map_err(|_| "custom rules declared twice")
}

/// Every rule's declaration, by code.
pub fn catalogue() -> Vec<&'static RuleMeta> {
    all().iter().map(|r| r.meta).collect()
}

/// The rule with this code or name (codes case-insensitively).
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    all()
        .iter()
        .copied()
        .find(|r| r.meta.code.eq_ignore_ascii_case(code_or_name) || r.meta.name == code_or_name)
}

/// The codes declared (`code: "XX123"`) in the Rust files under `dir`, with the file: what a
/// crate's registry test compares with [`all`], so that a rule file that forgot [`register!`]
/// (or whose module is not even compiled) fails the test. Used by tests only.
pub fn declared_codes(dir: &std::path::Path) -> std::io::Result<Vec<(String, std::path::PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)?;
                for line in text.lines() {
                    let line = line.trim_start();
                    if let Some(rest) = line.strip_prefix("code: \"") {
                        if let Some(code) = rest.split('"').next() {
                            out.push((code.to_owned(), path.clone()));
                        }
                    }
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Panics, naming each file, when a code declared under `dir` (see [`declared_codes`]) is not among
/// `registered`: each rule crate's registry test, so a forgotten [`register!`] fails a test.
pub fn assert_all_registered(dir: &std::path::Path, registered: &[&str]) {
    let declared = declared_codes(dir)
        .unwrap_or_else(|e| panic!("cannot read the rule sources in {}: {e}", dir.display()));
    assert!(
        declared.len() > 10,
        "found only {} rule declarations in {}",
        declared.len(),
        dir.display()
    );
    let missing: Vec<String> = declared
        .iter()
        .filter(|(code, _)| !registered.contains(&code.as_str()))
        .map(|(code, path)| format!("{code} ({})", path.display()))
        .collect();
    assert!(
        missing.is_empty(),
        "declared but not registered: {missing:?}"
    );
}
