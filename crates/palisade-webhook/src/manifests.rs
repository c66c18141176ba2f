//! `palisade webhook manifests`: everything that runs the webhook, as YAML.
//!
//! Cluster objects (for `kubectl apply`): Namespace (Pod Security Admission `restricted`),
//! ServiceAccount, the exec guard's read-only RBAC, the config, NetworkPolicies (default deny,
//! HTTPS in, the API server and DNS out, never the metadata endpoint), Deployment (2 replicas
//! spread over nodes, a restricted-compliant pod), PodDisruptionBudget, Service, and the
//! Validating/MutatingWebhookConfigurations. API server files (not objects): the
//! AdmissionConfiguration enabling ImagePolicyWebhook and its kubeconfig, returned separately
//! (printed as comments, or written to files). `palisade scan` of the objects reports nothing
//! above low (a test holds it to that).

use std::fmt::Write as _;

use base64::Engine as _;
use palisade_core::names::{self, NameError};
use palisade_core::yaml::scalar::{
    double_quoted, plain_or_quoted as q, plain_or_quoted_reference as q_ref,
};

/// What to generate. Every string here ends up in YAML: [`generate`] validates each as the API
/// server would validate its field, and writes it through the one quoting writer.
#[derive(Clone, Debug)]
pub struct ManifestOptions {
    pub namespace: String,
    /// PEM of the CA that signed the serving certificate (`caBundle`); absent: cert-manager's
    /// CA injector is asked to fill it in.
    pub ca_bundle: Option<String>,
    /// `Fail` or `Ignore`.
    pub failure_policy: String,
    pub image: String,
    /// Emit the Namespace object (false when it exists already, e.g. from `deploy/base`).
    pub namespace_object: bool,
    pub replicas: u32,
    /// Seconds the API server waits for a review.
    pub timeout_seconds: u32,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        ManifestOptions {
            namespace: "palisade-system".to_owned(),
            ca_bundle: None,
            failure_policy: "Fail".to_owned(),
            image: DEFAULT_IMAGE.to_owned(),
            namespace_object: true,
            replicas: 2,
            timeout_seconds: 5,
        }
    }
}

/// Generated text.
pub struct Manifests {
    /// Multi-document YAML of cluster objects.
    pub objects: String,
    /// `AdmissionConfiguration` for the API server's `--admission-control-config-file`.
    pub admission_config: String,
    /// The kubeconfig ImagePolicyWebhook uses to reach `/imagepolicy`.
    pub imagepolicy_kubeconfig: String,
}

/// The published image of this version: the default of `--image`, and what
/// `deploy/components/image` sets (a test keeps the two in step). A tag, never a digest made up
/// before the image exists: pin the digest you verified.
pub const DEFAULT_IMAGE: &str =
    concat!("ghcr.io/palisade-dev/palisade:", env!("CARGO_PKG_VERSION"));

const NAME: &str = "palisade-webhook";
/// Where the API server host keeps the files (the AdmissionConfiguration names the kubeconfig).
pub const APISERVER_DIR: &str = "/etc/kubernetes/palisade";

