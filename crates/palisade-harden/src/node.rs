//! Node-side settings: the flags and configuration files that make the control plane and the
//! kubelet pass every control-plane (`CP5xx`) and kubelet (`KL6xx`) rule for the target version.
//!
//! They are snippets to merge into what the installer wrote (kubeadm's static pod manifests and
//! `/var/lib/kubelet/config.yaml`), not whole manifests: certificates, addresses and the rest of a
//! cluster's own settings are not Palisade's to choose. [`verification_tree`] lays them over a
//! kubeadm-shaped node of that version so that `palisade-node`'s rules can be run on the result.
//!
//! Version facts used: structured authorization configuration from 1.30 (beta, on by default;
//! `v1` from 1.32), anonymous authentication limited to health endpoints in the structured
//! authentication configuration from 1.32 (`v1` from 1.34), `--insecure-port=0` needed before
//! 1.20 (removed in 1.24), `DenyEscalatingExec` until 1.20 (removed in 1.21), `PodSecurityPolicy`
//! admission until 1.24, the `PodSecurity` admission configuration from 1.23 (`v1` from 1.25).

use palisade_core::KubeVersion;

/// One generated node file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeFile {
    /// Path inside the bundle (`node/kube-apiserver.flags`).
    pub name: String,
    /// Where it goes on a kubeadm node (for flags: the static pod manifest they belong in).
    pub target: String,
    pub text: String,
}

/// Node rules the snippets cannot satisfy: they are about the node's files (modes and owners),
/// not about settings.
pub const NOT_SETTINGS: [&str; 4] = ["CP516", "CP517", "KL606", "KL607"];

/// Flags of each control-plane component the bundle sets.
#[derive(Clone, Debug)]
pub struct Flags {
    pub apiserver: Vec<String>,
    pub controller_manager: Vec<String>,
    pub scheduler: Vec<String>,
    pub etcd: Vec<String>,
}

const AUTHN_PATH: &str = "/etc/kubernetes/authentication-config.yaml";
const AUTHZ_PATH: &str = "/etc/kubernetes/authorization-config.yaml";
const ADMISSION_PATH: &str = "/etc/kubernetes/admission-config.yaml";
const AUDIT_PATH: &str = "/etc/kubernetes/audit-policy.yaml";
const ENCRYPTION_PATH: &str = "/etc/kubernetes/encryption-config.yaml";
const KUBELET_CONFIG: &str = "/var/lib/kubelet/config.yaml";
const KUBE_PROXY_CONFIG: &str = "/var/lib/kube-proxy/config.conf";

/// What the encryption configuration's key says when no key was given.
pub const KEY_PLACEHOLDER: &str = "REPLACE-with-output-of-head-c-32-dev-urandom-base64";

pub fn flags(v: KubeVersion) -> Flags {
    let mut api = Vec::new();
    if v >= KubeVersion::v1(30) {
        api.push(format!("--authorization-config={AUTHZ_PATH}"));
    } else {
        api.push("--authorization-mode=Node,RBAC".to_owned());
    }
    if v >= KubeVersion::v1(32) {
        api.push(format!("--authentication-config={AUTHN_PATH}"));
    } else {
        api.push("--anonymous-auth=false".to_owned());
    }
    if v < KubeVersion::v1(20) {
        api.push("--insecure-port=0".to_owned());
    }
    api.push("--profiling=false".to_owned());
    api.push(format!(
        "--tls-cipher-suites={}",
        TLS_CIPHER_SUITES.join(",")
    ));
    let mut plugins = vec!["NodeRestriction", "AlwaysPullImages"];
    if v < KubeVersion::v1(21) {
        plugins.push("DenyEscalatingExec");
    }
    if v < KubeVersion::v1(25) {
        plugins.push("PodSecurityPolicy");
    }
    api.push(format!("--enable-admission-plugins={}", plugins.join(",")));
    if v >= KubeVersion::v1(23) {
        api.push(format!("--admission-control-config-file={ADMISSION_PATH}"));
    }
    api.extend([
        "--audit-log-path=/var/log/kubernetes/audit/audit.log".to_owned(),
        "--audit-log-maxage=30".to_owned(),
        "--audit-log-maxbackup=10".to_owned(),
        "--audit-log-maxsize=100".to_owned(),
        format!("--audit-policy-file={AUDIT_PATH}"),
        format!("--encryption-provider-config={ENCRYPTION_PATH}"),
        "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt".to_owned(),
        "--service-account-lookup=true".to_owned(),
        "--service-account-extend-token-expiration=false".to_owned(),
    ]);
    Flags {
        apiserver: api,
        controller_manager: vec![
            "--profiling=false".to_owned(),
            "--use-service-account-credentials=true".to_owned(),
            "--service-account-private-key-file=/etc/kubernetes/pki/sa.key".to_owned(),
            "--root-ca-file=/etc/kubernetes/pki/ca.crt".to_owned(),
            "--terminated-pod-gc-threshold=10".to_owned(),
            "--bind-address=127.0.0.1".to_owned(),
        ],
        scheduler: vec![
            "--profiling=false".to_owned(),
            "--bind-address=127.0.0.1".to_owned(),
        ],
        etcd: vec![
            "--cert-file=/etc/kubernetes/pki/etcd/server.crt".to_owned(),
            "--key-file=/etc/kubernetes/pki/etcd/server.key".to_owned(),
            "--client-cert-auth=true".to_owned(),
            "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt".to_owned(),
            "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key".to_owned(),
            "--peer-client-cert-auth=true".to_owned(),
            "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt".to_owned(),
            "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt".to_owned(),
        ],
    }
}

