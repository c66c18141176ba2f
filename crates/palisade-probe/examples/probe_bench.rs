//! Benchmark: 256 loopback hosts × the default port list, with fake services on a few of them
//! (an anonymous kubelet, a read-only port, an etcd demanding client certificates, two SSH
//! daemons, a silent kubelet port), measuring the wall time and the most file descriptors the
//! process held at once.
//!
//! ```sh
//! cargo run --release -p palisade-probe --example probe_bench [-- HOSTS CONCURRENCY TIMEOUT_MS SILENT]
//! ```
//!
//! Only 127.2.0.0/16 addresses are probed (Linux routes all of 127/8 to `lo`). Before probing,
//! every default port is checked to be free on those addresses: a service bound to `0.0.0.0` on
//! one of them would otherwise be probed too, and the benchmark refuses to run.

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use palisade_probe::rules::{self, Context};
use palisade_probe::{ports, probe, Options, Target};

fn host(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 2, 0, 1)) + i))
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hosts: u32 = args.first().and_then(|a| a.parse().ok()).unwrap_or(256);
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(256);
    let timeout_ms: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    // Whether one port accepts and stays silent (it costs two timeouts: TLS, then plain).
    let with_silent = args.get(3).is_none_or(|a| a != "0");
    let list = ports::default_ports();

    // Refuse to run if anything listens on a default port of every address.
    for p in &list {
        let addr = SocketAddr::new(host(hosts + 1), p.port);
        if let Err(e) = std::net::TcpListener::bind(addr) {
            eprintln!("port {} is taken on 127.2.x.x ({e}): something listens on it for every address; not probing", p.port);
            std::process::exit(2);
        }
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use rustls::version::{TLS12, TLS13};
        let at = |i: u32, port: u16| SocketAddr::new(host(i), port);
        support::https_on(at(0, 10250), support::kubelet_anonymous(), false, &[&TLS13, &TLS12]);
        support::http_on(at(0, 10255), support::kubelet_anonymous());
        support::https_on(at(1, 2379), support::etcd(), true, &[&TLS13, &TLS12]);
        support::ssh_on(at(2, 22));
        support::ssh_on(at(3, 22));
        if with_silent {
            support::silent_on(at(4, 10250));
        }

        let targets: Vec<Arc<Target>> = (0..hosts).map(|i| Arc::new(Target::ip(host(i)))).collect();
        let opts = Options {
            ports: list.clone(),
            timeout: Duration::from_millis(timeout_ms),
            concurrency,
            deadline: Duration::from_secs(60),
        };
        let baseline = open_fds();
        let peak = Arc::new(AtomicUsize::new(baseline));
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    peak.fetch_max(open_fds(), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_micros(200));
                }
            })
        };
        let outcome = probe(&targets, &opts, &|| {}).await;
        done.store(true, Ordering::Relaxed);
        sampler.join().unwrap();
        let findings = rules::evaluate(&outcome, &Context::default(), &|_| true);
        let c = outcome.counts;
        println!(
            "{hosts} hosts × {} ports = {} pairs, concurrency {concurrency}, timeout {timeout_ms} ms, \
             {} silent port",
            list.len(),
            c.planned,
            if with_silent { "one" } else { "no" }
        );
        println!(
            "probed {} in {:.3} s: {} open, {} closed, {} filtered",
            c.probed,
            outcome.elapsed.as_secs_f64(),
            c.open,
            c.closed,
            c.filtered
        );
        let mut codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
        codes.sort();
        println!("findings: {}", codes.join(" "));
        println!(
            "open file descriptors: {baseline} before, at most {} during (+{})",
            peak.load(Ordering::Relaxed),
            peak.load(Ordering::Relaxed) - baseline
        );
    });
}
