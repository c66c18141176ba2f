//! VA001: an object a ValidatingAdmissionPolicy in the input would not admit; VA002: an object a
//! Gatekeeper constraint (of a `K8sNativeValidation` template) in the input would not admit. Each
//! is one rule of the registry so that selection, exemptions, baselines and every report format
//! treat it like any other.
//!
//! Why two codes: they are two products' policies (the API server's own, and Gatekeeper's
//! webhook), which a team may want to select, exempt or baseline apart; and a Rego-only template
//! makes Gatekeeper's rule NOT EVALUATED, which must not mark the VAPs as not evaluated too.
//!
//! Policies are prepared once per process ([`declare`]) from a pre-pass over the input, before
//! objects stream through: a per-object check then needs no inventory, so a scan without policies
//! keeps nothing more and a scan with them evaluates each object where it is read, in parallel.
//! (The pod-template kinds of `palisade.yaml` are declared the same way.)

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use palisade_core::object::{Object, Origin};
use palisade_core::rule::{Context, Emitter, ObjectRule};
use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::vap::{Action, Engine, PolicySet, Violation};

pub static META: RuleMeta = RuleMeta {
    code: "VA001",
    name: "admission-policy-violation",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &["https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/"],
    summary: "A ValidatingAdmissionPolicy in the input would not admit the object",
    what: "Every ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding found in the scanned \
           files is evaluated offline, as the API server evaluates it on a CREATE: matchConstraints \
           and the binding's matchResources, paramKind with the binding's paramRef resolved against \
           the scanned objects, matchConditions, variables, validations, failurePolicy. Deny gives a \
           high finding, Warn medium, Audit low, with the message the API server would return.",
    why: "Teams write admission policies and only learn what they reject when a deployment fails in \
          the cluster. Judging them with the manifests finds that in review.",
    example: "# fails: with a policy `object.spec.replicas <= 5` bound with Deny\nkind: Deployment\n\
              spec:\n  replicas: 6\n# passes\nkind: Deployment\nspec:\n  replicas: 5",
    fix: "Change the object so that the policy's validation holds, or the policy or binding if it \
          is wrong.",
    help: "the cluster would refuse this object; see the policy's message",
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&AdmissionPolicies(Engine::Vap)),
});

static DECLARED: OnceLock<(PolicySet, Scope, Places)> = OnceLock::new();

/// Declares the policies of this process's scan. A process declares once; a second call is
/// ignored and returns `false`.
pub fn declare(set: PolicySet, scope: Scope) -> bool {
    let places = Places::new(&set, &scope);
    DECLARED.set((set, scope, places)).is_ok()
}

/// Which objects a policy read from a file speaks for.
///
/// A directory argument often holds unrelated applications (a repository of samples, a monorepo),
/// which are not one cluster: a policy found while walking it judges the objects of its own
/// directory and below. Files of *different* command-line arguments were put together on purpose
/// (`palisade scan policies/ apps/`, as `kubectl apply -f policies/ -f apps/`): a policy judges
/// every object of the other arguments. Objects not read from files (a cluster) are all judged.
#[derive(Debug, Default)]
pub struct Scope {
    /// The command-line argument each scanned file was found under, by its display path.
    /// foldhash rather than SipHash: every object asks about each policy's path (46,540 lookups
    /// of ~100-byte paths on the real-world corpus), and the keys are the user's own files.
    pub arguments: HashMap<Arc<str>, usize, foldhash::fast::RandomState>,
}

impl Scope {
    pub fn applies(&self, policy: &Origin, object: &Origin) -> bool {
        self.for_object(object)(policy)
    }

    /// [`Scope::applies`] for one object and any policy, the object's argument looked up once.
    pub fn for_object<'a>(&'a self, object: &'a Origin) -> impl Fn(&Origin) -> bool + 'a {
        let object = match object {
            Origin::File { path, .. } => Some((path, self.arguments.get(path))),
            Origin::Api { .. } => None,
        };
        move |policy| {
            let (Origin::File { path: p, .. }, Some((o, b))) = (policy, object) else {
                return true;
            };
            // Within its directory a policy applies whichever argument holds the object;
            // outside it, only when the object came with another argument.
            match p.rfind('/') {
                Some(slash) if !o.starts_with(&p[..=slash]) => {
                    !matches!((self.arguments.get(p), b), (Some(a), Some(b)) if a == b)
                }
                _ => true,
            }
        }
    }
}

