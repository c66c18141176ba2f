//! The text editor behind `palisade fix`: every edit keeps the rest of the file byte for byte.

use palisade_core::source::objects_from_str;
use palisade_core::yaml::edit::{apply, plan, verify, verify_documents, Editor, Outcome, Skip};
use palisade_core::{Fix, FixOp, FixValue};

fn set(p: &str, v: FixValue) -> FixOp {
    FixOp::Set {
        pointer: p.into(),
        value: v,
    }
}

fn remove(p: &str) -> FixOp {
    FixOp::Remove { pointer: p.into() }
}

fn append(p: &str, v: FixValue) -> FixOp {
    FixOp::Append {
        pointer: p.into(),
        value: v,
    }
}

/// Applies `ops` (one fix per op) to object `index` of `text`, round after round as `palisade
/// fix` does, and checks each round's result with `verify` (the old tree plus exactly the
/// operations, every comment kept).
fn fix(text: &str, index: usize, ops: Vec<FixOp>) -> (String, Vec<Outcome>) {
    let mut fixes: Vec<Fix> = ops
        .into_iter()
        .map(|op| Fix::safe("test", vec![op]))
        .collect();
    let mut current = text.to_owned();
    let mut first = None;
    for _ in 0..8 {
        let loaded = objects_from_str("t.yaml", &current);
        assert!(loaded.errors.is_empty(), "{:?}\n{current}", loaded.errors);
        let object = &loaded.objects[index];
        let editor = Editor::new(&current);
        let items: Vec<_> = fixes.iter().map(|f| (object, f)).collect();
        let planned = plan(&editor, &items);
        let (edits, outcomes) = (planned.edits(), planned.outcomes);
        // Only deferred fixes come back (a real run re-scans, and fixed findings are gone).
        fixes = fixes
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| **o == Outcome::Deferred)
            .map(|(f, _)| f.clone())
            .collect();
        first.get_or_insert(outcomes);
        if edits.is_empty() {
            break;
        }
        let next = apply(&current, &edits);
        if let Err(e) = verify(&current, &next, &planned.changes) {
            panic!("{e}\n--- before\n{current}\n--- after\n{next}");
        }
        current = next;
    }
    (current, first.unwrap())
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web   # the front end
spec:
  hostNetwork: yes
  containers:
  - name: app
    image: 'nginx:1.25'
    securityContext:
      privileged: true # needed? no
  - name: sidecar
    image: busybox
";

#[test]
fn replaces_a_scalar_in_place_and_keeps_its_comment() {
    let (out, outcomes) = fix(
        POD,
        0,
        vec![
            set(
                "/spec/containers/0/securityContext/privileged",
                FixValue::Bool(false),
            ),
            set("/spec/hostNetwork", FixValue::Bool(false)),
        ],
    );
    assert_eq!(outcomes, vec![Outcome::Applied, Outcome::Applied]);
    assert_eq!(
        out,
        POD.replace(
            "privileged: true # needed? no",
            "privileged: false # needed? no"
        )
        .replace("hostNetwork: yes", "hostNetwork: false")
    );
}

#[test]
fn inserts_missing_parents_at_the_mapping_indentation() {
    let (out, _) = fix(
        POD,
        0,
        vec![set(
            "/spec/containers/1/securityContext/runAsNonRoot",
            FixValue::Bool(true),
        )],
    );
    assert!(
        out.ends_with(
            "  - name: sidecar\n    image: busybox\n    securityContext:\n      runAsNonRoot: true\n"
        ),
        "{out}"
    );
    // Into an existing mapping, after its last key.
    let (out, _) = fix(
        POD,
        0,
        vec![set(
            "/spec/containers/0/securityContext/allowPrivilegeEscalation",
            FixValue::Bool(false),
        )],
    );
    assert!(out.contains(
        "      privileged: true # needed? no\n      allowPrivilegeEscalation: false\n  - name: sidecar"
    ));
}

#[test]
fn two_fixes_creating_one_parent_take_two_rounds() {
    let (out, outcomes) = fix(
        POD,
        0,
        vec![
            set("/spec/securityContext/runAsNonRoot", FixValue::Bool(true)),
            set(
                "/spec/securityContext/seccompProfile/type",
                FixValue::str("RuntimeDefault"),
            ),
        ],
    );
    assert_eq!(outcomes, vec![Outcome::Applied, Outcome::Deferred]);
    assert!(out.ends_with(
        "    image: busybox\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile:\n      type: RuntimeDefault\n"
    ), "{out}");
}

