//! The CIS Kubernetes Benchmark items of kube-bench's `cis-1.12` definitions (sections 1–4; the
//! policy section 5 is about cluster objects and is audited by the cluster scan), and the
//! benchmark report: every item with PASS, FAIL, MANUAL or NOT EVALUATED.

use std::collections::BTreeMap;

use crate::rules::{ItemResult, Verdict};

/// One benchmark item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CisItem {
    pub id: &'static str,
    pub title: &'static str,
    /// CIS grades it Automated (kube-bench scores it); Manual items need a person's judgement.
    pub automated: bool,
}

const fn a(id: &'static str, title: &'static str) -> CisItem {
    CisItem {
        id,
        title,
        automated: true,
    }
}

const fn m(id: &'static str, title: &'static str) -> CisItem {
    CisItem {
        id,
        title,
        automated: false,
    }
}

/// The benchmark version the items follow.
pub const BENCHMARK: &str = "cis-1.12";

/// Every item of sections 1–4, in benchmark order.
pub const ITEMS: &[CisItem] = &[
    a(
        "1.1.1",
        "API server pod specification file permissions 600 or stricter",
    ),
    a(
        "1.1.2",
        "API server pod specification file owned by root:root",
    ),
    a(
        "1.1.3",
        "Controller manager pod specification file permissions 600 or stricter",
    ),
    a(
        "1.1.4",
        "Controller manager pod specification file owned by root:root",
    ),
    a(
        "1.1.5",
        "Scheduler pod specification file permissions 600 or stricter",
    ),
    a(
        "1.1.6",
        "Scheduler pod specification file owned by root:root",
    ),
    a(
        "1.1.7",
        "etcd pod specification file permissions 600 or stricter",
    ),
    a("1.1.8", "etcd pod specification file owned by root:root"),
    m(
        "1.1.9",
        "Container Network Interface file permissions 600 or stricter",
    ),
    m(
        "1.1.10",
        "Container Network Interface files owned by root:root",
    ),
    a("1.1.11", "etcd data directory permissions 700 or stricter"),
    a("1.1.12", "etcd data directory owned by etcd:etcd"),
    a(
        "1.1.13",
        "admin.conf (and super-admin.conf) permissions 600",
    ),
    a(
        "1.1.14",
        "admin.conf (and super-admin.conf) owned by root:root",
    ),
    a("1.1.15", "scheduler.conf permissions 600 or stricter"),
    a("1.1.16", "scheduler.conf owned by root:root"),
    a(
        "1.1.17",
        "controller-manager.conf permissions 600 or stricter",
    ),
    a("1.1.18", "controller-manager.conf owned by root:root"),
    a("1.1.19", "PKI directory and files owned by root:root"),
    m(
        "1.1.20",
        "PKI certificate files permissions 644 or stricter",
    ),
    m("1.1.21", "PKI key files permissions 600"),
    m("1.2.1", "API server --anonymous-auth is false"),
    a("1.2.2", "API server --token-auth-file is not set"),
    m(
        "1.2.3",
        "API server admission plugin DenyServiceExternalIPs is set",
    ),
    a(
        "1.2.4",
        "API server --kubelet-client-certificate and --kubelet-client-key are set",
    ),
    a("1.2.5", "API server --kubelet-certificate-authority is set"),
    a(
        "1.2.6",
        "API server --authorization-mode does not include AlwaysAllow",
    ),
    a("1.2.7", "API server --authorization-mode includes Node"),
    a("1.2.8", "API server --authorization-mode includes RBAC"),
    m("1.2.9", "API server admission plugin EventRateLimit is set"),
    a(
        "1.2.10",
        "API server admission plugin AlwaysAdmit is not set",
    ),
    m(
        "1.2.11",
        "API server admission plugin AlwaysPullImages is set",
    ),
    a(
        "1.2.12",
        "API server admission plugin ServiceAccount is not disabled",
    ),
    a(
        "1.2.13",
        "API server admission plugin NamespaceLifecycle is not disabled",
    ),
    a(
        "1.2.14",
        "API server admission plugin NodeRestriction is set",
    ),
    a("1.2.15", "API server --profiling is false"),
    a("1.2.16", "API server --audit-log-path is set"),
    a("1.2.17", "API server --audit-log-maxage is 30 or more"),
    a("1.2.18", "API server --audit-log-maxbackup is 10 or more"),
    a("1.2.19", "API server --audit-log-maxsize is 100 or more"),
    m("1.2.20", "API server --request-timeout is appropriate"),
    a("1.2.21", "API server --service-account-lookup is true"),
    a("1.2.22", "API server --service-account-key-file is set"),
    a(
        "1.2.23",
        "API server --etcd-certfile and --etcd-keyfile are set",
    ),
    a(
        "1.2.24",
        "API server --tls-cert-file and --tls-private-key-file are set",
    ),
    a("1.2.25", "API server --client-ca-file is set"),
    a("1.2.26", "API server --etcd-cafile is set"),
    m("1.2.27", "API server --encryption-provider-config is set"),
    m(
        "1.2.28",
        "Encryption providers are appropriately configured",
    ),
    m(
        "1.2.29",
        "API server uses strong cryptographic ciphers only",
    ),
    a(
        "1.2.30",
        "API server --service-account-extend-token-expiration is false",
    ),
    m(
        "1.3.1",
        "Controller manager --terminated-pod-gc-threshold is appropriate",
    ),
    a("1.3.2", "Controller manager --profiling is false"),
    a(
        "1.3.3",
        "Controller manager --use-service-account-credentials is true",
    ),
    a(
        "1.3.4",
        "Controller manager --service-account-private-key-file is set",
    ),
    a("1.3.5", "Controller manager --root-ca-file is set"),
    a(
        "1.3.6",
        "Controller manager RotateKubeletServerCertificate is not disabled",
    ),
    a("1.3.7", "Controller manager --bind-address is 127.0.0.1"),
    a("1.4.1", "Scheduler --profiling is false"),
    a("1.4.2", "Scheduler --bind-address is 127.0.0.1"),
    a("2.1", "etcd --cert-file and --key-file are set"),
    a("2.2", "etcd --client-cert-auth is true"),
    a("2.3", "etcd --auto-tls is not true"),
    a("2.4", "etcd --peer-cert-file and --peer-key-file are set"),
    a("2.5", "etcd --peer-client-cert-auth is true"),
    a("2.6", "etcd --peer-auto-tls is not true"),
    m("2.7", "etcd uses a unique certificate authority"),
    m(
        "3.1.1",
        "Client certificate authentication is not used for users",
    ),
    m(
        "3.1.2",
        "Service account token authentication is not used for users",
    ),
    m(
        "3.1.3",
        "Bootstrap token authentication is not used for users",
    ),
    m("3.2.1", "A minimal audit policy is created"),
    m("3.2.2", "The audit policy covers key security concerns"),
    a("4.1.1", "kubelet service file permissions 600 or stricter"),
    a("4.1.2", "kubelet service file owned by root:root"),
    m(
        "4.1.3",
        "kube-proxy kubeconfig permissions 600 or stricter (if it exists)",
    ),
    m(
        "4.1.4",
        "kube-proxy kubeconfig owned by root:root (if it exists)",
    ),
    a(
        "4.1.5",
        "kubelet --kubeconfig file permissions 600 or stricter",
    ),
    a("4.1.6", "kubelet --kubeconfig file owned by root:root"),
    m(
        "4.1.7",
        "Certificate authorities file permissions 644 or stricter",
    ),
    m(
        "4.1.8",
        "Client certificate authorities file owned by root:root",
    ),
    a("4.1.9", "kubelet config file permissions 600 or stricter"),
    a("4.1.10", "kubelet config file owned by root:root"),
    a("4.2.1", "kubelet anonymous auth is false"),
    a("4.2.2", "kubelet authorization mode is not AlwaysAllow"),
    a("4.2.3", "kubelet client CA file is set"),
    m("4.2.4", "kubelet read-only port is 0 (if defined)"),
    m(
        "4.2.5",
        "kubelet streaming connection idle timeout is not 0",
    ),
    a("4.2.6", "kubelet makeIPTablesUtilChains is true"),
    m("4.2.7", "kubelet --hostname-override is not set"),
    m(
        "4.2.8",
        "kubelet eventRecordQPS captures events appropriately",
    ),
    m("4.2.9", "kubelet TLS certificate and key are set"),
    a("4.2.10", "kubelet certificate rotation is not disabled"),
    m("4.2.11", "kubelet RotateKubeletServerCertificate is true"),
    m("4.2.12", "kubelet uses strong cryptographic ciphers only"),
    m("4.2.13", "A limit is set on pod PIDs"),
    m("4.2.14", "kubelet seccompDefault is true"),
    a("4.3.1", "kube-proxy metrics service is bound to localhost"),
];

