//! YAML 1.1 scalar resolution, as Kubernetes applies it.
//!
//! The API server and kubectl decode YAML with go-yaml v2 semantics (YAML 1.1): `yes`, `on`, `y`
//! are `true`; `0777` is octal; `1_000` is an integer. Most Rust YAML crates follow YAML 1.2 and
//! would return the string "yes" for `hostNetwork: yes` — a silent false negative for a security
//! scanner. This module reproduces go-yaml v2's `resolve` for plain scalars.

use super::node::ScalarKind;

/// Resolves a plain (unquoted, untagged) scalar as go-yaml v2.4's `resolve` does (the rules are
/// listed in `docs/yaml-compatibility.md`).
pub fn resolve_plain(text: &str) -> ScalarKind {
    if text.is_empty() {
        return ScalarKind::Null;
    }
    match text {
        "~" | "null" | "Null" | "NULL" => return ScalarKind::Null,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return ScalarKind::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return ScalarKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return ScalarKind::Float(f64::NAN),
        _ => {}
    }
    if let Some(b) = yaml11_bool(text) {
        return ScalarKind::Bool(b);
    }
    match text.as_bytes()[0] {
        // Go's `strconv.ParseFloat` on the text as written.
        b'.' => go_parse_float(text).map_or(ScalarKind::Str, ScalarKind::Float),
        b'0'..=b'9' | b'-' | b'+' => {
            // Timestamps (`2001-12-14`) stay strings, and nothing starting `DDDD-` is a number.
            let plain = text.replace('_', "");
            if let Some(i) = parse_go_int(&plain) {
                return ScalarKind::Int(i);
            }
            if is_yaml_float(&plain) {
                if let Some(f) = go_parse_float(&plain) {
                    return ScalarKind::Float(f);
                }
            }
            ScalarKind::Str
        }
        _ => ScalarKind::Str,
    }
}

/// Resolves a scalar carrying a core-schema tag (`!!str`, `!!int`, …) the way go-yaml v2 does
/// when the value fits the tag (go-yaml refuses the document otherwise; Palisade then keeps the
/// text as a string). `!!binary` is a string here; the loader decodes its base64.
pub fn resolve_tagged(suffix: &str, text: &str) -> ScalarKind {
    let plain = resolve_plain(text);
    match (suffix, plain) {
        ("null", _) => ScalarKind::Null,
        ("bool", k @ ScalarKind::Bool(_)) => k,
        ("int", k @ ScalarKind::Int(_)) => k,
        ("float", k @ ScalarKind::Float(_)) => k,
        ("float", ScalarKind::Int(i)) => ScalarKind::Float(i as f64),
        _ => ScalarKind::Str,
    }
}

/// A mapping key as Kubernetes names it: `sigs.k8s.io/yaml` turns go-yaml's keys into JSON keys —
/// a boolean is `true`/`false`, an integer is written in decimal (`0x10:` is the key "16"), a
/// float with Go's `FormatFloat(f, 'g', -1, 32)`. `None` when the key is its text.
pub fn json_key(kind: ScalarKind) -> Option<String> {
    match kind {
        ScalarKind::Str | ScalarKind::Null => None,
        ScalarKind::Bool(b) => Some(b.to_string()),
        ScalarKind::Int(i) => Some(i.to_string()),
        ScalarKind::Float(f) => Some(go_format_float32_g(f)),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, with `sigs.k8s.io/yaml`'s names for the
/// infinities and NaN.
fn go_format_float32_g(f: f64) -> String {
    let g = f as f32;
    if g.is_nan() {
        return ".nan".into();
    }
    if g.is_infinite() {
        return if g > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if g == 0.0 {
        return if g.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // The shortest digits that read back as the same f32, and the decimal exponent.
    let e = format!("{g:e}");
    let (mantissa, exp) = e.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    let sign = if mantissa.starts_with('-') { "-" } else { "" };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..6).contains(&exp) {
        let frac = if digits.len() > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!(
            "{sign}{}{frac}e{esign}{:02}",
            &digits[..1],
            exp.unsigned_abs()
        )
    } else if exp < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        }
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text: an optional sign, digits with at most one
/// point (at least one digit), an optional exponent, underscores only between digits. `None` on
/// a syntax error or when the value overflows (Go's `ErrRange`).
fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut digits = 0;
    let mut point = false;
    // `saw`: what came last, for the underscore rule: b'0' digit, b'_' underscore, 0 other.
    let mut saw = 0u8;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => {
                digits += 1;
                saw = b'0';
            }
            b'_' if saw == b'0' => saw = b'_',
            b'_' => return None,
            b'.' if !point && saw != b'_' => {
                point = true;
                saw = 0;
            }
            _ => break,
        }
        i += 1;
    }
    if digits == 0 || saw == b'_' {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    let f: f64 = s.replace('_', "").parse().ok()?;
    f.is_finite().then_some(f)
}

/// Go's `base64.StdEncoding.DecodeString` (padding required, CR and LF ignored): how go-yaml
/// reads a `!!binary` scalar.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|&b| b != b'\n' && b != b'\r').collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let quads = clean.len() / 4;
    let mut out = Vec::with_capacity(quads * 3);
    for (q, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && q + 1 != quads) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = acc << 6 | val(c)?;
        }
        acc <<= 6 * pad as u32;
        out.extend_from_slice(&acc.to_be_bytes()[1..4 - pad]);
    }
    Some(out)
}