#[test]
fn flow_collections_are_edited_in_flow_style() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: a\n    securityContext: {privileged: true, capabilities: {add: [NET_ADMIN, SYS_TIME]}}\n";
    let (out, _) = fix(
        text,
        0,
        vec![
            set(
                "/spec/containers/0/securityContext/allowPrivilegeEscalation",
                FixValue::Bool(false),
            ),
            append(
                "/spec/containers/0/securityContext/capabilities/drop",
                FixValue::str("ALL"),
            ),
            remove("/spec/containers/0/securityContext/capabilities/add/1"),
            set(
                "/spec/containers/0/securityContext/privileged",
                FixValue::Bool(false),
            ),
        ],
    );
    assert_eq!(
        out,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: a\n    securityContext: {privileged: false, capabilities: {add: [NET_ADMIN], drop: [ALL]}, allowPrivilegeEscalation: false}\n"
    );
}

#[test]
fn appends_to_block_sequences_and_creates_missing_ones() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: a\n      securityContext:\n        capabilities:\n          drop:\n            - NET_RAW\n";
    let (out, _) = fix(
        text,
        0,
        vec![append(
            "/spec/containers/0/securityContext/capabilities/drop",
            FixValue::str("ALL"),
        )],
    );
    assert!(
        out.ends_with("            - NET_RAW\n            - ALL\n"),
        "{out}"
    );
    let (out, _) = fix(
        POD,
        0,
        vec![append(
            "/spec/containers/0/securityContext/capabilities/drop",
            FixValue::str("ALL"),
        )],
    );
    assert!(out.contains(
        "      privileged: true # needed? no\n      capabilities:\n        drop:\n          - ALL\n"
    ), "{out}");
}

#[test]
fn removes_keys_items_and_their_value_blocks() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    ports:\n    - hostPort: 80\n      containerPort: 80\n    - containerPort: 81\n      hostPort: 81 # debug\n    securityContext:\n      capabilities:\n        add:\n        - SYS_ADMIN\n        - NET_BIND_SERVICE\n      privileged: true\n";
    let (out, outcomes) = fix(
        text,
        0,
        vec![
            remove("/spec/containers/0/ports/0/hostPort"),
            remove("/spec/containers/0/ports/1/hostPort"),
            remove("/spec/containers/0/securityContext/capabilities/add/0"),
            remove("/spec/containers/0/securityContext/privileged"),
            remove("/spec/containers/0/securityContext/absent"),
        ],
    );
    assert_eq!(outcomes[4], Outcome::Unchanged);
    assert_eq!(
        out,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    ports:\n    - containerPort: 80\n    - containerPort: 81\n    securityContext:\n      capabilities:\n        add:\n        - NET_BIND_SERVICE\n"
    );
    // A key with a block value goes with its whole block.
    let (out, _) = fix(
        text,
        0,
        vec![remove("/spec/containers/0/securityContext/capabilities")],
    );
    assert!(
        out.ends_with("    securityContext:\n      privileged: true\n"),
        "{out}"
    );
    // The only key of a sequence item leaves an empty mapping, not a bare dash.
    let one = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    ports:\n    - hostPort: 80\n";
    let (out, _) = fix(one, 0, vec![remove("/spec/containers/0/ports/0/hostPort")]);
    assert!(out.ends_with("    ports:\n    - {}\n"), "{out}");
}

#[test]
fn an_empty_value_gets_a_block_below_its_key() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  securityContext: # TODO\n  containers: []\n";
    let (out, _) = fix(
        text,
        0,
        vec![set(
            "/spec/securityContext/runAsNonRoot",
            FixValue::Bool(true),
        )],
    );
    assert_eq!(
        out,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  securityContext: # TODO\n    runAsNonRoot: true\n  containers: []\n"
    );
}

#[test]
fn never_edits_through_an_alias_or_a_merge_key() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
spec:
  template:
    spec:
      containers:
      - name: a
        securityContext: &sc
          privileged: true
      - name: b
        securityContext: *sc
      - name: c
        securityContext:
          <<: *sc
          runAsUser: 0
      - name: d
        securityContext: &alone
          privileged: true
