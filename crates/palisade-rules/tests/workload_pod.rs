//! PS150–PS153 and PA903: runtime sockets, writable root, memory limits, secrets in env, types.

mod workload_support;

use palisade_rules::workload::{credential_name, literal_secret, socket_under};
use workload_support::*;

fn host_path(path: &str) -> String {
    pod(&format!(
        "  containers:\n  - name: agent\n    image: x:1\n    volumeMounts:\n    - name: v\n      mountPath: /host\n  volumes:\n  - name: v\n    hostPath:\n      path: '{path}'\n"
    ))
}

#[test]
fn ps150_runtime_sockets() {
    let p = "/spec/volumes/0/hostPath/path";
    let flagged = [
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/var/run/docker.sock/",
        "//var//run//docker.sock",
        "/var/./run/docker.sock",
        "/run/containerd/containerd.sock",
        "/var/run/containerd/containerd.sock",
        "/var/run/crio/crio.sock",
        "/run/k3s/containerd/containerd.sock",
        "/var/run/cri-dockerd.sock",
        "/run/podman/podman.sock",
        "/var/snap/microk8s/common/run/containerd.sock",
        "/var/snap/microk8s/common/run",
        "/opt/custom/docker.sock",
        "/var/run",
        "/var/run/",
        "/run",
        "/run/containerd",
        "/run/k3s",
        "/var/run/crio",
        "/",
        "//",
        r"\\.\pipe\docker_engine",
    ];
    for path in flagged {
        assert_pointers(path, &check("PS150", &host_path(path)), &[p]);
    }
    let fine = [
        "/var",
        "/var/snap",
        "/var/log",
        "/var/lib/docker/containers",
        "/run/systemd",
        "/var/run/secrets",
        "/var/lib/kubelet/pod-resources/kubelet.sock",
        "/etc/docker.sock.d",
        "/dev",
        "/proc",
    ];
    for path in fine {
        assert_pointers(path, &check("PS150", &host_path(path)), &[]);
    }
}

#[test]
fn ps150_messages_and_workloads() {
    let f = check("PS150", &host_path("/var/run/docker.sock"));
    assert!(
        f[0].message.contains("volume \"v\"")
            && f[0].message.contains("Docker runtime socket")
            && f[0].message.contains("mounted by \"agent\""),
        "{}",
        f[0].message
    );
    let f = check("PS150", &host_path("/run"));
    assert!(
        f[0].message.contains("/run/containerd/containerd.sock"),
        "{}",
        f[0].message
    );
    let f = check("PS150", &host_path("/"));
    assert!(f[0].message.contains("root directory"), "{}", f[0].message);

    let ds = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  template:
    spec:
      containers:
      - name: a
        image: x:1
      volumes:
      - name: logs
        hostPath:
          path: /var/log
      - name: sock
        hostPath:
          path: /var/run/docker.sock
          type: Socket
      - name: cfg
        configMap:
          name: c
";
    let f = check("PS150", ds);
    assert_pointers(
        "daemonset",
        &f,
        &["/spec/template/spec/volumes/1/hostPath/path"],
    );
    assert!(
        f[0].message.contains("no container mounts it"),
        "{}",
        f[0].message
    );
    assert!(socket_under("/var/run/docker.sock").is_some());
    assert!(socket_under("/var/log").is_none());
}

#[test]
fn ps151_read_only_root() {
    let c = |i: usize| format!("/spec/containers/{i}/securityContext/readOnlyRootFilesystem");
    let cases: &[(&str, String, Vec<String>)] = &[
        ("absent", one_container(""), vec![c(0)]),
        (
            "true",
            one_container("    securityContext:\n      readOnlyRootFilesystem: true\n"),
            vec![],
        ),
        (
            "YAML 1.1 yes",
            one_container("    securityContext:\n      readOnlyRootFilesystem: yes\n"),
            vec![],
        ),
        (
            "false",
            one_container("    securityContext:\n      readOnlyRootFilesystem: false\n"),
            vec![c(0)],
        ),
        (
            "pod-level securityContext has no such field",
            pod("  securityContext:\n    runAsNonRoot: true\n  containers:\n  - name: c\n    image: x:1\n"),
            vec![c(0)],
        ),
        (
            "init and ephemeral containers",
            pod("  initContainers:\n  - name: i\n    image: x:1\n  containers:\n  - name: c\n    image: x:1\n    securityContext:\n      readOnlyRootFilesystem: true\n  ephemeralContainers:\n  - name: debug\n    image: busybox:1\n"),
            vec!["/spec/initContainers/0/securityContext/readOnlyRootFilesystem".to_owned()],
        ),
        (
            "Windows pods cannot set it",
            pod("  os:\n    name: windows\n  containers:\n  - name: c\n    image: x:1\n"),
            vec![],
        ),
    ];
    for (name, yaml, expected) in cases {
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_pointers(name, &check("PS151", yaml), &expected);
    }
    let f = check(
        "PS151",
        &one_container("    securityContext:\n      readOnlyRootFilesystem: false\n"),
    );
    assert!(f[0].message.contains("sets readOnlyRootFilesystem: false"));
}

