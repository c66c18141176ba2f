//! The one text prefilter of the query commands (`rbac`, `netpol can-reach`): which documents to
//! parse, decided on their bytes, so that a question over a whole repository of manifests costs a
//! text search rather than a parse of every document.
//!
//! It may only skip a document that certainly holds none of the values asked for. Keys are not
//! looked for: an earlier filter read `kind: X` and missed an explicit key (`? kind`), so a
//! NetworkPolicy went unread and a blocked connection was called allowed. What is certain is
//! this: a scalar's value is its source text except where YAML or JSON transforms it, and of the
//! transforms only these can produce a word whose bytes are not in the text (folding and block
//! scalars add white space or line breaks, aliases and merge keys copy text of the same document,
//! which the loader cuts where this filter does):
//!
//! - escapes of double-quoted and JSON strings: `\x`, `\u`, `\U` spell any character, `\/` a
//!   slash, and an escaped line break joins two lines;
//! - `!!binary` scalars, which the loader base64-decodes as go-yaml v2 does (a tag starts with
//!   `!` and can only mean binary through the text `binary` or a `%` escape in it);
//! - keys and values the loader names in another spelling: `yes:` is the key `true`, `0x10:` the
//!   key `16` (sigs.k8s.io/yaml), so a word that is such a name is never searched for.
//!
//! A document with any of these is parsed. Where a word must be a whole key or value (a kind, a
//! label), an occurrence inside a longer scalar (`GlobalNetworkPolicy`, `the Namespace of`) does
//! not count: the characters touching it decide that, whatever the context
//! ([`may_be_whole_scalar`]).

use memchr::memmem;

/// Which documents a command parses.
pub struct Prefilter {
    finders: Vec<memmem::Finder<'static>>,
    /// Every word must be found, not one.
    all: bool,
    /// Only occurrences that may be a whole scalar count (see [`may_be_whole_scalar`]).
    whole: bool,
    /// A word the text search cannot find with certainty: parse everything.
    everything: bool,
}

impl Prefilter {
    /// Documents that may hold one of `words` anywhere (an API group, which starts
    /// `apiVersion`).
    pub fn any_text(words: &[&str]) -> Prefilter {
        Prefilter::new(words, false, false)
    }

    /// Documents that may hold one of `words` as a whole key or value (a kind).
    pub fn any_scalar(words: &[&str]) -> Prefilter {
        Prefilter::new(words, false, true)
    }

    /// Documents that may hold every one of `words` as a whole key or value (`containerPort`
    /// and the label keys and values of a workload).
    pub fn all_scalars(words: &[&str]) -> Prefilter {
        Prefilter::new(words, true, true)
    }

    fn new(words: &[&str], all: bool, whole: bool) -> Prefilter {
        // Each word is one more search of every document: words given more than once (ten
        // copies of a policy library name the same params ten times) are searched once.
        let mut distinct = words.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        Prefilter {
            finders: distinct
                .iter()
                .map(|w| memmem::Finder::new(w.as_bytes()).into_owned())
                .collect(),
            all,
            whole,
            everything: words.iter().any(|w| !searchable(w)),
        }
    }

    /// Whether a document (or a whole input, before it is cut into documents) must be parsed.
    pub fn wanted(&self, text: &[u8]) -> bool {
        Prefilter::any_wanted(&[self], text)
    }

    /// Whether any of `filters` wants the document: [`Prefilter::wanted`] of each, with the
    /// search for escapes and tags, which is the same for all of them, made once.
    pub fn any_wanted(filters: &[&Prefilter], text: &[u8]) -> bool {
        filters.iter().any(|f| f.everything)
            || may_spell_otherwise(text)
            || filters.iter().any(|f| f.found(text))
    }

    /// Whether the words are in the text as written (no escape or tag considered).
    fn found(&self, text: &[u8]) -> bool {
        let found = |f: &memmem::Finder<'_>| {
            if self.whole {
                let len = f.needle().len();
                f.find_iter(text)
                    .any(|i| may_be_whole_scalar(text, i, i + len))
            } else {
                f.find(text).is_some()
            }
        };
        if self.all {
            self.finders.iter().all(found)
        } else {
            self.finders.iter().any(found)
        }
    }
}