";
    let (out, outcomes) = fix(
        text,
        0,
        vec![
            set(
                "/spec/template/spec/containers/1/securityContext/privileged",
                FixValue::Bool(false),
            ),
            set(
                "/spec/template/spec/containers/0/securityContext/privileged",
                FixValue::Bool(false),
            ),
            set(
                "/spec/template/spec/containers/2/securityContext/privileged",
                FixValue::Bool(false),
            ),
            set(
                "/spec/template/spec/containers/0/securityContext/runAsNonRoot",
                FixValue::Bool(true),
            ),
            // Own keys of a mapping with a merge key, and anchors nobody uses, are fine.
            set(
                "/spec/template/spec/containers/2/securityContext/runAsUser",
                FixValue::Int(1000),
            ),
            set(
                "/spec/template/spec/containers/3/securityContext/privileged",
                FixValue::Bool(false),
            ),
        ],
    );
    assert_eq!(
        outcomes,
        vec![
            Outcome::Skipped(Skip::Shared),
            Outcome::Skipped(Skip::Shared),
            Outcome::Skipped(Skip::Shared),
            Outcome::Skipped(Skip::Shared),
            Outcome::Applied,
            Outcome::Applied,
        ]
    );
    assert_eq!(
        out,
        text.replace("runAsUser: 0", "runAsUser: 1000").replace(
            "&alone\n          privileged: true",
            "&alone\n          privileged: false"
        )
    );
}

#[test]
fn crlf_files_keep_crlf() {
    let text = POD.replace('\n', "\r\n");
    let (out, _) = fix(
        &text,
        0,
        vec![set(
            "/spec/containers/1/securityContext/runAsNonRoot",
            FixValue::Bool(true),
        )],
    );
    assert!(
        out.ends_with("    image: busybox\r\n    securityContext:\r\n      runAsNonRoot: true\r\n")
    );
    assert!(!out.replace("\r\n", "").contains('\n'));
}

#[test]
fn a_file_without_a_final_line_break() {
    let text = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default";
    let (out, _) = fix(
        text,
        0,
        vec![set("/automountServiceAccountToken", FixValue::Bool(false))],
    );
    assert_eq!(
        out,
        format!("{text}\nautomountServiceAccountToken: false\n")
    );
}

#[test]
fn list_items_and_later_documents() {
    let text = "\
# first
apiVersion: v1
kind: ServiceAccount
metadata:
  name: a
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: default
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
    labels: {team: web}
";
    let (out, _) = fix(
        text,
        1,
        vec![set("/automountServiceAccountToken", FixValue::Bool(false))],
    );
    assert!(
        out.contains(
            "    name: default\n  automountServiceAccountToken: false\n- apiVersion: v1\n"
        ),
        "{out}"
    );
    let (out, _) = fix(
        text,
        2,
        vec![set(
            "/metadata/labels/pod-security.kubernetes.io~1enforce",
            FixValue::str("restricted"),
        )],
    );
    assert!(out.ends_with("labels: {team: web, pod-security.kubernetes.io/enforce: restricted}\n"));
}

#[test]
fn strings_that_would_read_as_something_else_are_quoted() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n    a: b\n";
    let (out, _) = fix(
        text,
        0,
        vec![
            set("/metadata/labels/yes", FixValue::str("on")),
            set("/metadata/labels/v", FixValue::str("1.30")),
        ],
    );
    assert!(
        out.ends_with("    a: b\n    \"yes\": \"on\"\n    v: \"1.30\"\n"),
        "{out}"
    );
}

#[test]
fn verify_refuses_a_broken_or_shorter_text() {
    let text = "a: 1\n---\nb: 2\n";
    assert!(verify_documents(text, "a: 1\n---\nb: [\n").is_err());
    assert!(verify_documents(text, "a: 1\n").is_err());
    assert!(verify_documents(text, "a: 2\n---\nb: 2\n").is_ok());
}