#[test]
fn ps152_memory_limits() {
    let m = |path: &str| format!("{path}/resources/limits/memory");
    let cases: &[(&str, String, Vec<String>)] = &[
        ("no resources", one_container(""), vec![m("/spec/containers/0")]),
        (
            "memory limit",
            one_container("    resources:\n      limits:\n        memory: 256Mi\n"),
            vec![],
        ),
        (
            "CPU limit only is not enough",
            one_container("    resources:\n      limits:\n        cpu: 500m\n      requests:\n        memory: 128Mi\n"),
            vec![m("/spec/containers/0")],
        ),
        (
            "memory without CPU is fine",
            one_container("    resources:\n      limits:\n        memory: 1Gi\n      requests:\n        cpu: 100m\n"),
            vec![],
        ),
        (
            "null limit",
            one_container("    resources:\n      limits:\n        memory: ~\n"),
            vec![m("/spec/containers/0")],
        ),
        (
            "pod-level limit covers every container",
            pod("  resources:\n    limits:\n      memory: 1Gi\n  containers:\n  - name: c\n    image: x:1\n"),
            vec![],
        ),
        (
            "init container without, ephemeral skipped",
            pod("  initContainers:\n  - name: i\n    image: x:1\n  containers:\n  - name: c\n    image: x:1\n    resources:\n      limits:\n        memory: 64Mi\n  ephemeralContainers:\n  - name: debug\n    image: x:1\n"),
            vec![m("/spec/initContainers/0")],
        ),
    ];
    for (name, yaml, expected) in cases {
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_pointers(name, &check("PS152", yaml), &expected);
    }
}

#[test]
fn ps152_limit_range_default() {
    let yaml = "\
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: shop
spec:
  limits:
  - type: Container
    default:
      memory: 512Mi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: covered
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: c
        image: x:1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: elsewhere
  namespace: web
spec:
  template:
    spec:
      containers:
      - name: c
        image: x:1
";
    assert_eq!(check("PS152", yaml).len(), 2);
    let f = check_all("PS152", yaml);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].object.as_ref().unwrap().name.as_deref(),
        Some("elsewhere")
    );
}

fn env(vars: &str) -> String {
    one_container(&format!("    env:\n{vars}"))
}

