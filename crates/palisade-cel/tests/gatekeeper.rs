//! Gatekeeper ConstraintTemplates (`K8sNativeValidation`) and their constraints, from templates
//! written for these tests: the translation (anyObject, params, the template's variables and
//! messages), the constraint's match, enforcement actions, and the templates Palisade cannot run.
//! The library's own suites are checked by `gatekeeper_library.rs` when the corpus is there.

mod support;

use palisade_cel::gatekeeper::rule::META;
use palisade_cel::rule::report;
use palisade_cel::vap::{Engine, PolicySet};
use palisade_core::rule::Emitter;
use palisade_core::Severity;

/// Images must come from one of `params.repos`; `repos` absent means no image is allowed.
const TEMPLATE: &str = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: testallowedrepos
spec:
  crd:
    spec:
      names:
        kind: TestAllowedRepos
  targets:
  - target: admission.k8s.gatekeeper.sh
    code:
    - engine: K8sNativeValidation
      source:
        variables:
        - name: containers
          expression: 'has(variables.anyObject.spec.containers) ? variables.anyObject.spec.containers : []'
        - name: repos
          expression: 'has(variables.params.repos) ? variables.params.repos : []'
        - name: bad
          expression: |
            variables.containers.filter(c, !variables.repos.exists(r, c.image.startsWith(r))).map(c, c.name)
        validations:
        - expression: 'size(variables.bad) == 0'
          messageExpression: '"container(s) " + variables.bad.join(", ") + " use an image outside " + variables.repos.join(", ")'
    - engine: Rego
      source:
        rego: |
          package testallowedrepos
          violation[{"msg": "from Rego"}] { true }
"#;

fn constraint(name: &str, rest: &str) -> String {
    format!(
        "---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TestAllowedRepos\nmetadata:\n  name: {name}\nspec:\n  parameters:\n    repos: [\"registry.example/\"]\n{rest}"
    )
}

fn pod(name: &str, namespace: &str, image: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  labels:\n    tier: web\nspec:\n  containers:\n  - name: app\n    image: {image}\n"
    )
}

/// (object, message) of every violation.
fn judge(text: &str) -> Vec<(String, String)> {
    support::judge(TEMPLATE, text)
}

#[test]
fn params_variables_and_the_templates_message() {
    let found = judge(
        &[
            constraint("only-example", ""),
            pod("good", "shop", "registry.example/app:1"),
            pod("bad", "shop", "docker.io/app:1"),
        ]
        .concat(),
    );
    assert_eq!(
        found,
        vec![(
            "bad".to_owned(),
            "TestAllowedRepos 'only-example' denies the request: [only-example] container(s) app use an image outside registry.example/".to_owned()
        )]
    );
}