/// The check of VA001 and VA002, each on its engine's policies.
pub(crate) struct AdmissionPolicies(pub(crate) Engine);

impl ObjectRule for AdmissionPolicies {
    /// Without declared policies there is nothing to judge by.
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "policies of its kind in the input",
            test: |_, _, _| false,
        }
    }

    /// Every object is judged once a policy of this rule's engine is declared (its match then
    /// decides); without one, the rule judged nothing.
    fn judged(
        &self,
        _cx: &Context<'_>,
        _object: &Object,
        _pod: Option<&palisade_core::object::PodTemplate<'_>>,
    ) -> bool {
        DECLARED.get().is_some_and(|(set, _, _)| set.has(self.0))
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if let Some((set, scope, places)) = DECLARED.get() {
            let candidates = places.candidates(scope, &object.origin);
            let applies = scope.for_object(&object.origin);
            for v in set.evaluate_among(object, self.0, candidates.as_deref(), &applies) {
                emit(v, out);
            }
        }
    }
}

/// The policies of a [`PolicySet`] by where they were read, so that an object's candidates are
/// found from its path rather than by asking [`Scope::applies`] of every policy (see
/// [`PolicySet::evaluate_among`]). Exactly the policies `applies` accepts, as a test checks.
struct Places {
    /// Read from the API, from a file in no directory, or from a file under no argument: they
    /// speak for every object.
    everywhere: Vec<usize>,
    /// Policies of files by directory (with its trailing `/`): they speak for the objects of
    /// that directory and below.
    by_directory: HashMap<Box<str>, Vec<usize>, foldhash::fast::RandomState>,
    /// Policies of files by command-line argument: they speak for the objects of every other
    /// argument.
    by_argument: Vec<(usize, Vec<usize>)>,
}

impl Places {
    fn new(set: &PolicySet, scope: &Scope) -> Places {
        let mut places = Places {
            everywhere: Vec::new(),
            by_directory: HashMap::default(),
            by_argument: Vec::new(),
        };
        for (i, origin) in set.origins().enumerate() {
            let Origin::File { path, .. } = origin else {
                places.everywhere.push(i);
                continue;
            };
            match (path.rfind('/'), scope.arguments.get(path)) {
                (Some(slash), Some(&argument)) => {
                    let dir = places.by_directory.entry(path[..=slash].into());
                    dir.or_default().push(i);
                    match places.by_argument.iter_mut().find(|(a, _)| *a == argument) {
                        Some((_, of)) => of.push(i),
                        None => places.by_argument.push((argument, vec![i])),
                    }
                }
                _ => places.everywhere.push(i),
            }
        }
        places
    }