#[test]
fn ps153_secrets_in_env() {
    let v = |i: usize| format!("/spec/containers/0/env/{i}/value");
    let cases: &[(&str, String, Vec<String>)] = &[
        ("literal password", env("    - name: DB_PASSWORD\n      value: hunter2\n"), vec![v(0)]),
        ("camelCase api key", env("    - name: stripeApiKey\n      value: sk_live_abcdef\n"), vec![v(0)]),
        ("token", env("    - name: GITHUB_TOKEN\n      value: ghp_abcdefghijkl\n"), vec![v(0)]),
        ("AWS secret key", env("    - name: AWS_SECRET_ACCESS_KEY\n      value: wJalrXUtnFEMI\n"), vec![v(0)]),
        ("numeric password", env("    - name: MYSQL_ROOT_PASSWORD\n      value: \"123456\"\n"), vec![v(0)]),
        (
            "password in a URL, any name",
            env("    - name: DATABASE_URL\n      value: postgres://app:s3cret@db:5432/app\n"),
            vec![v(0)],
        ),
        (
            "from a Secret",
            env("    - name: DB_PASSWORD\n      valueFrom:\n        secretKeyRef:\n          name: db\n          key: password\n"),
            vec![],
        ),
        (
            "from a ConfigMap",
            env("    - name: API_TOKEN\n      valueFrom:\n        configMapKeyRef:\n          name: cfg\n          key: token\n"),
            vec!["/spec/containers/0/env/0/valueFrom/configMapKeyRef".to_owned()],
        ),
        ("empty", env("    - name: DB_PASSWORD\n      value: \"\"\n"), vec![]),
        ("reference", env("    - name: DB_PASSWORD\n      value: $(PASSWORD_FROM_SECRET)\n"), vec![]),
        ("placeholder", env("    - name: DB_PASSWORD\n      value: ${DB_PASSWORD}\n"), vec![]),
        ("path", env("    - name: TOKEN\n      value: /var/run/secrets/token\n"), vec![]),
        ("_FILE", env("    - name: POSTGRES_PASSWORD_FILE\n      value: pw.txt\n"), vec![]),
        ("TOKEN_PATH", env("    - name: TOKEN_PATH\n      value: token\n"), vec![]),
        ("SECRET_NAME", env("    - name: SECRET_NAME\n      value: my-secret\n"), vec![]),
        ("ACCESS_KEY_ID", env("    - name: AWS_ACCESS_KEY_ID\n      value: AKIAEXAMPLE\n"), vec![]),
        ("boolean", env("    - name: AUTH_TOKEN\n      value: \"false\"\n"), vec![]),
        ("plural tokens is a count", env("    - name: MAX_TOKENS\n      value: \"4096\"\n"), vec![]),
        ("PWD is the working directory", env("    - name: PWD\n      value: app\n"), vec![]),
        ("URL without password", env("    - name: TOKEN_ISSUER_HOST\n      value: https://auth.example.com\n"), vec![]),
        ("URL with referenced password", env("    - name: DATABASE_URL\n      value: postgres://app:$(DB_PASSWORD)@db/app\n"), vec![]),
        ("fill-in placeholder", env("    - name: OAUTH_CLIENT_SECRET\n      value: <Client Secret>\n"), vec![]),
        ("INSERT_ placeholder", env("    - name: CLUSTER_TOKEN\n      value: INSERT_CLUSTER_TOKEN\n"), vec![]),
        ("own name", env("    - name: HF_TOKEN\n      value: HF_TOKEN\n"), vec![]),
        ("a word of the name", env("    - name: COOKIE_SECRET\n      value: SECRET\n"), vec![]),
        ("weak default is still a credential", env("    - name: POSTGRES_PASSWORD\n      value: postgres\n"), vec![v(0)]),
        ("the word in lower case is a weak password", env("    - name: DB_PASSWORD\n      value: password\n"), vec![v(0)]),
        ("not a credential", env("    - name: LOG_LEVEL\n      value: debug\n"), vec![]),
        ("bypass is not pass", env("    - name: BYPASS\n      value: everything\n"), vec![]),
    ];
    for (name, yaml, expected) in cases {
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_pointers(name, &check("PS153", yaml), &expected);
    }
}

#[test]
fn ps153_never_echoes_the_value() {
    let f = check(
        "PS153",
        &pod("  initContainers:\n  - name: migrate\n    image: x:1\n    env:\n    - name: DB_PASSWORD\n      value: hunter2\n  containers: []\n"),
    );
    assert_eq!(f.len(), 1);
    assert!(!f[0].message.contains("hunter2"), "{}", f[0].message);
    assert!(
        f[0].message.contains("init container \"migrate\"") && f[0].message.contains("DB_PASSWORD")
    );
    assert!(credential_name("client_secret"));
    assert!(!credential_name("CLIENT_SECRET_REF"));
    assert!(literal_secret("abc123xyz"));
    assert!(!literal_secret("  "));
}