#[test]
fn the_constraints_match_selects() {
    let bad = |ns: &str, name: &str| pod(name, ns, "docker.io/app:1");
    let objects = [
        bad("kube-system", "sys"),
        bad("shop", "shop"),
        bad("shop-dev", "dev"),
        bad("default", "plain"),
    ]
    .concat();
    let names = |spec: &str| -> Vec<String> {
        judge(&(constraint("c", spec) + &objects))
            .into_iter()
            .map(|(o, _)| o)
            .collect()
    };
    assert_eq!(names(""), ["sys", "shop", "dev", "plain"]);
    assert_eq!(
        names("  match:\n    excludedNamespaces: [\"kube-*\", \"*-dev\"]\n"),
        ["shop", "plain"]
    );
    assert_eq!(
        names("  match:\n    namespaces: [\"shop*\"]\n"),
        ["shop", "dev"]
    );
    assert_eq!(
        names("  match:\n    kinds:\n    - apiGroups: [apps]\n      kinds: [Deployment]\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        names(
            "  match:\n    kinds:\n    - apiGroups: [\"\"]\n      kinds: [Pod]\n    name: \"s*\"\n"
        ),
        ["sys", "shop"]
    );
    assert_eq!(
        names("  match:\n    labelSelector:\n      matchLabels: {tier: db}\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        names("  match:\n    scope: Cluster\n"),
        Vec::<String>::new()
    );
    // Namespaces selected by their labels: from the input, or the automatic name label.
    let labelled =
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    env: prod\n";
    let found: Vec<String> = judge(
        &(constraint(
            "c",
            "  match:\n    kinds: [{apiGroups: [\"\"], kinds: [Pod]}]\n    namespaceSelector:\n      matchExpressions:\n      - {key: env, operator: In, values: [prod]}\n",
        ) + labelled
            + &objects),
    )
    .into_iter()
    .map(|(o, _)| o)
    .collect();
    assert_eq!(found, ["shop"]);
}

fn findings(action: &str) -> Vec<palisade_core::Finding> {
    let objects = support::objects(
        &[
            TEMPLATE.to_owned(),
            constraint("c", &format!("  enforcementAction: {action}\n")),
            pod("bad", "shop", "docker.io/app:1"),
        ]
        .concat(),
    );
    let set = PolicySet::new(&objects);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let mut out = Vec::new();
    for o in &objects {
        let mut emitter = Emitter::new(o, &META, &mut out);
        report(&set, Engine::Gatekeeper, &|_| true, o, &mut emitter);
        // The VAP rule does not report Gatekeeper's violations.
        let mut other = Vec::new();
        let mut emitter = Emitter::new(o, &palisade_cel::rule::META, &mut other);
        report(&set, Engine::Vap, &|_| true, o, &mut emitter);
        assert!(other.is_empty());
    }
    out
}

#[test]
fn enforcement_actions_give_severities() {
    for (action, severity, verb) in [
        ("deny", Severity::High, "denies the request"),
        ("warn", Severity::Medium, "warns"),
        ("dryrun", Severity::Low, "records in its audit (dryrun)"),
    ] {
        let f = findings(action);
        assert_eq!(f.len(), 1, "{action}: {f:?}");
        assert_eq!(f[0].code, "VA002");
        assert_eq!(f[0].severity, severity, "{action}");
        assert!(f[0]
            .message
            .starts_with(&format!("TestAllowedRepos 'c' {verb}: [c] ")));
        let related = f[0].related.as_ref().expect("the constraint");
        assert_eq!(
            (related.kind.as_str(), related.name.as_deref()),
            ("TestAllowedRepos", Some("c"))
        );
    }
    // Scoped actions: those of an enforcement point that judges objects.
    let scoped = "scoped\n  scopedEnforcementActions:\n  - action: warn\n    enforcementPoints:\n    - name: validation.gatekeeper.sh\n";
    assert_eq!(findings(scoped)[0].severity, Severity::Medium);
}

#[test]
fn unknown_action_is_an_input_problem() {
    let objects = support::objects(
        &[
            TEMPLATE.to_owned(),
            constraint("c", "  enforcementAction: block\n"),
        ]
        .concat(),
    );
    let set = PolicySet::new(&objects);
    assert_eq!(
        set.problems,
        ["TestAllowedRepos 'c': unrecognized enforcementAction 'block', must be deny, dryrun, warn or scoped"]
    );
}

#[test]
fn rego_only_templates_and_orphan_constraints_are_not_evaluated() {
    let rego = TEMPLATE
        .replace("testallowedrepos", "testrego")
        .replace("TestAllowedRepos", "TestRego");
    let rego = {
        // Keep only the Rego code.
        let start = rego.find("    - engine: K8sNativeValidation").expect("cel");
        let end = rego.find("    - engine: Rego").expect("rego");
        format!("{}{}", &rego[..start], &rego[end..])
    };
    let text = [
        rego,
        "---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TestRego\nmetadata:\n  name: r\n".to_owned(),
        "---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: TestMissing\nmetadata:\n  name: m\n".to_owned(),
        pod("bad", "shop", "docker.io/app:1"),
    ]
    .concat();
    let objects = support::objects(&text);
    let set = PolicySet::new(&objects);
    assert_eq!(
        set.not_evaluated,
        [
            "Palisade runs no Rego; ConstraintTemplate 'testrego' has no K8sNativeValidation code (1 constraint(s) of kind TestRego not judged)",
            "TestMissing 'm': no ConstraintTemplate for kind TestMissing in the input",
        ]
    );
    // Neither passes nor fails anything.
    assert!(objects.iter().all(|o| set.evaluate(o).is_empty()));
}