/// Whether the occurrence `text[start..end]` may be a whole scalar, the only way a key or value
/// can equal the word without an escape (folding adds white space, a tag or anchor name is no
/// value). It may not when a character that continues the scalar touches it: before it anything
/// but white space, a quote, `:`, `?`, `[`, `{` or `,` (`GlobalNetworkPolicy`, `-Namespace`,
/// `!Namespace`); after it anything but white space, a quote, `:`, `,`, `]` or `}`, or, after
/// spaces, anything but the end of the line, a comment or those (`the Namespace of`,
/// `Namespaces`). Every other occurrence counts, in any context: a quote or `,` inside a longer
/// scalar only makes the document parsed.
fn may_be_whole_scalar(text: &[u8], start: usize, end: usize) -> bool {
    let before_ok = start == 0
        || matches!(
            text[start - 1],
            b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b':' | b'?' | b'[' | b'{' | b','
        );
    if !before_ok {
        return false;
    }
    let ends = |c: u8| matches!(c, b'"' | b'\'' | b':' | b',' | b']' | b'}' | b'\n' | b'\r');
    match text.get(end) {
        None => true,
        Some(b' ' | b'\t') => {
            let rest = &text[end..];
            match rest.iter().find(|c| !matches!(c, b' ' | b'\t')) {
                None => true,
                Some(&c) => c == b'#' || ends(c),
            }
        }
        Some(&c) => ends(c),
    }
}

/// Whether a word's bytes must appear wherever a value or key equals it: not when the loader may
/// name a key of another spelling with it (the canonical forms of YAML 1.1 booleans and numbers:
/// `true`, `false`, anything starting with a digit, a sign or a point), nor when it holds a
/// character a quoting style escapes (`''` in single quotes) or white space.
fn searchable(word: &str) -> bool {
    !matches!(word, "true" | "false")
        && !word.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
        && !word.contains(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '\\'))
}

/// Whether the text holds an escape or a tag through which a value can spell a word whose bytes
/// are not in the text (see the module documentation).
fn may_spell_otherwise(text: &[u8]) -> bool {
    escape_may_spell(text) || memchr::memchr_iter(b'!', text).any(|i| binary_tag_at(text, i))
}

/// Whether a backslash escape may spell a character of a word: `\x`, `\u`, `\U`, `\/` or an
/// escaped line break. A backslash takes the next character with it (`"C:\\Users"` holds an
/// escaped backslash, not `\U`); outside double quotes backslashes escape nothing, so pairing
/// them there hides no escape either.
fn escape_may_spell(text: &[u8]) -> bool {
    let mut from = 0;
    while let Some(n) = memchr::memchr(b'\\', &text[from..]) {
        let i = from + n;
        match text.get(i + 1) {
            Some(b'x' | b'u' | b'U' | b'/' | b'\n' | b'\r') => return true,
            Some(_) => from = i + 2,
            None => return false,
        }
    }
    false
}

