#!/usr/bin/env python3
"""Writes a synthetic manifest corpus for benchmarks: N objects of realistic kinds.

Usage: bench/gen_corpus.py OUT_DIR [--objects N] [--per-file K] [--seed S]

Objects are spread over files of K documents each (default 20), mixing Deployments, StatefulSets,
DaemonSets, CronJobs, Pods, Services, ServiceAccounts, ConfigMaps and RBAC objects, with a realistic
share of insecure settings so that rules have work to do.
"""
import argparse
import os
import random

KINDS = ["Deployment"] * 30 + ["Service"] * 20 + ["ConfigMap"] * 12 + ["ServiceAccount"] * 8 + \
        ["StatefulSet"] * 6 + ["DaemonSet"] * 5 + ["CronJob"] * 5 + ["Pod"] * 6 + \
        ["Role"] * 4 + ["RoleBinding"] * 4


def container(rng, i):
    tag = rng.choice(["latest", "1.25.3", "v2.1.0", None, "3.9-alpine"])
    image = f"{rng.choice(['', 'ghcr.io/acme/', 'registry.example.com/team/'])}app{i % 50}"
    if tag:
        image += f":{tag}"
    lines = [
        f"- name: c{i}",
        f"  image: {image}",
        f"  imagePullPolicy: {rng.choice(['Always', 'IfNotPresent'])}",
        "  ports:",
        f"  - containerPort: {8000 + i % 100}",
        "    protocol: TCP",
        "  env:",
        "  - name: LOG_LEVEL",
        "    value: info",
        "  - name: DB_PASSWORD",
        "    valueFrom: {secretKeyRef: {name: db, key: password}}",
        "  resources:",
        "    requests: {cpu: 100m, memory: 128Mi}",
        "    limits: {cpu: 500m, memory: 256Mi}",
        "  readinessProbe:",
        "    httpGet: {path: /healthz, port: 8080}",
        "    periodSeconds: 10",
        "  securityContext:",
    ]
    if rng.random() < 0.1:
        lines.append("    privileged: true")
    else:
        lines += ["    allowPrivilegeEscalation: false", "    readOnlyRootFilesystem: true",
                  "    runAsNonRoot: true", "    capabilities: {drop: [ALL]}"]
    lines += ["  volumeMounts:", "  - {name: data, mountPath: /data}"]
    return lines


def pod_spec(rng, n):
    lines = []
    if rng.random() < 0.05:
        lines.append("hostNetwork: true")
    lines += ["serviceAccountName: app", "securityContext:", "  seccompProfile: {type: RuntimeDefault}",
              "containers:"]
    for c in range(rng.choice([1, 1, 1, 2, 3])):
        lines += container(rng, n + c)
    lines += ["volumes:"]
    if rng.random() < 0.05:
        lines += ["- name: data", "  hostPath: {path: /var/lib/data}"]
    else:
        lines += ["- name: data", "  emptyDir: {}"]
    return lines


def indent(lines, n):
    return [" " * n + l for l in lines]


def obj(rng, kind, n):
    ns = f"team-{n % 37}"
    name = f"svc-{n}"
    head = {
        "Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
        "CronJob": "batch/v1", "Pod": "v1", "Service": "v1", "ConfigMap": "v1",
        "ServiceAccount": "v1", "Role": "rbac.authorization.k8s.io/v1",
        "RoleBinding": "rbac.authorization.k8s.io/v1",
    }[kind]
    out = [f"apiVersion: {head}", f"kind: {kind}", "metadata:", f"  name: {name}", f"  namespace: {ns}",
           "  labels:", f"    app.kubernetes.io/name: {name}", "    app.kubernetes.io/part-of: bench"]
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        out += ["spec:"]
        if kind != "DaemonSet":
            out.append("  replicas: 3")
        out += ["  selector:", f"    matchLabels: {{app: {name}}}", "  template:", "    metadata:",
                f"      labels: {{app: {name}}}", "    spec:"] + indent(pod_spec(rng, n), 6)
    elif kind == "CronJob":
        out += ["spec:", "  schedule: '*/5 * * * *'", "  jobTemplate:", "    spec:", "      template:",
                "        spec:", "          restartPolicy: OnFailure"] + indent(pod_spec(rng, n), 10)
    elif kind == "Pod":
        out += ["spec:"] + indent(pod_spec(rng, n), 2)
    elif kind == "Service":
        out += ["spec:", f"  type: {rng.choice(['ClusterIP', 'ClusterIP', 'NodePort'])}",
                f"  selector: {{app: {name}}}", "  ports:", "  - port: 80", "    targetPort: 8080"]
    elif kind == "ConfigMap":
        out += ["data:"] + [f"  key{k}: value-{k}-{n}" for k in range(8)]
    elif kind == "ServiceAccount":
        if rng.random() < 0.5:
            out.append("automountServiceAccountToken: false")
    elif kind == "Role":
        out += ["rules:", "- apiGroups: ['']", "  resources: [pods, configmaps]", "  verbs: [get, list, watch]"]
    elif kind == "RoleBinding":
        out += ["roleRef:", "  apiGroup: rbac.authorization.k8s.io", "  kind: Role", f"  name: svc-{n}",
                "subjects:", "- kind: ServiceAccount", "  name: app", f"  namespace: {ns}"]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--per-file", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    n = 0
    f = 0
    while n < a.objects:
        docs = []
        for _ in range(min(a.per_file, a.objects - n)):
            docs.append(obj(rng, rng.choice(KINDS), n))
            n += 1
        sub = os.path.join(a.out, f"d{f // 500:03d}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"f{f:05d}.yaml"), "w") as fh:
            fh.write("---\n".join(docs))
        f += 1
    print(f"wrote {n} objects in {f} files to {a.out}")


if __name__ == "__main__":
    main()