#[test]
fn an_alias_value_ends_on_its_keys_line() {
    // `resources: *res` carries the anchor's spans (in the first container): a key inserted after
    // it must still land in the second container.
    let text = "\
apiVersion: v1
kind: Pod
metadata:
  name: x
spec:
  containers:
  - name: a
    resources: &res
      limits: {memory: 1Gi}
  - name: b
    resources: *res
  - name: c
    args: [x]
";
    let (out, outcomes) = fix(
        text,
        0,
        vec![set(
            "/spec/containers/1/securityContext/runAsNonRoot",
            FixValue::Bool(true),
        )],
    );
    assert_eq!(outcomes, vec![Outcome::Applied]);
    assert!(
        out.contains(
            "    resources: *res\n    securityContext:\n      runAsNonRoot: true\n  - name: c\n"
        ),
        "{out}"
    );
    // Removing the key whose value is an alias removes that line only.
    let (out, _) = fix(text, 0, vec![remove("/spec/containers/1/resources")]);
    assert!(out.contains("  - name: b\n  - name: c\n"), "{out}");
    // An alias as the last item of a list: its place is unknown, nothing is appended.
    let list = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    args:\n    - &flag --v=2\n    - *flag\n";
    let (out, outcomes) = fix(
        list,
        0,
        vec![append("/spec/containers/0/args", FixValue::str("--x"))],
    );
    assert_eq!(outcomes, vec![Outcome::Skipped(Skip::Shared)]);
    assert_eq!(out, list);
}

#[test]
fn a_block_scalar_before_the_insertion_point_stays_whole() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    command:\n    - sh\n    - -c\n    - |\n      echo start\n      # not a YAML comment\n\n  - name: b\n    image: y\n";
    let (out, _) = fix(
        text,
        0,
        vec![set(
            "/spec/containers/0/securityContext/runAsNonRoot",
            FixValue::Bool(true),
        )],
    );
    assert!(
        out.contains("      # not a YAML comment\n    securityContext:\n      runAsNonRoot: true\n\n  - name: b\n"),
        "{out}"
    );
    let loaded = objects_from_str("t", &out);
    let script = loaded.objects[0]
        .node
        .lookup("/spec/containers/0/command/2")
        .0
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(script, "echo start\n# not a YAML comment\n");
}

/// Loads `text`, plans `ops` as one fix on object 0 and returns the plan's changes (for calling
/// `verify` on a hand-made "after").
fn changes_of(text: &str, ops: Vec<FixOp>) -> Vec<palisade_core::yaml::edit::Change> {
    let loaded = objects_from_str("t.yaml", text);
    let fix = Fix::safe("test", ops);
    plan(&Editor::new(text), &[(&loaded.objects[0], &fix)]).changes
}

#[test]
fn verify_refuses_anything_but_the_operations() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x # keep me\n  labels: {a: \"1\"}\nspec:\n  hostNetwork: true\n";
    let ops = vec![set("/spec/hostNetwork", FixValue::Bool(false))];
    let changes = changes_of(text, ops);
    let good = text.replace("hostNetwork: true", "hostNetwork: false");
    assert_eq!(apply(text, &[changes[0].edit.clone()]), good);
    verify(text, &good, &changes).unwrap();
    // Anything else changed, even in a way that keeps the document's kind and count.
    for bad in [
        // The fix's value, but the wrong type.
        text.replace("hostNetwork: true", "hostNetwork: \"false\""),
        // A string that became a number.
        good.replace("{a: \"1\"}", "{a: 1}"),
        // A key more, a key less.
        good.replace("spec:\n", "spec:\n  hostPID: true\n"),
        good.replace("  labels: {a: \"1\"}\n", ""),
        // A comment lost or changed.
        good.replace(" # keep me", ""),
        good.replace("# keep me", "# kept"),
        // A comment added.
        good.replace("spec:\n", "spec: # new\n"),
        // Nothing done at all.
        text.to_owned(),
    ] {
        assert!(verify(text, &bad, &changes).is_err(), "accepted:\n{bad}");
    }
    // A removal may take the comments of the text it removes.
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  hostPID: true # debug\n  hostIPC: true\n";
    let changes = changes_of(text, vec![remove("/spec/hostPID")]);
    verify(
        text,
        &text.replace("  hostPID: true # debug\n", ""),
        &changes,
    )
    .unwrap();
}

