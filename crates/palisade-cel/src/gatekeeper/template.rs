//! A ConstraintTemplate read into the policy model: its `K8sNativeValidation` source with the two
//! variables Gatekeeper puts before the template's own (`anyObject`, `params`).

use palisade_core::object::Object;
use serde::Deserialize;

use super::TEMPLATES_GROUP;
use crate::vap::model::{self, NamedExpression, PolicySpec, Validation};

/// The engine name of Gatekeeper's CEL code.
pub const CEL_ENGINE: &str = "K8sNativeValidation";

/// The only target Gatekeeper's admission webhook serves.
const ADMISSION_TARGET: &str = "admission.k8s.gatekeeper.sh";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TemplateSpec {
    crd: Crd,
    targets: Vec<Target>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Crd {
    spec: CrdSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CrdSpec {
    names: Names,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Names {
    kind: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Target {
    target: String,
    /// `code[]` (templates.gatekeeper.sh/v1 with engines); a `rego:` of the target itself is the
    /// older form, Rego only.
    code: Vec<Code>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Code {
    engine: String,
    source: CelSource,
}

/// `source` of `K8sNativeValidation` code (a Rego source's fields are ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct CelSource {
    validations: Vec<Validation>,
    match_conditions: Vec<NamedExpression>,
    variables: Vec<NamedExpression>,
    failure_policy: Option<String>,
}

/// What a template gives: a policy for the constraints of `kind`, or nothing to run.
#[derive(Debug)]
pub enum Template {
    Cel {
        kind: String,
        spec: Box<PolicySpec>,
    },
    /// No `K8sNativeValidation` code for the admission target: Rego only.
    RegoOnly {
        kind: String,
    },
}

pub fn is_template(object: &Object) -> bool {
    object.group() == TEMPLATES_GROUP && object.kind() == "ConstraintTemplate"
}

/// `anyObject`: the object, or on DELETE (when `object` is null) the old one.
const ANY_OBJECT: &str = r#"request.operation == "DELETE" && object == null ? oldObject : object"#;
/// `params`: the constraint's `spec.parameters`, or null when it has none.
const PARAMS: &str =
    "has(params.spec) && has(params.spec.parameters) ? params.spec.parameters : null";

/// Reads a ConstraintTemplate; `Err` says why it cannot be read.
pub fn read(object: &Object) -> Result<Template, String> {
    let spec: TemplateSpec = model::spec(object)?;
    let kind = spec.crd.spec.names.kind;
    if kind.is_empty() {
        return Err("spec.crd.spec.names.kind is missing".into());
    }
    let cel = spec
        .targets
        .into_iter()
        .filter(|t| t.target == ADMISSION_TARGET)
        .flat_map(|t| t.code)
        .find(|c| c.engine == CEL_ENGINE);
    let Some(code) = cel else {
        return Ok(Template::RegoOnly { kind });
    };
    let source = code.source;
    let mut variables = vec![
        NamedExpression {
            name: "anyObject".into(),
            expression: ANY_OBJECT.into(),
        },
        NamedExpression {
            name: "params".into(),
            expression: PARAMS.into(),
        },
    ];
    variables.extend(source.variables);
    Ok(Template::Cel {
        kind,
        spec: Box::new(PolicySpec {
            param_kind: None,
            match_constraints: None,
            match_conditions: source.match_conditions,
            variables,
            validations: source.validations,
            // Absent: `Fail`, in Gatekeeper's driver as in the API server.
            failure_policy: source.failure_policy,
        }),
    })
}
