//! `CP5xx`: the control plane: API server, controller manager, scheduler, etcd and their files.

mod admission_basics;
mod always_pull_images;
mod apiserver_anonymous;
mod apiserver_audit_log;
mod apiserver_authorization;
mod apiserver_credentials;
mod apiserver_tls_ciphers;
mod audit_log_retention;
mod control_plane_file_ownership;
mod control_plane_file_permissions;
mod controller_manager_credentials;
mod deny_escalating_exec;
mod encryption_at_rest;
mod etcd_tls;
mod image_policy_webhook;
mod insecure_port;
pub(crate) mod loopback_bind;
mod node_restriction;
mod pod_security_admission;
mod profiling;
mod removed_flags;
