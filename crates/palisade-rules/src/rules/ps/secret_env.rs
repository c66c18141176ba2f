//! PS153 `secret-in-environment`: a credential written into a manifest as a literal environment
//! variable (or read from a ConfigMap) instead of coming from a Secret.
//!
//! The rule guesses from names, so it is built to stay quiet when unsure: a credential-looking
//! word must be in the name, the last word of the name must not turn it into something else
//! (`TOKEN_PATH`, `SECRET_NAME`, `PASSWORD_FILE`), and the value must look like a secret rather
//! than a reference, a placeholder, a path, a flag or a count. Values are never echoed.

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Object, ObjectRule, PodTemplate, RuleMeta, Severity, VersionRange,
};

use crate::workload::describe;

static META: RuleMeta = RuleMeta {
    code: "PS153",
    name: "secret-in-environment",
    severity: Severity::Medium,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.4.1: Prefer using Secrets as files over Secrets as \
         environment variables",
        "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables",
        "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
    ],
    summary: "A credential is written into the manifest as an environment variable",
    what: "The `env` of every container, init container and ephemeral container is searched \
           for variables whose name says they hold a credential — a word such as PASSWORD, \
           PASSWD, PASS, PWD, PASSPHRASE, SECRET, TOKEN, CREDENTIALS, or API/ACCESS/PRIVATE/\
           AUTH/SIGNING/ENCRYPTION/MASTER followed by KEY (in SNAKE_CASE or camelCase) — \
           unless the name ends in a word that makes it about the credential rather than the \
           credential itself (FILE, PATH, DIR, NAME, REF, ID, URL, HOST, PORT, ENABLED, TTL, \
           TIMEOUT, LENGTH, TYPE, …). Such a variable is reported when it has a literal `value` \
           — not empty, not only `$(VAR)` / `${VAR}` / `{{ }}` references or placeholders, not \
           a path, a boolean, a short number, or a fill-in placeholder (`<your-token>`, \
           `INSERT_…`, `YOUR_…`, the variable's own name) — and when it is read from a ConfigMap \
           with `configMapKeyRef`. Independently of the name, a literal value that is a URL with a \
           password in it (`postgres://user:pw@db/app`) is reported.",
    why: "A literal credential in a manifest is stored in version control, in CI logs, in every \
          copy of the chart, and in the workload object itself: anyone who may `get` the \
          Deployment (a far wider group than those who may read Secrets) reads it, it appears \
          in `kubectl describe`, and it is not encrypted at rest by the API server's Secret \
          encryption. ConfigMaps have the same problems. Rotating it means editing and \
          redeploying the workload. Secrets can be protected by RBAC, encrypted at rest, and \
          managed by an external secret store.",
    example: "# fails\nenv:\n- name: DB_PASSWORD\n  value: hunter2\n\
              # passes\nenv:\n- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      \
              name: db\n      key: password\n- name: DB_PASSWORD_FILE\n  value: \
              /run/secrets/db/password",
    fix: "Move the value into a Secret (created outside the manifest repository, or managed by \
          an external secret operator or sealed secrets) and reference it with \
          `valueFrom.secretKeyRef` — or, better, mount the Secret as a file and point the \
          program at it, since environment variables leak into crash dumps and child \
          processes. Then rotate the credential: it has been exposed.",
    help: "take the value from a Secret (`valueFrom.secretKeyRef`, or a mounted Secret file) and \
           rotate the exposed credential",
};

pub struct SecretEnv;

pub static RULE: SecretEnv = SecretEnv;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

/// Words that name a credential on their own.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "PRIVATEKEY",
    "ACCESSKEY",
    "SECRETKEY",
];

/// Words that name a credential when followed by `KEY`.
const KEY_QUALIFIERS: &[&str] = &[
    "API",
    "ACCESS",
    "PRIVATE",
    "AUTH",
    "SIGNING",
    "ENCRYPTION",
    "MASTER",
];

/// Last words that make the name about a credential rather than the credential.
const NOT_THE_SECRET: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "DIRECTORY",
    "NAME",
    "NAMES",
    "REF",
    "ID",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "ADDR",
    "ADDRESS",
    "SERVER",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "REQUIRED",
    "TTL",
    "EXPIRY",
    "EXPIRATION",
    "EXPIRES",
    "LIFETIME",
    "TIMEOUT",
    "INTERVAL",
    "DURATION",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
    "LENGTH",
    "LEN",
    "SIZE",
    "MIN",
    "MAX",
    "LIMIT",
    "COUNT",
    "TYPE",
    "KIND",
    "MODE",
    "METHOD",
    "FORMAT",
    "ALGORITHM",
    "ALG",
    "HEADER",
    "PREFIX",
    "SUFFIX",
    "FIELD",
    "NAMESPACE",
    "MOUNT",
    "VOLUME",
    "LOCATION",
    "PROVIDER",
    "SOURCE",
    "STORE",
    "BACKEND",
    "AUDIENCE",
    "ISSUER",
    "SCOPE",
    "SCOPES",
    "VERSION",
    "POLICY",
    "ROTATION",
    "REFRESH",
    "LABEL",
    "USER",
    "USERNAME",
];

