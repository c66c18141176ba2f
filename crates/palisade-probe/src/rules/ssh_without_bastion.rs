//! EX715: SSH answers on more than one host (the guide wants a single bastion).

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{Context, Findings, ProbeRule};
use crate::check::{Observation, State};
use crate::net::first_bytes;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX715",
    name: "ssh-without-bastion",
    severity: Severity::Medium,
    guide: "Bastion host",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Bastion host",
        "https://www.nadeau.tv/ssh-with-a-bastion-host/",
    ],
    summary: "SSH answers on more than one probed host instead of one bastion",
    what: "SSH ports (22, or ports tagged `ssh=`) are read for an SSH banner (`SSH-2.0-…`). \
           When more than one probed host answers SSH, every one of them is reported: one host \
           is the expected bastion, not all. With `--bastion HOST`, every SSH host but that one \
           is reported.",
    why: "SSH is under constant attack wherever it is reachable; password logins and unpatched \
          daemons are still common. The guide asks for one hardened bastion host exposing SSH, \
          from which the nodes are reached, and SSH blocked from the public on every other host.",
    example: "# reported: 3 probed hosts answer\n10.0.0.5:22 SSH-2.0-OpenSSH_9.6\n10.0.0.6:22 \
              SSH-2.0-OpenSSH_9.6\n10.0.0.7:22 SSH-2.0-OpenSSH_9.6",
    fix: "Allow 22/TCP from the public only to the bastion; on the nodes allow it only from the \
          bastion's address (security groups, host firewall). Record sessions on the bastion.",
    help: "expose SSH on one bastion host only; reach the nodes through it",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

/// The SSH banner, if the port sent one.
fn ssh_banner(obs: &Observation) -> Option<String> {
    match &obs.state {
        State::Banner(b) if b.starts_with(b"SSH-") => Some(first_bytes(b, 64)),
        _ => None,
    }
}

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], cx: &Context, out: &mut Findings) {
        let ssh: Vec<(&Observation, String)> = observations
            .iter()
            .filter(|o| o.port.role == Role::Ssh)
            .filter_map(|o| ssh_banner(o).map(|b| (o, b)))
            .collect();
        let mut hosts: Vec<_> = ssh.iter().map(|(o, _)| o.target.ip).collect();
        hosts.sort();
        hosts.dedup();
        let expected = match cx.bastion {
            Some(b) => format!("only the bastion {b} should"),
            None if hosts.len() < 2 => return,
            None => "one bastion host should".to_owned(),
        };
        for (obs, banner) in &ssh {
            if Some(obs.target.ip) == cx.bastion {
                continue;
            }
            let msg = format!(
                "SSH answers on {} ({banner}); {} probed host(s) answer SSH, {expected}",
                out.place(obs),
                hosts.len()
            );
            out.report(&META, obs, "", msg);
        }
    }
}
