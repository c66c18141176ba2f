//! The wire types: `admission.k8s.io/v1` AdmissionReview and `imagepolicy.k8s.io/v1alpha1`
//! ImageReview, our own serde models.
//!
//! Our own rather than kube-core's: kube-core serialises `response.patch` as an array of numbers
//! where the API server expects base64 (kube-rs #1781), and deserialising `request.object` into a
//! `serde_json::Value` first and then into the document model would walk every object twice. Here
//! `request.object` is read straight into the span-carrying [`Node`] rules read, and
//! `oldObject`/`options` are skipped without being built.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use palisade_core::yaml::{Entry, Node, Scalar, ScalarKind, Span, Value};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

pub const ADMISSION_API_VERSION: &str = "admission.k8s.io/v1";
pub const IMAGE_POLICY_API_VERSION: &str = "imagepolicy.k8s.io/v1alpha1";

/// A JSON value read directly into the document model. The API server has decoded and typed every
/// field already: strings stay strings (`quoted`), so a string `"true"` is never a boolean.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonNode(pub Node);

impl<'de> Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        NodeSeed.deserialize(d).map(JsonNode)
    }
}

struct NodeSeed;

fn node(value: Value) -> Node {
    Node {
        value,
        span: Span::default(),
    }
}

fn scalar(text: impl Into<Box<str>>, kind: ScalarKind, quoted: bool) -> Node {
    node(Value::Scalar(Scalar::new(text, kind, quoted)))
}

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(scalar("", ScalarKind::Null, false))
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(scalar("", ScalarKind::Null, false))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(scalar(
            if b { "true" } else { "false" },
            ScalarKind::Bool(b),
            false,
        ))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Node, E> {
        Ok(scalar(i.to_string(), ScalarKind::Int(i), false))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Node, E> {
        Ok(match i64::try_from(u) {
            Ok(i) => scalar(i.to_string(), ScalarKind::Int(i), false),
            Err(_) => scalar(u.to_string(), ScalarKind::Float(u as f64), false),
        })
    }
    fn visit_f64<E>(self, f: f64) -> Result<Node, E> {
        Ok(scalar(f.to_string(), ScalarKind::Float(f), false))
    }
    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(scalar(s, ScalarKind::Str, true))
    }
    fn visit_string<E>(self, s: String) -> Result<Node, E> {
        Ok(scalar(s, ScalarKind::Str, true))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(n) = seq.next_element_seed(NodeSeed)? {
            items.push(n);
        }
        Ok(node(Value::Seq(items.into())))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<Entry> = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        // Keys seen, indexed once a mapping is large: a linear search per key would make a
        // hostile body of many distinct keys quadratic.
        let mut index: Option<HashMap<Box<str>, usize>> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let value = map.next_value_seed(NodeSeed)?;
            if index.is_none() && entries.len() >= INDEX_FROM {
                index = Some(
                    entries
                        .iter()
                        .enumerate()
                        .map(|(i, e)| (e.key.clone(), i))
                        .collect(),
                );
            }
            // JSON from the API server has no duplicate keys; if a client sends some, the last
            // wins, as the API server's decoder does.
            let seen = match &index {
                Some(ix) => ix.get(&*key).copied(),
                None => entries.iter().position(|e| *e.key == *key),
            };
            if let Some(i) = seen {
                entries[i].value = value;
                continue;
            }
            let key: Box<str> = key.into();
            if let Some(ix) = &mut index {
                ix.insert(key.clone(), entries.len());
            }
            entries.push(Entry {
                key,
                key_span: Span::default(),
                value,
            });
        }
        Ok(node(Value::Map(entries.into())))
    }
}

/// Mapping size from which keys are indexed for the duplicate check.
const INDEX_FROM: usize = 16;

/// `group`/`version`/`kind` of the request.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

/// `group`/`version`/`resource` of the request.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct GroupVersionResource {
    pub group: String,
    pub version: String,
    pub resource: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct UserInfo {
    pub username: String,
    pub groups: Vec<String>,
}

/// `request` of an AdmissionReview: the fields the webhook reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: Option<String>,
    pub kind: GroupVersionKind,
    pub resource: GroupVersionResource,
    pub sub_resource: String,
    pub name: String,
    pub namespace: String,
    pub operation: String,
    pub user_info: UserInfo,
    pub object: Option<JsonNode>,
    pub old_object: Option<JsonNode>,
    pub dry_run: Option<bool>,
    pub options: Option<IgnoredAny>,
}

/// An incoming AdmissionReview.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AdmissionReviewRequest {
    pub api_version: String,
    pub kind: String,
    pub request: Option<AdmissionRequest>,
}

/// `response.status`: shown to the user when a request is denied.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub reason: String,
    pub message: String,
}

/// `response` of an AdmissionReview.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Base64 of the JSONPatch document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl AdmissionResponse {
    pub fn allow(uid: &str) -> Self {
        AdmissionResponse {
            uid: uid.to_owned(),
            allowed: true,
            ..Default::default()
        }
    }

    pub fn deny(uid: &str, code: u16, reason: &str, message: String) -> Self {
        AdmissionResponse {
            uid: uid.to_owned(),
            allowed: false,
            status: Some(Status {
                code,
                reason: reason.to_owned(),
                message,
            }),
            ..Default::default()
        }
    }
}

/// The AdmissionReview the webhook answers with.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReviewResponse {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub response: AdmissionResponse,
}