/// Items no rule evaluates, and why (shown as the NOT EVALUATED / MANUAL reason).
pub const NOT_IMPLEMENTED: &[(&str, &str)] = &[
    (
        "1.2.20",
        "an appropriate request timeout is a judgement call (CIS: Manual, no test)",
    ),
    (
        "3.1.1",
        "needs the cluster's users and credentials (CIS: Manual, no test)",
    ),
    (
        "3.1.2",
        "needs the cluster's users and credentials (CIS: Manual, no test)",
    ),
    (
        "3.1.3",
        "needs the cluster's users and credentials (CIS: Manual, no test)",
    ),
    (
        "3.2.2",
        "the audit policy's coverage needs review (CIS: Manual, no test)",
    ),
];

/// The benchmark status of one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    /// A Manual item: shown with what was observed, for a person to judge.
    Manual,
    NotEvaluated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Manual => "MANUAL",
            Status::NotEvaluated => "NOT EVALUATED",
        }
    }
}

/// One row of the benchmark report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub item: CisItem,
    pub status: Status,
    /// For a Manual item, what the automated test (as kube-bench runs it) would say.
    pub observed: Option<Verdict>,
    /// The Palisade rules that gave verdicts.
    pub codes: Vec<&'static str>,
    /// What the verdict rests on, one line per file or setting.
    pub evidence: Vec<String>,
}

