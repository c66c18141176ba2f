//! Which documents to parse, decided on their raw text before any parse.

use memchr::memmem;

/// Which documents to parse. A text search decides, erring towards parsing: it must never skip a
/// document that holds an object the answer depends on.
pub(super) enum Needles {
    /// Documents whose `kind` is one of these words: `kind: WORD` in any quoting or JSON
    /// spelling; or that mention a word where the kind could be spelled in a way the search
    /// does not follow (an anchor, alias, tag, block scalar, a value on the next line, a merge
    /// key).
    Kinds(Vec<&'static str>),
    /// Documents containing every one of these words.
    All(Vec<memmem::Finder<'static>>),
}

impl Needles {
    pub(super) fn kinds(words: &[&'static str]) -> Needles {
        Needles::Kinds(words.to_vec())
    }

    pub(super) fn all(words: &[&str]) -> Needles {
        Needles::All(
            words
                .iter()
                .map(|w| memmem::Finder::new(w.as_bytes()).into_owned())
                .collect(),
        )
    }

    pub(super) fn wanted(&self, text: &[u8]) -> bool {
        if has_letter_escape(text) {
            return true;
        }
        match self {
            Needles::All(finders) => finders.iter().all(|f| f.find(text).is_some()),
            Needles::Kinds(words) => {
                let mentioned = || {
                    words
                        .iter()
                        .any(|w| memmem::find(text, w.as_bytes()).is_some())
                };
                kind_values(text).any(|value| match value {
                    KindValue::Plain(v) => words.iter().any(|w| {
                        v.starts_with(w.as_bytes())
                            && !v.get(w.len()).is_some_and(|&b| is_word_byte(b))
                    }),
                    KindValue::Unusual => mentioned(),
                }) || (memmem::find(text, b"<<").is_some() && mentioned())
            }
        }
    }
}

/// What follows a `kind` key.
enum KindValue<'a> {
    /// The text of the value, from its first character (after any quote).
    Plain(&'a [u8]),
    /// An anchor, alias, tag or block scalar: the value cannot be read in place.
    Unusual,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The values of every `kind` key of a text (`kind: X`, `"kind": "X"`, `{kind: X}`, a value on
/// the next line or after a comment).
fn kind_values(text: &[u8]) -> impl Iterator<Item = KindValue<'_>> {
    memmem::find_iter(text, b"kind").filter_map(move |i| {
        if i > 0 && is_word_byte(text[i - 1]) {
            return None;
        }
        let mut j = i + 4;
        while matches!(text.get(j), Some(b'"' | b'\'' | b' ' | b'\t')) {
            j += 1;
        }
        if text.get(j) != Some(&b':') {
            return None;
        }
        j += 1;
        loop {
            match text.get(j) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => j += 1,
                Some(b'#') => {
                    j = memchr::memchr(b'\n', &text[j..]).map_or(text.len(), |n| j + n);
                }
                _ => break,
            }
        }
        match text.get(j) {
            Some(b'&' | b'*' | b'!' | b'|' | b'>') => Some(KindValue::Unusual),
            Some(b'"' | b'\'') => Some(KindValue::Plain(&text[j + 1..])),
            Some(_) => Some(KindValue::Plain(&text[j..])),
            None => None,
        }
    })
}

fn has_letter_escape(text: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', text)
        .any(|i| matches!(text.get(i + 1), Some(b'x' | b'u' | b'U' | b'\n' | b'\r')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_wanted() {
        let n = Needles::kinds(&["NetworkPolicy", "Namespace"]);
        for yes in [
            "kind: NetworkPolicy",
            "kind:   'Namespace'  # x",
            "{\"apiVersion\": \"v1\", \"kind\":\"Namespace\"}",
            "items:\n- {kind: NetworkPolicy, apiVersion: networking.k8s.io/v1}",
            // Spellings the search cannot follow are parsed too.
            "kind: \"Network\\x50olicy\"",
            "kind: \"Network\\\n  Policy\"",
            "kind: !!str Namespace",
            "kind: &k Namespace",
            "kind:\n  Namespace",
            "base: &b {kind: Namespace}\nobj:\n  <<: *b",
        ] {
            assert!(n.wanted(yes.as_bytes()), "{yes}");
        }
        for no in [
            "kind: Deployment",
            "kind: Deployment\nspec:\n  namespaceSelector: {}",
            "kind: CustomResourceDefinition\nscope: Namespaced\ndescription: the Namespace of the NetworkPolicy",
            "kind: NamespaceConfig",
            "subkind: Namespace",
        ] {
            assert!(!n.wanted(no.as_bytes()), "{no}");
        }
        let all = Needles::all(&["containerPort", "app"]);
        assert!(all.wanted(b"app: x\ncontainerPort: 80"));
        assert!(!all.wanted(b"app: x"));
    }
}