impl AdmissionReviewResponse {
    pub fn new(response: AdmissionResponse) -> Self {
        AdmissionReviewResponse {
            api_version: ADMISSION_API_VERSION,
            kind: "AdmissionReview",
            response,
        }
    }
}

/// Why a request body is not an AdmissionReview we can answer.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("request body is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got `{api_version}` \
         `{kind}` (set admissionReviewVersions: [\"v1\"] in the webhook configuration)"
    )]
    WrongType { api_version: String, kind: String },
    #[error("AdmissionReview has no `request`")]
    NoRequest,
    #[error("AdmissionReview request has no `uid`")]
    NoUid,
    #[error(
        "expected apiVersion imagepolicy.k8s.io/v1alpha1 and kind ImageReview, got `{api_version}` \
         `{kind}`"
    )]
    WrongImageReviewType { api_version: String, kind: String },
}

/// Parses and checks an AdmissionReview body: right type, a request, a uid.
pub fn parse_admission(body: &[u8]) -> Result<(String, AdmissionRequest), ReviewError> {
    let review: AdmissionReviewRequest = serde_json::from_slice(body)?;
    if review.api_version != ADMISSION_API_VERSION || review.kind != "AdmissionReview" {
        return Err(ReviewError::WrongType {
            api_version: review.api_version,
            kind: review.kind,
        });
    }
    let request = review.request.ok_or(ReviewError::NoRequest)?;
    let uid = request
        .uid
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or(ReviewError::NoUid)?;
    Ok((uid, request))
}

/// One container of an ImageReview.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct ImageReviewContainer {
    pub image: String,
}

/// `spec` of an ImageReview.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ImageReviewSpec {
    pub containers: Vec<ImageReviewContainer>,
    /// The pod's annotations matching `*.image-policy.k8s.io/*` (the API server forwards only
    /// those).
    pub annotations: BTreeMap<String, String>,
    pub namespace: String,
}

/// An incoming ImageReview.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImageReviewRequest {
    pub api_version: String,
    pub kind: String,
    pub spec: ImageReviewSpec,
}

/// `status` of the ImageReview answer.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImageReviewStatus {
    pub allowed: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReviewResponse {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub status: ImageReviewStatus,
}

/// Parses and checks an ImageReview body.
pub fn parse_image_review(body: &[u8]) -> Result<ImageReviewSpec, ReviewError> {
    let review: ImageReviewRequest = serde_json::from_slice(body)?;
    if review.api_version != IMAGE_POLICY_API_VERSION || review.kind != "ImageReview" {
        return Err(ReviewError::WrongImageReviewType {
            api_version: review.api_version,
            kind: review.kind,
        });
    }
    Ok(review.spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_becomes_a_typed_node() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
            "uid":"u1","operation":"CREATE","object":{"a":true,"b":3,"c":"true","d":null,
            "e":[1.5,18446744073709551615],"f":{"g":"x"},"a":false},"oldObject":{"x":[1,2]}}}"#;
        let (uid, req) = parse_admission(body).unwrap();
        assert_eq!(uid, "u1");
        let n = req.object.unwrap().0;
        assert_eq!(n.get("a").unwrap().as_bool(), Some(false), "last key wins");
        assert_eq!(n.entries().len(), 6);
        assert_eq!(n.get("b").unwrap().as_i64(), Some(3));
        assert_eq!(
            n.get("c").unwrap().as_bool(),
            None,
            "a string is not a bool"
        );
        assert_eq!(n.get("c").unwrap().as_str(), Some("true"));
        assert!(n.get("d").unwrap().is_null());
        assert_eq!(n.get("e").unwrap().items().len(), 2);
        assert_eq!(n.path(&["f", "g"]).unwrap().as_str(), Some("x"));
    }

    #[test]
    fn large_mappings_keep_the_last_duplicate() {
        let mut text = String::from("{");
        for i in 0..40 {
            text.push_str(&format!("\"k{i}\":{i},"));
        }
        text.push_str("\"k3\":\"last\",\"k39\":null}");
        let n: JsonNode = serde_json::from_str(&text).unwrap();
        assert_eq!(n.0.entries().len(), 40);
        assert_eq!(n.0.get("k3").unwrap().as_str(), Some("last"));
        assert!(n.0.get("k39").unwrap().is_null());
        assert_eq!(n.0.entries()[39].key.as_ref(), "k39");
    }

    #[test]
    fn bad_reviews_say_what_is_wrong() {
        let e = parse_admission(b"{not json").unwrap_err();
        assert!(
            e.to_string().starts_with("request body is not valid JSON"),
            "{e}"
        );
        let e = parse_admission(
            br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("admission.k8s.io/v1beta1"), "{e}");
        let e = parse_admission(
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}"#,
        )
        .unwrap_err();
        assert!(matches!(e, ReviewError::NoUid));
        let e =
            parse_admission(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#)
                .unwrap_err();
        assert!(matches!(e, ReviewError::NoRequest));
    }

    #[test]
    fn response_shape() {
        let mut r = AdmissionResponse::deny("u", 403, "Forbidden", "no".into());
        r.warnings.push("w".into());
        let v = serde_json::to_value(AdmissionReviewResponse::new(r)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
                "response":{"uid":"u","allowed":false,"status":{"code":403,"reason":"Forbidden","message":"no"},"warnings":["w"]}})
        );
    }
}