fn flag_file(component: &str, manifest: &str, flags: &[String], why: &str) -> NodeFile {
    let mut text = format!(
        "# Flags for {component} ({why}).\n# Merge them into the command of {manifest}:\n\
         # a flag already there is replaced, the others are added.\n"
    );
    for f in flags {
        text.push_str(f);
        text.push('\n');
    }
    NodeFile {
        name: format!("node/{component}.flags"),
        target: manifest.to_owned(),
        text,
    }
}

fn kubelet_config() -> String {
    "# KL601-KL604: merge into the kubelet's configuration file (kubeadm: /var/lib/kubelet/config.yaml).\n\
     apiVersion: kubelet.config.k8s.io/v1beta1\n\
     kind: KubeletConfiguration\n\
     authentication:\n  anonymous:\n    enabled: false\n  webhook:\n    enabled: true\n  \
     x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\n\
     authorization:\n  mode: Webhook\n\
     readOnlyPort: 0\n\
     protectKernelDefaults: true\n\
     makeIPTablesUtilChains: true\n\
     rotateCertificates: true\n\
     serverTLSBootstrap: true\n\
     streamingConnectionIdleTimeout: 5m0s\n\
     eventRecordQPS: 5\n\
     podPidsLimit: 4096\n\
     seccompDefault: true\n\
     tlsCipherSuites:\n"
        .to_owned()
        + &TLS_CIPHER_SUITES
            .iter()
            .map(|c| format!("- {c}\n"))
            .collect::<String>()
}

/// The TLS 1.2 suites the API server and the kubelet may offer: forward-secret AEAD only (ECDHE
/// with GCM or ChaCha20-Poly1305), all on the CIS 1.2.29 / kubelet allow-list (CP521, KL rules);
/// TLS 1.3 suites are not configurable in Go and always strong.
const TLS_CIPHER_SUITES: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
];

/// The node file that holds key material: the caller writes it readable by its owner only.
pub const ENCRYPTION_CONFIG: &str = "node/encryption-config.yaml";