#[test]
fn pa903_field_types() {
    let spec = "/spec";
    let c0 = "/spec/containers/0";
    let cases: &[(&str, String, Vec<String>)] = &[
        (
            "quoted booleans and integers at pod level",
            pod("  hostNetwork: \"true\"\n  hostPID: \"yes\"\n  securityContext:\n    runAsNonRoot: \"false\"\n    runAsUser: \"0\"\n    supplementalGroups: [1000, \"2000\"]\n  containers:\n  - name: c\n    image: x:1\n"),
            vec![
                format!("{spec}/hostNetwork"),
                format!("{spec}/hostPID"),
                format!("{spec}/securityContext/runAsNonRoot"),
                format!("{spec}/securityContext/runAsUser"),
                format!("{spec}/securityContext/supplementalGroups/1"),
            ],
        ),
        (
            "container fields",
            one_container("    securityContext:\n      privileged: \"true\"\n      allowPrivilegeEscalation: 1\n      runAsUser: root\n      windowsOptions:\n        hostProcess: \"true\"\n    ports:\n    - containerPort: 80\n      hostPort: \"8080\"\n"),
            vec![
                format!("{c0}/securityContext/privileged"),
                format!("{c0}/securityContext/allowPrivilegeEscalation"),
                format!("{c0}/securityContext/runAsUser"),
                format!("{c0}/securityContext/windowsOptions/hostProcess"),
                format!("{c0}/ports/0/hostPort"),
            ],
        ),
        (
            "well-typed values, YAML 1.1 booleans, whole floats, nulls",
            pod("  hostNetwork: no\n  hostIPC: off\n  automountServiceAccountToken: false\n  securityContext:\n    runAsUser: 1000.0\n    fsGroup: 2000\n    runAsGroup: ~\n  containers:\n  - name: c\n    image: x:1\n    securityContext:\n      privileged: false\n      readOnlyRootFilesystem: yes\n"),
            vec![],
        ),
        (
            "lists and mappings",
            pod("  hostUsers: [false]\n  shareProcessNamespace: {a: b}\n  securityContext:\n    fsGroup: 1.5\n    supplementalGroups: \"1000\"\n  containers: []\n"),
            vec![
                format!("{spec}/hostUsers"),
                format!("{spec}/shareProcessNamespace"),
                format!("{spec}/securityContext/fsGroup"),
                format!("{spec}/securityContext/supplementalGroups"),
            ],
        ),
        (
            "ServiceAccount",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\nautomountServiceAccountToken: \"false\"\n".to_owned(),
            vec!["/automountServiceAccountToken".to_owned()],
        ),
        (
            "Deployment ephemeral container",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: []\n  ephemeralContainers:\n  - name: debug\n    image: x:1\n    securityContext:\n      runAsNonRoot: \"true\"\n".to_owned(),
            vec!["/spec/ephemeralContainers/0/securityContext/runAsNonRoot".to_owned()],
        ),
    ];
    for (name, yaml, expected) in cases {
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_pointers(name, &check("PA903", yaml), &expected);
    }
}

#[test]
fn pa903_messages() {
    let f = check(
        "PA903",
        &one_container("    securityContext:\n      privileged: \"true\"\n"),
    );
    let m = &f[0].message;
    assert!(
        m.contains("container \"c\"")
            && m.contains("securityContext.privileged")
            && m.contains("quoted string \"true\"")
            && m.contains("not a boolean")
            && m.contains("API server rejects")
            && m.contains("spells true"),
        "{m}"
    );
    assert_eq!(f[0].container.as_deref(), Some("c"));
    let f = check(
        "PA903",
        &pod("  securityContext:\n    runAsUser: \"0\"\n  containers: []\n"),
    );
    assert!(f[0].message.contains("not an integer") && f[0].message.contains("spells 0"));
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      hostNetwork: \"yes\"\n      containers: []\n";
    assert_pointers(
        "deployment",
        &check("PA903", deploy),
        &["/spec/template/spec/hostNetwork"],
    );
}

/// Fields that hold the structure: a wrong shape hides everything below it from every rule.
#[test]
fn pa903_structure() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "spec a list",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n- template: {}\n",
            &["/spec"],
        ),
        (
            "pod template spec a string",
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec: none\n",
            &["/spec/jobTemplate/spec/template/spec"],
        ),
        (
            "containers a mapping",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    name: c\n    image: x:1\n    securityContext:\n      privileged: true\n",
            &["/spec/containers"],
        ),
        (
            "a container that is a string, a securityContext list, capabilities a string",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext: [runAsNonRoot]\n  initContainers:\n  - busybox\n  containers:\n  - name: c\n    image: x:1\n    securityContext:\n      capabilities:\n        drop: ALL\n",
            &[
                "/spec/securityContext",
                "/spec/initContainers/0",
                "/spec/containers/0/securityContext/capabilities/drop",
            ],
        ),
        (
            "labels a list, RBAC rules a mapping",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  labels: [a]\nrules:\n  apiGroups: ['*']\n",
            &["/metadata/labels", "/rules"],
        ),
        (
            "NetworkPolicy ingress a mapping, Service ports a mapping",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: n\nspec:\n  podSelector: {}\n  ingress:\n    from: []\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n    port: 80\n",
            &["/spec/ingress", "/spec/ports"],
        ),
        (
            "well-formed, with nulls and empty lists",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  labels: {}\n  annotations:\nspec:\n  template:\n    metadata:\n    spec:\n      volumes: []\n      containers:\n      - name: c\n        image: x:1\n        env:\n        securityContext:\n          capabilities:\n            drop: [ALL]\n",
            &[],
        ),
    ];
    for (name, yaml, expected) in cases {
        assert_pointers(name, &check("PA903", yaml), expected);
    }
    let f = check(
        "PA903",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    name: c\n",
    );
    assert!(
        f[0].message.contains("containers is a mapping, not a list")
            && f[0].message.contains("nothing below it can be checked"),
        "{}",
        f[0].message
    );
}