/// A block scalar that ends the file without a line break has no final line break in its value
/// (libyaml and go-yaml: `|` then `echo hi` at the end of the file is "echo hi"). A key inserted
/// after it must not give it one.
#[test]
fn an_edit_after_a_block_scalar_at_the_end_of_the_file_keeps_its_value() {
    let loaded = objects_from_str("t.yaml", "a: |\n  echo hi\n  x");
    assert!(loaded.errors.is_empty());
    let (docs, _) = palisade_core::yaml::load_str(
        "a: |\n  echo hi\n  x",
        &palisade_core::yaml::Limits::default(),
    );
    assert_eq!(
        docs[0].root.get("a").and_then(|n| n.as_str()),
        Some("echo hi\nx")
    );

    for (header, want) in [
        ("|", "|-"),
        ("|2", "|-2"),
        (">", ">-"),
        ("|+", "|-"),
        ("|-", "|-"),
    ] {
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    args:\n    - {header}\n      echo hi\n      exit 0"
        );
        let (out, outcomes) = fix(
            &text,
            0,
            vec![set(
                "/spec/containers/0/securityContext/runAsNonRoot",
                FixValue::Bool(true),
            )],
        );
        assert_eq!(outcomes, vec![Outcome::Applied], "{header}");
        assert_eq!(
            out,
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    args:\n    - {want}\n      echo hi\n      exit 0\n    securityContext:\n      runAsNonRoot: true\n"
            ),
            "{header}"
        );
    }
    // With a final line break nothing needs to change.
    let text =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  run.sh: |\n    echo hi\n";
    let (out, _) = fix(text, 0, vec![set("/immutable", FixValue::Bool(true))]);
    assert_eq!(out, format!("{text}immutable: true\n"));
}

/// `|+` keeps the blank lines after its content: a key inserted after it goes after them.
#[test]
fn a_keep_block_scalar_keeps_its_trailing_blank_lines() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    note: |+\n      two blank lines follow\n\n\n  labels:\n    app: x\n";
    let (out, outcomes) = fix(
        text,
        0,
        vec![set("/metadata/annotations/owner", FixValue::str("web"))],
    );
    assert_eq!(outcomes, vec![Outcome::Applied]);
    assert_eq!(
        out,
        text.replace("follow\n\n\n", "follow\n\n\n    owner: web\n")
    );
    // A clipped scalar's blank lines are not its value: the key goes right after the content.
    let clip = text.replace("|+", "|");
    let (out, _) = fix(
        &clip,
        0,
        vec![set("/metadata/annotations/owner", FixValue::str("web"))],
    );
    assert_eq!(out, clip.replace("follow\n", "follow\n    owner: web\n"));
    // A line of spaces deeper than the block's indentation is content, even when clipped.
    let spaces = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    note: |\n      text\n        \n  labels: {}\n";
    let (out, _) = fix(
        spaces,
        0,
        vec![set("/metadata/annotations/owner", FixValue::str("web"))],
    );
    assert_eq!(
        out,
        spaces.replace("        \n", "        \n    owner: web\n")
    );
}

/// A replaced string keeps the quotes it had when the new value can be written in them.
#[test]
fn a_replaced_string_keeps_its_quoting() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  securityContext:\n    seccompProfile:\n      type: \"Unconfined\"\n    appArmorProfile:\n      type: 'Unconfined' # for now\n  containers:\n  - name: a\n    securityContext:\n      procMount: 'Unmasked'\n      privileged: \"true\"\n";
    let (out, _) = fix(
        text,
        0,
        vec![
            set(
                "/spec/securityContext/seccompProfile/type",
                FixValue::str("RuntimeDefault"),
            ),
            set(
                "/spec/securityContext/appArmorProfile/type",
                FixValue::str("RuntimeDefault"),
            ),
            // Not representable in single quotes: double quotes.
            set(
                "/spec/containers/0/securityContext/procMount",
                FixValue::str("Default\n"),
            ),
            // A boolean cannot be quoted: the quotes go.
            set(
                "/spec/containers/0/securityContext/privileged",
                FixValue::Bool(false),
            ),
        ],
    );
    assert_eq!(
        out,
        text.replace("type: \"Unconfined\"", "type: \"RuntimeDefault\"")
            .replace("type: 'Unconfined'", "type: 'RuntimeDefault'")
            .replace("procMount: 'Unmasked'", "procMount: \"Default\\n\"")
            .replace("privileged: \"true\"", "privileged: false")
    );
}

#[test]
fn removing_the_last_item_leaves_a_null_that_verify_accepts() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        add:\n        - NET_ADMIN\n";
    let (out, _) = fix(
        text,
        0,
        vec![remove(
            "/spec/containers/0/securityContext/capabilities/add/0",
        )],
    );
    assert!(
        out.ends_with("      capabilities:\n        add:\n"),
        "{out}"
    );
}
