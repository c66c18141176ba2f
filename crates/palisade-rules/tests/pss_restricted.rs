//! The restricted checks of the Pod Security Standards, one table per check. Rows start from a
//! pod that satisfies every restricted requirement (see `common::rpod`) and change one thing,
//! or use a bare pod whose expected list is spelled out.

mod common;

use common::*;

#[test]
#[rustfmt::skip]
fn restricted_volumes() {
    let rv = |vol: &str| rpod("", &format!("volumes: [{vol}]"), &[ctr("app", "")]);
    let bv = |vol: &str| {
        pod(&format!(
            "containers: [{{name: app, image: x}}], volumes: [{vol}]"
        ))
    };
    let allowed = [
        "{name: v, configMap: {name: c}}",
        "{name: v, csi: {driver: secrets-store.csi.k8s.io}}",
        "{name: v, downwardAPI: {items: []}}",
        "{name: v, emptyDir: {medium: Memory}}",
        "{name: v, ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce]}}}}",
        "{name: v, image: {reference: \"registry.example/model:1\"}}",
        "{name: v, persistentVolumeClaim: {claimName: data}}",
        "{name: v, projected: {sources: [{serviceAccountToken: {path: token}}]}}",
        "{name: v, secret: {secretName: s}}",
        "{name: v}",
        "{name: v, hostPath: null, emptyDir: {}}",
    ];
    let forbidden = [
        "{name: v, hostPath: {path: /}}",
        "{name: v, gcePersistentDisk: {pdName: d}}",
        "{name: v, awsElasticBlockStore: {volumeID: vol-1}}",
        "{name: v, gitRepo: {repository: \"https://example.com/r.git\"}}",
        "{name: v, nfs: {server: nfs, path: /exports}}",
        "{name: v, iscsi: {targetPortal: \"10.0.0.1:3260\", iqn: \"iqn.x\", lun: 0}}",
        "{name: v, glusterfs: {endpoints: g, path: p}}",
        "{name: v, rbd: {monitors: [m], image: i}}",
        "{name: v, flexVolume: {driver: d}}",
        "{name: v, cinder: {volumeID: c}}",
        "{name: v, cephfs: {monitors: [m]}}",
        "{name: v, flocker: {datasetName: f}}",
        "{name: v, fc: {wwids: [w]}}",
        "{name: v, azureFile: {secretName: s, shareName: s}}",
        "{name: v, vsphereVolume: {volumePath: p}}",
        "{name: v, quobyte: {registry: r, volume: v}}",
        "{name: v, azureDisk: {diskName: d, diskURI: u}}",
        "{name: v, portworxVolume: {volumeID: p}}",
        "{name: v, photonPersistentDisk: {pdID: p}}",
        "{name: v, scaleIO: {gateway: g, system: s, secretRef: {name: s}}}",
        "{name: v, storageos: {volumeName: s}}",
        "{name: v, someFutureVolumeType: {}}",
        "{name: v, configMap: {name: c}, nfs: {server: n, path: /}}",
    ];
    let mut t = Vec::new();
    for vol in allowed {
        t.push(case(&format!("allowed {vol}"), rv(vol), R, v(37), &[]));
        t.push(case(&format!("allowed {vol} at 1.0"), rv(vol), R, v(0), &[]));
        t.push(case(&format!("baseline {vol}"), bv(vol), B, v(37), &[]));
    }
    for vol in forbidden {
        t.push(case(&format!("forbidden {vol}"), rv(vol), R, v(37), &["restrictedVolumes"]));
        t.push(case(&format!("forbidden {vol} at 1.0"), rv(vol), R, v(0), &["restrictedVolumes"]));
        // Baseline only forbids hostPath.
        let base: &[&str] = if vol.contains("hostPath") {
            &["hostPathVolumes"]
        } else {
            &[]
        };
        t.push(case(&format!("baseline {vol}"), bv(vol), B, v(37), base));
    }
    t.push(case("privileged level", bv("{name: v, nfs: {server: n, path: /}}"), P, v(37), &[]));
    t.extend(across("nfs", &rv("{name: v, nfs: {server: n, path: /}}"), R, |_| vec!["restrictedVolumes"]));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn allow_privilege_escalation() {
    // Pod-level requirements met; the container sets only what each row says.
    let c = |sc: &str| {
        rpod(
            "",
            "",
            &[format!(
                "{{name: app, image: x, securityContext: {{capabilities: {{drop: [ALL]}}{sc}}}}}"
            )],
        )
    };
    let windows = |sc: &str| {
        rpod(
            "",
            "os: {name: windows}",
            &[format!(
                "{{name: app, image: x, securityContext: {{capabilities: {{drop: [ALL]}}{sc}}}}}"
            )],
        )
    };
    let id = "allowPrivilegeEscalation";
    let mut t = vec![
        case("false", c(", allowPrivilegeEscalation: false"), R, v(37), &[]),
        case("true", c(", allowPrivilegeEscalation: true"), R, v(37), &[id]),
        case("unset (defaults to true)", c(""), R, v(37), &[id]),
        case("null", c(", allowPrivilegeEscalation: null"), R, v(37), &[id]),
        case("quoted \"false\"", c(", allowPrivilegeEscalation: \"false\""), R, v(37), &[]),
        case("YAML 1.1 no", c(", allowPrivilegeEscalation: no"), R, v(37), &[]),
        case(
            "init container unset",
            rpod("", "", &[ctr("app", "")]).replace("containers: [", "initContainers: [{name: init, image: x, securityContext: {capabilities: {drop: [ALL]}}}], containers: ["),
            R, v(37), &[id],
        ),
        case(
            "ephemeral container unset",
            rpod("", "ephemeralContainers: [{name: debug, image: x, securityContext: {capabilities: {drop: [ALL]}}}]", &[ctr("app", "")]),
            R, v(37), &[id],
        ),
        case("one of two containers", rpod("", "", &[ctr("a", ""), ctr_raw("b", "securityContext: {capabilities: {drop: [ALL]}}")]), R, v(37), &[id]),
        case("not a baseline check", c(", allowPrivilegeEscalation: true"), B, v(37), &[]),
        case("linux pod", rpod("", "os: {name: linux}", &[ctr_raw("app", "securityContext: {capabilities: {drop: [ALL]}}")]), R, v(37), &[id]),
    ];
    // The check exists from 1.8 (the field's first release).
    t.extend(across("unset", &c(""), R, |m| {
        if m < 8 {
            vec![]
        } else {
            vec![id]
        }
    }));
    t.extend(across("true", &c(", allowPrivilegeEscalation: true"), R, |m| if m < 8 { vec![] } else { vec![id] }));
    // Windows pods are exempt from 1.25.
    t.extend(across("windows unset", &windows(""), R, |m| {
        if (8..25).contains(&m) {
            vec![id]
        } else {
            vec![]
        }
    }));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn run_as_non_root() {
    let p = |psc: &str, containers: &[String]| {
        pod(&format!(
            "securityContext: {{seccompProfile: {{type: RuntimeDefault}}{psc}}}, containers: [{}]",
            containers.join(", ")
        ))
    };
    let id = "runAsNonRoot";
    let mut t = vec![
        case("pod true", p(", runAsNonRoot: true", &[ctr("app", "")]), R, v(37), &[]),
        case("pod true, container false", p(", runAsNonRoot: true", &[ctr("app", "runAsNonRoot: false")]), R, v(37), &[id]),
        case("pod unset, container true", p("", &[ctr("app", "runAsNonRoot: true")]), R, v(37), &[]),
        case("pod unset, every container true", p("", &[ ctr("a", "runAsNonRoot: true"), ctr("b", "runAsNonRoot: true"), ]), R, v(37), &[]),
        case("pod unset, one container unset", p("", &[ctr("a", "runAsNonRoot: true"), ctr("b", "")]), R, v(37), &[id]),
        case("pod unset, container unset", p("", &[ctr("app", "")]), R, v(37), &[id]),
        case("pod false", p(", runAsNonRoot: false", &[ctr("app", "")]), R, v(37), &[id]),
        case("pod false, container true", p(", runAsNonRoot: false", &[ctr("app", "runAsNonRoot: true")]), R, v(37), &[id]),
        case("pod null", p(", runAsNonRoot: null", &[ctr("app", "")]), R, v(37), &[id]),
        case("quoted \"true\" on the pod", p(", runAsNonRoot: \"true\"", &[ctr("app", "")]), R, v(37), &[]),
        case("quoted \"false\" on a container", p(", runAsNonRoot: true", &[ctr("app", "runAsNonRoot: \"false\"")]), R, v(37), &[id]),
        case("runAsUser does not replace runAsNonRoot", p(", runAsUser: 1000", &[ctr("app", "")]), R, v(37), &[id]),
        case(
            "init container false under a true pod",
            p(", runAsNonRoot: true", &[ctr("app", "")]).replace(
                "containers: [",
                &format!(
                    "initContainers: [{}], containers: [",
                    ctr("init", "runAsNonRoot: false")
                ),
            ),
            R,
            v(37),
            &[id],
        ),
        case(
            "init container unset, app container true, pod unset",
            p("", &[ctr("app", "runAsNonRoot: true")]).replace(
                "containers: [",
                &format!("initContainers: [{}], containers: [", ctr("init", "")),
            ),
            R,
            v(37),
            &[id],
        ),
        case(
            "ephemeral container false",
            pod(&format!(
                "securityContext: {{{OK_PSC}}}, containers: [{}], ephemeralContainers: [{}]",
                ctr("app", ""),
                ctr("debug", "runAsNonRoot: false")
            )),
            R,
            v(37),
            &[id],
        ),
        case("windows pods are not exempt", pod(&format!("os: {{name: windows}}, containers: [{}]", ctr_raw("app", ""))), R, v(37), &[id]),
        case("not a baseline check", p(", runAsNonRoot: false", &[ctr("app", "")]), B, v(37), &[]),
    ];
    t.extend(across("pod false", &p(", runAsNonRoot: false", &[ctr("app", "")]), R, |_| vec![id]));
    // hostUsers: false relaxes the check from 1.35 (the feature gate was off by default before).
    let userns = pod(&format!(
        "hostUsers: false, securityContext: {{seccompProfile: {{type: RuntimeDefault}}}}, containers: [{}]",
        ctr("app", "")
    ));
    t.extend(across("user namespace", &userns, R, |m| {
        if m < 35 {
            vec![id]
        } else {
            vec![]
        }
    }));
    let userns_false = userns.replace(
        "securityContext: {seccompProfile",
        "securityContext: {runAsNonRoot: false, seccompProfile",
    );
    t.extend(across("user namespace, pod false", &userns_false, R, |m| {
        if m < 35 {
            vec![id]
        } else {
            vec![]
        }
    }));
    let quoted = userns.replace("hostUsers: false", "hostUsers: \"false\"");
    t.push(case("quoted hostUsers does not relax", quoted, R, v(37), &[id]));
    let host_users = userns.replace("hostUsers: false", "hostUsers: true");
    t.push(case("hostUsers: true", host_users, R, v(37), &[id]));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn run_as_user() {
    let p = |psc: &str, containers: &[String]| {
        pod(&format!(
            "securityContext: {{{OK_PSC}{psc}}}, containers: [{}]",
            containers.join(", ")
        ))
    };
    let id = "runAsUser";
    let mut t = vec![
        case("pod 0", p(", runAsUser: 0", &[ctr("app", "")]), R, v(23), &[id]),
        case("pod 1000", p(", runAsUser: 1000", &[ctr("app", "")]), R, v(37), &[]),
        case("container 0", p("", &[ctr("app", "runAsUser: 0")]), R, v(37), &[id]),
        case("container 1000", p("", &[ctr("app", "runAsUser: 1000")]), R, v(37), &[]),
        case("pod 0, container 1000: the pod still sets 0", p(", runAsUser: 0", &[ctr("app", "runAsUser: 1000")]), R, v(37), &[id]),
        case("pod 1000, container 0", p(", runAsUser: 1000", &[ctr("app", "runAsUser: 0")]), R, v(37), &[id]),
        case("quoted \"0\"", p("", &[ctr("app", "runAsUser: \"0\"")]), R, v(37), &[id]),
        case("null", p(", runAsUser: null", &[ctr("app", "")]), R, v(37), &[]),
        case("runAsGroup 0 is not checked", p(", runAsGroup: 0", &[ctr("app", "")]), R, v(37), &[]),
        case(
            "init container 0",
            p("", &[ctr("app", "")]).replace(
                "containers: [",
                &format!(
                    "initContainers: [{}], containers: [",
                    ctr("init", "runAsUser: 0")
                ),
            ),
            R,
            v(37),
            &[id],
        ),
        case(
            "ephemeral container 0",
            pod(&format!(
                "securityContext: {{{OK_PSC}}}, containers: [{}], ephemeralContainers: [{}]",
                ctr("app", ""),
                ctr("debug", "runAsUser: 0")
            )),
            R,
            v(37),
            &[id],
        ),
        case("not a baseline check", p(", runAsUser: 0", &[ctr("app", "")]), B, v(37), &[]),
    ];
    // The check exists from 1.23.
    t.extend(across("pod 0", &p(", runAsUser: 0", &[ctr("app", "")]), R, |m| if m < 23 { vec![] } else { vec![id] }));
    t.extend(across("container 0", &p("", &[ctr("app", "runAsUser: 0")]), R, |m| if m < 23 { vec![] } else { vec![id] }));
    // hostUsers: false relaxes it from 1.35.
    let userns = pod(&format!(
        "hostUsers: false, securityContext: {{{OK_PSC}, runAsUser: 0}}, containers: [{}]",
        ctr("app", "runAsUser: 0")
    ));
    t.extend(across("user namespace", &userns, R, |m| {
        if (23..35).contains(&m) {
            vec![id]
        } else {
            vec![]
        }
    }));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn seccomp_profile_restricted() {
    let p = |psc: &str, spec: &str, containers: &[String]| {
        pod(&format!(
            "securityContext: {{runAsNonRoot: true{psc}}}{spec}, containers: [{}]",
            containers.join(", ")
        ))
    };
    let sp = |t: &str| format!("seccompProfile: {{type: {t}}}");
    let id = "seccompProfile_restricted";
    let mut t = vec![
        case("pod RuntimeDefault", p(", seccompProfile: {type: RuntimeDefault}", "", &[ctr("app", "")]), R, v(37), &[]),
        case("pod Localhost", p(", seccompProfile: {type: Localhost, localhostProfile: p.json}", "", &[ctr("app", "")]), R, v(37), &[]),
        case("pod unset, container RuntimeDefault", p("", "", &[ctr("app", &sp("RuntimeDefault"))]), R, v(37), &[]),
        case("pod unset, container Localhost", p("", "", &[ctr("app", &sp("Localhost"))]), R, v(37), &[]),
        case("pod unset, container unset", p("", "", &[ctr("app", "")]), R, v(37), &[id]),
        case("pod unset, one of two containers unset", p("", "", &[ctr("a", &sp("RuntimeDefault")), ctr("b", "")]), R, v(37), &[id]),
        case("pod Unconfined", p(", seccompProfile: {type: Unconfined}", "", &[ctr("app", "")]), R, v(37), &[id]),
        case("pod Unconfined, container Localhost", p(", seccompProfile: {type: Unconfined}", "", &[ctr("app", &sp("Localhost"))]), R, v(37), &[id]),
        case("pod RuntimeDefault, container Unconfined", p(", seccompProfile: {type: RuntimeDefault}", "", &[ctr("app", &sp("Unconfined"))]), R, v(37), &[id]),
        case("pod empty profile", p(", seccompProfile: {}", "", &[ctr("app", "")]), R, v(37), &[id]),
        case("pod profile null", p(", seccompProfile: null", "", &[ctr("app", &sp("RuntimeDefault"))]), R, v(37), &[]),
        case(
            "init container unset, pod unset",
            p("", "", &[ctr("app", &sp("RuntimeDefault"))]).replace("containers: [", &format!("initContainers: [{}], containers: [", ctr("init", ""))),
            R, v(37), &[id],
        ),
        case(
            "ephemeral container Unconfined",
            p(", seccompProfile: {type: RuntimeDefault}", ", ephemeralContainers: [{name: d, image: x, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: Unconfined}}}]", &[ctr("app", "")]),
            R, v(37), &[id],
        ),
        case("linux pod unset", p("", ", os: {name: linux}", &[ctr("app", "")]), R, v(37), &[id]),
        // Baseline allows a missing profile and only rejects Unconfined.
        case("baseline, unset", p("", "", &[ctr("app", "")]), B, v(37), &[]),
        case("baseline, Unconfined", p(", seccompProfile: {type: Unconfined}", "", &[ctr("app", "")]), B, v(37), &["seccompProfile_baseline"]),
    ];
    // The check exists from 1.19; before that restricted does not require a profile.
    t.extend(across("pod unset", &p("", "", &[ctr("app", "")]), R, |m| {
        if m < 19 {
            vec![]
        } else {
            vec![id]
        }
    }));
    // Windows pods are exempt from 1.25 (and from allowPrivilegeEscalation/capabilities).
    let windows = p("", ", os: {name: windows}", &[ctr("app", "")]);
    t.extend(across("windows, unset", &windows, R, |m| {
        if (19..25).contains(&m) {
            vec![id]
        } else {
            vec![]
        }
    }));
    let windows_unconfined = p(
        ", seccompProfile: {type: Unconfined}",
        ", os: {name: windows}",
        &[ctr("app", "")],
    );
    t.extend(across(
        "windows, pod Unconfined",
        &windows_unconfined,
        R,
        |m| {
            if (19..25).contains(&m) {
                vec![id]
            } else {
                vec![]
            }
        },
    ));
    // ...while the baseline check keeps rejecting Unconfined on Windows pods at baseline.
    t.push(case("windows, Unconfined, baseline", windows_unconfined, B, v(37), &["seccompProfile_baseline"]));
    run(&t);
}

#[test]
#[rustfmt::skip]
fn capabilities_restricted() {
    let c = |caps: &str| {
        rpod("", "", &[format!("{{name: app, image: x, securityContext: {{allowPrivilegeEscalation: false{caps}}}}}")])
    };
    let id = "capabilities_restricted";
    let mut t = vec![
        case("drop ALL", c(", capabilities: {drop: [ALL]}"), R, v(37), &[]),
        case("drop ALL and more", c(", capabilities: {drop: [NET_RAW, ALL]}"), R, v(37), &[]),
        case("drop ALL, add NET_BIND_SERVICE", c(", capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}"), R, v(37), &[]),
        case("no capabilities", c(""), R, v(37), &[id]),
        case("capabilities: {}", c(", capabilities: {}"), R, v(37), &[id]),
        case("drop NET_RAW only", c(", capabilities: {drop: [NET_RAW]}"), R, v(37), &[id]),
        case("drop all (lower case)", c(", capabilities: {drop: [all]}"), R, v(37), &[id]),
        case("add CHOWN (a baseline default)", c(", capabilities: {drop: [ALL], add: [CHOWN]}"), R, v(37), &[id]),
        case("add SYS_ADMIN", c(", capabilities: {drop: [ALL], add: [SYS_ADMIN]}"), R, v(37), &[id]),
        case("add NET_BIND_SERVICE without drop", c(", capabilities: {add: [NET_BIND_SERVICE]}"), R, v(37), &[id]),
        case(
            "init container",
            rpod("", "", &[ctr("app", "")]).replace("containers: [", "initContainers: [{name: i, image: x, securityContext: {allowPrivilegeEscalation: false}}], containers: ["),
            R, v(37), &[id],
        ),
        case(
            "ephemeral container",
            rpod("", "ephemeralContainers: [{name: d, image: x, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [SYS_PTRACE]}}}]", &[ctr("app", "")]),
            R, v(37), &[id],
        ),
        case("not a baseline check", c(""), B, v(37), &[]),
        case("baseline with SYS_ADMIN", c(", capabilities: {drop: [ALL], add: [SYS_ADMIN]}"), B, v(37), &["capabilities_baseline"]),
    ];
    // The check exists from 1.22.
    t.extend(across("no drop", &c(""), R, |m| {
        if m < 22 {
            vec![]
        } else {
            vec![id]
        }
    }));
    t.extend(across("add CHOWN", &c(", capabilities: {drop: [ALL], add: [CHOWN]}"), R, |m| if m < 22 { vec![] } else { vec![id] }));
    // Windows pods are exempt from 1.25.
    let windows = rpod(
        "",
        "os: {name: windows}",
        &[ctr_raw(
            "app",
            "securityContext: {allowPrivilegeEscalation: false}",
        )],
    );
    t.extend(across("windows, no drop", &windows, R, |m| {
        if (22..25).contains(&m) {
            vec![id]
        } else {
            vec![]
        }
    }));
    run(&t);
}

/// A pod with nothing set: what restricted requires, version by version.
#[test]
#[rustfmt::skip]
fn bare_pod_at_every_version() {
    let bare = pod("containers: [{name: app, image: nginx}]");
    let mut t = across("bare pod", &bare, R, bare_restricted);
    t.extend(across("bare pod baseline", &bare, B, |_| vec![]));
    t.extend(across("bare pod privileged", &bare, P, |_| vec![]));
    // The same pod with two containers and an init container reports the same checks.
    let multi = pod("initContainers: [{name: i, image: x}], containers: [{name: a, image: x}, {name: b, image: x}]");
    t.extend(across("three containers", &multi, R, bare_restricted));
    // A fully compliant pod passes restricted at every version.
    t.extend(across("compliant pod", &rpod1(""), R, |_| vec![]));
    // Everything at once.
    let worst = pod_annotated(
        "container.apparmor.security.beta.kubernetes.io/app: unconfined, seccomp.security.alpha.kubernetes.io/pod: unconfined",
        "hostNetwork: true, hostPID: true, securityContext: {runAsUser: 0, runAsNonRoot: false, seccompProfile: {type: Unconfined}, seLinuxOptions: {type: spc_t}, sysctls: [{name: kernel.msgmax, value: \"1\"}]}, \
         volumes: [{name: h, hostPath: {path: /}}], \
         containers: [{name: app, image: x, ports: [{containerPort: 1, hostPort: 1}], livenessProbe: {httpGet: {host: h, port: 1}}, \
         securityContext: {privileged: true, procMount: Unmasked, allowPrivilegeEscalation: true, capabilities: {add: [SYS_ADMIN]}, windowsOptions: {hostProcess: true}}}]",
    );
    t.push(case(
        "everything, baseline 1.37",
        worst.clone(),
        B,
        v(37),
        &[
            "appArmorProfile",
            "capabilities_baseline",
            "hostNamespaces",
            "hostPathVolumes",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "privileged",
            "procMount",
            "seLinuxOptions",
            "seccompProfile_baseline",
            "sysctls",
            "windowsHostProcess",
        ],
    ));
    t.push(case(
        "everything, restricted 1.37",
        worst.clone(),
        R,
        v(37),
        &[
            "appArmorProfile",
            "hostNamespaces",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "privileged",
            "seLinuxOptions",
            "sysctls",
            "windowsHostProcess",
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "procMount_restricted",
            "restrictedVolumes",
            "runAsNonRoot",
            "runAsUser",
            "seccompProfile_restricted",
        ],
    ));
    t.push(case(
        "everything, restricted 1.18",
        worst.clone(),
        R,
        v(18),
        &[
            "appArmorProfile",
            "capabilities_baseline",
            "hostNamespaces",
            "hostPorts",
            "privileged",
            "procMount",
            "seLinuxOptions",
            "seccompProfile_baseline",
            "sysctls",
            "windowsHostProcess",
            "allowPrivilegeEscalation",
            "restrictedVolumes",
            "runAsNonRoot",
        ],
    ));
    t.push(case("everything, privileged", worst, P, v(37), &[]));
    run(&t);
}

/// `drop: [all]` fails the check (upstream compares exactly) although the runtime drops every
/// capability: the message says that, not "does not drop ALL".
#[test]
fn lower_case_all_is_named_in_the_message() {
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: x:1\n    securityContext:\n      capabilities:\n        drop: [all]\n";
    let loaded = palisade_core::source::objects_from_str("t.yaml", yaml);
    let rule = palisade_rules::registry::by_code("PS125").unwrap();
    let mut findings = Vec::new();
    palisade_core::check_objects(
        rule,
        &palisade_core::Context {
            settings: &palisade_core::Settings::default(),
        },
        &loaded.objects,
        &mut findings,
    );
    assert_eq!(findings.len(), 1);
    let m = &findings[0].message;
    assert!(
        m.contains("drops \"all\"")
            && m.contains("wants exactly \"ALL\"")
            && !m.contains("does not drop"),
        "{m}"
    );
}