/// Splits an environment variable name into upper-case words at `_`, `-`, `.` and camelCase
/// boundaries.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch.to_ascii_uppercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether an environment variable name says it holds a credential.
pub fn credential_name(name: &str) -> bool {
    let w = words(name);
    let Some(last) = w.last() else {
        return false;
    };
    if NOT_THE_SECRET.contains(&last.as_str()) {
        return false;
    }
    // `PWD` alone is the shell's working directory.
    if w.len() == 1 && w[0] == "PWD" {
        return false;
    }
    w.iter().enumerate().any(|(i, word)| {
        SECRET_WORDS.contains(&word.as_str())
            || (word == "KEY" && i > 0 && KEY_QUALIFIERS.contains(&w[i - 1].as_str()))
    })
}

/// Whether a literal value looks like a secret rather than a reference, a placeholder, a path,
/// a flag or a small number.
pub fn literal_secret(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return false;
    }
    // `$(VAR)` is expanded by the kubelet from other variables; `${VAR}` and `{{ }}` are
    // placeholders of envsubst, kustomize or a template engine that were not rendered.
    if v.contains("$(") || v.contains("${") || v.contains("{{") {
        return false;
    }
    if v.starts_with('/') || v.starts_with("./") || v.starts_with("file:") {
        return false;
    }
    if palisade_core::yaml::scalar::yaml11_bool(v).is_some() || v.eq_ignore_ascii_case("true") {
        return false;
    }
    if v.len() < 4 && v.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // A URL is a secret only when it carries a password (see `url_password`).
    if v.contains("://") {
        return url_password(v);
    }
    true
}

/// Whether a value is an instruction to fill in rather than a credential: `<your-token>`,
/// `INSERT_TOKEN`, `YOUR_API_KEY`, the variable's own name, or one of its words in capitals
/// (`HF_TOKEN: HF_TOKEN`, `COOKIE_SECRET: SECRET`). Such a manifest is an example; the finding
/// belongs to the copy where someone pastes the real value.
fn placeholder(name: &str, value: &str) -> bool {
    let v = value.trim();
    if v.starts_with('<') && v.ends_with('>') {
        return true;
    }
    let upper = v.to_ascii_uppercase();
    if ["INSERT", "REPLACE", "YOUR_", "YOUR-", "ENTER_", "ENTER-"]
        .iter()
        .any(|p| upper.starts_with(p))
    {
        return true;
    }
    // A word of the name only in capitals, as placeholders are written: `password` or
    // `postgres` for `POSTGRES_PASSWORD` is a real (weak) password.
    upper == name.to_ascii_uppercase() || (v == upper && words(name).contains(&upper))
}

/// Whether a value is a URL with a literal password in its user info
/// (`scheme://user:password@host`).
fn url_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((userinfo, _host)) = authority.rsplit_once('@') else {
        return false;
    };
    let Some((_user, password)) = userinfo.split_once(':') else {
        return false;
    };
    !password.is_empty() && !password.contains("$(") && !password.contains("${")
}

impl ObjectRule for SecretEnv {
    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        self.check_pod(cx, object, object.pod_template().as_ref(), out);
    }

    fn check_pod(
        &self,
        _cx: &Context<'_>,
        _object: &Object,
        pod: Option<&PodTemplate<'_>>,
        out: &mut Emitter<'_>,
    ) {
        let Some(pod) = pod.cloned() else {
            return;
        };
        for c in pod.containers() {
            let env = c.node.get("env").map(Node::items).unwrap_or(&[]);
            for (i, var) in env.iter().enumerate() {
                let Some(name) = var.get("name").and_then(Node::as_str) else {
                    continue;
                };
                let who = describe(&c);
                if let Some(value) = var.get("value").and_then(Node::as_str) {
                    let message = if credential_name(name)
                        && literal_secret(value)
                        && !placeholder(name, value)
                    {
                        format!(
                            "{who} sets environment variable \"{name}\" to a literal value: a \
                             credential written into the manifest instead of taken from a Secret"
                        )
                    } else if url_password(value.trim()) && literal_secret(value) {
                        format!(
                            "{who} sets environment variable \"{name}\" to a URL with a literal \
                             password in it, instead of taking the password from a Secret"
                        )
                    } else {
                        continue;
                    };
                    out.report_container(&c, &format!("{}/env/{i}/value", c.pointer), message);
                } else if credential_name(name)
                    && var.path(&["valueFrom", "configMapKeyRef"]).is_some()
                {
                    out.report_container(
                        &c,
                        &format!("{}/env/{i}/valueFrom/configMapKeyRef", c.pointer),
                        format!(
                            "{who} reads environment variable \"{name}\" from a ConfigMap: \
                             credentials belong in a Secret"
                        ),
                    );
                }
            }
        }
    }
}