/// Every node file of the bundle for version `v`. `encryption_key` is the 32-byte key of the
/// encryption configuration (written in standard base64, whose alphabet needs no YAML quoting);
/// `None` writes a placeholder the user must replace.
pub fn files(v: KubeVersion, encryption_key: Option<&[u8; 32]>) -> Vec<NodeFile> {
    use base64::Engine as _;
    let key = encryption_key.map_or_else(
        || KEY_PLACEHOLDER.to_owned(),
        |k| base64::engine::general_purpose::STANDARD.encode(k),
    );
    let f = flags(v);
    let mut out = vec![
        flag_file(
            "kube-apiserver",
            "/etc/kubernetes/manifests/kube-apiserver.yaml",
            &f.apiserver,
            "CP501-CP512, CP518, CP519",
        ),
        flag_file(
            "kube-controller-manager",
            "/etc/kubernetes/manifests/kube-controller-manager.yaml",
            &f.controller_manager,
            "CP504, CP513, CP514",
        ),
        flag_file(
            "kube-scheduler",
            "/etc/kubernetes/manifests/kube-scheduler.yaml",
            &f.scheduler,
            "CP504, CP514",
        ),
        flag_file(
            "etcd",
            "/etc/kubernetes/manifests/etcd.yaml",
            &f.etcd,
            "CP515",
        ),
        NodeFile {
            name: "node/kubelet-config.yaml".to_owned(),
            target: KUBELET_CONFIG.to_owned(),
            text: kubelet_config(),
        },
        NodeFile {
            name: "node/kube-proxy-config.yaml".to_owned(),
            target: KUBE_PROXY_CONFIG.to_owned(),
            text: "# KL605: merge into kube-proxy's configuration (kubeadm: the kube-proxy ConfigMap).\n\
                   apiVersion: kubeproxy.config.k8s.io/v1alpha1\n\
                   kind: KubeProxyConfiguration\n\
                   metricsBindAddress: 127.0.0.1:10249\n"
                .to_owned(),
        },
        NodeFile {
            name: "node/audit-policy.yaml".to_owned(),
            target: AUDIT_PATH.to_owned(),
            text: "# CP510: what the API server's audit log records.\n\
                   apiVersion: audit.k8s.io/v1\n\
                   kind: Policy\n\
                   omitStages:\n- RequestReceived\n\
                   rules:\n\
                   - level: Metadata\n  resources:\n  - group: \"\"\n    resources: [\"secrets\", \"configmaps\", \"serviceaccounts/token\"]\n\
                   - level: RequestResponse\n  resources:\n  - group: \"\"\n    resources: [\"pods/exec\", \"pods/attach\", \"pods/portforward\"]\n  \
                   - group: rbac.authorization.k8s.io\n\
                   - level: None\n  nonResourceURLs: [\"/healthz*\", \"/livez*\", \"/readyz*\", \"/version\"]\n\
                   - level: Metadata\n"
                .to_owned(),
        },
        NodeFile {
            name: ENCRYPTION_CONFIG.to_owned(),
            target: ENCRYPTION_PATH.to_owned(),
            text: format!(
                "# CP511: Secrets encrypted at rest. Keep this file readable by root only (0600);\n\
                 # after applying, rewrite existing Secrets: kubectl get secrets -A -o json | kubectl replace -f -\n\
                 apiVersion: apiserver.config.k8s.io/v1\n\
                 kind: EncryptionConfiguration\n\
                 resources:\n\
                 - resources:\n  - secrets\n  providers:\n  - aescbc:\n      keys:\n      - name: palisade-1\n        \
                 secret: {}\n  - identity: {{}}\n",
                key
            ),
        },
    ];
    if v >= KubeVersion::v1(23) {
        let api = if v >= KubeVersion::v1(25) {
            "pod-security.admission.config.k8s.io/v1"
        } else {
            "pod-security.admission.config.k8s.io/v1beta1"
        };
        out.push(NodeFile {
            name: "node/admission-config.yaml".to_owned(),
            target: ADMISSION_PATH.to_owned(),
            text: format!(
                "# CP507: the cluster-wide Pod Security default for namespaces without labels.\n\
                 apiVersion: apiserver.config.k8s.io/v1\n\
                 kind: AdmissionConfiguration\n\
                 plugins:\n\
                 - name: PodSecurity\n  configuration:\n    apiVersion: {api}\n    \
                 kind: PodSecurityConfiguration\n    defaults:\n      enforce: baseline\n      \
                 enforce-version: latest\n      warn: restricted\n      warn-version: latest\n      \
                 audit: restricted\n      audit-version: latest\n    exemptions:\n      \
                 namespaces: [kube-system]\n"
            ),
        });
    }
    if v >= KubeVersion::v1(30) {
        let api = if v >= KubeVersion::v1(32) {
            "v1"
        } else {
            "v1beta1"
        };
        out.push(NodeFile {
            name: "node/authorization-config.yaml".to_owned(),
            target: AUTHZ_PATH.to_owned(),
            text: format!(
                "# CP501: the Node and RBAC authorizers, nothing that allows everything.\n\
                 apiVersion: apiserver.config.k8s.io/{api}\n\
                 kind: AuthorizationConfiguration\n\
                 authorizers:\n- type: Node\n  name: node\n- type: RBAC\n  name: rbac\n"
            ),
        });
    }
    if v >= KubeVersion::v1(32) {
        let api = if v >= KubeVersion::v1(34) {
            "v1"
        } else {
            "v1beta1"
        };
        out.push(NodeFile {
            name: "node/authentication-config.yaml".to_owned(),
            target: AUTHN_PATH.to_owned(),
            text: format!(
                "# CP502: anonymous requests only for the health endpoints load balancers probe.\n\
                 apiVersion: apiserver.config.k8s.io/{api}\n\
                 kind: AuthenticationConfiguration\n\
                 anonymous:\n  enabled: true\n  conditions:\n  - path: /livez\n  - path: /readyz\n  \
                 - path: /healthz\n"
            ),
        });
    }
    out
}

