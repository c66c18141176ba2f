//! The baseline checks of the Pod Security Standards, one table per check, each row a pod, a
//! level, a policy version and the check IDs it must violate there. Restricted-level rows use
//! pods that satisfy every restricted requirement except the one under test, so the expected
//! list names exactly the checks the row is about.

mod common;

use common::*;

#[test]
#[rustfmt::skip]
fn privileged() {
    let bad = |field: &str| pod(&format!("containers: [{}]", ctr_raw("app", field)));
    let mut t = vec![
        case("privileged: true", bad("securityContext: {privileged: true}"), B, v(0), &["privileged"]),
        case("privileged: false", bad("securityContext: {privileged: false}"), B, v(37), &[]),
        case("privileged: null", bad("securityContext: {privileged: null}"), B, v(37), &[]),
        case("securityContext: null", bad("securityContext: null"), B, v(37), &[]),
        case("YAML 1.1 yes", bad("securityContext: {privileged: yes}"), B, v(37), &["privileged"]),
        case("quoted \"true\" is still meant as true", bad("securityContext: {privileged: \"true\"}"), B, v(37), &["privileged"]),
        case("quoted \"false\"", bad("securityContext: {privileged: \"false\"}"), B, v(37), &[]),
        case(
            "init container",
            pod("initContainers: [{name: init, image: x, securityContext: {privileged: true}}], containers: [{name: app, image: x}]"),
            B, v(30), &["privileged"],
        ),
        case(
            "ephemeral container",
            pod("containers: [{name: app, image: x}], ephemeralContainers: [{name: debug, image: x, securityContext: {privileged: true}}]"),
            B, v(30), &["privileged"],
        ),
        case("privileged level allows anything", bad("securityContext: {privileged: true}"), P, v(37), &[]),
        case("restricted includes privileged", rpod1("privileged: true"), R, v(37), &["privileged"]),
        case("restricted, privileged: false", rpod1("privileged: false"), R, v(37), &[]),
    ];
    t.extend(across("privileged at every version", &bad("securityContext: {privileged: true}"), B, |_| vec!["privileged"]));
    t.extend(across("restricted privileged at every version", &rpod1("privileged: true"), R, |_| vec!["privileged"]));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn host_namespaces() {
    let p = |spec: &str| pod(&format!("{spec}, containers: [{{name: app, image: x}}]"));
    let mut t = vec![
        case("hostNetwork", p("hostNetwork: true"), B, v(0), &["hostNamespaces"]),
        case("hostPID", p("hostPID: true"), B, v(37), &["hostNamespaces"]),
        case("hostIPC", p("hostIPC: true"), B, v(37), &["hostNamespaces"]),
        case("all three", p("hostNetwork: true, hostPID: true, hostIPC: true"), B, v(37), &["hostNamespaces"]),
        case("all false", p("hostNetwork: false, hostPID: false, hostIPC: false"), B, v(37), &[]),
        case("YAML 1.1 on", p("hostPID: on"), B, v(37), &["hostNamespaces"]),
        case("quoted \"true\"", p("hostIPC: \"true\""), B, v(37), &["hostNamespaces"]),
        case("hostUsers is not a host namespace check", p("hostUsers: true"), B, v(37), &[]),
        case("privileged level", p("hostNetwork: true"), P, v(37), &[]),
        case("restricted", rpod("", "hostNetwork: true", &[ctr("app", "")]), R, v(37), &["hostNamespaces"]),
        case("restricted 1.0", rpod("", "hostPID: true", &[ctr("app", "")]), R, v(0), &["hostNamespaces"]),
    ];
    t.extend(across("hostNetwork at every version", &p("hostNetwork: true"), B, |_| vec!["hostNamespaces"]));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn host_path_volumes() {
    let vols = |v: &str| {
        pod(&format!(
            "containers: [{{name: app, image: x}}], volumes: [{v}]"
        ))
    };
    let rvols = |v: &str| rpod("", &format!("volumes: [{v}]"), &[ctr("app", "")]);
    let host = "{name: data, hostPath: {path: /var/run/docker.sock}}";
    let mut t = vec![
        case("hostPath", vols(host), B, v(0), &["hostPathVolumes"]),
        case("hostPath with type", vols("{name: d, hostPath: {path: /, type: Directory}}"), B, v(37), &["hostPathVolumes"]),
        case("emptyDir", vols("{name: d, emptyDir: {}}"), B, v(37), &[]),
        case("hostPath: null is no hostPath", vols("{name: d, hostPath: null, emptyDir: {}}"), B, v(37), &[]),
        case("one of several volumes", vols(&format!("{{name: a, emptyDir: {{}}}}, {host}, {{name: c, secret: {{secretName: s}}}}")), B, v(37), &["hostPathVolumes"]),
        case("nfs is fine at baseline", vols("{name: d, nfs: {server: n, path: /}}"), B, v(37), &[]),
        case("privileged level", vols(host), P, v(37), &[]),
    ];
    // At restricted, restrictedVolumes overrides hostPathVolumes at every version.
    t.extend(across("restricted hostPath", &rvols(host), R, |_| {
        vec!["restrictedVolumes"]
    }));
    t.extend(across("baseline hostPath", &vols(host), B, |_| {
        vec!["hostPathVolumes"]
    }));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn host_ports() {
    let ports = |p: &str| {
        pod(&format!(
            "containers: [{{name: app, image: x, ports: [{p}]}}]"
        ))
    };
    let t = vec![
        case("hostPort", ports("{containerPort: 80, hostPort: 8080}"), B, v(0), &["hostPorts"]),
        case("hostPort 0", ports("{containerPort: 80, hostPort: 0}"), B, v(37), &[]),
        case("containerPort only", ports("{containerPort: 80}"), B, v(37), &[]),
        case("quoted hostPort", ports("{containerPort: 80, hostPort: \"8080\"}"), B, v(37), &["hostPorts"]),
        case("second port", ports("{containerPort: 80}, {containerPort: 443, hostPort: 443}"), B, v(37), &["hostPorts"]),
        case(
            "init container",
            pod("initContainers: [{name: i, image: x, ports: [{containerPort: 53, hostPort: 53}]}], containers: [{name: app, image: x}]"),
            B, v(37), &["hostPorts"],
        ),
        case(
            "ephemeral container",
            pod("containers: [{name: app, image: x}], ephemeralContainers: [{name: d, image: x, ports: [{containerPort: 9, hostPort: 9}]}]"),
            B, v(37), &["hostPorts"],
        ),
        case("privileged level", ports("{containerPort: 80, hostPort: 8080}"), P, v(37), &[]),
        case("restricted", rpod("", "", &[ctr("app", "").replace("image: app:1", "image: app:1, ports: [{containerPort: 80, hostPort: 80}]")]), R, v(37), &["hostPorts"]),
        case("restricted 1.10", rpod("", "", &[ctr("app", "").replace("image: app:1", "image: app:1, ports: [{containerPort: 80, hostPort: 80}]")]), R, v(10), &["hostPorts"]),
    ];
    run(&t);
}

#[test]
#[rustfmt::skip]
fn capabilities_baseline() {
    let caps = |c: &str| {
        pod(&format!(
            "containers: [{{name: app, image: x, securityContext: {{capabilities: {{{c}}}}}}}]"
        ))
    };
    let rcaps = |c: &str| {
        rpod(
            "",
            "",
            &[ctr_raw(
                "app",
                &format!(
                    "securityContext: {{allowPrivilegeEscalation: false, capabilities: {{{c}}}}}"
                ),
            )],
        )
    };
    let all_defaults = "add: [AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT]";
    let windows = |c: &str| {
        pod(&format!(
            "os: {{name: windows}}, securityContext: {{runAsNonRoot: true}}, containers: [{{name: app, image: x, securityContext: {{capabilities: {{{c}}}}}}}]"
        ))
    };
    let mut t = vec![
        case("SYS_ADMIN", caps("add: [SYS_ADMIN]"), B, v(0), &["capabilities_baseline"]),
        case("NET_RAW is not in the default set", caps("add: [NET_RAW]"), B, v(37), &["capabilities_baseline"]),
        case("every default capability", caps(all_defaults), B, v(37), &[]),
        case("CAP_ prefix is compared exactly", caps("add: [CAP_CHOWN]"), B, v(37), &["capabilities_baseline"]),
        case("lower case is compared exactly", caps("add: [chown]"), B, v(37), &["capabilities_baseline"]),
        case("drop only", caps("drop: [ALL]"), B, v(37), &[]),
        case("empty add", caps("add: []"), B, v(37), &[]),
        case(
            "init container",
            pod("initContainers: [{name: i, image: x, securityContext: {capabilities: {add: [NET_ADMIN]}}}], containers: [{name: app, image: x}]"),
            B, v(37), &["capabilities_baseline"],
        ),
        case(
            "ephemeral container",
            pod("containers: [{name: app, image: x}], ephemeralContainers: [{name: d, image: x, securityContext: {capabilities: {add: [SYS_PTRACE]}}}]"),
            B, v(37), &["capabilities_baseline"],
        ),
        case("privileged level", caps("add: [SYS_ADMIN]"), P, v(37), &[]),
        // A Windows pod at baseline gets no exemption.
        case("windows pod at baseline", windows("add: [SYS_ADMIN]"), B, v(37), &["capabilities_baseline"]),
    ];
    // Restricted uses capabilities_baseline until capabilities_restricted exists (1.22).
    t.extend(across(
        "restricted SYS_ADMIN",
        &rcaps("drop: [ALL], add: [SYS_ADMIN]"),
        R,
        |m| {
            vec![if m < 22 {
                "capabilities_baseline"
            } else {
                "capabilities_restricted"
            }]
        },
    ));
    t.extend(across(
        "restricted CHOWN (a default)",
        &rcaps("drop: [ALL], add: [CHOWN]"),
        R,
        |m| {
            if m < 22 {
                vec![]
            } else {
                vec!["capabilities_restricted"]
            }
        },
    ));
    // Windows pods: exempt from capabilities_restricted from 1.25, which still overrides the
    // baseline check, so nothing checks capabilities there.
    t.extend(across(
        "restricted windows SYS_ADMIN",
        &windows("add: [SYS_ADMIN]"),
        R,
        |m| {
            let mut ids = vec![];
            if m < 22 {
                ids.push("capabilities_baseline");
            } else if m < 25 {
                ids.push("capabilities_restricted");
            }
            if (8..25).contains(&m) {
                ids.push("allowPrivilegeEscalation");
            }
            if (19..25).contains(&m) {
                ids.push("seccompProfile_restricted");
            }
            ids
        },
    ));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn windows_host_process() {
    let wpod = |psc: &str, csc: &str| {
        pod(&format!(
            "os: {{name: windows}}, securityContext: {{{psc}}}, containers: [{{name: app, image: x, securityContext: {{{csc}}}}}]"
        ))
    };
    let mut t = vec![
        case("pod hostProcess", wpod("windowsOptions: {hostProcess: true}", ""), B, v(0), &["windowsHostProcess"]),
        case("container hostProcess", wpod("", "windowsOptions: {hostProcess: true}"), B, v(37), &["windowsHostProcess"]),
        case("both", wpod("windowsOptions: {hostProcess: true}", "windowsOptions: {hostProcess: true}"), B, v(37), &["windowsHostProcess"]),
        case("hostProcess false", wpod("windowsOptions: {hostProcess: false}", "windowsOptions: {hostProcess: false}"), B, v(37), &[]),
        case("runAsUserName only", wpod("windowsOptions: {runAsUserName: ContainerUser}", ""), B, v(37), &[]),
        case("quoted \"true\"", wpod("", "windowsOptions: {hostProcess: \"true\"}"), B, v(37), &["windowsHostProcess"]),
        case(
            "init container",
            pod("os: {name: windows}, initContainers: [{name: i, image: x, securityContext: {windowsOptions: {hostProcess: true}}}], containers: [{name: app, image: x}]"),
            B, v(37), &["windowsHostProcess"],
        ),
        case(
            "checked on a pod without os too",
            pod("containers: [{name: app, image: x, securityContext: {windowsOptions: {hostProcess: true}}}]"),
            B, v(37), &["windowsHostProcess"],
        ),
        case("privileged level", wpod("windowsOptions: {hostProcess: true}", ""), P, v(37), &[]),
        // At restricted from 1.25 a Windows pod is exempt from the Linux-only checks but not
        // from hostProcess or runAsNonRoot.
        case("restricted windows hostProcess", wpod("runAsNonRoot: true, windowsOptions: {hostProcess: true}", ""), R, v(37), &["windowsHostProcess"]),
        case("restricted windows, clean", wpod("runAsNonRoot: true", ""), R, v(37), &[]),
        case("restricted windows 1.24", wpod("runAsNonRoot: true", ""), R, v(24), &["allowPrivilegeEscalation", "capabilities_restricted", "seccompProfile_restricted"]),
    ];
    t.extend(across("pod hostProcess at every version", &wpod("windowsOptions: {hostProcess: true}", ""), B, |_| vec!["windowsHostProcess"]));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn app_armor_profile() {
    let psc = |sc: &str| {
        pod(&format!(
            "securityContext: {{{sc}}}, containers: [{{name: app, image: x}}]"
        ))
    };
    let csc = |sc: &str| {
        pod(&format!(
            "containers: [{{name: app, image: x, securityContext: {{{sc}}}}}]"
        ))
    };
    let ann = |a: &str| pod_annotated(a, "containers: [{name: app, image: x}]");
    const A: &str = "container.apparmor.security.beta.kubernetes.io";
    let mut t = vec![
        case("pod Unconfined", psc("appArmorProfile: {type: Unconfined}"), B, v(37), &["appArmorProfile"]),
        case("pod RuntimeDefault", psc("appArmorProfile: {type: RuntimeDefault}"), B, v(37), &[]),
        case("pod Localhost", psc("appArmorProfile: {type: Localhost, localhostProfile: k8s-nginx}"), B, v(37), &[]),
        case("empty profile has an empty type", psc("appArmorProfile: {}"), B, v(37), &["appArmorProfile"]),
        case("profile null", psc("appArmorProfile: null"), B, v(37), &[]),
        case("unknown type", psc("appArmorProfile: {type: Bogus}"), B, v(37), &["appArmorProfile"]),
        case("container Unconfined", csc("appArmorProfile: {type: Unconfined}"), B, v(37), &["appArmorProfile"]),
        case("container RuntimeDefault", csc("appArmorProfile: {type: RuntimeDefault}"), B, v(37), &[]),
        case(
            "container overrides a good pod profile with Unconfined",
            pod("securityContext: {appArmorProfile: {type: RuntimeDefault}}, containers: [{name: app, image: x, securityContext: {appArmorProfile: {type: Unconfined}}}]"),
            B, v(37), &["appArmorProfile"],
        ),
        case(
            "init container Unconfined",
            pod("initContainers: [{name: i, image: x, securityContext: {appArmorProfile: {type: Unconfined}}}], containers: [{name: app, image: x}]"),
            B, v(37), &["appArmorProfile"],
        ),
        case(
            "ephemeral container Unconfined",
            pod("containers: [{name: app, image: x}], ephemeralContainers: [{name: d, image: x, securityContext: {appArmorProfile: {type: Unconfined}}}]"),
            B, v(37), &["appArmorProfile"],
        ),
        case("annotation unconfined", ann(&format!("{A}/app: unconfined")), B, v(37), &["appArmorProfile"]),
        case("annotation runtime/default", ann(&format!("{A}/app: runtime/default")), B, v(37), &[]),
        case("annotation localhost/", ann(&format!("{A}/app: localhost/k8s-nginx")), B, v(37), &[]),
        case("annotation empty", ann(&format!("{A}/app: \"\"")), B, v(37), &[]),
        case("annotation unknown value", ann(&format!("{A}/app: bogus")), B, v(37), &["appArmorProfile"]),
        case("annotation naming no container is still checked", ann(&format!("{A}/ghost: unconfined")), B, v(37), &["appArmorProfile"]),
        case("other annotations are ignored", ann("example.com/apparmor: unconfined"), B, v(37), &[]),
        case("privileged level", psc("appArmorProfile: {type: Unconfined}"), P, v(37), &[]),
        case("restricted", rpod("appArmorProfile: {type: Unconfined}", "", &[ctr("app", "")]), R, v(37), &["appArmorProfile"]),
        case("restricted container", rpod1("appArmorProfile: {type: Unconfined}"), R, v(30), &["appArmorProfile"]),
    ];
    // Upstream checks both the annotations and the fields at every policy version.
    t.extend(across("field at every version", &psc("appArmorProfile: {type: Unconfined}"), B, |_| vec!["appArmorProfile"]));
    t.extend(across("annotation at every version", &ann(&format!("{A}/app: unconfined")), B, |_| vec!["appArmorProfile"]));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn se_linux_options() {
    let psc = |o: &str| {
        pod(&format!(
            "securityContext: {{seLinuxOptions: {{{o}}}}}, containers: [{{name: app, image: x}}]"
        ))
    };
    let csc = |o: &str| {
        pod(&format!(
            "containers: [{{name: app, image: x, securityContext: {{seLinuxOptions: {{{o}}}}}}}]"
        ))
    };
    let mut t = vec![
        case("spc_t", psc("type: spc_t"), B, v(37), &["seLinuxOptions"]),
        case("container_t", psc("type: container_t"), B, v(0), &[]),
        case("container_init_t at 1.0", psc("type: container_init_t"), B, v(0), &[]),
        case("container_kvm_t at 1.0", psc("type: container_kvm_t"), B, v(0), &[]),
        case("empty options", psc(""), B, v(37), &[]),
        case("level only", psc("level: \"s0:c123,c456\""), B, v(37), &[]),
        case("user", psc("user: system_u"), B, v(37), &["seLinuxOptions"]),
        case("role", psc("role: system_r"), B, v(37), &["seLinuxOptions"]),
        case("user with allowed type", psc("type: container_t, user: system_u"), B, v(37), &["seLinuxOptions"]),
        case("empty user and role", psc("user: \"\", role: \"\""), B, v(37), &[]),
        case("container spc_t", csc("type: spc_t"), B, v(37), &["seLinuxOptions"]),
        case("container role", csc("role: sysadm_r"), B, v(37), &["seLinuxOptions"]),
        case("container container_t", csc("type: container_t"), B, v(37), &[]),
        case(
            "init container",
            pod("initContainers: [{name: i, image: x, securityContext: {seLinuxOptions: {type: unconfined_t}}}], containers: [{name: app, image: x}]"),
            B, v(37), &["seLinuxOptions"],
        ),
        case("privileged level", psc("type: spc_t"), P, v(37), &[]),
        case("restricted", rpod1("seLinuxOptions: {type: spc_t}"), R, v(37), &["seLinuxOptions"]),
        case("restricted container_engine_t 1.31", rpod1("seLinuxOptions: {type: container_engine_t}"), R, v(31), &[]),
        case("restricted container_engine_t 1.30", rpod1("seLinuxOptions: {type: container_engine_t}"), R, v(30), &["seLinuxOptions"]),
    ];
    // container_engine_t joins the allowed types in policy 1.31.
    t.extend(across(
        "container_engine_t",
        &psc("type: container_engine_t"),
        B,
        |m| {
            if m < 31 {
                vec!["seLinuxOptions"]
            } else {
                vec![]
            }
        },
    ));
    t.extend(across("container_init_t", &csc("type: container_init_t"), B, |_| vec![]));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn proc_mount() {
    let pm = |spec: &str, value: &str| {
        pod(&format!(
            "{spec}containers: [{{name: app, image: x, securityContext: {{procMount: {value}}}}}]"
        ))
    };
    let rpm =
        |spec: &str, value: &str| rpod("", spec, &[ctr("app", &format!("procMount: {value}"))]);
    let mut t = vec![
        case("Unmasked", pm("", "Unmasked"), B, v(0), &["procMount"]),
        case("Default", pm("", "Default"), B, v(37), &[]),
        case("empty string is not Default", pm("", "\"\""), B, v(37), &["procMount"]),
        case("null is unset", pm("", "null"), B, v(37), &[]),
        case("hostUsers: false, 1.34", pm("hostUsers: false, ", "Unmasked"), B, v(34), &["procMount"]),
        case("hostUsers: false, 1.35", pm("hostUsers: false, ", "Unmasked"), B, v(35), &[]),
        case("hostUsers: true, 1.35", pm("hostUsers: true, ", "Unmasked"), B, v(35), &["procMount"]),
        case("quoted \"false\" does not relax", pm("hostUsers: \"false\", ", "Unmasked"), B, v(35), &["procMount"]),
        case(
            "init container",
            pod("initContainers: [{name: i, image: x, securityContext: {procMount: Unmasked}}], containers: [{name: app, image: x}]"),
            B, v(37), &["procMount"],
        ),
        case(
            "ephemeral container",
            pod("containers: [{name: app, image: x}], ephemeralContainers: [{name: d, image: x, securityContext: {procMount: Unmasked}}]"),
            B, v(37), &["procMount"],
        ),
        case("privileged level", pm("", "Unmasked"), P, v(37), &[]),
    ];
    t.extend(across("baseline, host users", &pm("", "Unmasked"), B, |_| vec!["procMount"]));
    t.extend(across(
        "baseline, user namespace",
        &pm("hostUsers: false, ", "Unmasked"),
        B,
        |m| {
            if m < 35 {
                vec!["procMount"]
            } else {
                vec![]
            }
        },
    ));
    // Restricted stays strict: procMount_restricted overrides the relaxed check from 1.35.
    t.extend(across(
        "restricted, host users",
        &rpm("", "Unmasked"),
        R,
        |m| {
            vec![if m < 35 {
                "procMount"
            } else {
                "procMount_restricted"
            }]
        },
    ));
    t.extend(across(
        "restricted, user namespace",
        &rpm("hostUsers: false", "Unmasked"),
        R,
        |m| {
            vec![if m < 35 {
                "procMount"
            } else {
                "procMount_restricted"
            }]
        },
    ));
    t.extend(across("restricted, Default", &rpm("", "Default"), R, |_| vec![]));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn seccomp_profile_baseline() {
    let psc = |sc: &str| {
        pod(&format!(
            "securityContext: {{seccompProfile: {{{sc}}}}}, containers: [{{name: app, image: x}}]"
        ))
    };
    let csc = |sc: &str| {
        pod(&format!(
            "containers: [{{name: app, image: x, securityContext: {{seccompProfile: {{{sc}}}}}}}]"
        ))
    };
    let ann = |a: &str| {
        pod_annotated(
            a,
            "containers: [{name: app, image: x}], initContainers: [{name: init, image: x}]",
        )
    };
    const POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
    const CTR: &str = "container.seccomp.security.alpha.kubernetes.io";
    let mut t = vec![
        case("pod Unconfined", psc("type: Unconfined"), B, v(19), &["seccompProfile_baseline"]),
        case("pod RuntimeDefault", psc("type: RuntimeDefault"), B, v(37), &[]),
        case("pod Localhost", psc("type: Localhost, localhostProfile: p.json"), B, v(37), &[]),
        case("empty profile", psc(""), B, v(37), &["seccompProfile_baseline"]),
        case("container Unconfined", csc("type: Unconfined"), B, v(37), &["seccompProfile_baseline"]),
        case("container Localhost", csc("type: Localhost, localhostProfile: p.json"), B, v(37), &[]),
        case(
            "good container under a bad pod still fails on the pod",
            pod("securityContext: {seccompProfile: {type: Unconfined}}, containers: [{name: app, image: x, securityContext: {seccompProfile: {type: RuntimeDefault}}}]"),
            B, v(37), &["seccompProfile_baseline"],
        ),
        case("pod annotation unconfined, 1.18", ann(&format!("{POD}: unconfined")), B, v(18), &["seccompProfile_baseline"]),
        case("pod annotation runtime/default", ann(&format!("{POD}: runtime/default")), B, v(10), &[]),
        case("pod annotation docker/default", ann(&format!("{POD}: docker/default")), B, v(10), &[]),
        case("pod annotation localhost/", ann(&format!("{POD}: localhost/p.json")), B, v(10), &[]),
        case("pod annotation empty", ann(&format!("{POD}: \"\"")), B, v(10), &["seccompProfile_baseline"]),
        case("container annotation unconfined", ann(&format!("{CTR}/app: unconfined")), B, v(10), &["seccompProfile_baseline"]),
        case("init container annotation", ann(&format!("{CTR}/init: unconfined")), B, v(10), &["seccompProfile_baseline"]),
        case("annotation for a container the pod lacks", ann(&format!("{CTR}/ghost: unconfined")), B, v(10), &[]),
        case("container annotation localhost", ann(&format!("{CTR}/app: localhost/x")), B, v(10), &[]),
        case("privileged level", psc("type: Unconfined"), P, v(37), &[]),
    ];
    // The annotations are read before 1.19, the fields from 1.19 on.
    t.extend(across(
        "pod field Unconfined",
        &psc("type: Unconfined"),
        B,
        |m| {
            if m < 19 {
                vec![]
            } else {
                vec!["seccompProfile_baseline"]
            }
        },
    ));
    t.extend(across(
        "container field Unconfined",
        &csc("type: Unconfined"),
        B,
        |m| {
            if m < 19 {
                vec![]
            } else {
                vec!["seccompProfile_baseline"]
            }
        },
    ));
    t.extend(across(
        "pod annotation unconfined",
        &ann(&format!("{POD}: unconfined")),
        B,
        |m| {
            if m < 19 {
                vec!["seccompProfile_baseline"]
            } else {
                vec![]
            }
        },
    ));
    // Restricted: before 1.19 the baseline annotation check runs (and a missing profile is
    // fine); from 1.19 seccompProfile_restricted replaces it.
    let r_unconfined_field = pod(&format!(
        "securityContext: {{runAsNonRoot: true, seccompProfile: {{type: Unconfined}}}}, containers: [{}]",
        ctr("app", "")
    ));
    t.extend(across(
        "restricted pod field Unconfined",
        &r_unconfined_field,
        R,
        |m| {
            if m < 19 {
                vec![]
            } else {
                vec!["seccompProfile_restricted"]
            }
        },
    ));
    let r_annotation = pod_annotated(
        &format!("{POD}: unconfined"),
        &format!(
            "securityContext: {{{OK_PSC}}}, containers: [{}]",
            ctr("app", "")
        ),
    );
    t.extend(across(
        "restricted pod annotation unconfined",
        &r_annotation,
        R,
        |m| {
            if m < 19 {
                vec!["seccompProfile_baseline"]
            } else {
                vec![]
            }
        },
    ));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn sysctls() {
    let s = |names: &[&str]| {
        let list: Vec<String> = names
            .iter()
            .map(|n| format!("{{name: {n}, value: \"1\"}}"))
            .collect();
        pod(&format!(
            "securityContext: {{sysctls: [{}]}}, containers: [{{name: app, image: x}}]",
            list.join(", ")
        ))
    };
    let rs = |name: &str| {
        rpod(
            &format!("sysctls: [{{name: {name}, value: \"1\"}}]"),
            "",
            &[ctr("app", "")],
        )
    };
    // (sysctl, first policy version that allows it)
    let allowed_from: &[(&str, u32)] = &[
        ("kernel.shm_rmid_forced", 0),
        ("net.ipv4.ip_local_port_range", 0),
        ("net.ipv4.tcp_syncookies", 0),
        ("net.ipv4.ping_group_range", 0),
        ("net.ipv4.ip_unprivileged_port_start", 0),
        ("net.ipv4.ip_local_reserved_ports", 27),
        ("net.ipv4.tcp_keepalive_time", 29),
        ("net.ipv4.tcp_fin_timeout", 29),
        ("net.ipv4.tcp_keepalive_intvl", 29),
        ("net.ipv4.tcp_keepalive_probes", 29),
        ("net.ipv4.tcp_rmem", 32),
        ("net.ipv4.tcp_wmem", 32),
        ("net.ipv4.tcp_slow_start_after_idle", 37),
        ("net.ipv4.tcp_notsent_lowat", 37),
    ];
    let mut t = vec![
        case("unsafe sysctl", s(&["net.core.somaxconn"]), B, v(37), &["sysctls"]),
        case("kernel.msgmax", s(&["kernel.msgmax"]), B, v(37), &["sysctls"]),
        case("two unsafe", s(&["kernel.msgmax", "vm.swappiness"]), B, v(37), &["sysctls"]),
        case("safe and unsafe", s(&["net.ipv4.tcp_syncookies", "net.core.somaxconn"]), B, v(37), &["sysctls"]),
        case("no sysctls", pod("securityContext: {sysctls: []}, containers: [{name: app, image: x}]"), B, v(37), &[]),
        case("prefix of a safe name is not safe", s(&["net.ipv4.tcp_keepalive"]), B, v(37), &["sysctls"]),
        case("privileged level", s(&["net.core.somaxconn"]), P, v(37), &[]),
        case("restricted", rs("net.core.somaxconn"), R, v(37), &["sysctls"]),
        case("restricted safe", rs("net.ipv4.tcp_rmem"), R, v(32), &[]),
        case("restricted 1.31", rs("net.ipv4.tcp_rmem"), R, v(31), &["sysctls"]),
    ];
    for &(name, since) in allowed_from {
        t.extend(across(name, &s(&[name]), B, move |m| {
            if m < since {
                vec!["sysctls"]
            } else {
                vec![]
            }
        }));
    }
    t.extend(across("somaxconn", &s(&["net.core.somaxconn"]), B, |_| {
        vec!["sysctls"]
    }));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn host_probes_and_host_lifecycle() {
    let c = |body: &str| pod(&format!("containers: [{}]", ctr_raw("app", body)));
    let rc = |body: &str| {
        rpod(
            "",
            "",
            &[format!(
                "{{name: app, image: x, securityContext: {{{OK_CSC}}}, {body}}}"
            )],
        )
    };
    let id = "hostProbesAndHostLifecycle";
    let mut t = vec![
        case("liveness httpGet host", c("livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}"), B, v(34), &[id]),
        case("readiness httpGet host", c("readinessProbe: {httpGet: {host: example.com, port: 80}}"), B, v(34), &[id]),
        case("startup httpGet host", c("startupProbe: {httpGet: {host: localhost, port: 80}}"), B, v(34), &[id]),
        case("liveness tcpSocket host", c("livenessProbe: {tcpSocket: {host: 127.0.0.1, port: 22}}"), B, v(34), &[id]),
        case("readiness tcpSocket host", c("readinessProbe: {tcpSocket: {host: db, port: 5432}}"), B, v(37), &[id]),
        case("startup tcpSocket host", c("startupProbe: {tcpSocket: {host: db, port: 5432}}"), B, v(37), &[id]),
        case("postStart httpGet host", c("lifecycle: {postStart: {httpGet: {host: 169.254.169.254, port: 80}}}"), B, v(34), &[id]),
        case("preStop httpGet host", c("lifecycle: {preStop: {httpGet: {host: kubelet, port: 10250}}}"), B, v(34), &[id]),
        case("postStart tcpSocket host (deprecated handler)", c("lifecycle: {postStart: {tcpSocket: {host: h, port: 1}}}"), B, v(34), &[id]),
        case("preStop tcpSocket host (deprecated handler)", c("lifecycle: {preStop: {tcpSocket: {host: h, port: 1}}}"), B, v(34), &[id]),
        case("empty host", c("livenessProbe: {httpGet: {host: \"\", port: 80}}"), B, v(37), &[]),
        case("no host", c("livenessProbe: {httpGet: {path: /healthz, port: 80}}, readinessProbe: {tcpSocket: {port: 80}}"), B, v(37), &[]),
        case("grpc probe has no host", c("livenessProbe: {grpc: {port: 9000}}"), B, v(37), &[]),
        case("exec handlers", c("livenessProbe: {exec: {command: [true]}}, lifecycle: {preStop: {exec: {command: [true]}}}"), B, v(37), &[]),
        case("httpHeaders Host is not the host field", c("livenessProbe: {httpGet: {port: 80, httpHeaders: [{name: Host, value: evil}]}}"), B, v(37), &[]),
        case(
            "init container",
            pod("initContainers: [{name: i, image: x, startupProbe: {httpGet: {host: h, port: 1}}}], containers: [{name: app, image: x}]"),
            B, v(34), &[id],
        ),
        case(
            "ephemeral container",
            pod("containers: [{name: app, image: x}], ephemeralContainers: [{name: d, image: x, lifecycle: {preStop: {httpGet: {host: h, port: 1}}}}]"),
            B, v(34), &[id],
        ),
        case("privileged level", c("livenessProbe: {httpGet: {host: h, port: 80}}"), P, v(37), &[]),
        case("restricted 1.34", rc("livenessProbe: {httpGet: {host: h, port: 80}}"), R, v(34), &[id]),
        case("restricted 1.33", rc("livenessProbe: {httpGet: {host: h, port: 80}}"), R, v(33), &[]),
    ];
    // The check exists from policy 1.34.
    t.extend(across(
        "liveness host",
        &c("livenessProbe: {httpGet: {host: h, port: 80}}"),
        B,
        |m| {
            if m < 34 {
                vec![]
            } else {
                vec![id]
            }
        },
    ));
    t.extend(across(
        "restricted preStop host",
        &rc("lifecycle: {preStop: {httpGet: {host: h, port: 80}}}"),
        R,
        |m| {
            if m < 34 {
                vec![]
            } else {
                vec![id]
            }
        },
    ));
    run(&t);
}
