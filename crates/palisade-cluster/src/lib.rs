//! The live-cluster source: reads a cluster through the Kubernetes API (the real kube-rs client)
//! into the same [`palisade_core::Object`]s that manifests give, so the same rules judge both.
//!
//! Read-only and least-privilege by construction: only `get`/`list`, only the resources in
//! [`resources::RESOURCES`], Secrets as metadata only. A resource the credentials may not list is
//! recorded as unreadable, and the rules that need it are reported as not evaluated, never as
//! passed.

pub mod convert;
pub mod facts;
pub mod policy_reports;
pub mod read;
pub mod resources;
pub mod snapshot;
pub mod tls;

pub use read::{
    connect, node_addresses, probe_anonymous, read, services, Access, AnonymousProbe, ClusterError,
    Connection, Inventory, NodeAddress, Options, Unreadable,
};

/// Installs rustls' ring crypto provider for the process (idempotent). kube, and any other TLS
/// user, then agree on one provider.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