/// The benchmark report.
#[derive(Clone, Debug, Default)]
pub struct Benchmark {
    pub rows: Vec<Row>,
}

impl Benchmark {
    /// Builds the report from rule verdicts. Several verdicts on one item (one per file, or per
    /// component) combine: any FAIL fails it; otherwise anything not evaluated (an unreadable
    /// file) leaves it NOT EVALUATED; only then is it PASS. An item without a verdict is never
    /// PASS.
    pub fn build(results: &[ItemResult]) -> Benchmark {
        let mut by_id: BTreeMap<&str, Vec<&ItemResult>> = BTreeMap::new();
        for r in results {
            by_id.entry(r.cis).or_default().push(r);
        }
        let rows = ITEMS
            .iter()
            .map(|item| {
                let rs = by_id.get(item.id).map(Vec::as_slice).unwrap_or(&[]);
                let mut codes: Vec<&'static str> = rs.iter().map(|r| r.code).collect();
                codes.dedup();
                let evidence: Vec<String> = if rs.is_empty() {
                    NOT_IMPLEMENTED
                        .iter()
                        .find(|(id, _)| *id == item.id)
                        .map(|(_, why)| vec![(*why).to_owned()])
                        .unwrap_or_else(|| vec!["not evaluated by any rule".to_owned()])
                } else {
                    rs.iter().map(|r| r.evidence.clone()).collect()
                };
                let observed = if rs.iter().any(|r| r.verdict == Verdict::Fail) {
                    Some(Verdict::Fail)
                } else if rs.iter().any(|r| r.verdict == Verdict::NotEvaluated) {
                    Some(Verdict::NotEvaluated)
                } else if rs.is_empty() {
                    None
                } else {
                    Some(Verdict::Pass)
                };
                let status = match (item.automated, observed) {
                    (_, Some(Verdict::NotEvaluated)) => Status::NotEvaluated,
                    (false, _) => Status::Manual,
                    (true, Some(Verdict::Pass)) => Status::Pass,
                    (true, Some(Verdict::Fail)) => Status::Fail,
                    (true, _) => Status::NotEvaluated,
                };
                Row {
                    item: *item,
                    status,
                    observed,
                    codes,
                    evidence,
                }
            })
            .collect();
        Benchmark { rows }
    }

    /// (pass, fail, manual, not evaluated)
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let n = |s: Status| self.rows.iter().filter(|r| r.status == s).count();
        (
            n(Status::Pass),
            n(Status::Fail),
            n(Status::Manual),
            n(Status::NotEvaluated),
        )
    }

    pub fn row(&self, id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.item.id == id)
    }
}
