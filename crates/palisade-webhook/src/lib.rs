//! `palisade webhook`: the scan's rules at admission.
//!
//! One HTTPS server with four review endpoints:
//! - `/validate`: AdmissionReview (`admission.k8s.io/v1`) → allow, deny or warn, from the same
//!   [`palisade_rules::Engine`] as `palisade scan` on a one-object inventory ([`admission`]);
//! - `/mutate`: a JSONPatch made of the fixes the rules declare ([`patch`]);
//! - `/exec`: the exec guard for `CONNECT` on `pods/exec` and `pods/attach` ([`exec_guard`]);
//! - `/imagepolicy`: an ImagePolicyWebhook backend (`imagepolicy.k8s.io/v1alpha1` ImageReview)
//!   with the image rules of `/validate`;
//!
//! plus `/healthz`, `/readyz` and `/metrics` ([`metrics`]). [`server`] is the shell around them,
//! [`manifests`] prints what deploys it.

pub mod admission;
pub mod exec_guard;
pub mod manifests;
pub mod metrics;
pub mod patch;
pub mod review;
pub mod server;

pub use admission::{Policy, PolicyError, Verdict};
pub use server::{run, start, Options, Running, ServeError};