/// Kinds `/validate` and `/mutate` see: pods and every workload that holds a pod template.
const WORKLOAD_RULES: &str = "    - apiGroups: [\"\"]
      apiVersions: [\"v1\"]
      resources: [\"pods\", \"pods/ephemeralcontainers\", \"replicationcontrollers\", \"podtemplates\"]
      operations: [\"CREATE\", \"UPDATE\"]
      scope: Namespaced
    - apiGroups: [\"apps\"]
      apiVersions: [\"v1\"]
      resources: [\"deployments\", \"replicasets\", \"daemonsets\", \"statefulsets\"]
      operations: [\"CREATE\", \"UPDATE\"]
      scope: Namespaced
    - apiGroups: [\"batch\"]
      apiVersions: [\"v1\"]
      resources: [\"jobs\", \"cronjobs\"]
      operations: [\"CREATE\", \"UPDATE\"]
      scope: Namespaced
";

/// An option the manifests cannot carry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Namespaces are DNS-1123 labels; the name also becomes part of the Service's DNS name.
    #[error("namespace: {0}")]
    Namespace(NameError),
    #[error("image: {0}")]
    Image(NameError),
    #[error("failure policy {0:?}: must be Fail or Ignore")]
    FailurePolicy(String),
}

/// Checks every string option; see [`ManifestError`].
pub fn validate(o: &ManifestOptions) -> Result<(), ManifestError> {
    names::dns1123_label(&o.namespace).map_err(ManifestError::Namespace)?;
    names::image_reference(&o.image).map_err(ManifestError::Image)?;
    if !matches!(o.failure_policy.as_str(), "Fail" | "Ignore") {
        return Err(ManifestError::FailurePolicy(o.failure_policy.clone()));
    }
    Ok(())
}

/// Builds the manifests, after [`validate`]. Values go into the YAML through
/// `palisade_core::yaml::scalar` (plain when that reads back as the same string, quoted
/// otherwise), so even a value that passed validation cannot leave its position; the names in
/// comments are only ever validated DNS labels.
pub fn generate(o: &ManifestOptions) -> Result<Manifests, ManifestError> {
    validate(o)?;
    let ns = &o.namespace;
    let ns_y = q(ns);
    let ca_field = match &o.ca_bundle {
        Some(pem) => format!(
            "      caBundle: {}\n",
            q_ref(&base64::engine::general_purpose::STANDARD.encode(pem))
        ),
        None => String::new(),
    };
    let ca_annotation = if o.ca_bundle.is_none() {
        format!(
            "  annotations:\n    # No --ca-bundle given: cert-manager's CA injector fills in caBundle from\n    \
             # the Certificate that issues Secret {NAME}-tls.\n    \
             cert-manager.io/inject-ca-from: {}\n",
            q(&format!("{ns}/{NAME}"))
        )
    } else {
        String::new()
    };
    let selector = format!(
        "    namespaceSelector:\n      matchExpressions:\n      - key: kubernetes.io/metadata.name\n        \
         operator: NotIn\n        values: [{}, \"kube-system\"]\n",
        double_quoted(ns)
    );
    // Pods that controllers create from templates were judged as their workload already.
    let match_conditions = "    matchConditions:
    - name: not-pods-of-judged-workloads
      expression: >-
        !(request.resource.resource == 'pods' && request.subResource == '' &&
        (request.userInfo.username == 'system:kube-controller-manager' ||
        (request.userInfo.username.startsWith('system:serviceaccount:kube-system:') &&
        request.userInfo.username.endsWith('-controller'))))
";
    let common = |path: &str| {
        format!(
            "    clientConfig:\n      service:\n        name: {NAME}\n        namespace: {ns_y}\n        \
             path: {path}\n        port: 443\n{ca_field}    sideEffects: None\n    \
             admissionReviewVersions: [\"v1\"]\n    timeoutSeconds: {}\n    failurePolicy: {}\n",
            o.timeout_seconds,
            q(&o.failure_policy)
        )
    };
    let mut y = String::new();
    let _ = write!(
        y,
        "# Palisade admission webhook. Apply with `kubectl apply -f`; the serving certificate goes in
# Secret {ns}/{NAME}-tls (keys tls.crt, tls.key) for DNS name {NAME}.{ns}.svc.
{namespace_doc}apiVersion: v1
kind: ServiceAccount
metadata:
  name: {NAME}
  namespace: {ns_y}
# The exec guard reads the pod of every `kubectl exec`/`attach`; nothing else needs the API.
automountServiceAccountToken: true
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {NAME}-exec-guard
rules:
- apiGroups: [\"\"]
  resources: [\"pods\"]
  verbs: [\"get\"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {NAME}-exec-guard
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {NAME}-exec-guard
subjects:
- kind: ServiceAccount
  name: {NAME}
  namespace: {ns_y}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {NAME}-config
  namespace: {ns_y}
data:
  palisade.yaml: |
    # Reloaded on change (the kubelet refreshes the mounted file within a minute).
    webhook:
      fail-on: high
      mode: enforce
      exempt:
        namespaces: [{ns_y}, kube-system]
      exec-guard:
        failure: closed
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: {ns_y}
spec:
  podSelector: {{}}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {NAME}
  namespace: {ns_y}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {NAME}
  policyTypes: [Ingress, Egress]
  ingress:
  # The API server calls the webhook from outside the pod network, from a private address:
  # narrow these to the control plane's addresses where they are known.
  - from:
    - ipBlock:
        cidr: 10.0.0.0/8
    - ipBlock:
        cidr: 172.16.0.0/12
    - ipBlock:
        cidr: 192.168.0.0/16
    - ipBlock:
        cidr: 100.64.0.0/10
    ports:
    - port: 8443
      protocol: TCP
  egress:
  # The Kubernetes API (exec guard), never the cloud metadata endpoint.
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
        except: [169.254.169.254/32]
    ports:
    - port: 443
      protocol: TCP
    - port: 6443
      protocol: TCP
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
    ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {NAME}
  namespace: {ns_y}
  labels:
    app.kubernetes.io/name: {NAME}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: {NAME}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {NAME}
    spec:
      serviceAccountName: {NAME}
      automountServiceAccountToken: true
      terminationGracePeriodSeconds: 30
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:
                  app.kubernetes.io/name: {NAME}
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels:
            app.kubernetes.io/name: {NAME}
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
      - name: webhook
        image: {image}
        imagePullPolicy: Always
        args: [\"webhook\", \"--tls-cert\", \"/tls/tls.crt\", \"--tls-key\", \"/tls/tls.key\",
               \"--config\", \"/config/palisade.yaml\", \"--listen\", \"0.0.0.0:8443\"]
        ports:
        - name: https
          containerPort: 8443
          protocol: TCP
        readinessProbe:
          httpGet:
            path: /readyz
            port: https
            scheme: HTTPS
          periodSeconds: 5
        livenessProbe:
          httpGet:
            path: /healthz
            port: https
            scheme: HTTPS
          periodSeconds: 10
        resources:
          requests:
            cpu: 100m
            memory: 64Mi
          limits:
            cpu: \"1\"
            memory: 256Mi
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          runAsNonRoot: true
          capabilities:
            drop: [ALL]
        volumeMounts:
        - name: tls
          mountPath: /tls
          readOnly: true
        - name: config
          mountPath: /config
          readOnly: true
      volumes:
      - name: tls
        secret:
          secretName: {NAME}-tls
      - name: config
        configMap:
          name: {NAME}-config
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {NAME}
  namespace: {ns_y}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {NAME}
---
apiVersion: v1
kind: Service
metadata:
  name: {NAME}
  namespace: {ns_y}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {NAME}
  ports:
  - name: https
    port: 443
    targetPort: https
    protocol: TCP
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: {NAME}
{ca_annotation}webhooks:
  - name: mutate.palisade.dev
{mutate_common}    reinvocationPolicy: IfNeeded
{selector}{match_conditions}    rules:
{WORKLOAD_RULES}---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: {NAME}
{ca_annotation}webhooks:
  - name: validate.palisade.dev
{validate_common}{selector}{match_conditions}    rules:
{WORKLOAD_RULES}  - name: exec.palisade.dev
{exec_common}{selector}    rules:
    - apiGroups: [\"\"]
      apiVersions: [\"v1\"]
      resources: [\"pods/exec\", \"pods/attach\"]
      operations: [\"CONNECT\"]
      scope: Namespaced
",
        replicas = o.replicas.max(2),
        image = q_ref(&o.image),
        namespace_doc = if o.namespace_object {
            format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns_y}\n  labels:\n    \
                 pod-security.kubernetes.io/enforce: restricted\n    \
                 pod-security.kubernetes.io/enforce-version: {}\n---\n",
                q(&palisade_rules::pss::LATEST_POLICY.to_string())
            )
        } else {
            String::new()
        },
        mutate_common = common("/mutate"),
        validate_common = common("/validate"),
        exec_common = common("/exec"),
    );

    let admission_config = format!(
        "# --admission-control-config-file for kube-apiserver, with ImagePolicyWebhook in
# --enable-admission-plugins. The API server must resolve the Service name in the kubeconfig
# (or use the Service's cluster IP there).
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ImagePolicyWebhook
  configuration:
    imagePolicy:
      kubeConfigFile: {APISERVER_DIR}/imagepolicy.kubeconfig
      allowTTL: 50
      denyTTL: 50
      retryBackoff: 500
      defaultAllow: {}
",
        o.failure_policy == "Ignore"
    );
    let ca_data = match &o.ca_bundle {
        Some(pem) => format!(
            "    certificate-authority-data: {}\n",
            q_ref(&base64::engine::general_purpose::STANDARD.encode(pem))
        ),
        None => format!("    certificate-authority: {APISERVER_DIR}/ca.crt\n"),
    };
    let server = q_ref(&format!("https://{NAME}.{ns}.svc:443/imagepolicy"));
    let imagepolicy_kubeconfig = format!(
        "# The kubeconfig ImagePolicyWebhook uses: `clusters` is the webhook, `users` the API server.
apiVersion: v1
kind: Config
clusters:
- name: palisade-imagepolicy
  cluster:
    server: {server}
{ca_data}users:
- name: kube-apiserver
  user: {{}}
contexts:
- name: default
  context:
    cluster: palisade-imagepolicy
    user: kube-apiserver
current-context: default
"
    );
    Ok(Manifests {
        objects: y,
        admission_config,
        imagepolicy_kubeconfig,
    })
}

/// `text` with every line commented out, for printing API server files next to objects.
pub fn commented(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with('#') {
                format!("{l}\n")
            } else {
                format!("# {l}\n")
            }
        })
        .collect()
}
