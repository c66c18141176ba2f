//! The YAML loader reads manifests the way Kubernetes does, keeps positions, and stays bounded on
//! hostile input.

use std::path::Path;

use palisade_core::source::{self, objects_from_str, InputError, SourceLimits};
use palisade_core::yaml::{self, Limits, LoadErrorKind, Pos, ScalarKind};

fn root(text: &str) -> palisade_core::yaml::Node {
    let (docs, errors) = yaml::load_str(text, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    docs.into_iter().next().expect("one document").root
}

#[test]
fn booleans_follow_yaml_1_1() {
    let r = root("a: yes\nb: on\nc: off\nd: \"true\"\ne: 'yes'\nf: y\ng: !!str true\n");
    assert_eq!(r.get("a").unwrap().as_bool(), Some(true));
    assert_eq!(r.get("b").unwrap().as_bool(), Some(true));
    assert_eq!(r.get("c").unwrap().as_bool(), Some(false));
    assert_eq!(r.get("f").unwrap().as_bool(), Some(true));
    // Quoted: a string for the API server, but the intent is still visible.
    assert_eq!(r.get("d").unwrap().as_bool(), None);
    assert_eq!(r.get("d").unwrap().bool_intent(), Some(true));
    assert_eq!(r.get("e").unwrap().bool_intent(), Some(true));
    assert_eq!(r.get("g").unwrap().as_bool(), None);
    // A string field keeps the text the author wrote.
    assert_eq!(r.get("a").unwrap().as_str(), Some("yes"));
}

#[test]
fn numbers_and_nulls() {
    let r = root("a: 0\nb: 0777\nc: ~\nd:\ne: \"0\"\nf: 1_000\n");
    assert_eq!(r.get("a").unwrap().as_i64(), Some(0));
    assert_eq!(r.get("b").unwrap().as_i64(), Some(0o777));
    assert!(r.get("c").unwrap().is_null());
    assert!(r.get("d").unwrap().is_null());
    assert_eq!(r.get("e").unwrap().as_i64(), None);
    assert_eq!(r.get("e").unwrap().int_intent(), Some(0));
    assert_eq!(r.get("f").unwrap().as_i64(), Some(1000));
}

#[test]
fn merge_keys_expand_as_go_yaml_v2_does() {
    let r = root(
        "base: &b\n  hostNetwork: true\n  dnsPolicy: Default\nspec:\n  <<: *b\n  dnsPolicy: ClusterFirst\n",
    );
    let spec = r.get("spec").unwrap();
    assert_eq!(spec.get("hostNetwork").unwrap().as_bool(), Some(true));
    assert_eq!(
        spec.get("dnsPolicy").unwrap().as_str(),
        Some("ClusterFirst")
    );
    assert!(spec.get("<<").is_none());
    // A list of maps: the earlier map wins.
    let r = root("a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n");
    let c = r.get("c").unwrap();
    assert_eq!(c.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(c.get("z").unwrap().as_i64(), Some(2));
    // go-yaml v2 fills a mapping in order: a merge replaces the keys written before it, explicit
    // ones included. Reading `privileged: false` here would hide a privileged container.
    let r = root(
        "p: &p {privileged: true}\nsc:\n  privileged: false\n  <<: *p\nafter:\n  <<: *p\n  privileged: false\n",
    );
    let sc = r.get("sc").unwrap();
    assert_eq!(sc.get("privileged").unwrap().as_bool(), Some(true));
    // The entry points where the value was written: under the anchor.
    assert_eq!(sc.entry("privileged").unwrap().key_span.start.line, 1);
    assert_eq!(
        r.path(&["after", "privileged"]).unwrap().as_bool(),
        Some(false)
    );
}

#[test]
fn keys_are_named_as_kubernetes_names_them() {
    // sigs.k8s.io/yaml turns go-yaml's keys into JSON keys.
    let r = root("m: {y: a, no: b, 0x10: c, 010: d, 1.5: e, 1e7: f, \"yes\": g, ~: h, 1_0: i}\n");
    let m = r.get("m").unwrap();
    let keys: Vec<&str> = m.entries().iter().map(|e| &*e.key).collect();
    assert_eq!(
        keys,
        ["true", "false", "16", "8", "1.5", "1e+07", "yes", "~", "10"]
    );
    // The key's span is still where it is written.
    assert_eq!(m.entry("16").unwrap().key_span.start.col, 18);
}

#[test]
fn duplicate_keys_keep_the_last_value_and_are_recorded() {
    let (docs, _) = yaml::load_str("a: 1\nb: 2\na: 3\n", &Limits::default());
    let d = &docs[0];
    assert_eq!(d.root.get("a").unwrap().as_i64(), Some(3));
    assert_eq!(d.duplicate_keys.len(), 1);
    assert_eq!(d.duplicate_keys[0].first.start.line, 1);
    assert_eq!(d.duplicate_keys[0].second.start.line, 3);
    // Large maps take the hashed path; same answer.
    let mut big: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
    big.push_str("k7: last\n");
    let (docs, _) = yaml::load_str(&big, &Limits::default());
    assert_eq!(docs[0].root.get("k7").unwrap().as_str(), Some("last"));
    assert_eq!(docs[0].root.entries().len(), 40);
    assert_eq!(docs[0].duplicate_keys.len(), 1);
}

#[test]
fn positions_are_one_based_lines_and_columns() {
    let r = root("spec:\n  containers:\n    - name: app\n      image: nginx\n");
    let image = r.lookup("/spec/containers/0/image").0;
    assert_eq!(image.span.start, Pos { line: 4, col: 14 });
    assert_eq!(
        r.key_span("/spec/containers/0/image").unwrap().start,
        Pos { line: 4, col: 7 }
    );
    // A missing field resolves to the nearest parent.
    let (node, found) = r.lookup("/spec/containers/0/securityContext/privileged");
    assert!(!found);
    assert_eq!(node.span.start, Pos { line: 3, col: 7 });
}

#[test]
fn crlf_bom_and_multiple_documents() {
    let text = "\u{feff}apiVersion: v1\r\nkind: Pod\r\n---\r\napiVersion: v1\r\nkind: Service\r\n";
    let loaded = source::load_bytes(&"t.yaml".into(), text.as_bytes(), &SourceLimits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let kinds: Vec<_> = loaded.objects.iter().map(|o| o.kind().to_owned()).collect();
    assert_eq!(kinds, ["Pod", "Service"]);
    let svc = &loaded.objects[1];
    assert_eq!(svc.node.get("kind").unwrap().span.start.line, 5);
}

#[test]
fn lists_are_expanded_and_non_objects_skipped() {
    let loaded = objects_from_str(
        "l.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n\
         - apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n---\n# just a comment\n---\nfoo: bar\n---\n",
    );
    assert!(loaded.errors.is_empty());
    let names: Vec<_> = loaded.objects.iter().map(|o| o.name().unwrap()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(loaded.skipped_documents, 1, "`foo: bar` is not an object");
    match &loaded.objects[1].origin {
        palisade_core::Origin::File { base, .. } => assert_eq!(base, "/items/1"),
        o => panic!("{o:?}"),
    }
}

#[test]
fn json_files_load() {
    let loaded = objects_from_str(
        "p.json",
        "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"spec\": {\"hostPID\": true}\n}\n",
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let pod = &loaded.objects[0];
    assert_eq!(
        pod.node.path(&["spec", "hostPID"]).unwrap().as_bool(),
        Some(true)
    );
}

#[test]
fn a_broken_document_does_not_hide_the_others() {
    let loaded = objects_from_str(
        "b.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: [Pod\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: c}\n",
    );
    let names: Vec<_> = loaded.objects.iter().filter_map(|o| o.name()).collect();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(loaded.errors.len(), 1);
    let pos = loaded.errors[0].pos().unwrap();
    assert!((5..=7).contains(&pos.line), "error at {pos}");
}

#[test]
fn helm_templates_get_a_hint() {
    let loaded = objects_from_str(
        "t.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    {{- include \"x\" . | nindent 4 }}\n",
    );
    assert!(
        matches!(loaded.errors.first(), Some(InputError::HelmTemplate(_))),
        "{:?}",
        loaded.errors
    );
    assert!(loaded.errors[0].to_string().contains("helm template"));
}

#[test]
fn quoted_scalars_with_shallow_continuation_lines_are_read() {
    // go-yaml accepts this (two files of the real-world corpus have it); saphyr-parser 0.3 does not.
    let text = "a:\n  b:\n    description: \"When set the TLS {} is optional, defaults\n    to false.\"\n    after: x\n";
    let r = root(text);
    let d = r.path(&["a", "b", "description"]).unwrap();
    assert_eq!(
        d.as_str(),
        Some("When set the TLS {} is optional, defaults to false.")
    );
    let after = r.path(&["a", "b", "after"]).unwrap();
    assert_eq!(after.span.start, Pos { line: 5, col: 12 });
    let text = "metadata:\n  annotations:\n    x: '[\n        {\n            \"a\": 1\n        }\n    ]'\nspec: {}\n";
    let r = root(text);
    let x = r
        .path(&["metadata", "annotations", "x"])
        .unwrap()
        .as_str()
        .unwrap();
    assert_eq!(x, "[ { \"a\": 1 } ]");
    assert_eq!(r.get("spec").unwrap().span.start.line, 8);
}

#[test]
fn alias_bombs_are_stopped() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    let start = std::time::Instant::now();
    let (docs, errors) = yaml::load_str(&text, &Limits::default());
    assert!(docs.is_empty());
    assert!(
        matches!(errors[0].kind, LoadErrorKind::AliasLimit(_)),
        "{errors:?}"
    );
    assert!(errors[0].to_string().contains("alias expansion"));
    // Not a timing assertion, a hang guard: the bomb is 10^10 nodes if expanded.
    assert!(start.elapsed().as_secs() < 30);
}

#[test]
fn deep_nesting_is_stopped() {
    // saphyr-parser has its own bound on flow nesting; either bound is a clear error.
    let text = "[".repeat(100_000);
    let (_, errors) = yaml::load_str(&text, &Limits::default());
    assert!(
        errors
            .iter()
            .any(|e| matches!(&e.kind, LoadErrorKind::DepthLimit(_))
                || matches!(&e.kind, LoadErrorKind::Syntax(m) if m.contains("recursion limit"))),
        "{errors:?}"
    );
    let text = (0..2000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect::<String>();
    let (_, errors) = yaml::load_str(&text, &Limits::default());
    assert!(
        matches!(errors[0].kind, LoadErrorKind::DepthLimit(_)),
        "{errors:?}"
    );
}

#[test]
fn binary_non_utf8_and_oversized_inputs_are_clear_errors() {
    let limits = SourceLimits::default();
    let e = source::decode(b"apiVersion: v1\n\0\x01\x02", &limits).unwrap_err();
    assert_eq!(e, InputError::Binary(15));
    let e = source::decode(b"kind: Pod\nname: caf\xe9\n", &limits).unwrap_err();
    assert!(matches!(e, InputError::NotUtf8 { line: 2, .. }), "{e:?}");
    assert!(e.to_string().contains("UTF-8"));
    let small = SourceLimits {
        max_file_bytes: 10,
        ..limits
    };
    let e = source::decode(b"apiVersion: v1\n", &small).unwrap_err();
    assert!(matches!(
        e,
        InputError::TooLarge {
            size: 15,
            limit: 10
        }
    ));
}

#[test]
fn document_markers_split_exactly() {
    let text = "%YAML 1.1\n---\na: 1\n--- |\n  text\n---\n...\n";
    let chunks = yaml::split_documents(text);
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks[0].line, 1, "the directive stays with its document");
    let (docs, errors) = yaml::load_str(text, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(docs[1].root.as_str(), Some("text\n"));
    assert_eq!(
        docs[0].root.get("a").map(|n| n.as_scalar().unwrap().kind()),
        Some(ScalarKind::Int(1))
    );
}

#[test]
fn projections_keep_only_the_named_fields_with_positions() {
    let yaml = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: web",
        "  namespace: shop",
        "  labels: {a: b}",
        "spec:",
        "  template:",
        "    metadata:",
        "      labels: {app: web}",
        "    spec:",
        "      containers:",
        "      - name: c",
        "        image: x",
        "        ports: [{name: http, containerPort: 80}]",
        "      - name: d",
        "        image: y",
    ]
    .join("\n");
    let loaded = objects_from_str("d.yaml", &yaml);
    let d = &loaded.objects[0];
    let p = d.project(&[
        &["spec", "template", "metadata", "labels"],
        &["spec", "template", "spec", "containers", "ports"],
    ]);
    assert_eq!(p.kind(), "Deployment");
    assert_eq!(p.name(), Some("web"));
    assert_eq!(p.namespace(), Some("shop"));
    assert!(p.node.path(&["metadata", "labels"]).is_none());
    let labels = p
        .node
        .path(&["spec", "template", "metadata", "labels", "app"])
        .unwrap();
    assert_eq!(labels.as_str(), Some("web"));
    assert_eq!(labels.span.start.line, 10);
    let containers = p
        .node
        .path(&["spec", "template", "spec", "containers"])
        .unwrap()
        .items();
    assert_eq!(containers.len(), 2);
    assert!(containers[0].get("image").is_none());
    assert_eq!(containers[0].path(&["ports"]).unwrap().items().len(), 1);
    assert!(containers[1].get("ports").is_none());
}

/// Found by the `yaml_loader` fuzz target (fuzz/regressions/yaml_loader/block_at_eof.yaml): a block
/// scalar ending the file without a final line break ended, by its span, on a line past the end
/// of the file (3:1 of a 2-line file), which the fix editor read as the start of the last line.
#[test]
fn a_block_scalar_at_the_end_of_a_file_without_a_line_break_ends_within_it() {
    let text = "last: |\n  no final newline";
    let r = root(text);
    let value = r.get("last").unwrap();
    assert_eq!(value.span.end, Pos { line: 2, col: 19 });
    assert_eq!(r.span.end, Pos { line: 2, col: 19 });
    // With the line break, the span ends at the start of the (empty) line after it, as before.
    let r = root("last: |\n  x\n");
    assert_eq!(r.get("last").unwrap().span.end, Pos { line: 3, col: 1 });
}

/// Found by the `yaml_loader` fuzz target (fuzz/regressions/yaml_loader/lone_cr*): YAML counts a
/// CR not followed by LF as a line break, and positions after one were on the parser's lines, not
/// on the file's LF-separated lines that code frames and the fix editor count (columns past the
/// end of a line, or the wrong line).
#[test]
fn positions_after_a_lone_carriage_return_count_lf_lines() {
    let text = "a: 1\rb: 2\nc: 3\n";
    let r = root(text);
    assert_eq!(
        r.get("b").unwrap().as_i64(),
        Some(2),
        "a lone CR still breaks lines"
    );
    assert_eq!(
        r.entry("b").unwrap().key_span.start,
        Pos { line: 1, col: 6 }
    );
    assert_eq!(
        r.entry("c").unwrap().key_span.start,
        Pos { line: 2, col: 1 }
    );
    let (_, errors) = yaml::load_str("a: 1\rb: [\nc: 3\n", &Limits::default());
    let pos = errors[0].pos;
    assert!(pos.line == 2 || (pos.line == 1 && pos.col <= 10), "{pos}");
}

/// Block scalars that run to the end of a text without a final line break read as libyaml and
/// go-yaml read them (checked against PyYAML): no line break is added at the end.
#[test]
fn block_scalars_at_the_end_of_the_text() {
    for (text, want) in [
        ("a: |\n  echo hi\n  x", "echo hi\nx"),
        ("a: |\n  x\n  ", "x\n"),
        ("a: |+\n  x\n\n  y", "x\n\ny"),
        ("a: |+\n  x\n\n  ", "x\n\n"),
        ("a: >\n  x\n  y", "x y"),
        ("a: |\n  x\n  # c", "x\n# c"),
        ("a: |\n  x\n    ", "x\n  "),
        ("a: |2\n   x", " x"),
        ("a: |\n  x\n# c", "x\n"),
        ("a: |-\n  x", "x"),
        ("a: |\n  x\n", "x\n"),
    ] {
        let (docs, errors) = palisade_core::yaml::load_str(text, &Limits::default());
        assert!(errors.is_empty(), "{text:?}");
        assert_eq!(
            docs[0].root.get("a").and_then(|n| n.as_str()),
            Some(want),
            "{text:?}"
        );
    }
}

/// UTF-16 with a byte-order mark is read as kubectl reads it: an unpaired surrogate or an odd
/// last byte becomes U+FFFD (found by the yaml_differential fuzz target), a NUL is still binary.
#[test]
fn utf16_is_decoded_as_kubectl_decodes_it() {
    let limits = SourceLimits::default();
    let mut bytes = vec![0xFF, 0xFE];
    for u in "a: \"x"
        .encode_utf16()
        .chain([0xD83D])
        .chain("y\"\n".encode_utf16())
    {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    bytes.push(b'z');
    let text = source::decode(&bytes, &limits).unwrap();
    assert_eq!(text, "a: \"x\u{FFFD}y\"\n\u{FFFD}");
    let mut be = vec![0xFE, 0xFF];
    for u in "k: v\n".encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    assert_eq!(source::decode(&be, &limits).unwrap(), "k: v\n");
    let nul = [0xFF, 0xFE, b'a', 0, 0, 0];
    assert!(matches!(
        source::decode(&nul, &limits),
        Err(source::InputError::Binary(4))
    ));
    let regression = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/yaml_differential/utf16_unpaired_surrogate"),
    )
    .unwrap();
    // Its first document (the ConfigMap) reads; its second is broken for libyaml too.
    let loaded = source::load_bytes(&"r.yaml".into(), &regression, &limits);
    assert_eq!(loaded.objects.len(), 1, "{:?}", loaded.errors);
    assert!(loaded.errors.iter().all(|e| e.pos().unwrap().line > 12));
}

/// Found by the yaml_differential fuzz target: a byte-order mark inside a document is an
/// ordinary character to libyaml (so to Kubernetes), and stays one in the value.
#[test]
fn a_byte_order_mark_inside_a_document_is_a_character() {
    let r = root("base: &b\n  h\u{FEFF}apiVero\nk: \u{FEFF}x\nq: \"a\u{FEFF}\"\n");
    assert_eq!(r.get("base").unwrap().as_str(), Some("h\u{FEFF}apiVero"));
    assert_eq!(r.get("k").unwrap().as_str(), Some("\u{FEFF}x"));
    assert_eq!(r.get("q").unwrap().as_str(), Some("a\u{FEFF}"));
    // Columns stay those of the text.
    let (docs, _) = yaml::load_str("a: \u{FEFF}x\nb: y\n", &Limits::default());
    let b = docs[0].root.entry("b").unwrap();
    assert_eq!((b.key_span.start.line, b.value.span.start.col), (2, 4));
    // A private-use character the text holds is left alone.
    let r = root("a: \u{E000}\u{FEFF}\n");
    assert_eq!(r.get("a").unwrap().as_str(), Some("\u{E000}\u{FEFF}"));
}

/// Found by the yaml_differential fuzz target: kubectl cuts a stream at `---` followed by any
/// white space Go knows (a vertical tab) or directly by a comment, which YAML does not take for a
/// document marker.
#[test]
fn documents_are_cut_where_kubectl_cuts_them() {
    for marker in ["---\u{0B}", "---#comment", "---\u{A0}"] {
        let text = format!("a: 1\n{marker}\nb: 2\n");
        let (docs, errors) = yaml::load_str(&text, &Limits::default());
        assert!(errors.is_empty(), "{marker:?}: {errors:?}");
        assert_eq!(docs.len(), 2, "{marker:?}");
        assert_eq!(docs[1].root.get("b").unwrap().as_i64(), Some(2));
        assert_eq!(docs[1].root.span.start.line, 3);
    }
    // `---foo` is content, as for kubectl (newer ones refuse it).
    let (docs, _) = yaml::load_str("a: |\n  x\n---foo: 1\n", &Limits::default());
    assert_eq!(docs.len(), 1);
}

/// Found by the yaml_differential fuzz target: a block scalar followed by a last line of blanks
/// without a line break keeps its final line break (only a scalar whose own last line ends the
/// file loses it).
#[test]
fn a_block_scalar_before_a_blank_last_line_keeps_its_line_break() {
    let r = root("b: |\n  x\n\n ");
    assert_eq!(r.get("b").unwrap().as_str(), Some("x\n"));
    let r = root("b: |\n  x");
    assert_eq!(r.get("b").unwrap().as_str(), Some("x"));
}

/// Found by the yaml_differential fuzz target: an odd last byte of a UTF-16 file is U+FFFD on its
/// own, never the second half of a surrogate pair.
#[test]
fn an_odd_last_utf16_byte_pairs_with_nothing() {
    let bytes = [0xFE, 0xFF, 0, b'a', 0, b':', 0, b' ', 0xDB, 0xDB, 0xDB];
    let text = source::decode(&bytes, &SourceLimits::default()).unwrap();
    assert_eq!(text, "a: \u{FFFD}\u{FFFD}");
}

/// The one-pass repair stays linear on hostile shapes: a long line of quotes and indicators, and
/// thousands of constructs at their key's column in one chunk, each read in one repair.
#[test]
fn the_indentation_repair_is_linear_on_hostile_input() {
    let started = std::time::Instant::now();
    let mut long = String::from("a: [");
    for _ in 0..100_000 {
        long.push_str("\"x\", - ? ");
    }
    long.push_str("\nb\n");
    let _ = yaml::load_str(&long, &Limits::default());
    let mut many = String::from("m:\n");
    for i in 0..5_000 {
        many.push_str(&format!("  k{i}: [\n  {i},\n  ]\n  q{i}: \"a\n  b\"\n"));
    }
    let (docs, errors) = yaml::load_str(&many, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    let m = docs[0].root.get("m").unwrap();
    assert_eq!(m.entries().len(), 10_000);
    assert_eq!(m.get("q4999").unwrap().as_str(), Some("a b"));
    assert_eq!(
        m.get("k4999").unwrap().as_seq().unwrap()[0].as_i64(),
        Some(4999)
    );
    // The key's span is still in the file's own columns.
    assert_eq!(m.entry("q4999").unwrap().key_span.start.col, 3);
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}

/// The istio shape: a flow list whose items and `]` sit at or left of its key's column hid the
/// privileged container after it. It reads as libyaml reads it, with the file's own positions.
#[test]
fn a_flow_list_left_of_its_key_reads_with_the_files_positions() {
    let text = "containers:\n  - name: csi\n    args: [\n  \"-dir\", \"/sock\",\n    ]\n    securityContext: {privileged: true}\n    env: [\n{name: A,\nvalue: \"1\"}]\n";
    let (docs, errors) = yaml::load_str(text, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    let c = &docs[0].root.get("containers").unwrap().as_seq().unwrap()[0];
    let args = c.get("args").unwrap().as_seq().unwrap();
    assert_eq!(args[0].as_str(), Some("-dir"));
    assert_eq!((args[0].span.start.line, args[0].span.start.col), (4, 3));
    assert_eq!((args[1].span.start.line, args[1].span.start.col), (4, 11));
    let sc = c.entry("securityContext").unwrap();
    assert_eq!((sc.key_span.start.line, sc.key_span.start.col), (6, 5));
    let p = sc.value.entry("privileged").unwrap();
    assert_eq!((p.key_span.start.line, p.key_span.start.col), (6, 23));
    assert_eq!(p.value.as_bool(), Some(true));
    let env = &c.get("env").unwrap().as_seq().unwrap()[0];
    let v = env.entry("value").unwrap();
    assert_eq!((v.key_span.start.line, v.key_span.start.col), (9, 1));
    assert_eq!(v.value.as_str(), Some("1"));
}