/// The YAML 1.1 boolean spellings go-yaml v2 accepts.
pub fn yaml11_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` after removing underscores: optional sign, then decimal,
/// `0x` hex, `0o` or leading-`0` octal, `0b` binary.
pub(crate) fn parse_go_int(text: &str) -> Option<i64> {
    let cleaned;
    let text = if text.contains('_') {
        cleaned = text.replace('_', "");
        cleaned.as_str()
    } else {
        text
    };
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let lower = digits.get(..2).map(str::to_ascii_lowercase);
    let (radix, body) = match lower.as_deref() {
        Some("0x") => (16, &digits[2..]),
        Some("0o") => (8, &digits[2..]),
        Some("0b") => (2, &digits[2..]),
        _ if digits.len() > 1 && digits.starts_with('0') => (8, &digits[1..]),
        _ => (10, digits),
    };
    if body.is_empty() || !body.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `s` as a double-quoted scalar, valid both as YAML and as a JSON string: what the fix editor and
/// the hardening bundle write when a plain scalar could be misread.
///
/// Escaped besides `"` and `\`: control characters (a raw line break would end the scalar's
/// line), U+2028/U+2029 (YAML 1.1 line breaks: a reader folds them into a space, changing the
/// value), U+FEFF (a byte-order mark some readers drop) and U+FFFE/U+FFFF (not allowed in a YAML
/// stream at all: go-yaml rejects the file).
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as a YAML scalar that every reader takes for exactly this string, wherever it stands (a
/// mapping key or value, block or flow context): plain when that is unambiguous, double-quoted
/// otherwise. This is the one place generated YAML gets its strings from; a value written through
/// it can never leave its position (a newline, `: `, `#`, `{` or a quote in it is escaped inside
/// the quotes).
///
/// Plain means: an ASCII letter first (no indicator, number, timestamp or `.inf` can start that
/// way), then letters, digits and `.` `_` `/` `-`, and not one of YAML 1.1's words for booleans
/// and null (`yes`, `off`, `y`, `null`, …). Everything else is quoted, `system:nodes` included:
/// this is what the hardening bundle has always written.
pub fn plain_or_quoted(s: &str) -> String {
    quoted_unless_plain(s, &[])
}

/// [`plain_or_quoted`] for image references, URLs and base64, which also stay plain with `:` `@`
/// `+` `=` inside (`registry:5000/app:v1@sha256:…`): none of those can make a plain scalar that
/// starts with a letter mean anything else, as long as it does not end in `:` (a `:` separates a
/// key only before a space, a line end or a flow indicator). What the webhook manifests have
/// always written.
pub fn plain_or_quoted_reference(s: &str) -> String {
    quoted_unless_plain(s, &[':', '@', '+', '='])
}

fn quoted_unless_plain(s: &str, also: &[char]) -> String {
    const WORDS: [&str; 12] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan", "inf",
    ];
    let mut chars = s.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-') || also.contains(&c)
        })
        && !s.ends_with(':')
        && !WORDS.iter().any(|w| w.eq_ignore_ascii_case(s));
    if plain {
        s.to_owned()
    } else {
        double_quoted(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_booleans_resolve_like_kubernetes() {
        for t in [
            "yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "true", "True",
        ] {
            assert_eq!(resolve_plain(t), ScalarKind::Bool(true), "{t}");
        }
        for t in ["no", "off", "OFF", "n", "N", "false", "FALSE"] {
            assert_eq!(resolve_plain(t), ScalarKind::Bool(false), "{t}");
        }
        assert_eq!(resolve_plain("yEs"), ScalarKind::Str);
    }

    #[test]
    fn integers_follow_go_parse_int() {
        assert_eq!(resolve_plain("0"), ScalarKind::Int(0));
        assert_eq!(resolve_plain("1000"), ScalarKind::Int(1000));
        assert_eq!(resolve_plain("-1"), ScalarKind::Int(-1));
        assert_eq!(resolve_plain("0777"), ScalarKind::Int(0o777));
        assert_eq!(resolve_plain("0o17"), ScalarKind::Int(15));
        assert_eq!(resolve_plain("0x1F"), ScalarKind::Int(31));
        assert_eq!(resolve_plain("0b101"), ScalarKind::Int(5));
        assert_eq!(resolve_plain("1_000"), ScalarKind::Int(1000));
        assert_eq!(resolve_plain("089"), ScalarKind::Float(89.0));
        assert_eq!(resolve_plain("1.5"), ScalarKind::Float(1.5));
        assert_eq!(resolve_plain("1e3"), ScalarKind::Float(1000.0));
        assert_eq!(resolve_plain("1.2.3"), ScalarKind::Str);
        assert_eq!(resolve_plain("-"), ScalarKind::Str);
        assert_eq!(resolve_plain("="), ScalarKind::Str);
    }

    /// Hostile strings, as a mapping key and value in block and flow context, read back as
    /// exactly themselves and add nothing to the document.
    #[test]
    fn plain_or_quoted_never_leaves_its_position() {
        for s in [
            "web",
            "registry.example.com:5000/app:v1@sha256:0123",
            "LS0tLS1CRUdJTiBDRVJU+/==",
            "a+b=c",
            "x\nkind: ClusterRoleBinding",
            "a: b",
            "a:",
            "#x",
            "a #b",
            "[a, b]",
            "{a: b}",
            "- a",
            "? a",
            "& a",
            "*a",
            "!!bool yes",
            "|\n  a",
            "'",
            "\"",
            "\\",
            "yes",
            "Off",
            "~",
            "null",
            "0777",
            "1e3",
            ".inf",
            "",
            " a ",
            "a\r\nb",
            "line\u{2028}sep\u{2029}x",
            "bom\u{feff}x",
            "nel\u{85}x",
            "del\u{7f}x",
            "nonchar\u{fffe}\u{ffff}",
            "---",
            "...",
            "%YAML 1.1",
            "a\tb",
            "\u{0}",
            "<<",
            "=",
        ] {
            for q in [plain_or_quoted(s), plain_or_quoted_reference(s)] {
                let text =
                format!("apiVersion: v1\nkind: T\nk: {q}\n{q}: v\nl:\n- {q}\nf: [{q}, x]\nm: {{{q}: {q}}}\n");
                let loaded = crate::source::objects_from_str("t.yaml", &text);
                assert!(
                    loaded.errors.is_empty(),
                    "{s:?}: {:?}\n{text}",
                    loaded.errors
                );
                assert_eq!(loaded.objects.len(), 1, "{s:?}\n{text}");
                let node = &loaded.objects[0].node;
                assert_eq!(node.entries().len(), 7, "{s:?}\n{text}");
                let str_of = |n: &crate::yaml::Node| match &n.value {
                    crate::yaml::Value::Scalar(sc) => {
                        assert_eq!(sc.kind(), ScalarKind::Str, "{s:?}\n{text}");
                        sc.text.to_string()
                    }
                    other => panic!("{s:?}: {other:?}\n{text}"),
                };
                assert_eq!(str_of(node.get("k").unwrap()), s, "{text}");
                assert_eq!(str_of(node.get(s).expect("the key reads back")), "v");
                let l = node.get("l").unwrap();
                assert_eq!(str_of(&l.as_seq().unwrap()[0]), s);
                let f = node.get("f").unwrap();
                assert_eq!(str_of(&f.as_seq().unwrap()[0]), s);
                assert_eq!(str_of(&f.as_seq().unwrap()[1]), "x");
                let m = node.get("m").unwrap();
                assert_eq!(m.entries().len(), 1);
                assert_eq!(str_of(m.get(s).unwrap()), s);
            }
        }
        assert_eq!(plain_or_quoted("palisade-system"), "palisade-system");
        assert_eq!(plain_or_quoted("system:nodes"), "\"system:nodes\"");
        assert_eq!(
            plain_or_quoted_reference("ghcr.io/palisade-dev/palisade:0.1.0"),
            "ghcr.io/palisade-dev/palisade:0.1.0"
        );
        assert_eq!(plain_or_quoted_reference("a:"), "\"a:\"");
        assert_eq!(plain_or_quoted("a\u{2028}"), "\"a\\u2028\"");
    }

    #[test]
    fn nulls_and_tags() {
        assert_eq!(resolve_plain(""), ScalarKind::Null);
        assert_eq!(resolve_plain("~"), ScalarKind::Null);
        assert_eq!(resolve_tagged("str", "true"), ScalarKind::Str);
        assert_eq!(resolve_tagged("bool", "on"), ScalarKind::Bool(true));
        assert_eq!(resolve_tagged("int", "12"), ScalarKind::Int(12));
    }
}