/// A kubeadm control-plane node of version `v` with the bundle's settings applied: `(node path,
/// text)`. File modes are the caller's (kubeadm's are 0600 for manifests and configs).
pub fn verification_tree(v: KubeVersion, files: &[NodeFile]) -> Vec<(String, String)> {
    let f = flags(v);
    let tag = format!("v{}.{}.0", v.major, v.minor);
    let apiserver_base = [
        "--advertise-address=10.0.0.10",
        "--allow-privileged=true",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        "--enable-bootstrap-token-auth=true",
        "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
        "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
        "--etcd-servers=https://127.0.0.1:2379",
        "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
        "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
        "--secure-port=6443",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
        "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
        "--service-cluster-ip-range=10.96.0.0/12",
        "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
        "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
    ];
    let manifest = |name: &str, image: &str, base: &[&str], extra: &[String]| {
        let mut text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: kube-system\n  \
             labels:\n    component: {name}\n    tier: control-plane\nspec:\n  hostNetwork: true\n  \
             containers:\n  - name: {name}\n    image: {image}\n    command:\n    - {name}\n"
        );
        for flag in base.iter().copied().chain(extra.iter().map(String::as_str)) {
            text.push_str(&format!("    - {flag}\n"));
        }
        text
    };
    let mut out = vec![
        (
            "etc/kubernetes/manifests/kube-apiserver.yaml".to_owned(),
            manifest(
                "kube-apiserver",
                &format!("registry.k8s.io/kube-apiserver:{tag}"),
                &apiserver_base,
                &f.apiserver,
            ),
        ),
        (
            "etc/kubernetes/manifests/kube-controller-manager.yaml".to_owned(),
            manifest(
                "kube-controller-manager",
                &format!("registry.k8s.io/kube-controller-manager:{tag}"),
                &[
                    "--kubeconfig=/etc/kubernetes/controller-manager.conf",
                    "--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt",
                    "--cluster-signing-key-file=/etc/kubernetes/pki/ca.key",
                ],
                &f.controller_manager,
            ),
        ),
        (
            "etc/kubernetes/manifests/kube-scheduler.yaml".to_owned(),
            manifest(
                "kube-scheduler",
                &format!("registry.k8s.io/kube-scheduler:{tag}"),
                &["--kubeconfig=/etc/kubernetes/scheduler.conf"],
                &f.scheduler,
            ),
        ),
        (
            "etc/kubernetes/manifests/etcd.yaml".to_owned(),
            manifest(
                "etcd",
                "registry.k8s.io/etcd:3.5.12-0",
                &[
                    "--data-dir=/var/lib/etcd",
                    "--listen-client-urls=https://127.0.0.1:2379",
                ],
                &f.etcd,
            ),
        ),
        (
            "usr/lib/systemd/system/kubelet.service".to_owned(),
            "[Service]\nExecStart=/usr/bin/kubelet\n".to_owned(),
        ),
        (
            "usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf".to_owned(),
            format!(
                "[Service]\nEnvironment=\"KUBELET_CONFIG_ARGS=--config={KUBELET_CONFIG} \
                 --kubeconfig=/etc/kubernetes/kubelet.conf\"\nExecStart=\n\
                 ExecStart=/usr/bin/kubelet $KUBELET_CONFIG_ARGS\n"
            ),
        ),
    ];
    for file in files.iter().filter(|f| !f.name.ends_with(".flags")) {
        out.push((
            file.target.trim_start_matches('/').to_owned(),
            file.text.clone(),
        ));
    }
    out
}