/// Whether a `!` at `i` may start a tag that means `!!binary`: it starts a token (a tag follows
/// white space, a flow indicator, `:`, `-` or `?`; a shebang's `#!` is no tag) and the token, up
/// to white space, holds `binary` or a `%` escape (`!!binary`, `!<tag:yaml.org,2002:binary>`,
/// `!e!binary` or `!binary` under a `%TAG` directive, `!!bin%61ry`).
fn binary_tag_at(text: &[u8], i: usize) -> bool {
    let starts_token = i == 0
        || matches!(
            text[i - 1],
            b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':' | b'-' | b'?'
        );
    if !starts_token {
        return false;
    }
    let token = &text[i..];
    let token = &token[..token
        .iter()
        .position(u8::is_ascii_whitespace)
        .unwrap_or(token.len())];
    memmem::find(token, b"binary").is_some() || token.contains(&b'%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_anywhere_in_any_spelling() {
        let f = Prefilter::any_scalar(&["NetworkPolicy", "Namespace"]);
        for yes in [
            "kind: NetworkPolicy",
            "kind:   'Namespace'  # x",
            "{\"apiVersion\": \"v1\", \"kind\":\"Namespace\"}",
            "items:\n- {kind: NetworkPolicy, apiVersion: networking.k8s.io/v1}",
            // An explicit key: the old prefilter skipped this document.
            "apiVersion: networking.k8s.io/v1\n? kind\n: NetworkPolicy\n",
            "? \"kind\"\n: \"NetworkPolicy\"",
            "{? kind : Namespace}",
            // Spellings a text search cannot follow are parsed too.
            "kind: \"Network\\x50olicy\"",
            "{\"kind\": \"Network\\u0050olicy\"}",
            "kind: \"Network\\\n  Policy\"",
            "kind: !!binary TmV0d29ya1BvbGljeQ==",
            "kind: !!bin%61ry TmV0d29ya1BvbGljeQ==",
            "kind: !!str Namespace",
            "kind: !<tag:yaml.org,2002:binary> TmV0d29ya1BvbGljeQ==",
            "kind: Secret\ndata: {a: !!binary YQ==}",
            "kind: &k Namespace",
            "kind:\n  Namespace",
            "base: &b {kind: Namespace}\nobj:\n  <<: *b",
            "- Namespace\n",
            "[Namespace]",
            "kind: \"Namespace\"  # quoted",
            "kind: |-\n  Namespace\n",
            // An occurrence that may end a scalar is enough: parsing is the cost of doubt.
            "description: the Namespace of the\n  NetworkPolicy",
            "description: \"the NetworkPolicy, or not\"",
        ] {
            assert!(f.wanted(yes.as_bytes()), "{yes}");
        }
        for no in [
            "kind: Deployment",
            "kind: Deployment\nspec:\n  namespaceSelector: {}",
            "kind: NamespaceConfig",
            "kind: GlobalNetworkPolicy",
            "kind: CustomResourceDefinition\ndescription: the Namespace of the NetworkPolicy.",
            "description: Namespaces hold NetworkPolicy objects",
            "kind: !Namespace x\nname: &Namespace y\nother: *Namespace",
            "kind: ConfigMap\ndata:\n  script: \"#!/bin/sh\\necho 100%\"",
            "kind: ConfigMap\ndata: {a: \"!important: 100%\"}",
            "kind: ConfigMap\ndata: {path: \"C:\\\\Users\"}",
        ] {
            assert!(!f.wanted(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn api_groups_anywhere() {
        let f = Prefilter::any_text(&["rbac.authorization.k8s.io"]);
        assert!(f.wanted(b"apiVersion: rbac.authorization.k8s.io/v1"));
        assert!(f.wanted(b"apiVersion: \"rbac.authorization.k8s\\x2eio/v1\""));
        assert!(!f.wanted(b"apiVersion: apps/v1\nkind: Deployment"));
    }

    #[test]
    fn every_word_for_workloads() {
        let f = Prefilter::all_scalars(&["containerPort", "app", "web"]);
        assert!(f.wanted(b"labels: {app: web}\nports: [{containerPort: 80}]"));
        assert!(!f.wanted(b"labels: {app: db}\nports: [{containerPort: 80}]"));
        assert!(!f.wanted(b"labels: {app: webshop}\nports: [{containerPort: 80}]"));
        assert!(f.wanted(b"labels: {app: \"w\\x65b\"}\nports: [{containerPort: 80}]"));
        // `yes:` is the key `true`; `0x10` the value 16 in a number position.
        assert!(Prefilter::all_scalars(&["containerPort", "true", "x"]).wanted(b"kind: Pod"));
        assert!(Prefilter::all_scalars(&["containerPort", "16"]).wanted(b"kind: Pod"));
        assert!(
            Prefilter::all_scalars(&["containerPort", "app.kubernetes.io/name"])
                .wanted(b"\"app.kubernetes.io\\/name\": web\ncontainerPort: 1")
        );
    }
}