#[test]
fn ps154_secrets_taken_as_environment_variables() {
    let ptr = |rest: &str| format!("/spec/containers/0/{rest}");
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            "secretKeyRef",
            env("    - name: LOG_LEVEL\n      value: info\n    - name: DB_PASSWORD\n      valueFrom:\n        secretKeyRef: {name: db, key: password}\n"),
            vec![ptr("env/1/valueFrom/secretKeyRef")],
        ),
        (
            "envFrom secretRef",
            one_container("    envFrom:\n    - configMapRef: {name: settings}\n    - secretRef: {name: api-keys}\n"),
            vec![ptr("envFrom/1/secretRef")],
        ),
        (
            "both: one finding per container, at the first",
            one_container("    envFrom:\n    - secretRef: {name: api-keys}\n    env:\n    - name: TOKEN\n      valueFrom:\n        secretKeyRef: {name: t, key: t}\n"),
            vec![ptr("env/0/valueFrom/secretKeyRef")],
        ),
        // Hardened twins: the same values from a ConfigMap, a field, or a mounted Secret.
        (
            "configMapKeyRef",
            env("    - name: MODE\n      valueFrom:\n        configMapKeyRef: {name: c, key: mode}\n"),
            vec![],
        ),
        (
            "fieldRef",
            env("    - name: POD_NAME\n      valueFrom:\n        fieldRef: {fieldPath: metadata.name}\n"),
            vec![],
        ),
        (
            "secret volume",
            one_container("    volumeMounts:\n    - {name: db, mountPath: /run/secrets/db, readOnly: true}\n  volumes:\n  - name: db\n    secret: {secretName: db}\n"),
            vec![],
        ),
    ];
    for (name, yaml, expected) in cases {
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_pointers(name, &check("PS154", &yaml), &expected);
    }
    let f = check(
        "PS154",
        &env("    - name: DB_PASSWORD\n      valueFrom:\n        secretKeyRef: {name: db, key: password}\n"),
    );
    assert_eq!(f[0].severity, palisade_core::Severity::Low);
    assert!(
        f[0].message.contains("\"DB_PASSWORD\" (Secret \"db\")"),
        "{}",
        f[0].message
    );
}

/// Pod templates of OpenShift DeploymentConfigs and Argo Rollouts are checked like a
/// Deployment's (Checkov and Kubescape scan them too); a Rollout that only points at a
/// Deployment has no template of its own.
#[test]
fn deployment_configs_and_rollouts_are_workloads() {
    let workload = |api: &str, kind: &str, sc: &str| {
        format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w\nspec:\n  template:\n    spec:\n      \
             containers:\n      - name: c\n        image: x:1\n        securityContext: {sc}\n"
        )
    };
    for (api, kind) in [
        ("apps.openshift.io/v1", "DeploymentConfig"),
        ("v1", "DeploymentConfig"),
        ("argoproj.io/v1alpha1", "Rollout"),
    ] {
        let bad = check("PS101", &workload(api, kind, "{privileged: true}"));
        assert_eq!(
            pointers(&bad),
            ["/spec/template/spec/containers/0/securityContext/privileged"],
            "{kind}"
        );
        assert!(check("PS101", &workload(api, kind, "{privileged: false}")).is_empty());
    }
    // Same kind name, another group: not a workload Palisade knows.
    assert!(check(
        "PS101",
        &workload("example.com/v1", "Rollout", "{privileged: true}")
    )
    .is_empty());
    let by_reference = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec:\n  workloadRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n";
    assert!(check("PS101", by_reference).is_empty());
}
