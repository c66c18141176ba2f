//! `RB2xx`: service accounts and RBAC: workloads' tokens (`RB201`–`RB204`), RBAC grants (`RB210`–`RB224`) and the Dashboard's identity (`RB250`–`RB253`).

pub mod admission_webhook_write;
pub mod all_authenticated;
pub mod anonymous_access;
pub mod cluster_admin;
pub mod cluster_secret_read;
pub mod csr_approval;
pub mod dashboard_archived;
pub mod dashboard_cluster_admin;
pub mod dashboard_plain_http;
pub mod dashboard_settings_authorizer;
pub mod dashboard_skip_login;
pub mod default_sa_automount;
pub mod default_service_account;
pub mod escalate_bind_impersonate;
pub mod nodes_proxy;
pub mod pod_exec;
pub mod sa_token;
pub mod service_account_secrets;
pub mod token_create;
pub mod token_secret;
pub mod wildcard_role;
pub mod workload_create;
pub mod workload_token;
