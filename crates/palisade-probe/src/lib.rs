//! The network exposure probe: which of the guide's ports answer on the hosts the user named, and
//! what they answer to a client without credentials — the maintained replacement for
//! kube-hunter's passive checks, tied back to the configuration that should have prevented it.
//!
//! Flow: [`target::expand`] turns what the user named into hosts; [`probe`] connects to every
//! host × port with bounded concurrency (one socket per probe in flight, so open file descriptors
//! stay bounded), a per-operation timeout and an overall deadline, and asks each open port the
//! questions of its [`Role`]; [`rules`] turn the [`Observation`]s into ordinary
//! [`palisade_core::Finding`]s (`EX702`–`EX729`, and `EX701` for the API server), and
//! [`correlate`] adds what a node audit said about the same setting.
//!
//! Only ever touches the targets it is given; never sends credentials.

pub mod check;
pub mod correlate;
pub mod net;
pub mod ports;
pub mod rules;
pub mod target;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};

pub use check::{Observation, State};
pub use ports::{PortSpec, Role};
pub use target::Target;

/// Bad input: targets, ports, node reports.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Target(String),
    #[error("--ports: {0}")]
    Ports(String),
    #[error("--node-report {path}: {reason}")]
    NodeReport { path: String, reason: String },
}

/// How to probe.
#[derive(Clone, Debug)]
pub struct Options {
    /// Ports probed on every target without its own port.
    pub ports: Vec<PortSpec>,
    /// Limit of one connect, handshake, banner read or HTTP exchange.
    pub timeout: Duration,
    /// Ports probed at once (each holds at most one socket, plus one being closed).
    pub concurrency: usize,
    /// The whole run stops here; what was not probed by then is reported as not probed.
    pub deadline: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ports: ports::default_ports(),
            timeout: Duration::from_secs(2),
            concurrency: 256,
            deadline: Duration::from_secs(300),
        }
    }
}

/// Counts of what the probed ports did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// host × port pairs to probe.
    pub planned: usize,
    /// Pairs probed before the deadline.
    pub probed: usize,
    pub closed: usize,
    pub filtered: usize,
    pub failed: usize,
    /// Accepted the connection (whatever they said after).
    pub open: usize,
}

/// What a run saw.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every port that accepted a connection, in target and port order. Closed and filtered ports
    /// are only counted (a /16 of closed ports would otherwise fill memory).
    pub observations: Vec<Observation>,
    pub counts: Counts,
    /// The overall deadline cut the run short.
    pub deadline_hit: bool,
    pub elapsed: Duration,
}

/// The ports probed on `target`.
pub fn ports_of<'a>(target: &'a Target, opts: &'a Options) -> &'a [PortSpec] {
    target.ports.as_deref().unwrap_or(&opts.ports)
}

/// Probes every port of every target. `progress` is called once per probed pair. Must run inside
/// a tokio runtime with I/O and time enabled.
pub async fn probe(
    targets: &[Arc<Target>],
    opts: &Options,
    progress: &(dyn Fn() + Sync),
) -> Outcome {
    let start = Instant::now();
    let client = net::Client::new(opts.timeout);
    let planned = targets.iter().map(|t| ports_of(t, opts).len()).sum();
    let pairs = targets.iter().enumerate().flat_map(|(i, t)| {
        ports_of(t, opts)
            .iter()
            .enumerate()
            .map(move |(j, p)| (i, j, Arc::clone(t), *p))
    });
    // No probe starts after the deadline, and those in flight are dropped at it.
    let end = tokio::time::Instant::now() + opts.deadline;
    let pairs = pairs.take_while(move |_| tokio::time::Instant::now() < end);
    let deadline = tokio::time::sleep_until(end);
    let results = stream::iter(pairs)
        .map(|(i, j, t, p)| {
            let client = &client;
            async move { ((i, j), check::check(client, t, p).await) }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .take_until(deadline);
    let mut results = std::pin::pin!(results);
    let mut counts = Counts {
        planned,
        ..Counts::default()
    };
    let mut kept = Vec::new();
    while let Some((order, obs)) = results.next().await {
        counts.probed += 1;
        progress();
        match obs.state {
            State::Closed => counts.closed += 1,
            State::Filtered => counts.filtered += 1,
            State::Failed(_) => counts.failed += 1,
            _ => {
                counts.open += 1;
                kept.push((order, obs));
            }
        }
    }
    kept.sort_by_key(|(order, _)| *order);
    Outcome {
        observations: kept.into_iter().map(|(_, o)| o).collect(),
        deadline_hit: counts.probed < counts.planned,
        counts,
        elapsed: start.elapsed(),
    }
}