    /// The policies that speak for an object read at `object`, ascending; `None`: all of them
    /// (an object not read from a file, or from a file under no argument).
    fn candidates(&self, scope: &Scope, object: &Origin) -> Option<Vec<usize>> {
        let Origin::File { path, .. } = object else {
            return None;
        };
        let argument = *scope.arguments.get(path)?;
        let mut out = self.everywhere.clone();
        for (slash, _) in path.match_indices('/') {
            if let Some(of) = self.by_directory.get(&path[..=slash]) {
                out.extend(of);
            }
        }
        for (_, of) in self.by_argument.iter().filter(|(a, _)| *a != argument) {
            out.extend(of);
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }
}

/// The findings of `set`'s violations of `object` by the policies of `engine` that `applies`
/// accepts (see [`Scope`]).
pub fn report(
    set: &PolicySet,
    engine: Engine,
    applies: &dyn Fn(&Origin) -> bool,
    object: &Object,
    out: &mut Emitter<'_>,
) {
    for v in set.evaluate_where(object, engine, applies) {
        emit(v, out);
    }
}

/// The finding of one violation. Both rules map actions the same way (their registry severity
/// is that of Deny).
fn emit(v: Violation, out: &mut Emitter<'_>) {
    let severity = match v.actions.first() {
        Some(Action::Deny) => Severity::High,
        Some(Action::Warn) => Severity::Medium,
        Some(Action::Audit) | None => Severity::Low,
    };
    let finding = out.report("", v.api_message());
    finding.severity = severity;
    finding.related = Some(Box::new(v.policy_ref));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_speaks_for_its_directory_within_its_argument_and_for_other_arguments() {
        let file = |path: &str| Origin::File {
            path: Arc::from(path),
            document: 0,
            base: String::new(),
        };
        let scope = Scope {
            arguments: [
                ("repo/a/vap.yaml", 0),
                ("repo/a/b/pod.yaml", 0),
                ("repo/c/pod.yaml", 0),
                ("apps/pod.yaml", 1),
            ]
            .into_iter()
            .map(|(p, a)| (Arc::from(p), a))
            .collect(),
        };
        let policy = file("repo/a/vap.yaml");
        assert!(scope.applies(&policy, &file("repo/a/b/pod.yaml")));
        assert!(!scope.applies(&policy, &file("repo/c/pod.yaml")));
        assert!(scope.applies(&policy, &file("apps/pod.yaml")));
        assert!(scope.applies(
            &policy,
            &Origin::Api {
                source: Arc::from("cluster")
            }
        ));
    }

    /// The index of policies by place finds exactly the policies `Scope::applies` accepts, for
    /// objects in, below, beside and outside the policies' directories, of the same and of other
    /// arguments, under no argument, and read from a cluster.
    #[test]
    fn places_find_exactly_the_policies_that_apply() {
        let file = |path: &str| Origin::File {
            path: Arc::from(path),
            document: 0,
            base: String::new(),
        };
        let policy_origins = [
            file("repo/a/vap.yaml"),
            file("repo/a/b/vap.yaml"),
            file("repo/c/vap.yaml"),
            file("vap.yaml"),
            file("apps/x/vap.yaml"),
            file("loose/vap.yaml"),
            Origin::Api {
                source: Arc::from("cluster"),
            },
            file("repo/a/other.yaml"),
        ];
        let policies: Vec<Arc<Object>> = policy_origins
            .iter()
            .enumerate()
            .map(|(i, origin)| {
                let text = format!(
                    "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
                     metadata: {{name: p{i}}}\nspec:\n  validations: [{{expression: 'true'}}]\n"
                );
                let (mut docs, _) = palisade_core::yaml::load_str(&text, &Default::default());
                Arc::new(Object {
                    origin: origin.clone(),
                    node: docs.remove(0).root,
                })
            })
            .collect();
        let set = PolicySet::new(&policies);
        assert_eq!(set.origins().count(), policy_origins.len());
        let objects = [
            "repo/a/pod.yaml",
            "repo/a/b/c/pod.yaml",
            "repo/ab/pod.yaml",
            "repo/c/pod.yaml",
            "repo/pod.yaml",
            "apps/pod.yaml",
            "apps/x/y/pod.yaml",
            "pod.yaml",
            "elsewhere/pod.yaml",
        ];
        let scope = Scope {
            arguments: [
                ("repo/a/vap.yaml", 0),
                ("repo/a/b/vap.yaml", 0),
                ("repo/c/vap.yaml", 0),
                ("vap.yaml", 1),
                ("apps/x/vap.yaml", 1),
                ("repo/a/other.yaml", 2),
                ("repo/a/pod.yaml", 0),
                ("repo/a/b/c/pod.yaml", 0),
                ("repo/ab/pod.yaml", 0),
                ("repo/c/pod.yaml", 0),
                ("repo/pod.yaml", 0),
                ("apps/pod.yaml", 1),
                ("apps/x/y/pod.yaml", 1),
                ("pod.yaml", 1),
            ]
            .into_iter()
            .map(|(p, a)| (Arc::from(p), a))
            .collect(),
        };
        let places = Places::new(&set, &scope);
        let mut narrowed = 0;
        for object in objects.iter().map(|p| file(p)).chain([Origin::Api {
            source: Arc::from("cluster"),
        }]) {
            let applies: Vec<usize> = (0..policy_origins.len())
                .filter(|&i| scope.applies(&policy_origins[i], &object))
                .collect();
            let found = places.candidates(&scope, &object);
            narrowed += usize::from(found.is_some());
            let found = found.unwrap_or_else(|| (0..policy_origins.len()).collect());
            assert_eq!(found, applies, "{object:?}");
        }
        assert_eq!(
            narrowed,
            objects.len() - 1,
            "all but the file under no argument"
        );
    }

    /// This crate declares one rule, below `assert_all_registered`'s sanity floor, so the
    /// comparison is made here.
    #[test]
    fn every_rule_file_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let declared = palisade_core::registry::declared_codes(&dir).expect("sources");
        assert_eq!(
            declared.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
            ["VA001", "VA002"]
        );
        assert!(palisade_core::registry::find("VA001").is_some());
        assert!(palisade_core::registry::find("VA002").is_some());
    }
}
