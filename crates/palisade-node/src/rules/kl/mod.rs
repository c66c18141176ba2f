//! `KL6xx`: the kubelet, kube-proxy and the worker node's files.

mod cni_file_ownership;
mod cni_file_permissions;
mod kube_proxy_bind;
mod kubelet_anonymous;
mod kubelet_authorization;
mod kubelet_cadvisor_port;
mod kubelet_hardening;
mod kubelet_read_only_port;
mod node_file_ownership;
mod node_file_permissions;
